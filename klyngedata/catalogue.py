"""The one catalogue of figures: ids, Danish labels, units and definitions.

Every figure klyngedata shows (population key figures from :mod:`klyngedata.keyfigures` and health
indicators from :mod:`klyngedata.indicators`) has exactly one entry here, so reports, tables and charts
use the same Danish label, unit and definition everywhere.

Entries are :class:`FigureDef` objects. Other modules add their entries with :func:`register` at import
time (registering an identical definition twice is a no-op; registering a *different* definition under an
existing id raises :class:`~klyngedata.exceptions.KlyngedataError` unless ``replace=True``).

Fields of a definition
----------------------
``figure_id``
    Stable ASCII id (``"share_65_plus"``), used as the key in every tidy table.
``label_da``
    Danish label shown to report readers (``"Andel 65 år og derover"``).
``unit``
    Danish unit shown to report readers (``"personer"``, ``"%"``, ``"år"``, ``"pr. 100 18-64-årige"``).
``definition_da``
    Danish definition, including the method (how shares, ratios, medians are computed).
``group``
    ``"population"`` (population key figures) or ``"health"`` (health indicators); free text is allowed
    for later groups.
``decimals``
    Number of decimals when displayed.
``requires``
    Data the figure needs beyond total population: ``"age"`` (age breakdown), ``"history"`` (earlier
    periods), ``"projection"`` (a population projection), ``"sex"``.
``higher_is_better``
    ``True`` / ``False`` / ``None`` (neutral). Used for colour scales; ``None`` for population figures.
``source_da``
    Short Danish source note (``"Danmarks Statistik (FOLK1A/FOLK1AM)"``).
``extra``
    Free mapping for owners' metadata (e.g. the indicators module's numerator/denominator, age group).

Example
-------
>>> from klyngedata import catalogue
>>> catalogue.figure("share_65_plus").label_da
'Andel 65 år og derover'
>>> catalogue.label("old_age_dependency")
'Ældrekvote (65+ pr. 100 18-64-årige)'
>>> "median_age" in catalogue.catalogue(group="population")["figure_id"].tolist()
True
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

import pandas as pd

from klyngedata.exceptions import KlyngedataError, LookupFailed

__all__ = [
    "FigureDef",
    "catalogue",
    "figure",
    "figure_ids",
    "label",
    "register",
    "unit",
]

_VALID_REQUIRES = {"age", "history", "projection", "sex"}


@dataclass(frozen=True)
class FigureDef:
    """Definition of one figure (see the module docstring for the meaning of each field).

    Example
    -------
    >>> FigureDef("population", "Befolkning", "personer", "Antal indbyggere.").decimals
    0
    """

    figure_id: str
    label_da: str
    unit: str
    definition_da: str
    group: str = "population"
    decimals: int = 0
    requires: tuple[str, ...] = ()
    higher_is_better: bool | None = None
    source_da: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        fid = self.figure_id
        if not fid or not fid.isascii() or not fid.replace("_", "").isalnum() or fid != fid.lower():
            raise KlyngedataError(
                f"catalogue: figure_id {fid!r} must be a non-empty lower-case ASCII id (letters, digits, '_')"
            )
        for name in ("label_da", "unit", "definition_da"):
            if not str(getattr(self, name)).strip():
                raise KlyngedataError(f"catalogue: figure {fid!r} needs a non-empty {name}")
        if not isinstance(self.decimals, int) or self.decimals < 0:
            raise KlyngedataError(f"catalogue: figure {fid!r}: decimals must be an int >= 0")
        requires = tuple(self.requires)
        unknown = set(requires) - _VALID_REQUIRES
        if unknown:
            raise KlyngedataError(
                f"catalogue: figure {fid!r}: unknown requires {sorted(unknown)}; "
                f"allowed {sorted(_VALID_REQUIRES)}"
            )
        object.__setattr__(self, "requires", requires)
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))

    def _key(self) -> tuple:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["extra"] = sorted((str(k), repr(v)) for k, v in self.extra.items())
        return tuple(sorted((k, repr(v)) for k, v in d.items()))


_REGISTRY: dict[str, FigureDef] = {}


def register(definition: FigureDef | None = None, /, *, replace: bool = False, **fields: Any) -> FigureDef:
    """Add a figure definition to the catalogue and return it.

    Pass either a :class:`FigureDef` or its fields as keywords. Re-registering an identical definition is
    a no-op (safe on module reload); a different definition under an existing id raises unless
    ``replace=True``.

    Example
    -------
    >>> d = register(figure_id="doctest_example", label_da="Eksempel", unit="%",
    ...              definition_da="Kun til dokumentation.", group="doctest", decimals=1)
    >>> figure("doctest_example").unit
    '%'
    >>> _ = _REGISTRY.pop("doctest_example")
    """
    if definition is None:
        definition = FigureDef(**fields)
    elif fields:
        raise TypeError("register(): pass either a FigureDef or keyword fields, not both")
    existing = _REGISTRY.get(definition.figure_id)
    if existing is not None and not replace and existing._key() != definition._key():
        raise KlyngedataError(
            f"catalogue: figure id {definition.figure_id!r} is already registered with a different "
            f"definition (group {existing.group!r}); use replace=True to override"
        )
    _REGISTRY[definition.figure_id] = definition
    return definition


def figure(figure_id: str) -> FigureDef:
    """Return the definition of ``figure_id``; raises :class:`LookupFailed` with close matches.

    Example
    -------
    >>> figure("median_age").unit
    'år'
    """
    _ensure_loaded()
    try:
        return _REGISTRY[figure_id]
    except KeyError:
        close = difflib.get_close_matches(str(figure_id), list(_REGISTRY), n=5, cutoff=0.5)
        raise LookupFailed(f"unknown figure id {figure_id!r} in the figure catalogue", close) from None


def label(figure_id: str) -> str:
    """Danish label of ``figure_id``.

    Example
    -------
    >>> label("population")
    'Befolkning'
    """
    return figure(figure_id).label_da


def unit(figure_id: str) -> str:
    """Danish unit of ``figure_id``.

    Example
    -------
    >>> unit("share_80_plus")
    '%'
    """
    return figure(figure_id).unit


def figure_ids(group: str | None = None) -> list[str]:
    """Ids in registration order, optionally only one ``group``.

    Example
    -------
    >>> figure_ids("population")[0]
    'population'
    """
    _ensure_loaded()
    return [k for k, v in _REGISTRY.items() if group is None or v.group == group]


def catalogue(group: str | None = None, ids: Iterable[str] | None = None) -> pd.DataFrame:
    """The catalogue as a DataFrame (one row per figure, registration order).

    Columns: ``figure_id, label_da, unit, definition_da, group, decimals, requires`` (comma-separated),
    ``higher_is_better, source_da``.

    Example
    -------
    >>> catalogue("population").set_index("figure_id").loc["share_0_17", "unit"]
    '%'
    """
    _ensure_loaded()
    wanted = list(ids) if ids is not None else figure_ids(group)
    rows = []
    for fid in wanted:
        d = figure(fid)
        if group is not None and d.group != group:
            continue
        rows.append(
            {
                "figure_id": d.figure_id,
                "label_da": d.label_da,
                "unit": d.unit,
                "definition_da": d.definition_da,
                "group": d.group,
                "decimals": d.decimals,
                "requires": ",".join(d.requires),
                "higher_is_better": d.higher_is_better,
                "source_da": d.source_da,
            }
        )
    cols = ["figure_id", "label_da", "unit", "definition_da", "group", "decimals", "requires",
            "higher_is_better", "source_da"]
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------------------------------
# Population key figures (owner: klyngedata.keyfigures)
# --------------------------------------------------------------------------------------------------

_POP_SOURCE = "Danmarks Statistik (FOLK1A/FOLK1AM)"
_PROJ_SOURCE = "Danmarks Statistik, befolkningsfremskrivning (FRKM)"

_MEDIAN_DEF = (
    "Medianalderen er den alder, som deler befolkningen i to lige store halvdele. Den beregnes ud fra "
    "etårige aldre: hver etårig aldersklasse a antages at dække intervallet [a; a+1) med personerne "
    "jævnt fordelt, og medianen findes ved lineær interpolation: median = a + (N/2 - K) / n(a), hvor N er "
    "hele befolkningen, K antallet under alder a, og a den alder, hvor den kumulerede befolkning når N/2. "
    "Med aldersgrupper bruges samme formel med gruppens bredde (højst fem år). Beregnes ikke, hvis medianen "
    "ligger i en åben aldersgruppe (fx 100+) eller i en gruppe bredere end fem år."
)


def _growth_def(years: int, pct: bool) -> str:
    what = "i procent" if pct else "i antal personer"
    return (
        f"Ændring i befolkningen over {years} år {what}: befolkningen i perioden minus befolkningen samme "
        f"måned/kvartal/år {years} år før" + (f", divideret med befolkningen {years} år før, gange 100" if pct
                                                 else "")
        + ". Vises ikke, hvis data ikke går så langt tilbage (der ekstrapoleres aldrig)."
    )


def _proj_def(group: str, years: int, pct: bool) -> str:
    what = "i procent" if pct else "i antal personer"
    return (
        f"Fremskrevet ændring af antallet af {group}-årige {what} fra fremskrivningens første år (basisåret) "
        f"til {years} år senere, begge tal fra samme befolkningsfremskrivning fra Danmarks Statistik."
    )


def _population_entries() -> list[FigureDef]:
    out = [
        FigureDef("population", "Befolkning", "personer",
                  "Antal indbyggere den 1. i perioden (folkeregistreret bopæl).", decimals=0,
                  source_da=_POP_SOURCE),
    ]
    for years in (1, 5, 10):
        out.append(FigureDef(
            f"growth_{years}y", f"Befolkningsudvikling, {years} år", "personer", _growth_def(years, False),
            decimals=0, requires=("history",), source_da=_POP_SOURCE))
        out.append(FigureDef(
            f"growth_{years}y_pct", f"Befolkningsudvikling, {years} år (%)", "%", _growth_def(years, True),
            decimals=1, requires=("history",), source_da=_POP_SOURCE))
    for fid, lo_hi, lab in (
        ("share_0_17", "0-17", "Andel 0-17 år"),
        ("share_18_64", "18-64", "Andel 18-64 år"),
        ("share_65_plus", "65+", "Andel 65 år og derover"),
        ("share_80_plus", "80+", "Andel 80 år og derover"),
    ):
        out.append(FigureDef(
            fid, lab, "%",
            f"Antal {lo_hi}-årige i procent af hele befolkningen (alder på opgørelsestidspunktet).",
            decimals=1, requires=("age",), source_da=_POP_SOURCE))
    for fid, lo_hi, lab in (
        ("pop_65_plus", "65+", "Befolkning 65 år og derover"),
        ("pop_80_plus", "80+", "Befolkning 80 år og derover"),
    ):
        out.append(FigureDef(fid, lab, "personer", f"Antal {lo_hi}-årige indbyggere.", decimals=0,
                             requires=("age",), source_da=_POP_SOURCE))
    out.append(FigureDef(
        "old_age_dependency", "Ældrekvote (65+ pr. 100 18-64-årige)", "pr. 100 18-64-årige",
        "Ældrekvote (old-age dependency ratio): antal personer på 65 år og derover pr. 100 personer i "
        "alderen 18-64 år, dvs. 100 x (65+) / (18-64). Bemærk: 18-64 år, ikke 15-64 år som i Eurostats "
        "definition.", decimals=1, requires=("age",), source_da=_POP_SOURCE))
    out.append(FigureDef("median_age", "Medianalder", "år", _MEDIAN_DEF, decimals=1, requires=("age",),
                         source_da=_POP_SOURCE))
    for group, gid in (("65+", "65_plus"), ("80+", "80_plus")):
        for years in (5, 10):
            out.append(FigureDef(
                f"proj_{gid}_change_{years}y", f"Fremskrevet ændring {group}-årige, {years} år", "personer",
                _proj_def(group, years, False), decimals=0, requires=("age", "projection"),
                source_da=_PROJ_SOURCE))
            out.append(FigureDef(
                f"proj_{gid}_change_{years}y_pct", f"Fremskrevet ændring {group}-årige, {years} år (%)", "%",
                _proj_def(group, years, True), decimals=1, requires=("age", "projection"),
                source_da=_PROJ_SOURCE))
    out.append(FigureDef(
        "age_pyramid_share", "Andel af befolkningen (aldersfordeling)", "%",
        "Antal personer af et køn i en femårig aldersgruppe i procent af hele befolkningen (begge køn).",
        decimals=1, requires=("age", "sex"), source_da=_POP_SOURCE))
    return out


_LOADED = False


def _ensure_loaded() -> None:
    """Register the built-in population entries, then let the indicators module add its own."""
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    for d in _population_entries():
        register(d)
    try:  # the health indicators register themselves on import (klyngedata.indicators)
        import klyngedata.indicators  # noqa: F401
    except ModuleNotFoundError as exc:  # not written yet / not installed: population figures only
        if exc.name != "klyngedata.indicators":
            raise


POPULATION_FIGURES: tuple[str, ...] = tuple(d.figure_id for d in _population_entries())
"""Ids of the population key figures, in display order."""
