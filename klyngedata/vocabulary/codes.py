"""Canonical code formats, normalised at every input.

* Municipality codes are 4-digit zero-padded strings, as in DAGI/DAWA: ``"0851"`` (Aalborg),
  ``"0101"`` (København). Statistics Denmark writes the same number with 3 digits (``851``).
* Region codes are the DAGI codes ``"1081"`` … ``"1085"``; Statistics Denmark's ``081`` … ``085``
  and the ISO-like ``81`` … ``85`` are accepted on input. A region with no official code is keyed by its
  registry id instead: Region Østdanmark (from 2027-01-01) is ``"oestdanmark"`` (no official code was found,
  so none is invented; see ``registry_data/SOURCES.md``). This *region key* is what tidy frames carry in
  ``region_code`` and, at region level, in ``entity_id``.

* Special areas: Denmark is ``"DK"`` (:data:`COUNTRY_ID`, "Hele landet"); Christiansø (``"0411"``,
  :data:`CHRISTIANSOE`) is no municipality and belongs to no unit, but Statistics Denmark counts it in Region
  Hovedstaden (:data:`CHRISTIANSOE_REGION`) and in Denmark. :func:`area_from_text` knows the names the
  sources give the country and the regions, in Danish and English.

These functions only check the *format*; whether a code exists is the registry's job
(:func:`klyngedata.registry.municipality`).

Example
-------
>>> normalize_municipality_code(851), normalize_municipality_code("0851"), normalize_municipality_code("851 Aalborg")
('0851', '0851', '0851')
>>> normalize_region_code("081")
'1081'
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

_CODE_RE = re.compile(r"^\s*(\d{1,4})(?:\s+.*)?$")

#: Regions without an official code, keyed by their registry id (Region Østdanmark from 2027-01-01).
UNCODED_REGIONS: tuple[str, ...] = ("oestdanmark",)

COUNTRY_ID = "DK"
"""``entity_id`` of Denmark in tidy frames."""
COUNTRY_NAME = "Hele landet"
"""Statistics Denmark's name for Denmark as a whole (Christiansø included)."""
CHRISTIANSOE = "0411"
"""Christiansø: no municipality, in no unit; counted in Region Hovedstaden and Denmark."""
CHRISTIANSOE_REGION = "1084"
"""The region Statistics Denmark counts Christiansø in (Region Hovedstaden)."""
CHRISTIANSOE_NAMES = frozenset({"christiansø", "christiansoe", "ertholmene"})

_COUNTRY_TEXTS = frozenset({"hele landet", "all denmark", "denmark", "danmark"})
_REGION_TEXTS = {
    "region hovedstaden": "1084", "capital region of denmark": "1084",
    "region sjælland": "1085", "region zealand": "1085",
    "region syddanmark": "1083", "region of southern denmark": "1083",
    "region midtjylland": "1082", "central denmark region": "1082",
    "region nordjylland": "1081", "north denmark region": "1081",
}


def area_from_text(text: str) -> tuple[str, str] | None:
    """``(level, code)`` for the country's, a region's or Christiansø's name as the sources write it, else
    ``None`` (municipality names are the registry's: :func:`klyngedata.registry.municipality`).

    >>> area_from_text("Hele landet"), area_from_text("Capital Region of Denmark"), area_from_text("Aalborg")
    (('country', 'DK'), ('region', '1084'), None)
    """
    low = str(text).strip().lower()
    if low in _COUNTRY_TEXTS:
        return "country", COUNTRY_ID
    if low in _REGION_TEXTS:
        return "region", _REGION_TEXTS[low]
    if low in CHRISTIANSOE_NAMES:
        return "municipality", CHRISTIANSOE
    return None


def normalize_municipality_code(value: object) -> str:
    """Return ``value`` as a 4-digit municipality code string.

    Accepts ints (``851``), floats with no fraction (``851.0``), strings with or without zero
    padding (``"851"``, ``"0851"``) and StatBank ``CodeAndValue`` cells (``"851 Aalborg"``).
    Raises :class:`ValueError` for anything else.
    """
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not a municipality code: {value!r}")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"not a municipality code: {value!r}")
        value = int(value)
    if isinstance(value, int):
        if not 0 < value < 1000:
            raise ValueError(f"municipality code out of range: {value!r}")
        return f"{value:04d}"
    m = _CODE_RE.match(str(value))
    if not m:
        raise ValueError(f"not a municipality code: {value!r}")
    number = int(m.group(1))
    if not 0 < number < 1000:
        raise ValueError(f"municipality code out of range: {value!r}")
    return f"{number:04d}"


def normalize_municipality_codes(values: Iterable[object] | pd.Series) -> pd.Series:
    """Vectorised :func:`normalize_municipality_code`; returns a string Series."""
    s = values if isinstance(values, pd.Series) else pd.Series(list(values))
    return s.map(normalize_municipality_code).astype("string")


def normalize_region_code(value: object) -> str:
    """Return a region key: a DAGI code (``"1081"`` … ``"1085"``) or the id of a region without one.

    Accepts ``1081``, ``"1081"``, ``"081"``, ``81`` and ``"081 Region Nordjylland"``; ``"oestdanmark"``
    (Region Østdanmark, no official code) is returned as it is.

    >>> normalize_region_code("OESTDANMARK")
    'oestdanmark'
    """
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not a region code: {value!r}")
    if isinstance(value, str) and value.strip().lower() in UNCODED_REGIONS:
        return value.strip().lower()
    m = _CODE_RE.match(str(int(value)) if isinstance(value, float) and value.is_integer() else str(value))
    if not m:
        raise ValueError(f"not a region code: {value!r}")
    number = int(m.group(1))
    if 81 <= number <= 85:
        number += 1000
    if not 1081 <= number <= 1085:
        raise ValueError(f"region code out of range: {value!r}")
    return str(number)


def dst_municipality_code(code: object) -> str:
    """Return the 3-digit form Statistics Denmark uses in requests (``"0851"`` -> ``"851"``)."""
    return str(int(normalize_municipality_code(code))).zfill(3)


def dst_region_code(code: object) -> str:
    """Return the StatBank form of a region code (``"1081"`` -> ``"081"``).

    Raises :class:`ValueError` for a region without an official code (Region Østdanmark).
    """
    key = normalize_region_code(code)
    if key in UNCODED_REGIONS:
        raise ValueError(f"region {key!r} has no official code, so no StatBank code is known")
    return f"{int(key) - 1000:03d}"
