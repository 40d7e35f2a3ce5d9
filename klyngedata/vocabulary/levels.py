"""Geographic levels: one set of names, one parser for what users and files call them.

Canonical names: ``municipality``, ``cluster`` (a unit of a division: a sundhedsklynge, a sundhedsråd or a
steering group), ``region``, ``country`` — the levels of every tidy frame — and, for boundary layers only,
``parish`` and ``postal_code``. Accepted: the English names (singular and plural), the Danish ones
(``kommune``, ``klynge``, ``sundhedsklynge``, ``sundhedsråd``, ``råd``, ``region``, ``land``, ``hele landet``,
``sogn``, ``postnummer`` …) and ``unit``.

Example
-------
>>> parse_level("Kommuner"), parse_level("sundhedsråd"), parse_level("hele landet")
('municipality', 'cluster', 'country')
>>> parse_level("sogn", allowed=BOUNDARY_LEVELS)
'parish'
"""

from __future__ import annotations

from collections.abc import Collection

from klyngedata.exceptions import UnknownValue

__all__ = ["BOUNDARY_LEVELS", "LEVELS", "LEVEL_DA", "parse_level"]

LEVELS = ("municipality", "cluster", "region", "country")
"""The levels of tidy frames, smallest first."""
BOUNDARY_LEVELS = ("municipality", "region", "parish", "postal_code")
"""The levels of DAGI boundary layers."""
LEVEL_DA = {"municipality": "kommune", "cluster": "enhed", "region": "region", "country": "hele landet",
            "parish": "sogn", "postal_code": "postnummer"}
"""Danish names of the levels (a unit's own word comes from its division: see ``registry.words``)."""

_ALIASES = {
    "municipality": "municipality", "municipalities": "municipality", "kommune": "municipality",
    "kommuner": "municipality",
    "cluster": "cluster", "clusters": "cluster", "unit": "cluster", "units": "cluster", "klynge": "cluster",
    "klynger": "cluster", "sundhedsklynge": "cluster", "sundhedsklynger": "cluster", "sundhedsråd": "cluster",
    "råd": "cluster", "council": "cluster", "councils": "cluster",
    "region": "region", "regions": "region", "regioner": "region",
    "country": "country", "land": "country", "national": "country", "denmark": "country", "danmark": "country",
    "hele landet": "country", "dk": "country",
    "parish": "parish", "parishes": "parish", "sogn": "parish", "sogne": "parish",
    "postal_code": "postal_code", "postal_codes": "postal_code", "postal": "postal_code",
    "postnummer": "postal_code", "postnumre": "postal_code",
}


def parse_level(value: object, *, allowed: Collection[str] = LEVELS) -> str:
    """The canonical name of a level; :class:`~klyngedata.exceptions.UnknownValue` (naming the levels
    ``allowed``) for anything else.

    >>> parse_level("region"), parse_level("postnumre", allowed=BOUNDARY_LEVELS)
    ('region', 'postal_code')
    """
    level = _ALIASES.get(str(value).strip().lower()) if isinstance(value, str) else None
    if level is None or level not in allowed:
        raise UnknownValue(f"unknown level {value!r}; use one of {', '.join(allowed)}")
    return level
