"""Measures of disease occurrence, their units and rate values, as publishers write them.

* :func:`parse_measure`: ``prevalence`` (``Prævalens``, ``Prævalente``, ``Forekomst``, ``Prevalence``) or
  ``incidence`` (``Incidens``, ``Incidente``, ``Nye tilfælde``, ``Incidence``);
* :func:`parse_rate_unit`: a unit label → ``(unit, standardisation)``: ``("antal", "none")`` for counts
  (``Antal``, ``Antal personer``); ``("pr. 100.000", s)`` for rates per 100,000 (``Pr. 100.000 borgere``,
  ``Rate pr. 100.000 indbyggere``), ``s`` = ``"none"`` (crude: no word, ``rå``, ``ujusteret``), ``"age"``
  (``aldersstandardiseret``, ``aldersjusteret``) or ``"sex_age"`` (``køns- og aldersstandardiseret``);
* :func:`parse_rate`: a rate value: a non-negative number (cells of a workbook) or a text with a decimal
  comma or point (``12,5``, ``12.5``); ``..`` is *not published* (``None``). A text whose separator is
  followed by exactly three digits (``1.234``, ``1,234``) could be a thousands separator and is refused, as
  are negative, non-finite and other texts.

A value in no known form raises :class:`~klyngedata.exceptions.UnknownValue`; readers add file, sheet, row
and column.

Example
-------
>>> parse_measure("Prævalens"), parse_rate_unit("Køns- og aldersstandardiseret pr. 100.000 borgere")
('prevalence', ('pr. 100.000', 'sex_age'))
>>> parse_rate("1234,5"), parse_rate(87.25), parse_rate("..") is None
(1234.5, 87.25, True)
"""

from __future__ import annotations

import math
import re

import numpy as np

from klyngedata.exceptions import UnknownValue
from klyngedata.vocabulary.counts import MISSING_MARK

__all__ = ["COUNT_UNIT", "MEASURES", "MEASURE_DA", "RATE_UNIT", "STANDARDISATIONS", "parse_measure", "parse_rate",
           "parse_rate_unit"]

MEASURES = ("prevalence", "incidence")
MEASURE_DA = {"prevalence": "prævalens", "incidence": "incidens"}
COUNT_UNIT = "antal"
RATE_UNIT = "pr. 100.000"
STANDARDISATIONS = ("none", "age", "sex_age")

_MEASURE_TEXTS = {
    "prævalens": "prevalence", "prævalente": "prevalence", "prævalente tilfælde": "prevalence",
    "forekomst": "prevalence", "prevalence": "prevalence", "praevalens": "prevalence",
    "incidens": "incidence", "incidente": "incidence", "incidente tilfælde": "incidence",
    "nye tilfælde": "incidence", "incidence": "incidence",
}
_PER_100K = re.compile(r"(?:pr\.?|per)\s*100[.\s ]?000\b")
_RATE_TEXT = re.compile(r"^(\d+)(?:[.,](\d+))?$")


def parse_measure(value: object) -> str:
    """``"prevalence"`` or ``"incidence"`` for a measure label; else :class:`UnknownValue`.

    >>> parse_measure(" Incidens "), parse_measure("Nye tilfælde")
    ('incidence', 'incidence')
    """
    text = " ".join(str(value).split()).lower() if value is not None else ""
    if text in _MEASURE_TEXTS:
        return _MEASURE_TEXTS[text]
    raise UnknownValue(f"unknown measure {value!r} (expected e.g. Prævalens or Incidens)")


def parse_rate_unit(value: object) -> tuple[str, str]:
    """``(unit, standardisation)`` of a unit label (see the module docstring); else :class:`UnknownValue`.

    >>> parse_rate_unit("Antal"), parse_rate_unit("Aldersstandardiseret rate pr. 100.000 borgere")
    (('antal', 'none'), ('pr. 100.000', 'age'))
    """
    text = " ".join(str(value).split()).lower() if value is not None else ""
    if text == "antal" or text.startswith("antal "):
        return COUNT_UNIT, "none"
    if _PER_100K.search(text):
        compact = text.replace(" ", "")
        if "køns-ogalders" in compact or "kønsogalders" in compact or "køn-ogalders" in compact:
            return RATE_UNIT, "sex_age"
        if "alders" in compact:
            return RATE_UNIT, "age"
        if "standardiseret" in compact or "justeret" in compact.replace("ujusteret", ""):
            raise UnknownValue(f"unit {value!r}: a standardisation other than by age or by sex and age")
        return RATE_UNIT, "none"
    raise UnknownValue(f"unknown unit {value!r} (expected Antal or a rate pr. 100.000, crude, age- or "
                       "sex-and-age-standardised)")


def parse_rate(value: object) -> float | None:
    """A rate value as a float, ``None`` for ``..`` (not published); :class:`UnknownValue` otherwise.

    >>> parse_rate(12), parse_rate("0,75")
    (12.0, 0.75)
    """
    if isinstance(value, (bool, np.bool_)):
        raise UnknownValue(f"not a rate: {value!r}")
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        if not math.isfinite(number) or number < 0:
            raise UnknownValue(f"not a rate: {value!r} (a rate is a non-negative finite number)")
        return number
    text = "" if value is None else str(value).strip()
    if text == MISSING_MARK:
        return None
    m = _RATE_TEXT.match(text)
    if not m:
        raise UnknownValue(f"not a rate: {value!r} (expected a number such as 12,5)")
    if m.group(2) is not None and len(m.group(2)) == 3:
        raise UnknownValue(f"not a rate: {value!r} (the separator could be a thousands separator)")
    return float(m.group(1) + ("." + m.group(2) if m.group(2) else ""))
