"""Periods in every form the sources write them, parsed in one place and written back in one place.

A period is a :class:`pandas.Period` everywhere inside klyngedata:

=================  ==========================================  =========================
form               written as                                  Period
=================  ==========================================  =========================
year               ``2024``                                    ``Period('2024', 'Y')``
quarter            ``2024K1`` (Danish), ``2024Q1`` (English)   ``Period('2024Q1', 'Q')``
month              ``2024M01`` (also ``2024M1``, ``2024-01``)  ``Period('2024-01', 'M')``
week               ``2007U01`` (StatBank's *uge*, ISO week)    weekly Period, Monday–Sunday
multi-year window  ``2000:2004`` (also ``2000-2004``)          ``Period('2000', '5Y')``
=================  ==========================================  =========================

StatBank's ``CodeAndValue`` presentation writes code and text in one cell (``2025K3 2025K3``,
``2026K1 2026Q1``): both are read and must name the same period.

Written back: :func:`period_code` gives the StatBank code (the cache and the tidy frames' text columns use it),
:func:`period_text_da` the Danish text a reader sees, :func:`period_axis_da` the short form for chart axes and
:func:`period_range_da` a span. No other module parses or formats periods.

Example
-------
>>> parse_period("2024Q1") == parse_period("2024K1"), period_code(parse_period("2000:2004"))
(True, '2000:2004')
>>> period_text_da("2024M04"), period_text_da("2024M04", stock=True), period_axis_da("2022M01")
('april 2024', '1. april 2024', 'jan. 2022')
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from klyngedata.exceptions import UnknownValue

__all__ = ["MONTHS_DA", "parse_period", "parse_periods", "period_axis_da", "period_code", "period_kind",
           "period_range_da", "period_start_year", "period_text_da", "periods_in_text_da",
           "periods_per_year"]

MONTHS_DA = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
             "november", "december")
_MONTHS_SHORT_DA = ("jan.", "feb.", "mar.", "apr.", "maj", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec.")

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})\s*[KQ]\s*([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})(?:\s*M\s*|-)(\d{1,2})$", re.IGNORECASE)
_WEEK = re.compile(r"^(\d{4})\s*[UW]\s*(\d{1,2})$", re.IGNORECASE)
_WINDOW = re.compile(r"^(\d{4})\s*[:\-–]\s*(\d{4})$")
_RANGE_SPLIT = re.compile(r"\s*(?:–|-|\.\.)\s*")
_CODE_IN_TEXT = re.compile(r"\b\d{4}(?:[KQ][1-4]|M\d{2})\b")

_EXPECTED = "expected e.g. 2024, 2024K1, 2024Q1, 2024M01, 2007U01 or 2000:2004"


def _one(text: str, value: object) -> pd.Period:
    if m := _YEAR.match(text):
        return pd.Period(year=int(m.group(1)), freq="Y")
    if m := _QUARTER.match(text):
        return pd.Period(year=int(m.group(1)), quarter=int(m.group(2)), freq="Q")
    if m := _MONTH.match(text):
        month = int(m.group(2))
        if not 1 <= month <= 12:
            raise UnknownValue(f"not a month: {value!r}")
        return pd.Period(year=int(m.group(1)), month=month, freq="M")
    if m := _WEEK.match(text):
        try:
            monday = dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
        except ValueError:
            raise UnknownValue(f"not a week: {value!r}") from None
        return pd.Period(monday, freq="W-SUN")
    if m := _WINDOW.match(text):
        first, last = int(m.group(1)), int(m.group(2))
        if last <= first:
            raise UnknownValue(f"not a period of several years (the last year must follow the first): {value!r}")
        return pd.Period(year=first, freq=f"{last - first + 1}Y")
    raise UnknownValue(f"not a period: {value!r} ({_EXPECTED})")


def parse_period(value: object) -> pd.Period:
    """Parse a period in any form a source writes it (see the module docstring); a Period is returned as is.

    Raises :class:`~klyngedata.exceptions.UnknownValue` (a ``ValueError``) naming the value.

    Example
    -------
    >>> parse_period("2024K1"), parse_period("2026K1 2026Q1"), parse_period(2035)
    (Period('2024Q1', 'Q-DEC'), Period('2026Q1', 'Q-DEC'), Period('2035', 'Y-DEC'))
    >>> parse_period("2020:2024"), parse_period("2007U01").start_time.date()
    (Period('2020', '5Y-DEC'), datetime.date(2007, 1, 1))
    """
    if isinstance(value, pd.Period):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if not 1000 <= int(value) <= 9999:
            raise UnknownValue(f"not a year: {value!r}")
        return pd.Period(year=int(value), freq="Y")
    if value is None or isinstance(value, (bool, float)):
        raise UnknownValue(f"not a period: {value!r} ({_EXPECTED})")
    text = str(value).strip()
    parts = text.split()
    if len(parts) == 2 and not _QUARTER.match(text) and not _MONTH.match(text) and not _WEEK.match(text):
        code, shown = _one(parts[0], value), _one(parts[1], value)
        if code != shown:
            raise UnknownValue(f"code {parts[0]!r} and text {parts[1]!r} name different periods: {value!r}")
        return code
    return _one(text, value)


def parse_periods(values: Iterable[object] | pd.Series) -> pd.Series:
    """Vectorised :func:`parse_period`: each distinct value parsed once; one Period dtype when they agree.

    Example
    -------
    >>> parse_periods(["2024K1", "2024Q2", "2024K1"]).tolist()
    [Period('2024Q1', 'Q-DEC'), Period('2024Q2', 'Q-DEC'), Period('2024Q1', 'Q-DEC')]
    """
    s = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype="object")
    codes, uniques = pd.factorize(s.astype("object"), use_na_sentinel=False)
    parsed = [parse_period(u) for u in uniques]
    if parsed and len({p.freqstr for p in parsed}) == 1:
        return pd.Series(pd.array(parsed).take(codes), index=s.index)
    return pd.Series(np.asarray(parsed, dtype=object)[codes], index=s.index, dtype="object")


def period_kind(period: object) -> str:
    """``"year"``, ``"quarter"``, ``"month"``, ``"week"`` or ``"window"`` (several years).

    >>> period_kind("2024K1"), period_kind("2000:2004")
    ('quarter', 'window')
    """
    p = parse_period(period)
    code = p.freqstr.lstrip("0123456789")[0]
    if code in "YA":
        return "window" if p.freq.n > 1 else "year"
    return {"Q": "quarter", "M": "month", "W": "week"}.get(code, "other")


def periods_per_year(period: object) -> int:
    """12 for months, 4 for quarters, 1 for years; other kinds are refused.

    >>> periods_per_year("2024M01")
    12
    """
    kind = period_kind(period)
    if kind not in ("year", "quarter", "month"):
        raise UnknownValue(f"period {period_code(period)} is a {kind}; expected monthly, quarterly or yearly data")
    return {"year": 1, "quarter": 4, "month": 12}[kind]


def period_start_year(period: object) -> float:
    """The start of a period in years, for time axes: ``2024K3`` → 2024.5, ``2024M04`` → 2024.25.

    >>> period_start_year("2024"), period_start_year("2024K3"), period_start_year("2024M04")
    (2024.0, 2024.5, 2024.25)
    """
    p = parse_period(period)
    kind = period_kind(p)
    if kind == "quarter":
        return p.year + (p.quarter - 1) / 4
    if kind == "month":
        return p.year + (p.month - 1) / 12
    start = p.start_time
    return start.year + (start.day_of_year - 1) / (366 if start.is_leap_year else 365)


def period_code(period: object) -> str:
    """StatBank code of a period: ``2024``, ``2024K1``, ``2024M01``, ``2007U01``, ``2000:2004``.

    >>> period_code("2024Q2"), period_code(pd.Period("2024-04", "M")), period_code("2007U01")
    ('2024K2', '2024M04', '2007U01')
    """
    p = parse_period(period)
    kind = period_kind(p)
    if kind == "quarter":
        return f"{p.year}K{p.quarter}"
    if kind == "month":
        return f"{p.year}M{p.month:02d}"
    if kind == "week":
        year, week, _ = p.start_time.date().isocalendar()
        return f"{year}U{week:02d}"
    if kind == "window":
        return f"{p.start_time.year}:{p.end_time.year}"
    return f"{p.year}"


def period_text_da(period: object, *, stock: bool = False) -> str:
    """The period as a Danish reader says it: ``2024``, ``1. kvt. 2024``, ``april 2024``, ``uge 1 2007``,
    ``2000–2004``. ``stock=True`` is for counts on a day (population on the first day of the period):
    ``1. april 2024``. A value that is no period is returned as text.

    >>> period_text_da("2024K1"), period_text_da("2021M10"), period_text_da("2000:2004"), period_text_da("x")
    ('1. kvt. 2024', 'oktober 2021', '2000–2004', 'x')
    """
    try:
        p = parse_period(period)
    except UnknownValue:
        return str(period)
    kind = period_kind(p)
    if kind == "quarter":
        return f"{p.quarter}. kvt. {p.year}"
    if kind == "month":
        return f"{'1. ' if stock else ''}{MONTHS_DA[p.month - 1]} {p.year}"
    if kind == "week":
        year, week, _ = p.start_time.date().isocalendar()
        return f"uge {week} {year}"
    if kind == "window":
        return f"{p.start_time.year}–{p.end_time.year}"
    return f"{p.year}"


def period_axis_da(period: object) -> str:
    """Short Danish form for chart axes and narrow tables: ``jan. 2022``, ``1. kvt. 2022``, ``2022``.

    >>> period_axis_da("2022M01"), period_axis_da("2022M05"), period_axis_da(2022)
    ('jan. 2022', 'maj 2022', '2022')
    """
    try:
        p = parse_period(period)
    except UnknownValue:
        return str(period)
    if period_kind(p) == "month":
        return f"{_MONTHS_SHORT_DA[p.month - 1]} {p.year}"
    return period_text_da(p)


def period_range_da(periods: object) -> str:
    """Danish text of a span of periods: ``["2021M10", …, "2024M04"]`` → ``oktober 2021–april 2024``.

    A string may give the span itself (``"2021M10-2024M04"``, ``"2021M10..2024M04 (31)"``).

    >>> period_range_da(["2021M10", "2024M04"]), period_range_da("2021M10-2024M04"), period_range_da("2025")
    ('oktober 2021–april 2024', 'oktober 2021–april 2024', '2025')
    """
    if isinstance(periods, str):
        text = periods.split(" (")[0].strip()
        try:
            parts = [period_code(text)]  # one period, perhaps a window such as 2000:2004
        except UnknownValue:
            parts = _RANGE_SPLIT.split(text)
    elif isinstance(periods, pd.Period):
        parts = [periods]
    else:
        parts = list(periods)
    parts = [p for p in parts if str(p)]
    if not parts:
        return ""
    first, last = period_text_da(parts[0]), period_text_da(parts[-1])
    return first if first == last else f"{first}–{last}"


def periods_in_text_da(text: str) -> str:
    """Quarter and month codes inside a text written out in Danish (for messages shown to readers).

    >>> periods_in_text_da("data går kun tilbage til 2021M10 (ikke 2020K4)")
    'data går kun tilbage til oktober 2021 (ikke 4. kvt. 2020)'
    """
    return _CODE_IN_TEXT.sub(lambda m: period_text_da(m.group(0)), text)
