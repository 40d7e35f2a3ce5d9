"""Intervals, benchmark outcomes and trends for published figure rows, as the catalogue prescribes.

The glue between :mod:`klyngedata.catalogue` (what each figure's polarity and methods are) and the pure
functions of :mod:`klyngedata.stats` (how they are computed). :func:`klyngedata.keyfigures.key_figures`
and :func:`klyngedata.indicators.indicator_figures` call :func:`published_outcomes` on their published
(already disclosure-controlled) rows, so every row carries :data:`PUBLISHED_COLUMNS`:

``ci95_low, ci95_high, ci998_low, ci998_high, ci_method, polarity, vs_region, vs_country,
vs_region_note_da, vs_country_note_da, trend, trend_da, trend_p, trend_note_da``

(meanings in :mod:`klyngedata.stats.annotate`). Intervals are computed from the published numerator and
denominator only, so a suppressed row never gets an interval, an outcome or a trend.

Example
-------
>>> import pandas as pd
>>> CONSTRUCTED = pd.DataFrame({"entity_level": ["cluster"], "entity_id": ["k"],
...     "figure_id": ["laegekontakt_pct"], "value": [86.7], "numerator": [54389.0],
...     "denominator": [62723.0], "region_value": [85.7], "country_value": [83.6], "period": ["2024"],
...     "suppressed": [False]})
>>> published_outcomes(CONSTRUCTED)[["polarity", "vs_region", "vs_country"]].iloc[0].tolist()
['neutral', 'higher', 'higher']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from klyngedata import catalogue
from klyngedata.exceptions import KlyngedataError
from klyngedata.stats import OUTCOME_COLUMNS, TREND_COLUMNS, FigureStats, add_trends, annotate

__all__ = ["CALLED_OUT", "PUBLISHED_COLUMNS", "figure_specs", "published_outcomes", "shown_outcome",
           "shown_outcomes"]

PUBLISHED_COLUMNS = [*OUTCOME_COLUMNS, *TREND_COLUMNS]
"""The columns every published figure row carries besides its value (see the module docstring)."""


def figure_specs(figure_ids: Sequence[str]) -> dict[str, FigureStats]:
    """The catalogue's statistical treatment of each figure (unknown ids get no interval and no trend).

    Example
    -------
    >>> figure_specs(["laegekontakt_pct"])["laegekontakt_pct"].ci_method
    'wilson'
    """
    out: dict[str, FigureStats] = {}
    for fid in dict.fromkeys(figure_ids):
        try:
            out[fid] = catalogue.stats_spec(fid)
        except KlyngedataError:
            out[fid] = FigureStats(no_ci_da="Tallet har ingen fastlagt metode for usikkerhed; den beregnes ikke.",
                                   no_trend_da="Tallet har ingen fastlagt test for udvikling; udviklingen testes ikke.")
    return out


def published_outcomes(frame: pd.DataFrame, series: pd.DataFrame | None = None, *,
                       keys: Sequence[str] = ("entity_level", "entity_id", "figure_id"),
                       series_error_da: str = "", specs: Mapping[str, FigureStats] | None = None) -> pd.DataFrame:
    """Add :data:`PUBLISHED_COLUMNS` to published rows.

    ``series``: the rows of every period (same schema; default ``frame`` itself) from which each row's
    trend is tested; ``keys`` identify one series. ``series_error_da``: a Danish reason used as the trend
    note when the earlier periods could not be computed. ``specs``: treatments that replace the catalogue's
    (e.g. standardised rates with their own gamma intervals, ``ci_method="given"``).

    Example: see the module docstring.
    """
    specs = {**figure_specs(frame["figure_id"].astype(str).tolist()), **(specs or {})}
    out = annotate(frame, specs)
    out = add_trends(out, frame if series is None else series, specs, keys=keys)
    if series_error_da:
        affected = (out["trend"] == "not_computed") & out["figure_id"].map(
            lambda f: specs[f].trend_method is not None) & ~out["trend_note_da"].str.contains("skjult")
        out.loc[affected, "trend_note_da"] = series_error_da
    return out


CALLED_OUT = ("better", "worse", "higher", "lower")
"""Outcomes that name a difference (the others: ``similar``, ``not_compared``)."""


def shown_outcome(outcome: object, value: object, benchmark: object, figure_id: str) -> str:
    """The outcome a report shows: a significant outcome (``vs_region``/``vs_country``) is kept only when the
    difference is also at least the figure's threshold of relevance (:mod:`klyngedata.relevance`); a
    significant but small difference is shown as ``similar``. Every sentence, barometer dot and heat-map cell
    uses this one rule.

    Example
    -------
    >>> shown_outcome("higher", 84.3, 83.6, "laegekontakt_pct"), shown_outcome("higher", 86.3, 83.6, "laegekontakt_pct")
    ('similar', 'higher')
    """
    from klyngedata.relevance import threshold

    text = str(outcome)
    if text not in CALLED_OUT:
        return text if text in ("similar", "not_compared") else "not_compared"
    try:
        v, b = float(value), float(benchmark)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return text
    if v != v or b != b:
        return text
    return text if threshold(figure_id).relevant(v, b) else "similar"


def shown_outcomes(frame: pd.DataFrame, benchmark: str = "country") -> pd.Series:
    """:func:`shown_outcome` of every row of a published frame against ``benchmark`` (``"country"`` or
    ``"region"``): the outcome column ``vs_<benchmark>`` with the small differences made ``similar``.

    Example
    -------
    >>> CONSTRUCTED = pd.DataFrame({"figure_id": ["laegekontakt_pct"] * 2, "value": [84.3, 86.3],
    ...                             "country_value": [83.6, 83.6], "vs_country": ["higher", "higher"]})
    >>> shown_outcomes(CONSTRUCTED).tolist()
    ['similar', 'higher']
    """
    col = f"vs_{benchmark}"
    if col not in frame.columns:
        return pd.Series("not_compared", index=frame.index)
    return pd.Series([shown_outcome(o, v, b, f) for o, v, b, f in zip(
        frame[col], frame["value"], frame[f"{benchmark}_value"], frame["figure_id"], strict=True)], index=frame.index)
