"""Fetching a health table from StatBank into the tidy schema of :mod:`klyngedata.dst.health_parse`.

``/tables`` (is the table listed and active?) → ``/tableinfo`` → :func:`~klyngedata.dst.health_resolve.resolve`
(or the Danish refusal when the table's shape changed, before any data is asked for) → ``/data`` in the
streaming ``BULK`` format with every variable selected explicitly (BULK needs that; no ``timeOrder``), in chunks
of periods of at most :data:`CHUNK_CELLS` cells so that progress can be reported → each answer read exactly →
the cells BULK leaves out added (0 in a count table, missing with a reason in a rate table) → ``sum`` variables
summed, derived totals added where the catalogue asks (FODIE).

Example
-------
Needs the network (Statistics Denmark's API); not run as a doctest.
>>> fetch_health_table("FOD207", periods="latest")  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from klyngedata import vocabulary
from klyngedata.dst.client import StatBankClient, StatBankError
from klyngedata.dst.health_parse import ABSENT_REASON, SUM_REASON, describe_rows, finish, read_answer
from klyngedata.dst.health_resolve import Resolution, resolve
from klyngedata.dst.health_tables import table as catalogue_table
from klyngedata.dst.metadata import footnote_text, parse_updated
from klyngedata.dst.tables import check_listed

CHUNK_CELLS = 250_000
"""Cells asked for per ``/data`` request (BULK has no cell limit; the chunks are for progress and memory)."""


def sort_periods(codes: Sequence[str]) -> list[str]:
    """StatBank period codes in time order.

    >>> sort_periods(["2024", "2006", "2010"]), sort_periods(["2020:2024", "2000:2004"])
    (['2006', '2010', '2024'], ['2000:2004', '2020:2024'])
    """
    return sorted(set(codes), key=lambda c: vocabulary.parse_period(c).start_time)


def _wanted(all_periods: list[str], periods: Sequence[str] | str | None, table: str) -> list[str]:
    if periods is None or periods == "all":
        return all_periods
    if periods == "latest":
        return all_periods[-1:]
    wanted = [periods] if isinstance(periods, str) else list(periods)
    unknown = [p for p in wanted if p not in all_periods]
    if unknown:
        raise StatBankError(f"Statistikbanken har ikke offentliggjort {', '.join(unknown)} i tabel {table} (den har "
                            f"{all_periods[0]} til {all_periods[-1]}) – vælg en af de perioder.", table=table,
                            endpoint="tableinfo", problem=f"periods {unknown} not in tableinfo")
    return wanted


def _age_key(meaning: Any) -> tuple[int, int, bool]:
    if meaning is None:
        return -1, -1, True
    return meaning.lo, -1 if meaning.hi is None else meaning.hi, False


def complete_grid(frame: pd.DataFrame, res: Resolution, periods: Sequence[str]) -> pd.DataFrame:
    """Add the cells of the selection that a BULK answer left out: 0 in a count table (BULK leaves out cells
    that are 0), missing with a Danish reason in a rate table.

    Example
    -------
    >>> from klyngedata.dst.health_parse import read_answer
    >>> from klyngedata.dst.health_resolve import resolve
    >>> from klyngedata.dst.health_tables import table
    >>> INFO = {"id": "FOD207", "variables": [  # constructed example, shaped like a /tableinfo answer
    ...     {"id": "OMRÅDE", "text": "område", "values": [{"id": "851", "text": "Aalborg"}]},
    ...     {"id": "ALDER", "text": "alder", "values": [{"id": "IALT", "text": "Alder i alt"},
    ...                                                 {"id": "0", "text": "0 år"}]},
    ...     {"id": "KØN", "text": "køn", "values": [{"id": "TOT", "text": "I alt"}]},
    ...     {"id": "Tid", "text": "tid", "time": True, "values": [{"id": "2024", "text": "2024"}]}]}
    >>> res = resolve(table("FOD207"), INFO)
    >>> answer = read_answer("OMRÅDE;ALDER;KØN;TID;INDHOLD\\n851 Aalborg;IALT Alder i alt;TOT I alt;2024 2024;4\\n"
    ...                      .encode(), res, file="constructed BULK answer without the age-0 cell")
    >>> complete_grid(answer, res, ["2024"])[["age_total", "value"]].values.tolist()
    [[True, 4], [False, 0]]
    """
    parts: dict[str, list] = {}
    for col in res.columns:
        if col.role == "area":
            parts["area"] = [m for _, _, m in col.values]
        elif col.role == "sex":
            parts["sex"] = list(dict.fromkeys(m for _, _, m in col.values))
        elif col.role == "age":
            parts["age"] = list(dict.fromkeys(_age_key(m) for _, _, m in col.values))
        elif col.role == "measure":
            parts["measure"] = list(dict.fromkeys(m for _, _, m in col.values))
    t = res.table
    parts.setdefault("sex", ["total"])
    parts.setdefault("age", [(-1, -1, True)])
    parts.setdefault("measure", [t.content.key if t.content else None])
    parts["period"] = [vocabulary.period_code(p) for p in periods]
    dims = [parts["area"], parts["sex"], parts["age"], parts["measure"], parts["period"]]
    sizes = [len(d) for d in dims]
    if len(frame) == math.prod(sizes):
        return frame
    ages = [f"{lo}:{hi}:{tot}" for lo, hi, tot in dims[2]]
    have_ages = (frame["age_lo"].fillna(-1).astype("int64").astype(str) + ":"
                 + frame["age_hi"].fillna(-1).astype("int64").astype(str) + ":" + frame["age_total"].astype(str))
    codes = [pd.Index([a[1] for a in dims[0]]).get_indexer(frame["area_code"].astype(object)),
             pd.Index(dims[1]).get_indexer(frame["sex"].astype(object)), pd.Index(ages).get_indexer(have_ages),
             pd.Index(dims[3]).get_indexer(frame["measure"].astype(object)),
             pd.Index(dims[4]).get_indexer(frame["period"].astype(object))]
    if any((c < 0).any() for c in codes):  # cannot happen: every row of an answer is a cell of its selection
        raise ValueError("a row of the answer is not a cell of the selection")
    present = np.zeros(math.prod(sizes), dtype=bool)
    present[np.ravel_multi_index(codes, sizes)] = True
    idx = np.unravel_index(np.flatnonzero(~present), sizes)  # the cells BULK left out

    def column(dim: int, pick=lambda x: x, dtype: Any = object) -> np.ndarray:
        return np.array([pick(x) for x in dims[dim]], dtype=dtype)[idx[dim]]

    absent = pd.DataFrame({"area_level": column(0, lambda a: a[0]), "area_code": column(0, lambda a: a[1]),
                           "sex": column(1), "age_lo": column(2, lambda a: a[0], np.int64),
                           "age_hi": column(2, lambda a: a[1], np.int64),
                           "age_total": column(2, lambda a: a[2], bool), "measure": column(3), "period": column(4)})
    if t.value == "count":
        absent["value"], absent["reason_da"] = pd.array(np.zeros(len(absent), dtype=np.int64), dtype="Int64"), None
    else:
        absent["value"] = pd.array([None] * len(absent), dtype="Float64")
        absent["reason_da"] = ABSENT_REASON
    absent = finish(describe_rows(absent, res))
    return finish(pd.concat([frame, absent], ignore_index=True))


def _sum_of_parts(frame: pd.DataFrame, over: str) -> pd.DataFrame:
    """Rows of the total of ``over`` (``"sex"`` or ``"age"``) as sums of its parts; one missing part makes the
    sum missing (never a partial sum)."""
    keys = [k for k in ("area_level", "area_code", "sex", "age_lo", "age_hi", "age_total", "measure", "period",
                        "table", "measure_code", "measure_da") if k not in
            ({"sex"} if over == "sex" else {"age_lo", "age_hi", "age_total"})]
    parts = frame[frame["sex"].isin(["male", "female"])] if over == "sex" else frame[~frame["age_total"]]
    g = parts.assign(_na=parts["value"].isna()).groupby(keys, sort=False, dropna=False)
    out = g["value"].sum(min_count=1).to_frame()
    out["_na"] = g["_na"].any()
    out["_n"] = g.size()
    out = out.reset_index()
    if over == "sex":
        out = out[out["_n"] == 2].assign(sex="total")
    else:
        out = out.assign(age_lo=-1, age_hi=-1, age_total=True)
    out["value"] = out["value"].astype(frame["value"].dtype).mask(out["_na"].to_numpy())
    out["reason_da"] = np.where(out["_na"], SUM_REASON, None)
    out["municipality_code"] = out["area_code"].where(out["area_level"] == "municipality")
    return finish(out)


def _disjoint(frame: pd.DataFrame) -> bool:
    bands = sorted({(int(lo), -1 if pd.isna(hi) else int(hi)) for lo, hi, tot in
                    zip(frame["age_lo"], frame["age_hi"], frame["age_total"], strict=True) if not tot})
    ends = [math.inf if hi < 0 else hi for _, hi in bands]
    return all(lo > end for (lo, _), end in zip(bands[1:], ends[:-1], strict=True))


def derive_totals(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Add the both-sexes rows and the all-ages rows a table lacks, as sums of their parts (the age total only
    when the table's age bands do not overlap). Returns the frame and what was derived.

    Example
    -------
    >>> from klyngedata.dst.health_parse import finish
    >>> parts = finish(pd.DataFrame({  # constructed example: births by the child's sex and the mother's age
    ...     "table": "FODIE", "area_level": "municipality", "area_code": "0851", "municipality_code": "0851",
    ...     "sex": ["male", "female", "male", "female"], "age_lo": [20, 20, 21, 21], "age_hi": [20, 20, 21, 21],
    ...     "age_total": False, "measure": "live_births", "measure_code": None, "measure_da": "Levendefødte",
    ...     "period": "2024", "value": pd.array([3, 4, 5, None], dtype="Int64"), "reason_da": None}))
    >>> out, derived = derive_totals(parts)
    >>> derived, out[out["sex"] == "total"]["value"].tolist()
    (['sex', 'age'], [7, <NA>, <NA>])
    >>> totals = out[out["age_total"]]
    >>> list(zip(totals["sex"], totals["value"].tolist(), strict=True))
    [('male', 8), ('female', <NA>), ('total', <NA>)]
    """
    derived = []
    if not (frame["sex"] == "total").any() and frame["sex"].isin(["male", "female"]).any():
        frame = pd.concat([frame, _sum_of_parts(frame, "sex")], ignore_index=True)
        derived.append("sex")
    if not frame["age_total"].any() and len(frame) and _disjoint(frame):
        frame = pd.concat([frame, _sum_of_parts(frame, "age")], ignore_index=True)
        derived.append("age")
    return finish(frame), derived


def _chunks(periods: list[str], res: Resolution) -> list[list[str]]:
    per_period = math.prod(len(c.select) for c in res.columns if c.role != "time")
    size = max(1, CHUNK_CELLS // max(1, per_period))
    return [periods[i:i + size] for i in range(0, len(periods), size)] or [[]]


def fetch_health_table(table_id: str, client: StatBankClient | None = None, *,
                       periods: Sequence[str] | str | None = None,
                       progress: Callable[[int, int], None] | None = None,
                       listing: Sequence[Mapping[str, Any]] | None = None,
                       info: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Fetch a catalogue table (see the module docstring). ``periods``: None/``"all"``, ``"latest"`` or a list
    of period ids; ``progress(done, total)`` after each chunk; ``listing`` / ``info``: a ``/tables`` or
    ``/tableinfo`` answer already fetched. ``attrs["provenance"]``: ``table``, ``title``, ``unit``,
    ``updated`` (Danish local time made explicit), ``fetched_at``, ``source``, ``footnote``, ``periods``,
    ``measures`` (key → [value id, text]), ``missing_optional``, ``left_out``, ``shape``, ``derived_totals``.

    Example
    -------
    Needs the network (Statistics Denmark's API); not run as a doctest.
    >>> fetch_health_table("HISBK", periods="latest")  # doctest: +SKIP
    """
    spec = catalogue_table(table_id)
    client = client or StatBankClient()
    listing = listing if listing is not None else client.tables()
    entry = check_listed(listing, spec.id)
    info = info if info is not None else client.tableinfo(spec.id)
    res = resolve(spec, info)
    time_col = res.column("time")
    wanted = _wanted([vid for vid, _, _ in time_col.values], periods, spec.id)  # type: ignore[union-attr]
    fetched_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    frames = []
    chunks = _chunks(wanted, res)
    for i, chunk in enumerate(chunks, 1):
        selection = {c.id: (list(chunk) if c.role == "time" else c.select) for c in res.columns}
        raw = client.data(spec.id, selection, format="BULK", value_presentation="CodeAndValue")
        answer = f"{client.base_url}/data {spec.id} {chunk[0]}..{chunk[-1]}"
        frames.append(complete_grid(read_answer(raw, res, file=answer), res,
                                    [vocabulary.parse_period(p) for p in chunk]))
        if progress is not None:
            progress(i, len(chunks))
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    derived: list[str] = []
    if spec.derive_totals:
        out, derived = derive_totals(out)
    updated = parse_updated(info.get("updated") or entry.get("updated"))
    out.attrs["provenance"] = {
        "table": spec.id, "title": info.get("text") or spec.title_da, "unit": info.get("unit"),
        "value": spec.value, "presentation": "CodeAndValue", "fetched_at": fetched_at,
        "source": f"Statistics Denmark StatBank API {client.base_url}, table {spec.id}",
        "updated": updated.isoformat() if updated else None, "footnote": footnote_text(info),
        "periods": sort_periods(out["period"].unique().tolist()),
        "measures": {k: list(v) for k, v in res.measures.items()}, "missing_optional": res.missing_optional,
        "left_out": res.left_out, "shape": res.shape, "derived_totals": derived,
    }
    return out
