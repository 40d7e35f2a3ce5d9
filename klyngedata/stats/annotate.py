"""Add intervals, benchmark outcomes and trends to a tidy table of published figures.

Pure functions on the key-figure schema (``entity_level, entity_id, figure_id, value, numerator,
denominator, region_value, country_value, period, suppressed``; see ARCHITECTURE.md). How each figure is
treated is passed in as a mapping ``figure_id -> FigureStats`` (built from :mod:`klyngedata.catalogue` by
the caller); nothing is looked up here.

Columns added by :func:`annotate` (:data:`OUTCOME_COLUMNS`):

``ci95_low``, ``ci95_high``, ``ci998_low``, ``ci998_high``
    Confidence intervals in the unit of ``value`` (NaN where none can be computed, and always NaN in
    suppressed rows: intervals are computed from the *published* numerator and denominator only).
``ci_method``
    The interval method (``wilson``, ``poisson``, ``gamma`` …) or ``""``.
``polarity``
    ``high_is_good``, ``low_is_good`` or ``neutral``.
``vs_region``, ``vs_country``
    ``better``/``similar``/``worse`` (``higher``/``similar``/``lower`` for neutral figures) or
    ``not_compared``; see :mod:`klyngedata.stats.compare`.
``vs_region_note_da``, ``vs_country_note_da``
    The Danish reason when not compared (else ``""``).

Columns added by :func:`add_trends` (:data:`TREND_COLUMNS`): ``trend`` (``increasing``, ``decreasing``,
``no_significant_change``, ``not_computed``), ``trend_da`` ("stigende og dårligere"), ``trend_p``
(two-sided p-value) and ``trend_note_da`` (method, periods, caveats, or why it was not computed).

Example (constructed)
---------------------
>>> import pandas as pd
>>> CONSTRUCTED = pd.DataFrame({"entity_level": ["cluster"], "entity_id": ["k"], "figure_id": ["x"],
...     "value": [7.5], "numerator": [30.0], "denominator": [400.0], "region_value": [12.0],
...     "country_value": [8.0], "period": ["2024"], "suppressed": [False]})
>>> spec = {"x": FigureStats(polarity="low_is_good", ci_method="wilson", per=100)}
>>> annotate(CONSTRUCTED, spec)[["vs_region", "vs_country"]].iloc[0].tolist()
['better', 'similar']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from klyngedata.stats.compare import POLARITIES, compare
from klyngedata.stats.intervals import INTERVAL_METHODS, figure_interval
from klyngedata.stats.trend import period_time, trend_label_da, trend_test
from klyngedata.vocabulary import period_code, period_kind, period_text_da

__all__ = [
    "OUTCOME_COLUMNS",
    "TREND_COLUMNS",
    "FigureStats",
    "add_trends",
    "annotate",
]

OUTCOME_COLUMNS = ["ci95_low", "ci95_high", "ci998_low", "ci998_high", "ci_method", "polarity", "vs_region",
                   "vs_country", "vs_region_note_da", "vs_country_note_da"]
TREND_COLUMNS = ["trend", "trend_da", "trend_p", "trend_note_da"]

HIDDEN_DA = "Tallet er skjult af diskretionshensyn (små tal), så det sammenlignes ikke."
NOT_COMPUTED_DA = "Tallet kan ikke beregnes med de tilgængelige data."


@dataclass(frozen=True)
class FigureStats:
    """How one figure gets its interval, benchmark comparison and trend (built from the catalogue).

    ``ci_method``: one of :data:`klyngedata.stats.intervals.INTERVAL_METHODS`, ``"given"`` (the frame already
    holds the ``ci95_*``/``ci998_*`` columns, e.g. gamma intervals of standardised rates) or ``None`` (no
    interval; ``no_ci_da`` says why). ``per``: the multiplier of ``numerator / denominator``.
    ``comparable=False`` never compares the figure with the benchmarks (e.g. a count of persons against the
    region's larger count; ``no_compare_da`` says why). ``trend_method``: ``chi2_proportion``, ``poisson``,
    ``ols`` or ``None`` (``no_trend_da`` says why); ``trend_exposure``: use the denominators as the Poisson
    exposure (``False`` for a plain count series). ``caveats``: period label -> Danish caveat.

    Example
    -------
    >>> FigureStats(polarity="low_is_good", ci_method="wilson", per=100).polarity
    'low_is_good'
    """

    polarity: str = "neutral"
    ci_method: str | None = None
    per: float = 1.0
    no_ci_da: str = ""
    comparable: bool = True
    no_compare_da: str = ""
    trend_method: str | None = None
    trend_exposure: bool = True
    no_trend_da: str = ""
    caveats: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.polarity not in POLARITIES:
            raise ValueError(f"unknown polarity {self.polarity!r}; use one of {POLARITIES}")
        if self.ci_method not in (None, "given", *INTERVAL_METHODS):
            raise ValueError(f"unknown interval method {self.ci_method!r}")


_DEFAULT = FigureStats(no_ci_da="Der er ingen metode til usikkerheden for dette tal.",
                       no_trend_da="Der er ingen metode til at teste udviklingen for dette tal.")


def _hidden(frame: pd.DataFrame) -> np.ndarray:
    if "suppressed" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame["suppressed"].astype("boolean").fillna(False).to_numpy(dtype=bool)


def _num(frame: pd.DataFrame, col: str) -> np.ndarray:
    if col not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[col], errors="coerce").astype("float64").to_numpy()


def annotate(frame: pd.DataFrame, specs: Mapping[str, FigureStats],
             conf_levels: Sequence[float] = (0.95, 0.998)) -> pd.DataFrame:
    """Return ``frame`` with intervals, polarity and outcomes against region and Denmark (see module doc).

    Intervals come from the published ``numerator``/``denominator`` of each row, so a suppressed row (its
    counts are already missing) never gets one, and its outcomes are ``not_compared``.

    Example: see the module docstring.
    """
    out = frame.copy()
    n = len(out)
    hidden = _hidden(out)
    value = _num(out, "value")
    num, den = _num(out, "numerator"), _num(out, "denominator")
    cols = {}
    for conf, tag in zip(conf_levels, ("95", "998"), strict=True):
        given_lo, given_hi = _num(out, f"ci{tag}_low"), _num(out, f"ci{tag}_high")
        lo, hi = np.full(n, np.nan), np.full(n, np.nan)
        for fid, idx in out.groupby("figure_id", sort=False).indices.items():
            spec = specs.get(fid, _DEFAULT)
            if spec.ci_method in INTERVAL_METHODS:
                a, b = figure_interval(spec.ci_method, num[idx], den[idx], spec.per, conf)
                lo[idx], hi[idx] = a, b
            elif spec.ci_method == "given":
                lo[idx], hi[idx] = given_lo[idx], given_hi[idx]
        lo[hidden | ~np.isfinite(value)] = np.nan
        hi[hidden | ~np.isfinite(value)] = np.nan
        cols[f"ci{tag}_low"], cols[f"ci{tag}_high"] = lo, hi
    for c, v in cols.items():
        out[c] = v
    spec_of = [specs.get(f, _DEFAULT) for f in out["figure_id"]]
    out["ci_method"] = [s.ci_method or "" for s in spec_of]
    out["polarity"] = [s.polarity for s in spec_of]
    levels = out["entity_level"].astype(str).tolist() if "entity_level" in out.columns else [""] * n
    lo95, hi95 = cols["ci95_low"], cols["ci95_high"]
    for which, bench_col in (("region", "region_value"), ("country", "country_value")):
        bench = _num(out, bench_col)
        outcomes, notes = [], []
        for i in range(n):
            s = spec_of[i]
            reason = ""
            if levels[i] == which:
                reason = "Tallet er regionens eget." if which == "region" else "Tallet er landets eget."
            elif which == "region" and levels[i] == "country":
                reason = "Hele landet sammenlignes ikke med en region."
            elif hidden[i]:
                reason = HIDDEN_DA
            elif not np.isfinite(value[i]):
                reason = NOT_COMPUTED_DA
            elif not s.comparable:
                reason = s.no_compare_da or "Tallet sammenlignes ikke."
            elif not (np.isfinite(lo95[i]) and np.isfinite(hi95[i])):
                reason = s.no_ci_da or "Der kan ikke beregnes et konfidensinterval for tallet."
            elif not np.isfinite(bench[i]):
                reason = ("Regionens tal mangler eller er skjult." if which == "region"
                          else "Landets tal mangler eller er skjult.")
            if reason:
                outcomes.append("not_compared")
                notes.append(reason)
            else:
                outcomes.append(compare(lo95[i], hi95[i], bench[i], s.polarity))
                notes.append("")
        out[f"vs_{which}"] = outcomes
        out[f"vs_{which}_note_da"] = notes
    return out


def add_trends(frame: pd.DataFrame, series: pd.DataFrame, specs: Mapping[str, FigureStats], *,
               keys: Sequence[str] = ("entity_level", "entity_id", "figure_id"), max_periods: int = 5,
               min_periods: int = 3, alpha: float = 0.05) -> pd.DataFrame:
    """Return ``frame`` with a trend per row, tested on the row's series in ``series``.

    ``series`` holds the same ``keys`` with ``period``, ``value``, ``numerator``, ``denominator`` (and
    ``suppressed``) for every period; a row's series is its own period and the earlier ones of the same
    frequency, the last ``max_periods`` of them (default 5, as the "recent trend" of the Fingertips
    profiles). A hidden or missing point makes the trend ``not_computed``.

    Example (constructed)
    ---------------------
    >>> import pandas as pd
    >>> S = pd.DataFrame({"entity_level": "cluster", "entity_id": "k", "figure_id": "x",
    ...                   "period": ["2010", "2013", "2017", "2021", "2025"],
    ...                   "value": [17.0, 16.0, 14.0, 13.0, 11.0]})
    >>> spec = {"x": FigureStats(polarity="low_is_good", trend_method="ols")}
    >>> add_trends(S.tail(1), S, spec)[["trend", "trend_da"]].iloc[0].tolist()
    ['decreasing', 'faldende og bedre']
    """
    out = frame.copy()
    keys = list(keys)
    wanted = set(out[keys].itertuples(index=False, name=None))
    ser = series[[k in wanted for k in series[keys].itertuples(index=False, name=None)]].copy()
    ser["_t"] = [period_time(p) for p in ser["period"]]
    ser["_f"] = [period_kind(p) for p in ser["period"]]
    ser["_c"] = [period_code(p) for p in ser["period"]]
    for c in ("value", "numerator", "denominator"):
        ser[c] = _num(ser, c)
    ser_hidden = _hidden(ser)
    ser.loc[ser_hidden, ["value", "numerator", "denominator"]] = np.nan
    ser = ser.sort_values("_t", kind="stable")
    groups: dict[tuple, dict[str, np.ndarray]] = {}
    columns = {c: ser[c].to_numpy() for c in ("_t", "_f", "_c", "value", "numerator", "denominator")}
    for k, idx in ser.groupby(keys, sort=False, dropna=False).indices.items():
        rows = np.sort(idx)
        groups[k if isinstance(k, tuple) else (k,)] = {c: v[rows] for c, v in columns.items()}
    hidden = _hidden(out)
    value = _num(out, "value")
    trends, labels, pvals, notes = [], [], [], []
    for i, row in enumerate(out[[*keys, "period"]].itertuples(index=False, name=None)):
        key, period = tuple(row[:-1]), row[-1]
        spec = specs.get(row[keys.index("figure_id")], _DEFAULT) if "figure_id" in keys else _DEFAULT
        if hidden[i]:
            res_trend, p, note = "not_computed", np.nan, "Tallet er skjult af diskretionshensyn (små tal)."
        elif not np.isfinite(value[i]):
            res_trend, p, note = "not_computed", np.nan, NOT_COMPUTED_DA
        elif spec.trend_method is None:
            res_trend, p, note = "not_computed", np.nan, spec.no_trend_da or _DEFAULT.no_trend_da
        else:
            g = groups.get(key)
            if g is None:
                pts = {c: np.array([]) for c in ("_t", "_c", "value", "numerator", "denominator")}
            else:
                m = np.flatnonzero((g["_f"] == period_kind(period)) & (g["_t"] <= period_time(period) + 1e-9))
                m = m[-max_periods:]
                pts = {c: v[m] for c, v in g.items()}
            disp = [period_text_da(c) for c in pts["_c"]]
            cav = {period_text_da(k): v for k, v in spec.caveats.items()}
            den = pts["denominator"] if (spec.trend_method == "chi2_proportion" or spec.trend_exposure) else None
            res = trend_test(pts["_t"], pts["value"], pts["numerator"] if spec.trend_method != "ols" else None,
                             den, method=spec.trend_method, labels=disp, caveats=cav, min_periods=min_periods,
                             alpha=alpha, polarity=spec.polarity)
            res_trend, p, note = res.trend, res.p_value, res.note_da
        trends.append(res_trend)
        labels.append(trend_label_da(res_trend, spec.polarity))
        pvals.append(p)
        notes.append(note)
    out["trend"] = trends
    out["trend_da"] = labels
    out["trend_p"] = np.asarray(pvals, dtype="float64")
    out["trend_note_da"] = notes
    return out
