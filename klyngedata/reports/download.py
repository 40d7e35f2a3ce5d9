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

__all__ = ["csv_text", "data_uri", "download_link", "safe_filename"]

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
