"""Executed notebook -> self-contained HTML without code cells, and the notebook-side plotly setup.

Why a setup helper: since plotly 6, a figure displayed in a headless kernel (papermill) only carries the
``application/vnd.plotly.v1+json`` mimetype, which nbconvert cannot render, so the figure silently vanishes
from the HTML. :func:`setup_notebook` (called in the first cell of every klyngedata notebook) registers a
renderer that emits ``text/html`` (a ``<div class="plotly-graph-div">`` plus a ``Plotly.newPlot`` call, without
plotly.js itself) when the notebook runs as a report; :func:`notebook_to_html` then puts plotly.js into the page
exactly once — embedded (default, the file works offline and can be mailed) or as a reference to a local
``plotly.min.js`` beside the reports (``shared_assets=True``).

The HTML template (``templates/klyngedata.html.j2``) is JupyterLab's, minus everything it would load from a
CDN (require.js, MathJax, mermaid), so a report opens without network access and without console errors.

Example
-------
>>> from klyngedata.reports.html import setup_notebook
>>> setup_notebook(report=True)  # in a notebook's first cell; papermill runs set report mode automatically
'klyngedata_html'
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from klyngedata import settings
from klyngedata.chart_config import PLOTLY_CONFIG, PLOTLY_LOCALE_DA  # noqa: F401  (re-exported: their old home)

if TYPE_CHECKING:  # nbformat is imported where a notebook is read or written, not in the report kernel
    import nbformat

REPORT_ENV = settings.VARIABLES["report_mode"]
"""Environment variable set by the report runner; makes :func:`setup_notebook` choose the HTML renderer."""

META_MIMETYPE = "application/vnd.klyngedata.meta+json"
"""Mimetype of the hidden outputs written by :func:`record` and read back by the runner."""

RENDERER_NAME = "klyngedata_html"
PLOTLY_ASSET_NAME = "plotly.min.js"
TEMPLATE_FILE = Path(__file__).with_name("templates") / "klyngedata.html.j2"

PAGE_MARGINS_MM: tuple[float, float, float, float] = (20.0, 15.0, 18.0, 15.0)
"""A4 page margins (top, right, bottom, left) of printed reports; the running header/footer sit in them."""

PRINT_WIDTH_PX = int((210 - PAGE_MARGINS_MM[1] - PAGE_MARGINS_MM[3]) / 25.4 * 96)
"""Width of the A4 text area in CSS pixels (680): charts are drawn at this width for print."""

PRINT_HEIGHT_PX = int((297 - PAGE_MARGINS_MM[0] - PAGE_MARGINS_MM[2]) / 25.4 * 96)
"""Height of the A4 text area in CSS pixels (979): a block taller than about a third of it may break across pages."""


def plotly_locale_js() -> str:
    """JavaScript registering the Danish plotly.js locale (run after plotly.js is loaded)."""
    locale = {"moduleType": "locale", "name": "da", **PLOTLY_LOCALE_DA}
    return f"if (window.Plotly) {{ Plotly.register({json.dumps(locale, ensure_ascii=False)}); }}"


def _html_renderer_class():
    from plotly.io._base_renderers import MimetypeRenderer

    class KlyngedataHtmlRenderer(MimetypeRenderer):
        """text/html output without plotly.js; the report page provides plotly.js once."""

        def __init__(self, config: dict | None = None) -> None:
            self.config = dict(config or PLOTLY_CONFIG)

        def to_mimebundle(self, fig_dict: dict) -> dict:
            import plotly.io as pio

            height = (fig_dict.get("layout") or {}).get("height") or 480
            html = pio.to_html(
                fig_dict,
                config=self.config,
                include_plotlyjs=False,
                full_html=False,
                default_width="100%",
                default_height=f"{int(height)}px",
                validate=False,
            )
            return {"text/html": html}

    return KlyngedataHtmlRenderer


def in_report_mode() -> bool:
    """True when the notebook is being executed by the report runner (``$KLYNGEDATA_REPORT`` set).

    Example
    -------
    >>> isinstance(in_report_mode(), bool)
    True
    """
    return settings.current().report_mode


def setup_notebook(report: bool | None = None) -> str:
    """Choose the plotly renderer for this kernel and return its name.

    ``report=None`` detects report mode from ``$KLYNGEDATA_REPORT`` (set by :func:`klyngedata.reports.run`).
    In report mode figures are emitted as ``text/html`` so nbconvert keeps them; interactively (JupyterLab)
    plotly's own mimetype renderer is used.

    Example
    -------
    >>> setup_notebook(report=True)
    'klyngedata_html'
    """
    import plotly.io as pio

    if report is None:
        report = in_report_mode()
    if RENDERER_NAME not in pio.renderers:
        pio.renderers[RENDERER_NAME] = _html_renderer_class()()
    if report:
        pio.renderers.default = RENDERER_NAME
    elif not pio.renderers.default or pio.renderers.default == RENDERER_NAME:
        pio.renderers.default = "plotly_mimetype"
    return pio.renderers.default


def record(**values: Any) -> None:
    """Record values (e.g. the resolved period, the report title) for the runner's index page.

    The output is invisible in the HTML report (the exporter strips it); the runner reads it back from the
    executed notebook with :func:`read_recorded`.

    Example
    -------
    Needs a running notebook (the value goes to a hidden output); not run as a doctest.
    >>> record(period="2024M04", title="Befolkningsdashboard")  # doctest: +SKIP
    """
    from IPython.display import display

    payload = json.loads(json.dumps(values, default=str))
    display({META_MIMETYPE: payload, "text/plain": ""}, raw=True)


def read_recorded(nb: nbformat.NotebookNode) -> dict:
    """Merge every value recorded with :func:`record` in an executed notebook (later calls win).

    Example
    -------
    >>> import nbformat
    >>> nb = nbformat.from_dict({"cells": [  # CONSTRUCTED: two record() outputs, the second a JSON string
    ...     {"outputs": [{"data": {META_MIMETYPE: {"period": "2024M04", "title": "Befolkning"}}}]},
    ...     {"outputs": [{"data": {META_MIMETYPE: '{"title": "Nøgletal"}'}}]}]})
    >>> read_recorded(nb)
    {'period': '2024M04', 'title': 'Nøgletal'}
    >>> read_recorded(nbformat.v4.new_notebook())
    {}
    """
    out: dict = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []) or []:
            data = output.get("data") or {}
            if META_MIMETYPE in data:
                value = data[META_MIMETYPE]
                if isinstance(value, str):
                    value = json.loads(value)
                out.update(value)
    return out


def _clean_for_report(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Copy of ``nb`` without what a report reader must not see: code, stderr warnings, record() outputs.

    Also marks each heading cell and the first cell with output after it (``metadata.klyngedata_keep``
    ``open``/``close``): the template wraps them in one block that is never split across pages.
    """
    import nbformat

    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        kept = []
        for output in cell.get("outputs", []) or []:
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                continue
            data = output.get("data") or {}
            if META_MIMETYPE in data:
                continue
            kept.append(output)
        cell["outputs"] = kept
    _mark_keep_with_next(nb)
    return nb


def _is_heading_cell(cell: nbformat.NotebookNode) -> bool:
    """A markdown heading cell, or a code cell whose only output is a markdown heading (the headings a
    report writes in its unit's words, ``rapport.heading(...)``)."""
    if cell.get("cell_type") == "markdown":
        source = cell.get("source") or ""
        source = "".join(source) if isinstance(source, list) else source
        return source.lstrip().startswith("#")
    outputs = cell.get("outputs") or []
    if cell.get("cell_type") != "code" or len(outputs) != 1:
        return False
    text = (outputs[0].get("data") or {}).get("text/markdown", "")
    text = "".join(text) if isinstance(text, list) else text
    return text.lstrip().startswith("#")


def _mark_keep_with_next(nb: nbformat.NotebookNode) -> None:
    """Mark heading cells (``open``) and the next cell that shows something (``close``)."""
    cells = nb.cells
    for i, cell in enumerate(cells):
        if not _is_heading_cell(cell):
            continue
        for nxt in cells[i + 1:]:
            if _is_heading_cell(nxt):
                break
            if nxt.get("cell_type") == "markdown" or (nxt.get("outputs") or []):
                cell.metadata["klyngedata_keep"] = "open"
                nxt.metadata["klyngedata_keep"] = "close"
                break


def contains_plotly(nb: nbformat.NotebookNode) -> bool:
    """True if any output of ``nb`` holds a plotly figure rendered as HTML."""
    for cell in nb.cells:
        for output in cell.get("outputs", []) or []:
            html = (output.get("data") or {}).get("text/html", "")
            if isinstance(html, list):
                html = "".join(html)
            if "plotly-graph-div" in html:
                return True
    return False


@functools.cache
def plotly_js() -> str:
    """The plotly.js bundle shipped with the installed plotly package (about 4.8 MB; read once per process)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def notebook_to_html(
    nb: nbformat.NotebookNode | str | os.PathLike[str],
    *,
    shared_assets: bool = False,
    plotly_src: str = PLOTLY_ASSET_NAME,
    title: str | None = None,
) -> str:
    """Convert an executed notebook to report HTML: no code cells, no prompts, plotly.js once or linked.

    ``shared_assets=False`` embeds plotly.js in the page (self-contained, opens offline);
    ``shared_assets=True`` references ``plotly_src`` (relative URL of a local copy, see
    :func:`write_plotly_asset`).

    Example
    -------
    Needs an executed report notebook; not run as a doctest.
    >>> html = notebook_to_html("reports/_executed/nordjylland-nord-befolkningsdashboard.ipynb")  # doctest: +SKIP
    """
    import nbformat

    if not isinstance(nb, nbformat.NotebookNode):
        nb = nbformat.read(os.fspath(nb), as_version=4)
    nb = _clean_for_report(nb)
    if title:
        nb.metadata["title"] = title
    exporter = _exporter()
    margin = " ".join(f"{m:g}mm" for m in PAGE_MARGINS_MM)
    resources: dict[str, Any] = {"metadata": {"name": title or nb.metadata.get("title", "Rapport")},
                                 "klyngedata_page_margin": margin, "klyngedata_print_width": PRINT_WIDTH_PX,
                                 "klyngedata_print_height": PRINT_HEIGHT_PX}
    if contains_plotly(nb):
        resources["klyngedata_plotly_locale"] = plotly_locale_js()
        if shared_assets:
            resources["klyngedata_plotly_src"] = plotly_src
        else:  # a marker, replaced after the conversion: nbconvert re-parses its whole output page (bs4), and
            resources["klyngedata_plotly_js"] = _PLOTLY_JS_MARKER  # 4.8 MB of script would be most of it
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    if resources.get("klyngedata_plotly_js"):
        body = body.replace(_PLOTLY_JS_MARKER, plotly_js(), 1)
    return body


_PLOTLY_JS_MARKER = "/*klyngedata:plotly.js*/"


@functools.cache
def _exporter() -> Any:
    """The HTML exporter, made once per process: making one compiles its templates (about 0.25 s), and a
    batch worker converts many reports."""
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="lab",
        template_file=str(TEMPLATE_FILE),
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        language_code="da",
        optimistic_validation=True,  # validate once after the preprocessors, not after each (0.2 s a report)
    )


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (temp file in the same directory, fsync, ``os.replace``).

    Example
    -------
    >>> p = atomic_write_text(Path(tempfile.mkdtemp()) / "x.html", "<p>hej</p>")
    >>> p.read_text()
    '<p>hej</p>'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def write_plotly_asset(out_dir: str | os.PathLike[str]) -> Path:
    """Write plotly.js as ``plotly.min.js`` into ``out_dir`` (atomically; skipped if already identical).

    Example
    -------
    >>> write_plotly_asset("reports")
    PosixPath('reports/plotly.min.js')
    """
    target = Path(out_dir) / PLOTLY_ASSET_NAME
    js = plotly_js()
    if target.exists() and target.stat().st_size == len(js.encode("utf-8")):
        return target
    return atomic_write_text(target, js)
