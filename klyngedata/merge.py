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

import pandas as pd

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


def _key_series(frame: pd.DataFrame, keys: Sequence[str]) -> pd.Series:
    """One string per row joining the key columns (vectorised; NA and periods as text compare exactly)."""
    out = pd.Series("", index=frame.index, dtype=object)
    for i, k in enumerate(keys):
        text = frame[k].astype("string").fillna("\x00NA").astype(object)
        out = text if i == 0 else out + "\x1f" + text
    return out


def check_unique_keys(frame: pd.DataFrame, keys: Sequence[str], source: str) -> None:
    """Raise :class:`DataFormatError` if ``frame`` holds two rows with the same key.

    Example
    -------
    >>> check_unique_keys(pd.DataFrame({"k": [1, 1]}), ["k"], "constructed.csv")
    Traceback (most recent call last):
    ...
    klyngedata.exceptions.DataFormatError: constructed.csv: 2 rows share a key (k=1); each key may occur once
    """
    dup = _key_series(frame, keys).duplicated(keep=False)
    if dup.any():
        first = frame[dup].iloc[0]
        key = ", ".join(f"{k}={_label(first[k])}" for k in keys)
        raise DataFormatError(f"{source}: {int(dup.sum())} rows share a key ({key}); each key may occur once")


def merge_by_key(old: pd.DataFrame | None, new: pd.DataFrame, keys: Sequence[str], values: Sequence[str], *,
                 replace: bool = False) -> tuple[pd.DataFrame, MergeReport]:
    """Merge ``new`` into ``old`` by ``keys``; returns the merged frame and a :class:`MergeReport`.

    Rows of ``new`` win over cached rows with the same key; cached rows whose key is not in ``new`` are kept,
    or dropped (and reported) when ``replace=True``. ``new`` must not repeat a key.

    Example
    -------
    >>> old = pd.DataFrame({"k": ["a", "b"], "v": [1, 2]})  # constructed example
    >>> merged, report = merge_by_key(old, pd.DataFrame({"k": ["a"], "v": [1]}), ["k"], ["v"], replace=True)
    >>> merged["k"].tolist(), report.dropped
    (['a'], 1)
    """
    check_unique_keys(new, keys, "the new rows")
    report = MergeReport(replaced=replace)
    if old is None or old.empty:
        report.added = len(new)
        return new.reset_index(drop=True), report
    old = old[list(new.columns)] if set(new.columns) <= set(old.columns) else old
    old_keys = _key_series(old, keys)
    new_keys = _key_series(new, keys)
    in_new = old_keys.isin(new_keys)
    report.updated = int(in_new.sum())
    report.added = len(new) - report.updated
    if report.updated:
        o = old[in_new.to_numpy()].assign(_k=old_keys[in_new].to_numpy())
        n = new.assign(_k=new_keys.to_numpy())
        both = o.merge(n, on="_k", suffixes=("_old", "_new"))
        changed = pd.Series(False, index=both.index)
        for v in values:
            a, b = both[f"{v}_old"], both[f"{v}_new"]
            differs = (a.isna() != b.isna()) | (a.notna() & b.notna() & (a.astype(object) != b.astype(object)))
            changed |= differs.fillna(False).astype(bool)
        report.changed = int(changed.sum())
    rest = old[~in_new.to_numpy()]
    if replace:
        report.dropped = len(rest)
        report.dropped_text = describe_rows(rest) if len(rest) else ""
        return new.reset_index(drop=True), report
    report.kept = len(rest)
    merged = pd.concat([rest, new], ignore_index=True) if len(rest) else new.reset_index(drop=True)
    return merged, report
