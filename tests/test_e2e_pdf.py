"""End to end: a batch of reports with ``--pdf`` on the real shared files, the PDFs read back as a reader gets them.

The batch covers the kinds of unit a report must handle: a whole-municipality cluster (Klynge Nord), a cluster
with a municipality split by bydel (Sundhedsklynge Byen), a single-municipality cluster (Bornholm) and a 2027
sundhedsråd (Vendsyssel).
Every PDF is checked with pypdf: A4 pages (portrait, or landscape for a section with a wide table), a running
header and "Side X af Y" on every page, no blank page, no page ending with a heading, and every word of every
HTML table present in the PDF text (a cut-off column would lose words). The HTML of each report must not show
readers paths, ISO timestamps, raw ids, English, file names or commands (the pattern list below), and no
section may be empty.
Run with ``python -m pytest tests/test_e2e_pdf.py -m e2e``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from conftest import REPORT_UNITS

pytestmark = pytest.mark.e2e

pypdf = pytest.importorskip("pypdf")
bs4 = pytest.importorskip("bs4")

CLUSTERS = {
    "nordjylland-nord": "Klynge Nord",  # whole municipalities
    "hovedstaden-byen": "Sundhedsklynge Byen",  # København split by bydel
    "hovedstaden-bornholm": "Sundhedsklynge Bornholm",  # one municipality
    "sundhedsraad-vendsyssel": "Sundhedsråd Vendsyssel",  # a 2027 council (its id names its division)
}
NOTEBOOKS = {"befolkningsdashboard": "Befolkningsdashboard", "noegletalsrapport": "Nøgletalsrapport"}
A4_PT = (595.28, 841.89)
MARGIN_TOP_PT, MARGIN_BOTTOM_PT = 20 / 25.4 * 72, 18 / 25.4 * 72

# what a reader of a report must never see (analyst details go to the log and the manifest)
FORBIDDEN_IN_HTML = {
    "path": r"(?:^|[\s(\"'])(?:/(?:tmp|home|root|work|usr|var)/|\.\./|~/|[A-Za-z]:\\)\S*",
    "ISO timestamp": r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2})?\b",
    "raw id": r"\b(?:sundhedsklynger-2022|sundhedsraad-2027|klyngestyregrupper-2019|"
              r"(?:nordjylland|midtjylland|syddanmark|hovedstaden|sjaelland|sundhedsraad)-[a-z-]+)\b",
    "file name": r"\b[\w-]+\.(?:csv|json|geojson|topojson|gpkg|parquet|ipynb|py|md|html|xlsx)\b",
    "command": r"klyngedata\s+(?:data|report|lab)|\bdata (?:fetch|import)\b|\bSTI\b",
    "internal reference": r"\bSeeds?\s+\d{3}|geography\.md|§\s?\d+\.\d+|\[(?:SECONDARY|PRIMARY|TERTIARY)\]",
    "English": r"\b(?:the|and|of|not|from|with|table|file|members|government|proposal|confirmed|source|"
               r"Statistics Denmark)\b",
}


@pytest.fixture(scope="module")
def batch(report_set) -> Path:
    """The shared report set (conftest): the real shared files imported with `klyngedata data import`, then one
    batch `klyngedata report ... --pdf --jobs 2` run as a user runs it (a separate process: the kernels' output
    lands in the same log), covering the units above."""
    log = report_set.output
    assert report_set.returncode == 0, log
    assert set(CLUSTERS) <= set(REPORT_UNITS)
    n = len(REPORT_UNITS) * len(NOTEBOOKS)
    assert f"{n} of {n} reports written" in log and f"({n} with PDF)" in log, log
    assert "units: 3 sundhedsklynger (sundhedsklynger-2022), 2 sundhedsråd (sundhedsraad-2027)" in log, log
    # a clean log: no kernel shutdown noise, no traceback, each warning on one line
    assert "KeyboardInterrupt" not in log and "Traceback" not in log, log
    assert all(len(line) < 300 for line in log.splitlines()), log
    return report_set.out


REPORTS = [(c, n) for c in CLUSTERS for n in NOTEBOOKS]


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace("\u00ad", "")


def _page_lines(page) -> tuple[list[tuple[float, str]], list[str]]:
    """(body lines as (y from the bottom in pt, text), margin texts) of one PDF page."""
    height = float(page.mediabox.height)
    items: list[tuple[float, float, str]] = []

    def visit(text, cm, tm, _font, _size):
        if text.strip():
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            items.append((round(y), x, _norm(text)))

    page.extract_text(visitor_text=visit)
    body: dict[float, list[tuple[float, str]]] = {}
    margins = []
    for y, x, text in items:
        if MARGIN_BOTTOM_PT - 2 < y < height - MARGIN_TOP_PT + 2:
            body.setdefault(y, []).append((x, text))
        else:
            margins.append(text)
    lines = [(y, " ".join(t.strip() for _, t in sorted(parts)).strip()) for y, parts in body.items()]
    return sorted(lines, key=lambda yl: -yl[0]), margins


def _soup(path: Path):
    page = bs4.BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    for tag in page(["script", "style"]):
        tag.decompose()
    for a in page.select("a.anchor-link"):
        a.decompose()
    return page


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", _norm(text).lower())


@pytest.mark.parametrize("cluster, notebook", REPORTS)
def test_pdf_is_a4_with_header_footer_no_blank_page_and_no_heading_at_a_page_end(batch, cluster, notebook):
    pdf = batch / f"{cluster}-{notebook}.pdf"
    reader = pypdf.PdfReader(pdf)
    n = len(reader.pages)
    assert n >= 2
    headings = {_norm(h.get_text(" ", strip=True)) for h in _soup(batch / f"{cluster}-{notebook}.html")
                .select("h1, h2, h3, h4")}
    assert headings
    for i, page in enumerate(reader.pages, start=1):
        size = sorted((float(page.mediabox.width), float(page.mediabox.height)))
        assert size == pytest.approx(A4_PT, abs=1.5), (pdf.name, i, size)  # A4, portrait or landscape
        lines, margins = _page_lines(page)
        margin_text = " ".join(margins)
        assert CLUSTERS[cluster] in margin_text and NOTEBOOKS[notebook] in margin_text
        assert "Tallene er fra 1. april 2024" in margin_text
        assert re.search(rf"Side\s*{i}\s*af\s*{n}\b", margin_text), margin_text
        assert lines, f"{pdf.name}: page {i} is blank"
        last = lines[-1][1]
        assert last not in headings, f"{pdf.name}: page {i} ends with the heading {last!r}"


@pytest.mark.parametrize("cluster, notebook", REPORTS)
def test_no_table_text_is_missing_from_the_pdf(batch, cluster, notebook):
    soup = _soup(batch / f"{cluster}-{notebook}.html")
    wanted = Counter(w for cell in soup.select("table.kd-table th, table.kd-table td")
                     for w in _words(cell.get_text(" ", strip=True)))
    assert wanted
    reader = pypdf.PdfReader(batch / f"{cluster}-{notebook}.pdf")
    got = Counter(w for page in reader.pages for w in _words(page.extract_text()))
    missing = {w: (c, got[w]) for w, c in wanted.items() if got[w] < c}
    assert not missing, f"words of the tables missing from the PDF (in tables, in PDF): {missing}"


@pytest.mark.parametrize("cluster, notebook", REPORTS)
def test_no_section_is_empty(batch, cluster, notebook):
    soup = _soup(batch / f"{cluster}-{notebook}.html")
    cells = [c for c in soup.select("main > .jp-Cell, main > .kd-keep > .jp-Cell")
             if "jp-mod-noOutputs" not in (c.get("class") or [])]
    for i, cell in enumerate(cells):
        h2 = cell.select_one("h2")
        if h2 is None or "jp-MarkdownCell" not in cell.get("class", []):
            continue
        content = []
        for nxt in cells[i + 1:]:
            if nxt.select_one(".jp-MarkdownCell h2") or ("jp-MarkdownCell" in nxt.get("class", [])
                                                         and nxt.select_one("h2")):
                break
            content.append(nxt)
        shown = [c for c in content if c.select_one(".plotly-graph-div, table, li, .kd-tile")
                 or len(c.get_text(" ", strip=True)) >= 40]
        assert shown, f"{cluster}-{notebook}: the section {h2.get_text(strip=True)!r} is empty"


@pytest.mark.parametrize("cluster, notebook", REPORTS)
def test_html_shows_readers_no_paths_ids_english_or_commands(batch, cluster, notebook):
    soup = _soup(batch / f"{cluster}-{notebook}.html")
    text = _norm(soup.get_text("\n"))
    found = {what: sorted(set(m.group(0).strip() for m in re.finditer(rx, text)))[:5]
             for what, rx in FORBIDDEN_IN_HTML.items() if re.search(rx, text)}
    assert not found, found
    # the reader sees how old the figures are, and the analyst details are in the manifest instead
    assert "Tallene er fra" in text and "før rapporten blev dannet" in text
    import json

    manifest = json.loads((batch / "_manifest.json").read_text(encoding="utf-8"))
    entry = next(e for e in manifest["reports"] if e["file"] == f"{cluster}-{notebook}.html")
    assert any("FOLK1AM" in n for n in entry["data_notes"])


def test_split_and_unconfirmed_units_say_so_once(batch):
    byen = _norm(_soup(batch / "hovedstaden-byen-noegletalsrapport.html").get_text("\n"))
    assert byen.count("er delt mellem flere klynger efter bydel") == 1  # explained once, in the header
    assert "København (hele kommunen)" in byen and "København havde" not in byen  # never as the cluster's
    bornholm = _norm(_soup(batch / "hovedstaden-bornholm-befolkningsdashboard.html").get_text("\n"))
    assert bornholm.count("ikke bekræftet af en officiel kilde fra 2022") == 1  # said once, in the sources
    nord = _norm(_soup(batch / "nordjylland-nord-noegletalsrapport.html").get_text("\n"))
    assert "Ikke bekræftet" not in nord


def test_index_has_one_row_per_unit_with_html_and_pdf(batch):
    page = (batch / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr><td>.*?</tr>", page, flags=re.S)  # data rows (one header row per division's table)
    assert len(rows) == len(REPORT_UNITS)
    names = {**CLUSTERS, "sundhedsraad-limfjorden": "Sundhedsråd Limfjorden"}
    for cluster in REPORT_UNITS:
        row = next(r for r in rows if names[cluster] in r)
        for notebook in NOTEBOOKS:
            assert f'href="{cluster}-{notebook}.html"' in row and f'href="{cluster}-{notebook}.pdf"' in row
