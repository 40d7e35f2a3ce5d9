"""StatBank population tables used by klyngedata, and how to fetch them into the tidy schema.

* ``FOLK1A`` – population on the first day of the quarter by OMRÅDE, KØN, ALDER, CIVILSTAND, Tid
  (2008K1 onwards). Total codes: ``TOT`` (KØN, CIVILSTAND), ``IALT`` (ALDER).
* ``FOLK1AM`` – the same by month (OMRÅDE, KØN, ALDER, Tid).
* ``FRKM1yy`` – the municipal population projection of year 20yy (KOMMUNEDK, KØN, ALDER, Tid = years).
  The id is resolved at run time from ``/tables`` (the highest ``^FRKM1\\d\\d$``) because Statistics
  Denmark replaces the table every spring. It has **no both-sexes total**: both sexes are fetched and
  added (:func:`klyngedata.sources.complete_totals`). ALDER has an open top group (``100-``).

Total codes are never hard-coded blindly: the selection is built from ``/tableinfo`` (value ids
``TOT``/``IALT`` or texts "I alt"/"Alder i alt"). Data are pulled in the streaming ``BULK`` format
(all variables selected, as BULK requires) in chunks of periods, so a progress bar can follow.

Example
-------
>>> from klyngedata.dst.tables import fetch_table  # doctest: +SKIP
>>> df = fetch_table("FOLK1A", periods=["2024K1"])  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from klyngedata.dst.client import StatBankClient, StatBankError
from klyngedata.exceptions import DstApiError

PROJECTION_RE = re.compile(r"^FRKM1\d\d$")
_TOTAL_IDS = {"TOT", "IALT", "I ALT"}
_TOTAL_TEXTS = {"i alt", "alder i alt", "total", "age, total", "køn i alt"}


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


def resolve_projection_table(client: StatBankClient | None = None) -> str:
    """The id of the newest municipal projection table (highest ``FRKM1yy`` in ``/tables``).

    Example
    -------
    >>> resolve_projection_table()  # doctest: +SKIP
    'FRKM126'
    """
    client = client or StatBankClient()
    ids = sorted(i for i in {str(t.get("id", "")).upper() for t in client.tables()} if PROJECTION_RE.match(i))
    if not ids:
        raise StatBankError("no table matching FRKM1yy in /tables", endpoint="tables",
                            request={"format": "JSON"})
    return ids[-1]


def _variable(info: dict, var_id: str) -> dict:
    for v in info.get("variables", []):
        if str(v.get("id", "")).upper() == var_id.upper():
            return v
    names = [v.get("id") for v in info.get("variables", [])]
    raise StatBankError(f"variable {var_id} not in tableinfo (variables: {names})", table=info.get("id"),
                        endpoint="tableinfo", request={"table": info.get("id")})


def _is_total(value: dict) -> bool:
    return str(value.get("id", "")).upper() in _TOTAL_IDS or str(value.get("text", "")).strip().lower() in _TOTAL_TEXTS


def total_code(info: dict, var_id: str) -> str | None:
    """The total value id of a variable (``TOT``/``IALT``), or None if the variable has no total.

    Example
    -------
    >>> total_code({"variables": [{"id": "ALDER", "values": [{"id": "IALT", "text": "Alder i alt"}]}]}, "ALDER")
    'IALT'
    """
    for value in _variable(info, var_id).get("values", []):
        if _is_total(value):
            return str(value["id"])
    return None


def time_values(info: dict, spec: TableSpec | None = None) -> list[str]:
    """All period ids of a table, as listed by ``/tableinfo``.

    Example
    -------
    >>> time_values({"variables": [{"id": "Tid", "time": True, "values": [{"id": "2024K1"}]}]})
    ['2024K1']
    """
    for v in info.get("variables", []):
        if v.get("time") or str(v.get("id", "")).lower() == "tid":
            return [str(x["id"]) for x in v.get("values", [])]
    raise StatBankError("no time variable in tableinfo", table=info.get("id"), endpoint="tableinfo",
                        request={"table": info.get("id")})


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
    {'OMRÅDE': ['*'], 'KØN': ['TOT'], 'ALDER': ['IALT'], 'Tid': ['2024M01']}
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
                raise StatBankError(f"variable {vid} has no total value; cannot select it", table=info.get("id"),
                                    endpoint="tableinfo", request={"table": info.get("id")})
            sel[vid] = [tot]
    return sel


def _chunks(values: list[str], size: int) -> list[list[str]]:
    return [values[i:i + size] for i in range(0, len(values), size)] or [[]]


def fetch_table(table: str, client: StatBankClient | None = None, *, periods: Sequence[str] | str | None = None,
                by_sex_age: bool = True, chunk_size: int = 8,
                progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Fetch a population table (``FOLK1A``, ``FOLK1AM``, ``FRKM1yy`` or ``"FRKM"`` = newest projection)
    into the tidy schema of :mod:`klyngedata.sources`.

    ``periods``: None/``"all"`` for every period, ``"latest"`` for the newest one, or a list of period ids.
    ``progress(done, total)`` is called after each chunk of periods.

    Example
    -------
    >>> fetch_table("FOLK1A", periods="latest", by_sex_age=False)  # doctest: +SKIP
    """
    from klyngedata.sources import complete_totals, format_period, parse_statbank_csv

    client = client or StatBankClient()
    table_id = resolve_projection_table(client) if table.upper() == "FRKM" else table.upper()
    spec = spec_for(table_id)
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
            raise StatBankError(f"periods {unknown} not published (available {all_periods[0]}..{all_periods[-1]})",
                                table=table_id, endpoint="tableinfo", request={"table": table_id})
    fetched_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    frames = []
    chunks = _chunks(wanted, chunk_size)
    for i, chunk in enumerate(chunks, 1):
        sel = build_selection(info, spec, by_sex_age=by_sex_age, periods=chunk)
        raw = client.data(table_id, sel, format="BULK", value_presentation="CodeAndValue")
        frame = parse_statbank_csv(raw, table=table_id, file=f"{client.base_url}/data {table_id} {chunk[0]}..")
        frames.append(frame)
        if progress is not None:
            progress(i, len(chunks))
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    out = complete_totals(out)
    out.attrs["provenance"] = {
        "table": table_id,
        "presentation": "CodeAndValue",
        "fetched_at": fetched_at,
        "source": f"Statistics Denmark StatBank API {client.base_url}, table {table_id}",
        "updated": info.get("updated"),
        "periods": sorted({format_period(p) for p in out["period"].unique()}),
        "by_sex_age": by_sex_age,
    }
    return out


def latest_published_period(table: str, client: StatBankClient | None = None) -> str:
    """The newest period id that StatBank lists for ``table``.

    Example
    -------
    >>> latest_published_period("FOLK1A")  # doctest: +SKIP
    '2026K3'
    """
    client = client or StatBankClient()
    return time_values(client.tableinfo(table))[-1]
