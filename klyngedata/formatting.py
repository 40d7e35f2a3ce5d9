"""One typography rule for everything a reader sees: Danish numbers, dates and times.

* Numbers: decimal comma, thousands point, the minus sign "−" (U+2212, as on plotly's axes), "–" for a
  missing value. :func:`figure_number` never shows a non-zero value as zero: a value that would round to
  0 gets up to two more decimals (Brønderslev's growth of 0,05 % is "0,05" in the table and the summary).
* Dates: "1. april 2024"; times: "kl. 10.46" in Danish local time (Europe/Copenhagen, summer time
  included), whatever the machine's time zone. Timestamps without a zone are UTC (as the cache writes them).

Used by the figures, the maps and the reports, so tables, chart texts and summaries agree.

Example
-------
>>> number(-1234.5, 1), percent(0.049, 1, sign=True), figure_number(-0.049, 1)
('−1.234,5', '+0,05 %', '−0,05')
>>> date_da("2024-04-01"), datetime_da("2026-12-01T09:46:42+00:00")
('1. april 2024', '1. december 2026 kl. 10.46')
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from klyngedata.vocabulary.periods import MONTHS_DA

MINUS = "\u2212"
"""The minus sign used in every number a reader sees."""

MISSING = "–"
"""Text of a missing value (en dash)."""

DANISH_TZ = ZoneInfo("Europe/Copenhagen")



__all__ = ["DANISH_TZ", "MINUS", "MISSING", "MONTHS_DA", "date_da", "datetime_da", "figure_number", "local_time",
           "number", "percent", "time_da"]


def _missing(value: Any) -> bool:
    if value is None or isinstance(value, str):
        return value is None
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-like
        return False


def number(value: Any, decimals: int = 0, *, sign: bool = False) -> str:
    """Danish number: ``-1234567.5`` -> ``'−1.234.567,5'``; missing -> ``'–'``; ``sign=True`` adds "+".

    Example
    -------
    >>> number(592831), number(-1.25, 1), number(3, sign=True), number(None)
    ('592.831', '−1,2', '+3', '–')
    """
    if _missing(value):
        return MISSING
    v = float(value)
    if math.isinf(v):
        return MISSING
    text = f"{abs(v):,.{decimals}f}".replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")
    is_zero = float(f"{abs(v):.{decimals}f}") == 0.0
    if v < 0 and not is_zero:
        return MINUS + text
    if sign and v > 0 and not is_zero:
        return "+" + text
    return text


def significant_decimals(value: Any, decimals: int, extra: int = 2) -> int:
    """``decimals``, or up to ``extra`` more when a non-zero value would otherwise be shown as 0.

    Example
    -------
    >>> significant_decimals(0.04, 1), significant_decimals(12.3, 1), significant_decimals(0.0, 1)
    (2, 1, 1)
    """
    if _missing(value) or float(value) == 0.0:
        return decimals
    d = decimals
    while d < decimals + extra and float(f"{abs(float(value)):.{d}f}") == 0.0:
        d += 1
    return d


def figure_number(value: Any, decimals: int = 1, *, sign: bool = False) -> str:
    """A figure's value with :func:`significant_decimals` (a non-zero value is never printed as 0).

    Example
    -------
    >>> figure_number(0.0412, 1), figure_number(-0.004, 1), figure_number(12.345, 1, sign=True)
    ('0,04', '−0,004', '+12,3')
    """
    return number(value, significant_decimals(value, decimals), sign=sign)


def percent(value: Any, decimals: int = 1, *, sign: bool = False) -> str:
    """A share or change in percent: ``'12,3 %'``, ``'+0,05 %'`` (non-zero never shown as 0).

    Example
    -------
    >>> percent(12.34), percent(-0.4, sign=True), percent(None)
    ('12,3 %', '−0,4 %', '–')
    """
    text = figure_number(value, decimals, sign=sign)
    return text if text == MISSING else f"{text} %"


def _as_datetime(value: Any) -> dt.datetime | dt.date | None:
    if _missing(value) or (isinstance(value, str) and not value.strip()):
        return None
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, (dt.datetime, dt.date)):
        return value
    text = str(value).strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def local_time(value: Any) -> dt.datetime | None:
    """A timestamp in Danish local time (naive timestamps are taken as UTC, as the cache writes them).

    Example
    -------
    >>> local_time("2024-07-01T08:00:00").hour  # summer time: UTC+2
    10
    """
    d = _as_datetime(value)
    if d is None:
        return None
    if not isinstance(d, dt.datetime):
        d = dt.datetime(d.year, d.month, d.day)
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.UTC)
    return d.astimezone(DANISH_TZ)


def date_da(value: Any) -> str:
    """Danish date: ``'1. april 2024'`` (a timestamp is first put in Danish local time); ``''`` if unknown.

    Example
    -------
    >>> date_da("2024-04-01"), date_da("2026-12-31T23:30:00+00:00")
    ('1. april 2024', '1. januar 2027')
    """
    d = _as_datetime(value)
    if d is None:
        return ""
    if isinstance(d, dt.datetime):
        d = local_time(d)
    return f"{d.day}. {MONTHS_DA[d.month - 1]} {d.year}"


def time_da(value: Any) -> str:
    """Danish clock time: ``'kl. 10.46'`` in Danish local time; ``''`` if unknown.

    Example
    -------
    >>> time_da("2026-12-01T09:46:42+00:00")
    'kl. 10.46'
    """
    d = local_time(value)
    return "" if d is None else f"kl. {d.hour:02d}.{d.minute:02d}"


def datetime_da(value: Any) -> str:
    """Danish date and time: ``'1. december 2026 kl. 10.46'``; ``''`` if unknown.

    Example
    -------
    >>> datetime_da("2026-12-01T09:46:42Z")
    '1. december 2026 kl. 10.46'
    """
    d = local_time(value)
    return "" if d is None else f"{date_da(d)} {time_da(d)}"
