"""Plotly maps: trace counts, Danish labels, offline rendering, tile-map fallback."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest

from klyngedata import registry
from klyngedata.exceptions import KlyngedataError
from klyngedata.geo.boundaries import import_boundaries
from klyngedata.geo.maps import choropleth, class_breaks, cluster_map, format_number_da

DIVISION = "sundhedsklynger-2022"


@pytest.fixture(scope="module")
def data_dir(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = shared_data / "geo" / "kommuner.geojson"
    if not path.is_file():
        pytest.skip(f"DAGI file {path} not found")
    target = tmp_path_factory.mktemp("geo_maps")
    import_boundaries(path, data_dir=target)
    return target


@pytest.fixture()
def empty_dir(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.delenv("DATAFORDELER_API_KEY", raising=False)
    return tmp_path


@pytest.fixture(scope="module")
def smoking(shared_data: Path) -> pd.DataFrame:
    path = shared_data / "indicators" / "sundhedsprofil_scores.csv"
    if not path.is_file():
        pytest.skip(f"indicator file {path} not found")
    df = pd.read_csv(path, dtype={"kommune_kode": str})
    return df.assign(entity_id=df["kommune_kode"])


@pytest.fixture(scope="module")
def population_2024(shared_data: Path) -> pd.DataFrame:
    path = shared_data / "population" / "derived_municipality_population_monthly_2021M10-2024M04.csv"
    if not path.is_file():
        pytest.skip(f"population file {path} not found")
    df = pd.read_csv(path, dtype={"municipality_code": str})
    return df[df["period"] == "2024M01"]


def _no_network_urls(fig: go.Figure) -> None:
    text = fig.to_json()
    assert "cdn.plot.ly" not in text and "mapbox" not in text.lower()
    assert not any(isinstance(t, go.Choropleth | go.Scattergeo) for t in fig.data)


def test_cluster_map_country(data_dir: Path) -> None:
    fig = cluster_map(DIVISION, data_dir=data_dir)
    n_clusters = len(registry.clusters(DIVISION))
    # clusters + shared København + outlines + Bornholm's inset frame + hospitals + name labels + hover points
    assert len(fig.data) == n_clusters + 1 + 1 + 1 + 1 + 1 + 1
    names = [t.name for t in fig.data]
    assert "Klynge Nord" in names and "Akutsygehus" in names and "Bornholm (flyttet tættere på)" in names
    labels = next(t for t in fig.data if t.name == "Navne")
    assert len(labels.text) == n_clusters and "Nord" in labels.text and "Byen" in labels.text
    assert any(n.startswith("København: delt mellem Sundhedsklynge Byen og Sundhedsklynge Syd") for n in names)
    hosp = next(t for t in fig.data if t.name == "Akutsygehus")
    acute = registry.hospitals().query("kind == 'acute'").dropna(subset=["lat", "lon"])
    assert len(hosp.x) == len(acute)
    assert fig.layout.yaxis.scaleanchor == "x"
    _no_network_urls(fig)


def test_cluster_map_highlight_with_population(data_dir: Path, population_2024: pd.DataFrame) -> None:
    pop = dict(zip(population_2024["municipality_code"], population_2024["population"], strict=True))
    fig = cluster_map(DIVISION, highlight="nordjylland-nord", data_dir=data_dir, population=pop)
    assert len(fig.data) == 4 + 1 + 1 + 1 + 1  # the 4 Nordjylland clusters, outlines, hospitals, names, hover
    nord = next(t for t in fig.data if t.name == "Klynge Nord")
    others = [t for t in fig.data if t.name in ("Klynge Midt", "Klynge Syd", "Klynge Vest")]
    # the highlighted cluster stands out; its neighbours have distinct muted colours, not one grey
    assert nord.fillcolor not in {t.fillcolor for t in others} and len({t.fillcolor for t in others}) == 3
    # issue 24: a legend entry for every colour, the neighbours' too (they are also named on the map)
    assert nord.showlegend and all(t.showlegend for t in others)
    hosp = next(t for t in fig.data if t.name == "Akutsygehus")
    # its own in bold (a long name on two lines, so it stays on the map)
    assert hosp.mode == "markers+text" and "<b>Regionshospital<br>Nordjylland</b>" in hosp.texttemplate
    assert "Thisted" in hosp.texttemplate  # the others by town
    hover = next(t for t in fig.data if t.name == "Oplysninger")
    texts = list(hover.text)
    assert len(texts) == 11  # the 11 municipalities of Region Nordjylland
    hj = pop["0860"]
    assert f"<b>Klynge Nord</b><br>Kommune: Hjørring<br>Befolkning: {format_number_da(hj)}" in texts
    assert "<b>Klynge Midt</b><br>Kommune: Aalborg<br>Befolkning: " in "|".join(texts)
    assert "Klynge Nord" in fig.layout.title.text


def test_cluster_map_region_filter_and_tile_background(data_dir: Path) -> None:
    fig = cluster_map(DIVISION, region="Region Syddanmark", data_dir=data_dir)
    assert len(fig.data) == 4 + 1 + 1 + 1 + 1
    bg = cluster_map(DIVISION, region="1083", data_dir=data_dir, background="open-street-map")
    assert len(bg.data) == len(fig.data) - 1  # no name labels on a tile background (the tiles have names)
    assert isinstance(bg.data[0], go.Choroplethmap) and bg.layout.map.style == "open-street-map"


def test_cluster_map_falls_back_to_tiles(empty_dir: Path) -> None:
    fig = cluster_map(DIVISION, data_dir=empty_dir)
    assert len(fig.data) == len(registry.clusters(DIVISION)) + 1 + 1  # clusters, shared, labels
    assert "Flisekort" in fig.layout.annotations[0].text
    labels = fig.data[-1]
    assert len(labels.x) == 98
    _no_network_urls(fig)


def test_choropleth_municipalities(data_dir: Path, smoking: pd.DataFrame) -> None:
    df = smoking.copy()
    df.loc[df.entity_id == "155", "rygning_pct"] = float("nan")  # one missing value (Dragør)
    fig = choropleth(df, "rygning_pct", "kommune", "Daglig rygning (%)", data_dir=data_dir, classes=5)
    names = [t.name for t in fig.data]
    assert names[0] == "Ingen værdi / ikke vist" and names[-1] == "Oplysninger"
    assert len(fig.data) == 1 + 5 + 1
    assert fig.layout.legend.title.text == "Daglig rygning (%)"
    vals = pd.to_numeric(df["rygning_pct"]).dropna()
    lo, hi = format_number_da(vals.min(), 1), format_number_da(vals.max(), 1)
    assert names[1].startswith(lo) and names[5].endswith(hi)  # legend ranges in Danish format
    info = fig.data[-1]
    aal = df.set_index("entity_id").loc["851", "rygning_pct"]
    assert f"<b>Aalborg</b><br>Daglig rygning (%): {format_number_da(aal, 1)}" in list(info.text)
    _no_network_urls(fig)


def test_bornholm_is_an_inset_in_region_hovedstaden(data_dir: Path) -> None:
    fig = cluster_map(DIVISION, highlight="hovedstaden-byen", data_dir=data_dir)
    frame = next(t for t in fig.data if t.name == "Bornholm (flyttet tættere på)")
    rest = next(t for t in fig.data if t.name == "Sundhedsklynge Byen")
    xs = [x for x in rest.x if x is not None]
    # the island is drawn within 60 km east of the rest of the region instead of 130 km away
    assert 0 < min(frame.x) - max(xs) < 60
    hosp = next(t for t in fig.data if t.name == "Akutsygehus")
    assert max(hosp.x) < max(frame.x) and max(hosp.x) > min(frame.x)  # Bornholms Hospital moved with it


def test_choropleth_of_persons_has_whole_number_classes(data_dir: Path, population_2024: pd.DataFrame) -> None:
    frame = population_2024.rename(columns={"municipality_code": "entity_id"})
    fig = choropleth(frame, "population", "kommune", "Befolkning", unit_da="personer", data_dir=data_dir)
    classes = [t.name for t in fig.data if t.legendgroup]
    assert classes and all(re.fullmatch(r"[\d.]+–[\d.]+ personer", name) for name in classes), classes  # no decimals
    shown = frame[frame["entity_id"] != "0411"]  # Christiansø (91 persons) has no municipality polygon
    assert classes[0].startswith(format_number_da(shown["population"].min()))


def test_choropleth_clusters_shows_shared(data_dir: Path) -> None:
    # CONSTRUCTED_VALUES: a constructed example, one made-up value per cluster (not data)
    cl = registry.clusters(DIVISION)
    CONSTRUCTED_VALUES = pd.DataFrame({"entity_id": cl["cluster_id"], "value": range(len(cl))})
    fig = choropleth(CONSTRUCTED_VALUES, "value", "cluster", "Konstrueret eksempel", data_dir=data_dir)
    names = [t.name for t in fig.data]
    assert any("delt mellem" in n for n in names)
    assert len(fig.data) == 1 + 5 + 1  # shared, 5 classes, hover points


def test_choropleth_tiles_fallback(empty_dir: Path, smoking: pd.DataFrame) -> None:
    fig = choropleth(smoking, "rygning_pct", "kommune", "Daglig rygning (%)", data_dir=empty_dir)
    assert len(fig.data) == 2 and isinstance(fig.data[0], go.Heatmap)
    z = pd.Series([v for row in fig.data[0].z for v in row]).dropna()
    assert len(z) == 98 and z.sum() == pytest.approx(pd.to_numeric(smoking["rygning_pct"]).sum())
    assert fig.data[0].colorbar.title.text == "Daglig rygning (%)"


def test_helpers_and_errors(data_dir: Path, smoking: pd.DataFrame) -> None:
    assert format_number_da(5961249) == "5.961.249" and format_number_da(float("nan")) == "–"
    assert class_breaks(pd.Series([1.0, 2.0, 3.0, 4.0, 5.0]), 4) == [1.0, 2.0, 3.0, 4.0, 5.0]
    with pytest.raises(KlyngedataError):
        choropleth(smoking, "nope", "kommune", "x", data_dir=data_dir)
    with pytest.raises(KlyngedataError):
        choropleth(smoking, "rygning_pct", "sogn", "x", data_dir=data_dir)


@pytest.mark.e2e
def test_map_renders_offline_in_headless_chromium(data_dir: Path, tmp_path: Path) -> None:
    import shutil
    import time

    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.skip("chromium/chromedriver not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    fig = cluster_map(DIVISION, highlight="hovedstaden-byen", data_dir=data_dir)
    out = tmp_path / "kort.html"
    fig.write_html(out, include_plotlyjs=True)
    opts = Options()
    for arg in ("--headless=new", "--no-sandbox", "--window-size=1000,800"):
        opts.add_argument(arg)
    opts.binary_location = shutil.which("chromium")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
    try:
        driver.get(out.as_uri())
        time.sleep(2)
        errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        n_paths = driver.execute_script("return document.querySelectorAll('.scatterlayer .trace path').length")
    finally:
        driver.quit()
    assert errors == []  # nothing fetched from a CDN or tile server
    assert n_paths >= 6  # the filled polygons are drawn
