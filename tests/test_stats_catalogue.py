"""The catalogue documents polarity (with its reason) and the interval/trend method of every figure."""

from __future__ import annotations

import pytest

from klyngedata import catalogue
from klyngedata.catalogue import POLARITIES, FigureDef
from klyngedata.exceptions import KlyngedataError


def test_every_figure_has_polarity_reason_and_methods_documented():
    cat = catalogue.catalogue()
    assert len(cat) >= 40
    for row in cat.itertuples(index=False):
        assert row.polarity in POLARITIES, row.figure_id
        assert len(row.polarity_reason_da) > 30, row.figure_id
        assert len(row.ci_method_da) > 30, row.figure_id  # the method, or why there is no interval
        assert row.trend_method in (None, "chi2_proportion", "poisson", "ols") or row.trend_method != row.trend_method
        assert len(row.trend_method_da) > 20, row.figure_id
        hib = {"high_is_good": True, "low_is_good": False, "neutral": None}[row.polarity]
        assert row.higher_is_better == hib or (hib is None and row.higher_is_better != row.higher_is_better)


def test_health_profile_figures_flag_the_covid_wave():
    d = catalogue.figure("sundhedsprofil_rygning")
    assert d.polarity == "low_is_good" and d.trend_method == "ols" and d.ci_method is None
    assert "covid-19" in d.period_notes_da["2021"]
    assert "svarpersoner" in d.ci_method_da
    gp = catalogue.figure("laegekontakt_pct")
    assert gp.ci_method == "wilson" and "Wilson" in gp.ci_method_da and "folketal" in gp.ci_method_da


def test_contradicting_polarity_is_rejected():
    with pytest.raises(KlyngedataError, match="contradicts"):
        FigureDef("doctest_x", "X", "%", "Konstrueret.", higher_is_better=True, polarity="low_is_good")
    with pytest.raises(KlyngedataError, match="polarity"):
        FigureDef("doctest_x", "X", "%", "Konstrueret.", polarity="up")
