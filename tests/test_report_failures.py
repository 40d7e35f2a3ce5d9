"""Reports fail loudly (issue 11, principle 4).

A report whose data are missing, corrupt or outside ``--period`` is not written: non-zero exit, the previous
report of the unit is left as it was, the reason is in the summary. I/O errors (read-only output directory, a
disk that fills while a failed notebook is saved) are collected per report and the batch goes on; the summary
and the index are written whenever possible; ``--jobs`` is capped at the CPU count with a note.

The notebooks here are constructed (written by the tests): one calls the real report object's first data cell
(``ClusterReport(...).header()``), the other is the constructed figure notebook of ``test_reports.py``. The
corrupt-cache case is also run once with the real ``befolkningsdashboard`` notebook. The data are the real
population files, imported normally.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from klyngedata.cache import Cache
from klyngedata.cli import main
from klyngedata.exceptions import ReportDataError
from klyngedata.population import PopulationWarning
from klyngedata.reports import ClusterReport
from klyngedata.reports.runner import cap_jobs, keep_failed_notebook
from klyngedata.vocabulary import period_code
from tests.test_reports import _write_constructed_notebook

EARLIER = "rapport fra en tidligere kørsel"

HEADER_ONLY = [  # a constructed notebook whose only data cell is the real reports' first data cell
    ('cluster = "x"\ndivision = None\nperiod = "latest"\ndata_dir = None', ["parameters"]),
    ("from klyngedata.reports import ClusterReport\n"
     "rapport = ClusterReport(cluster, division=division, period=period, data_dir=data_dir)\nrapport.header()", []),
]


def _header_notebook(path: Path) -> Path:
    return _write_constructed_notebook(path, cells=HEADER_ONLY)


def _earlier(out: Path, *stems: str) -> dict[Path, str]:
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for stem in stems:
        (out / f"{stem}.html").write_text(EARLIER, encoding="utf-8")
        files[out / f"{stem}.html"] = EARLIER
    return files


def _unchanged(files: dict[Path, str]) -> bool:
    return all(p.read_text(encoding="utf-8") == text for p, text in files.items())


def _corrupt(data_dir: Path) -> None:
    path = Cache(data_dir).data_path("population/FOLK1AM")
    raw = bytearray(path.read_bytes())
    raw[200:260] = b"X" * 60
    path.write_bytes(bytes(raw))


@pytest.fixture
def data_copy(imported_data_dir, tmp_path) -> Path:
    """A private copy of the imported real population (the tests damage it)."""
    target = tmp_path / "data"
    shutil.copytree(imported_data_dir, target, ignore=shutil.ignore_patterns(".lock"))
    return target


def _report(*args: str):
    return CliRunner().invoke(main, ["report", *args, "--no-progress"])


# ------------------------------------------------------------------ data missing, corrupt, outside --period
@pytest.mark.e2e  # runs notebooks in Jupyter kernels
def test_corrupt_cache_fails_the_real_report_and_keeps_last_weeks(data_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    _corrupt(data_copy)
    out = tmp_path / "reports"
    earlier = _earlier(out, "nordjylland-nord-befolkningsdashboard")
    res = _report("nordjylland-nord", "--notebooks", "befolkningsdashboard", "--out", str(out),
                  "--data-dir", str(data_copy))
    assert res.exit_code == 1, res.output
    assert _unchanged(earlier)
    assert "0 of 1 reports written" in res.output
    assert "nordjylland-nord / befolkningsdashboard: ReportDataError" in res.output
    assert "the population data cannot be used, so the report is not written" in res.output
    assert "'population/FOLK1AM'" in res.output and "does not match its checksum" in res.output
    assert (out / "_failed" / "nordjylland-nord-befolkningsdashboard.ipynb").exists()
    assert "nordjylland-nord-befolkningsdashboard.html" not in (out / "index.html").read_text(encoding="utf-8")


@pytest.mark.e2e  # runs notebooks in Jupyter kernels
def test_period_outside_the_data_fails_and_names_the_periods_there(imported_data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    from klyngedata.population import population

    with pytest.warns(PopulationWarning, match="delt mellem sundhedsklyngerne"):  # no bydel populations here
        have = population("cluster", period="all", data_dir=imported_data_dir)
    periods = sorted(set(have.loc[have["entity_id"] == "nordjylland-nord", "period"]), key=lambda p: p.start_time)
    span = f"{period_code(periods[0])}..{period_code(periods[-1])}"
    nb_dir = tmp_path / "templates"
    _header_notebook(nb_dir / "befolkningsdashboard.ipynb")
    out = tmp_path / "reports"
    earlier = _earlier(out, "nordjylland-nord-befolkningsdashboard", "nordjylland-syd-befolkningsdashboard")
    res = _report("nordjylland-nord", "nordjylland-syd", "--period", "2099M01", "--notebook-dir", str(nb_dir),
                  "--notebooks", "befolkningsdashboard", "--out", str(out), "--data-dir", str(imported_data_dir))
    assert res.exit_code == 1, res.output
    assert _unchanged(earlier)
    assert "0 of 2 reports written" in res.output
    assert (f"nordjylland-nord: period 2099M01 is not in the population data (it has {span}), so the report is "
            "not written") in res.output
    assert "nordjylland-syd: period 2099M01 is not in the population data" in res.output
    # a period that is in the data is written (the same notebook, the same data)
    res = _report("nordjylland-nord", "--period", period_code(periods[-1]), "--notebook-dir", str(nb_dir),
                  "--notebooks", "befolkningsdashboard", "--out", str(out), "--data-dir", str(imported_data_dir))
    assert res.exit_code == 0, res.output
    assert (out / "nordjylland-nord-befolkningsdashboard.html").read_text(encoding="utf-8") != EARLIER


def test_missing_population_fails_instead_of_an_empty_report(tmp_path, monkeypatch):
    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    nb_dir = tmp_path / "templates"
    _header_notebook(nb_dir / "noegletalsrapport.ipynb")
    out = tmp_path / "reports"
    earlier = _earlier(out, "nordjylland-nord-noegletalsrapport")
    res = _report("nordjylland-nord", "--notebook-dir", str(nb_dir), "--notebooks", "noegletalsrapport",
                  "--out", str(out), "--data-dir", str(tmp_path / "empty-data"))
    assert res.exit_code == 1, res.output
    assert _unchanged(earlier)
    assert "nordjylland-nord / noegletalsrapport: ReportDataError" in res.output
    assert "the population data cannot be used" in res.output and "No cached population table" in res.output
    assert "warning: population not available for this batch" in res.output


def test_check_data_in_process_names_unit_period_and_span(imported_data_dir, monkeypatch):
    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    with pytest.warns(PopulationWarning, match="delt mellem sundhedsklyngerne"):  # no bydel populations here
        ClusterReport("nordjylland-nord", data_dir=imported_data_dir, report=True).check_data()  # latest: fine
        with pytest.raises(ReportDataError, match=r"^nordjylland-nord: period 1990M01 is not in the population data"):
            ClusterReport("nordjylland-nord", period="1990M01", data_dir=imported_data_dir, report=True).check_data()
        with pytest.raises(ReportDataError, match=r"^nordjylland-nord: not a period: 'snart'"):
            ClusterReport("nordjylland-nord", period="snart", data_dir=imported_data_dir, report=True).check_data()


# ------------------------------------------------------------------ I/O errors are collected, the batch goes on
@pytest.mark.e2e  # runs notebooks in Jupyter kernels
def test_read_only_output_directory_is_collected_per_report(tmp_path, make_read_only):
    nb_dir = tmp_path / "templates"
    _write_constructed_notebook(nb_dir / "befolkningsdashboard.ipynb")
    out = tmp_path / "reports"
    earlier = _earlier(out, "nordjylland-nord-befolkningsdashboard")
    make_read_only(out)
    res = _report("nordjylland-nord", "nordjylland-syd", "--notebook-dir", str(nb_dir), "--notebooks",
                  "befolkningsdashboard", "--out", str(out), "--data-dir", str(tmp_path / "empty-data"))
    assert res.exit_code == 1, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)  # no traceback
    assert "Traceback" not in res.output
    assert _unchanged(earlier)
    assert "0 of 2 reports written" in res.output
    for unit in ("nordjylland-nord", "nordjylland-syd"):
        assert f"{unit} / befolkningsdashboard: OSError: the report could not be saved:" in res.output
    assert f"warning: the index and manifest could not be written to {out}" in res.output
    assert sorted(p.name for p in out.iterdir()) == ["nordjylland-nord-befolkningsdashboard.html"]


@pytest.mark.e2e  # runs notebooks in Jupyter kernels
def test_disk_full_while_saving_a_failed_notebook_leaves_no_partial_file(tmp_path):
    """The temporary copy of the failed notebook points at /dev/full (a device that is always full)."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    nb_dir = tmp_path / "templates"
    _write_constructed_notebook(nb_dir / "befolkningsdashboard.ipynb")  # raises for nordjylland-midt
    out = tmp_path / "reports"
    earlier = _earlier(out, "nordjylland-midt-befolkningsdashboard")
    (out / "_failed").mkdir()
    (out / "_failed" / ".nordjylland-midt-befolkningsdashboard.ipynb.tmp").symlink_to("/dev/full")
    res = _report("nordjylland-midt", "nordjylland-nord", "nordjylland-syd", "--notebook-dir", str(nb_dir),
                  "--notebooks", "befolkningsdashboard", "--out", str(out), "--data-dir", str(tmp_path / "empty"))
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    assert _unchanged(earlier)
    assert "2 of 3 reports written" in res.output  # the later units ran
    assert re.search(r"nordjylland-midt / befolkningsdashboard: ValueError in cell \d+: konstrueret fejl for "
                     r"nordjylland-midt; the executed notebook could not be kept \(\[Errno 28\] No space left on "
                     r"device", res.output), res.output
    assert list((out / "_failed").iterdir()) == []  # neither a partial .tmp nor the symlink
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "nordjylland-nord-befolkningsdashboard.html" in index and "nordjylland-syd" in index


def test_keep_failed_notebook_reports_instead_of_raising(tmp_path):
    src = tmp_path / "run.ipynb"
    src.write_text("{}", encoding="utf-8")
    kept, err = keep_failed_notebook(src, tmp_path / "_failed" / "x.ipynb")
    assert kept == tmp_path / "_failed" / "x.ipynb" and err is None and kept.read_text() == "{}"
    blocked = tmp_path / "file"
    blocked.write_text("not a directory", encoding="utf-8")
    kept, err = keep_failed_notebook(src, blocked / "_failed" / "x.ipynb")
    assert kept is None and "Not a directory" in err


# ------------------------------------------------------------------ --jobs
@pytest.mark.e2e  # runs notebooks in Jupyter kernels
def test_jobs_are_capped_at_the_cpu_count_with_a_note(tmp_path):
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert cap_jobs(cpus) == (cpus, None)
    assert cap_jobs(cpus + 62) == (cpus, f"--jobs {cpus + 62} lowered to {cpus}, the number of CPUs available "
                                         "(more processes only compete)")
    nb_dir = tmp_path / "templates"
    _write_constructed_notebook(nb_dir / "befolkningsdashboard.ipynb")
    res = _report("nordjylland-nord", "--jobs", "64", "--notebook-dir", str(nb_dir), "--notebooks",
                  "befolkningsdashboard", "--out", str(tmp_path / "r"), "--data-dir", str(tmp_path / "empty"))
    assert res.exit_code == 0, res.output
    assert f"note: --jobs 64 lowered to {cpus}, the number of CPUs available" in res.output
