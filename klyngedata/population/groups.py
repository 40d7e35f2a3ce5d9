"""Grouping on integer codes: the population aggregation's groupby without hashing millions of values.

Each key column becomes integer codes (a categorical's codes, a period's ordinal, an integer's value; other
columns are factorised), the codes one group id per row, and sums are taken with :func:`numpy.bincount`. NA is a
key value of its own (as ``groupby(dropna=False)``). Groups come in the order of their first row (as
``groupby(sort=False)``), and the key columns keep their dtypes (taken from each group's first row).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

_DENSE_MAX = 1 << 24
"""Largest range of an integer key coded by its value (more: factorised)."""
_EXACT = float(1 << 53)
"""Sums of integers below this are exact in float64 (``bincount``'s weights)."""


def _int_codes(values: np.ndarray, na: np.ndarray | None) -> tuple[np.ndarray, int] | None:
    """Codes of integer values (0 for NA) when their range is small, else None."""
    ok = values if na is None else values[~na]
    if not len(ok):
        return np.zeros(len(values), dtype=np.int64), 1
    lo, hi = int(ok.min()), int(ok.max())
    if hi - lo >= _DENSE_MAX:
        return None
    codes = np.subtract(values, lo - 1, dtype=np.int64)
    if na is not None:
        codes[na] = 0
    return codes, hi - lo + 2


def column_codes(col: pd.Series) -> tuple[np.ndarray, int]:
    """``(codes, n)``: integer codes ``0..n-1`` of a column's values, equal codes for equal values (NA too)."""
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return np.add(col.cat.codes.to_numpy(), 1, dtype=np.int64), len(dtype.categories) + 1
    if isinstance(dtype, pd.PeriodDtype):
        na = col.isna().to_numpy()
        out = _int_codes(col.array.asi8, na if na.any() else None)
        if out is not None:
            return out
    elif pd.api.types.is_bool_dtype(dtype) and not col.hasnans:
        return col.to_numpy(dtype=bool).astype(np.int64), 2
    elif pd.api.types.is_integer_dtype(dtype):
        na = col.isna().to_numpy()
        out = _int_codes(col.to_numpy(dtype=np.int64, na_value=0), na if na.any() else None)
        if out is not None:
            return out
    codes, uniques = pd.factorize(col, use_na_sentinel=False)
    return codes.astype(np.int64), max(len(uniques), 1)


def _renumber(gid: np.ndarray, size: int) -> tuple[np.ndarray, int]:
    """Combination ids ``< size`` renumbered to ``0..m-1`` (m: the combinations that occur), in id order."""
    if size <= max(4 * len(gid), 1 << 16):
        seen = np.zeros(size, dtype=bool)
        seen[gid] = True
        renumber = np.cumsum(seen, dtype=np.int64) - 1
        return renumber[gid], int(renumber[-1]) + 1 if size else 0
    uniq, dense = np.unique(gid, return_inverse=True)
    return dense.reshape(-1).astype(np.int64, copy=False), len(uniq)


def _combined(frame: pd.DataFrame, keys: Sequence[str]) -> tuple[np.ndarray, int]:
    """One integer per row for its combination of key values (``< size``), and ``size``."""
    n = len(frame)
    cap = max(4 * n, 1 << 16)
    gid = np.zeros(n, dtype=np.int64)
    size = 1
    for key in keys:
        codes, k = column_codes(frame[key])
        if size * k > cap and size > 1:  # keep the combination ids small: only those that occur
            gid, size = _renumber(gid, size)
        gid *= k
        gid += codes
        size *= k
    return gid, size


def count_groups(frame: pd.DataFrame, keys: Sequence[str]) -> int:
    """The number of distinct combinations of ``keys`` (as ``len(frame[keys].drop_duplicates())``)."""
    return _renumber(*_combined(frame, keys))[1]


def group_ids(frame: pd.DataFrame, keys: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, first)``: the group of every row (``0..k-1``, numbered in the order of the groups' first rows)
    and the position of each group's first row."""
    n = len(frame)
    dense, k = _renumber(*_combined(frame, keys))
    first = np.full(k, n, dtype=np.int64)
    np.minimum.at(first, dense, np.arange(n, dtype=np.int64))
    is_first = np.zeros(n, dtype=bool)
    is_first[first] = True
    first = np.flatnonzero(is_first)  # the groups' first rows in row order: groups numbered by their first row
    rank = np.empty(k, dtype=np.int64)
    rank[dense[first]] = np.arange(k, dtype=np.int64)
    return rank[dense], first


def join_rows(keys: pd.Series, targets: Sequence[object]) -> tuple[np.ndarray, np.ndarray]:
    """``(left, right)``: the row pairs of an inner join of ``keys`` with the values ``targets``, in the order of
    ``pandas.merge(how="inner")``: the rows of ``keys`` in order, each with its matches in the targets' order."""
    if isinstance(keys.dtype, pd.CategoricalDtype):
        codes, labels = keys.cat.codes.to_numpy().astype(np.int64), list(keys.cat.categories)
    else:
        codes, uniques = pd.factorize(keys)
        codes, labels = codes.astype(np.int64), list(uniques)
    where: dict[object, list[int]] = {}
    for j, target in enumerate(targets):
        where.setdefault(target, []).append(j)
    lists = [where.get(label, []) for label in labels] + [[]]  # the last one for NA (code -1)
    lens = np.array([len(x) for x in lists], dtype=np.int64)
    flat = np.array([j for x in lists for j in x], dtype=np.int64)
    starts = np.cumsum(lens) - lens
    row_code = np.where(codes < 0, len(labels), codes)
    count = lens[row_code]
    left = np.repeat(np.arange(len(keys), dtype=np.int64), count)
    within = np.arange(len(left), dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
    return left, flat[np.repeat(starts[row_code], count) + within]


def group_sums(values: pd.Series, ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray] | None:
    """``(sums, has_na)`` per group of an integer column (NA skipped in the sum), or None when the values are
    not integers (the caller falls back to pandas)."""
    if not pd.api.types.is_integer_dtype(values.dtype):
        return None
    na = values.isna().to_numpy()
    v = values.to_numpy(dtype=np.int64, na_value=0)
    if len(v) and max(-int(v.min()), int(v.max())) * float(len(v)) >= _EXACT:  # float sums might round
        sums = np.zeros(k, dtype=np.int64)
        np.add.at(sums, ids, v)
    else:
        sums = np.bincount(ids, weights=v, minlength=k).astype(np.int64)
    has_na = np.bincount(ids[na], minlength=k) > 0 if na.any() else np.zeros(k, dtype=bool)
    return sums, has_na


def decategorized(col: pd.Series, dtype: object) -> pd.Series:
    """``col.astype(dtype)`` of a categorical column (strings or objects), taken from its categories."""
    codes = col.cat.codes.to_numpy()
    plain = pd.api.types.is_object_dtype(dtype)
    if (codes < 0).any() or not (plain or isinstance(dtype, pd.StringDtype)):
        return col.astype(dtype)
    values = col.cat.categories.astype(dtype).take(codes)
    return pd.Series(values.to_numpy() if plain else values.array, index=col.index, name=col.name)
