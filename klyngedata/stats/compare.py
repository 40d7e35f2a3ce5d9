"""Outcome of a figure against a benchmark (region, Denmark) from its confidence interval.

The method is the one of the English Fingertips profiles: the benchmark value is compared with the
unit's interval. When the benchmark lies *outside* the interval the unit differs significantly from
it; the direction and the figure's polarity give the outcome:

===============  ======================  ======================  ==================
polarity         benchmark below low     benchmark above high    inside / on edge
===============  ======================  ======================  ==================
``high_is_good`` ``better``              ``worse``               ``similar``
``low_is_good``  ``worse``               ``better``              ``similar``
``neutral``      ``higher``              ``lower``               ``similar``
===============  ======================  ======================  ==================

``not_compared`` when the interval or the benchmark is missing; the caller gives the Danish reason.

Example
-------
>>> compare(86.45, 86.98, 83.59, "neutral")
'higher'
>>> compare(10.1, 14.0, 12.0, "low_is_good")
'similar'
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "OUTCOMES",
    "OUTCOME_DA",
    "POLARITIES",
    "compare",
    "compare_many",
]

POLARITIES = ("high_is_good", "low_is_good", "neutral")
OUTCOMES = ("better", "similar", "worse", "higher", "lower", "not_compared")
OUTCOME_DA = {
    "better": "bedre",
    "similar": "på niveau",
    "worse": "dårligere",
    "higher": "højere",
    "lower": "lavere",
    "not_compared": "ikke sammenlignet",
}
"""Danish display of each outcome (e.g. in tables: "bedre end landet")."""


def _missing(x: Any) -> bool:
    try:
        return x is None or x is np.nan or math.isnan(float(x))
    except (TypeError, ValueError):
        return True


def compare(low: Any, high: Any, benchmark: Any, polarity: str) -> str:
    """Outcome of a unit with interval ``[low, high]`` against ``benchmark`` (see the module table).

    Example
    -------
    >>> compare(20.1, 24.0, 18.5, "low_is_good")
    'worse'
    >>> compare(None, None, 18.5, "low_is_good")
    'not_compared'
    """
    if polarity not in POLARITIES:
        raise ValueError(f"unknown polarity {polarity!r}; use one of {POLARITIES}")
    if _missing(low) or _missing(high) or _missing(benchmark):
        return "not_compared"
    b = float(benchmark)
    if b < float(low):
        side = "higher"
    elif b > float(high):
        side = "lower"
    else:
        return "similar"
    if polarity == "neutral":
        return side
    good = (side == "higher") == (polarity == "high_is_good")
    return "better" if good else "worse"


def compare_many(low: Any, high: Any, benchmark: Any, polarity: Any) -> list[str]:
    """:func:`compare` element-wise (``polarity`` a string or one per element).

    Example
    -------
    >>> compare_many([1.0, 5.0], [2.0, 6.0], [3.0, 5.5], ["high_is_good", "neutral"])
    ['worse', 'similar']
    """
    lows, highs, benches = list(low), list(high), list(benchmark)
    pols = [polarity] * len(lows) if isinstance(polarity, str) else list(polarity)
    if not len(lows) == len(highs) == len(benches) == len(pols):
        raise ValueError("compare_many: inputs have different lengths")
    return [compare(a, b, c, p) for a, b, c, p in zip(lows, highs, benches, pols, strict=True)]
