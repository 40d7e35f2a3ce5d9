"""The Danish words for the units of a division, in one place: *sundhedsklynge / klyngen / klyngens* for the
2022 clusters, *sundhedsråd / rådet / rådets* for the councils from 2027, *klyngestyregruppe* for the 2019
steering groups.

The word is the registry's: each division has a ``unit_da`` (``divisions.csv``), and :func:`words` returns its
:class:`UnitWords` (every inflected form a sentence needs). Report texts are written once, with the cluster
words as placeholders, and :meth:`UnitWords.fill` puts in the division's words (capitalised placeholders give
capitalised words)::

    "{Klyngens} organisering"           -> "Klyngens organisering" | "Rådets organisering"
    "Befolkningen i {sundhedsklyngen}"  -> "... i sundhedsklyngen" | "... i sundhedsrådet"
    "{en} anden {klynge}"               -> "en anden klynge"       | "et andet råd"

Placeholders: ``sundhedsklynge, sundhedsklyngen, sundhedsklyngens, sundhedsklynger, sundhedsklyngerne,
sundhedsklyngernes, klynge, klyngen, klyngens, klynger, klyngerne, klyngernes, en, anden`` (and each
capitalised). No other module decides between the words with if/else: reports, index, maps and the CLI ask
this one.

Example
-------
>>> from klyngedata.registry.words import words
>>> words("sundhedsraad-2027").fill("{Klyngens} kommuner")
'Rådets kommuner'
>>> words("nordjylland-nord").definite
'klyngen'
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass

from klyngedata.exceptions import LookupFailed


@dataclass(frozen=True)
class UnitWords:
    """Inflected Danish forms of one kind of unit (formal = with *sundheds-*, short = without)."""

    unit: str                      # sundhedsklynge | sundhedsråd
    unit_definite: str             # sundhedsklyngen | sundhedsrådet
    unit_genitive: str             # sundhedsklyngens | sundhedsrådets
    units: str                     # sundhedsklynger | sundhedsråd
    units_definite: str            # sundhedsklyngerne | sundhedsrådene
    units_genitive: str            # sundhedsklyngernes | sundhedsrådenes
    short: str                     # klynge | råd
    definite: str                  # klyngen | rådet
    genitive: str                  # klyngens | rådets
    plural: str                    # klynger | råd
    plural_definite: str           # klyngerne | rådene
    plural_genitive: str           # klyngernes | rådenes
    article: str                   # en | et
    other: str                     # anden | andet

    @property
    def is_council(self) -> bool:
        """True for the sundhedsråd (councils from 2027)."""
        return self.unit == "sundhedsråd"

    def placeholders(self) -> dict[str, str]:
        """``{placeholder: word}`` for :meth:`fill`, lower-case and capitalised."""
        base = {
            "sundhedsklynge": self.unit, "sundhedsklyngen": self.unit_definite,
            "sundhedsklyngens": self.unit_genitive, "sundhedsklynger": self.units,
            "sundhedsklyngerne": self.units_definite, "sundhedsklyngernes": self.units_genitive,
            "klynge": self.short, "klyngen": self.definite, "klyngens": self.genitive, "klynger": self.plural,
            "klyngerne": self.plural_definite, "klyngernes": self.plural_genitive,
            "en": self.article, "anden": self.other,
        }
        return base | {_cap(k): _cap(v) for k, v in base.items()}

    def fill(self, template: str, **extra: str) -> str:
        """``template`` with the placeholders (``{klyngen}``, ``{Klyngens}`` …) replaced by this unit's words;
        ``extra`` adds placeholders of the caller (e.g. ``navn``).

        >>> words("sundhedsraad-2027").fill("{Klyngen} har {antal} kommuner", antal="7")
        'Rådet har 7 kommuner'
        """
        extra = extra | {_cap(k): _cap(v) for k, v in extra.items()}
        return template.format_map(self.placeholders() | extra)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


_CLUSTER = UnitWords(
    unit="sundhedsklynge", unit_definite="sundhedsklyngen", unit_genitive="sundhedsklyngens",
    units="sundhedsklynger", units_definite="sundhedsklyngerne", units_genitive="sundhedsklyngernes",
    short="klynge", definite="klyngen", genitive="klyngens", plural="klynger", plural_definite="klyngerne",
    plural_genitive="klyngernes", article="en", other="anden",
)
_COUNCIL = UnitWords(
    unit="sundhedsråd", unit_definite="sundhedsrådet", unit_genitive="sundhedsrådets",
    units="sundhedsråd", units_definite="sundhedsrådene", units_genitive="sundhedsrådenes",
    short="råd", definite="rådet", genitive="rådets", plural="råd", plural_definite="rådene",
    plural_genitive="rådenes", article="et", other="andet",
)
_STEERING_GROUP = UnitWords(
    unit="klyngestyregruppe", unit_definite="klyngestyregruppen", unit_genitive="klyngestyregruppens",
    units="klyngestyregrupper", units_definite="klyngestyregrupperne", units_genitive="klyngestyregruppernes",
    short="klyngestyregruppe", definite="klyngestyregruppen", genitive="klyngestyregruppens",
    plural="klyngestyregrupper", plural_definite="klyngestyregrupperne", plural_genitive="klyngestyregruppernes",
    article="en", other="anden",
)
WORDS: dict[str, UnitWords] = {"sundhedsklynge": _CLUSTER, "sundhedsråd": _COUNCIL,
                               "klyngestyregruppe": _STEERING_GROUP}
"""The words per ``unit_da`` of the registry's divisions."""


@functools.lru_cache(maxsize=64)
def _division_unit(key: str) -> str:
    from klyngedata import registry

    divs = registry.divisions()
    if key in set(divs["division"]):
        return str(divs.set_index("division").loc[key, "unit_da"])
    division = registry.division_of(key)
    if division is None:
        raise LookupFailed(f"Neither a division nor a unit id: {key!r}", list(divs["division"]))
    return str(divs.set_index("division").loc[division, "unit_da"])


def words(key: object = None) -> UnitWords:
    """The words for the units of a division, of a unit's division, or of today's division (``key=None``).

    ``key``: a division id (``"sundhedsraad-2027"``), a unit id (``"nordjylland-nord"``) or a
    :class:`~klyngedata.registry.Cluster`.

    >>> words("sundhedsklynger-2022").genitive, words("sundhedsraad-limfjorden").genitive
    ('klyngens', 'rådets')
    """
    unit_da = getattr(key, "unit_da", None)
    if unit_da is None:
        if key is None:
            from klyngedata import registry

            key = registry.resolve_division()
        unit_da = _division_unit(str(key))
    try:
        return WORDS[unit_da]
    except KeyError:
        raise LookupFailed(f"No Danish words for units of kind {unit_da!r}", sorted(WORDS)) from None


def division_name_da(division: str) -> str:
    """The Danish name of a division (never its id).

    >>> division_name_da("sundhedsraad-2027")
    'Sundhedsråd (fra 1. januar 2027)'
    """
    from klyngedata import registry

    return str(registry.division(division)["name"])


def division_validity_da(division: str) -> str:
    """When a division is valid, in Danish: ``"1. juli 2022 – 31. december 2026"`` or ``"fra 1. januar 2027"``.

    >>> division_validity_da("sundhedsklynger-2022")
    '1. juli 2022 – 31. december 2026'
    """
    import pandas as pd

    from klyngedata import registry
    from klyngedata.formatting import date_da

    d = registry.division(division)
    start = date_da(pd.Timestamp(d["valid_from"]).date())
    if pd.isna(d["valid_to"]):
        return f"fra {start}"
    return f"{start} – {date_da(pd.Timestamp(d['valid_to']).date())}"


def division_text_da(division: str) -> str:
    """Name and validity of a division in one Danish phrase (the validity once, even if the name has it).

    >>> division_text_da("sundhedsklynger-2022")
    'Sundhedsklynger (sundhedsloven § 203), 1. juli 2022 – 31. december 2026'
    >>> division_text_da("sundhedsraad-2027")
    'Sundhedsråd (fra 1. januar 2027)'
    """
    name, validity = division_name_da(division), division_validity_da(division)
    return name if validity in name else f"{name}, {validity}"


def as_dict(key: object = None) -> dict[str, str]:
    """The words of :func:`words` as a plain dict (e.g. for a notebook's recorded metadata)."""
    return asdict(words(key))
