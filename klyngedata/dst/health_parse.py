"""StatBank health tables as one tidy long frame: ``/data`` answers and CSV exports, read exactly or refused.

Schema (every health table, fetched or imported; :data:`COLUMNS`, one row per cell)
----------------------------------------------------------------------------------
=====================  =========  ==================================================================
column                 dtype      meaning
=====================  =========  ==================================================================
``table``              string     StatBank table id (``FOD207``)
``area_level``         string     ``country``, ``region`` or ``municipality``
``area_code``          string     ``DK``, region code ``1081``…``1085``, municipality code ``0851``
``municipality_code``  string     ``area_code`` for municipalities, else NA
``sex``                string     ``total``, ``male``, ``female`` (FODIE: the child's sex)
``age_lo``             Int64      first year of the age band (NA when ``age_total``)
``age_hi``             Int64      last year of the band, inclusive; NA for an open band (``85+``) and the total
``age_total``          bool       True for all ages (a table without an age variable: every row)
``measure``            string     klyngedata's key of the figure (``deaths``, ``gp``, ``stay_12h_plus``; see
                                  :mod:`klyngedata.dst.health_tables`)
``measure_code``       string     the StatBank value id of the measure (NA for a table without a measure
                                  variable)
``measure_da``         string     the measure as the table writes it in Danish (else the catalogue's label)
``period``             string     StatBank period code: ``2024``, ``2024K1``, ``2020:2024`` (a 5-year window)
``value``              Int64 or   counts (``Int64``) or rates, shares and life expectancy (``Float64``), as the
                       Float64    catalogue's ``value`` says; NA where Statistics Denmark wrote ``..``
``reason_da``          string     Danish reason a value is missing, NA otherwise
=====================  =========  ==================================================================

Ages are read as the table writes them (single years, 5-year and irregular bands, ``Under 65 år``, ``90 år og
derover``, totals) through :mod:`klyngedata.vocabulary`; a table's rows may hold overlapping bands (AED06 has
``67-69`` and ``67 år og derover``): use :func:`klyngedata.vocabulary.compose` to build groups. The key of a
row is :data:`KEY`. In a fetched count table every selected cell is present: the BULK format leaves out cells
that are 0 (recorded), so they are added with value 0; in a rate table an absent cell is missing with a reason.

Example
-------
>>> from klyngedata.dst.health_tables import table
>>> CONSTRUCTED = "OMRÅDE;ALDER;KØN;TID;INDHOLD\\nAalborg;85 år og derover;Mænd;2024;..\\n".encode()
>>> df = read_export(CONSTRUCTED, table("FOD207"), file="constructed example")
>>> row = df.iloc[0]
>>> row["area_code"], int(row["age_lo"]), pd.isna(row["age_hi"]), row["sex"], row["period"], pd.isna(row["value"])
('0851', 85, True, 'male', '2024', True)
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from klyngedata import vocabulary
from klyngedata.dst.cells import read_records
from klyngedata.dst.health_resolve import Column, Resolution, check, meaning
from klyngedata.dst.health_tables import HEADERS, TABLES, HealthTable, Var
from klyngedata.exceptions import DataFormatError, LookupFailed

COLUMNS = ["table", "area_level", "area_code", "municipality_code", "sex", "age_lo", "age_hi", "age_total",
           "measure", "measure_code", "measure_da", "period", "value", "reason_da"]
KEY = ["area_code", "sex", "age_lo", "age_hi", "age_total", "measure", "period"]
VALUE_HEADERS = ("INDHOLD", "CONTENT", "VALUE")
MISSING_REASON = "Danmarks Statistik har ikke offentliggjort tallet (markeret '..' i kilden)"
ABSENT_REASON = "Statistikbanken har ikke tallet (cellen mangler i svaret)"
SUM_REASON = "Danmarks Statistik har ikke offentliggjort et af tallene i summen (markeret '..' i kilden)"
_STRING = ["table", "area_level", "area_code", "municipality_code", "sex", "measure", "measure_code", "measure_da",
           "period", "reason_da"]
_LEFT_OUT = object()


# ---------------------------------------------------------------------------------------------
# cells -> tidy rows
# ---------------------------------------------------------------------------------------------
def _map_column(series: pd.Series, col: Column, file: str, name: str) -> tuple[np.ndarray, list]:
    """``(codes, meanings)`` of a column: every distinct cell mapped through the column's values."""
    cells = col.cells()
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes, uniques = series.cat.codes.to_numpy(), list(series.cat.categories)
    else:
        codes, uniques = pd.factorize(series, sort=False)
    out = []
    for k, cell in enumerate(uniques):
        cell = str(cell).strip()
        if cell in cells:
            out.append(cells[cell])
        elif cell in col.left_out_cells:
            out.append(_LEFT_OUT)
        else:
            row = int(np.flatnonzero(codes == k)[0]) + 2
            raise DataFormatError(f"{file}, row {row}, column {name}: {cell!r} is not a value of the variable "
                                  f"{col.text} as the table describes it ({', '.join(col.labels[:6])} …)")
    return codes, out


def _rates(series: pd.Series, file: str, name: str) -> pd.Series:
    """Rates, shares and life expectancies through :func:`klyngedata.vocabulary.parse_rate` (a decimal comma or
    point; ``..`` missing), each distinct cell once; ``-`` (StatBank's nil) is 0."""
    codes, uniques = pd.factorize(series.astype(str).str.strip(), sort=False)
    parsed = np.zeros(len(uniques))
    missing = np.zeros(len(uniques), dtype=bool)
    for k, cell in enumerate(uniques):
        try:
            x = 0.0 if cell == vocabulary.ZERO_MARK else vocabulary.parse_rate(cell)
        except ValueError as exc:
            row = int(np.flatnonzero(codes == k)[0]) + 2
            raise DataFormatError(f"{file}, row {row}, column {name}: {exc}") from None
        missing[k], parsed[k] = x is None, 0.0 if x is None else x
    return pd.Series(pd.arrays.FloatingArray(parsed[codes], missing[codes]), index=series.index)


def _values(series: pd.Series, kind: str, file: str, name: str) -> pd.Series:
    if kind == "rate":
        return _rates(series, file, name)
    try:
        return vocabulary.parse_counts(series.astype(str))
    except vocabulary.CountError as exc:
        raise DataFormatError(f"{file}, row {exc.row + 2}, column {name}: {exc}") from None


def tidy(frame: pd.DataFrame, res: Resolution, columns: dict[str, Column], value_column: str,
         file: str) -> pd.DataFrame:
    """The tidy frame of ``frame``'s rows (``columns``: header → resolved column). Rows of areas or measures
    klyngedata leaves out are dropped; ``sum`` columns are summed over; a ``total`` column must be at its total."""
    n = len(frame)
    keep = np.ones(n, dtype=bool)
    data: dict[str, Any] = {"sex": np.full(n, "total", dtype=object), "age_lo": np.full(n, -1, dtype=np.int64),
                            "age_hi": np.full(n, -1, dtype=np.int64), "age_total": np.ones(n, dtype=bool)}
    measure = res.table.content.key if res.table.content else None
    data["measure"] = np.full(n, measure, dtype=object)
    sums = []
    for name, col in columns.items():
        codes, meanings = _map_column(frame[name], col, file, name)
        if col.role == "area":
            known = np.array([m is not _LEFT_OUT for m in meanings], dtype=bool)
            keep &= known[codes]
            data["area_level"] = np.array([m[0] if m is not _LEFT_OUT else None for m in meanings], object)[codes]
            data["area_code"] = np.array([m[1] if m is not _LEFT_OUT else None for m in meanings], object)[codes]
        elif col.role == "sex":
            data["sex"] = np.array(meanings, dtype=object)[codes]
        elif col.role == "age":
            data["age_lo"] = np.array([-1 if m is None else m.lo for m in meanings], dtype=np.int64)[codes]
            data["age_hi"] = np.array([-1 if m is None or m.hi is None else m.hi for m in meanings],
                                      dtype=np.int64)[codes]
            data["age_total"] = np.array([m is None for m in meanings], dtype=bool)[codes]
        elif col.role == "time":
            data["period"] = np.array([vocabulary.period_code(m) for m in meanings], dtype=object)[codes]
        elif col.role == "measure":
            wanted = np.array([m is not None for m in meanings], dtype=bool)
            keep &= wanted[codes]
            data["measure"] = np.array(meanings, dtype=object)[codes]
        elif col.role == "total":
            part = np.array([m != "total" for m in meanings], dtype=bool)[codes] & keep
            if part.any():
                i = int(np.flatnonzero(part)[0])
                raise DataFormatError(f"{file}, row {i + 2}, column {name}: {str(frame[name].iloc[i])!r} is not the "
                                      f"total of {col.text}; klyngedata reads this table with {col.text} held at its "
                                      "total (export it with »I alt« only)")
        else:  # sum: summed over below
            sums.append(codes)
    data["value"] = _values(frame[value_column], res.table.value, file, value_column).array
    out = pd.DataFrame({k: v for k, v in data.items()})
    out["_row"] = np.arange(n) + 2
    for j, codes in enumerate(sums):
        out[f"_sum{j}"] = codes
    out = out[keep].reset_index(drop=True)
    _check_unique(out, [*KEY, *[f"_sum{j}" for j in range(len(sums))]], file, list(columns))
    if sums:
        out = _sum_over(out, [f"_sum{j}" for j in range(len(sums))])
    return _finish(out, res)


def _check_unique(out: pd.DataFrame, key: list[str], file: str, names: list[str]) -> None:
    dup = out.duplicated(key, keep=False).to_numpy()
    if dup.any():
        rows = out.loc[dup, "_row"].head(2).tolist()
        first = out.loc[dup].iloc[0]
        raise DataFormatError(f"{file}, rows {rows[0]} and {rows[1]}, columns {', '.join(names)}: the same cell "
                              f"twice ({first['area_code']}, {first['sex']}, {_age_text(first)}, {first['measure']}, "
                              f"{first['period']})")


def _age_text(row: pd.Series) -> str:
    if row["age_total"]:
        return "all ages"
    return f"age {row['age_lo']}" + ("+" if row["age_hi"] < 0 else f"-{row['age_hi']}")


def _sum_over(out: pd.DataFrame, drop: list[str]) -> pd.DataFrame:
    """Sum ``value`` over the ``sum`` columns; one missing part makes the sum missing (never a partial sum)."""
    keys = [c for c in out.columns if c not in (*drop, "value", "_row")]
    g = out.groupby(keys, sort=False, dropna=False)
    summed = g["value"].sum(min_count=1)
    has_na = out.assign(_na=out["value"].isna()).groupby(keys, sort=False, dropna=False)["_na"].any()
    summed = summed.mask(has_na.to_numpy())
    res = summed.reset_index()
    res["_row"] = g["_row"].min().to_numpy()
    res["_summed"] = True
    return res


def describe_rows(out: pd.DataFrame, res: Resolution) -> pd.DataFrame:
    """Fill ``table``, ``municipality_code``, ``measure_code`` and ``measure_da`` from ``area_code`` and
    ``measure`` (in place; returns ``out``)."""
    t = res.table
    out["table"] = t.id
    out["municipality_code"] = out["area_code"].where(out["area_level"] == "municipality")
    codes = {k: v[0] for k, v in res.measures.items()}
    texts = {k: v[1] for k, v in res.measures.items()}
    labels = {m.key: m.label_da for m in t.measures} or {t.content.key: t.content.label_da}  # type: ignore[union-attr]
    out["measure_code"] = out["measure"].map(codes) if codes else pd.NA
    out["measure_da"] = out["measure"].map(lambda k: texts.get(k) or labels.get(k))
    return out


def _finish(out: pd.DataFrame, res: Resolution) -> pd.DataFrame:
    """Columns of :data:`COLUMNS` in their dtypes."""
    describe_rows(out, res)
    reason = SUM_REASON if "_summed" in out.columns else MISSING_REASON
    out["reason_da"] = np.where(pd.isna(out["value"]), reason, None)
    return finish(out)


def finish(out: pd.DataFrame) -> pd.DataFrame:
    """The frame in :data:`COLUMNS` order and dtypes (``age_lo``/``age_hi`` -1 → NA)."""
    out = out.copy()
    for c in ("age_lo", "age_hi"):
        a = out[c].astype("Int64")
        out[c] = a.mask(a < 0)
    out["age_total"] = out["age_total"].astype(bool)
    for c in _STRING:
        out[c] = out[c].astype("string")
    return out[COLUMNS].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# fetched answers
# ---------------------------------------------------------------------------------------------
def read_answer(raw: bytes, res: Resolution, *, file: str) -> pd.DataFrame:
    """A ``/data`` answer (CSV/BULK, any presentation) of a resolved table as the tidy frame.

    The header names the variables by id (upper-cased) and ``INDHOLD``; every cell must be a value of the
    table's metadata (``id``, ``text`` or ``id text``), anything else is refused naming row and column.
    """
    frame, file, _ = read_records(raw, file, categorical=True)
    by_id = {c.id.upper(): c for c in res.columns}
    columns: dict[str, Column] = {}
    value_column = None
    for name in frame.columns:
        if name.upper() in VALUE_HEADERS:
            value_column = name
        elif name.upper() in by_id:
            columns[name] = by_id[name.upper()]
        else:
            raise DataFormatError(f"{file}, row 1, column {name}: not a variable of {res.table.id} "
                                  f"({', '.join(c.id for c in res.columns)})")
    missing = [c.id for c in res.columns if c.id.upper() not in {n.upper() for n in columns}]
    if value_column is None or missing:
        raise DataFormatError(f"{file}, row 1: the answer lacks the column(s) {', '.join(missing or ['INDHOLD'])}")
    return tidy(frame, res, columns, value_column, file)


# ---------------------------------------------------------------------------------------------
# exports (no metadata): the columns resolved from the file itself
# ---------------------------------------------------------------------------------------------
_TABLE_IN_NAME = re.compile(r"(?<![A-Z0-9])(" + "|".join(sorted(TABLES, key=len, reverse=True)) + r")(?![A-Z0-9])")


def _header_var(table: HealthTable, header: str, taken: set[int]) -> int | None:
    h = header.strip()
    for i, spec in enumerate(table.variables):
        if i not in taken and (h.upper() in spec.ids or h.lower() in spec.texts
                               or h.upper() in HEADERS.get(spec.role, ())):
            return i
    return None


_COMMON = {"OMRÅDE", "OMRADE", "KOMMUNEDK", "KOMMUNE", "REGION", "AREA", "MUNICIPALITY", "ALDER", "AGE", "KØN",
           "KON", "SEX", "TID", "TIME", "CIVILSTAND"}


def _distinctive(spec: Var, header: str) -> bool:
    """Whether a header names ``spec`` as only its table does: the table's own confirmed id (HJEMSYG's
    ``ALDER1``) or the id or text of a measure or extra variable (not a header every table may have)."""
    h = header.strip()
    own = h.upper() in spec.ids or (h.lower() in spec.texts and h.upper() not in _COMMON)
    return own and (spec.role in ("measure", "total", "sum") or h.upper() not in _COMMON)


def detect_table(name: str, header: Sequence[str]) -> tuple[HealthTable | None, list[str]]:
    """The catalogue table a file holds: by its id in the file name, else by a header that fits one table only
    and has a column no population table has. Returns ``(table or None, candidates)``.

    >>> detect_table("FOD207_2024.csv", ["OMRÅDE", "ALDER", "KØN", "TID", "INDHOLD"])[0].id
    'FOD207'
    >>> detect_table("export.csv", ["OMRÅDE", "YDELSESART", "ALERAMS", "KØN", "TID", "INDHOLD"])[1]
    ['SYGP1', 'SYGK1']
    >>> detect_table("folk1a.csv", ["OMRÅDE", "KØN", "ALDER", "CIVILSTAND", "TID", "INDHOLD"])
    (None, [])
    """
    if m := _TABLE_IN_NAME.search(os.path.basename(name).upper()):
        return TABLES[m.group(1)], [m.group(1)]
    heads = [h for h in header if h.strip().upper() not in VALUE_HEADERS]
    fits = []
    for t in TABLES.values():
        taken: dict[int, str] = {}
        for h in heads:
            i = _header_var(t, h, set(taken))
            if i is None:
                break
            taken[i] = h
        else:
            roles = {t.variables[i].role for i in taken}
            if {"area", "time"} <= roles and any(_distinctive(t.variables[i], h) for i, h in taken.items()):
                fits.append(t.id)
    return (TABLES[fits[0]] if len(fits) == 1 else None), fits


def _wanted(col: Column) -> int:
    return sum(m is not None for _, _, m in col.values)


def _all_total(series: pd.Series) -> bool:
    """Whether every cell of a column names a total (``I alt``, ``TOT``, ``0 I alt``) in some presentation."""
    from klyngedata.vocabulary.totals import is_total

    cells = {str(c).strip() for c in pd.unique(series.astype(str))}
    return all(is_total(c, c) or (" " in c and is_total(*c.split(" ", 1))) for c in cells)


def _export_column(table: HealthTable, spec: Var, series: pd.Series, name: str, file: str) -> Column:
    """A column of an export resolved from its own cells: presentation ``Value`` (the text), ``CodeAndValue``
    (``id text``) or ``Code`` (the id), the first under which every cell is understood (for a measure: the one
    that finds the most wanted figures)."""
    cells = [str(c).strip() for c in (series.cat.categories if isinstance(series.dtype, pd.CategoricalDtype)
                                      else pd.unique(series))]
    modes = [lambda c: (None, c), lambda c: tuple(c.split(" ", 1)) if " " in c else (c, None), lambda c: (c, None)]
    if spec.role in ("area", "time"):
        modes = [lambda c: (c, None)]  # their parsers read every presentation themselves
    best: Column | None = None
    bad: tuple[str, str] | None = None
    for split in modes:
        col = Column(name, name, spec.role, spec, labels=cells)
        try:
            for cell in cells:
                vid, text = split(cell)
                try:
                    m = meaning(table, spec, vid, text)
                except LookupFailed:
                    col.left_out.append(cell)
                    col.left_out_cells.add(cell)
                    continue
                except ValueError as exc:
                    bad = bad or (cell, str(exc))
                    raise
                col.values.append((cell, cell, m))  # a measure klyngedata does not fetch: None, left out
        except ValueError:
            continue
        if spec.role != "measure":
            return col
        if best is None or _wanted(col) > _wanted(best):
            best = col
    if best is None:
        cell, why = bad or ("", "")
        row = int((series.astype(str).str.strip() == cell).to_numpy().argmax()) + 2
        raise DataFormatError(f"{file}, row {row}, column {name}: {cell!r} is not a value klyngedata understands "
                              f"for {table.id}'s variable {name} ({why})")
    return best


def read_export(source: str | os.PathLike[str] | bytes, table: HealthTable | None = None, *,
                file: str | None = None) -> pd.DataFrame:
    """A StatBank CSV export of a catalogue table (Danish or English, ``Code``, ``Value`` or ``CodeAndValue``,
    ``;``, ``..``) as the tidy frame, through the same checks as a fetch. ``table``: the table, else recognised
    from the file name or header (:func:`detect_table`). A variable missing from the file means its total.
    ``attrs["provenance"]`` names the table, file, periods and the areas left out.
    """
    frame, file, encoding = read_records(source, file, categorical=True)
    header = list(frame.columns)
    if table is None:
        table, fits = detect_table(file, header)
        if table is None:
            raise DataFormatError(f"{file}: the header ({';'.join(header)}) fits "
                                  + (f"several health tables ({', '.join(fits)}); put the table's id in the file "
                                     "name (e.g. SYGP1.csv)" if fits else "no health table klyngedata knows"))
    value_column = next((h for h in header if h.strip().upper() in VALUE_HEADERS), None)
    if value_column is None:
        raise DataFormatError(f"{file}, row 1: no INDHOLD column (header: {';'.join(header)})")
    columns: dict[str, Column] = {}
    taken: set[int] = set()
    for name in header:
        if name == value_column:
            continue
        i = _header_var(table, name, taken)
        if i is None:
            if _all_total(frame[name]):  # an extra variable held at its total (its header not known): harmless
                continue
            raise DataFormatError(f"{file}, row 1, column {name}: not a variable of {table.id} that klyngedata "
                                  f"knows (its variables: {', '.join(v.texts[0] for v in table.variables)}), and "
                                  "its values are not all the total (I alt)")
        taken.add(i)
        columns[name] = _export_column(table, table.variables[i], frame[name], name, file)
    lacking = [v.texts[0] for i, v in enumerate(table.variables) if i not in taken and v.role in
               ("area", "time", "measure")]
    if lacking:
        raise DataFormatError(f"{file}, row 1: the file has no column for {', '.join(lacking)} of {table.id}")
    res = check(table, list(columns.values()), export=True)
    out = tidy(frame, res, columns, value_column, file)
    out.attrs["provenance"] = {
        "table": table.id, "title": table.title_da, "file": file, "encoding": encoding,
        "periods": sorted(out["period"].unique().tolist()), "left_out": res.left_out,
        "measures": {k: list(v) for k, v in res.measures.items()}, "shape": res.shape,
    }
    return out
