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
    ``True`` / ``False`` / ``None`` (neutral); kept in step with ``polarity``.
``polarity``, ``polarity_reason_da``
    ``"high_is_good"``, ``"low_is_good"`` or ``"neutral"`` (no direction is better), with the reason in
    Danish. Decides whether an outcome against a benchmark reads better/worse or higher/lower, and the
    words of a trend ("stigende og dårligere"). The polarity of every figure, and why, is written in this
    module (:data:`POLARITY` for the health indicators, :func:`_population_entries` for the population).
``ci_method``, ``ci_method_da``
    How the 95 % and 99.8 % confidence intervals are computed: ``"wilson"`` (share), ``"poisson"``
    (events per population), ``"gamma"`` (standardised rate) or ``None`` (no interval – then the
    Danish text says why and the figure is ``not_compared``). See :data:`CI_METHODS_DA`.
``comparable``
    ``False`` for figures that are never compared with the region and Denmark (counts of persons).
``trend_method``, ``trend_method_da``
    The test for trend (``"chi2_proportion"``, ``"poisson"``, ``"ols"`` or ``None`` with the reason). See
    :data:`TREND_METHODS_DA` and :mod:`klyngedata.stats.trend`.
``period_notes_da``
    Caveats per period label (e.g. the 2021 wave of Den Nationale Sundhedsprofil, collected under
    COVID-19 restrictions), named in trend notes.
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

import dataclasses
import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

import pandas as pd

from klyngedata.exceptions import KlyngedataError, LookupFailed
from klyngedata.mortality_defs import CHIANG_DA, DOBSON_DA, MORTALITY_FIGURES

__all__ = ["CI_METHODS_DA", "POLARITIES", "POLARITY", "STATISTICS", "TREND_METHODS_DA", "FigureDef", "catalogue",
           "figure", "figure_ids", "label", "register", "stats_spec", "unit"]

_VALID_REQUIRES = {"age", "history", "projection", "sex"}

POLARITIES = ("high_is_good", "low_is_good", "neutral")

CI_METHODS_DA = {
    "wilson": "Konfidensintervallet (95 % og 99,8 %) er beregnet efter Wilsons metode for en andel (score-interval "
              "for en binomialfordelt andel) ud fra tæller og nævner. Det udtrykker den tilfældige variation, som "
              "et tal bygget på et begrænset antal borgere har.",
    "poisson": "Konfidensintervallet (95 % og 99,8 %) er et eksakt Poisson-interval for antallet af hændelser "
               "(via chi²-fordelingen), divideret med nævneren. Bruges, når samme borger kan tælle flere gange.",
    "chiang": CHIANG_DA,  # life expectancy (klyngedata.mortality_defs)
    "dobson": DOBSON_DA,  # directly standardised death rates
    "gamma": "Direkte standardiseret rate: konfidensintervallet er beregnet med gammametoden (Fay & Feuer 1997), "
             "der behandler raten som en vægtet sum af Poisson-fordelte antal.",
}
"""Danish description of each interval method (``FigureDef.ci_method``)."""

TREND_METHODS_DA = {
    "chi2_proportion": "Udviklingen testes med en chi²-test for tendens i andele (Cochran-Armitage) over de "
                       "seneste op til 5 perioder; signifikansniveau 5 %.",
    "poisson": "Udviklingen testes med en chi²-test (scoretest) for tendens under antagelse af Poisson-variation "
               "over de seneste op til 5 perioder; signifikansniveau 5 %.",
    "ols": "Udviklingen testes med lineær regression af værdien på tid (t-test af hældningen) over de seneste "
           "op til 5 perioder; signifikansniveau 5 %. Stikprøvernes størrelse kendes ikke, så variationen "
           "vurderes ud fra målingernes spredning omkring linjen (forsigtigt, når der er få målinger).",
}
"""Danish description of each test for trend (``FigureDef.trend_method``)."""


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
    polarity: str | None = None
    polarity_reason_da: str = ""
    ci_method: str | None = None
    ci_method_da: str = ""
    comparable: bool = True
    trend_method: str | None = None
    trend_method_da: str = ""
    period_notes_da: Mapping[str, str] = field(default_factory=dict)

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
        object.__setattr__(self, "period_notes_da", MappingProxyType(dict(self.period_notes_da)))
        from_hib = {True: "high_is_good", False: "low_is_good", None: "neutral"}[self.higher_is_better]
        if self.polarity is None:
            object.__setattr__(self, "polarity", from_hib)
        elif self.polarity not in POLARITIES:
            raise KlyngedataError(f"catalogue: figure {fid!r}: polarity must be one of {POLARITIES}")
        elif self.higher_is_better is None and self.polarity != "neutral":
            object.__setattr__(self, "higher_is_better", self.polarity == "high_is_good")
        elif from_hib != self.polarity:
            raise KlyngedataError(f"catalogue: figure {fid!r}: higher_is_better={self.higher_is_better} "
                                  f"contradicts polarity {self.polarity!r}")
        if self.ci_method not in (None, *CI_METHODS_DA):
            raise KlyngedataError(f"catalogue: figure {fid!r}: ci_method must be one of {list(CI_METHODS_DA)}")
        if self.trend_method not in (None, *TREND_METHODS_DA):
            raise KlyngedataError(f"catalogue: figure {fid!r}: trend_method must be one of "
                                  f"{list(TREND_METHODS_DA)}")

    def _key(self) -> tuple:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["extra"] = sorted((str(k), repr(v)) for k, v in self.extra.items())
        d["period_notes_da"] = sorted(self.period_notes_da.items())
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
    definition = _with_statistics(definition)
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
    ``higher_is_better, source_da, polarity, polarity_reason_da, ci_method, ci_method_da, trend_method,
    trend_method_da, relevance_da, relevance_reason_da`` (the threshold of relevance, :mod:`klyngedata.relevance`).

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
        rows.append({**{c: getattr(d, c) for c in _COLUMNS if hasattr(d, c)}, "requires": ",".join(d.requires),
                     **_relevance_columns(fid)})
    return pd.DataFrame(rows, columns=_COLUMNS)


_COLUMNS = ["figure_id", "label_da", "unit", "definition_da", "group", "decimals", "requires", "higher_is_better",
            "source_da", "polarity", "polarity_reason_da", "ci_method", "ci_method_da", "trend_method",
            "trend_method_da", "relevance_da", "relevance_reason_da"]


def _relevance_columns(figure_id: str) -> dict[str, str]:
    from klyngedata.relevance import threshold  # the thresholds of relevance (klyngedata.relevance)

    r = threshold(figure_id)
    return {"relevance_da": r.describe_da(), "relevance_reason_da": r.reason_da}


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


_POP_POLARITY_DA = (
    "Befolkningens størrelse og sammensætning er vilkår for planlægningen – ikke et resultat, der er godt eller "
    "dårligt – så tallet bedømmes ikke som bedre eller dårligere, kun som højere eller lavere."
)
_COUNT_DA = dict(
    comparable=False,
    ci_method_da="Et antal personer fra Danmarks Statistiks optælling af hele befolkningen; der beregnes ikke et "
                 "konfidensinterval, og antallet sammenlignes ikke med regionens og landets antal, som dækker "
                 "flere borgere.",
    trend_method="poisson",
)
_CHANGE_DA = dict(
    ci_method_da="Befolkningsudviklingen er en optælling af hele befolkningen på to tidspunkter; der beregnes ikke "
                 "et konfidensinterval, så tallet vises uden vurdering af, om forskellen til regionen og landet er "
                 "tilfældig.",
    trend_method_da="Udviklingen er selv en ændring over tid; se udviklingen i befolkningstallet.",
)
_SHARE_STATS = dict(ci_method="wilson", trend_method="chi2_proportion")


def _population_entries() -> list[FigureDef]:
    """The population key figures, each with its polarity (neutral, see :data:`_POP_POLARITY_DA`) and its
    interval and trend methods."""
    pop = dict(polarity="neutral", polarity_reason_da=_POP_POLARITY_DA, source_da=_POP_SOURCE)
    out = [
        FigureDef("population", "Befolkning", "personer",
                  "Antal indbyggere den 1. i perioden (folkeregistreret bopæl).", decimals=0, **pop, **_COUNT_DA),
    ]
    for years in (1, 5, 10):
        out.append(FigureDef(
            f"growth_{years}y", f"Befolkningsudvikling, {years} år", "personer", _growth_def(years, False),
            decimals=0, requires=("history",), comparable=False, **pop, **_CHANGE_DA))
        out.append(FigureDef(
            f"growth_{years}y_pct", f"Befolkningsudvikling, {years} år (%)", "%", _growth_def(years, True),
            decimals=1, requires=("history",), **pop, **_CHANGE_DA))
    for fid, lo_hi, lab in (
        ("share_0_17", "0-17", "Andel 0-17 år"),
        ("share_18_64", "18-64", "Andel 18-64 år"),
        ("share_65_plus", "65+", "Andel 65 år og derover"),
        ("share_80_plus", "80+", "Andel 80 år og derover"),
    ):
        out.append(FigureDef(
            fid, lab, "%",
            f"Antal {lo_hi}-årige i procent af hele befolkningen (alder på opgørelsestidspunktet).",
            decimals=1, requires=("age",), **pop, **_SHARE_STATS))
    for fid, lo_hi, lab in (
        ("pop_65_plus", "65+", "Befolkning 65 år og derover"),
        ("pop_80_plus", "80+", "Befolkning 80 år og derover"),
    ):
        out.append(FigureDef(fid, lab, "personer", f"Antal {lo_hi}-årige indbyggere.", decimals=0,
                             requires=("age",), **pop, **_COUNT_DA))
    out.append(FigureDef(
        "old_age_dependency", "Ældrekvote (65+ pr. 100 18-64-årige)", "pr. 100 18-64-årige",
        "Ældrekvote (old-age dependency ratio): antal personer på 65 år og derover pr. 100 personer i "
        "alderen 18-64 år, dvs. 100 x (65+) / (18-64). Bemærk: 18-64 år, ikke 15-64 år som i Eurostats "
        "definition.", decimals=1, requires=("age",), ci_method="poisson", trend_method="poisson", **pop))
    out.append(FigureDef(
        "median_age", "Medianalder", "år", _MEDIAN_DEF, decimals=1, requires=("age",), **pop,
        ci_method_da="Der beregnes ikke et konfidensinterval for medianalderen (den er beregnet af grupperede "
                     "aldre), så den sammenlignes ikke med regionen og landet.",
        trend_method_da="Der testes ikke for udvikling i medianalderen (usikkerheden kendes ikke)."))
    for group, gid in (("65+", "65_plus"), ("80+", "80_plus")):
        for years in (5, 10):
            for pct in (False, True):
                out.append(FigureDef(
                    f"proj_{gid}_change_{years}y" + ("_pct" if pct else ""),
                    f"Fremskrevet ændring {group}-årige, {years} år" + (" (%)" if pct else ""),
                    "%" if pct else "personer", _proj_def(group, years, pct), decimals=1 if pct else 0,
                    requires=("age", "projection"), polarity="neutral", polarity_reason_da=_POP_POLARITY_DA,
                    source_da=_PROJ_SOURCE, comparable=False,
                    ci_method_da="En fremskrivning er en modelberegning; Danmarks Statistik offentliggør ikke "
                                 "dens usikkerhed, så den sammenlignes ikke med regionen og landet.",
                    trend_method_da="En fremskrivning testes ikke for udvikling."))
    out.append(FigureDef(
        "age_pyramid_share", "Andel af befolkningen (aldersfordeling)", "%",
        "Antal personer af et køn i en femårig aldersgruppe i procent af hele befolkningen (begge køn).",
        decimals=1, requires=("age", "sex"), ci_method="wilson", **pop,
        trend_method_da="Aldersfordelingen vises for én periode ad gangen."))
    return out


# --------------------------------------------------------------------------------------------------
# Health indicators: polarity and statistical methods (the definitions are registered by
# klyngedata.indicators; what is better, and how intervals and trends are computed, is decided here)
# --------------------------------------------------------------------------------------------------

_LOW_ADMISSIONS = ("Indlæggelser, der kunne være undgået med en tidlig indsats i kommunen og almen praksis; "
                   "færre er bedre.")
_LOW_READMISSIONS = ("En akut genindlæggelse kort efter udskrivning tyder ofte på et utilstrækkeligt forløb eller "
                     "opfølgning; færre er bedre.")
_LOW_DAYS = ("Dage, hvor en færdigbehandlet patient venter på at komme videre, belaster borgeren og sygehuset; "
             "færre er bedre.")
_NEUTRAL_USE = ("Brug af sundhedsvæsenet afspejler både borgernes behov og adgangen til tilbuddet; et højere tal "
                "er hverken godt eller dårligt i sig selv.")
_SURVEY_RISK = "Andelen beskriver en sundhedsrisiko; en lavere andel er bedre."

POLARITY: dict[str, tuple[str, str]] = {
    "forebyggelige_indlaeggelser_65": ("low_is_good", _LOW_ADMISSIONS),
    "genindlaeggelser_somatik_30d": ("low_is_good", _LOW_READMISSIONS),
    "genindlaeggelser_psykiatri_30d": ("low_is_good", _LOW_READMISSIONS),
    "faerdigbehandlingsdage_somatik": ("low_is_good", _LOW_DAYS),
    "faerdigbehandlingsdage_psykiatri": ("low_is_good", _LOW_DAYS),
    "ventetid_almen_genoptraening": ("low_is_good", "Kortere ventetid til genoptræning er bedre for borgeren."),
    "genoptraeningsplaner_almen": ("neutral", "Flere genoptræningsplaner kan afspejle flere borgere med behov "
                                              "eller en bedre henvisningspraksis; ingen retning er bedre."),
    "kronisk_sygdom_prevalens": ("neutral", "En højere andel kan skyldes mere sygdom, men også bedre opsporing og "
                                           "længere overlevelse; andelen bedømmes ikke som god eller dårlig."),
    "sygehuskontakt_pct": ("neutral", _NEUTRAL_USE),
    "laegekontakt_pct": ("neutral", _NEUTRAL_USE),
    "hjemmesygepleje_pr_1000": ("neutral", "Flere modtagere kan afspejle flere ældre og syge borgere, men også at "
                                           "kommunen behandler flere i eget hjem; ingen retning er bedre."),
    "recepter_pr_100": ("neutral", "Hvilken lægemiddelgruppe der er talt, er ikke bekræftet, så en retning kan "
                                   "ikke fastlægges."),
    "sundhedsprofil_selvvurderet_helbred": ("high_is_good", "En højere andel med godt selvvurderet helbred er "
                                                            "bedre."),
    "sundhedsprofil_mentalt_helbred": ("low_is_good", "Andelen med dårligt mentalt helbred; lavere er bedre."),
    "sundhedsprofil_rygning": ("low_is_good", _SURVEY_RISK),
    "sundhedsprofil_alkohol": ("low_is_good", _SURVEY_RISK),
    "sundhedsprofil_fysisk_aktivitet": ("low_is_good", "Andelen, der er mindre fysisk aktive end WHO anbefaler; "
                                                       "lavere er bedre."),
    "sundhedsprofil_kost": ("low_is_good", _SURVEY_RISK),
    "sundhedsprofil_svaer_overvaegt": ("low_is_good", _SURVEY_RISK),
    "sundhedsprofil_ensomhed": ("low_is_good", "Andelen, der ofte føler sig uønsket alene; lavere er bedre."),
    "sundhedsprofil_social_stoette": ("low_is_good", "Andelen med begrænset social støtte; lavere er bedre."),
}
"""Polarity of each health indicator with the reason (Danish)."""

_PUBLISHED = " Tælleren er beregnet som den offentliggjorte rate x kommunens folketal (Danmarks Statistik)."
_DAYS_NO_CI = ("Der beregnes ikke et konfidensinterval: dagene hænger sammen inden for samme forløb, og antallet af "
               "forløb kendes ikke, så et Poisson-interval ville være for smalt.")
_SURVEY_NO_CI = ("Den Nationale Sundhedsprofil offentliggør kommunernes andele uden antal svarpersoner, så "
                 "usikkerheden (konfidensintervallet) kan ikke beregnes, og andelen sammenlignes ikke statistisk med "
                 "regionen og landet.")
SURVEY_PERIOD_NOTES_DA = {"2021": "målingen blev indsamlet under covid-19-restriktioner og er et usikkert "
                                  "sammenligningsgrundlag"}
"""Caveats per wave of Den Nationale Sundhedsprofil (named in trend notes)."""

STATISTICS: dict[str, dict[str, Any]] = {
    "forebyggelige_indlaeggelser_65": dict(ci_method="poisson", trend_method="poisson"),
    "genindlaeggelser_somatik_30d": dict(ci_method="wilson", trend_method="chi2_proportion"),
    "genindlaeggelser_psykiatri_30d": dict(ci_method="wilson", trend_method="chi2_proportion"),
    "faerdigbehandlingsdage_somatik": dict(ci_method_da=_DAYS_NO_CI, trend_method="ols"),
    "faerdigbehandlingsdage_psykiatri": dict(ci_method_da=_DAYS_NO_CI, trend_method="ols"),
    "ventetid_almen_genoptraening": dict(
        ci_method_da="Der beregnes ikke et konfidensinterval for en gennemsnitlig ventetid uden de enkelte "
                     "forløbs ventetider.", trend_method="ols"),
    "genoptraeningsplaner_almen": dict(ci_method="poisson", trend_method="poisson"),
    "kronisk_sygdom_prevalens": dict(ci_method="wilson", trend_method="chi2_proportion"),
    "sygehuskontakt_pct": dict(ci_method="wilson", ci_method_da=CI_METHODS_DA["wilson"] + _PUBLISHED,
                               trend_method="chi2_proportion"),
    "laegekontakt_pct": dict(ci_method="wilson", ci_method_da=CI_METHODS_DA["wilson"] + _PUBLISHED,
                             trend_method="chi2_proportion"),
    "hjemmesygepleje_pr_1000": dict(ci_method="wilson", ci_method_da=CI_METHODS_DA["wilson"] + _PUBLISHED,
                                    trend_method="chi2_proportion"),
    "recepter_pr_100": dict(ci_method="poisson", ci_method_da=CI_METHODS_DA["poisson"] + _PUBLISHED,
                            trend_method="poisson"),
    **{fid: dict(ci_method_da=_SURVEY_NO_CI, trend_method="ols", period_notes_da=SURVEY_PERIOD_NOTES_DA)
       for fid in POLARITY if fid.startswith("sundhedsprofil_")},
}
"""Interval and trend method of each health indicator (see :data:`CI_METHODS_DA`, :data:`TREND_METHODS_DA`)."""


def _with_statistics(d: FigureDef) -> FigureDef:
    """Fill polarity and statistical methods from this module's tables and default method texts."""
    changes: dict[str, Any] = {}
    if d.figure_id in POLARITY and not d.polarity_reason_da:
        pol, reason = POLARITY[d.figure_id]
        if d.higher_is_better is not None and d.polarity != pol:
            raise KlyngedataError(f"catalogue: figure {d.figure_id!r} is registered with higher_is_better="
                                  f"{d.higher_is_better}, but the catalogue's polarity is {pol!r}")
        changes.update(polarity=pol, polarity_reason_da=reason,
                       higher_is_better={"high_is_good": True, "low_is_good": False}.get(pol))
    if d.figure_id in STATISTICS and d.ci_method is None and not d.ci_method_da and d.trend_method is None:
        changes.update(STATISTICS[d.figure_id])
    ci_method = changes.get("ci_method", d.ci_method)
    if ci_method is not None and not changes.get("ci_method_da", d.ci_method_da):
        changes["ci_method_da"] = CI_METHODS_DA[ci_method]
    trend_method = changes.get("trend_method", d.trend_method)
    if trend_method is not None and not changes.get("trend_method_da", d.trend_method_da):
        changes["trend_method_da"] = TREND_METHODS_DA[trend_method]
    if not changes:
        return d
    if "higher_is_better" in changes:
        d = dataclasses.replace(d, higher_is_better=changes["higher_is_better"], polarity=changes["polarity"])
    return dataclasses.replace(d, **changes)


def stats_spec(figure_id: str) -> Any:
    """How a figure gets its interval, benchmark outcomes and trend, as a
    :class:`klyngedata.stats.FigureStats` built from its catalogue entry.

    Example
    -------
    >>> s = stats_spec("share_65_plus")
    >>> s.ci_method, s.per, s.polarity, s.trend_method
    ('wilson', 100.0, 'neutral', 'chi2_proportion')
    """
    from klyngedata.stats import FigureStats

    d = figure(figure_id)
    per = float(d.extra.get("per", 100.0 if d.unit.startswith("%") else 1.0))
    if d.unit.startswith("pr. 100 "):
        per = 100.0
    return FigureStats(
        polarity=d.polarity or "neutral",
        ci_method=d.ci_method if d.ci_method in ("wilson", "poisson") else ("given" if d.ci_method else None),
        per=per,
        no_ci_da=d.ci_method_da if d.ci_method is None else "",
        comparable=d.comparable,
        no_compare_da=d.ci_method_da if not d.comparable else "",
        trend_method=d.trend_method,
        trend_exposure=d.unit != "personer",  # a count of persons is a plain count series
        no_trend_da=d.trend_method_da if d.trend_method is None else "",
        caveats=dict(d.period_notes_da),
    )


_LOADED = False


def _ensure_loaded() -> None:
    """Register the built-in population entries, then the health indicators' definitions."""
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    for d in _population_entries():
        register(d)
    from klyngedata.health_defs import catalogue_entries
    from klyngedata.indicator_defs import INDICATORS

    for ind in INDICATORS.values():
        register(
            figure_id=ind.id, label_da=ind.label_da, unit=ind.unit, definition_da=ind.definition_da,
            group="health", decimals=ind.decimals, higher_is_better=ind.higher_is_better,
            source_da=ind.source_da,
            extra={"numerator_da": ind.numerator_da, "denominator_da": ind.denominator_da,
                   "population_group": ind.population_group, "kind": ind.kind, "per": ind.per,
                   "verified": ind.verified, "bounded": ind.bounded},
        )
    for fields_ in MORTALITY_FIGURES:  # life expectancy and mortality (klyngedata.mortality)
        register(**fields_)
    for entry in catalogue_entries():  # the indicators of fetched StatBank tables (klyngedata.health_defs)
        register(**entry)


POPULATION_FIGURES: tuple[str, ...] = tuple(d.figure_id for d in _population_entries())
"""Ids of the population key figures, in display order."""
