"""End to end across 1 January 2027: the real report notebooks for a cluster and a council, with "today" set
on each side of the date (not the wall clock), into one output folder, as the weekly cron job would.

Checks that every report is written (exit code 0), that a cluster id of the ended division still makes the
cluster's report in 2027 and the summary says that the division ended and names the successor, and that the
reports of both divisions live side by side in the folder and the index. The Danish wording of council reports
is tested with the reports.
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def runs(reports_across_new_year):
    """The two runs into one folder (conftest): a council on 2026-12-15, a cluster and a council on 2027-01-02."""
    return reports_across_new_year


def test_before_new_year_council_reports_can_be_made_in_advance(runs):
    before = runs[0]
    assert before.returncode == 0, before.output
    assert "2 of 2 reports written" in before.output and "note:" not in before.output
    html = (before.out / "sundhedsraad-hovedstaden-noegletalsrapport.html").read_text(encoding="utf-8")
    assert "Sundhedsråd Hovedstaden" in html and "Region Østdanmark" in html and "Traceback" not in html


def test_after_new_year_cluster_and_council_reports(runs):
    after = runs[1]
    assert after.returncode == 0, after.output
    output, out_dir = after.output, after.out
    assert "4 of 4 reports written" in output
    assert "note: nordjylland-nord (Klynge Nord) belongs to division sundhedsklynger-2022" in output
    assert "ended on 2026-12-31" in output and "sundhedsraad-vendsyssel (Sundhedsråd Vendsyssel)" in output
    for stem in ("nordjylland-nord", "sundhedsraad-limfjorden", "sundhedsraad-hovedstaden"):
        for nb in ("befolkningsdashboard", "noegletalsrapport"):
            assert (out_dir / f"{stem}-{nb}.html").is_file()
    cluster = (out_dir / "nordjylland-nord-noegletalsrapport.html").read_text(encoding="utf-8")
    assert "Klynge Nord" in cluster and "Traceback" not in cluster
    council = (out_dir / "sundhedsraad-limfjorden-befolkningsdashboard.html").read_text(encoding="utf-8")
    assert "Sundhedsråd Limfjorden" in council and "Traceback" not in council
    manifest = json.loads((out_dir / "_manifest.json").read_text(encoding="utf-8"))["reports"]
    divisions = {e["cluster_id"]: e["division"] for e in manifest}
    assert divisions == {"nordjylland-nord": "sundhedsklynger-2022", "sundhedsraad-limfjorden": "sundhedsraad-2027",
                         "sundhedsraad-hovedstaden": "sundhedsraad-2027"}
