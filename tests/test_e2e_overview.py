"""End to end: `klyngedata overview` on the real shared files, opened in headless Chromium.

The page names all 22 clusters, draws the heat map and the map without console errors, links each cluster
to its reports, and every CSV download is Danish CSV (BOM, ';', decimal comma) holding the numbers shown.
``--pdf`` prints it on A4 landscape pages with the reports' running header.
Run with ``python -m pytest tests/test_e2e_overview.py -m e2e``.
"""

from __future__ import annotations

import base64
import csv
import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

pytestmark = pytest.mark.e2e

DIVISION = "sundhedsklynger-2022"


@pytest.fixture(scope="module")
def page(full_data_dir, tmp_path_factory) -> Path:
    from klyngedata.cli import main

    out = tmp_path_factory.mktemp("overview")
    mp = pytest.MonkeyPatch()
    mp.setenv("KLYNGEDATA_OFFLINE", "1")
    try:
        result = CliRunner().invoke(main, ["overview", "--division", DIVISION, "--out", str(out), "--data-dir",
                                           str(full_data_dir), "--pdf"])
    finally:
        mp.undo()
    assert result.exit_code == 0, result.output
    path = out / f"oversigt-{DIVISION}.html"
    assert path.exists()
    return path


def test_overview_names_all_clusters_and_draws_heat_map_and_map(page, browser, tmp_path):
    browser.set_window_size(1400, 1200)  # the wide table, heat map and map side by side
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    import klyngedata as kd

    browser.get_log("browser")
    browser.get(page.resolve().as_uri())
    WebDriverWait(browser, 60).until(lambda d: d.execute_script(
        "return [...document.querySelectorAll('.plotly-graph-div')]"
        ".every(e => e.querySelector('svg.main-svg') !== null)"))
    errors = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert errors == [], errors
    browser.save_screenshot(str(tmp_path / "overview.png"))

    clusters = kd.clusters(division=DIVISION)
    assert len(clusters) == 22
    rows = browser.find_elements(By.CSS_SELECTOR, "table.kd-overview-table tbody tr")
    assert sorted(r.get_attribute("data-unit") for r in rows) == sorted(clusters["cluster_id"])
    text = browser.find_element(By.TAG_NAME, "body").text
    for name in clusters["name"]:
        assert name in text, name
    for cid in clusters["cluster_id"]:
        for nb in ("befolkningsdashboard", "noegletalsrapport"):
            assert browser.find_elements(By.CSS_SELECTOR, f'a[href="{cid}-{nb}.html"]'), (cid, nb)

    heat = browser.find_element(By.ID, "kd-heatmap")
    assert heat.find_elements(By.CSS_SELECTOR, "g.heatmaplayer image, g.heatmaplayer path, .hm")
    cells = browser.execute_script("return document.getElementById('kd-heatmap').data[0].y.length")
    assert cells >= 13  # the 13 health indicators of the shared files
    cols = browser.execute_script("return document.getElementById('kd-heatmap').data[0].x.length")
    assert cols == 22
    mp = browser.find_element(By.ID, "kd-map")
    assert mp.find_elements(By.CSS_SELECTOR, "svg.main-svg")
    n_traces = browser.execute_script("return document.getElementById('kd-map').data.length")
    assert n_traces >= 2

    # reader text: no file names, paths, ISO timestamps or English method words
    assert not re.search(r"\.csv|/tmp/|\d{4}-\d{2}-\d{2}T", text)
    # offline: nothing loaded from the internet
    assert not re.search(r'<script[^>]+src="https?://', page.read_text(encoding="utf-8"))


def test_overview_csv_downloads_are_danish_csv(page):
    html = page.read_text(encoding="utf-8")
    links = re.findall(r'<a download="([^"]+)" href="data:text/csv;charset=utf-8;base64,([^"]+)"', html)
    assert len(links) >= 3  # table, heat map, map
    for name, payload in links:
        raw = base64.b64decode(payload)
        assert raw.startswith("\ufeff".encode()), name
        text = raw.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text), delimiter=";"))
        assert len(rows) >= 2 and len(rows[0]) >= 2, name
        numbers = [c for r in rows[1:] for c in r if re.fullmatch(r"-?\d+[.,]\d+", c)]
        assert numbers and all("," in c and "." not in c for c in numbers), (name, numbers[:5])
    table = next(p for n, p in links if n.startswith("noegletal"))
    rows = list(csv.DictReader(io.StringIO(base64.b64decode(table).decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 22
    vest = next(r for r in rows if r["Sundhedsklynge"] == "Klynge Vest")  # the unit's word, not "Enhed"
    assert vest["Befolkning"] == "62598"  # Morsø 19,649 + Thisted 42,949 on 1 April 2024 (FOLK1AM)


def test_overview_pdf_is_a4_landscape_with_every_cluster(page):
    import klyngedata as kd

    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(str(page.with_suffix(".pdf")))
    assert len(reader.pages) >= 2
    for p in reader.pages:
        w, h = float(p.mediabox.width), float(p.mediabox.height)
        assert w > h and abs(w - 842) < 3 and abs(h - 595) < 3  # A4 landscape in points
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert "Oversigt" in text and "Side 1 af" in text and "Tallene er fra 1. april 2024" in text
    for name in kd.clusters(division=DIVISION)["name"]:
        assert " ".join(name.split()) in text, name
