"""Report machinery: plotly survives papermill + HTML export, atomic writes, index, failure collection, CLI.

The notebooks used here are tiny constructed examples written into ``tmp_path`` by the tests; the real report
notebooks are exercised in ``test_e2e_reports.py``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from click.testing import CliRunner

from klyngedata.population import PopulationWarning
from klyngedata.reports import blocks
from klyngedata.reports.html import (
    PLOTLY_ASSET_NAME,
    atomic_write_text,
    notebook_to_html,
    read_recorded,
    write_plotly_asset,
)
from klyngedata.reports.index import read_manifest, write_index
from klyngedata.reports.runner import ReportResult, run
from klyngedata.reports.text import summary_da

KERNEL_META = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
               "language_info": {"name": "python"}}

# A constructed report notebook: one parameters cell, a figure, a record() call; raises for one cluster.
CONSTRUCTED_CELLS = [
    ('cluster = "x"\ndivision = None\nperiod = "latest"\ndata_dir = None', ["parameters"]),
    ("from klyngedata.reports import setup_notebook, record\nsetup_notebook()\n"
     "if cluster == 'nordjylland-midt':\n    raise ValueError('konstrueret fejl for ' + cluster)\n"
     "import os\nrecord(cluster_name='Klynge ' + cluster, period='2024M04')\n"
     "record(offline=os.environ.get('KLYNGEDATA_OFFLINE'), data_dir=data_dir)", []),
    ("import plotly.graph_objects as go\ngo.Figure(go.Bar(x=['a', 'b'], y=[3, 5]))", []),
]


def _write_constructed_notebook(path: Path, heading: str = "# Konstrueret rapport", cells=None) -> Path:
    """A constructed notebook: a heading, then ``cells`` as (source, tags) pairs (default CONSTRUCTED_CELLS)."""
    nb = nbformat.v4.new_notebook(metadata=KERNEL_META)
    nb.cells = [nbformat.v4.new_markdown_cell(heading)]
    for src, tags in CONSTRUCTED_CELLS if cells is None else cells:
        nb.cells.append(nbformat.v4.new_code_cell(src, metadata={"tags": tags} if tags else {}))
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def executed_tiny(tmp_path_factory) -> nbformat.NotebookNode:
    """The constructed notebook executed once by papermill in report mode."""
    import os

    import papermill as pm

    d = tmp_path_factory.mktemp("tiny")
    src = _write_constructed_notebook(d / "tiny.ipynb")
    old = os.environ.get("KLYNGEDATA_REPORT")
    os.environ["KLYNGEDATA_REPORT"] = "1"
    try:
        pm.execute_notebook(str(src), str(d / "out.ipynb"), parameters={"cluster": "nordjylland-nord"},
                            kernel_name="python3", progress_bar=False)
    finally:
        if old is None:
            os.environ.pop("KLYNGEDATA_REPORT", None)
        else:
            os.environ["KLYNGEDATA_REPORT"] = old
    return nbformat.read(d / "out.ipynb", as_version=4)


@pytest.mark.e2e  # runs notebooks in Jupyter kernels
def test_plotly_figure_survives_papermill_and_html_export(executed_tiny):
    html = notebook_to_html(executed_tiny)
    assert "Plotly.newPlot" in html
    assert html.count('class="plotly-graph-div"') == 1
    # plotly.js is embedded exactly once (its licence banner appears once)
    assert len(re.findall(r"\* plotly\.js v\d", html)) == 1
    # no code cells, no prompts, nothing fetched from the internet
    assert 'class="jp-InputArea-editor' not in html
    assert "jp-CodeCell" in html and "cluster = " not in html
    assert not re.search(r'<script[^>]+src="https?://', html)
    assert "require.min.js" not in html, html[html.find("require.min.js") - 300:html.find("require.min.js") + 40]
    assert '<html lang="da">' in html
    # the record() output is read back, and is not in the HTML
    assert read_recorded(executed_tiny) == {"cluster_name": "Klynge nordjylland-nord", "period": "2024M04",
                                            "offline": None, "data_dir": None}
    assert "vnd.klyngedata.meta" not in html


@pytest.mark.e2e  # runs notebooks in Jupyter kernels
def test_shared_assets_links_one_local_plotly(executed_tiny, tmp_path):
    html = notebook_to_html(executed_tiny, shared_assets=True)
    assert f'src="{PLOTLY_ASSET_NAME}"' in html
    assert not re.search(r"\* plotly\.js v\d", html)
    assert len(html) < 1_000_000 < len(notebook_to_html(executed_tiny))
    asset = write_plotly_asset(tmp_path)
    assert asset.name == PLOTLY_ASSET_NAME and asset.stat().st_size > 1_000_000
    mtime = asset.stat().st_mtime_ns
    assert write_plotly_asset(tmp_path).stat().st_mtime_ns == mtime  # identical file is not rewritten


def test_atomic_write_replaces_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "sub" / "r.html"
    atomic_write_text(target, "første")
    atomic_write_text(target, "anden")
    assert target.read_text(encoding="utf-8") == "anden"
    assert [p.name for p in target.parent.iterdir()] == ["r.html"]


def test_index_lists_reports_with_period_and_date(tmp_path):
    (tmp_path / "a-befolkningsdashboard.html").write_text("x")
    r = ReportResult(cluster_id="a", notebook="befolkningsdashboard", ok=True,
                     html_path=tmp_path / "a-befolkningsdashboard.html",
                     recorded={"cluster_name": "Klynge A", "region_name": "Region Nordjylland", "period": "2024M04"},
                     generated_at="2026-11-22T21:05:00+00:00")
    gone = ReportResult(cluster_id="b", notebook="befolkningsdashboard", ok=True,
                        html_path=tmp_path / "b-befolkningsdashboard.html", generated_at="2026-11-22T21:05:00")
    from klyngedata.reports.index import update_index

    index = update_index(tmp_path, [r, gone], division="sundhedsklynger-2022")
    page = index.read_text(encoding="utf-8")
    assert 'Befolkningsdashboard: <a href="a-befolkningsdashboard.html">HTML</a></li>' in page  # no PDF yet
    # period 2024M04; generated 21:05 UTC = 22:05 Danish time (winter)
    assert "Klynge A" in page and "1. april 2024" in page and "22. november 2026 kl. 22.05" in page
    assert "sundhedsklynger-2022" not in page and "Sundhedsklynger (sundhedsloven § 203)" in page
    assert "b-befolkningsdashboard" not in page  # its file does not exist
    assert list(read_manifest(tmp_path)) == ["a-befolkningsdashboard.html"]
    assert "Rapporter for sundhedsklyngerne" in write_index(tmp_path).read_text(encoding="utf-8")


@pytest.mark.e2e  # runs notebooks in Jupyter kernels
def test_failing_cluster_leaves_other_reports_and_exit_code(tmp_path):
    """A deliberately failing cluster (the constructed notebook raises for nordjylland-midt)."""
    from klyngedata.cli import main

    nb_dir = tmp_path / "templates"
    _write_constructed_notebook(nb_dir / "befolkningsdashboard.ipynb")
    out = tmp_path / "reports"
    out.mkdir()
    earlier = out / "nordjylland-midt-befolkningsdashboard.html"
    earlier.write_text("rapport fra en tidligere kørsel", encoding="utf-8")
    result = CliRunner().invoke(main, [
        "report", "nordjylland-nord", "nordjylland-midt", "nordjylland-syd", "--out", str(out), "--jobs", "2",
        "--notebook-dir", str(nb_dir), "--notebooks", "befolkningsdashboard", "--no-progress",
        "--data-dir", str(tmp_path / "empty-data"),
    ])
    assert result.exit_code == 1, result.output
    for ok in ("nordjylland-nord", "nordjylland-syd"):
        html = (out / f"{ok}-befolkningsdashboard.html").read_text(encoding="utf-8")
        assert "Plotly.newPlot" in html
    assert earlier.read_text(encoding="utf-8") == "rapport fra en tidligere kørsel"
    kept = out / "_failed" / "nordjylland-midt-befolkningsdashboard.ipynb"
    assert kept.exists()
    assert "2 of 3 reports" in result.output
    assert "nordjylland-midt / befolkningsdashboard: ValueError" in result.output
    assert "konstrueret fejl for nordjylland-midt" in result.output
    assert str(kept) in result.output
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "nordjylland-nord-befolkningsdashboard.html" in index
    assert "nordjylland-midt-befolkningsdashboard.html" not in index


@pytest.mark.e2e  # runs notebooks in Jupyter kernels
def test_python_api_collects_failure_and_cell(tmp_path):
    offline_before = os.environ.get("KLYNGEDATA_OFFLINE")
    nb_dir = tmp_path / "templates"
    _write_constructed_notebook(nb_dir / "befolkningsdashboard.ipynb")
    res = run(["nordjylland-midt", "Klynge Nord"], out=tmp_path / "r", notebook_path=nb_dir,
              notebooks="befolkningsdashboard", progress=False, data_dir=tmp_path / "empty")
    assert not res.ok and len(res.failures) == 1
    ok = [r for r in res.results if r.ok][0]
    assert ok.cluster_id == "nordjylland-nord"  # cluster names are resolved to ids by the registry
    # data are loaded once by run(); the notebooks read the cache only, from the given data dir
    assert ok.recorded["offline"] == "1" and ok.recorded["data_dir"] == str(tmp_path / "empty")
    assert os.environ.get("KLYNGEDATA_OFFLINE") == offline_before  # the caller's environment is restored
    f = res.failures[0]
    assert f.ename == "ValueError" and "konstrueret fejl" in f.evalue
    failed = nbformat.read(f.failed_notebook, as_version=4)
    assert any(o.get("output_type") == "error" for o in failed.cells[f.cell_index].get("outputs", []))


def test_unknown_cluster_exits_nonzero_with_candidates(tmp_path):
    from klyngedata.cli import main

    result = CliRunner().invoke(main, ["report", "nordjylland-nrod", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "nordjylland-nord" in result.output and "Closest" in result.output


def test_unknown_notebook_is_an_error(tmp_path):
    from klyngedata.cli import main

    result = CliRunner().invoke(main, ["report", "nordjylland-nord", "--notebooks", "findesikke",
                                       "--out", str(tmp_path)])
    assert result.exit_code == 1 and "findesikke" in result.output


# --------------------------------------------------------------------------- text and blocks
CONSTRUCTED_KF = pd.DataFrame([  # constructed example in the key-figure schema
    {"entity_level": "cluster", "entity_id": "k", "entity_name": "Klynge K", "figure_id": "population",
     "label_da": "Befolkning", "value": 120000.0, "unit": "personer", "period": "2024M01",
     "region_value": 590000.0, "country_value": 5900000.0},
    {"entity_level": "cluster", "entity_id": "k", "entity_name": "Klynge K", "figure_id": "growth_1y",
     "label_da": "Befolkningsudvikling, 1 år", "value": -600.0, "unit": "personer", "period": "2024M01",
     "region_value": 100.0, "country_value": 28000.0},
    {"entity_level": "cluster", "entity_id": "k", "entity_name": "Klynge K", "figure_id": "growth_1y_pct",
     "label_da": "Befolkningsudvikling, 1 år (%)", "value": -0.5, "unit": "%", "period": "2024M01",
     "region_value": 0.1, "country_value": 0.5},
    {"entity_level": "cluster", "entity_id": "k", "entity_name": "Klynge K", "figure_id": "share_65_plus",
     "label_da": "Andel 65 år og derover", "value": 25.0, "unit": "%", "period": "2024M01",
     "region_value": 22.0, "country_value": 20.5},
    {"entity_level": "municipality", "entity_id": "0001", "entity_name": "Aby", "figure_id": "growth_1y_pct",
     "label_da": "Befolkningsudvikling, 1 år (%)", "value": 0.25, "unit": "%", "period": "2024M01"},
    {"entity_level": "municipality", "entity_id": "0002", "entity_name": "Bby", "figure_id": "growth_1y_pct",
     "label_da": "Befolkningsudvikling, 1 år (%)", "value": -1.5, "unit": "%", "period": "2024M01"},
])


def test_summary_da_is_generated_from_the_figures():
    s = summary_da(CONSTRUCTED_KF)
    assert s[0] == "Klynge K havde 120.000 indbyggere pr. 1. januar 2024."
    assert s[1] == ("Over det seneste år faldt befolkningen med 600 personer (\u22120,5 %); til sammenligning "
                    "regionen +0,1 % og hele landet +0,5 %.")  # the minus sign, as on the chart axes
    # issue 24: "den mindste udvikling" for the largest fall: a rise and a fall are named as such
    assert s[2] == ("Blandt medlemskommunerne voksede befolkningen mest i Aby (+0,2 %) og faldt mest i Bby "
                    "(\u22121,5 %).")
    # a difference without a test (no vs_country outcome) is never called higher or lower
    assert not any("højere" in x or "lavere" in x for x in s[3:])
    tested = CONSTRUCTED_KF.assign(vs_country="not_compared", vs_region="not_compared")
    tested.loc[3, ["vs_country", "vs_region"]] = ["higher", "higher"]  # constructed: 25.0 % is outside its CI
    assert summary_da(tested)[3] == ("Højere end både regionen og hele landet: andel 65 år og "
                                     "derover (25,0 % mod 22,0 % og 20,5 %).")
    assert summary_da(tested)[4].startswith("Forskelle nævnes kun, når de både er statistisk sikre og større end")
    # issue 24: significant is not important: 20,9 % against 20,5 % (under the 1 procentpoint of share_65_plus)
    small = tested.copy()
    small.loc[3, ["value", "region_value"]] = [20.9, 20.6]
    assert not any("højere" in x.lower() for x in summary_da(small)[3:])


def test_tables_never_show_small_counts_and_mark_count_cells():
    kf = CONSTRUCTED_KF.copy()
    kf.loc[1, "value"] = 3.0  # a constructed growth of 3 persons
    kf["suppressed"] = False
    kf["display"] = None
    html = blocks.keyfigure_table(kf).data
    cells = re.findall(r'<td class="kd-num"[^>]*data-count="1"[^>]*>([^<]*)</td>', html)
    assert "120.000" in cells and "<5" in cells.__repr__().replace("&lt;", "<")
    assert blocks.count_text(4) == "<5" and blocks.count_text(5) == "5" and blocks.count_text(0) == "0"
    assert blocks.value_text(None, "personer", 0, display="<5", suppressed=True) == "<5"
    assert "25,0" in html  # Danish decimal comma


def test_summary_and_tables_agree_on_decimals_and_units_are_not_doubled():
    kf = CONSTRUCTED_KF.copy()
    kf.loc[2, "value"] = 0.049  # a constructed growth of 0.049 %: "+0,05" in the table and "+0,05 %" in the text
    html = blocks.keyfigure_table(kf).data  # (issue 24: a change carries its sign in tables too)
    assert ">+0,05</td>" in html and "+0,05 %" in summary_da(kf)[1]
    per_100 = pd.concat([CONSTRUCTED_KF.iloc[:1], pd.DataFrame([{  # constructed example: a rate indicator
        "entity_level": "cluster", "entity_id": "k", "entity_name": "Klynge K", "figure_id": "recepter",
        "label_da": "Recepter pr. 100 borgere", "value": 73.7, "unit": "pr. 100 borgere", "period": "2024",
        "region_value": 72.9, "country_value": 65.3}])], ignore_index=True)
    per_100 = per_100.assign(vs_country=["not_compared", "higher"], vs_region=["not_compared", "similar"])
    # the figure id is a constructed one: the default threshold (5 % of the benchmark, 3,3) is passed (8,4)
    assert summary_da(per_100)[1] == "Højere end hele landet: recepter pr. 100 borgere (73,7 mod 65,3)."


def test_summary_da_never_calls_an_untested_survey_share_higher():
    # the example: 24.6 % against 18.5 % is not "6,1 procentpoint højere" without a sample size
    kf = pd.concat([CONSTRUCTED_KF.iloc[:1], pd.DataFrame([{  # constructed example: a health indicator row
        "entity_level": "cluster", "entity_id": "k", "entity_name": "Klynge K",
        "figure_id": "sundhedsprofil_svaer_overvaegt",
        "label_da": "Svær overvægt (BMI 30+)", "value": 24.6, "unit": "% af voksne 16+", "period": "2025",
        "region_value": 21.9, "country_value": 18.5, "vs_country": "not_compared", "vs_region": "not_compared",
        "vs_country_note_da": "… uden antal svarpersoner …", "trend": "increasing",
        "trend_da": "stigende og dårligere",
        "trend_note_da": "Lineær regression på tid (t-test af hældningen) over 5 perioder (2010-2025)."}])],
        ignore_index=True)
    s = summary_da(kf)
    assert not any("procentpoint" in x or "højere end" in x for x in s)
    # issue 24: a survey trend cannot be tested either (no respondents published): described, never "statistisk
    # sikker", so the summary does not contradict its own sentence on the survey shares
    assert "I målingerne 2010–2025 er andelen med svær overvægt (BMI 30+) steget." in s
    assert not any("tatistisk sikker" in x for x in s)
    assert any("svarpersoner ikke er offentliggjort" in x for x in s)


# --------------------------------------------------------------------------- ClusterReport on the real files
def _raw_members_total(population_dir: Path, members: set[str], period: str) -> int:
    import csv

    total = 0
    with (population_dir / "dst_FOLK1AM_area_2021M10-2024M04.csv").open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh, delimiter=";"):
            if row["OMRÅDE"] in members and row["TID"] == period:
                total += int(row["INDHOLD"])
    return total


def test_cluster_report_blocks_for_klynge_nord(imported_data_dir, population_dir, monkeypatch):
    from klyngedata.reports import ClusterReport

    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    with pytest.warns(PopulationWarning, match="delt mellem sundhedsklyngerne"):  # no bydel populations here
        r = ClusterReport("Klynge Nord", data_dir=imported_data_dir, report=True)
        assert r.resolved_period() == "2024M04"
        expected = _raw_members_total(population_dir, {"Brønderslev", "Frederikshavn", "Læsø", "Hjørring"}, "2024M04")
        tiles = r.tiles().data
        assert blocks.format_number(expected) in tiles  # 160.246 from the raw CSV
        trend = r.trend()
        assert trend.data[0].y[-1] == expected
        members = r.member_table().data
        for name in ("Brønderslev", "Frederikshavn", "Læsø", "Hjørring"):
            assert name in members
        gov = r.governance().data
        assert "Mindst 2 møder om året" in gov and "Mindst 4 møder om året" in gov
        assert r.age_pyramid() is None  # totals only: no figure, and no heading (issue 24) ...
        assert "Alderspyramiden vises ikke" in r.not_shown().data  # ... the reason is said once
        summary = r.summary().data
        assert f"Klynge Nord havde {blocks.format_number(expected)} indbyggere pr. 1. april 2024." in summary


def test_cluster_report_split_cluster_is_not_a_partial_total(imported_data_dir, population_dir, monkeypatch):
    from klyngedata.reports import ClusterReport

    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    with pytest.warns(PopulationWarning, match="delt mellem sundhedsklyngerne"):  # no bydel populations here
        r = ClusterReport("hovedstaden-byen", data_dir=imported_data_dir, report=True)
        header = r.header().data
        assert "Københavns Kommune er delt mellem flere klynger efter bydel" in header  # explained once, in the header
        # issue 24: which bydele belong to the cluster is said, and the empty blocks are not drawn
        assert ("<th>Del af Københavns Kommune</th><td>bydelene Bispebjerg, Brønshøj-Husum, Indre By, Nørrebro, "
                "Vanløse og Østerbro</td>") in header
        assert r.tiles() is None and r.spine_chart() is None and r.keyfigure_table() is None
        summary = r.summary().data
        kbh = blocks.format_number(_raw_members_total(population_dir, {"København"}, "2024M04"))
        assert "Klyngens samlede tal kan ikke opgøres" in summary and "København havde" not in summary
        assert f"København (hele kommunen) havde {kbh} indbyggere" in summary  # the municipality's, labelled so
        fig = r.trend()
        assert [t.name for t in fig.data] == ["Sundhedsklynge Byen uden København",
                                              "København (ikke fordelt på klynger)"]
        assert fig.data[0].y[-1] == _raw_members_total(population_dir, {"Frederiksberg"}, "2024M04")
        assert fig.data[1].y[-1] == _raw_members_total(population_dir, {"København"}, "2024M04")


# --------------------------------------------------------------------------- reader texts
def test_missing_figures_are_a_few_sentences_grouped_by_reason(imported_data_dir):
    from klyngedata.keyfigures import key_figures
    from klyngedata.reports.reader import missing_sentences

    kf = key_figures("nordjylland-nord", data_dir=imported_data_dir)
    rows = [m for m in kf.attrs["missing"] if m["entity_level"] == "cluster"]
    sentences = missing_sentences(kf.attrs["missing"])
    assert len(rows) >= 15 and 1 <= len(sentences) <= 4  # 20 internal rows -> a few reader sentences
    assert any("går kun tilbage til oktober 2021" in t for t in sentences)  # 2021M10, the first month in the file
    assert not any(re.search(r"\d{4}M\d{2}", t) for t in sentences)


def test_reader_source_keeps_titles_and_drops_references():
    from klyngedata.reports.reader import reader_source

    src = ("Seed 002/004: Region Nordjylland, Kommissorium – Det politiske niveau i sundhedsklyngen, august 2022 "
           "('som udgangspunkt to møder … om året')")
    assert reader_source(src).startswith("Region Nordjylland, Kommissorium – Det politiske niveau")
    assert reader_source("Name: fks-h.dk 'Klynge Bornholm' [SECONDARY]; members: 2019 government proposal "
                         "(geography.md §3.2)") == ""
