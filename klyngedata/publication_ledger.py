"""What earlier releases published: the indicator and health figures shown from a data directory's data, kept in its
cache, so that the disclosure control of the next release counts them as published.

A weekly run publishes the figures of the data as they are that week. When a later import adds or corrects rows,
the new release's suppression pattern can differ from the last one: a municipality shown last week (when nothing
around it needed hiding) may be what this week would hide to protect a new small count, and the pair would
reveal it. So every figure :func:`klyngedata.indicators.indicator_figures` shows from the cache is recorded here
(its definition — figure, period, sex, age group and the municipalities it sums, with their weights — and its
counts), and a new release treats a figure with the same definition and the same counts as already public: the
control hides other figures instead (:func:`klyngedata.disclosure.suppress_published`, ``published_before``).

A figure whose counts changed (corrected data) is a different fact and is not matched. The record lives in the
data directory: releases from another directory are not known to it. A cache that cannot be written keeps the
old record (logged), and the figures are published as controlled.

Example
-------
>>> keys = definition_keys(pd.DataFrame({"figure_id": ["f"], "period": ["2024"], "sex": ["total"],
...                                      "age_group": ["total"], "members": [(("0825", 1.0),)]}))
>>> keys.iloc[0]
('f', '2024', 'total', 'total', '0825:1')
"""

from __future__ import annotations

import datetime as dt
import logging
import os

import numpy as np
import pandas as pd

from klyngedata.cache import Cache
from klyngedata.exceptions import CacheWriteError, KlyngedataError

__all__ = ["LEDGER_KEY", "definition_keys", "published_before", "record_published"]

log = logging.getLogger(__name__)

LEDGER_KEY = "published/indicators"
"""Cache key of the record of published indicator figures."""
_COLUMNS = ["figure_id", "period", "sex", "age_group", "members", "numerator", "denominator", "first_published"]


def _members(members: object) -> str | None:
    if members is None or (isinstance(members, float) and np.isnan(members)):
        return None
    return ";".join(f"{code}:{float(w):.12g}" for code, w in sorted(members))


def definition_keys(table: pd.DataFrame) -> pd.Series:
    """One hashable definition per row: figure, period, sex, age group and the weighted members."""
    return pd.Series([(str(f), str(p), str(s), str(a), _members(m)) for f, p, s, a, m in zip(
        table["figure_id"], table["period"], table["sex"], table["age_group"], table["members"], strict=True)],
        index=table.index, dtype=object)


def _counts(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Numerators and denominators rounded to 6 decimals; a missing one (a count without a denominator) as -1, so
    that it matches itself (NaN never equals NaN)."""
    num = pd.to_numeric(table["numerator"], errors="coerce").to_numpy(dtype=float)
    den = pd.to_numeric(table["denominator"], errors="coerce").to_numpy(dtype=float)
    return np.nan_to_num(np.round(num, 6), nan=-1.0), np.nan_to_num(np.round(den, 6), nan=-1.0)


def _read(data_dir: str | os.PathLike[str] | None) -> pd.DataFrame | None:
    cache = Cache(data_dir)
    try:
        return cache.read(LEDGER_KEY) if cache.exists(LEDGER_KEY) else None
    except KlyngedataError as exc:  # a damaged record: no earlier release is known (logged)
        log.warning("the record of published indicator figures cannot be read (%s)", exc)
        return None


def published_before(table: pd.DataFrame, data_dir: str | os.PathLike[str] | None) -> np.ndarray:
    """For every row of ``table`` (rows about to be controlled), True when an earlier release showed the same
    figure (same definition, same counts)."""
    old = _read(data_dir)
    if old is None or old.empty or table.empty:
        return np.zeros(len(table), dtype=bool)
    old_keys = zip(old["figure_id"], old["period"], old["sex"], old["age_group"], old["members"], strict=True)
    known = set(zip(old_keys, *_counts(old), strict=True))
    return np.array([(k, n, d) in known for k, n, d in zip(definition_keys(table), *_counts(table), strict=True)],
                    dtype=bool)


def record_published(out: pd.DataFrame, data_dir: str | os.PathLike[str] | None) -> int:
    """Add the shown figures of ``out`` (not suppressed, with counts and members) to the record; returns how many
    were new. A cache that cannot be written keeps the old record (logged)."""
    shown = out[~out["suppressed"].astype(bool) & out["members"].notna()
                & pd.to_numeric(out["numerator"], errors="coerce").notna()]
    if shown.empty:
        return 0
    num, den = _counts(shown)
    new = pd.DataFrame({"figure_id": shown["figure_id"].astype(str), "period": shown["period"].astype(str),
                        "sex": shown["sex"].astype(str), "age_group": shown["age_group"].astype(str),
                        "members": [_members(m) for m in shown["members"]], "numerator": num, "denominator": den,
                        "first_published": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()})
    key = ["figure_id", "period", "sex", "age_group", "members", "numerator", "denominator"]
    new = new.drop_duplicates(key)
    cache = Cache(data_dir)
    try:
        with cache.lock():
            old = _read(data_dir)
            merged = new if old is None else pd.concat([old[_COLUMNS], new], ignore_index=True)
            merged = merged.drop_duplicates(key, keep="first").reset_index(drop=True)
            added = len(merged) - (0 if old is None else len(old))
            if added:
                cache.write(LEDGER_KEY, merged, {"table": "published indicator figures",
                                                 "source": "klyngedata (figures shown by indicator_figures)"})
    except (CacheWriteError, OSError) as exc:
        log.warning("the published indicator figures could not be recorded (%s); the next release will not know "
                    "them", exc)
        return 0
    return added
