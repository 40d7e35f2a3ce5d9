"""Pure arithmetic on age distributions: sums over age ranges, the median age, the old-age dependency ratio.

An age distribution is a mapping single age -> count, a Series indexed by age, or bands ``(lo, hi, count)``
(``hi`` None for an open top band).

>>> median_age({0: 1, 1: 1})  # two persons aged 0 and 1 (constructed)
1.0
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import pandas as pd

# --------------------------------------------------------------------------------------------------
# pure arithmetic on age distributions
# --------------------------------------------------------------------------------------------------

Band = tuple[int, "int | None", float]


def _as_bands(counts: Mapping[int, float] | pd.Series | Iterable[tuple]) -> list[Band]:
    if isinstance(counts, pd.Series):
        items: Iterable = counts.items()
        bands = [(int(a), int(a), float(v)) for a, v in items]
    elif isinstance(counts, Mapping):
        bands = [(int(a), int(a), float(v)) for a, v in counts.items()]
    else:
        bands = [(int(lo), None if hi is None or pd.isna(hi) else int(hi), float(v)) for lo, hi, v in counts]
    return sorted(bands, key=lambda b: b[0])


def age_range_sum(counts: Mapping[int, float] | pd.Series | Iterable[tuple], lo: int,
                  hi: int | None = None) -> float | None:
    """Number of persons aged ``lo`` … ``hi`` (inclusive; ``hi=None`` = ``lo`` and over).

    ``counts`` is a single-year distribution (mapping/Series age -> persons) or bands ``(lo, hi, n)`` with
    ``hi=None`` for an open top band. Returns ``None`` when a band straddles a limit (e.g. 15-19 for
    0-17), because the split inside a band is unknown.

    Example
    -------
    >>> age_range_sum({16: 3, 17: 2, 18: 5}, 0, 17)
    5.0
    >>> age_range_sum([(15, 19, 10), (20, 24, 4)], 0, 17) is None
    True
    """
    total = 0.0
    for blo, bhi, n in _as_bands(counts):
        b_top = math.inf if bhi is None else bhi
        top = math.inf if hi is None else hi
        if blo >= lo and b_top <= top:
            total += n
        elif b_top < lo or blo > top:
            continue
        else:
            return None
    return total


def median_age(counts: Mapping[int, float] | pd.Series | Iterable[tuple], max_width: int | None = 5) -> float | None:
    """Median age with linear interpolation inside the year (or band) where the median falls.

    Each single-year age ``a`` is taken to cover ``[a, a+1)`` with its persons spread evenly; with
    ``N`` persons in all, ``K`` persons younger than ``a`` and ``n`` persons aged ``a``, where ``a`` is the
    first age at which the cumulative count reaches ``N/2``::

        median = a + (N/2 - K) / n

    A band ``lo``-``hi`` is treated as ``[lo, hi+1)``. Returns ``None`` for an empty distribution, when the
    median falls in an open-ended band, or in a band wider than ``max_width`` years (default 5: a median
    interpolated inside e.g. 18-64 would mostly reflect the assumption of an even spread, not the data).

    Example (constructed): ages 20, 30, 30, 40, 50 -> N/2 = 2.5, K = 1 below 30, n = 2 aged 30
    -> 30 + (2.5 - 1) / 2 = 30.75

    >>> median_age({20: 1, 30: 2, 40: 1, 50: 1})
    30.75
    """
    bands = [b for b in _as_bands(counts) if b[2] > 0]
    n_all = sum(b[2] for b in bands)
    if n_all <= 0:
        return None
    half = n_all / 2.0
    cum = 0.0
    for lo, hi, n in bands:
        if cum + n >= half:
            if hi is None:
                return None
            width = hi + 1 - lo
            if max_width is not None and width > max_width:
                return None
            return lo + (half - cum) / n * width
        cum += n
    return None  # pragma: no cover (unreachable: cum reaches n_all)


def old_age_dependency_ratio(counts: Mapping[int, float] | pd.Series | Iterable[tuple]) -> float | None:
    """Old-age dependency ratio: persons 65+ per 100 persons aged 18-64 (``None`` if not computable).

    Example (constructed): 3 persons aged 70, 6 aged 30 -> 100 x 3 / 6 = 50.0

    >>> old_age_dependency_ratio({30: 6, 70: 3})
    50.0
    """
    old = age_range_sum(counts, 65, None)
    working = age_range_sum(counts, 18, 64)
    if old is None or working is None or working == 0:
        return None
    return 100.0 * old / working
