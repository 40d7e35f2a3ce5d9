"""Charts of klyngedata.figures: Danish labels, the numbers plotted are the numbers given, provenance shown."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from klyngedata import figures
from klyngedata.exceptions import DataNotAvailable
from klyngedata.population import PopulationWarning

CONSTRUCTED_TREND = pd.DataFrame({  # constructed example in the population schema
    "level": ["cluster"] * 3 + ["region"] * 3,
    "entity_id": ["k"] * 3 + ["1081"] * 3,
    "entity_name": ["Klynge K"] * 3 + ["Region Nordjylland"] * 3,
    "period": pd.PeriodIndex(["2024-01", "2024-02", "2024-03"] * 2, freq="M"),
    "sex": "total",
    "population": pd.array([200, 210, 220, 1000, 1010, 1050], dtype="Int64"),
})
CONSTRUCTED_TREND.attrs["provenance"] = [{"table": "FOLK1AM", "periods": ["2024M01", "2024M03"],
                                          "file": "/x/konstrueret.csv"}]


def test_format_number_is_danish():
    assert figures.format_number(1234567.25, 1) == "1.234.567,2"
    assert figures.format_number(-892) == "\u2212892"  # the minus sign, as on the axes
    assert figures.format_number(None) == "–"


def test_population_trend_plots_the_given_values_with_danish_labels_and_source():
    fig = figures.population_trend(CONSTRUCTED_TREND)
    assert [t.name for t in fig.data] == ["Klynge K", "Region Nordjylland"]
    assert list(fig.data[0].y) == [200.0, 210.0, 220.0]
    assert list(fig.data[0].customdata) == ["1. januar 2024", "1. februar 2024", "1. marts 2024"]
    assert fig.layout.yaxis.title.text == "Befolkning (personer)"
    assert fig.layout.separators == ",."
    assert fig.layout.yaxis.rangemode == "tozero"  # 200..1050: the axis starts at 0
    note = fig.layout.annotations[-1].text
    # readable provenance: table with its StatBank title and the periods in words, no file name
    assert note == "Kilde: Danmarks Statistik, tabel FOLK1AM (Befolkningen den 1. i måneden), januar 2024–marts 2024"


def test_trend_axis_that_does_not_start_at_zero_says_so():
    narrow = CONSTRUCTED_TREND[CONSTRUCTED_TREND["level"] == "region"]  # 1000..1050: a cut axis shows the change
    fig = figures.population_trend(narrow)
    lo, hi = fig.layout.yaxis.range
    assert 0 < lo < 1000 and hi > 1050
    assert "aksen starter ikke ved 0" in fig.layout.yaxis.title.text


def test_legend_is_left_aligned_and_leaves_room_for_wrapped_rows():
    wide = pd.concat([CONSTRUCTED_TREND.assign(entity_id=f"e{i}", entity_name=f"En meget lang enhedsbetegnelse nr. {i}")
                      for i in range(4)])
    one, four = figures.population_trend(CONSTRUCTED_TREND), figures.population_trend(wide)
    assert one.layout.legend.x == 0 and one.layout.legend.xanchor == "left"
    assert four.layout.margin.t > one.layout.margin.t  # rows estimated for the printed width: no entry is cut


def test_indexed_trend_is_relative_to_the_first_period():
    fig = figures.indexed_trend(CONSTRUCTED_TREND)
    # 220 / 200 * 100 = 110; 1050 / 1000 * 100 = 105 (computed by hand)
    assert fig.data[0].y[-1] == pytest.approx(110.0)
    assert fig.data[1].y[-1] == pytest.approx(105.0)
    assert fig.layout.yaxis.title.text == "Indeks (1. januar 2024 = 100)"
    with pytest.raises(DataNotAvailable):
        figures.indexed_trend(CONSTRUCTED_TREND, base_period="2020M01")


def test_member_comparison_orders_and_labels():
    frame = pd.DataFrame({"entity_name": ["A", "B", "C"], "population": [30, 10, 20]})
    fig = figures.member_comparison(frame, value_col="population", source_da="Konstrueret eksempel")
    assert list(fig.data[0].y) == ["B", "C", "A"]  # largest at the top of a horizontal bar chart
    assert list(fig.data[0].text) == ["10", "20", "30"]
    assert fig.layout.annotations[-1].text == "Kilde: Konstrueret eksempel"


def test_comparison_bars_skip_suppressed_and_use_danish_series_names():
    kf = pd.DataFrame({  # constructed example in the key-figure schema
        "entity_name": "Klynge K", "figure_id": ["share_65_plus", "share_80_plus"],
        "label_da": ["Andel 65 år og derover", "Andel 80 år og derover"], "unit": "%",
        "value": [25.0, 6.0], "region_value": [22.0, 5.5], "country_value": [20.5, 4.9],
        "suppressed": [False, True],
    })
    fig = figures.comparison_bars(kf, ["share_65_plus", "share_80_plus"], source_da="x")
    assert [t.name for t in fig.data] == ["Klynge K", "Regionen", "Hele landet"]
    assert list(fig.data[0].x) == ["Andel 65 år og derover"]
    assert list(fig.data[2].y) == [20.5]


def test_age_pyramid_needs_sex_and_puts_men_left():
    rows = pd.DataFrame({"sex": ["male", "female", "male", "female"], "age_group": ["0-4", "0-4", "5-9", "5-9"],
                         "population": [3, 4, 5, 6]})
    fig = figures.age_pyramid(rows, source_da="Konstrueret eksempel")
    assert [t.name for t in fig.data] == ["Mænd", "Kvinder"]
    assert list(fig.data[0].x) == [-3.0, -5.0] and list(fig.data[1].x) == [4.0, 6.0]
    with pytest.raises(DataNotAvailable):
        figures.age_pyramid(rows.assign(sex="total"))


def test_projection_65_80_requires_both_groups():
    rows = pd.DataFrame({"period": pd.PeriodIndex(["2025", "2030"], freq="Y").repeat(2),
                         "age_group": ["65+", "80+"] * 2, "population": [100, 30, 120, 40]})
    fig = figures.projection_65_80(rows, source_da="Konstrueret eksempel")
    assert [t.name for t in fig.data] == ["65+-årige", "80+-årige"]
    assert list(fig.data[1].y) == [30.0, 40.0]
    with pytest.raises(DataNotAvailable):
        figures.projection_65_80(rows[rows["age_group"] == "65+"])


def _klynge_nord_from_raw_csv(path: Path, period: str) -> int:
    """Sum of Klynge Nord's four members (DST names) in one month, read with the csv module."""
    members = {"Brønderslev", "Frederikshavn", "Læsø", "Hjørring"}
    total = 0
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh, delimiter=";"):
            if row["OMRÅDE"] in members and row["TID"] == period:
                total += int(row["INDHOLD"])
    return total


def test_trend_of_klynge_nord_on_the_real_file(imported_data_dir, population_dir):
    from klyngedata.population import population

    with pytest.warns(PopulationWarning, match="delt mellem sundhedsklyngerne"):  # no bydel populations here
        pop = population(level="cluster", period="all", data_dir=imported_data_dir)
    rows = pop[pop["entity_id"] == "nordjylland-nord"]
    fig = figures.population_trend(rows)
    raw = population_dir / "dst_FOLK1AM_area_2021M10-2024M04.csv"
    labels = list(fig.data[0].customdata)
    for period, label in (("2022M01", "1. januar 2022"), ("2024M04", "1. april 2024")):
        assert fig.data[0].y[labels.index(label)] == _klynge_nord_from_raw_csv(raw, period)
    assert len(fig.data[0].y) == 31  # 2021M10 .. 2024M04
    assert "FOLK1AM" in fig.layout.annotations[-1].text
