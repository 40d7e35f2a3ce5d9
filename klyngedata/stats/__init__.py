"""Pure statistical functions on numbers and tidy frames (no I/O, no registry or catalogue look-ups).

* :mod:`klyngedata.stats.intervals` – Wilson / exact binomial, exact Poisson / Byar, gamma (Fay & Feuer)
* :mod:`klyngedata.stats.compare` – outcome against a benchmark from an interval, with polarity
* :mod:`klyngedata.stats.trend` – chi-square tests for trend (proportions, Poisson rates), OLS slope test
* :mod:`klyngedata.stats.annotate` – the columns every published figure row carries (intervals, outcomes,
  trend), added to a key-figure table
* :mod:`klyngedata.stats.similarity` – nearest neighbours by standardised features (peers)
* :mod:`klyngedata.stats.standardise` – direct and indirect age standardisation with intervals
* :mod:`klyngedata.stats.lifetable` – abridged life tables (Chiang II), life expectancy with Chiang's interval
* :mod:`klyngedata.stats.mortality` – age-standardised death rate (ESP 2013), premature mortality, SMR
* :mod:`klyngedata.stats.disclosure_lp` – a published table as linear facts over latent cells; the linear
  programs of disclosure control (feasible intervals, protection patterns)
* :mod:`klyngedata.stats.disclosure_search` – primary and secondary suppression checked by those programs
* :mod:`klyngedata.stats.disclosure_model` – the linear model of a published indicator table (latent cells)

Layering: ``stats`` imports nothing from klyngedata outside this package (except the exception classes of
:mod:`klyngedata.exceptions`); callers (key figures, indicators, disclosure) pass in what the catalogue says
about each figure.

Example
-------
>>> from klyngedata import stats
>>> stats.compare(86.45, 86.98, 83.59, "neutral")
'higher'
"""

from __future__ import annotations

from klyngedata.stats.annotate import OUTCOME_COLUMNS, TREND_COLUMNS, FigureStats, add_trends, annotate
from klyngedata.stats.compare import OUTCOME_DA, OUTCOMES, POLARITIES, compare, compare_many
from klyngedata.stats.intervals import (
    byar_interval,
    exact_binomial_interval,
    figure_interval,
    gamma_interval,
    poisson_interval,
    wilson_interval,
)
from klyngedata.stats.similarity import nearest, standardise
from klyngedata.stats.trend import TrendResult, trend_label_da, trend_test

__all__ = [
    "OUTCOMES",
    "OUTCOME_COLUMNS",
    "OUTCOME_DA",
    "POLARITIES",
    "TREND_COLUMNS",
    "FigureStats",
    "TrendResult",
    "add_trends",
    "annotate",
    "byar_interval",
    "compare",
    "compare_many",
    "exact_binomial_interval",
    "figure_interval",
    "gamma_interval",
    "nearest",
    "poisson_interval",
    "standardise",
    "trend_label_da",
    "trend_test",
    "wilson_interval",
]
