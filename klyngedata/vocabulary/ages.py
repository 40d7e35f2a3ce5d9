"""Ages as the sources write them: single years, 5-year and irregular bands, open top groups and totals.

An age is an :class:`AgeBand` ``(lo, hi)`` of whole years, both inclusive, ``hi=None`` for an open top group;
a single year is a band of width one; the all-ages total is ``None``. Accepted on input:

* numbers ``7``, ``7.0``; codes ``7``, ``0-4``, ``85-`` (open), ``85+``; totals ``IALT``, ``TOT``;
* Danish texts ``7 år``, ``0-4 år``, ``0 til 4 år``, ``85 år og derover``, ``85 år og over``, ``under 65 år``,
  ``Under 1 år``, ``Alder i alt``, ``I alt``, ``Alle aldre``;
* English texts ``7 years``, ``0-4 years``, ``85 years and over``, ``85 years or more``, ``under 65 years``,
  ``Age, total``, ``Total``, ``All ages``;
* ``CodeAndValue`` cells (``IALT Alder i alt``, ``7 7 år``, ``100- 100 år og derover``): code and text must agree.

Anything else (``Uoplyst alder``, ``voksne``) is :class:`~klyngedata.exceptions.UnknownValue`.

Groups are built from bands only where the band edges allow it: :func:`compose` returns the bands that make up
a group exactly or refuses naming the edges that exist. The arithmetic on counts by age (sums, median) is in
:mod:`klyngedata.stats.ages`.

Example
-------
>>> parse_age("0-4 år"), parse_age("85-"), parse_age("Under 65 år"), parse_age("Alder i alt")
(AgeBand(lo=0, hi=4), AgeBand(lo=85, hi=None), AgeBand(lo=0, hi=64), None)
>>> AgeBand(65, None).label, AgeBand(0, 4).label_da
('65+', '0-4 år')
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from klyngedata.exceptions import UnknownValue
from klyngedata.vocabulary.totals import TOTAL_IDS, TOTAL_TEXTS

__all__ = ["AgeBand", "AgeGroupError", "ages_da", "compose", "edges", "is_age_total", "parse_age",
           "parse_age_group"]

_TOTALS = TOTAL_TEXTS | {t.lower() for t in TOTAL_IDS} | {"age total"}
_SINGLE = re.compile(r"^(\d{1,3})(?:\s*(?:år|years?))?$", re.IGNORECASE)
_BAND = re.compile(r"^(\d{1,3})\s*(?:-|–|—|til|to)\s*(\d{1,3})(?:\s*(?:år|years?))?$", re.IGNORECASE)
_OPEN = re.compile(
    r"^(\d{1,3})\s*(?:-|\+|\+\s*(?:år|years?)|(?:år|years?)\s*\+|år og derover|år og over|og derover|"
    r"years and over|years or more|years and older|and over|plus)$", re.IGNORECASE)
_UNDER = re.compile(r"^under\s+(\d{1,3})(?:\s*(?:år|years?))?$", re.IGNORECASE)


class AgeGroupError(UnknownValue):
    """An age group cannot be built exactly from the bands a source has (names the group and the edges)."""


@dataclass(frozen=True, order=True)
class AgeBand:
    """Whole years ``lo`` … ``hi`` (inclusive); ``hi=None`` is an open top group (``85+``)."""

    lo: int
    hi: int | None

    def __post_init__(self) -> None:
        if self.lo < 0 or (self.hi is not None and self.hi < self.lo):
            raise UnknownValue(f"not an age band: {self.lo}-{self.hi}")

    @property
    def is_open(self) -> bool:
        """True for an open top group such as ``85+``."""
        return self.hi is None

    @property
    def label(self) -> str:
        """Canonical label in tidy frames: ``7``, ``0-4``, ``85+``.

        >>> AgeBand(7, 7).label, AgeBand(0, 4).label, AgeBand(85, None).label
        ('7', '0-4', '85+')
        """
        if self.hi is None:
            return f"{self.lo}+"
        return str(self.lo) if self.hi == self.lo else f"{self.lo}-{self.hi}"

    @property
    def label_da(self) -> str:
        """The band as a Danish reader reads it: ``7 år``, ``0-4 år``, ``85 år og derover``."""
        if self.hi is None:
            return f"{self.lo} år og derover"
        return f"{self.lo} år" if self.hi == self.lo else f"{self.lo}-{self.hi} år"

    def contains(self, other: AgeBand) -> bool:
        """True when every age of ``other`` is in this band.

        >>> AgeBand(65, None).contains(AgeBand(80, 84)), AgeBand(0, 4).contains(AgeBand(3, 7))
        (True, False)
        """
        top = float("inf") if self.hi is None else self.hi
        other_top = float("inf") if other.hi is None else other.hi
        return self.lo <= other.lo and other_top <= top


def _number(value: object) -> AgeBand | None:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return AgeBand(int(value), int(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer() and value >= 0:
        return AgeBand(int(value), int(value))
    return None


def _text(s: str) -> AgeBand | None | bool:
    """A band, ``None`` for the total, ``False`` when ``s`` is no age form at all."""
    low = s.strip().lower()
    if low in _TOTALS:
        return None
    if m := _SINGLE.match(low):
        return AgeBand(int(m.group(1)), int(m.group(1)))
    if m := _BAND.match(low):
        return AgeBand(int(m.group(1)), int(m.group(2)))
    if m := _OPEN.match(low):
        return AgeBand(int(m.group(1)), None)
    if m := _UNDER.match(low):
        top = int(m.group(1)) - 1
        return AgeBand(0, top) if top >= 0 else False
    return False


def parse_age(value: object) -> AgeBand | None:
    """The :class:`AgeBand` of an age cell or label, ``None`` for the all-ages total.

    >>> parse_age(7), parse_age("7 7 år"), parse_age("100- 100 år og derover"), parse_age("IALT Alder i alt")
    (AgeBand(lo=7, hi=7), AgeBand(lo=7, hi=7), AgeBand(lo=100, hi=None), None)
    >>> parse_age("90 years and over"), parse_age("0-4 years")
    (AgeBand(lo=90, hi=None), AgeBand(lo=0, hi=4))
    """
    if isinstance(value, AgeBand):
        return value
    if (band := _number(value)) is not None:
        return band
    if value is None or isinstance(value, (bool, float)):
        raise UnknownValue(f"unknown age {value!r}")
    s = str(value).strip()
    found = _text(s)
    if found is not False:
        return found
    parts = s.split(" ", 1)
    if len(parts) == 2:
        code, text = _text(parts[0]), _text(parts[1])
        if code is not False and text is not False:
            if code != text:
                raise UnknownValue(f"code {parts[0]!r} and text {parts[1]!r} disagree: {value!r}")
            return code
    raise UnknownValue(f"unknown age {value!r} (expected a single year such as 7, a band such as 0-4 or 85+, "
                       "or the total)")


def is_age_total(value: object) -> bool:
    """True when ``value`` names all ages (``IALT``, ``Alder i alt``, ``Total`` …).

    >>> is_age_total("Alder i alt"), is_age_total("65+")
    (True, False)
    """
    try:
        return parse_age(value) is None
    except UnknownValue:
        return False


def parse_age_group(value: object) -> str:
    """Canonical age-group label of a tidy frame: ``"total"`` or the band's :attr:`AgeBand.label`.

    >>> parse_age_group("I alt"), parse_age_group("65 år og derover"), parse_age_group("0 - 64")
    ('total', '65+', '0-64')
    """
    band = parse_age(value)
    return "total" if band is None else band.label


def edges(bands: Iterable[AgeBand]) -> list[int]:
    """Every age at which a band starts or after which one ends (``hi + 1``): the cuts a group can use.

    >>> edges([AgeBand(0, 0), AgeBand(1, 4), AgeBand(5, 64), AgeBand(65, None)])
    [0, 1, 5, 65]
    """
    cuts = set()
    for b in bands:
        cuts.add(b.lo)
        if b.hi is not None:
            cuts.add(b.hi + 1)
    return sorted(cuts)


def compose(group: AgeBand, bands: Sequence[AgeBand]) -> list[AgeBand]:
    """The bands of ``bands`` that make up ``group`` exactly; :class:`AgeGroupError` naming the edges when a
    band straddles one of the group's limits or a part of the group is not covered.

    >>> compose(AgeBand(65, None), [AgeBand(0, 64), AgeBand(65, 79), AgeBand(80, None)])
    [AgeBand(lo=65, hi=79), AgeBand(lo=80, hi=None)]
    >>> compose(AgeBand(67, None), [AgeBand(60, 64), AgeBand(65, 69), AgeBand(70, None)])
    Traceback (most recent call last):
    ...
    klyngedata.vocabulary.ages.AgeGroupError: age group 67+ cannot be built from the bands 60-64, 65-69, 70+: \
a band straddles age 67 (band edges: 60, 65, 70)
    """
    inside = sorted(b for b in bands if group.contains(b))
    straddling = [b for b in bands if not group.contains(b) and _overlaps(group, b)]
    shown = ", ".join(b.label for b in sorted(set(bands)))
    cuts = ", ".join(str(e) for e in edges(bands))
    if straddling:
        b = straddling[0]
        at = group.lo if b.lo < group.lo else (group.hi + 1 if group.hi is not None else b.lo)
        raise AgeGroupError(f"age group {group.label} cannot be built from the bands {shown}: a band straddles "
                            f"age {at} (band edges: {cuts})")
    covered = group.lo
    for b in inside:
        if b.lo != covered:
            raise AgeGroupError(f"age group {group.label} cannot be built from the bands {shown}: ages "
                                f"{covered}-{b.lo - 1} are not covered (band edges: {cuts})")
        if b.hi is None:
            covered = None
            break
        covered = b.hi + 1
    complete = covered is None if group.hi is None else (covered is not None and covered > group.hi)
    if not complete:
        rest = f"{covered}+" if group.hi is None else f"{covered}-{group.hi}"
        raise AgeGroupError(f"age group {group.label} cannot be built from the bands {shown}: ages {rest} are not "
                            f"covered (band edges: {cuts})")
    return inside


def _overlaps(a: AgeBand, b: AgeBand) -> bool:
    a_top = float("inf") if a.hi is None else a.hi
    b_top = float("inf") if b.hi is None else b.hi
    return a.lo <= b_top and b.lo <= a_top


def ages_da(ages: Iterable[int], open_from: int | None = None) -> str:
    """Single years (and an open top from ``open_from``) as a Danish reader reads them, runs joined.

    >>> ages_da([38]), ages_da([38, 39, 40, 45]), ages_da([], open_from=100)
    ('alder 38 år', 'alder 38-40 år og 45 år', 'alder 100 år og derover')
    """
    years = sorted(set(int(a) for a in ages))
    bands: list[AgeBand] = []
    for a in years:
        if bands and bands[-1].hi == a - 1:
            bands[-1] = AgeBand(bands[-1].lo, a)
        else:
            bands.append(AgeBand(a, a))
    if open_from is not None:
        bands.append(AgeBand(open_from, None))
    words = [b.label_da for b in bands]
    return "alder " + (words[0] if len(words) == 1 else f"{', '.join(words[:-1])} og {words[-1]}")
