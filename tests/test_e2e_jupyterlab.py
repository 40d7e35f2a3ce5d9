"""JupyterLab itself in headless Chromium (issue 28 item 6): `klyngedata lab` started as written (from cron's bare
PATH), the tour and both report notebooks opened in the analyst's folder (the tour for a 2022 cluster, the split
Sundhedsklynge Byen, and a 2027 council, Vendsyssel; each report notebook for one of them), Run All; then no stderr
or error output box, every chart drawn, the chart toolbar Danish without plotly's logo and without the "Share
chart..." cloud button, and a warning about the data shown as a Danish note only where the notebook does not explain
it itself (the tour).

Screenshots of each notebook after the run are written to the test's temporary folder (for a person to look at)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from tests.browser import headless_chrome

pytestmark = [pytest.mark.e2e, pytest.mark.lab]

#: Each notebook with a cluster and with a council, in four runs (the suite's time): the tour with both (its
#: population table shows København's split rows only for the cluster), each report notebook with one kind. The
#: report notebooks run for every kind of unit under papermill in the other end-to-end tests.
#: (The split cluster's key-figure report draws no chart: its barometer would be empty, issue 24.)
CASES = [("udforsk", "hovedstaden-byen"), ("udforsk", "sundhedsraad-vendsyssel"),
         ("befolkningsdashboard", "hovedstaden-byen"), ("noegletalsrapport", "sundhedsraad-vendsyssel")]
RUN_TIMEOUT = 900
LAB_SETTINGS = {  # JupyterLab's user settings for the test: every cell in the DOM, no news pop-up
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}


def _with_unit(src: Path, target: Path, unit: str) -> None:
    """A copy of notebook ``src`` whose parameters cell names ``unit`` (as an analyst edits it)."""
    nb = nbformat.read(src, as_version=4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    params.source = "\n".join(f'cluster = "{unit}"' if line.startswith("cluster =") else line
                              for line in params.source.splitlines())
    nbformat.write(nb, target)


@pytest.fixture(scope="module")
def lab(shared_data, tmp_path_factory):
    """`klyngedata lab` on the analyst's folder with the real public data imported; yields (base URL, token,
    folder)."""
    from klyngedata.cli import main

    script = Path(sys.executable).parent / "klyngedata"
    if not script.exists():
        pytest.skip(f"no klyngedata console script beside {sys.executable}")
    root = tmp_path_factory.mktemp("jupyterlab")
    data = root / "data"
    result = CliRunner().invoke(main, ["data", "import", str(shared_data), "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    for name, values in LAB_SETTINGS.items():
        (root / "settings" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "settings" / name).write_text(json.dumps(values), encoding="utf-8")
    env = dict(os.environ, PATH="/usr/bin:/bin", HOME=str(root / "home"), KLYNGEDATA_DATA_DIR=str(data),
               KLYNGEDATA_OFFLINE="1", JUPYTERLAB_SETTINGS_DIR=str(root / "settings"),
               JUPYTER_RUNTIME_DIR=str(root / "runtime"))
    folder = root / "analyse"
    proc = subprocess.Popen([str(script), "lab", str(folder), "--no-browser", "--", "--ServerApp.port=0",
                             "--LabApp.expose_app_in_browser=True"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("JupyterLab: "):
                break
        assert lines and lines[-1].startswith("JupyterLab: "), lines
        base, token = lines[-1].removeprefix("JupyterLab: ").split("/lab?token=")
        for name, unit in CASES:  # copies of those `klyngedata lab` made, one per unit
            _with_unit(folder / f"{name}.ipynb", folder / f"{name}-{unit}.ipynb", unit)
        yield base, token, folder
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        proc.stdout.close()


@pytest.fixture(scope="module")
def browser():
    yield from headless_chrome(window="1400,1000")


def _wait(driver, script: str, timeout: float, what: str):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"JupyterLab: {what} not within {timeout:.0f} s")


KERNEL_IDLE = """const w = window.jupyterapp && jupyterapp.shell.currentWidget;
const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
return !!(k && k.status === 'idle' && w.content && w.content.model);"""
STARTED = """const cells = jupyterapp.shell.currentWidget.content.model.cells;
for (let i = 0; i < cells.length; i++) {
  const c = cells.get(i); if (c.type === 'code' && c.executionCount) return true; }
return false;"""
RUN_DONE = """const w = jupyterapp.shell.currentWidget; const cells = w.content.model.cells;
let n = 0, done = 0;
for (let i = 0; i < cells.length; i++) {
  const c = cells.get(i); if (c.type === 'code') { n++; if (c.executionCount) done++; }
}
return n > 0 && n === done && w.sessionContext.session.kernel.status === 'idle';"""
OUTPUTS = """const cells = jupyterapp.shell.currentWidget.content.model.cells; const out = [];
for (let i = 0; i < cells.length; i++) {
  const c = cells.get(i); if (c.type !== 'code') continue;
  for (let j = 0; j < c.outputs.length; j++) {
    const o = c.outputs.get(j).toJSON();
    out.push({cell: i, type: o.output_type, name: o.name || '', mimes: Object.keys(o.data || {}),
              text: JSON.stringify(o.text || o.evalue || (o.data || {})['text/plain'] || '').slice(0, 300)});
  }
}
return out;"""
PAGE = """const nb = jupyterapp.shell.currentWidget.content.node;
return {stderr: nb.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').length,
        charts: nb.querySelectorAll('.jp-RenderedPlotly').length,
        drawn: Array.from(nb.querySelectorAll('.jp-RenderedPlotly')).filter(
                 e => e.querySelector('.main-svg .trace')).length,  // a trace drawn in the plot's svg
        titles: Array.from(new Set(Array.from(nb.querySelectorAll('.modebar-btn')).map(
                  b => b.getAttribute('data-title')))),
        logos: nb.querySelectorAll('.modebar-btn--logo').length,
        notes: Array.from(nb.querySelectorAll('.kd-warning')).map(n => n.textContent)};"""


@pytest.mark.parametrize(("name", "unit"), CASES)
def test_notebook_runs_clean_in_jupyterlab(lab, browser, name, unit, tmp_path):
    base, token, folder = lab
    browser.get(f"{base}/lab/tree/{name}-{unit}.ipynb?token={token}")
    _wait(browser, KERNEL_IDLE, 180, "the notebook with an idle kernel")
    try:
        # Run All can arrive before the freshly opened notebook takes commands (seen once in a full run: no cell
        # ran in 15 min); it is given again until the first cell has run, then the run is awaited
        for _attempt in range(3):
            browser.execute_script("jupyterapp.commands.execute('notebook:run-all-cells')")
            try:
                _wait(browser, STARTED, 60, "the first cell of Run All")
                break
            except AssertionError:
                continue
        _wait(browser, RUN_DONE, RUN_TIMEOUT, "Run All")
        time.sleep(3)  # charts are drawn after their output arrives
        outputs = browser.execute_script(OUTPUTS)
        page = browser.execute_script(PAGE)
        scroller = ("(jupyterapp.shell.currentWidget.content.node.querySelector('.jp-WindowedPanel-outer') "
                    "|| jupyterapp.shell.currentWidget.content.node)")
        height = browser.execute_script(f"return {scroller}.scrollHeight")
        for i, y in enumerate(range(0, height, 900)):
            browser.execute_script(f"{scroller}.scrollTop = {y}")
            time.sleep(0.3)
            browser.save_screenshot(str(tmp_path / f"{name}-{unit}-{i:02d}.png"))
    finally:
        browser.execute_script("jupyterapp.shell.currentWidget.sessionContext.shutdown()")
    bad = [o for o in outputs if o["type"] == "error" or o["name"] == "stderr"]
    assert bad == [], bad  # no pink boxes: no stderr stream, no error
    assert page["stderr"] == 0
    plotly = [o for o in outputs if "application/vnd.plotly.v1+json" in o["mimes"]]
    assert plotly and page["charts"] == len(plotly) and page["drawn"] == len(plotly), (page, len(plotly))
    assert "Hent figuren som PNG" in page["titles"] and "Download plot as a PNG" not in page["titles"]
    assert "Share chart..." not in page["titles"] and page["logos"] == 0, page["titles"]
    if name == "udforsk" and unit == "hovedstaden-byen":  # the tour's population table holds København's rows
        assert len(page["notes"]) == 1 and page["notes"][0].startswith("Bemærk: København er delt")
    if name != "udforsk":  # a report notebook explains the split in its header: no note on top of it
        assert page["notes"] == []
    assert not any(o["type"] == "stream" and "/" in o["text"] for o in outputs)  # no paths printed
