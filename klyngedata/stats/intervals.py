"""Confidence intervals for published figures: proportions, counts and rates, standardised rates.

Pure functions of numbers (scalars or array-likes; no I/O, no look-ups). Every function returns the
interval on the scale it names; :func:`figure_interval` puts it on the scale of a figure's ``value``
(``numerator / denominator x per``).

Methods
    * ``"wilson"`` – Wilson score interval for a binomial proportion ``x / n`` (Wilson 1927). Used for
      shares of a population (``0 <= x <= n``). With ``z`` the normal quantile and ``p = x / n``::

          centre = (p + z^2 / (2n)) / (1 + z^2 / n)
          half   = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / (4 n^2))

    * ``"exact_binomial"`` – Clopper–Pearson interval from beta quantiles (conservative; an alternative).
    * ``"poisson"`` – exact (Garwood) Poisson interval for a count ``O`` (chi-square quantiles
      ``chi2(alpha/2, 2O)/2`` and ``chi2(1-alpha/2, 2O+2)/2``), divided by the denominator for a rate.
      Used for events that can happen more than once per person (admissions, prescriptions).
    * ``"byar"`` – Byar's approximation to the exact Poisson interval (Breslow & Day 1987), as used by
      many public-health tools; close to ``"poisson"`` for counts above ~10.
    * ``"gamma"`` – Fay & Feuer (1997) interval of a directly standardised rate (a weighted sum of
      Poisson counts), used by :func:`klyngedata.standardise.direct_standardise`.

Two levels are used in published rows: 95 % (outcomes against the benchmarks) and 99.8 % (a stricter
mark, as in the English Fingertips profiles: about 3 standard errors).

Example
-------
>>> [round(x, 4) for x in wilson_interval(30, 400)]
[0.053, 0.105]
>>> low, high = figure_interval("poisson", 10, 1000, per=1000)
>>> round(float(low), 2), round(float(high), 2)
(4.8, 18.39)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from klyngedata.lazy import module

_st = module("scipy.stats")  # imported when an interval first needs it

__all__ = [
    "CONF_LEVELS",
    "INTERVAL_METHODS",
    "byar_interval",
    "exact_binomial_interval",
    "figure_interval",
    "gamma_interval",
    "poisson_interval",
    "wilson_interval",
]

CONF_LEVELS = (0.95, 0.998)
"""The two confidence levels of published rows (columns ``ci95_*`` and ``ci998_*``)."""

INTERVAL_METHODS = ("wilson", "exact_binomial", "poisson", "byar")
"""Methods :func:`figure_interval` computes from a numerator and a denominator."""


def _z(conf: float) -> float:
    if not 0 < conf < 1:
        raise ValueError(f"conf must be between 0 and 1, got {conf}")
    return float(_st.norm.ppf(1 - (1 - conf) / 2))


def _arrays(*values: Any) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(np.asarray(v, dtype="float64"), dtype="float64") for v in values)


def _out(low: np.ndarray, high: np.ndarray, scalar: bool) -> tuple[Any, Any]:
    if scalar:
        return float(low), float(high)
    return low, high


def wilson_interval(numerator: Any, denominator: Any, conf: float = 0.95) -> tuple[Any, Any]:
    """Wilson score interval for the proportion ``numerator / denominator`` (on the 0–1 scale).

    Missing, negative or impossible inputs (``denominator <= 0``, ``numerator > denominator``) give NaN.

    Example (constructed): 30 of 400 -> 7.5 %, interval 5,3 %–10,5 %.

    >>> [round(x, 4) for x in wilson_interval(30, 400)]
    [0.053, 0.105]
    >>> wilson_interval(0, 50)[0]
    0.0
    """
    scalar = np.ndim(numerator) == 0 and np.ndim(denominator) == 0
    x, n = _arrays(numerator, denominator)
    z = _z(conf)
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = np.isfinite(x) & np.isfinite(n) & (n > 0) & (x >= 0) & (x <= n)
        p = np.where(ok, x / np.where(n > 0, n, 1), np.nan)
        z2n = z * z / np.where(ok, n, 1)
        centre = (p + z2n / 2) / (1 + z2n)
        half = z / (1 + z2n) * np.sqrt(p * (1 - p) / np.where(ok, n, 1) + z2n / (4 * np.where(ok, n, 1)))
        low = np.where(ok, np.clip(centre - half, 0, 1), np.nan)
        high = np.where(ok, np.clip(centre + half, 0, 1), np.nan)
    low = np.where(ok & (x == 0), 0.0, low)
    high = np.where(ok & (x == n), 1.0, high)
    return _out(low, high, scalar)


def exact_binomial_interval(numerator: Any, denominator: Any, conf: float = 0.95) -> tuple[Any, Any]:
    """Clopper–Pearson ("exact") interval for a proportion (0–1 scale), from beta quantiles.

    Example
    -------
    >>> [round(x, 4) for x in exact_binomial_interval(30, 400)]
    [0.0512, 0.1053]
    """
    scalar = np.ndim(numerator) == 0 and np.ndim(denominator) == 0
    x, n = _arrays(numerator, denominator)
    a = 1 - conf
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(x) & np.isfinite(n) & (n > 0) & (x >= 0) & (x <= n)
        xs, ns = np.where(ok, x, 1.0), np.where(ok, n, 2.0)
        low = np.where(xs > 0, _st.beta.ppf(a / 2, xs, ns - xs + 1), 0.0)
        high = np.where(xs < ns, _st.beta.ppf(1 - a / 2, xs + 1, ns - xs), 1.0)
    return _out(np.where(ok, low, np.nan), np.where(ok, high, np.nan), scalar)


def poisson_interval(observed: Any, conf: float = 0.95) -> tuple[Any, Any]:
    """Exact (Garwood) Poisson interval for an observed count (on the count scale).

    Example
    -------
    >>> [round(x, 3) for x in poisson_interval(10)]
    [4.795, 18.39]
    >>> poisson_interval(0)[0]
    0.0
    """
    scalar = np.ndim(observed) == 0
    (o,) = _arrays(observed)
    a = 1 - conf
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(o) & (o >= 0)
        os_ = np.where(ok, o, 0.0)
        low = np.where(os_ > 0, _st.chi2.ppf(a / 2, 2 * np.where(os_ > 0, os_, 1)) / 2, 0.0)
        high = _st.chi2.ppf(1 - a / 2, 2 * os_ + 2) / 2
    return _out(np.where(ok, low, np.nan), np.where(ok, high, np.nan), scalar)


def byar_interval(observed: Any, conf: float = 0.95) -> tuple[Any, Any]:
    """Byar's approximation to the exact Poisson interval of a count (count scale)::

        low  = O (1 - 1/(9O) - z / (3 sqrt(O)))^3
        high = (O + 1) (1 - 1/(9(O+1)) + z / (3 sqrt(O+1)))^3

    Example
    -------
    >>> [round(x, 2) for x in byar_interval(10)]
    [4.79, 18.39]
    """
    scalar = np.ndim(observed) == 0
    (o,) = _arrays(observed)
    z = _z(conf)
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = np.isfinite(o) & (o >= 0)
        pos = np.where(o > 0, o, 1.0)
        low = np.where(o > 0, pos * (1 - 1 / (9 * pos) - z / (3 * np.sqrt(pos))) ** 3, 0.0)
        o1 = np.where(ok, o, 0.0) + 1
        high = o1 * (1 - 1 / (9 * o1) + z / (3 * np.sqrt(o1))) ** 3
    return _out(np.where(ok, low, np.nan), np.where(ok, high, np.nan), scalar)


def gamma_interval(y: float, v: float, w_max: float, conf: float = 0.95) -> tuple[float, float]:
    """Fay & Feuer (1997) gamma interval of a directly standardised rate (per person, not per 1,000).

    ``y = sum w_i d_i`` (the standardised rate), ``v = sum w_i^2 d_i`` (its Poisson variance) and
    ``w_max = max w_i`` with ``w_i = s_i / (S n_i)``. Lower limit 0 when there are no events.

    Example (constructed): 10 events at weight 0.0001 -> y = 0.001, v = 1e-07.

    >>> [round(x * 1000, 3) for x in gamma_interval(0.001, 1e-07, 0.0001)]
    [0.48, 1.839]
    """
    a = 1 - conf
    lower = 0.0 if y <= 0 or v <= 0 else float(_st.gamma.ppf(a / 2, y * y / v, scale=v / y))
    upper = float(_st.gamma.ppf(1 - a / 2, (y + w_max) ** 2 / (v + w_max * w_max),
                                scale=(v + w_max * w_max) / (y + w_max)))
    return lower, upper


def figure_interval(method: str, numerator: Any, denominator: Any, per: Any = 1.0,
                    conf: float = 0.95) -> tuple[Any, Any]:
    """Interval of a figure ``value = numerator / denominator x per`` on the value's own scale.

    ``method`` is one of :data:`INTERVAL_METHODS`; binomial methods need ``numerator <= denominator``.
    NaN where an input is missing.

    Example (constructed): 54,389 of 62,723 citizens with a GP contact -> 86.7 %, Wilson 95 % interval.

    >>> low, high = figure_interval("wilson", 54389, 62723, per=100)
    >>> round(float(low), 2), round(float(high), 2)
    (86.45, 86.98)
    """
    scalar = all(np.ndim(v) == 0 for v in (numerator, denominator, per))
    num, den, mult = _arrays(numerator, denominator, per)
    if method == "wilson":
        low, high = wilson_interval(num, den, conf)
    elif method == "exact_binomial":
        low, high = exact_binomial_interval(num, den, conf)
    elif method in ("poisson", "byar"):
        fn = poisson_interval if method == "poisson" else byar_interval
        lo_c, hi_c = fn(num, conf)
        with np.errstate(invalid="ignore", divide="ignore"):
            good = np.isfinite(den) & (den > 0)
            low = np.where(good, lo_c / np.where(good, den, 1), np.nan)
            high = np.where(good, hi_c / np.where(good, den, 1), np.nan)
    else:
        raise ValueError(f"unknown interval method {method!r}; use one of {INTERVAL_METHODS}")
    low, high = np.asarray(low) * mult, np.asarray(high) * mult
    return _out(low, high, scalar)

