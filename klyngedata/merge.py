"""Merging a file's rows into a cached table by key: what is added, updated, kept — or, on request, dropped.

The import rule of klyngedata (see README, "Import rules"): an import never replaces more than the file
brings. :func:`merge_by_key` keeps every cached row whose key the new rows do not carry, replaces rows whose
key they do carry, and reports the changes in a :class:`MergeReport`. With ``replace=True`` the new rows
replace the cached table whole, and the report says which cached rows were dropped (periods, units).

Pure functions on tidy frames (io layer helpers for :mod:`klyngedata.sources`, :mod:`klyngedata.indicators`);
nothing here reads or writes the cache.

Example
-------
>>> import pandas as pd
>>> old = pd.DataFrame({"area": ["0851", "0860"], "period": ["2024M01"] * 2, "n": [5, 7]})  # constructed
>>> new = pd.DataFrame({"area": ["0860", "0849"], "period": ["2024M01"] * 2, "n": [8, 9]})
>>> merged, report = merge_by_key(old, new, ["area", "period"], ["n"])
>>> merged.sort_values("area")["n"].tolist(), str(report)
([9, 5, 8], '1 row added, 1 row already cached (1 of them with a new value), 1 other cached row kept')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from klyngedata.compact import release_memory
from klyngedata.exceptions import DataFormatError
from klyngedata.vocabulary import period_code

UNIT_COLUMNS = ("area_code", "municipality_code", "unit_code", "code")
PERIOD_COLUMNS = ("period",)


def _plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def _label(value: object) -> str:
    """A key value as text; periods in StatBank notation (2024K1, 2024M01, 2024) as everywhere in messages."""
    return period_code(value) if isinstance(value, pd.Period) else str(value)


def _span(values: pd.Series, limit: int = 6) -> str:
    """``a, b, c`` or ``a, b, ... z (n)`` for a column's distinct values."""
    distinct = sorted({_label(v) for v in values.dropna().unique()})
    if len(distinct) <= limit:
        return ", ".join(distinct)
    return f"{', '.join(distinct[:limit - 1])}, ..., {distinct[-1]} ({len(distinct)})"


def describe_rows(rows: pd.DataFrame) -> str:
    """Short description of a set of rows by their periods and units (for 'what would be lost').

    Example
    -------
    >>> describe_rows(pd.DataFrame({"area_code": ["0851", "0851"], "period": ["2023", "2024"]}))
    'periods 2023, 2024; units 0851'
    """
    parts = []
    for col in PERIOD_COLUMNS:
        if col in rows.columns:
            parts.append(f"periods {_span(rows[col])}")
            break
    for col in UNIT_COLUMNS:
        if col in rows.columns and rows[col].notna().any():
            parts.append(f"units {_span(rows[col])}")
            break
    return "; ".join(parts)


@dataclass
class MergeReport:
    """What an import did to a cached table.

    ``added``: new keys; ``updated``: keys already cached (``changed`` of them with another value);
    ``kept``: cached rows the file does not carry (kept by the merge); ``dropped``: cached rows removed by a
    replacing import, described in ``dropped_text``.
    """

    added: int = 0
    updated: int = 0
    changed: int = 0
    kept: int = 0
    dropped: int = 0
    dropped_text: str = ""
    replaced: bool = False
    examples: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        parts = []
        if self.added or not self.updated:
            parts.append(f"{_plural(self.added, 'row')} added")
        if self.updated:
            same = "identical" if not self.changed else f"{self.changed:,} of them with a new value"
            parts.append(f"{_plural(self.updated, 'row')} already cached ({same})")
        if self.kept:
            parts.append(f"{_plural(self.kept, 'other cached row')} kept")
        if self.replaced:
            if self.dropped:
                parts.append(f"REPLACED: {_plural(self.dropped, 'cached row')} dropped ({self.dropped_text})")
            else:
                parts.append("replaced (no cached row dropped)")
        return ", ".join(parts)


_RADIX_LIMIT = 1 << 62


def row_codes(frames: Sequence[pd.DataFrame], keys: Sequence[str]) -> list[np.ndarray]:
    """One ``int64`` per row of each frame, equal for two rows (of any of the frames) exactly when their keys
    are equal; NA equals NA. Each key column is factorised once over all the frames and the codes are combined
    (no text per row). A column whose dtype differs between the frames is compared by its text, as a key of
    strings would be (``5`` and ``"5"`` are then one key).

    Example
    -------
    >>> a = pd.DataFrame({"k": ["x", "y"], "p": [1, None]})  # constructed example
    >>> b = pd.DataFrame({"k": ["y", "x"], "p": [None, 2]})
    >>> x, y = row_codes([a, b], ["k", "p"])
    >>> bool(x[1] == y[0]), bool(x[0] == y[1])
    (True, False)
    """
    combined = [np.zeros(len(f), dtype=np.int64) for f in frames]
    cardinality = 1
    for k in keys:
        codes, n = _column_codes([f[k] for f in frames])
        if cardinality * n >= _RADIX_LIMIT:  # keep the combined code in 64 bits: number its distinct values
            renumbered, seen = pd.factorize(np.concatenate(combined))
            combined, cardinality = np.split(renumbered, np.cumsum([len(f) for f in frames])[:-1]), len(seen)
        for c, x in zip(combined, codes, strict=True):
            c *= n
            c += x
            c += 1
        cardinality *= n
    return combined


def _column_codes(columns: list[pd.Series]) -> tuple[list[np.ndarray], int]:
    """Codes of one key column in each frame, over the values of all of them (-1 for NA), and the number of
    distinct values plus one. Categories are united and small integers (ages, periods, flags) offset, so that
    no value per row is hashed; other columns are factorised together."""
    dtypes = {str(c.dtype) for c in columns}
    if all(isinstance(c.dtype, pd.CategoricalDtype) for c in columns) and \
            len({str(c.cat.categories.dtype) for c in columns}) == 1:
        united = pd.Index(pd.unique(np.concatenate([np.asarray(c.cat.categories, dtype=object) for c in columns])))
        out = []
        for c in columns:
            recode = np.append(united.get_indexer(c.cat.categories), -1)  # code -1 (NA) stays -1
            out.append(recode[c.cat.codes.to_numpy()])
        return out, len(united) + 1
    if len(dtypes) == 1 and (small := _small_integers(columns)) is not None:
        return small
    if len(dtypes) > 1:
        columns = [c.astype("string").fillna("\x00NA") for c in columns]
    values = columns[0] if len(columns) == 1 else pd.concat(columns, ignore_index=True)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return np.split(codes, np.cumsum([len(c) for c in columns])[:-1]), len(uniques) + 1


def _small_integers(columns: list[pd.Series]) -> tuple[list[np.ndarray], int] | None:
    """Codes of integer, boolean or period columns of one dtype as their values less the smallest (NA -1), when
    they span fewer than a million values; else ``None``."""
    dtype = columns[0].dtype
    if not (isinstance(dtype, pd.PeriodDtype) or pd.api.types.is_bool_dtype(dtype)
            or pd.api.types.is_integer_dtype(dtype)):
        return None
    bounds = [_int_bounds(c) for c in columns]
    if all(b is None for b in bounds):
        return [np.full(len(c), -1, dtype=np.int64) for c in columns], 1
    lo = min(b[0] for b in bounds if b is not None)
    hi = max(b[1] for b in bounds if b is not None)
    if hi - lo >= 1 << 20:
        return None
    out = []
    for c in columns:
        # (a new array: to_numpy may return the column's own)
        # (a new array: to_numpy may return the column's own, even with copy=True)
        values = (c.array.asi8 if isinstance(dtype, pd.PeriodDtype) else c.to_numpy(dtype=np.int64, na_value=lo)) - lo
        if c.hasnans:
            values[c.isna().to_numpy()] = -1
        out.append(values)
    return out, hi - lo + 2


def _int_bounds(values: pd.Series) -> tuple[int, int] | None:
    """Smallest and largest value (periods: ordinals), NA left out; ``None`` when there is none."""
    if values.isna().all():
        return None
    lo, hi = values.min(), values.max()
    if isinstance(lo, pd.Period):
        return lo.ordinal, hi.ordinal
    return int(lo), int(hi)


def concat_rows(frames: Sequence[pd.DataFrame], sort: Sequence[str] = ()) -> pd.DataFrame:
    """``pd.concat(frames, ignore_index=True)``, keeping a column that is categorical in every frame categorical
    (categories united) instead of falling back to objects. ``sort``: the rows in the order of these columns, as
    :func:`sort_rows` gives them, put together a column at a time (the rows are never held twice).

    Example
    -------
    >>> a = pd.DataFrame({"k": pd.Categorical(["x"])})  # constructed example
    >>> concat_rows([a, pd.DataFrame({"k": pd.Categorical(["y"])})])["k"].dtype.name
    'category'
    >>> concat_rows([pd.DataFrame({"k": ["b", "c"]}), pd.DataFrame({"k": ["a"]})], sort=["k"])["k"].tolist()
    ['a', 'b', 'c']
    """
    frames = [f.copy(deep=False) for f in frames]
    for c in frames[0].columns:
        columns = [f[c] for f in frames if c in f.columns]
        if len(columns) == len(frames) and all(isinstance(x.dtype, pd.CategoricalDtype) for x in columns):
            try:
                united = union_categoricals([x.array for x in columns], ignore_order=True).categories
            except TypeError:
                continue
            for f in frames:
                f[c] = f[c].cat.set_categories(united)
    if not sort or any(list(f.columns) != list(frames[0].columns) for f in frames):
        out = pd.concat(frames, ignore_index=True)
        return sort_rows(out, sort) if sort else out
    order = _sort_order([_stacked(frames, c) for c in sort])
    release_memory()
    out = pd.DataFrame({c: _stacked(frames, c).take(order).reset_index(drop=True) for c in frames[0].columns})
    if all(f.attrs == frames[0].attrs for f in frames):
        out.attrs = frames[0].attrs
    return out


def _stacked(frames: Sequence[pd.DataFrame], column: str) -> pd.Series:
    """One column of all ``frames``, one after the other."""
    if len(frames) == 1:
        return frames[0][column].reset_index(drop=True)
    return pd.concat([f[column] for f in frames], ignore_index=True)


def _ranks(values: pd.Series) -> tuple[np.ndarray, int]:
    """Each value's rank among the column's values (-1 for NA) and the number of ranks plus one."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = np.asarray(values.cat.categories, dtype=object)
        order = np.empty(len(categories), dtype=np.int64)
        order[np.argsort(categories, kind="stable")] = np.arange(len(categories))
        codes = values.cat.codes.to_numpy()
        return np.where(codes < 0, -1, order[codes]), len(categories) + 1
    if (small := _small_integers([values])) is not None:
        return small[0][0], small[1]
    codes, uniques = pd.factorize(values, sort=True, use_na_sentinel=True)
    return codes.astype(np.int64), len(uniques) + 1


def sort_rows(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``frame.sort_values(columns, na_position="first", ignore_index=True)`` (stable), sorting on integer
    codes: a categorical column by its values (not by the order of its categories), NA first.

    Example
    -------
    >>> f = pd.DataFrame({"k": pd.Categorical(["b", "a", None], categories=["b", "a"]), "n": [1, 2, 3]})
    >>> sort_rows(f, ["k"])["n"].tolist()
    [3, 2, 1]
    """
    return frame.take(_sort_order([frame[c] for c in columns])).reset_index(drop=True)


def _sort_order(columns: Sequence[pd.Series]) -> np.ndarray:
    """The stable order of rows by ``columns`` (of equal length), NA first: ranks combined into one integer."""
    key, size = np.zeros(len(columns[0]) if columns else 0, dtype=np.int64), 1
    for values in columns:
        rank, n = _ranks(values)
        if size * n >= _RADIX_LIMIT:
            key, size = pd.factorize(key, sort=True)[0], len(key) + 1
        key *= n
        key += rank + 1
        size *= n
    return np.argsort(key, kind="stable")


def duplicated_codes(codes: np.ndarray, size: int | None = None) -> np.ndarray:
    """Which of ``codes`` (non-negative ``int64``) occur more than once (every occurrence marked).
    ``size`` (an upper bound of the codes) lets a small code space be counted instead of hashed.

    Example
    -------
    >>> duplicated_codes(np.array([3, 1, 3])).tolist()
    [True, False, True]
    """
    if size is not None and size <= max(4 * len(codes), 1 << 20):
        return np.bincount(codes, minlength=size)[codes] > 1
    ordered = np.sort(codes)  # (a sort: a hash table of millions of codes is larger and slower)
    if not (ordered[1:] == ordered[:-1]).any():
        return np.zeros(len(codes), dtype=bool)
    return pd.Series(codes).duplicated(keep=False).to_numpy()


def check_unique_keys(frame: pd.DataFrame, keys: Sequence[str], source: str) -> None:
    """Raise :class:`DataFormatError` if ``frame`` holds two rows with the same key.

    Example
    -------
    >>> check_unique_keys(pd.DataFrame({"k": [1, 1]}), ["k"], "constructed.csv")
    Traceback (most recent call last):
    ...
    klyngedata.exceptions.DataFormatError: constructed.csv: 2 rows share a key (k=1); each key may occur once
    """
    _refuse_duplicates(frame, keys, row_codes([frame], keys)[0], source)


def _refuse_duplicates(frame: pd.DataFrame, keys: Sequence[str], codes: np.ndarray, source: str) -> None:
    dup = duplicated_codes(codes)
    if dup.any():
        first = frame.iloc[int(np.flatnonzero(dup)[0])]
        key = ", ".join(f"{k}={_label(first[k])}" for k in keys)
        raise DataFormatError(f"{source}: {int(dup.sum())} rows share a key ({key}); each key may occur once")


def _differs(a: pd.DataFrame, b: pd.DataFrame, values: Sequence[str]) -> np.ndarray:
    """Row by row (aligned by position): whether any of ``values`` differs; NA equals NA only."""
    changed = np.zeros(len(a), dtype=bool)
    for v in values:
        x, y = a[v].reset_index(drop=True), b[v].reset_index(drop=True)
        if x.dtype != y.dtype:
            x, y = x.astype(object), y.astype(object)
        na_x, na_y = x.isna().to_numpy(dtype=bool), y.isna().to_numpy(dtype=bool)
        both = ~na_x & ~na_y
        unequal = np.zeros(len(x), dtype=bool)
        unequal[both] = (x[both] != y[both]).to_numpy(dtype=bool)
        changed |= (na_x != na_y) | unequal
    return changed


def _positions(keys: np.ndarray, look_up: np.ndarray) -> np.ndarray | None:
    """The position in ``keys`` of each of ``look_up`` (-1 where absent), by sorting ``keys`` (a few arrays of
    their size; a hash table of millions of keys takes several times that); ``None`` when ``keys`` repeats one.

    Example
    -------
    >>> _positions(np.array([7, 3, 5]), np.array([5, 4, 7])).tolist(), _positions(np.array([1, 1]), np.array([1]))
    ([2, -1, 0], None)
    """
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    if len(ordered) > 1 and (ordered[1:] == ordered[:-1]).any():
        return None
    at = np.searchsorted(ordered, look_up)
    if not len(ordered):
        return np.full(len(look_up), -1, dtype=np.int64)
    np.minimum(at, len(ordered) - 1, out=at)
    found = ordered.take(at) == look_up
    del ordered
    position = order.take(at)
    position[~found] = -1
    return position


def merge_by_key(old: pd.DataFrame | None, new: pd.DataFrame, keys: Sequence[str], values: Sequence[str], *,
                 replace: bool = False, sort: Sequence[str] = ()) -> tuple[pd.DataFrame, MergeReport]:
    """Merge ``new`` into ``old`` by ``keys``; returns the merged frame and a :class:`MergeReport`.

    Rows of ``new`` win over cached rows with the same key; cached rows whose key is not in ``new`` are kept,
    or dropped (and reported) when ``replace=True``. ``new`` must not repeat a key. ``sort``: the merged rows in
    the order of these columns (:func:`sort_rows`).

    Example
    -------
    >>> old = pd.DataFrame({"k": ["a", "b"], "v": [1, 2]})  # constructed example
    >>> merged, report = merge_by_key(old, pd.DataFrame({"k": ["a"], "v": [1]}), ["k"], ["v"], replace=True)
    >>> merged["k"].tolist(), report.dropped
    (['a'], 1)
    """
    report = MergeReport(replaced=replace)
    if old is None or old.empty:
        check_unique_keys(new, keys, "the new rows")
        report.added = len(new)
        return concat_rows([new], sort), report
    old = old[list(new.columns)] if set(new.columns) <= set(old.columns) else old
    old_keys, new_keys = row_codes([old, new], keys)
    position = _positions(new_keys, old_keys)  # the new row of each cached row's key, or -1
    if position is None:
        _refuse_duplicates(new, keys, new_keys, "the new rows")
    del old_keys, new_keys
    in_new = position >= 0
    report.updated = int(in_new.sum())
    report.added = len(new) - report.updated
    if report.updated:
        report.changed = int(_differs(old[list(values)].iloc[np.flatnonzero(in_new)],
                                      new[list(values)].iloc[position[in_new]], values).sum())
    rest = old[~in_new]
    del position, in_new
    release_memory()  # (the look-up's arrays, freed, back to the system before the merged rows are made)
    if replace:
        report.dropped = len(rest)
        report.dropped_text = describe_rows(rest) if len(rest) else ""
        return concat_rows([new], sort), report
    report.kept = len(rest)
    merged = concat_rows([rest, new] if len(rest) else [new], sort)
    return merged, report
