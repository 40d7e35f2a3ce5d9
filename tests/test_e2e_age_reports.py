"""End to end on the age paths: population by sex and age (FOLK1A) and a municipal projection (FRKM1yy).

The shared real data has municipality totals only, so :mod:`tests.test_e2e_reports` never reaches the age
pyramid, the age-share key figures or the 65+/80+ projection. Here the test builds, in code, a
**constructed example** of both StatBank CSV exports (exact export format: ``;``-separated, UTF-8 with BOM,
code value presentation) for all 98 municipalities with the region and country rows a full export has;
the counts come from a small deterministic formula and are invented (not data). The files are imported
with ``klyngedata data import``, ``klyngedata report nordjylland-nord`` renders both notebooks, and both
HTML files are opened in headless Chromium.

Checks: no console errors; every plotly figure rendered; the age pyramid and the projection are figures
(not the Danish "Bemærk" notes); the age-share rows are in the key-figure table; the cluster's, region's and
Denmark's 65+ share shown equal the values computed here from the constructed table; the projection's 65+
line and the pyramid's bars equal the constructed counts.
Run with ``python -m pytest tests/test_e2e_age_reports.py -m e2e``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.test_e2e_reports import _open

pytestmark = pytest.mark.e2e

CLUSTER = "nordjylland-nord"
NORD = ("0810", "0813", "0825", "0860")  # Klynge Nord: Brønderslev, Frederikshavn, Læsø, Hjørring
NORDJYLLAND = ("0773", "0787", "0810", "0813", "0820", "0825", "0840", "0846", "0849", "0851", "0860")
BOM = "\ufeff"

# constructed example: periods and age codes as StatBank writes them (FOLK1A: single years 0-125;
# FRKM: single years 0-99 and the open top group "100-")
CONSTRUCTED_QUARTERS = ("2023K2", "2023K3", "2023K4", "2024K1", "2024K2")
CONSTRUCTED_YEARS = tuple(range(2024, 2035))
FOLK1A_AGES = tuple(range(126))
FRKM_AGES = tuple(range(100))

PYRAMID_NOTE = "Alderspyramiden kræver"
PROJECTION_NOTE = "Fremskrivningen af antallet af 65+ og 80+-årige kræver"


def _municipalities() -> list[tuple[str, str]]:
    """(code, region code) of the 98 municipalities (registry facts, not data)."""
    from klyngedata import registry

    m = registry.municipalities()
    return sorted(zip(m["municipality_code"], m["region_code"], strict=True))


def constructed_folk1a_count(i: int, sex: int, age: int, q: int) -> int:
    """Constructed example (invented): persons of municipality number ``i`` (0-97), sex 1/2, age, quarter ``q``."""
    if age > 104:
        return 0
    return 30 + 5 * (i % 13) + (i % 5) * (age // 10) - age // 4 + sex + q


def constructed_frkm_count(i: int, sex: str, age: int, k: int) -> int:
    """Constructed example (invented): projected persons, ``age`` 100 is the open group ``100-``, year index ``k``."""
    if age >= 100:
        return 3 + i % 4 + k
    return 30 + 5 * (i % 13) + (i % 5) * (age // 10) - age // 4 + (sex == "K") + k * (age // 20)


def _constructed_tables() -> tuple[dict, dict]:
    """{(code, sex, age, period): count} of the constructed FOLK1A and FRKM examples."""
    folk, frkm = {}, {}
    for i, (code, _) in enumerate(_municipalities()):
        for q, per in enumerate(CONSTRUCTED_QUARTERS):
            for sex in (1, 2):
                for age in FOLK1A_AGES:
                    folk[(code, sex, age, per)] = constructed_folk1a_count(i, sex, age, q)
        for k, year in enumerate(CONSTRUCTED_YEARS):
            for sex in ("M", "K"):
                for age in (*FRKM_AGES, 100):
                    frkm[(code, sex, age, year)] = constructed_frkm_count(i, sex, age, k)
    return folk, frkm


def _constructed_folk1a_csv(folk: dict) -> str:
    """Constructed example in the FOLK1A export format of a full selection (Code presentation, CIVILSTAND
    fixed to TOT): every area (municipalities, regions 081-085, country 000) x KØN TOT/1/2 x ALDER IALT/0-125;
    the total rows are sums of the constructed single-year cells. (Without the IALT rows the population layer
    finds no totals, and the trend/comparison blocks fall back to notes.)"""
    regions = dict(_municipalities())
    cells: dict[tuple, int] = {}
    for (code, sex, age, per), n in folk.items():
        for area in (str(int(code)), regions[code][1:], "000"):
            for s in (str(sex), "TOT"):
                for a in (str(age), "IALT"):
                    cells[(area, s, a, per)] = cells.get((area, s, a, per), 0) + n
    lines = [BOM + "OMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD"]
    lines += [f"{area};{s};{a};TOT;{per};{n}" for (area, s, a, per), n in cells.items()]
    return "\r\n".join(lines) + "\r\n"


def _constructed_frkm_csv(frkm: dict) -> str:
    """Constructed example in the FRKM export format (KOMMUNEDK, KØN M/K, ALDER 0-99 and 100-, yearly TID)."""
    lines = [BOM + "KOMMUNEDK;KØN;ALDER;TID;INDHOLD"]
    for (code, sex, age, year), n in frkm.items():
        lines.append(f"{int(code)};{sex};{'100-' if age >= 100 else age};{year};{n}")
    return "\r\n".join(lines) + "\r\n"


def _share_65(folk: dict, codes: set[str], period: str) -> float:
    total = sum(n for (c, _, _, p), n in folk.items() if c in codes and p == period)
    old = sum(n for (c, _, a, p), n in folk.items() if c in codes and p == period and a >= 65)
    return 100.0 * old / total


def _danish_float(text: str) -> float:
    t = text.strip().replace("%", "").strip().replace(".", "").replace(",", ".").replace("\u2212", "-")
    return float(t)


@pytest.fixture(scope="module")
def constructed():
    return _constructed_tables()


@pytest.fixture(scope="module")
def age_reports(constructed, tmp_path_factory) -> Path:
    """Constructed example files -> `klyngedata data import` -> `klyngedata report` (both notebooks)."""
    from klyngedata.cli import main

    folk, frkm = constructed
    src = tmp_path_factory.mktemp("constructed_exports")
    # file names as StatBank's download names them (the table id is read from the name)
    (src / "FOLK1A_constructed_example.csv").write_bytes(_constructed_folk1a_csv(folk).encode("utf-8"))
    (src / "FRKM124_constructed_example.csv").write_bytes(_constructed_frkm_csv(frkm).encode("utf-8"))
    data_dir = tmp_path_factory.mktemp("age_data")
    out = tmp_path_factory.mktemp("age_reports")
    mp = pytest.MonkeyPatch()
    mp.setenv("KLYNGEDATA_OFFLINE", "1")  # no test touches the internet
    try:
        res = CliRunner().invoke(main, ["data", "import", str(src), "--data-dir", str(data_dir)])
        assert res.exit_code == 0, res.output
        res = CliRunner().invoke(main, ["report", CLUSTER, "--out", str(out), "--data-dir", str(data_dir),
                                        "--no-progress"])
    finally:
        mp.undo()
    assert res.exit_code == 0, res.output
    return out


def _figures(driver) -> list[dict]:
    """Title and traces (name, x, y as plain arrays) of every plotly figure on the page. plotly.py writes
    numeric arrays base64-encoded (``{dtype, bdata}``); plotly.js keeps the decoded array in ``_inputArray``."""
    return driver.execute_script(
        "const arr = v => v == null ? [] : Array.isArray(v) ? v"
        "  : v._inputArray ? Array.from(v._inputArray) : Array.from(v);"
        "return [...document.querySelectorAll('.plotly-graph-div')].map(g => ({"
        "  title: (g.layout && g.layout.title && g.layout.title.text) || '',"
        "  traces: (g.data || []).map(t => ({name: t.name || '', x: arr(t.x), y: arr(t.y)}))}))")


def _check_page(driver, path: Path) -> list[dict]:
    from selenium.webdriver.common.by import By

    assert path.exists(), path
    errors = [e for e in _open(driver, path) if e.get("level") == "SEVERE"]
    assert errors == [], errors
    graphs = driver.find_elements(By.CSS_SELECTOR, ".plotly-graph-div")
    assert graphs
    for g in graphs:
        svg = g.find_elements(By.CSS_SELECTOR, "svg.main-svg")
        assert svg and driver.execute_script("return arguments[0].childElementCount", svg[0]) > 0
    return _figures(driver)


def test_dashboard_shows_pyramid_and_projection(age_reports, browser, constructed):
    from selenium.webdriver.common.by import By

    folk, frkm = constructed
    figs = _check_page(browser, age_reports / f"{CLUSTER}-befolkningsdashboard.html")
    page = browser.page_source
    assert PYRAMID_NOTE not in page and PROJECTION_NOTE not in page

    # age pyramid: shares of the cluster's population in the latest quarter, men negative, women positive
    pyramid = [f for f in figs if f["title"].startswith("Alderspyramide")]
    assert len(pyramid) == 1, [f["title"] for f in figs]
    traces = {t["name"]: t for t in pyramid[0]["traces"]}
    assert set(traces) == {"Mænd", "Kvinder"}
    latest = CONSTRUCTED_QUARTERS[-1]
    total = sum(n for (c, _, _, p), n in folk.items() if c in NORD and p == latest)
    assert sum(abs(v) for t in traces.values() for v in t["x"]) == pytest.approx(100.0)
    men = dict(zip(traces["Mænd"]["y"], traces["Mænd"]["x"], strict=True))
    women = dict(zip(traces["Kvinder"]["y"], traces["Kvinder"]["x"], strict=True))
    exp_m_65 = 100.0 * sum(folk[(c, 1, a, latest)] for c in NORD for a in range(65, 70)) / total
    exp_f_100 = 100.0 * sum(folk[(c, 2, a, latest)] for c in NORD for a in range(100, 126)) / total
    assert men["65-69"] == pytest.approx(-exp_m_65)
    assert women["100+"] == pytest.approx(exp_f_100)

    # projection: number of 65+ and 80+ in the cluster per year, FRKM both sexes summed
    proj = [f for f in figs if f["title"].startswith("Fremskrivning")]
    assert len(proj) == 1, [f["title"] for f in figs]
    lines = {t["name"]: t for t in proj[0]["traces"]}
    assert set(lines) == {"65+-årige", "80+-årige"}
    for name, lo in (("65+-årige", 65), ("80+-årige", 80)):
        assert lines[name]["x"] == list(CONSTRUCTED_YEARS)
        expected = [sum(n for (c, _, a, y), n in frkm.items() if c in NORD and y == year and a >= lo)
                    for year in CONSTRUCTED_YEARS]
        assert lines[name]["y"] == pytest.approx(expected)

    # the 65+ tile equals the share computed from the constructed table
    tiles = {t.find_element(By.CSS_SELECTOR, ".kd-tile-label").text.strip():
             t.find_element(By.CSS_SELECTOR, ".kd-tile-value").text.strip()
             for t in browser.find_elements(By.CSS_SELECTOR, ".kd-tile")}
    assert tiles["Andel 65 år og derover"].endswith(" %"), tiles
    assert _danish_float(tiles["Andel 65 år og derover"]) == pytest.approx(
        _share_65(folk, set(NORD), latest), abs=0.051)


def test_keyfigure_report_has_age_rows(age_reports, browser, constructed):
    from selenium.webdriver.common.by import By

    folk, _ = constructed
    figs = _check_page(browser, age_reports / f"{CLUSTER}-noegletalsrapport.html")
    # the comparison chart shows the age shares (not the growth fallback)
    assert any(f["title"].startswith("Aldersfordeling") for f in figs), [f["title"] for f in figs]

    rows = {}
    for tr in browser.find_elements(By.CSS_SELECTOR, "table.kd-table tr"):
        cells = [td.text.strip() for td in tr.find_elements(By.TAG_NAME, "td")]
        if len(cells) == 6:  # Nøgletal, Værdi, Enhed, Regionen, Hele landet, Periode
            rows.setdefault(cells[0], cells)
    for label in ("Andel 0-17 år", "Andel 65 år og derover", "Andel 80 år og derover", "Medianalder"):
        assert any(k.startswith(label) for k in rows), (label, list(rows))
    _, value, unit, region, country, _period = rows["Andel 65 år og derover"]
    latest = CONSTRUCTED_QUARTERS[-1]
    all_codes = {c for c, _ in _municipalities()}
    assert unit == "%"
    assert _danish_float(value) == pytest.approx(_share_65(folk, set(NORD), latest), abs=0.051)
    assert _danish_float(region) == pytest.approx(_share_65(folk, set(NORDJYLLAND), latest), abs=0.051)
    assert _danish_float(country) == pytest.approx(_share_65(folk, all_codes, latest), abs=0.051)
    # projected change of the 65+ over ten years (FRKM base 2024 -> 2034), in persons
    _, frkm = constructed
    n65 = {y: sum(n for (c, _, a, yy), n in frkm.items() if c in NORD and yy == y and a >= 65) for y in (2024, 2034)}
    proj = rows["Fremskrevet ændring 65+-årige, 10 år"]
    assert proj[2] == "personer"
    assert _danish_float(proj[1]) == n65[2034] - n65[2024]
    page = browser.page_source
    assert PYRAMID_NOTE not in page and PROJECTION_NOTE not in page
