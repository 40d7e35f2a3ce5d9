"""Spine chart data/figure and the CSV download helper (constructed examples, named CONSTRUCTED_*)."""

from __future__ import annotations

import base64
import csv
import io

import numpy as np
import pandas as pd
import pytest

from klyngedata.reports.download import csv_text, download_link
from klyngedata.spine import OUTCOME_COLORS, spine_chart, spine_data

CONSTRUCTED = pd.DataFrame({
    "entity_id": ["a", "b", "c", "d", "a", "b", "c", "d"],
    "figure_id": ["x"] * 4 + ["y"] * 4,
    "label_da": ["Daglig rygning"] * 4 + ["Borgere med kontakt til almen praksis"] * 4,
    "unit": ["%"] * 8,
    "value": [10.0, 12.0, 15.0, np.nan, 80.0, 84.0, 86.0, 90.0],
    "display": ["10,0", "12,0", "15,0", "<5", "80,0", "84,0", "86,0", "90,0"],
    "suppressed": [False, False, False, True, False, False, False, False],
    "country_value": [11.0] * 4 + [85.0] * 4,
    "polarity": ["low_is_good"] * 4 + ["neutral"] * 4,
    "vs_country": ["better", "similar", "worse", "not_compared", "lower", "similar", "similar", "higher"],
    "trend_da": ["faldende og bedre"] + [""] * 7,
})


def test_spine_data_spread_excludes_hidden_values():
    d = spine_data(CONSTRUCTED, "a").set_index("figure_id")
    assert d.loc["x", "n_units"] == 3 and d.loc["x", "min"] == 10.0 and d.loc["x", "max"] == 15.0
    assert d.loc["x", "q25"] == pytest.approx(np.percentile([10, 12, 15], 25))
    assert d.loc["x", "outcome_da"] == "bedre" and d.loc["y", "outcome_da"] == "lavere"
    assert d.loc["x", "trend_da"] == "faldende og bedre"


def test_spine_chart_colours_by_outcome_and_flips_low_is_good():
    fig = spine_chart(CONSTRUCTED, "a", unit_name="Enhed A")
    markers = {t.name: t for t in fig.data if getattr(t, "mode", None) == "markers"}
    assert markers["Bedre end landet"].marker.color == OUTCOME_COLORS["better"]
    assert markers["Lavere end landet"].marker.color == OUTCOME_COLORS["lower"]
    # low is good: A (10 < 11) is better and drawn right of the centre; neutral lower is drawn left of it
    assert markers["Bedre end landet"].x[0] > 0.5 and markers["Lavere end landet"].x[0] < 0.5
    labels = list(fig.layout.yaxis.ticktext)
    # the outcome in words (and the values), not only as colour
    assert any("10,0 % · landet 11,0 % · bedre" in t for t in labels)
    assert any("80,0 % · landet 85,0 % · lavere" in t for t in labels)


def test_csv_text_is_danish_excel_csv():
    CONSTRUCTED_TABLE = pd.DataFrame({"Enhed": ["Klynge Vest", "Læsø; Nord"], "Andel (%)": [12.345, np.nan],
                                      "Antal": [62598, 3], "Vist som": ["12,3", "<5"]})
    text = csv_text(CONSTRUCTED_TABLE, decimals={"Andel (%)": 1})
    assert text.startswith("\ufeff") and "\r\n" in text
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == ["Enhed", "Andel (%)", "Antal", "Vist som"]
    assert rows[1] == ["Klynge Vest", "12,3", "62598", "12,3"]
    assert rows[2] == ["Læsø; Nord", "", "3", "<5"]
    link = download_link(CONSTRUCTED_TABLE, "tal.csv", decimals={"Andel (%)": 1})
    payload = link.split("base64,")[1].split('"')[0]
    assert base64.b64decode(payload).decode("utf-8") == text
