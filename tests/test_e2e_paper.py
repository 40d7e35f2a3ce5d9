"""End to end: the PDFs a council secretariat puts in the meeting pack unchanged (issue 24), read as a reader gets them.

On the real shared files, with "today" in January 2027 (``$KLYNGEDATA_TODAY``), ``klyngedata report --pdf`` makes
both reports of two councils (Vendsyssel, Hovedstaden: a small council and the capital with its inset map) and of
the two kinds of 2022 cluster (Klynge Nord; Sundhedsklynger Byen and Syd, split by bydel), and
``klyngedata overview --pdf`` the 17 councils side by side. A CONSTRUCTED file of local facts
(``lokale_oplysninger.csv``) is in the data
directory for Vendsyssel. The PDFs are read with pypdf (text and its position on each page) and the HTML in headless
Chromium laid out as print media (the DOM):

* paper first: every page carries body content; a dashboard fits 4 pages; no page of a key-figure report is less
  than a third used except the last; no text lies outside the printable area; the heat-map page names all 17
  councils; the Hovedstaden map has an enlarged inset naming København and Frederiksberg; links are not printed;
* one voice: no internal word anywhere, no method word before the appendix "Om tallene", official names, Danish
  axis dates, true minus signs, "Forgænger" on a council's cover, no "den mindste udvikling";
* only what the data carry: no empty barometer for a split cluster, the split's bydele named, the whole member
  municipalities' health figures labelled so, the crosswalk accounting for every resident, survey trends without a
  claim of certainty, the barometer's neutral figures under their own "lavere … højere";
* local facts: the secretariat's facts shown "oplyst af sekretariatet" and beating the public compilation; the
  composition's source and date, the boundaries' vintage and the enacted laws in the sources; what is unconfirmed
  said once.

Run with ``python -m pytest tests/test_e2e_paper.py -m e2e``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from browser import headless_chrome
from click.testing import CliRunner

pytestmark = pytest.mark.e2e

pypdf = pytest.importorskip("pypdf")

UNITS = {
    "sundhedsraad-vendsyssel": "Sundhedsråd Vendsyssel",
    "sundhedsraad-hovedstaden": "Sundhedsråd Hovedstaden",
    "nordjylland-nord": "Klynge Nord",
    "hovedstaden-byen": "Sundhedsklynge Byen",
    "hovedstaden-syd": "Sundhedsklynge Syd",  # ten members: the members' indicator table must fit the page
}
FOUR_PAGE_DASHBOARDS = [u for u in UNITS if u != "hovedstaden-syd"]
"""Syd's dashboard (a 2022 cluster: a split member and ten members) prints in five pages; the rule is for councils."""
NOTEBOOKS = ("befolkningsdashboard", "noegletalsrapport")
TODAY = "2027-01-05"
MARGIN_TOP_PT, MARGIN_BOTTOM_PT, MARGIN_SIDE_PT = 20 / 25.4 * 72, 18 / 25.4 * 72, 15 / 25.4 * 72
LANDSCAPE_WIDTH_PX = round((297 - 2 * 15) / 25.4 * 96)
"""The text width of a report page turned landscape (A4, 15 mm side margins) at 96 px per inch."""

CONSTRUCTED_LOCAL_FACTS = (  # a CONSTRUCTED example of a secretariat's file (names and sources invented for the test)
    "enhed;oplysning;del;værdi;kilde;dato\n"
    "sundhedsraad-vendsyssel;formand;;Konstrueret Formand (regionsrådsmedlem);KONSTRUERET referat;2026-01-19\n"
    "sundhedsraad-vendsyssel;pladser;regionsrådet;5;KONSTRUERET kommissorium;19.01.2026\n"
    "sundhedsraad-vendsyssel;pladser;Hjørring;1;KONSTRUERET kommissorium;19.01.2026\n"
    "sundhedsraad-vendsyssel;pladser;Brønderslev;1;KONSTRUERET kommissorium;19.01.2026\n"
    "sundhedsraad-vendsyssel;pladser;Frederikshavn;1;KONSTRUERET kommissorium;19.01.2026\n"
    "sundhedsraad-vendsyssel;pladser;Læsø;1;KONSTRUERET kommissorium;19.01.2026\n"
    "sundhedsraad-vendsyssel;akutsygehus;;Regionshospital Nordjylland, Hjørring;KONSTRUERET referat;2026-01-19\n"
)

INTERNAL_WORDS = r"\b(?:enheder|enhederne|enhedens|figurkatalog\w*|doughnut\w*|klyngedatas?|pakken)\b"
"""Words of the makers, not of a council member (issue 24), nowhere in a printed report."""
METHOD_WORDS = r"\b(?:Wilsons?|Poisson\w*|euklidisk\w*|standardiseret|chi²|Cochran|konfidensinterval\w*)\b"
"""Method words: only in the appendix "Om tallene", never in the body."""
NEVER = {
    "unofficial municipality name": r"\b(?:København|Bornholm) Kommune\b",
    "bill numbers for the laws": r"\bL 21[34]\b",
    "'Afløser' on a council": r"\bAfløser\b",
    "'den mindste udvikling' for a fall": r"den (?:mindste|største) udvikling",
    "axis date as 01.2022": r"(?<![\d.])\d{2}\.\d{4}\b",
    "hyphen-minus before a number": r"(?<![\w\d])-\d+,\d",
    "certainty claimed for survey trends": r"Statistisk sikker udvikling: [^.]*(?:rygning|overvægt|helbred|alkohol)",
    "a neutral figure called worse": r"← dårligere / lavere",
    "an internal source": r"afpihl|GitHub",
}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).replace("\u00ad", ""))


@pytest.fixture(scope="module")
def out(shared_data, tmp_path_factory) -> Path:
    """The real shared files imported, a CONSTRUCTED local facts file, the reports and the overview with PDFs."""
    from klyngedata.cli import main

    data = tmp_path_factory.mktemp("paper_data")
    result = CliRunner().invoke(main, ["data", "import", str(shared_data), "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    (data / "lokale_oplysninger.csv").write_text(CONSTRUCTED_LOCAL_FACTS, encoding="utf-8")
    target = tmp_path_factory.mktemp("paper_reports")
    env = {**os.environ, "KLYNGEDATA_OFFLINE": "1", "KLYNGEDATA_TODAY": TODAY}
    for args in (["report", *UNITS, "--jobs", "2", "--no-progress"], ["overview", "--division", "sundhedsraad-2027"]):
        proc = subprocess.run([sys.executable, "-m", "klyngedata", *args, "--out", str(target), "--data-dir",
                               str(data), "--pdf"], capture_output=True, text=True, env=env, timeout=1500)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return target


def _pages(pdf: Path) -> list[dict]:
    """Per page: its body text, the lowest body text (pt from the bottom), the text in the margins."""
    out = []
    for page in pypdf.PdfReader(pdf).pages:
        height = float(page.mediabox.height)
        body, margin, ys, lines = [], [], [], {}

        def visit(text, cm, tm, _font, _size, body=body, margin=margin, ys=ys, height=height, lines=lines):
            if not text.strip():
                return
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            if MARGIN_BOTTOM_PT - 2 < y < height - MARGIN_TOP_PT + 2:
                body.append(text)
                ys.append(y)
                lines.setdefault(round(y), []).append(text)
            else:
                margin.append(text)

        page.extract_text(visitor_text=visit)
        top, bottom = height - MARGIN_TOP_PT, MARGIN_BOTTOM_PT
        used = (top - min(ys)) / (top - bottom) if ys else 0.0
        last = _norm(" ".join(lines[min(lines)])).strip() if lines else ""
        out.append({"body": _norm(" ".join(body)), "margin": _norm(" ".join(margin)), "used": used, "last": last,
                    "text": _norm(page.extract_text())})
    return out


def _pdf(out: Path, unit: str, notebook: str) -> list[dict]:
    return _pages(out / f"{unit}-{notebook}.pdf")


def _all_text(pages: list[dict]) -> str:
    return " ".join(p["text"] for p in pages)


REPORTS = [(u, n) for u in UNITS for n in NOTEBOOKS]


# --------------------------------------------------------------------------------------------------- paper first
@pytest.mark.parametrize("unit, notebook", REPORTS)
def test_every_page_carries_body_content(out, unit, notebook):
    """No blank or near-empty page (Hovedstaden's key-figure report had a blank landscape page after the peers)."""
    for i, page in enumerate(_pdf(out, unit, notebook), start=1):
        assert len(page["body"]) >= 150, f"{unit}-{notebook}: page {i} has no body content: {page['body']!r}"


@pytest.mark.parametrize("unit", FOUR_PAGE_DASHBOARDS)
def test_a_dashboard_prints_in_at_most_four_pages(out, unit):
    assert len(_pdf(out, unit, "befolkningsdashboard")) <= 4


@pytest.mark.parametrize("unit", UNITS)
def test_no_key_figure_page_is_less_than_a_third_used_except_the_last(out, unit):
    pages = _pdf(out, unit, "noegletalsrapport")
    thin = [(i, round(p["used"], 2)) for i, p in enumerate(pages[:-1], start=1) if p["used"] < 1 / 3]
    assert not thin, f"{unit}: pages less than a third used (page, share): {thin}"


HEADINGS = re.compile(r"(?:Sammenfatning|Nøgletal for \w+|\w+ sammenlignet med regionen og hele landet|"
                      r"Medlemskommunerne|Sundhedsindikatorer|Barometer: .*|Sammenlignelige \w+|Nøgletal, der ikke "
                      r"kan beregnes|Fra sundhedsklynger til sundhedsråd|\w+ organisering|Kilder|Kilder og "
                      r"dokumentation|Om tallene|Befolkningsudvikling|\w+ optageområde|Medlemskommunerne side om "
                      r"side|Sammenligning med regionen og hele landet)")
"""The reports' headings (both notebooks, clusters and councils)."""


@pytest.mark.parametrize("unit, notebook", REPORTS)
def test_no_page_ends_with_a_heading(out, unit, notebook):
    """A heading is never the last line of a page, split from what it introduces (Hovedstaden's "Om tallene" and
    "Kilder", the barometer's heading and intro at the foot of a page with the chart on the next)."""
    pages = _pdf(out, unit, notebook)
    ending = [(i, p["last"]) for i, p in enumerate(pages[:-1], start=1) if HEADINGS.fullmatch(p["last"])]
    assert not ending, f"{unit}-{notebook}: pages ending with a heading: {ending}"
    for page in pages:  # a chart's heading and intro on the page of the chart
        if "Barometer: " in page["body"]:
            assert "Spredning blandt" in page["text"], f"{unit}-{notebook}: the barometer's heading without it"


def test_the_overview_prints_every_councils_name_on_the_heat_map_page(out, browser):
    """The heat map is on one landscape page (its first and last rows on the page with its heading) and names all
    17 councils, each name inside the page (the DOM laid out for print: pypdf reads rotated text unreliably)."""
    from klyngedata.reports.overview import PRINT_WIDTH_LANDSCAPE_PX
    from klyngedata.reports.unit_data import _short_names

    pages = _pages(out / "oversigt-sundhedsraad-2027.pdf")
    heat = [p for p in pages if "Varmekort" in p["body"]]
    assert len(heat) == 1
    assert "Godt selvvurderet helbred" in heat[0]["text"] and "Recepter pr. 100 borgere" in heat[0]["text"]
    for p in pages:
        assert len(p["body"]) >= 150
    names = list(_short_names("sundhedsraad-2027").values())
    assert len(names) == 17
    _overflowing(browser, out / "oversigt-sundhedsraad-2027.html", PRINT_WIDTH_LANDSCAPE_PX + 9)  # laid out for print
    ticks = browser.execute_script("""
        const g = document.getElementById('kd-heatmap'), box = g.closest('.kd-heat').getBoundingClientRect();
        return {height: box.height, ticks: [...g.querySelectorAll('.xtick text')].map(t => {
          const r = t.getBoundingClientRect(); return [t.textContent, r.left, r.right, r.bottom - box.top]; })};""")
    shown = [t[0] for t in ticks["ticks"]]
    assert sorted(shown) == sorted(names), f"council names missing from the heat map: {set(names) - set(shown)}"
    width, height = PRINT_WIDTH_LANDSCAPE_PX + 9, (210 - 38) / 25.4 * 96  # the A4 landscape text area
    assert all(0 <= left and right <= width and bottom <= height for _, left, right, bottom in ticks["ticks"])
    assert ticks["height"] <= height  # the heading, the legend and the chart fit one page


def test_links_that_do_nothing_on_paper_are_not_printed(out):
    text = _all_text(_pages(out / "oversigt-sundhedsraad-2027.pdf"))
    assert "Befolkningsdashboard · Nøgletalsrapport" not in text and "Rapporter" not in text
    assert "Amager og Vestegnen" in text  # the map names the councils too


def test_the_hovedstaden_map_shows_koebenhavn_and_frederiksberg_in_an_inset(out):
    pages = _pdf(out, "sundhedsraad-hovedstaden", "befolkningsdashboard")
    page = next(p for p in pages if "Rådets optageområde" in p["body"])
    assert "Forstørret udsnit" in page["text"]
    assert "Frederiksberg" in page["text"] and "København" in page["text"]
    assert "Bispebjerg og Frederiksberg Hospital" in page["text"]  # its own hospitals named in full


@pytest.fixture(scope="module")
def browser():
    yield from headless_chrome("700,1000", console_log=False)


def _overflowing(browser, path: Path, width: int) -> list[str]:
    """Texts whose box reaches outside the printable width when the page is laid out for print (the DOM)."""
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": width, "height": 1000,
                                                                   "deviceScaleFactor": 1, "mobile": False})
    browser.get(path.resolve().as_uri())
    browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "(window.klyngedataPrint ? window.klyngedataPrint.prepare() : Promise.resolve()).then(() => done(true));")
    return browser.execute_script("""
        const w = arguments[0], wide = arguments[1], out = [];
        for (const e of document.querySelectorAll('svg text, p, li, td, th, h1, h2, h3, h4')) {
          if (!e.getClientRects().length) continue;
          const r = e.getBoundingClientRect(), s = getComputedStyle(e);
          if (s.visibility === 'hidden' || s.display === 'none' || !e.textContent.trim()) continue;
          if (e.closest('.modebar, .kd-screen-only, .kd-download')) continue;
          const limit = e.closest('.kd-landscape') ? wide : w;  // a section turned landscape has the wider page
          if (r.right > limit + 2 || r.left < -2) {
            out.push(e.textContent.trim().slice(0, 60) + ' @' + Math.round(r.right));
          }
        }
        return out;""", width, LANDSCAPE_WIDTH_PX)


@pytest.mark.parametrize("unit, notebook", REPORTS)
def test_no_text_lies_outside_the_printable_area(out, browser, unit, notebook):
    from klyngedata.reports.html import PRINT_WIDTH_PX

    assert not _overflowing(browser, out / f"{unit}-{notebook}.html", PRINT_WIDTH_PX)


def test_no_overview_text_lies_outside_the_printable_area(out, browser):
    from klyngedata.reports.overview import PRINT_WIDTH_LANDSCAPE_PX

    assert not _overflowing(browser, out / "oversigt-sundhedsraad-2027.html", PRINT_WIDTH_LANDSCAPE_PX + 9)


# --------------------------------------------------------------------------------------------------- one voice
@pytest.mark.parametrize("unit, notebook", REPORTS)
def test_one_voice_no_internal_words_no_method_words_in_the_body(out, unit, notebook):
    text = _all_text(_pdf(out, unit, notebook))
    body = text.split("Om tallene Forskelle.")[0]  # the appendix may name the methods
    assert not re.findall(INTERNAL_WORDS, text, flags=re.IGNORECASE)
    assert not re.findall(METHOD_WORDS, body), re.findall(METHOD_WORDS, body)
    found = {what: re.findall(rx, text)[:3] for what, rx in NEVER.items() if re.search(rx, text)}
    assert not found, found


def test_the_overview_speaks_with_one_voice(out):
    text = _all_text(_pages(out / "oversigt-sundhedsraad-2027.pdf"))
    assert not re.findall(INTERNAL_WORDS, text, flags=re.IGNORECASE)
    found = {what: re.findall(rx, text)[:3] for what, rx in NEVER.items() if re.search(rx, text)}
    assert not found, found


def test_official_names_predecessors_and_developments_read_right_in_2027(out):
    text = _all_text(_pdf(out, "sundhedsraad-hovedstaden", "noegletalsrapport"))
    assert "Københavns Kommune" in text and "Bornholms Regionskommune" in text
    assert "Forgængere Sundhedsklynge Bornholm, Sundhedsklynge Byen og Sundhedsklynge Syd" in text
    vendsyssel = _all_text(_pdf(out, "sundhedsraad-vendsyssel", "noegletalsrapport"))
    assert "voksede befolkningen mest i Brønderslev (+0,05 %) og faldt mest i Læsø (−2,1 %)" in vendsyssel
    dashboard = _all_text(_pdf(out, "sundhedsraad-vendsyssel", "befolkningsdashboard"))
    assert "jan. 2022" in dashboard and "jan. 2024" in dashboard  # the vocabulary's axis dates


# ------------------------------------------------------------------------------ only what the data carry
def test_a_split_cluster_draws_no_empty_barometer_and_names_its_bydele(out):
    text = _all_text(_pdf(out, "hovedstaden-byen", "noegletalsrapport"))
    assert "Barometer" not in text and "– %" not in text and "Sammenlignelige klynger" not in text
    assert text.count("Del af Københavns Kommune bydelene Bispebjerg, Brønshøj-Husum, Indre By, Nørrebro, Vanløse og "
                      "Østerbro") == 1
    assert "så klyngens samlede nøgletal, barometer og sammenlignelige klynger vises ikke" in text
    # the whole member municipalities' health figures, labelled as such
    assert "Sundhedsindikatorer" in text and "København (hele kommunen)" in text
    assert re.search(r"Borgere med sygehuskontakt \(%\) \d+,\d \d+,\d", text)


def test_differences_are_called_out_only_when_significant_and_relevant(out):
    text = _all_text(_pdf(out, "sundhedsraad-vendsyssel", "noegletalsrapport"))
    # 86,3 % against the region's 85,7 % is significant (whole population) but under 2 procentpoint: not named
    assert "Højere end hele landet: borgere med kontakt til almen praksis (86,3 % mod 83,6 %)" in text
    assert "85,7 %" not in text.split("Sammenfatning")[1].split("Nøgletal for rådet")[0]
    assert text.count("Forskelle nævnes kun, når de både er statistisk sikre og større end") == 1
    assert "Mindste forskel, der nævnes" in text  # the thresholds with their reasons, in "Om tallene"
    assert "Nøgletal uden en god retning" in text and "← lavere" in text and "højere →" in text
    assert "I målingerne 2010–2025 er andelen med" in text


def test_the_crosswalk_accounts_for_every_resident_of_hovedstaden(out):
    text = _all_text(_pdf(out, "sundhedsraad-hovedstaden", "noegletalsrapport"))
    assert "Sundhedsklynge Byen: Frederiksberg Kommune Frederiksberg 105.469 13,1 %" in text
    assert "662.366 82,1 %" in text and "39.229 4,9 %" in text  # 82,1 + 13,1 + 4,9 = 100 (rounded)


# --------------------------------------------------------------------------------------------------- local facts
def test_the_composition_is_stated_once_with_source_date_laws_and_boundary_vintage(out):
    text = _all_text(_pdf(out, "sundhedsraad-hovedstaden", "noegletalsrapport"))
    assert text.count("Ikke bekræftet af en officiel kilde") == 1 and "udledt" not in text.replace(
        "der er udledt af de sundhedsklynger", "")
    assert "lovens ordlyd" not in text
    assert "Rådets sammensætning (medlemskommuner og pladser): Regionernes sider om sundhedsrådene" in text
    assert "28. april 2026" in text
    assert "lov nr. 699 og lov nr. 719 af 20. juni 2025" in text
    dashboard = _all_text(_pdf(out, "sundhedsraad-hovedstaden", "befolkningsdashboard"))
    assert "13. februar 2014" in dashboard  # the boundaries' vintage, not only the import date


def test_the_secretariats_facts_beat_the_public_compilation(out):
    text = _all_text(_pdf(out, "sundhedsraad-vendsyssel", "noegletalsrapport"))
    assert ("Formand: Konstrueret Formand (regionsrådsmedlem), oplyst af sekretariatet (KONSTRUERET referat, "
            "19. januar 2026)") in text
    assert "Rådets sammensætning: oplyst af sekretariatet (KONSTRUERET kommissorium, 19. januar 2026)" in text
    assert "Regionshospital Nordjylland, Hjørring (oplyst af sekretariatet)" in text
    assert "pladsfordelingen" not in text and "reglen om, at formand" not in text  # confirmed by the secretariat
