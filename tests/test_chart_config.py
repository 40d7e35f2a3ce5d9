"""One chart configuration (Danish locale, no logo, no cloud button) in every renderer (issue 28 item 2):
JupyterLab's and VS Code's plotly output, plotly's HTML renderers and the exported reports."""

from __future__ import annotations

import json

import plotly.io as pio
import pytest

from klyngedata import figures  # noqa: F401  (importing a chart module configures the renderers)
from klyngedata.chart_config import PLOTLY_CONFIG


def _figure():
    import pandas as pd

    frame = pd.DataFrame({"entity_id": ["x", "x"], "entity_name": ["Klynge X (KONSTRUERET)"] * 2,
                          "period": pd.PeriodIndex(["2024-01", "2024-02"], freq="M"), "population": [100, 101]})
    return figures.population_trend(frame, source_da="Konstrueret eksempel")


@pytest.mark.parametrize("renderer", ["plotly_mimetype", "jupyterlab", "vscode", "nteract"])
def test_mimetype_renderers_carry_the_configuration(renderer):
    bundle = pio.renderers._build_mime_bundle(_figure().to_dict(), renderer)
    config = bundle["application/vnd.plotly.v1+json"]["config"]
    assert config["showSendToCloud"] is False and config["displaylogo"] is False
    assert "sendChartToCloud" in config["modeBarButtonsToRemove"]
    assert config["locale"] == "da"
    dictionary = config["locales"]["da"]["dictionary"]
    assert dictionary["Download plot as a PNG"] == "Hent figuren som PNG"
    assert config["locales"]["da"]["format"]["decimal"] == ","


@pytest.mark.parametrize("renderer", ["notebook", "notebook_connected", "klyngedata_html"])
def test_html_renderers_carry_the_configuration(renderer):
    from klyngedata.reports.html import setup_notebook

    setup_notebook(report=False)  # registers the report renderer (klyngedata_html)
    html = pio.renderers._build_mime_bundle(_figure().to_dict(), renderer)["text/html"]
    for key, value in (("showSendToCloud", False), ("displaylogo", False), ("locale", "da")):
        assert f'"{key}": {json.dumps(value)}' in html
    assert "Hent figuren som PNG" in html


def test_the_report_export_uses_the_same_configuration():
    from klyngedata.reports import html

    assert html.PLOTLY_CONFIG is PLOTLY_CONFIG
    assert json.loads(html.plotly_locale_js().split("Plotly.register(", 1)[1].rsplit(")", 1)[0])[
        "dictionary"] == PLOTLY_CONFIG["locales"]["da"]["dictionary"]


def test_a_renderer_configured_by_the_analyst_keeps_its_settings(monkeypatch):
    from klyngedata import chart_config

    renderer = pio.renderers["iframe"]
    monkeypatch.setattr(renderer, "config", {"displaylogo": True})
    chart_config.apply()
    assert renderer.config["displaylogo"] is True and renderer.config["locale"] == "da"


KERNEL_SCRIPT = r"""
import json, sys
import pandas as pd
from klyngedata import figures
import plotly.io as pio
frame = pd.DataFrame({"entity_id": ["x", "x"], "entity_name": ["Klynge X (KONSTRUERET)"] * 2,
                      "period": pd.PeriodIndex(["2024-01", "2024-02"], freq="M"), "population": [100, 101]})
fig = figures.population_trend(frame, source_da="Konstrueret eksempel")
lab = pio.renderers._build_mime_bundle(fig.to_dict(), "plotly_mimetype+notebook")  # (JupyterLab's default)
out = {"lab": sorted(lab), "vscode": sorted(pio.renderers._build_mime_bundle(fig.to_dict(), "vscode")),
       "html": "Hent figuren som PNG" in lab["text/html"]}  # (what an exported notebook's HTML keeps)
out["deferred"] = [m for m in ("nbformat.v4", "jsonschema", "rfc3987_syntax") if m in sys.modules]
import plotly.io._renderers as renderers
out["stand_in"] = repr(renderers.nbformat)
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.display_formatter.format(fig)  # how a kernel shows a chart: plotly's show(), which checks nbformat's version
out["after_display"] = [m for m in ("nbformat.v4", "jsonschema", "rfc3987_syntax") if m in sys.modules]
print(json.dumps(out))
"""


def test_a_kernel_showing_charts_does_not_import_nbformat(tmp_path):
    """Issue 26 goal 1: plotly's renderers import nbformat (and with it jsonschema's grammar, ~2 s) only to check
    its version when a chart is shown; the outputs JupyterLab and VS Code draw, the HTML an exported notebook
    keeps, and showing a chart as a kernel does, are made without importing it (klyngedata.lazy.defer: the version
    comes from the installed distribution)."""
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-c", KERNEL_SCRIPT], capture_output=True, text=True, cwd=tmp_path,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["lab"] == ["application/vnd.plotly.v1+json", "text/html"]
    assert out["vscode"] == ["application/vnd.plotly.v1+json"]
    assert out["html"] is True
    assert out["deferred"] == []
    assert out["stand_in"] == "<module 'nbformat', imported on first use>"
    assert out["after_display"] == []


def test_a_deferred_module_is_imported_on_first_use(monkeypatch):
    import sys

    from klyngedata import lazy

    monkeypatch.delitem(sys.modules, "colorsys", raising=False)
    lazy.defer("colorsys")
    import colorsys

    stand_in = colorsys
    assert repr(stand_in) == "<module 'colorsys', imported on first use>"
    with pytest.raises(AttributeError):  # no distribution of that name: the module is imported, and has none
        stand_in.__version__  # noqa: B018
    assert stand_in.rgb_to_hsv(1.0, 0.0, 0.0) == (0.0, 1.0, 1.0)  # imported now, in its place
    assert type(sys.modules["colorsys"]).__name__ == "module"
    lazy.defer("klyngedata_no_such_module")
    assert "klyngedata_no_such_module" not in sys.modules
