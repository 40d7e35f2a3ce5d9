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
