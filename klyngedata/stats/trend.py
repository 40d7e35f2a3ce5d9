"""Tests for trend over a series of periods (at least 3), with a Danish label that respects polarity.

Which test fits which data (the catalogue names one per figure):

``"chi2_proportion"`` – chi-square test for trend in proportions (Cochran–Armitage)
    Counts ``O_i`` of ``N_i`` at times ``t_i``; ``p = sum O / sum N``::

        U = sum t_i (O_i - N_i p)
        V = p (1 - p) (sum N_i t_i^2 - (sum N_i t_i)^2 / sum N)

    ``U^2 / V`` is chi-square with 1 degree of freedom; the sign of ``U`` gives the direction.
``"poisson"`` – chi-square (score) test for trend in Poisson rates
    Events ``O_i`` with person-time/population ``N_i`` (all 1 for a plain count series);
    ``r = sum O / sum N``, ``E_i = N_i r``::

        U = sum t_i (O_i - E_i)
        V = r (sum N_i t_i^2 - (sum N_i t_i)^2 / sum N)

``"ols"`` – least-squares slope of the value on time with a t-test (``n - 2`` degrees of freedom)
    For figures without a known sampling variance (survey shares published without sample sizes,
    means): the scatter of the points around the line estimates the variance. Conservative with few
    points (5 waves give 3 degrees of freedom).

The outcome is ``increasing`` / ``decreasing`` when the two-sided p-value is below ``alpha`` (0.05),
else ``no_significant_change``; ``not_computed`` (with a Danish reason) with fewer than ``min_periods``
points or missing values. Periods with a caveat (e.g. the 2021 wave of Den Nationale Sundhedsprofil,
collected under COVID-19 restrictions) are named in the note, and the test is repeated without them: if
that changes the conclusion, the note says so.

Example (constructed): daily smoking 17, 16, 14, 13, 11 % in the waves 2010–2025.

>>> r = trend_test([2010, 2013, 2017, 2021, 2025], [17.0, 16.0, 14.0, 13.0, 11.0], method="ols",
...                labels=["2010", "2013", "2017", "2021", "2025"],
...                caveats={"2021": "indsamlet under covid-19-restriktioner"})
>>> r.trend, trend_label_da(r.trend, "low_is_good")
('decreasing', 'faldende og bedre')
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from klyngedata.lazy import module
from klyngedata.vocabulary import period_start_year

_st = module("scipy.stats")  # imported when a test first needs it

__all__ = [
    "TRENDS",
    "TREND_METHODS",
    "TrendResult",
    "chi2_trend_proportions",
    "ols_trend",
    "period_time",
    "poisson_trend",
    "trend_label_da",
    "trend_test",
]

TRENDS = ("increasing", "decreasing", "no_significant_change", "not_computed")
TREND_METHODS = ("chi2_proportion", "poisson", "ols")
_METHOD_DA = {
    "chi2_proportion": "chi²-test for tendens i andele",
    "poisson": "chi²-test for tendens i rater (Poisson)",
    "ols": "lineær regression på tid (t-test af hældningen)",
}


@dataclass(frozen=True)
class TrendResult:
    """Result of :func:`trend_test`. ``statistic`` is ``z`` (chi-square tests) or ``t`` (ols).

    Example
    -------
    >>> TrendResult("not_computed", note_da="kun 2 perioder").trend
    'not_computed'
    """

    trend: str
    p_value: float = math.nan
    statistic: float = math.nan
    slope: float = math.nan
    n_periods: int = 0
    first: str = ""
    last: str = ""
    method: str = ""
    note_da: str = ""


def _arr(x: Any) -> np.ndarray:
    return np.asarray(x, dtype="float64")


def _z_result(u: float, v: float) -> tuple[float, float]:
    if not v > 0:
        return math.nan, math.nan
    z = u / math.sqrt(v)
    return z, float(2 * _st.norm.sf(abs(z)))


def chi2_trend_proportions(numerators: Sequence[float], denominators: Sequence[float],
                           times: Sequence[float]) -> tuple[float, float]:
    """Cochran–Armitage test for trend in proportions: ``(z, two-sided p)``; ``z > 0`` = increasing.

    Example (constructed): 10/100, 15/100, 20/100.

    >>> z, p = chi2_trend_proportions([10, 15, 20], [100, 100, 100], [1, 2, 3])
    >>> round(z, 3), round(p, 4)
    (1.98, 0.0477)
    """
    o, n, t = _arr(numerators), _arr(denominators), _arr(times)
    big_n = n.sum()
    p = o.sum() / big_n
    u = float(np.sum(t * (o - n * p)))
    v = float(p * (1 - p) * (np.sum(n * t * t) - np.sum(n * t) ** 2 / big_n))
    return _z_result(u, v)


def poisson_trend(counts: Sequence[float], exposures: Sequence[float] | None,
                  times: Sequence[float]) -> tuple[float, float]:
    """Score test for trend in Poisson rates: ``(z, two-sided p)``; ``exposures=None`` for plain counts.

    Example (constructed): 100, 110, 125 events in equal populations.

    >>> z, p = poisson_trend([100, 110, 125], None, [1, 2, 3])
    >>> round(z, 3), round(p, 4)
    (1.673, 0.0944)
    """
    o, t = _arr(counts), _arr(times)
    n = np.ones_like(o) if exposures is None else _arr(exposures)
    big_n = n.sum()
    r = o.sum() / big_n
    u = float(np.sum(t * (o - n * r)))
    v = float(r * (np.sum(n * t * t) - np.sum(n * t) ** 2 / big_n))
    return _z_result(u, v)


def ols_trend(values: Sequence[float], times: Sequence[float]) -> tuple[float, float, float]:
    """Least-squares slope of ``values`` on ``times`` with its t statistic and two-sided p-value.

    Returns ``(slope per time unit, t, p)``. With a perfect fit (no scatter) the p-value is 0 for a
    non-zero slope.

    Example (constructed)
    ---------------------
    >>> slope, t, p = ols_trend([17.0, 16.0, 14.0, 13.0, 11.0], [2010, 2013, 2017, 2021, 2025])
    >>> round(slope, 4), round(p, 5)
    (-0.395, 0.00036)
    """
    y, x = _arr(values), _arr(times)
    n = len(y)
    if n < 3:
        return math.nan, math.nan, math.nan
    xm, ym = x.mean(), y.mean()
    sxx = float(np.sum((x - xm) ** 2))
    if sxx <= 0:
        return math.nan, math.nan, math.nan
    slope = float(np.sum((x - xm) * (y - ym)) / sxx)
    resid = y - (ym + slope * (x - xm))
    s2 = float(np.sum(resid**2) / (n - 2))
    se = math.sqrt(s2 / sxx)
    if se == 0:  # a perfect fit: no scatter around the line
        return slope, (math.copysign(math.inf, slope) if slope else math.nan), (0.0 if slope else 1.0)
    t = slope / se
    return slope, t, float(2 * _st.t.sf(abs(t), n - 2))


def period_time(period: Any) -> float:
    """A period as a number of years (for the time axis of the trend tests).

    Accepts a :class:`pandas.Period`, a StatBank label (``2024``, ``2024K2``, ``2024Q2``, ``2024M04``) or a number.

    Example
    -------
    >>> period_time("2024"), period_time("2024K3"), period_time("2024M04")
    (2024.0, 2024.5, 2024.25)
    """
    if isinstance(period, (int, float, np.integer, np.floating)):
        return float(period)
    return period_start_year(period)


def _one(method: str, t: np.ndarray, v: np.ndarray, num: np.ndarray | None,
         den: np.ndarray | None, alpha: float) -> tuple[str, float, float, float]:
    if method == "chi2_proportion":
        z, p = chi2_trend_proportions(num, den, t)
        stat, slope = z, z
    elif method == "poisson":
        z, p = poisson_trend(num, den, t)
        stat, slope = z, z
    elif method == "ols":
        slope, stat, p = ols_trend(v, t)
    else:
        raise ValueError(f"unknown trend method {method!r}; use one of {TREND_METHODS}")
    if math.isnan(p):
        return "no_significant_change", p, stat, slope
    if p < alpha and slope != 0:
        return ("increasing" if slope > 0 else "decreasing"), p, stat, slope
    return "no_significant_change", p, stat, slope


def trend_test(
    times: Sequence[Any],
    values: Sequence[float],
    numerators: Sequence[float] | None = None,
    denominators: Sequence[float] | None = None,
    *,
    method: str = "ols",
    labels: Sequence[str] | None = None,
    caveats: Mapping[str, str] | None = None,
    min_periods: int = 3,
    alpha: float = 0.05,
    polarity: str = "neutral",
) -> TrendResult:
    """Test a series for trend (see the module docstring for the methods).

    ``times`` are numbers or periods (converted with :func:`period_time`), ``values`` the figure's values;
    ``numerators`` / ``denominators`` are needed by ``"chi2_proportion"`` (counts and persons) and
    ``"poisson"`` (events; ``denominators`` = population or person-time, or ``None`` for plain counts).
    ``labels`` name the periods in the Danish note; ``caveats`` maps a label to a Danish caveat;
    ``polarity`` words the note ("stigende og dårligere").

    Example (constructed): the number of inhabitants 62,940, 62,780, 62,598 in three years.

    >>> r = trend_test([2022, 2023, 2024], [62940, 62780, 62598], [62940, 62780, 62598], method="poisson")
    >>> r.trend, r.n_periods
    ('no_significant_change', 3)
    """
    labels = [str(x) for x in (labels if labels is not None else times)]
    t = np.array([period_time(x) for x in times], dtype="float64")
    v = _arr(values)
    num = _arr(numerators) if numerators is not None else None
    den = _arr(denominators) if denominators is not None else None
    n = len(t)
    span = f"{labels[0]}-{labels[-1]}" if n else ""
    if n < min_periods:
        return TrendResult("not_computed", n_periods=n, first=labels[0] if n else "", last=labels[-1] if n else "",
                           method=method,
                           note_da=f"Udviklingen kræver mindst {min_periods} perioder; der er {n}"
                                   + (f" ({', '.join(labels)})" if n else "") + ".")
    need = [v] if method == "ols" else [num] + ([den] if method == "chi2_proportion" or den is not None else [])
    if any(a is None for a in need):
        raise ValueError(f"trend method {method!r} needs numerators" + (" and denominators"
                                                                         if method == "chi2_proportion" else ""))
    if any(not np.all(np.isfinite(a)) for a in need):
        return TrendResult("not_computed", n_periods=n, first=labels[0], last=labels[-1], method=method,
                           note_da="Udviklingen beregnes ikke, fordi et eller flere tal i serien mangler eller er "
                                   "skjult.")
    trend, p, stat, slope = _one(method, t, v, num, den, alpha)
    method_da = _METHOD_DA[method]
    note = f"{method_da[0].upper()}{method_da[1:]} over {n} perioder ({span})."
    flagged = [lab for lab in labels if caveats and lab in caveats]
    if flagged:
        note += " " + " ".join(f"{lab}: {caveats[lab]}." for lab in flagged)
        keep = np.array([lab not in flagged for lab in labels])
        if keep.sum() >= min_periods:
            alt, *_ = _one(method, t[keep], v[keep], None if num is None else num[keep],
                           None if den is None else den[keep], alpha)
            without = " og ".join(flagged)
            if alt != trend:
                note += f" Uden {without} ville resultatet være: {trend_label_da(alt, polarity)}."
            else:
                note += f" Resultatet er det samme uden {without}."
        else:
            note += " Der er for få andre perioder til at vurdere udviklingen uden dem."
    return TrendResult(trend, p, stat, slope, n, labels[0], labels[-1], method, note)


_TREND_DA = {
    "increasing": "stigende",
    "decreasing": "faldende",
    "no_significant_change": "ingen sikker ændring",
    "not_computed": "ikke beregnet",
}


def trend_label_da(trend: str, polarity: str) -> str:
    """Danish display of a trend, with polarity words ("stigende og dårligere").

    Example
    -------
    >>> trend_label_da("increasing", "low_is_good"), trend_label_da("decreasing", "neutral")
    ('stigende og dårligere', 'faldende')
    >>> trend_label_da("no_significant_change", "high_is_good")
    'ingen sikker ændring'
    """
    if trend not in _TREND_DA:
        raise ValueError(f"unknown trend {trend!r}; use one of {TRENDS}")
    base = _TREND_DA[trend]
    if trend in ("increasing", "decreasing") and polarity in ("high_is_good", "low_is_good"):
        good = (trend == "increasing") == (polarity == "high_is_good")
        return f"{base} og {'bedre' if good else 'dårligere'}"
    return base
