"""What an analyst sees in a Jupyter kernel (issue 28 items 1 and 5): an error for missing data is one line, not a
traceback through klyngedata's internals; a warning about the data is a Danish note at the analyst's cell, with no
path and no line of klyngedata's source; nothing reaches stderr. Run in a real kernel (nbclient), as JupyterLab
runs a cell."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient


def _run(cells: list[str], **env: str) -> list[list[dict]]:
    """Execute ``cells`` in a fresh python3 kernel; the outputs of each cell."""
    import os

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        NotebookClient(nb, kernel_name="python3", allow_errors=True, timeout=300).execute()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return [c.get("outputs", []) for c in nb.cells]


@pytest.fixture(scope="module")
def outputs(imported_data_dir):
    d = str(imported_data_dir)
    return _run([
        "import klyngedata as kd",
        f"kd.population(level='municipality', kind='projection', data_dir={d!r})",
        f"befolkning = kd.population(level='cluster', period='all', data_dir={d!r})",
        "kd.cluster('ingen-saadan-klynge')",
        "from klyngedata.reports import ClusterReport\n"
        f"ClusterReport('hovedstaden-byen', data_dir={d!r}).tiles()",
    ], KLYNGEDATA_OFFLINE="1")


def test_missing_data_is_one_line_without_a_traceback(outputs, imported_data_dir):
    (error,) = outputs[1]
    assert error["output_type"] == "error" and error["ename"] == "DataNotAvailable"
    assert len(error["traceback"]) == 1, error["traceback"]  # the sentence, not 40-70 lines through internals
    line = error["traceback"][0]
    assert line.startswith("DataNotAvailable: No cached population table FRKM")
    assert "klyngedata data fetch" in line and "\n" not in line
    assert str(imported_data_dir) not in line and "File " not in line
    (lookup,) = outputs[3]
    assert lookup["ename"] == "LookupFailed" and len(lookup["traceback"]) == 1


def _shown(cell_outputs: list) -> list:
    """What a reader sees of a cell: its outputs without the report's metadata record (issue 25's sections)."""
    return [o for o in cell_outputs if "application/vnd.klyngedata.meta+json" not in (o.get("data") or {})]


def test_split_warning_is_a_danish_note_without_path(outputs):
    shown = outputs[2]
    assert [o["output_type"] for o in shown] == ["display_data"], shown  # no stderr stream
    text = shown[0]["data"]["text/plain"]
    assert text.startswith("Bemærk: København er delt mellem sundhedsklyngerne efter bydel")
    assert "klyngedata/" not in text and "compute(" not in text and ".py" not in text
    assert "Bemærk:" in shown[0]["data"]["text/html"]
    assert not any(o.get("name") == "stderr" for cell in outputs for o in cell)


def test_a_report_block_does_not_repeat_what_its_header_explains(outputs):
    """A report notebook opened in JupyterLab: the header explains the split, the tiles do not warn again (issue 24:
    a split cluster has no totals of its own, so its tiles are not drawn at all, and nothing fails)."""
    assert _shown(outputs[4]) == []


def test_report_runs_keep_the_traceback_and_log_the_warning(imported_data_dir):
    d = str(imported_data_dir)
    out = _run([
        "import klyngedata as kd",
        f"kd.population(level='municipality', kind='projection', data_dir={d!r})",
        "from klyngedata.reports import ClusterReport\n"
        f"ClusterReport('hovedstaden-byen', data_dir={d!r}, report=True).tiles()",
    ], KLYNGEDATA_OFFLINE="1", KLYNGEDATA_REPORT="1")
    (error,) = out[1]
    assert len(error["traceback"]) > 3 and any("Traceback" in t for t in error["traceback"])  # the failure record
    assert _shown(out[2]) == []  # no warning, no stderr: the header explains the split, Byen's tiles not drawn
