"""StatBank population tables used by klyngedata, and how to fetch them into the tidy schema.

* ``FOLK1A`` – population on the first day of the quarter by OMRÅDE, KØN, ALDER, CIVILSTAND, Tid
  (2008K1 onwards). Total codes: ``TOT`` (KØN, CIVILSTAND), ``IALT`` (ALDER).
* ``FOLK1AM`` – the same by month (OMRÅDE, KØN, ALDER, Tid).
* ``FRKM1yy`` – the municipal population projection of year 20yy (KOMMUNEDK, KØN, ALDER, Tid = years).
  The id is resolved at run time from ``/tables`` (the highest ``^FRKM1\\d\\d$`` listed as *active*) because
  Statistics Denmark replaces the table every spring. It has **no both-sexes total**: both sexes are fetched and
  added (:func:`klyngedata.dst.totals.complete_totals`). ALDER has an open top group (``100-``).

Total codes are never hard-coded blindly: the selection is built from ``/tableinfo`` (value ids
``TOT``/``IALT`` or texts "I alt"/"Alder i alt"). Data are pulled in the streaming ``BULK`` format
(all variables selected, as BULK requires) in chunks of periods, so a progress bar can follow.

Example
-------
Needs the network (Statistics Denmark's API); not run as a doctest.
>>> from klyngedata.dst.tables import fetch_table  # doctest: +SKIP
>>> df = fetch_table("FOLK1A", periods=["2024K1"])  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from klyngedata.dst.checks import check_complete_answer
from klyngedata.dst.client import StatBankClient, StatBankError
from klyngedata.dst.metadata import (  # noqa: F401  (total_code, time_values: part of this module's API)
    PROJECTION_RE,
    footnote_text,
    listing_entry,
    newest_projection,
    parse_updated,
    time_values,
    total_code,
)
from klyngedata.dst.parse import parse_statbank_csv
from klyngedata.exceptions import DstApiError
from klyngedata.vocabulary import period_code


@dataclass(frozen=True)
class TableSpec:
    """How a population table is selected: area variable, time frequency, variables to fix at their total."""

    id: str
    area_var: str
    freq: str
    sex_var: str = "KØN"
    age_var: str = "ALDER"
    time_var: str = "Tid"
    fixed_to_total: tuple[str, ...] = field(default_factory=tuple)
    projection: bool = False


FOLK1A = TableSpec("FOLK1A", "OMRÅDE", "Q", fixed_to_total=("CIVILSTAND",))
FOLK1AM = TableSpec("FOLK1AM", "OMRÅDE", "M")
FRKM = TableSpec("FRKM", "KOMMUNEDK", "Y", projection=True)
SPECS = {"FOLK1A": FOLK1A, "FOLK1AM": FOLK1AM, "FRKM": FRKM}


def spec_for(table: str) -> TableSpec:
    """The :class:`TableSpec` of ``table`` (``FRKM1yy`` ids share the FRKM spec).

    Example
    -------
    >>> spec_for("FRKM126").area_var
    'KOMMUNEDK'
    """
    t = table.upper()
    if t in SPECS:
        return SPECS[t]
    if PROJECTION_RE.match(t):
        return TableSpec(t, FRKM.area_var, FRKM.freq, projection=True)
    raise DstApiError(f"table {table}: not a population table klyngedata knows (FOLK1A, FOLK1AM, FRKM1yy)")


def resolve_projection_table(client: StatBankClient | None = None,
                             listing: Sequence[Mapping[str, Any]] | None = None) -> str:
    """The id of the newest *active* municipal projection table (highest ``FRKM1yy`` in ``/tables``).

    Example
    -------
    Needs the network (Statistics Denmark's API); not run as a doctest.
    >>> resolve_projection_table()  # doctest: +SKIP
    'FRKM125'
    """
    return newest_projection(listing if listing is not None else (client or StatBankClient()).tables())


def build_selection(info: dict, spec: TableSpec, *, by_sex_age: bool = True,
                    periods: Sequence[str] | None = None) -> dict[str, list[str]]:
    """The ``variables`` of a ``/data`` request: every variable selected explicitly (BULK needs that).

    Example
    -------
    >>> INFO = {"id": "FOLK1AM", "variables": [
    ...   {"id": "OMRÅDE", "values": [{"id": "000", "text": "Hele landet"}]},
    ...   {"id": "KØN", "values": [{"id": "TOT", "text": "I alt"}, {"id": "1", "text": "Mænd"}]},
    ...   {"id": "ALDER", "values": [{"id": "IALT", "text": "Alder i alt"}, {"id": "0", "text": "0 år"}]},
    ...   {"id": "Tid", "time": True, "values": [{"id": "2024M01", "text": "2024M01"}]}]}
    >>> build_selection(INFO, FOLK1AM, by_sex_age=False)
    {'OMRÅDE': ['*'], 'KØN': ['TOT'], 'ALDER': ['IALT'], 'Tid': ['*']}
    """
    sel: dict[str, list[str]] = {}
    for v in info.get("variables", []):
        vid = str(v["id"])
        up = vid.upper()
        if up == spec.area_var.upper():
            sel[vid] = ["*"]
        elif up in (spec.sex_var.upper(), spec.age_var.upper()):
            tot = total_code(info, vid)
            if by_sex_age or tot is None:  # FRKM: no both-sexes total -> fetch each sex and add
                sel[vid] = ["*"]
            else:
                sel[vid] = [tot]
        elif v.get("time") or up == spec.time_var.upper():
            sel[vid] = list(periods) if periods else ["*"]
        else:
            tot = total_code(info, vid)
            if tot is None:
                raise StatBankError(f"Variablen {vid} i tabel {info.get('id')} har ingen total (I alt), så klyngedata "
                                    "kan ikke vælge den – tabellen er lagt om; opdatér klyngedata.",
                                    table=info.get("id"), endpoint="tableinfo", request={"table": info.get("id")},
                                    problem=f"variable {vid} has no total value")
            sel[vid] = [tot]
    return sel


def _chunks(values: list[str], size: int) -> list[list[str]]:
    return [values[i:i + size] for i in range(0, len(values), size)] or [[]]


def check_listed(listing: Sequence[Mapping[str, Any]], table_id: str) -> Mapping[str, Any]:
    """The ``/tables`` row of ``table_id``; refuses a table that is not listed or not active.

    Example
    -------
    >>> check_listed([{"id": "FOLK1A", "active": True}], "FOLK1A")["id"]
    'FOLK1A'
    """
    entry = listing_entry(listing, table_id)
    if entry is None or entry.get("active", True) is not True:
        state = "findes ikke" if entry is None else "er ikke længere aktiv"
        raise StatBankError(f"Tabel {table_id} {state} i Statistikbankens tabeloversigt – Danmarks Statistik kan have "
                            "erstattet den; opdatér klyngedata, eller hent tallene som fil på statistikbanken.dk og "
                            "indlæs dem med `klyngedata data import FIL`.", table=table_id, endpoint="tables",
                            problem="not listed" if entry is None else "listed as inactive")
    return entry


def fetch_table(table: str, client: StatBankClient | None = None, *, periods: Sequence[str] | str | None = None,
                by_sex_age: bool = True, chunk_size: int = 8,
                progress: Callable[[int, int], None] | None = None,
                listing: Sequence[Mapping[str, Any]] | None = None) -> pd.DataFrame:
    """Fetch a population table (``FOLK1A``, ``FOLK1AM``, ``FRKM1yy`` or ``"FRKM"`` = newest active projection)
    into the tidy schema of :mod:`klyngedata.sources`: ``/tables`` (is the table listed and active?) ->
    ``/tableinfo`` (variables, periods, totals) -> ``/data`` in BULK, in chunks of ``chunk_size`` periods.

    ``periods``: None/``"all"`` for every period, ``"latest"`` for the newest one, or a list of period ids.
    ``progress(done, total)`` is called after each chunk. ``listing`` is a ``/tables`` answer already fetched.
    Each answer is checked before it is accepted (:func:`klyngedata.dst.checks.check_complete_answer`).
    ``attrs["provenance"]`` names the table, ``fetched_at``, ``updated`` (Danish local time made explicit,
    e.g. ``2025-08-11T08:00:00+02:00``) and the table's ``footnote``.

    Example
    -------
    Needs the network (Statistics Denmark's API); not run as a doctest.
    >>> fetch_table("FOLK1A", periods="latest", by_sex_age=False)  # doctest: +SKIP
    """
    from klyngedata.dst.totals import complete_totals

    client = client or StatBankClient()
    listing = listing if listing is not None else client.tables()
    table_id = newest_projection(listing) if table.upper() == "FRKM" else table.upper()
    spec = spec_for(table_id)
    entry = check_listed(listing, table_id)
    info = client.tableinfo(table_id)
    all_periods = time_values(info, spec)
    if periods is None or periods == "all":
        wanted = all_periods
    elif periods == "latest":
        wanted = all_periods[-1:]
    else:
        wanted = [periods] if isinstance(periods, str) else list(periods)
        unknown = [p for p in wanted if p not in all_periods]
        if unknown:
            raise StatBankError(f"Statistikbanken har ikke offentliggjort {', '.join(unknown)} i tabel {table_id} "
                                f"(den har {all_periods[0]} til {all_periods[-1]}) – vælg en af de perioder.",
                                table=table_id, endpoint="tableinfo", request={"table": table_id},
                                problem=f"periods {unknown} not in tableinfo")
    fetched_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    frames = []
    chunks = _chunks(wanted, chunk_size)
    for i, chunk in enumerate(chunks, 1):
        sel = build_selection(info, spec, by_sex_age=by_sex_age, periods=chunk)
        raw = client.data(table_id, sel, format="BULK", value_presentation="CodeAndValue")
        answer = f"{client.base_url}/data {table_id} {chunk[0]}..{chunk[-1]}"
        frame = parse_statbank_csv(raw, table=table_id, file=answer)
        if not spec.projection:  # projections are rounded per cell: their totals need not add up
            check_complete_answer(frame, answer, periods=chunk)
        frames.append(frame)
        if progress is not None:
            progress(i, len(chunks))
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if total_code(info, spec.sex_var) is None:  # FRKM: no both-sexes total -> add male + female
        out = complete_totals(out)
    updated = parse_updated(info.get("updated") or entry.get("updated"))
    out.attrs["provenance"] = {
        "table": table_id,
        "presentation": "CodeAndValue",
        "fetched_at": fetched_at,
        "source": f"Statistics Denmark StatBank API {client.base_url}, table {table_id}",
        "updated": updated.isoformat() if updated else None,
        "footnote": footnote_text(info),
        "periods": sorted({period_code(p) for p in out["period"].unique()}),
        "by_sex_age": by_sex_age,
    }
    return out


def latest_published_period(table: str, client: StatBankClient | None = None) -> str:
    """The newest period id that StatBank lists for ``table``.

    Example
    -------
    Needs the network (Statistics Denmark's API); not run as a doctest.
    >>> latest_published_period("FOLK1A")  # doctest: +SKIP
    '2026K3'
    """
    client = client or StatBankClient()
    return time_values(client.tableinfo(table))[-1]
