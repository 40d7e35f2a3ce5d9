"""Shared pytest fixtures.

* ``shared_data`` – Path to the real public data in ``../shared/data`` (``$KLYNGEDATA_SHARED_DATA``
  overrides it); the test is skipped with a clear reason if the folder is absent.
* ``population_dir`` – ``shared_data / "population"``.
* ``imported_data_dir`` – a temporary data directory into which the real population files were imported
  through :func:`klyngedata.importing.import_file` (the normal import path). Pass it as ``data_dir=`` to
  :func:`klyngedata.population.population` and friends.
* ``full_data_dir`` – every real shared file (population, boundaries, indicators) imported with
  ``klyngedata data import``.
* ``report_set`` – both reports of every unit in ``REPORT_UNITS``, made by ``klyngedata report --pdf --jobs 2``
  on the shared files (a :class:`Run`: output folder, exit code, output); ``reports_across_new_year`` – one
  folder written on 2026-12-15 and on 2027-01-02 (two runs); ``browser`` – headless Chromium.
  These are built once per test run, also with pytest-xdist (:func:`built_once`: the first worker that needs
  one builds it under a file lock, the others wait and reuse it). Each test file gets its own copy of the data
  directories (:func:`own_copy`: what klyngedata writes into a data directory stays in that file's copy); the
  report runs are only read.

* "Today" is fixed for the whole session (``TEST_TODAY``, via ``$KLYNGEDATA_TODAY``, see
  :mod:`klyngedata.clock`): no test depends on the wall clock, and kernels and CLI subprocesses inherit it.
  ``today_at`` lets a test move it (``today_at("2027-01-02")``); ``BOTH_SIDES`` lists a day before and a day
  after the sundhedsråd take over (2027-01-01), for tests that must hold on both sides.

* The suite is hermetic (:func:`_hermetic_environment`, applied when this file is imported, before any test
  module imports klyngedata): a developer's own ``KLYNGEDATA_*`` variables (``KLYNGEDATA_OFFLINE=1``, a data
  directory, service addresses, ...), locale, time zone, proxies, warning options, Jupyter and IPython
  configuration do not reach the tests, nor the kernels and CLI subprocesses they start.

Owners of other modules add their own fixtures in their test files (or here, coordinated with the lead).
"""

from __future__ import annotations

import atexit
import json
import locale
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

#: ``KLYNGEDATA_*`` variables that configure the test suite itself (where the shared data and the recorded
#: StatBank answers are, how many random disclosure attacks to run); every other one is removed.
SUITE_VARIABLES = frozenset({"KLYNGEDATA_SHARED_DATA", "KLYNGEDATA_STATBANK_RECORDED",
                             "KLYNGEDATA_DISCLOSURE_EXAMPLES"})
#: The locale and time zone every test (and every process a test starts) runs in.
TEST_LOCALE, TEST_TZ = "C.UTF-8", "Europe/Copenhagen"
#: Other variables of a user's environment that would change what a test sees.
FOREIGN_VARIABLES = ("DATAFORDELER_API_KEY", "PYTHONWARNINGS", "PYTHONSTARTUP", "JUPYTER_PATH", "JUPYTER_CONFIG_PATH",
                     "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy",
                     "LANGUAGE")


def _hermetic_environment() -> None:
    """The user's environment does not change a test's outcome: their ``KLYNGEDATA_*`` settings, proxies (the
    tests' servers are local), warning options, their own Jupyter kernels and IPython profile (a user kernel
    named ``python3`` would run notebooks in another Python) are removed; locale and time zone are fixed."""
    for name in [n for n in os.environ if n.startswith("KLYNGEDATA_") and n not in SUITE_VARIABLES]:
        del os.environ[name]
    for name in FOREIGN_VARIABLES:
        os.environ.pop(name, None)
    for name in [n for n in os.environ if n.startswith("LC_")]:
        del os.environ[name]
    os.environ.update(LANG=TEST_LOCALE, LC_ALL=TEST_LOCALE, TZ=TEST_TZ)
    locale.setlocale(locale.LC_ALL, TEST_LOCALE)  # this process too: open()'s default encoding, number formats
    time.tzset()
    own = Path(tempfile.mkdtemp(prefix="klyngedata-tests-home-"))  # empty: no user kernels, profiles, config
    atexit.register(shutil.rmtree, own, ignore_errors=True)
    for name in ("IPYTHONDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR"):
        os.environ[name] = str(own / name.lower())


_hermetic_environment()

DEFAULT_SHARED_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"

#: The session's "today": the last month of the sundhedsklynger (tests of 2027 set the clock themselves).
TEST_TODAY = "2026-12-15"
#: One day on each side of the transition from sundhedsklynger to sundhedsråd (2027-01-01).
BOTH_SIDES = ("2026-12-15", "2027-01-02")


def _shared_data_path() -> Path:
    return Path(os.environ.get("KLYNGEDATA_SHARED_DATA", DEFAULT_SHARED_DATA)).resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to the shared real data folder; skips if it is absent."""
    path = _shared_data_path()
    if not path.is_dir():
        pytest.skip(f"shared data folder {path} not found (set KLYNGEDATA_SHARED_DATA to its location)")
    return path


@pytest.fixture(scope="session")
def population_dir(shared_data: Path) -> Path:
    """``<shared_data>/population``; skips if absent."""
    path = shared_data / "population"
    if not path.is_dir():
        pytest.skip(f"population folder {path} not found in the shared data")
    return path


@pytest.fixture(scope="module")
def imported_data_dir(population_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with the real population files imported by ``klyngedata.importing.import_file``: imported
    once per run (:func:`built_once`), a copy of its own for each test file (:func:`own_copy`)."""

    def build(target: Path) -> None:
        from klyngedata.importing import import_file

        import_file(population_dir, data_dir=target)

    return own_copy(built_once(tmp_path_factory, "imported_data_dir", build), tmp_path_factory)


@pytest.fixture(scope="module")
def geo_dir(shared_data: Path) -> Path:
    """The real DAGI boundary files in shared/data/geo (skips when absent)."""
    path = shared_data / "geo"
    if not (path / "kommuner.geojson").is_file():
        pytest.skip(f"DAGI files not found in {path}")
    return path


@pytest.fixture(scope="module")
def kommuner(geo_dir: Path):
    """The municipality layer read through the normal loader."""
    from klyngedata.geo.boundaries import read_boundaries

    return read_boundaries(geo_dir / "kommuner.geojson")


@pytest.fixture(autouse=True, scope="session")
def _subprocesses_import_this_checkout():
    """Kernels and CLI subprocesses started by tests import the checkout under test (not whichever copy is
    installed in editable mode), so tests in a second worktree test that worktree."""
    root = str(Path(__file__).resolve().parents[1])
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = root + (os.pathsep + old if old else "")
    yield
    if old is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = old


@pytest.fixture(autouse=True, scope="session")
def _isolated_default_data_dir(tmp_path_factory):
    """Tests never read or write the developer's own data directory: the default one is an empty temp dir
    (tests that need data pass ``data_dir`` or set the variable themselves)."""
    old = os.environ.get("KLYNGEDATA_DATA_DIR")
    os.environ["KLYNGEDATA_DATA_DIR"] = str(tmp_path_factory.mktemp("default-data-dir"))
    yield
    if old is None:
        os.environ.pop("KLYNGEDATA_DATA_DIR", None)
    else:
        os.environ["KLYNGEDATA_DATA_DIR"] = old



@pytest.fixture
def make_read_only():
    """``make_read_only(path)`` makes a directory tree unwritable, also for root (``chattr +i`` where the
    filesystem supports it); skips the test where that is impossible. Undone after the test."""
    import shutil
    import stat
    import subprocess

    done: list[tuple[Path, bool]] = []

    def probe(path: Path) -> bool:
        try:
            (path / ".probe").write_text("x")
        except OSError:
            return False
        (path / ".probe").unlink()
        return True

    def make(path: Path) -> Path:
        path = Path(path)
        for p in [path, *path.rglob("*")]:
            p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        immutable = False
        if probe(path) and shutil.which("chattr"):
            immutable = subprocess.run(["chattr", "-R", "+i", str(path)], capture_output=True).returncode == 0
        done.append((path, immutable))
        if probe(path):
            pytest.skip("cannot make a directory read-only here (root without chattr support)")
        return path

    yield make
    import subprocess as sp

    for path, immutable in done:
        if immutable:
            sp.run(["chattr", "-R", "-i", str(path)], capture_output=True)
        for p in [path, *path.rglob("*")]:
            p.chmod(p.stat().st_mode | stat.S_IWUSR)


@pytest.fixture(autouse=True, scope="session")
def _fixed_today():
    """"Today" is TEST_TODAY for the whole session, whatever the wall clock (or faketime) says."""
    from klyngedata.clock import frozen

    with frozen(TEST_TODAY):
        yield


@pytest.fixture
def today_at(monkeypatch):
    """Set "today" for one test: ``today_at("2027-01-02")`` (restored afterwards)."""
    from klyngedata.clock import ENV_TODAY

    def set_day(day: str) -> str:
        monkeypatch.setenv(ENV_TODAY, day)
        return day

    return set_day


# --------------------------------------------------------------------------------------------------------------
# Expensive things built once per test run and shared by every test (and every pytest-xdist worker)
# --------------------------------------------------------------------------------------------------------------
#: The units of the shared report set (:func:`report_set`): a whole-municipality cluster, a cluster with a
#: municipality split by bydel, a one-municipality cluster (membership not confirmed) and two 2027 councils.
REPORT_UNITS = ("nordjylland-nord", "hovedstaden-byen", "hovedstaden-bornholm", "sundhedsraad-vendsyssel",
                "sundhedsraad-limfjorden")
REPORT_NOTEBOOKS = ("befolkningsdashboard", "noegletalsrapport")


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build) -> Path:
    """``build(target)`` once per test run, into a directory shared by the pytest-xdist workers (the parent of a
    worker's base temp), under a file lock; a later caller (any worker) gets the built directory. A build that
    raised is not marked done: the next caller builds it again (and sees the same error)."""
    from filelock import FileLock

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    target, done = base / name, base / f"{name}.done"
    with FileLock(str(base / f"{name}.lock")):
        if not done.exists():
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            build(target)
            done.touch()
    return target


def own_copy(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of a data directory :func:`built_once` made, for one test file (or one shared report run): what
    klyngedata writes into a data directory it reads (e.g. the record of the indicator figures it published,
    which the next release's disclosure control reads) stays there, as when each file imported the data itself,
    whichever files ran before on whichever worker. The directories are small (the full import is ~3 MB)."""
    return _copy_data(built, tmp_path_factory.mktemp(built.name))


def _copy_data(built: Path, target: Path) -> Path:
    shutil.copytree(built, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.lock", ".lock"))
    return target


@dataclass(frozen=True)
class Run:
    """What a ``klyngedata report`` run by a shared fixture left: its output folder, exit code, output (stdout
    and stderr, the kernels' included) and ``batch``: the batch's own record (``timings`` of the batch, and
    ``results``: each report's :func:`~klyngedata.reports.runner.result_as_dict`)."""

    out: Path
    returncode: int
    output: str
    batch: dict


#: ``klyngedata ARGS...`` exactly as ``python -m klyngedata`` runs it (:func:`klyngedata.cli.main`), in a process
#: that also writes the batch's record (:class:`Run`'s ``batch``) to the file named by its first argument.
REPORT_COMMAND = """\
import json, sys
import klyngedata.reports.runner as runner
from klyngedata.cli import main

record, _run = sys.argv.pop(1), runner.run


def run(*args, **kwargs):
    result = _run(*args, **kwargs)
    with open(record, "w", encoding="utf-8") as fh:
        json.dump({"timings": result.timings, "results": [runner.result_as_dict(r) for r in result.results]}, fh)
    return result


runner.run = run
main(prog_name="klyngedata")
"""


def _read_runs(path: Path) -> list[Run]:
    return [Run(Path(r["out"]), r["returncode"], r["output"], r["batch"])
            for r in json.loads(path.read_text(encoding="utf-8"))]


def _write_runs(path: Path, runs: list[Run]) -> None:
    path.write_text(json.dumps([{"out": str(r.out), "returncode": r.returncode, "output": r.output,
                                 "batch": r.batch} for r in runs]), encoding="utf-8")


@pytest.fixture(scope="session")
def full_data_built(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All real shared files (population, boundaries, indicators) imported once per run with ``klyngedata data
    import`` (the normal import path). Never written to: tests use :func:`full_data_dir`."""

    def build(target: Path) -> None:
        from click.testing import CliRunner

        from klyngedata.cli import main

        result = CliRunner().invoke(main, ["data", "import", str(shared_data), "--data-dir", str(target)])
        assert result.exit_code == 0, result.output

    return built_once(tmp_path_factory, "full_data_dir", build)


@pytest.fixture(scope="module")
def full_data_dir(full_data_built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All real shared files imported (:func:`full_data_built`), a copy of its own for each test file."""
    return own_copy(full_data_built, tmp_path_factory)


def _report_command(units, out: Path, data_dir: Path, day: str, *options: str) -> Run:
    """``klyngedata report`` as a user runs it, in its own process (the kernels' output lands in its output), offline
    and with "today" set to ``day``."""
    env = {**os.environ, "KLYNGEDATA_OFFLINE": "1", "KLYNGEDATA_TODAY": day}
    out.mkdir(parents=True, exist_ok=True)
    record = out.parent / f"{out.name}-batch-{len(list(out.parent.glob(out.name + '-batch-*')))}.json"
    proc = subprocess.run([sys.executable, "-c", REPORT_COMMAND, str(record), "report", *units, "--out", str(out),
                           "--data-dir", str(data_dir), "--no-progress", *options], capture_output=True, text=True,
                          env=env, timeout=1200)
    batch = json.loads(record.read_text(encoding="utf-8")) if record.exists() else {}
    return Run(out, proc.returncode, proc.stdout + proc.stderr, batch)


@pytest.fixture(scope="session")
def report_set(full_data_built: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Both reports of every unit in :data:`REPORT_UNITS` on the real shared files, made once by
    ``klyngedata report ... --pdf --jobs 2`` on TEST_TODAY (HTML, PDF, index and manifest in ``.out``)."""

    def build(target: Path) -> None:
        data = _copy_data(full_data_built, target / "data")  # its own: a batch records what it published
        run = _report_command(REPORT_UNITS, target / "reports", data, TEST_TODAY, "--pdf", "--jobs", "2")
        _write_runs(target / "runs.json", [run])

    return _read_runs(built_once(tmp_path_factory, "report_set", build) / "runs.json")[0]


@pytest.fixture(scope="session")
def reports_across_new_year(full_data_built: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Run]:
    """One output folder written as the weekly job would across 1 January 2027 (``--shared-assets``, as in the
    README's cron line): a council's reports made in advance on 2026-12-15 (``sundhedsraad-hovedstaden``), then
    on 2027-01-02 a council and a 2022 cluster id (``sundhedsraad-limfjorden``, ``nordjylland-nord``). The two
    runs, in that order."""

    def build(target: Path) -> None:
        out, data = target / "reports", _copy_data(full_data_built, target / "data")  # one folder, one data
        # directory, two weeks (as the weekly job: the first run's record of what it published stays for the second)
        runs = [_report_command(["sundhedsraad-hovedstaden"], out, data, "2026-12-15", "--shared-assets"),
                _report_command(["sundhedsraad-limfjorden", "nordjylland-nord"], out, data, "2027-01-02",
                                "--shared-assets", "--jobs", "2")]
        _write_runs(target / "runs.json", runs)

    return _read_runs(built_once(tmp_path_factory, "reports_across_new_year", build) / "runs.json")


@pytest.fixture(scope="session")
def _chrome():
    from browser import headless_chrome

    yield from headless_chrome("1300,1000")


@pytest.fixture
def browser(_chrome):
    """One headless Chromium for the whole run (per xdist worker), handed to each test as new: default window
    size (1300x1000), the console log of earlier pages dropped (read it with ``get_log("browser")``)."""
    _chrome.set_window_size(1300, 1000)
    _chrome.get("about:blank")
    _chrome.get_log("browser")
    return _chrome


# --------------------------------------------------------------------------------------------------------------
# Parallel by default: the suite runs on every core (at most MAX_WORKERS), each test file on one worker
# --------------------------------------------------------------------------------------------------------------
MAX_WORKERS = 4


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """``-n auto --maxprocesses=MAX_WORKERS --dist loadfile`` unless the run says otherwise: pytest-xdist's own
    options, set before pytest-xdist reads them. Not set where pytest-xdist is absent (an environment made
    without the dev extra runs the suite in one process, as ``-n0`` does), in its workers, or with ``--pdb``
    (one process). ``--dist loadfile``: a file's module fixtures are built once, on one worker."""
    option = config.option
    if (not config.pluginmanager.has_plugin("xdist") or hasattr(config, "workerinput")
            or option.numprocesses is not None or option.usepdb):
        return
    option.numprocesses, option.maxprocesses = "auto", option.maxprocesses or MAX_WORKERS
    if option.dist == "no":
        option.dist = "loadfile"


# --------------------------------------------------------------------------------------------------------------
# Speed: every non-e2e test stays under SLOW_SECONDS (the 15 slowest of all are printed by --durations=15)
# --------------------------------------------------------------------------------------------------------------
SLOW_SECONDS = 2.0
_slow_tests: list[tuple[float, str]] = []


def pytest_runtest_logreport(report) -> None:
    if report.when == "call" and report.duration > SLOW_SECONDS and "e2e" not in report.keywords:
        _slow_tests.append((report.duration, report.nodeid))


def pytest_terminal_summary(terminalreporter) -> None:
    if _slow_tests:
        terminalreporter.write_sep("=", f"tests not marked e2e that took over {SLOW_SECONDS:.0f} s (make them faster "
                                        "or, if they start kernels, browsers or processes, mark them e2e)")
        for seconds, nodeid in sorted(_slow_tests, reverse=True):
            terminalreporter.write_line(f"{seconds:6.2f}s {nodeid}")
