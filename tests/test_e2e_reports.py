"""End to end: both report notebooks for Klynge Nord on the real shared files, opened in headless Chromium.

Checks per report: no console errors, every plotly figure rendered (non-empty SVG), Danish headings, no code
cells, no count of 1-4 in the key-figure tables/tiles, and the population tile equals the sum of the four
member municipalities read from the raw StatBank CSV with the csv module. Also the ``--shared-assets`` variant.
Run with ``python -m pytest tests/test_e2e_reports.py -m e2e``.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

CLUSTER = "nordjylland-nord"
MEMBERS_DST = {"Brønderslev", "Frederikshavn", "Læsø", "Hjørring"}

MIN_FIGURES = {"befolkningsdashboard": 4, "noegletalsrapport": 2}  # with totals-only population data
HEADINGS = {
    # without ages in the data the age pyramid is not drawn (issue 24): no heading, its reason said once
    "befolkningsdashboard": ("Befolkningsdashboard", ["Nøgletal", "Befolkningsudvikling", "Klyngens optageområde",
                                                      "Medlemskommunerne side om side"]),
    "noegletalsrapport": ("Nøgletalsrapport", ["Sammenfatning", "Nøgletal for klyngen", "Medlemskommunerne",
                                               "Barometer", "Sammenlignelige klynger",
                                               "Sundhedsindikatorer", "Klyngens organisering", "Kilder"]),
}


def _danish_int(text: str) -> int | None:
    t = text.strip().replace(".", "").replace("\u2212", "-")
    return int(t) if re.fullmatch(r"[+-]?\d+", t) else None


@pytest.fixture(scope="module")
def reports(report_set) -> Path:
    """Klynge Nord's reports in the shared report set (``klyngedata report``, see conftest)."""
    assert report_set.returncode == 0, report_set.output
    return report_set.out


def _open(driver, path: Path) -> list[dict]:
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get_log("browser")  # drop entries of earlier pages
    driver.get(path.resolve().as_uri())
    WebDriverWait(driver, 30).until(lambda d: d.execute_script(
        "return [...document.querySelectorAll('.plotly-graph-div')]"
        ".every(e => e.querySelector('svg.main-svg') !== null)"))
    return driver.get_log("browser")


def _raw_population(shared_data: Path, period: str) -> int:
    total = 0
    path = shared_data / "population" / "dst_FOLK1AM_area_2021M10-2024M04.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh, delimiter=";"):
            if row["OMRÅDE"] in MEMBERS_DST and row["TID"] == period:
                total += int(row["INDHOLD"])
    return total


@pytest.mark.parametrize("notebook", sorted(HEADINGS))
def test_report_opens_in_chromium(reports, browser, notebook, shared_data):
    from selenium.webdriver.common.by import By

    path = reports / f"{CLUSTER}-{notebook}.html"
    assert path.exists()
    logs = _open(browser, path)
    errors = [e for e in logs if e.get("level") == "SEVERE"]
    assert errors == [], errors

    graphs = browser.find_elements(By.CSS_SELECTOR, ".plotly-graph-div")
    assert len(graphs) >= MIN_FIGURES[notebook]
    for g in graphs:
        svg = g.find_elements(By.CSS_SELECTOR, "svg.main-svg")
        assert svg and browser.execute_script("return arguments[0].childElementCount", svg[0]) > 0

    # plotly's toolbar speaks Danish and offers no upload to plotly's cloud
    buttons = [e.get_attribute("data-title") for e in browser.find_elements(By.CSS_SELECTOR, ".modebar-btn")]
    assert "Hent figuren som PNG" in buttons and not any("Share" in (b or "") for b in buttons)

    title, sections = HEADINGS[notebook]
    h1 = [e.text.strip() for e in browser.find_elements(By.TAG_NAME, "h1")]
    h2 = [e.text.strip() for e in browser.find_elements(By.TAG_NAME, "h2")]
    assert h1[0].startswith(title)
    for heading in sections:
        assert any(h.startswith(heading) for h in h2), (heading, h2)
    assert "Klynge Nord" in h2
    if notebook == "befolkningsdashboard":
        assert "Alderspyramide" not in h2 and "Alderspyramiden vises ikke" in browser.page_source

    # no code cells: no input editors, no source of the notebook cells
    assert browser.find_elements(By.CSS_SELECTOR, ".jp-CodeCell .jp-InputArea, .jp-InputArea-editor") == []
    assert "rapport = ClusterReport" not in browser.page_source

    # no count of 1-4 persons in tables or tiles
    counts = browser.find_elements(By.CSS_SELECTOR, "[data-count='1']")
    values = [_danish_int(e.text) for e in counts]
    assert not [v for v in values if v is not None and 1 <= abs(v) <= 4]
    if notebook == "befolkningsdashboard":
        assert counts, "the dashboard shows population counts"
        tile = browser.find_element(By.CSS_SELECTOR, ".kd-tile-value[data-count='1']")
        assert _danish_int(tile.text) == _raw_population(shared_data, "2024M04")

    # offline: nothing is loaded from the internet
    assert not re.search(r'<script[^>]+src="https?://', path.read_text(encoding="utf-8"))


def test_index_links_both_reports(reports):
    page = (reports / "index.html").read_text(encoding="utf-8")
    for notebook in HEADINGS:
        assert f'href="{CLUSTER}-{notebook}.html"' in page
    assert "Klynge Nord" in page and "1. april 2024" in page  # latest period of the shared data: 2024M04


def test_shared_assets_variant_renders(reports_across_new_year, browser, tmp_path):
    run = reports_across_new_year[-1]  # written with --shared-assets (see conftest)
    assert run.returncode == 0, run.output
    html = run.out / f"{CLUSTER}-befolkningsdashboard.html"
    assert (run.out / "plotly.min.js").exists() and html.stat().st_size < 1_000_000
    errors = [e for e in _open(browser, html) if e.get("level") == "SEVERE"]
    assert errors == []
    # without the asset beside it the page cannot draw figures: the link really is used
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    shutil.copy(html, moved / html.name)
    browser.get((moved / html.name).as_uri())
    assert browser.execute_script("return typeof Plotly") == "undefined"


def test_key_figure_report_has_a_spine_chart_and_peers(reports, browser):
    from selenium.webdriver.common.by import By

    path = reports / f"{CLUSTER}-noegletalsrapport.html"
    assert [e for e in _open(browser, path) if e.get("level") == "SEVERE"] == []
    titles = browser.execute_script(
        "return [...document.querySelectorAll('.plotly-graph-div')].map(g => g.layout.title.text || '')")
    spine = [t for t in titles if "sammenlignet med klyngerne og hele landet" in t]
    assert spine, titles
    # one row per figure: the 13 health indicators of the shared files (and growth) against all clusters
    n_rows = browser.execute_script(
        "const g = [...document.querySelectorAll('.plotly-graph-div')].find(g => (g.layout.title.text || '')"
        ".includes('sammenlignet med klyngerne')); return g.layout.yaxis.tickvals.length")
    assert n_rows >= 13
    links = browser.find_elements(By.CSS_SELECTOR, ".kd-download a[download]")
    assert any(a.get_attribute("download") == f"barometer-{CLUSTER}.csv" for a in links)
    text = browser.find_element(By.TAG_NAME, "body").text
    assert "statistisk sikre" in text and "procentpoint højere" not in text

