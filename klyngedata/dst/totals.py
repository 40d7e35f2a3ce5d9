"""Derived totals of StatBank-shaped tidy frames: the ``sex == "total"`` rows of a file with only male and
female, and the all-ages rows of a file with single years only. Added only where every part is present
(never a partial sum)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from klyngedata.dst.parse import KEY_COLUMNS, TEXT_COLUMNS, parse_statbank_csv  # noqa: F401
from klyngedata.dst.parse import finish as _finish
from klyngedata.merge import row_codes


def complete_totals(df: pd.DataFrame) -> pd.DataFrame:
    """Add the ``sex == "total"`` rows where a file has only male and female (e.g. FRKM projections).

    Existing totals are kept. Rows are only added for (area, age, period) cells where *both* sexes exist.

    Example
    -------
    >>> complete_totals(parse_statbank_csv(b"KOMMUNEDK;K\\xc3\\x98N;ALDER;TID;INDHOLD\\n851;M;0;2030;5\\n"
    ...                                    b"851;K;0;2030;4\\n", file="constructed example"))["sex"].tolist()
    ['male', 'female', 'total']
    """
    keys = ["area_level", "area_code", "age", "age_open", "period"]
    sex = df["sex"]
    rows = np.flatnonzero(sex.isin(["male", "female"]).to_numpy(dtype=bool))
    if not len(rows):
        return df
    key = row_codes([df], keys)[0]  # one integer per (area, age, period) cell
    is_total = (sex == "total").to_numpy(dtype=bool)
    if is_total.any():  # a cell with its own total gets none
        rows = rows[~np.isin(key[rows], key[is_total])]
    if not len(rows):
        return df
    group, _ = pd.factorize(key[rows], sort=False)  # cells in the order they first occur
    n = int(group.max()) + 1
    male = (sex.iloc[rows] == "male").to_numpy(dtype=bool)
    both = (np.bincount(group[male], minlength=n) > 0) & (np.bincount(group[~male], minlength=n) > 0)
    population = df["population"].iloc[rows].astype("Int64")
    known = population.notna().to_numpy(dtype=bool)
    sums = np.zeros(n, dtype=np.int64)
    np.add.at(sums, group[known], population[known].to_numpy(dtype=np.int64))
    counted = np.bincount(group[known], minlength=n)  # sum(min_count=2): a '..' sex makes the total missing
    first = np.unique(group, return_index=True)[1][both]
    summed = df.iloc[rows[first]][keys].reset_index(drop=True)
    summed["population"] = pd.arrays.IntegerArray(sums[both], counted[both] < 2)
    summed["sex"] = "total"
    summed["municipality_code"] = pd.NA
    if summed.empty:
        return df
    return concat_tidy(df, _finish(summed))


def concat_tidy(df: pd.DataFrame, more: pd.DataFrame) -> pd.DataFrame:
    """``df`` with the rows of ``more`` appended and ``df``'s attrs; a text column that is categorical in ``df``
    stays categorical (categories united and sorted, as ``astype("category")`` would sort them)."""
    more = more.copy(deep=False)
    for c in TEXT_COLUMNS:
        if c in df.columns and isinstance(df[c].dtype, pd.CategoricalDtype):
            united = pd.Index(sorted(set(df[c].cat.categories) | set(more[c].dropna())))
            df = df.assign(**{c: df[c].cat.set_categories(united)})
            more[c] = pd.Categorical(more[c], categories=united)
    attrs = df.attrs
    out = pd.concat([df, more], ignore_index=True)
    out.attrs = attrs
    return out


def complete_age_totals(df: pd.DataFrame) -> pd.DataFrame:
    """Add the all-ages rows (``age`` NA) where a file has single years only (an export without ``IALT``).

    A cell (area, sex, period) gets a total only when its ages run without a gap from 0 to an open top group
    or to at least 100, so a partial age selection is never passed off as the whole population.

    Example
    -------
    >>> ages = "".join(f"851;TOT;{a};2024K1;1\\n" for a in range(0, 126))
    >>> out = complete_age_totals(parse_statbank_csv(("OMR\u00c5DE;K\u00d8N;ALDER;TID;INDHOLD\\n" + ages).encode(),
    ...                                              file="constructed example"))
    >>> int(out.loc[out["age"].isna(), "population"].iloc[0])
    126
    """
    keys = ["area_level", "area_code", "sex", "period"]
    singles = df[df["age"].notna()]
    if singles.empty:
        return df
    have_total = df[df["age"].isna()][keys].drop_duplicates()
    singles = singles.assign(_na=singles["population"].isna())
    g = singles.groupby(keys, dropna=False, sort=False)
    stats = g.agg(n=("age", "nunique"), lo=("age", "min"), hi=("age", "max"), top_open=("age_open", "any"),
                  population=("population", "sum"), n_missing=("_na", "sum"))
    stats = stats.reset_index()
    # a '..' year makes the total missing, never a partial sum
    stats["population"] = stats["population"].astype("Int64").where(stats["n_missing"] == 0, pd.NA)
    complete = (stats["lo"] == 0) & (stats["n"] == stats["hi"] + 1) & (stats["top_open"] | (stats["hi"] >= 100))
    summed = stats[complete][keys + ["population"]]
    if not have_total.empty:
        summed = summed.merge(have_total, on=keys, how="left", indicator=True)
        summed = summed[summed["_merge"] == "left_only"].drop(columns="_merge")
    if summed.empty:
        return df
    summed["age"] = pd.array([pd.NA] * len(summed), dtype="Int64")
    summed["age_open"] = False
    summed["municipality_code"] = pd.NA
    attrs = df.attrs
    out = pd.concat([df, _finish(summed)], ignore_index=True)
    out.attrs = attrs
    return out
