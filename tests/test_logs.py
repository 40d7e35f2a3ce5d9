"""Diagnostics go to Python logging, quiet by default (issue 28 item 1): report cells print nothing to stderr;
``kd.set_verbose()`` shows the records on stderr; the command line shows warnings."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

import klyngedata as kd
from klyngedata import logs

PACKAGE = Path(kd.__file__).resolve().parent


@pytest.fixture(autouse=True)
def _quiet_again():
    yield
    kd.set_verbose(False)


def test_no_module_prints_to_stderr():
    """Static: diagnostics are logged, never printed to stderr (which a notebook shows as an error box). The one
    exception: showing.py writes a warning about the data as one line outside Jupyter (a script, a terminal)."""
    offenders = [f"{p.relative_to(PACKAGE)}:{n}" for p in PACKAGE.rglob("*.py") if p.name != "showing.py"
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if re.search(r"print\(.*file=sys\.stderr", line)]
    assert offenders == []


def test_report_cells_log_and_print_nothing(imported_data_dir, monkeypatch, capsys, caplog):
    from klyngedata.reports import ClusterReport

    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    r = ClusterReport("Klynge Nord", data_dir=imported_data_dir, report=True)
    capsys.readouterr()
    with caplog.at_level(logging.INFO, logger="klyngedata"):
        assert r.age_pyramid() is None  # not drawn without ages (issue 24) ...
        r.projection()
        assert "Alderspyramiden vises ikke" in r.not_shown().data  # ... the reader's note, said once
        r.governance()
        r.footer()
    assert capsys.readouterr().err == ""  # (outside a kernel, record() displays its metadata on stdout)
    messages = [rec.getMessage() for rec in caplog.records]
    assert any(m.startswith("age pyramid: needs FOLK1A") for m in messages), messages
    assert any(m.startswith("registry source of nordjylland-nord") for m in messages), messages


def test_quiet_by_default_and_set_verbose_shows_records(capsys):
    log = logging.getLogger("klyngedata.reports.sections")
    log.warning("CONSTRUCTED warning")
    assert capsys.readouterr().err == ""  # Python's last-resort handler does not print it
    kd.set_verbose()
    log.info("CONSTRUCTED info")
    log.debug("CONSTRUCTED debug")
    assert capsys.readouterr().err == "klyngedata: CONSTRUCTED info\n"
    kd.set_verbose("debug")
    log.debug("CONSTRUCTED debug")
    assert capsys.readouterr().err == "klyngedata: CONSTRUCTED debug\n"  # one handler, not two
    kd.set_verbose(False)
    log.warning("CONSTRUCTED warning")
    assert capsys.readouterr().err == ""
    with pytest.raises(ValueError, match="unknown log level"):
        kd.set_verbose("loud")


def test_logs_is_the_one_home_of_the_package_handler():
    handlers = logging.getLogger(logs.LOGGER).handlers
    assert any(isinstance(h, logging.NullHandler) for h in handlers)
