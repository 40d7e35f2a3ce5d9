"""README's API examples (section "In JupyterLab"), run line by line in IPython on the real public data: each runs,
or says in one sentence what is missing, without a traceback through klyngedata (issue 28, "Done when")."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e  # the examples run in an IPython process of their own

ROOT = Path(__file__).resolve().parents[1]
NEEDS_DATA_NOT_IN_THE_SHARED_FILES = {  # the shared FOLK1AM files are totals only; no projection is shared
    'kd.population(level="municipality", by=["sex", "age"], age_groups="broad")',
    'kd.population(level="cluster", kind="projection", period="2035", by=["age"], age_groups="broad")',
    'kd.life_expectancy(level="cluster", division="sundhedsraad-2027", sex="total")',  # deaths (FOD207)
    'kd.mortality(level="cluster", window=1)',
    'kd.member_life_expectancy("sundhedsraad-vendsyssel")',
    'kd.health_figures("sundhedsraad-vendsyssel", period="all")',  # the StatBank health tables are fetched
}


@pytest.fixture(scope="module")
def records(full_data_dir, tmp_path_factory) -> list[dict]:
    """The README's examples run by readme_runner.py in its own IPython process, on every real shared file
    imported with `klyngedata data import` (this file's copy, conftest)."""
    env = dict(os.environ, KLYNGEDATA_DATA_DIR=str(full_data_dir), KLYNGEDATA_OFFLINE="1")
    proc = subprocess.run([sys.executable, str(ROOT / "tests" / "readme_runner.py"), str(ROOT / "README.md")],
                          capture_output=True, text=True, env=env, timeout=1200, cwd=tmp_path_factory.mktemp("cwd"))
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def _statement(line: str) -> str:
    return line.split("  #", 1)[0].strip()


def test_every_readme_example_runs_or_says_what_is_missing_in_one_sentence(records):
    assert len(records) >= 15  # the block was found and run
    for rec in records:
        shown = rec["stdout"].strip()
        if rec["ok"]:
            assert _statement(rec["line"]) not in NEEDS_DATA_NOT_IN_THE_SHARED_FILES, rec
            continue
        assert "KlyngedataError" in rec["error_mro"], rec  # an error of klyngedata's, not a crash
        assert _statement(rec["line"]) in NEEDS_DATA_NOT_IN_THE_SHARED_FILES, rec
        assert "\n" not in shown and "Traceback" not in shown and "File " not in shown, shown
        assert shown.startswith("DataNotAvailable: ") and re.search(r"[.!?]\s+[A-ZÆØÅ]", shown) is None, shown
        assert "klyngedata data fetch" in shown or "klyngedata data import" in shown  # says how to get it


def test_readme_examples_write_nothing_but_danish_notes_to_stderr(records):
    for rec in records:
        for line in rec["stderr"].splitlines():
            assert line.startswith("Bemærk: ") and "/" not in line.split("Bemærk: ", 1)[1], rec


def test_readable_tables_in_the_readme(records):
    shown = {_statement(r["line"]): r["stdout"] for r in records if r["ok"]}
    kf = shown['kd.key_figures("nordjylland-nord")']
    assert kf.splitlines()[1].split()[:4] == ["entity_name", "label_da", "display", "value"]
    assert "e+0" not in kf and "more columns" in kf
    peers = shown['kd.peers("nordjylland-vest", n=5)']
    assert "group_1: Hovedstadskommuner (%)" in peers and "group_5: Landkommuner (%)" in peers
    assert "e+0" not in shown['kd.indicator_figures(cluster="nordjylland-vest")']
