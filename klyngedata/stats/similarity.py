"""Nearest neighbours of a unit by standardised features (the distance behind :func:`klyngedata.peers`).

Each feature column is standardised over the units given (``z = (x - mean) / sd``, population standard
deviation); a column that is the same for every unit carries no information and is dropped. The distance
between two units is the weighted Euclidean distance of their z-scores::

    d(a, b) = sqrt( sum_c w_c (z_ac - z_bc)^2 / sum_c w_c )

so that with equal weights a distance of 1 means "one standard deviation apart on average". Weights let a
block of related columns (e.g. the five municipality-group shares) count as one feature.

Example (constructed)
---------------------
>>> import pandas as pd
>>> F = pd.DataFrame({"size": [1.0, 2.0, 10.0, 2.2]}, index=["a", "b", "c", "d"])
>>> nearest(F, "b", n=2)["unit"].tolist()
['d', 'a']
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["nearest", "standardise"]


def standardise(features: pd.DataFrame) -> pd.DataFrame:
    """z-scores of every numeric column over the rows (population sd); constant columns are dropped.

    Example
    -------
    >>> standardise(pd.DataFrame({"x": [1.0, 3.0], "c": [5.0, 5.0]}))["x"].tolist()
    [-1.0, 1.0]
    """
    num = features.select_dtypes("number").astype("float64")
    sd = num.std(ddof=0)
    keep = sd[sd > 0].index
    return (num[keep] - num[keep].mean()) / sd[keep]


def nearest(features: pd.DataFrame, unit: str, n: int = 5,
            weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """The ``n`` rows of ``features`` nearest to ``unit`` (the index) by the weighted z-score distance.

    Rows with a missing feature are left out (listed in ``attrs["excluded"]``). Returns ``rank``, ``unit``,
    ``distance`` (sorted, ties broken by the unit id) and ``attrs["features"]`` (columns used) and
    ``attrs["weights"]``.

    Example: see the module docstring.
    """
    if unit not in features.index:
        raise KeyError(unit)
    complete = features.dropna()
    excluded = [u for u in features.index if u not in complete.index]
    if unit not in complete.index:
        raise ValueError(f"{unit!r} has missing features: "
                         f"{[c for c in features.columns if pd.isna(features.loc[unit, c])]}")
    z = standardise(complete)
    w = pd.Series({c: float((weights or {}).get(c, 1.0)) for c in z.columns}, dtype="float64")
    diff = z - z.loc[unit]
    d = np.sqrt((diff.pow(2) * w).sum(axis=1) / w.sum()) if len(w) and w.sum() > 0 else pd.Series(0.0, z.index)
    others = pd.DataFrame({"unit": d.index, "distance": d.to_numpy()})
    others = others[others["unit"] != unit].sort_values(["distance", "unit"], kind="stable").head(n)
    others.insert(0, "rank", range(1, len(others) + 1))
    others = others.reset_index(drop=True)
    others.attrs["features"] = list(z.columns)
    others.attrs["weights"] = w.to_dict()
    others.attrs["excluded"] = excluded
    return others
