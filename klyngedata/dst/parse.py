"""Exact parsing of StatBank CSV answers and exports (``/data`` CSV and BULK, files saved from statistikbanken.dk).

One tidy schema for every population source (documented in :mod:`klyngedata.sources`):
``area_level, area_code, municipality_code, sex, age, age_open, period, population``.

*Parse exactly or refuse*: a cell is accepted only in a form Statistics Denmark writes, and anything else
is a :class:`~klyngedata.exceptions.DataFormatError` naming the file, the row (line number in the file,
the header being row 1) and the column.

Accepted, as recorded from the real API (``shared/reference/statbank-recorded``):

* encodings: UTF-8 with BOM (``/data`` CSV), UTF-8 without BOM (BULK), Windows-1252 (older exports);
  any other encoding (e.g. UTF-16) is refused naming it;
* every value presentation in every dimension column: ``Code`` (``101``, ``TOT``, ``IALT``, ``2025K3``),
  ``Value``/``Default`` texts in Danish or English (``København``, ``I alt``, ``Alder i alt``, ``Men``,
  ``2026Q1``) and ``CodeAndValue`` (``101 København``, ``1 Mænd``, ``IALT Alder i alt``, and for the time
  ``2025K3 2025K3`` / ``2026K1 2026Q1``); in ``CodeAndValue`` the code and the text must agree;
* counts (``INDHOLD``): digits only; ``..`` = not published (missing, kept as NA and never summed as 0);
  ``-`` = 0. Negative, decimal, thousands-separated or empty counts are refused.

Refused besides: an empty or header-only file, a file that does not end in a complete record (a line
break after the last row), rows with a wrong number of fields, blank lines, duplicate cells (the same area,
sex, age, civil status and period twice, identical or not) and unknown areas.

Example
-------
>>> CONSTRUCTED = "OMRÅDE;KØN;ALDER;TID;INDHOLD\\n851 Aalborg;1 Mænd;80 80 år;2025K3 2025K3;3\\n".encode()
>>> parse_statbank_csv(CONSTRUCTED, file="constructed example")["population"].tolist()
[3]

The cell parsers and the decoding are in :mod:`klyngedata.dst.cells` (re-exported here).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from klyngedata import vocabulary
from klyngedata.compact import as_string
from klyngedata.dst.cells import (  # noqa: F401  (re-exported: the parsers' one home)
    _CIVIL_PARTS,
    _ROLE,
    _TABLE_RE,
    KEY_COLUMNS,
    TIDY_COLUMNS,
    decode_export,
    parse_age,
    parse_area,
    parse_civil,
    read_records,
)
from klyngedata.exceptions import DataFormatError, LookupFailed
from klyngedata.merge import duplicated_codes
from klyngedata.vocabulary import CountError, parse_period, parse_sex, period_code


# ---------------------------------------------------------------------------------------------
# columns
# ---------------------------------------------------------------------------------------------
def map_unique(series: pd.Series, fn, what: str, file: str, column: str) -> dict:
    """Apply ``fn`` to the distinct values of ``series``; an error names file, row and column.

    Example
    -------
    >>> map_unique(pd.Series(["1", "2"]), int, "number", "constructed example", "A")
    {'1': 1, '2': 2}
    """
    out = {}
    for value in pd.unique(series):
        try:
            out[value] = fn(value)
        except (ValueError, LookupFailed) as exc:
            row = int((series == value).to_numpy().argmax()) + 2  # +1 header, +1 one-based
            raise DataFormatError(f"{file}, row {row}, column {column}: {what}: {exc}") from None
    return out


def period_column(values: pd.Series, per_map: dict, file: str, column: str) -> pd.Series:
    """The period column as one Period dtype (mixed frequencies are refused)."""
    freqs = {p.freqstr for p in per_map.values()}
    if len(freqs) > 1:
        raise DataFormatError(f"{file}, column {column}: mixed period types {sorted(freqs)}")
    dtype = pd.PeriodDtype(next(iter(per_map.values())).freq) if per_map else pd.PeriodDtype("Q")
    return values.map(per_map).astype(dtype)


def parse_counts(values: pd.Series, file: str, column: str) -> pd.Series:
    """Counts as StatBank writes them (:mod:`klyngedata.vocabulary.counts`): digits; ``..`` -> NA (not
    published); ``-`` -> 0. Anything else is refused naming file, row and column.

    Example
    -------
    >>> parse_counts(pd.Series(["12", "..", "-"]), "constructed example", "INDHOLD").tolist()
    [12, <NA>, 0]
    """
    try:
        return vocabulary.parse_counts(values)
    except CountError as exc:
        raise DataFormatError(f"{file}, row {exc.row + 2}, column {column}: {exc}") from None


def check_unique(keys: pd.DataFrame, file: str, columns: list[str], describe=None) -> None:
    """Refuse two rows with the same key (identical or not), naming both rows and the key columns.

    Example
    -------
    >>> check_unique(pd.DataFrame({"a": [1, 1]}), "constructed example", ["A"])
    Traceback (most recent call last):
    ...
    klyngedata.exceptions.DataFormatError: constructed example, rows 2 and 3, columns A: the same cell twice (1)
    """
    dup = keys.duplicated(keep=False)
    if not dup.any():
        return
    idx = list(keys.index[dup.to_numpy()])
    first = idx[0]
    first_key = tuple(keys.loc[first])
    second = next(i for i in idx[1:] if tuple(keys.loc[i]) == first_key)
    pos = {k: i for i, k in enumerate(keys.index)}
    shown = describe(keys.loc[first]) if describe else ", ".join(str(v) for v in first_key)
    raise DataFormatError(f"{file}, rows {pos[first] + 2} and {pos[second] + 2}, columns {', '.join(columns)}: "
                          f"the same cell twice ({shown})")


TEXT_COLUMNS = ("area_level", "area_code", "municipality_code", "sex")
"""The text columns of the tidy schema (``string``; categories in a compact frame)."""


def finish(df: pd.DataFrame, *, compact: bool = False) -> pd.DataFrame:
    """The tidy columns in their dtypes (``municipality_code`` from ``area_code``); ``compact=True``: the
    :data:`TEXT_COLUMNS` as categories instead of strings."""
    df = df[TIDY_COLUMNS].copy(deep=False)  # columns are replaced, never written into: no copy of the rows
    df["municipality_code"] = df["area_code"].where(df["area_level"] == "municipality")
    for c in TEXT_COLUMNS:
        df[c] = df[c].astype("category") if compact else as_string(df[c])
    df["age"] = df["age"].astype("Int64")
    df["age_open"] = df["age_open"].astype(bool)
    df["population"] = df["population"].astype("Int64")
    return df.reset_index(drop=True)


def _detect_table(name: str, header: list[str], periods: pd.Series) -> str:
    if m := _TABLE_RE.search(name):
        return m.group(1).upper()
    freq = periods.iloc[0].freqstr[0] if len(periods) else ""
    if freq == "M":
        return "FOLK1AM"
    if freq == "Q":
        return "FOLK1A"
    if "KOMMUNEDK" in header:
        return "FRKM"
    return "UNKNOWN"


def _roles(header: list[str], file: str) -> dict[str, str]:
    roles: dict[str, str] = {}
    for col in header:
        role = _ROLE.get(col.upper())
        if role is None:
            raise DataFormatError(f"{file}, row 1: unknown column {col!r} (expected OMRÅDE/KOMMUNEDK, KØN, ALDER, "
                                  "CIVILSTAND, TID, INDHOLD)")
        if role in roles:
            raise DataFormatError(f"{file}, row 1: two columns for {role}: {roles[role]!r} and {col!r}")
        roles[role] = col
    for needed in ("area", "time", "value"):
        if needed not in roles:
            raise DataFormatError(f"{file}, row 1: missing the {needed} column (header: {';'.join(header)})")
    return roles


def _describe_key(row: pd.Series) -> str:
    age = "all ages" if pd.isna(row.get("age")) else f"age {row['age']}{'+' if row.get('age_open') else ''}"
    parts = [str(row["area_code"]), str(row.get("sex", "total")), age]
    if "civil" in row.index:
        parts.append(str(row["civil"]))
    return ", ".join(parts + [period_code(row["period"])])


def _reduce_civil(out: pd.DataFrame, file: str, column: str) -> pd.DataFrame:
    """Keep the CIVILSTAND total; a cell without a total is summed only over all four statuses."""
    keys = KEY_COLUMNS
    is_total = out["civil"] == "TOT"
    if is_total.all():
        return out.drop(columns="civil")
    totals = out[is_total]
    parts = out[~is_total]
    if not totals.empty:
        have = totals[keys].drop_duplicates()
        parts = parts.merge(have, on=keys, how="left", indicator=True)
        parts = parts[parts["_merge"] == "left_only"].drop(columns="_merge")
    if parts.empty:
        return totals.drop(columns="civil")
    g = parts.groupby(keys, dropna=False, sort=False)
    n = g["civil"].nunique()
    if (n < len(_CIVIL_PARTS)).any():
        bad = n[n < len(_CIVIL_PARTS)].index[0]
        raise DataFormatError(
            f"{file}, column {column}: the cell {bad[1]} {period_code(bad[5])} has neither the total (I alt) nor "
            "all four civil statuses, so its population cannot be summed; export CIVILSTAND 'I alt'")
    summed = g["population"].sum(min_count=len(_CIVIL_PARTS)).reset_index()  # one '..' makes the sum missing
    summed["municipality_code"] = pd.NA
    return pd.concat([totals.drop(columns="civil"), summed], ignore_index=True)


def factor(series: pd.Series, fn, what: str, file: str, column: str) -> tuple[np.ndarray, list]:
    """``(codes, parsed)``: ``fn`` applied once per distinct cell; row ``i`` parses to ``parsed[codes[i]]``.
    An error names file, row and column.

    Example
    -------
    >>> factor(pd.Series(["1", "2", "1"]), int, "number", "constructed example", "A")
    (array([0, 1, 0]), [1, 2])
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes, uniques = series.cat.codes.to_numpy(), series.cat.categories
    else:
        codes, uniques = pd.factorize(series, sort=False)
    parsed = []
    for k, value in enumerate(uniques):
        try:
            parsed.append(fn(value))
        except (ValueError, LookupFailed) as exc:
            row = int(np.flatnonzero(codes == k)[0]) + 2
            raise DataFormatError(f"{file}, row {row}, column {column}: {what}: {exc}") from None
    return codes, parsed


def _text(values: list, codes: np.ndarray) -> pd.Categorical:
    """A text column from the parsed value of each distinct cell and the rows' codes: a categorical (no text per
    row; :func:`finish` gives the tidy dtype).

    Example
    -------
    >>> list(_text(["a", None, "a"], np.array([1, 0, 2])))
    [nan, 'a', 'a']
    """
    canon, categories = pd.factorize(pd.Index(values, dtype=object), sort=False)
    return pd.Categorical.from_codes(canon[codes], categories=pd.Index(categories.tolist()))


def _canonical(codes: np.ndarray, parsed: list) -> tuple[np.ndarray, int]:
    """Codes of the *parsed* values (two spellings of one value get one code) and their number."""
    canon, uniq = pd.factorize(pd.Index(parsed, tupleize_cols=False), sort=False)
    return canon[codes], len(uniq)


def parse_statbank_csv(
    source: str | os.PathLike[str] | bytes,
    *,
    table: str | None = None,
    file: str | None = None,
    compact: bool = False,
) -> pd.DataFrame:
    """Parse a StatBank CSV/BULK answer or export (any presentation, da/en) into the tidy schema.

    Variables missing from the file (e.g. no ``KØN``) mean "total". A ``CIVILSTAND`` column is reduced to its
    total (or, for a cell without a total, summed over all four statuses). ``..`` counts become NA (missing),
    ``-`` becomes 0. ``attrs["provenance"]`` holds ``table``, ``presentation``, ``file``, ``periods`` and
    ``encoding``. ``compact=True``: the text columns (``area_level``, ``area_code``, ``municipality_code``,
    ``sex``) as categories (an import of millions of rows never holds a string per row and cell).

    Example
    -------
    >>> CONSTRUCTED = "OMRÅDE;KØN;ALDER;TID;INDHOLD\\n851;1;80;2024K1;3\\n".encode()
    >>> parse_statbank_csv(CONSTRUCTED, file="constructed example")["population"].tolist()
    [3]
    """
    frame, file, encoding = read_records(source, file, categorical=True)
    header = list(frame.columns)
    roles = _roles(header, file)
    n = len(frame)
    key, key_size = np.zeros(n, dtype=np.int64), 1  # one integer per cell: its area, sex, age, civil status, period

    def add_key(codes: np.ndarray, parsed: list) -> None:
        nonlocal key, key_size
        canon, size = _canonical(codes, parsed)
        key, key_size = key * size + canon, key_size * size

    a_codes, a_parsed = factor(frame[roles["area"]], parse_area, "unknown area", file, roles["area"])
    out = pd.DataFrame({"area_level": _text([p[0] for p in a_parsed], a_codes),
                        "area_code": _text([p[1] for p in a_parsed], a_codes)})
    add_key(a_codes, [p[:2] for p in a_parsed])
    presentations = {p[2] for p in a_parsed}
    presentation = presentations.pop() if len(presentations) == 1 else "mixed"
    if "sex" in roles:
        s_codes, s_parsed = factor(frame[roles["sex"]], parse_sex, "sex", file, roles["sex"])
        out["sex"] = _text(s_parsed, s_codes)
        add_key(s_codes, s_parsed)
    else:
        out["sex"] = _text(["total"], np.zeros(n, dtype=np.int8))
    if "age" in roles:
        g_codes, g_parsed = factor(frame[roles["age"]], parse_age, "age", file, roles["age"])
        ages = np.array([-1 if a is None else a for a, _ in g_parsed], dtype=np.int64)[g_codes]
        out["age"] = pd.arrays.IntegerArray(ages, ages < 0)
        out["age_open"] = np.array([o for _, o in g_parsed], dtype=bool)[g_codes]
        add_key(g_codes, g_parsed)
    else:
        out["age"] = pd.array([pd.NA] * n, dtype="Int64")
        out["age_open"] = False
    t_codes, t_parsed = factor(frame[roles["time"]], parse_period, "period", file, roles["time"])
    freqs = {p.freqstr for p in t_parsed}
    if len(freqs) > 1:
        raise DataFormatError(f"{file}, column {roles['time']}: mixed period types {sorted(freqs)}")
    ordinals = np.array([p.ordinal for p in t_parsed], dtype=np.int64)[t_codes]
    dtype = pd.PeriodDtype(t_parsed[0].freq) if t_parsed else pd.PeriodDtype("Q")
    out["period"] = pd.arrays.PeriodArray(ordinals, dtype=dtype)
    add_key(t_codes, [p.ordinal for p in t_parsed])
    out["population"] = parse_counts(frame[roles["value"]], file, roles["value"]).array
    out["municipality_code"] = pd.NA
    key_cols = [roles[r] for r in ("area", "sex", "age", "civil", "time") if r in roles]
    if "civil" in roles:
        c_codes, c_parsed = factor(frame[roles["civil"]], parse_civil, "civil status", file, roles["civil"])
        out["civil"] = _text(c_parsed, c_codes)
        add_key(c_codes, c_parsed)
    del frame
    dup = duplicated_codes(key, key_size)
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        j = int(np.flatnonzero(dup & (key == key[i]))[1])
        row = out.iloc[i]
        raise DataFormatError(f"{file}, rows {i + 2} and {j + 2}, columns {', '.join(key_cols)}: the same cell twice "
                              f"({_describe_key(row)})")
    if "civil" in roles:
        out = _reduce_civil(out, file, roles["civil"])
    result = finish(out, compact=compact)
    del out
    tbl = table or _detect_table(Path(file).name, [h.upper() for h in header], result["period"])
    result.attrs["provenance"] = {
        "table": tbl,
        "presentation": presentation,
        "file": file,
        "encoding": encoding,
        "periods": sorted({period_code(p) for p in result["period"].unique()}),
    }
    return result
