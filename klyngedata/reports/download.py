"""CSV download behind a chart or table, embedded in the page (works offline, no server).

The file is what the reader sees: one row per row of the table or chart, Danish column names, numbers with
a decimal comma and no thousands separator, ``;`` as separator and UTF-8 with a byte-order mark, so Excel
opens it correctly in a Danish locale. It is embedded as a ``data:`` URI in an ``<a download>`` link.

Disclosure: the caller passes the *published* frame (suppressed values already missing); suppressed cells
are written with their display mark (``<5``, ``x``), never as a number.

Example
-------
>>> import pandas as pd
>>> CONSTRUCTED = pd.DataFrame({"Klynge": ["Klynge Vest"], "Andel (%)": [12.345]})
>>> csv_text(CONSTRUCTED, decimals={"Andel (%)": 1})
'\\ufeffKlynge;Andel (%)\\r\\nKlynge Vest;12,3\\r\\n'
>>> 'download="tal.csv"' in download_link(CONSTRUCTED, "tal.csv")
True
"""

from __future__ import annotations

import base64
import html
import math
import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = ["WithDownload", "csv_text", "data_uri", "download_link", "safe_filename", "with_download"]

BOM = "\ufeff"


def _cell(value: Any, decimals: int | None) -> str:
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            return ""
        if decimals is not None:
            text = f"{float(value):.{decimals}f}"
        elif float(value).is_integer():
            text = str(int(value))
        else:
            text = repr(float(value))
        return text.replace(".", ",")
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def _quote(text: str) -> str:
    if any(ch in text for ch in ';"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_text(frame: pd.DataFrame, *, decimals: Mapping[str, int] | None = None) -> str:
    """The frame as Danish CSV text: BOM, ``;``, decimal comma, CRLF line ends (Excel's defaults).

    ``decimals`` rounds the named numeric columns to the decimals shown on screen.

    Example: see the module docstring.
    """
    decimals = dict(decimals or {})
    lines = [";".join(_quote(str(c)) for c in frame.columns)]
    for row in frame.itertuples(index=False, name=None):
        cells = []
        for col, v in zip(frame.columns, row, strict=True):
            if hasattr(v, "item") and not isinstance(v, str):
                try:
                    v = v.item()
                except (ValueError, AttributeError):
                    pass
            cells.append(_quote(_cell(v, decimals.get(col))))
        lines.append(";".join(cells))
    return BOM + "\r\n".join(lines) + "\r\n"


def data_uri(text: str) -> str:
    """``data:`` URI of CSV text (base64, UTF-8).

    Example
    -------
    >>> data_uri("a;b\\r\\n").startswith("data:text/csv;charset=utf-8;base64,")
    True
    """
    return "data:text/csv;charset=utf-8;base64," + base64.b64encode(text.encode("utf-8")).decode("ascii")


def safe_filename(text: str) -> str:
    """A file name from a Danish title: lower case, ASCII letters, digits and ``-``.

    Example
    -------
    >>> safe_filename("Klynge Vest: nøgletal 2024")
    'klynge-vest-noegletal-2024'
    """
    t = text.lower()
    for a, b in (("æ", "ae"), ("ø", "oe"), ("å", "aa"), ("é", "e")):
        t = t.replace(a, b)
    return re.sub(r"[^a-z0-9]+", "-", t).strip("-") or "data"


def download_link(frame: pd.DataFrame, filename: str, label_da: str = "Hent tallene (CSV)", *,
                  decimals: Mapping[str, int] | None = None) -> str:
    """An ``<a download>`` link (HTML text) that saves ``frame`` as a Danish CSV file.

    Example: see the module docstring.
    """
    name = filename if filename.endswith(".csv") else f"{safe_filename(filename)}.csv"
    href = data_uri(csv_text(frame, decimals=decimals))
    return (f'<p class="kd-download"><a download="{html.escape(name)}" href="{href}" '
            f'title="Tallene som CSV-fil (semikolon, decimalkomma) til fx Excel">{html.escape(label_da)}</a></p>')


class WithDownload:
    """A displayable object (plotly figure, HTML block) followed by a CSV download link of its data.

    In a report (HTML) the link is written under the chart; attribute access goes to the wrapped object
    (``wrapped.data`` is the figure's traces), so code that inspects the figure keeps working.

    Example
    -------
    >>> from IPython.display import HTML
    >>> w = with_download(HTML("<b>x</b>"), pd.DataFrame({"a": [1]}), "a.csv")
    >>> w._repr_mimebundle_()["text/html"].startswith("<b>x</b><p class=")
    True
    """

    def __init__(self, obj: Any, frame: pd.DataFrame, filename: str, label_da: str = "Hent tallene (CSV)",
                 decimals: Mapping[str, int] | None = None) -> None:
        self.obj = obj
        self.frame = frame
        self.filename = filename
        self.link = download_link(frame, filename, label_da, decimals=decimals)

    def __getattr__(self, name: str) -> Any:
        # display hooks of the wrapped object (plotly's _ipython_display_) would show it without the link
        if name in ("obj", "frame", "filename", "link") or name.startswith(("_ipython", "_repr")):
            raise AttributeError(name)
        return getattr(self.obj, name)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        obj = self.obj
        bundle: Any = {}
        if hasattr(obj, "_repr_mimebundle_"):
            bundle = obj._repr_mimebundle_(include=include, exclude=exclude)
            if isinstance(bundle, tuple):
                bundle = bundle[0]
        elif hasattr(obj, "_repr_html_"):
            bundle = {"text/html": obj._repr_html_()}
        bundle = dict(bundle or {})
        bundle["text/html"] = str(bundle.get("text/html") or "") + self.link
        return bundle


def with_download(obj: Any, frame: pd.DataFrame, filename: str, label_da: str = "Hent tallene (CSV)", *,
                  decimals: Mapping[str, int] | None = None) -> WithDownload:
    """Wrap ``obj`` so that a CSV download of ``frame`` is shown under it (see :class:`WithDownload`).

    Example: see :class:`WithDownload`.
    """
    return WithDownload(obj, frame, filename, label_da, decimals)
