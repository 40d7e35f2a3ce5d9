"""``klyngedata schedule`` (issue 28 item 4): a cron line and systemd units with absolute paths for this
installation, the log folder made; the printed cron line runs as written in cron's bare environment and writes
a dated header and its summary to the log; an offline fetch names KLYNGEDATA_OFFLINE=1 as the reason."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from klyngedata.cli import main
from klyngedata.cli.schedule import klyngedata_command
from tests.conftest import TEST_TODAY

CONSTRUCTED_NOTEBOOK = [  # a CONSTRUCTED report notebook: the batch machinery without the real report's work
    ("cluster = 'nordjylland-nord'\ndivision = None\nperiod = 'latest'\ndata_dir = None", ["parameters"]),
    ("print('Konstrueret rapport for', cluster)", []),
]


def _schedule(tmp_path: Path, *extra: str) -> tuple[str, str]:
    result = CliRunner().invoke(main, ["schedule", "--data-dir", str(tmp_path / "data"), "--out",
                                       str(tmp_path / "reports"), "--log", str(tmp_path / "logs" / "reports.log"),
                                       *extra])
    assert result.exit_code == 0, result.output
    (cron,) = [ln for ln in result.output.splitlines() if ln and not ln.startswith("#") and ln[0].isdigit()]
    return cron, result.output


def test_schedule_prints_absolute_paths_and_makes_the_log_folder(tmp_path):
    cron, output = _schedule(tmp_path, "--at", "06:15", "--weekday", "fri", "--jobs", "3")
    assert (tmp_path / "logs").is_dir()
    fields = cron.split(None, 5)
    assert fields[:5] == ["15", "6", "*", "*", "5"]
    command = shlex.split(fields[5])
    assert command[: len(klyngedata_command())] == klyngedata_command() and Path(command[0]).is_absolute()
    assert command[len(klyngedata_command()):] == [
        "schedule", "run", "--data-dir", str(tmp_path / "data"), "--out", str(tmp_path / "reports"),
        "--log", str(tmp_path / "logs" / "reports.log"), "--jobs", "3"]
    assert f"ExecStart={fields[5]}" in output.splitlines()
    assert "OnCalendar=Fri *-*-* 06:15:00" in output.splitlines()


def test_schedule_refuses_a_time_it_cannot_read(tmp_path):
    result = CliRunner().invoke(main, ["schedule", "--at", "25:00", "--log", str(tmp_path / "l" / "r.log")])
    assert result.exit_code == 2 and "HH:MM" in result.output


@pytest.mark.e2e  # runs the printed command line: data fetch and a batch of reports in kernels
def test_the_printed_cron_line_runs_in_crons_environment(tmp_path, imported_data_dir):
    """The line as printed, run by sh with cron's environment (PATH=/usr/bin:/bin, HOME, LOGNAME, SHELL; plus the
    suite's fixed day, offline so that the test never touches the network, and PYTHONPATH so that the run imports
    this checkout). Reports from a CONSTRUCTED notebook, so the test pays for the machinery, not the reports."""
    templates = tmp_path / "templates"
    templates.mkdir()
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell(src, metadata={"tags": tags}) for src, tags in CONSTRUCTED_NOTEBOOK]
    nbformat.write(nb, templates / "konstrueret.ipynb")
    cron, _ = _schedule(tmp_path, "--report-options", f"--notebook-dir {templates} --notebooks konstrueret")
    command = cron.split(None, 5)[5].replace(str(tmp_path / "data"), str(imported_data_dir))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LOGNAME": "klyngedata", "SHELL": "/bin/sh",
           "PYTHONPATH": os.environ["PYTHONPATH"], "KLYNGEDATA_TODAY": TEST_TODAY, "KLYNGEDATA_OFFLINE": "1"}
    proc = subprocess.run(["/usr/bin/env", "-i", *(f"{k}={v}" for k, v in env.items()), "sh", "-c", command],
                          capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    log = (tmp_path / "logs" / "reports.log").read_text(encoding="utf-8")
    lines = log.strip().splitlines()
    assert lines[0].startswith(f"=== {TEST_TODAY} ") and "scheduled run" in lines[0]  # the dated header
    assert any("KLYNGEDATA_OFFLINE" in ln for ln in lines)  # the reason the fetch did not run
    assert "--- data fetch: exit code 1" in lines
    assert any(ln.startswith("22 of 22 reports written to") for ln in lines)  # the report summary
    assert lines[-1].startswith(f"=== {TEST_TODAY} ") and lines[-1].endswith(
        "finished: data fetch exit code 1 (the cached data were used), reports exit code 0 ===")
    assert (tmp_path / "reports" / "index.html").exists()
    assert (tmp_path / "reports" / "nordjylland-nord-konstrueret.html").exists()
