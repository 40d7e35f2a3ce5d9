"""Tests of klyngedata.catalogue: one catalogue of figure ids, Danish labels, units and definitions."""

from __future__ import annotations

import pytest

from klyngedata import catalogue
from klyngedata.catalogue import FigureDef
from klyngedata.exceptions import KlyngedataError, LookupFailed


@pytest.fixture
def scratch_id():
    """Registers nothing itself; removes the test id from the catalogue afterwards."""
    fid = "test_scratch_figure"
    yield fid
    catalogue._REGISTRY.pop(fid, None)


def test_population_figures_are_all_registered_with_danish_label_unit_definition():
    ids = catalogue.figure_ids("population")
    assert ids == list(catalogue.POPULATION_FIGURES)
    expected = {"population", "growth_1y", "growth_5y_pct", "growth_10y", "share_0_17", "share_18_64",
                "share_65_plus", "share_80_plus", "old_age_dependency", "median_age",
                "proj_65_plus_change_5y", "proj_80_plus_change_10y_pct", "age_pyramid_share"}
    assert expected <= set(ids)
    for fid in ids:
        d = catalogue.figure(fid)
        assert d.label_da.strip() and d.unit.strip() and len(d.definition_da) > 20, fid


def test_dependency_ratio_and_median_definitions_are_stated():
    dep = catalogue.figure("old_age_dependency")
    assert "65" in dep.definition_da and "18-64" in dep.definition_da and "100" in dep.definition_da
    assert dep.unit == "pr. 100 18-64-årige"
    med = catalogue.figure("median_age").definition_da
    assert "interpolation" in med and "N/2" in med
    assert catalogue.unit("share_65_plus") == "%"
    assert catalogue.label("population") == "Befolkning"


def test_catalogue_frame_columns_and_group_filter():
    df = catalogue.catalogue("population")
    assert list(df.columns) == ["figure_id", "label_da", "unit", "definition_da", "group", "decimals", "requires",
                                "higher_is_better", "source_da", "polarity", "polarity_reason_da", "ci_method",
                                "ci_method_da", "trend_method", "trend_method_da", "relevance_da",
                                "relevance_reason_da"]
    assert (df["group"] == "population").all()
    assert df["figure_id"].is_unique
    row = df.set_index("figure_id").loc["proj_65_plus_change_5y"]
    assert set(row["requires"].split(",")) == {"age", "projection"}


def test_unknown_id_lists_close_matches():
    with pytest.raises(LookupFailed) as err:
        catalogue.figure("median_ag")
    assert "median_age" in err.value.candidates
    assert "median_ag" in str(err.value)


def test_register_keywords_and_idempotent(scratch_id):
    d = catalogue.register(figure_id=scratch_id, label_da="Forebyggelige indlæggelser", unit="pr. 1.000 65+",
                           definition_da="Konstrueret testdefinition, ikke en rigtig indikator.", group="health",
                           decimals=1, higher_is_better=False, extra={"numerator": "x", "denominator": "y"})
    assert catalogue.figure(scratch_id) is d
    assert d.extra["numerator"] == "x"
    # identical definition again: no error
    catalogue.register(FigureDef(scratch_id, "Forebyggelige indlæggelser", "pr. 1.000 65+",
                                 "Konstrueret testdefinition, ikke en rigtig indikator.", group="health",
                                 decimals=1, higher_is_better=False, extra={"numerator": "x", "denominator": "y"}))
    assert scratch_id in catalogue.figure_ids("health")
    assert scratch_id not in catalogue.figure_ids("population")


def test_register_conflict_needs_replace(scratch_id):
    catalogue.register(figure_id=scratch_id, label_da="A", unit="%", definition_da="Første definition.")
    with pytest.raises(KlyngedataError, match="already registered"):
        catalogue.register(figure_id=scratch_id, label_da="B", unit="%", definition_da="Anden definition.")
    catalogue.register(figure_id=scratch_id, label_da="B", unit="%", definition_da="Anden definition.",
                       replace=True)
    assert catalogue.label(scratch_id) == "B"


@pytest.mark.parametrize("bad", [
    {"figure_id": "Has Space", "label_da": "x", "unit": "%", "definition_da": "x"},
    {"figure_id": "ok_id", "label_da": " ", "unit": "%", "definition_da": "x"},
    {"figure_id": "ok_id", "label_da": "x", "unit": "%", "definition_da": "x", "requires": ("weather",)},
    {"figure_id": "ok_id", "label_da": "x", "unit": "%", "definition_da": "x", "decimals": -1},
])
def test_invalid_definitions_are_refused(bad):
    with pytest.raises(KlyngedataError):
        FigureDef(**bad)


def test_register_refuses_both_object_and_fields():
    d = catalogue.figure("population")
    with pytest.raises(TypeError):
        catalogue.register(d, label_da="x")


def test_every_compared_figure_has_a_threshold_of_relevance_with_its_reason():
    """Issue 24: a difference is called out only when significant *and* at least a documented threshold;
    every figure the reports compare (an interval method, comparable) has its own threshold and reason."""
    from klyngedata.relevance import DEFAULT, threshold

    df = catalogue.catalogue()
    compared = [f for f in df["figure_id"] if catalogue.figure(f).ci_method and catalogue.figure(f).comparable]
    # each its own (relevance.RELEVANCE, or issue 22's health definitions), never the default
    assert compared and all(threshold(f) is not DEFAULT for f in compared), [
        f for f in compared if threshold(f) is DEFAULT]
    rows = df.set_index("figure_id").loc[compared]
    assert (rows["relevance_da"].str.len() > 0).all() and (rows["relevance_reason_da"].str.len() > 20).all()
    assert rows.loc["laegekontakt_pct", "relevance_da"] == "2 procentpoint"
    assert DEFAULT.reason_da and DEFAULT.relative > 0  # a user's own indicator gets a documented default


def test_shown_outcome_needs_significance_and_relevance():
    """The register share 84,3 % against 83,6 % is significant on a whole population, yet not relevant."""
    from klyngedata.outcomes import shown_outcome

    assert shown_outcome("higher", 84.3, 83.6, "laegekontakt_pct") == "similar"  # 0,7 < 2 procentpoint
    assert shown_outcome("higher", 86.3, 83.6, "laegekontakt_pct") == "higher"  # 2,7 >= 2
    assert shown_outcome("similar", 99.0, 83.6, "laegekontakt_pct") == "similar"  # not significant: never named
    assert shown_outcome("not_compared", 99.0, 83.6, "laegekontakt_pct") == "not_compared"
    assert shown_outcome("worse", 54.9, 50.0, "forebyggelige_indlaeggelser_65") == "similar"  # 10 % of 50 is 5,0
    assert shown_outcome("worse", 55.0, 50.0, "forebyggelige_indlaeggelser_65") == "worse"
