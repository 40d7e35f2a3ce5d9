"""StatBank metadata as recorded from the real API: ``/tables`` rows and ``/tableinfo`` documents.

* ``updated`` is written without a time zone (``"2025-08-11T08:00:00"``): it is Danish local time
  (Europe/Copenhagen) and is turned into an aware timestamp (``2025-08-11T08:00:00+02:00``).
* ``footnote`` is ``null`` or an object ``{"text": ..., "mandatory": ...}`` (a plain string is accepted too).
* The newest projection table is the highest ``FRKM1yy`` that ``/tables`` lists as ``active``.
* Total values are found by id (``TOT``, ``IALT``, ``000``) or text (``I alt``, ``Alder i alt``, ``Total``).

Example
-------
>>> parse_updated("2025-08-11T08:00:00").isoformat()
'2025-08-11T08:00:00+02:00'
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from klyngedata.dst.errors import StatBankError
from klyngedata.vocabulary.totals import is_total as vocabulary_is_total

DANISH_TIME = ZoneInfo("Europe/Copenhagen")
PROJECTION_RE = re.compile(r"^FRKM1\d\d$")


def parse_updated(value: object) -> dt.datetime | None:
    """``updated`` of ``/tables`` or ``/tableinfo`` as an aware datetime (no zone = Danish local time).

    Example
    -------
    >>> parse_updated("2025-01-15T08:00:00").isoformat(), parse_updated(None)
    ('2025-01-15T08:00:00+01:00', None)
    """
    if value in (None, ""):
        return None
    try:
        stamp = dt.datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise StatBankError(f"Statistikbanken angav tabellens opdateringstidspunkt i en ukendt form ({value!r}).",
                            endpoint="tableinfo", problem=f"updated {value!r}") from None
    return stamp.replace(tzinfo=DANISH_TIME) if stamp.tzinfo is None else stamp


def footnote_text(info: Mapping[str, Any]) -> str | None:
    """The table's footnote text (``footnote`` is null, an object with ``text`` or a string).

    Example
    -------
    >>> footnote_text({"footnote": None}), footnote_text({"footnote": {"text": " Note. ", "mandatory": True}})
    (None, 'Note.')
    """
    note = info.get("footnote")
    if note is None:
        return None
    if isinstance(note, Mapping):
        text = note.get("text")
        return str(text).strip() or None if text is not None else None
    return str(note).strip() or None


def listing_entry(tables: Iterable[Mapping[str, Any]], table: str) -> Mapping[str, Any] | None:
    """The ``/tables`` row of ``table`` (case-insensitive), or None.

    Example
    -------
    >>> listing_entry([{"id": "FOLK1A", "active": True}], "folk1a")["active"]
    True
    """
    want = table.upper()
    return next((t for t in tables if str(t.get("id", "")).upper() == want), None)


def newest_projection(tables: Iterable[Mapping[str, Any]]) -> str:
    """The newest *active* municipal projection table (highest ``FRKM1yy`` with ``active`` true).

    Example
    -------
    >>> newest_projection([{"id": "FRKM124", "active": False}, {"id": "FRKM125", "active": True},
    ...                    {"id": "FRKM199", "active": False}])
    'FRKM125'
    """
    ids = sorted(str(t.get("id", "")).upper() for t in tables
                 if PROJECTION_RE.match(str(t.get("id", "")).upper()) and t.get("active", True) is True)
    if not ids:
        raise StatBankError("Statistikbanken har ingen aktiv tabel med kommunale befolkningsfremskrivninger "
                            "(FRKM1xx) – prøv igen senere, eller hent fremskrivningen som fil på statistikbanken.dk "
                            "og indlæs den med `klyngedata data import FIL`.", endpoint="tables",
                            problem="no active table matching FRKM1yy in /tables")
    return ids[-1]


def variable(info: Mapping[str, Any], var_id: str) -> Mapping[str, Any]:
    """The variable ``var_id`` of a tableinfo (case-insensitive).

    Example
    -------
    >>> variable({"variables": [{"id": "Tid"}]}, "TID")["id"]
    'Tid'
    """
    for v in info.get("variables", []):
        if str(v.get("id", "")).upper() == var_id.upper():
            return v
    names = [v.get("id") for v in info.get("variables", [])]
    raise StatBankError(f"Tabel {info.get('id')} i Statistikbanken har ikke variablen {var_id} (den har "
                        f"{', '.join(map(str, names))}) – tabellen er lagt om; opdatér klyngedata.",
                        table=info.get("id"), endpoint="tableinfo", problem=f"variable {var_id} not in {names}")


def is_total(value: Mapping[str, Any]) -> bool:
    """Whether a variable value is its total (``TOT``/``IALT`` or the text "I alt"/"Alder i alt").

    Example
    -------
    >>> is_total({"id": "IALT", "text": "Alder i alt"}), is_total({"id": "1", "text": "Mænd"})
    (True, False)
    """
    return vocabulary_is_total(value.get("id"), value.get("text"))


def total_code(info: Mapping[str, Any], var_id: str) -> str | None:
    """The total value id of a variable (``TOT``/``IALT``), or None if the variable has no total.

    Example
    -------
    >>> total_code({"variables": [{"id": "ALDER", "values": [{"id": "IALT", "text": "Alder i alt"}]}]}, "ALDER")
    'IALT'
    """
    for value in variable(info, var_id).get("values", []):
        if is_total(value):
            return str(value["id"])
    return None


def time_values(info: Mapping[str, Any], spec: object = None) -> list[str]:
    """All period ids of a table, as listed by ``/tableinfo``.

    Example
    -------
    >>> time_values({"variables": [{"id": "Tid", "time": True, "values": [{"id": "2024K1"}]}]})
    ['2024K1']
    """
    for v in info.get("variables", []):
        if v.get("time") or str(v.get("id", "")).lower() == "tid":
            return [str(x["id"]) for x in v.get("values", [])]
    raise StatBankError(f"Tabel {info.get('id')} i Statistikbanken har ingen tidsvariabel – tabellen er lagt om; "
                        "opdatér klyngedata.", table=info.get("id"), endpoint="tableinfo",
                        problem="no time variable in tableinfo")
