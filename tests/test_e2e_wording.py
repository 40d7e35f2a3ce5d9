"""End to end: the words of a report follow its unit's division, on both sides of 1 January 2027.

Both real report notebooks for a council (Sundhedsråd Limfjorden) and a cluster (Klynge Nord), made with
"today" set to 2026-12-15 and to 2027-01-02 (``$KLYNGEDATA_TODAY``, not faketime), on the real shared files, and
read as a reader sees them: the visible text of the page in headless Chromium. Checks headings, summary and
captions in the unit's words, the header facts (inferred hospitals, predecessors/successors, Danish division
name), the note on an ended or not yet started division, the council's composition, and the section "Fra
sundhedsklynger til sundhedsråd" with shares computed here from the raw FOLK1AM file with the csv module.
Run with ``python -m pytest tests/test_e2e_wording.py -m e2e``.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

COUNCIL, CLUSTER = "sundhedsraad-limfjorden", "nordjylland-nord"
DAYS = ("2026-12-15", "2027-01-02")
NOTEBOOKS = ("befolkningsdashboard", "noegletalsrapport")
CLUSTER_WORDS = re.compile(r"\b(?:[Kk]lyngens?|[Ss]undhedsklyngens?)\b")  # "klyngen", "Klyngens", "sundhedsklyngen"
COUNCIL_WORDS = re.compile(r"\b(?:[Rr]ådets?|[Ss]undhedsrådets?)\b")


@pytest.fixture(scope="module")
def reports(report_set, reports_across_new_year) -> dict[str, Path]:
    """One output folder per day, each with both notebooks for the council and the cluster: the shared report
    set (2026-12-15) and the run of 2027-01-02 in the folder written across New Year (conftest)."""
    before, (_, after) = report_set, reports_across_new_year
    for run in (before, after):
        assert run.returncode == 0, run.output
    assert "4 of 4 reports written" in after.output
    assert "units: 1 sundhedsråd (sundhedsraad-2027), 1 sundhedsklynge (sundhedsklynger-2022)" in after.output
    for day, run in zip(DAYS, (before, after), strict=True):
        for unit in (COUNCIL, CLUSTER):
            for notebook in NOTEBOOKS:
                assert (run.out / f"{unit}-{notebook}.html").is_file(), (day, unit, notebook)
    return {DAYS[0]: before.out, DAYS[1]: after.out}


def _page(browser, path: Path) -> dict:
    """Visible text of the report, its h2 headings, and the text of the transition section (to its end)."""
    from selenium.webdriver.common.by import By

    browser.get(path.resolve().as_uri())
    text = browser.execute_script("return document.body.innerText")
    h2 = [e.text.replace("¶", "").strip() for e in browser.find_elements(By.TAG_NAME, "h2")]
    tables = [t.text for t in browser.find_elements(By.CSS_SELECTOR, "table.kd-transition")]
    return {"text": text, "h2": h2, "transition": tables[0] if tables else ""}


def _raw(shared_data: Path, municipalities: set[str], period: str = "2024M04") -> int:
    total = 0
    path = shared_data / "population" / "dst_FOLK1AM_area_2021M10-2024M04.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh, delimiter=";"):
            if row["OMRÅDE"] in municipalities and row["TID"] == period:
                total += int(row["INDHOLD"])
    return total


def _da(n: int) -> str:
    return f"{n:,}".replace(",", ".")


LIMFJORDEN = {"Aalborg", "Jammerbugt", "Mariagerfjord", "Rebild", "Vesthimmerlands", "Morsø", "Thisted"}


def _outside_transition(text: str) -> str:
    """The visible text without the transition section (which names both kinds of unit by design)."""
    start = text.find("Fra sundhedsklynger til sundhedsråd")
    if start < 0:
        return text
    rest = text[start:]
    nxt = min((i for i in (rest.find("Medlemskommunerne side om side"), rest.find("Rådets organisering"),
                           rest.find("Klyngens organisering")) if i > 0), default=len(rest))
    return text[:start] + rest[nxt:]


@pytest.mark.parametrize("day", DAYS)
@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_council_report_speaks_of_the_council(reports, browser, shared_data, day, notebook):
    page = _page(browser, reports[day] / f"{COUNCIL}-{notebook}.html")
    text, h2 = page["text"], page["h2"]
    assert "Sundhedsråd Limfjorden" in h2 and "Fra sundhedsklynger til sundhedsråd" in h2
    expected = ["Rådets optageområde"] if notebook == "befolkningsdashboard" else [
        "Nøgletal for rådet", "Rådet sammenlignet med regionen og hele landet", "Rådets organisering"]
    assert all(h in h2 for h in expected), h2
    assert not CLUSTER_WORDS.search(_outside_transition(text)), CLUSTER_WORDS.findall(_outside_transition(text))
    # header: the hospitals, the clusters it succeeds (as predecessors: "Afløser" read backwards on a 2027 cover),
    # the division's Danish name (never its id); that the hospitals are inferred is said once, in the sources
    assert "Akuthospitaler\tAalborg Universitetshospital, Aalborg Universitetshospital – Thisted\n" in text
    assert ("Forgængere\tKlynge Midt, Klynge Syd og Klynge Vest (sundhedsklynger 1. juli 2022 – 31. december "
            "2026)") in text
    assert text.count("akutsygehusene, der er udledt af de sundhedsklynger, rådet overtager") == 1
    assert "Inddeling\tSundhedsråd (fra 1. januar 2027)" in text and "sundhedsraad-2027" not in text
    assert not re.search(r"Akuthospital(?:er)?\t–|Regionen\t–", text)
    before = "Sundhedsrådene afløser sundhedsklyngerne 1. januar 2027. Rapporten viser rådets område"
    assert (before in text) == (day == "2026-12-15")
    if notebook == "befolkningsdashboard":
        assert "Befolkningen i sundhedsrådet: nøgletal" in text and "Rådets kommuner og akuthospitaler" in text
    else:
        assert "Nøgletal for sundhedsrådet til rådets møder" in text
        total = _da(_raw(shared_data, LIMFJORDEN))
        assert f"Sundhedsråd Limfjorden havde {total} indbyggere pr. 1. april 2024." in text


@pytest.mark.parametrize("day", DAYS)
def test_council_governance_shows_the_composition_with_source(reports, browser, day):
    text = _page(browser, reports[day] / f"{COUNCIL}-noegletalsrapport.html")["text"]
    section = text[text.index("Rådets organisering"):]
    assert ("Sundhedsråd Limfjorden har 17 medlemmer: 9 regionsrådsmedlemmer, udpeget af regionsrådet i Region "
            "Nordjylland, og 8 kommunale medlemmer fra de 7 medlemskommuner.") in section
    assert "Regionsrådet i Region Nordjylland\t9" in section and "Aalborg Kommune\t2" in section
    assert "Morsø Kommune\t1" in section and "I alt\t17" in section
    assert "Formandskab: Formand og næstformand er regionsrådsmedlemmer." in section
    # the composition's source and date once, in the sources (issue 24)
    assert "Rådets sammensætning (medlemskommuner og pladser): Regionernes sider om sundhedsrådene" in section
    assert "28. april 2026" in section


@pytest.mark.parametrize("day", DAYS)
def test_council_transition_section_with_population_shares(reports, browser, shared_data, day):
    page = _page(browser, reports[day] / f"{COUNCIL}-noegletalsrapport.html")
    verb = "overtager" if day == "2026-12-15" else "overtog"
    assert (f"Sundhedsråd Limfjorden {verb} befolkningen i hele Klynge Midt, Klynge Syd og Klynge Vest."
            in page["text"])
    midt = _raw(shared_data, {"Aalborg", "Jammerbugt"})
    total = _raw(shared_data, LIMFJORDEN)
    share = f"{midt / total * 100:.1f}".replace(".", ",")
    row = next(line for line in page["transition"].splitlines() if line.startswith("Klynge Midt"))
    assert row == f"Klynge Midt Jammerbugt, Aalborg {_da(midt)} {share} % 100,0 %"


@pytest.mark.parametrize("day", DAYS)
@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_cluster_report_speaks_of_the_cluster_and_its_successor(reports, browser, day, notebook):
    page = _page(browser, reports[day] / f"{CLUSTER}-{notebook}.html")
    text, h2 = page["text"], page["h2"]
    expected = ["Klyngens optageområde"] if notebook == "befolkningsdashboard" else [
        "Nøgletal for klyngen", "Klyngen sammenlignet med regionen og hele landet", "Klyngens organisering"]
    assert all(h in h2 for h in expected) and "Fra sundhedsklynger til sundhedsråd" in h2, h2
    assert not COUNCIL_WORDS.search(_outside_transition(text))
    assert "Akuthospital\tRegionshospital Nordjylland" in text
    assert "Inddeling\tSundhedsklynger (sundhedsloven § 203), 1. juli 2022 – 31. december 2026" in text
    ended = "Sundhedsklyngerne ophørte 31. december 2026. Rapporten beskriver Klynge Nord, som klyngen var sammensat"
    if day == "2026-12-15":
        assert "Afløses af\tSundhedsråd Vendsyssel (fra 1. januar 2027)" in text and ended not in text
        assert "Fra 1. januar 2027 hører befolkningen i Klynge Nord til Sundhedsråd Vendsyssel." in text
    else:
        assert "Afløst af\tSundhedsråd Vendsyssel (fra 1. januar 2027)" in text and ended in text
        assert "Befolkningen i Klynge Nord overgik 1. januar 2027 til Sundhedsråd Vendsyssel." in text
    assert page["transition"].splitlines()[1].startswith("Sundhedsråd Vendsyssel Brønderslev")


def test_index_groups_the_reports_by_division(reports, browser):
    from selenium.webdriver.common.by import By

    browser.get((reports["2027-01-02"] / "index.html").resolve().as_uri())
    h2 = [e.text for e in browser.find_elements(By.TAG_NAME, "h2")]
    assert h2 == ["Sundhedsråd (fra 1. januar 2027)", "Sundhedsklynger (sundhedsloven § 203)"]
    sections = browser.find_elements(By.CSS_SELECTOR, "section.division")
    assert "Sundhedsråd Limfjorden" in sections[0].text and "Klynge Nord" not in sections[0].text
    assert "Gjaldt 1. juli 2022 – 31. december 2026 (ophørt)" in sections[1].text and "Klynge Nord" in sections[1].text
    assert browser.find_element(By.TAG_NAME, "h1").text == "Rapporter for sundhedsrådene og sundhedsklyngerne"
