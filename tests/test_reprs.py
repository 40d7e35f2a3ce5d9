"""Reprs that read well (issue 28 item 5): a Cluster on a few Danish lines; kd's tables with the readable columns
first, no scientific notation, the peers' municipality groups named; the data and columns unchanged."""

from __future__ import annotations

import pandas as pd
import pytest

import klyngedata as kd
from klyngedata.readable import ReadableFrame, plain_number


def test_cluster_repr_is_a_few_readable_lines():
    text = repr(kd.cluster("hovedstaden-byen"))
    lines = text.splitlines()
    assert lines[0] == "Sundhedsklynge Byen" and all(len(ln) <= 120 for ln in lines)
    assert "  Id            hovedstaden-byen" in lines
    assert "  Kommuner (2)  København, Frederiksberg" in lines
    assert "  Bemærk        København er delt mellem Byen og Syd efter bydel" in lines
    html = kd.cluster("sundhedsraad-vendsyssel")._repr_html_()
    assert "<table>" in html and "Sundhedsråd Vendsyssel" in html and "fra 1. januar 2027" in html


def test_cluster_notes_are_danish():
    notes = " ".join(kd.clusters("sundhedsklynger-2022")["note"]) + " ".join(kd.clusters("sundhedsraad-2027")["note"])
    for english in ("Seed 0", " is split ", "Local cluster name", "Also called", " names "):
        assert english not in notes


def test_readable_frames_keep_data_and_columns():
    plain = kd.registry.seats("sundhedsraad-limfjorden", "politisk")
    shown = kd.seats("sundhedsraad-limfjorden", "politisk")
    assert isinstance(shown, ReadableFrame) and type(plain) is pd.DataFrame
    assert list(shown.columns) == list(plain.columns)
    pd.testing.assert_frame_equal(pd.DataFrame(shown), plain)
    assert isinstance(shown.head(3), ReadableFrame) and isinstance(shown[shown["count_min"] > 1], ReadableFrame)
    assert repr(shown).splitlines()[0].split()[:2] == ["role_da", "municipality_name"]
    assert isinstance(kd.cluster("sundhedsraad-limfjorden").seats("politisk"), ReadableFrame)


def test_numbers_are_never_in_scientific_notation():
    frame = kd.readable.readable(pd.DataFrame({"label_da": ["Befolkning", "Andel 80+"],
                                               "value": [5967820.0, 0.0453]}), ["label_da", "value"])
    assert "e+" not in repr(frame) and "e-" not in repr(frame) and "5967820" in repr(frame)
    assert "e+" not in frame._repr_html_() and "0.0453" in frame._repr_html_()
    assert plain_number(1.5e-9) == "0.0000000015" and plain_number(float("nan")) == "nan"


@pytest.fixture(scope="module")
def data_dir(shared_data, tmp_path_factory):
    from klyngedata.importing import import_file

    d = tmp_path_factory.mktemp("reprs")
    import_file(shared_data / "population", data_dir=d)
    import_file(shared_data / "indicators" / "kommuner.json", data_dir=d)
    return d


def test_key_figures_show_the_readable_columns_first(data_dir, monkeypatch):
    from klyngedata.keyfigures import key_figures

    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    kf = kd.key_figures("nordjylland-nord", data_dir=data_dir)
    plain = key_figures("nordjylland-nord", data_dir=data_dir)
    pd.testing.assert_frame_equal(pd.DataFrame(kf), plain)
    text = repr(kf)
    assert text.splitlines()[0].split()[:4] == ["entity_name", "label_da", "display", "value"]
    assert "e+0" not in text and "160246" in text  # Klynge Nord's population, not 1.602460e+05
    html = kf._repr_html_()
    headers = [h.split("</th>")[0] for h in html.split("<th>")[1:]]
    assert headers[1:5] == ["entity_name", "label_da", "display", "value"] and "e+0" not in html  # after the index


def test_peers_name_the_municipality_groups(data_dir, monkeypatch):
    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    p = kd.peers("nordjylland-vest", n=3, data_dir=data_dir)
    assert p.attrs["group_names_da"]["group_1"] == "Hovedstadskommuner (%)"  # from the imported DST file
    assert list(p.columns)[:3] == ["rank", "unit_id", "distance"]  # the schema is unchanged
    header = repr(p).splitlines()[0]
    assert header.split()[:2] == ["rank", "name"]
    assert "group_1: Hovedstadskommuner (%)" in repr(p) and "group_5: Landkommuner (%)" in repr(p)


def test_geometry_stays_a_geodataframe_and_plots(geo_dir, tmp_path):
    import geopandas as gpd

    matplotlib = pytest.importorskip("matplotlib", reason="the 'plot' extra (installed by .ci/setup: dev)")
    matplotlib.use("Agg")
    from klyngedata.importing import import_file

    import_file(geo_dir / "kommuner.geojson", data_dir=tmp_path)
    gdf = kd.clusters("sundhedsklynger-2022", geometry=True, data_dir=tmp_path)
    assert isinstance(gdf, gpd.GeoDataFrame) and len(gdf) == 22
    ax = gdf.plot(column="region_name")
    assert len(ax.collections) >= 1
