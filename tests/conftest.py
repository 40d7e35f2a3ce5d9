"""Shared pytest fixtures.

* ``shared_data`` – Path to the real public data in ``../shared/data`` (``$KLYNGEDATA_SHARED_DATA``
  overrides it); the test is skipped with a clear reason if the folder is absent.
* ``population_dir`` – ``shared_data / "population"``.
* ``imported_data_dir`` – a session-scoped temporary data directory into which the real population
  files were imported through :func:`klyngedata.importing.import_file` (the normal import path).
  Pass it as ``data_dir=`` to :func:`klyngedata.population.population` and friends.

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
import locale
import os
import shutil
import tempfile
import time
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


@pytest.fixture(scope="session")
def imported_data_dir(population_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with the real population files imported by ``klyngedata.importing.import_file``."""
    from klyngedata.importing import import_file

    target = tmp_path_factory.mktemp("klyngedata_data")
    import_file(population_dir, data_dir=target)
    return target


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
