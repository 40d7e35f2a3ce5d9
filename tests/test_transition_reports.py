"""Report runs across the transition: ids name their division, ended divisions are noted, files never collide.

Uses a tiny constructed notebook (the real notebooks are exercised in the e2e tests).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from klyngedata.cli import main
from klyngedata.reports.index import read_manifest
from klyngedata.reports.runner import ended_division_notes, run

KERNEL_META = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
               "language_info": {"name": "python"}}


@pytest.fixture
def nb_dir(tmp_path: Path) -> Path:
    """A constructed report notebook recording the unit, its division and the report's "today"."""
    nb = nbformat.v4.new_notebook(metadata=KERNEL_META)
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Konstrueret rapport"),
        nbformat.v4.new_code_cell('cluster = "x"\ndivision = None\nperiod = "latest"\ndata_dir = None',
                                  metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "from klyngedata import clock, registry\nfrom klyngedata.reports import record, setup_notebook\n"
            "setup_notebook()\nc = registry.cluster(cluster, division=division)\n"
            "record(cluster_name=c.name, division=c.division, today=clock.today().isoformat())"),
    ]
    d = tmp_path / "nb"
    d.mkdir()
    nbformat.write(nb, d / "konstrueret.ipynb")
    return d


@pytest.mark.e2e  # runs notebooks in Jupyter kernels
def test_a_2022_id_in_2027_makes_the_2022_report_and_notes_the_end(nb_dir, tmp_path, today_at):
    today_at("2027-01-02")
    res = run(["nordjylland-nord", "sundhedsraad-vendsyssel"], out=tmp_path / "r", notebooks="konstrueret",
              notebook_path=nb_dir, progress=False)
    assert res.ok, res.summary()
    by_id = {r.cluster_id: r for r in res.results}
    assert by_id["nordjylland-nord"].recorded["division"] == "sundhedsklynger-2022"
    assert by_id["sundhedsraad-vendsyssel"].recorded["division"] == "sundhedsraad-2027"
    assert by_id["nordjylland-nord"].recorded["today"] == "2027-01-02"  # kernels see the same "today"
    assert [n.split(" ")[0] for n in res.notes] == ["nordjylland-nord"]
    note = res.notes[0]
    assert "sundhedsklynger-2022" in note and "ended on 2026-12-31" in note and "sundhedsraad-vendsyssel" in note
    assert "note: nordjylland-nord" in res.summary()
    files = sorted(p.name for p in (tmp_path / "r").glob("*.html") if p.name != "index.html")
    assert files == ["nordjylland-nord-konstrueret.html", "sundhedsraad-vendsyssel-konstrueret.html"]


def test_no_note_before_the_end(today_at):
    today_at("2026-12-15")
    assert ended_division_notes([("nordjylland-nord", "sundhedsklynger-2022")]) == []
    assert ended_division_notes([("styregruppe-nordjylland-nord", "klyngestyregrupper-2019")])


@pytest.mark.e2e  # runs notebooks in Jupyter kernels
def test_cluster_and_council_of_the_same_area_do_not_overwrite_each_other(nb_dir, tmp_path, today_at):
    """The cron case: the same output folder before and after New Year (syddanmark-fyn vs sundhedsraad-fyn)."""
    out = tmp_path / "r"
    for day in ("2026-12-15", "2027-01-02"):
        today_at(day)
        result = CliRunner().invoke(main, ["report", "Fyn", "--out", str(out), "--notebooks", "konstrueret",
                                           "--notebook-dir", str(nb_dir), "--no-progress"])
        assert result.exit_code == 0, result.output
    manifest = read_manifest(out)
    assert set(manifest) == {"syddanmark-fyn-konstrueret.html", "sundhedsraad-fyn-konstrueret.html"}
    assert {e["division"] for e in manifest.values()} == {"sundhedsklynger-2022", "sundhedsraad-2027"}
    assert "Sundhedsråd Fyn" in (out / "sundhedsraad-fyn-konstrueret.html").read_text(encoding="utf-8")
