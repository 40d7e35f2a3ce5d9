"""Counts read exactly, for every file kind: digits only, or refused naming the problem.

Statistics Denmark writes a count as digits, ``..`` for a figure that is not available or not published (kept
*missing*, never summed as 0) and ``-`` for nil (0). The same rule holds for the numerators and denominators of
health-indicator files: a count written ``5.0``, ``5,0``, ``5.867.412`` or ``-3`` is refused, as is one too
large for a 64-bit integer.

Example
-------
>>> parse_count("12"), parse_count(".."), parse_count("-")
(12, None, 0)
>>> parse_counts(pd.Series(["12", "..", "-"])).tolist()
[12, <NA>, 0]
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from klyngedata.exceptions import UnknownValue

__all__ = ["MISSING_MARK", "ZERO_MARK", "CountError", "count_problem", "parse_count", "parse_counts"]

MISSING_MARK = ".."
"""StatBank: the figure is not available / not published."""
ZERO_MARK = "-"
"""StatBank: nil."""
_MAX = np.iinfo(np.int64).max
_NEGATIVE = re.compile(r"^[-−]\s*\d+([.,]\d+)*$")
_SEPARATED = re.compile(r"^\d+([.,]\d+)+$")


class CountError(UnknownValue):
    """A count not written as StatBank writes counts. ``row`` is the 0-based position in the parsed values."""

    def __init__(self, message: str, row: int | None = None, value: str | None = None) -> None:
        self.row = row
        self.value = value
        super().__init__(message)


def count_problem(value: str) -> str:
    """Why ``value`` is not a count (for messages that name file, row and column).

    >>> count_problem("5.867.412")
    "'5.867.412' is not a whole count written as digits (a decimal or a thousands separator is ambiguous)"
    """
    t = value.strip()
    if _NEGATIVE.match(t):
        return f"negative count {value!r}"
    if _SEPARATED.match(t):
        return f"{value!r} is not a whole count written as digits (a decimal or a thousands separator is ambiguous)"
    if t == "":
        return "empty cell (StatBank writes '..' for a figure that is not available)"
    if t.isdigit() and t.isascii():
        return f"count {value!r} is too large (more than {_MAX:,} is not a count of persons)"
    return f"not a count: {value!r} (expected digits, '..' for not available or '-' for nil)"


def parse_count(value: object, *, allow_missing: bool = True) -> int | None:
    """One count: ``int``, or ``None`` for ``..`` (when ``allow_missing``); :class:`CountError` otherwise.

    >>> parse_count(" 7 "), parse_count(7)
    (7, 7)
    """
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if 0 <= int(value) <= _MAX:
            return int(value)
        raise CountError(count_problem(str(value)), value=str(value))
    text = "" if value is None else str(value).strip()
    if text == MISSING_MARK and allow_missing:
        return None
    if text == ZERO_MARK:
        return 0
    if text.isdigit() and text.isascii() and int(text) <= _MAX:
        return int(text)
    raise CountError(count_problem("" if value is None else str(value)), value=str(value))


def _vector(s: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(values, missing, bad)`` of a Series of count strings."""
    s = s.astype(str).str.strip()
    digits = (s.str.isdigit() & s.str.isascii()).to_numpy(dtype=bool)
    digits = digits & ((s.str.len() < 19).to_numpy(dtype=bool) | _fits(s, digits))
    missing = (s == MISSING_MARK).to_numpy(dtype=bool)
    zero = (s == ZERO_MARK).to_numpy(dtype=bool)
    values = s.where(digits, "0").astype("int64").to_numpy()
    return values, missing, ~(digits | missing | zero)


def _fits(s: pd.Series, digits: np.ndarray) -> np.ndarray:
    long = digits & (s.str.len() >= 19).to_numpy(dtype=bool)
    out = np.zeros(len(s), dtype=bool)
    for i in np.flatnonzero(long):
        out[i] = int(s.iloc[i]) <= _MAX
    return out


def parse_counts(values: pd.Series) -> pd.Series:
    """Vectorised :func:`parse_count` → nullable ``Int64`` (``..`` is NA); the first bad cell raises
    :class:`CountError` with its 0-based ``row`` so the caller can name file, row and column.

    >>> try:
    ...     parse_counts(pd.Series(["1", "2,5"]))
    ... except CountError as exc:
    ...     print(exc.row, exc)
    1 '2,5' is not a whole count written as digits (a decimal or a thousands separator is ambiguous)
    """
    if isinstance(values.dtype, pd.CategoricalDtype):  # parse each distinct cell once
        codes = values.cat.codes.to_numpy()
        num, missing, bad = _vector(pd.Series(values.cat.categories, dtype=object))
        if bad.any():
            i = int(np.flatnonzero(np.isin(codes, np.flatnonzero(bad)))[0])
            raise CountError(count_problem(str(values.iloc[i])), row=i, value=str(values.iloc[i]))
        num, missing = num[codes], missing[codes]
    else:
        num, missing, bad = _vector(values)
        if bad.any():
            i = int(bad.argmax())
            raise CountError(count_problem(str(values.iloc[i])), row=i, value=str(values.iloc[i]))
    return pd.Series(pd.arrays.IntegerArray(num, missing), index=values.index)
