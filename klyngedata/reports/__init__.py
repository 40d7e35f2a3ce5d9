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
Needs population data imported into the data directory (it makes the reports); not run as a doctest.
>>> import klyngedata.reports as kr
>>> result = kr.run(["nordjylland-nord"], out="reports")  # doctest: +SKIP
>>> result.ok  # doctest: +SKIP
True

The names are imported on first use (as ``kd.*``): importing a submodule — the papermill engine that papermill
loads through its entry point, say — does not import the report machinery.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from klyngedata import lazy

if TYPE_CHECKING:  # static analysers and IDEs see the real objects
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

lazy.install(sys.modules[__name__], {
    "ClusterReport": "klyngedata.reports.context",
    "notebook_to_html": "klyngedata.reports.html", "record": "klyngedata.reports.html",
    "setup_notebook": "klyngedata.reports.html",
    "write_index": "klyngedata.reports.index",
    "NOTEBOOKS": "klyngedata.reports.runner", "ReportResult": "klyngedata.reports.runner",
    "RunResult": "klyngedata.reports.runner", "notebook_dir": "klyngedata.reports.runner",
    "run": "klyngedata.reports.runner",
    "summary_da": "klyngedata.reports.text",
})
