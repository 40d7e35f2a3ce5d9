"""One settings object (issue 27): the environment is read in one module, passed on explicitly, changed for a
block without saving and restoring ``os.environ`` by hand; and public extension points only (no
``unittest.mock``, no private papermill or jupyter_client attributes in the package)."""

from __future__ import annotations

import os
import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from klyngedata import clock, settings
from klyngedata.config import data_dir
from klyngedata.settings import VARIABLES, Settings

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "klyngedata"


def test_every_setting_is_read_from_its_variable_and_written_back():
    env = {var: ("1" if name in {"offline", "report_mode", "cold_batch"} else f"value-of-{name}")
           for name, var in VARIABLES.items()}
    s = Settings.from_environ(env)
    assert s.offline and s.report_mode and s.cold_batch and s.data_dir == "value-of-data_dir"
    assert s.environ() == env
    assert Settings.from_environ({"KLYNGEDATA_OFFLINE": "0", "KLYNGEDATA_DATA_DIR": "  "}) == Settings()


def test_overridden_is_in_process_and_nests(monkeypatch):
    monkeypatch.delenv("KLYNGEDATA_OFFLINE", raising=False)
    with settings.overridden(offline=True):
        assert settings.current().offline and "KLYNGEDATA_OFFLINE" not in os.environ
        with settings.overridden(data_dir="/x"):
            assert settings.current().offline and settings.current().data_dir == "/x"
            assert data_dir() == Path("/x")
        assert settings.current().data_dir != "/x"
    assert not settings.current().offline
    with pytest.raises(TypeError, match="unknown setting"):
        with settings.overridden(ofline=True):
            pass


def test_exported_reaches_child_processes_and_is_undone(monkeypatch):
    monkeypatch.setenv("KLYNGEDATA_DATA_DIR", "/before")
    with settings.exported(data_dir="/during", offline=True) as s:
        assert os.environ["KLYNGEDATA_DATA_DIR"] == "/during" and os.environ["KLYNGEDATA_OFFLINE"] == "1"
        assert s.child_environ({"PATH": "/bin", "KLYNGEDATA_COLD_BATCH": "1"}) == {
            "PATH": "/bin", **s.environ()}
    assert os.environ["KLYNGEDATA_DATA_DIR"] == "/before" and "KLYNGEDATA_OFFLINE" not in os.environ


def test_clock_follows_the_settings():
    with clock.frozen("2027-01-02"):
        assert clock.today().isoformat() == "2027-01-02" and os.environ["KLYNGEDATA_TODAY"] == "2027-01-02"
        with settings.overridden(today="2031-05-06"):
            assert clock.today().isoformat() == "2031-05-06"


def _package_sources():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(PACKAGE).as_posix(), path.read_text(encoding="utf-8")


def test_the_environment_is_read_in_one_module():
    reads = re.compile(r"os\.environ(?!\.get\(\"PYTHONPATH\"\))|os\.getenv|environ\[")
    found = [rel for rel, text in _package_sources() if rel != "settings.py" and reads.search(text)]
    assert found == []
    assert reads.search((PACKAGE / "settings.py").read_text(encoding="utf-8"))


_PRIVATE = {
    "unittest.mock": re.compile(r"unittest\.mock|from unittest import mock"),
    "papermill's engine table": re.compile(r"papermill_engines\._"),
    "a patched notebook manager": re.compile(r"nb_man\.save\s*="),
    "a private jupyter_client method": re.compile(r"\b(?:kc|km|self|super\(\))\._async_|_handle_kernel_info_reply"),
}


@pytest.mark.parametrize("what", list(_PRIVATE))
def test_only_public_extension_points(what):
    found = [rel for rel, text in _package_sources() if _PRIVATE[what].search(text)]
    assert found == [], f"{what} in {found}"


def test_the_papermill_engine_is_registered_as_papermill_documents():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["entry-points"]["papermill.engine"] == {
        "klyngedata-warm": "klyngedata.reports.engine:WarmKernelEngine"}
    from papermill.engines import papermill_engines

    from klyngedata.reports.engine import WarmKernelEngine, engine_name

    assert papermill_engines.get_engine(engine_name()) is WarmKernelEngine
    installed = [ep for ep in metadata.entry_points(group="papermill.engine") if ep.name == "klyngedata-warm"]
    assert all(ep.value == "klyngedata.reports.engine:WarmKernelEngine" for ep in installed)


@pytest.mark.parametrize("first", [
    "import klyngedata.reports.engine as engine",
    "from klyngedata.reports.engine import WarmKernelEngine",
    "import papermill",
])
def test_the_engine_module_imports_before_or_after_papermill(first):
    """papermill loads its engines' entry points (this engine) while it is first imported: the engine module
    imported first, its class imported first or papermill imported first, papermill ends up with the class the
    module gives (a fresh process each: the order of first imports is the point)."""
    import subprocess
    import sys

    code = (f"{first}\n"
            "from papermill.engines import papermill_engines\n"
            "from klyngedata.reports.engine import WarmKernelEngine, engine_name\n"
            "assert papermill_engines.get_engine(engine_name()) is WarmKernelEngine\n"
            "print(WarmKernelEngine.__module__, WarmKernelEngine.__qualname__)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["klyngedata.reports.engine", "WarmKernelEngine"]
