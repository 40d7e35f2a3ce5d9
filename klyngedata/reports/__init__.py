"""Report generation: parameterised notebooks executed with papermill, exported to offline HTML.

Public API
----------
* :func:`run` – generate reports for clusters (the Python equivalent of ``klyngedata report``).
* :class:`ClusterReport` – loads one cluster's data once; every notebook cell is one call on it.
* :func:`setup_notebook` – plotly renderer setup so figures survive the HTML export.
* :func:`notebook_to_html` – executed notebook -> HTML without code cells, plotly.js embedded once.
* :func:`summary_da` – short Danish text generated from the key figures.

Example
-------
>>> import klyngedata.reports as kr
>>> result = kr.run(["nordjylland-nord"], out="reports")  # doctest: +SKIP
>>> result.ok  # doctest: +SKIP
True
"""

from __future__ import annotations

from klyngedata.reports.context import ClusterReport
from klyngedata.reports.html import notebook_to_html, record, setup_notebook
from klyngedata.reports.index import write_index
from klyngedata.reports.runner import NOTEBOOKS, ReportResult, RunResult, notebook_dir, run
from klyngedata.reports.text import summary_da

__all__ = [
    "NOTEBOOKS",
    "ClusterReport",
    "ReportResult",
    "RunResult",
    "notebook_dir",
    "notebook_to_html",
    "record",
    "run",
    "setup_notebook",
    "summary_da",
    "write_index",
]
