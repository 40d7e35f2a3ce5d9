"""The catalogue of the health indicators klyngedata computes from the StatBank tables it fetches itself.

Each :class:`HealthFigure` says what a figure is (Danish label, definition, numerator, denominator, unit),
where its numerator comes from (a table of :mod:`klyngedata.dst.health_tables` and the stable key of one of its
measures, and the age group built from the table's bands), what it is divided by, how it pools to units,
regions and Denmark, which direction is better and why, how its interval and trend are computed, and from which
difference it is worth naming (its threshold of relevance). :mod:`klyngedata.catalogue` registers every entry
(group ``"health"``, ``extra["kind"] == "statbank"``); :mod:`klyngedata.health` computes them.

How the figures pool (``kind``)
    ``ratio``  numerator and denominator are counts of persons (or contacts): a unit, a region and Denmark are the
               **sums of their municipalities' counts**, and the value is the pooled numerator over the pooled
               denominator (never an average of the members' rates). A member without a count makes the sum
               missing with a Danish reason (never a partial sum).
    ``count``  a count of persons pooled the same way (deaths, live births); never compared with the region's
               and Denmark's larger counts.
    ``not_additive``  life expectancy (HISBK): shown for each municipality and for Denmark (the table's own row);
               a unit's or region's life expectancy is not an average of its municipalities' – it needs a life
               table over deaths and population by age – so it is missing there with the reason.
    ``projection``  Statistics Denmark's newest active projection (FRKM1yy) by single years of age, pooled as
               counts (public population statistics: not disclosure-controlled, no interval, no trend).

Denominators
    ``population``: the population on 1 January of the data year in the figure's age group, built exactly from
    the population's age bands (FOLK1A/FOLK1AM single years, else FOLK1B's 5-year bands) with
    :func:`klyngedata.vocabulary.compose`, or missing with the edges the bands have; ``table:<measure>``: a
    measure of the same table (SBR01's persons, counted at the end of the year like its patients); ``none``: a
    count.

Home help, care homes and training among the 67+ (why AED06/AED07/AED08, not AED21)
    AED21 publishes ready-made percentages of the municipality's 67+ population, rounded to one decimal and
    without counts. A unit's share needs the members' counts: rebuilt as percentage x population each would
    carry the rounding (up to 0.05 % of every member's 67+ population) and would be an estimate that disclosure
    control cannot check. AED06 (home help), AED07 (care homes) and AED08 (training) publish the counts of
    persons by age; with the population 67+ (built exactly from single years) the shares pool exactly. AED21
    stays in the cache as the publisher's own per-municipality figure.

Data age
    :data:`PUBLISHING` holds each table's usual lag from the end of a period (for stock tables: its reference
    day) to its publication, from the ``updated`` stamp of the newest period in the recorded ``/tables``
    listing (2025-09-07; a later revision can only move a stamp later, so these are upper bounds).
    :mod:`klyngedata.health.data_age` compares the cached newest period with it.

Example
-------
>>> f = health_figure("hjemmesygepleje_65_pr_1000")
>>> f.table, f.measure, f.age_group, f.denominator, f.per
('HJEMSYG', 'home_nursing_recipients', '65+', 'population', 1000)
>>> PUBLISHING["FOD207"].lag_days
45
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass

import pandas as pd

from klyngedata.exceptions import LookupFailed

__all__ = ["GRACE_DAYS", "HEALTH_FIGURES", "KINDS", "PUBLISHING", "THEMES_DA", "HealthFigure", "TablePublishing",
           "catalogue_entries", "health_figure", "health_figure_catalogue"]

KINDS = ("ratio", "count", "not_additive", "projection")


@dataclass(frozen=True)
class TablePublishing:
    """When a table's newest period is usually published: ``lag_days`` after the period's end (``reference
    "end"``, flows such as deaths in a year) or after its reference day (``"start"``: the population on the
    first day of a quarter; a projection published in the year it starts from). ``what_da``: what the table
    counts, in Danish words; ``usual_da``: when it is usually published, in Danish words; ``evidence``: where the
    lag comes from."""

    table: str
    what_da: str
    lag_days: int
    reference: str
    usual_da: str
    evidence: str


def _listing(stamp: str, period: str) -> str:
    return f"recorded /tables listing (2025-09-07): newest period {period} updated {stamp}"


_P = TablePublishing
PUBLISHING: dict[str, TablePublishing] = {p.table: p for p in (
    _P("FOD207", "døde", 45, "end", "i februar året efter", _listing("2025-02-11", "2024")),
    _P("FODIE", "levendefødte", 45, "end", "i februar året efter", _listing("2025-02-11", "2024")),
    _P("HISBK", "middellevetiden", 45, "end", "i februar efter periodens sidste år",
       _listing("2025-02-11", "2020:2024")),
    _P("SYGP1", "borgere med kontakt til almen læge og psykolog", 150, "end", "i maj eller juni året efter",
       _listing("2025-05-28", "2024")),
    _P("SYGK1", "kontakter til almen læge og psykolog", 150, "end", "i maj eller juni året efter",
       _listing("2025-05-28", "2024")),
    _P("SBR01", "sygehusophold", 225, "end", "i august året efter", _listing("2025-08-13", "2024")),
    _P("HJEMSYG", "hjemmesygepleje", 172, "end", "i juni året efter", _listing("2025-06-20", "2024")),
    _P("AED21", "kommunernes serviceindikatorer for ældre", 170, "end", "i juni året efter",
       _listing("2025-06-17", "2024")),
    _P("AED06", "hjemmehjælp", 170, "end", "i juni året efter", _listing("2025-06-17", "2024")),
    _P("AED07", "plejeboliger og plejehjem", 170, "end", "i juni året efter", _listing("2025-06-17", "2024")),
    _P("AED08", "genoptræning og vedligeholdelsestræning", 178, "end", "i juni året efter",
       _listing("2025-06-26", "2024")),
    _P("FOLK1B", "befolkningen i 5-årige aldersgrupper", 42, "start",
       "knap halvanden måned efter kvartalets første dag", _listing("2025-08-11", "2025K3")),
    _P("FRKM", "befolkningsfremskrivningen", 155, "start", "i begyndelsen af juni hvert år",
       _listing("2025-06-04", "FRKM125")),
)}
"""The usual publication lag of every table the figures use (see the module docstring)."""

GRACE_DAYS = 45
"""Days beyond a table's usual lag before a report calls the cached table older than usual."""

THEMES_DA = {
    "praksis": "Almen praksis og psykolog",
    "sygehus": "Sygehus",
    "aeldre": "Ældre: hjemmesygepleje, hjemmehjælp, plejebolig og træning",
    "doede_foedte": "Døde og fødte",
    "levetid": "Middellevetid i medlemskommunerne",
    "fremskrivning": "Fremskrivning af de ældre",
}
"""The sections a report groups the figures in (key → Danish heading)."""


@dataclass(frozen=True)
class HealthFigure:
    """One fetched health indicator (see the module docstring for ``kind`` and ``denominator``).

    ``measure``: the stable key of the table's measure (``deaths``, ``gp`` …); ``age_group``: ``"total"`` or a
    band label (``"65+"``) built from the table's bands; ``bounded``: the numerator is a subset of the
    denominator (complements protected by disclosure control); ``disclosure_group``: figures with the same
    numerator (deaths and the death rate) share one disclosure decision; ``relevance_*``: the smallest
    difference from a benchmark worth naming (absolute in the figure's unit, or relative to the benchmark).
    """

    id: str
    label_da: str
    unit: str
    definition_da: str
    numerator_da: str
    denominator_da: str
    theme: str
    table: str
    measure: str
    kind: str = "ratio"
    age_group: str = "total"
    denominator: str = "population"
    per: int = 100
    decimals: int = 1
    bounded: bool = False
    polarity: str = "neutral"
    polarity_reason_da: str = ""
    ci_method: str | None = None
    ci_method_da: str = ""
    trend_method: str | None = None
    trend_method_da: str = ""
    comparable: bool = True
    pooling_da: str = ""
    relevance_absolute: float = 0.0
    relevance_relative: float = 0.0
    relevance_unit_da: str = ""
    relevance_reason_da: str = ""
    verified: bool = True

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.id}: unknown kind {self.kind!r}")
        if self.theme not in THEMES_DA:
            raise ValueError(f"{self.id}: unknown theme {self.theme!r}")
        if not (self.denominator in ("population", "none") or self.denominator.startswith("table:")):
            raise ValueError(f"{self.id}: unknown denominator {self.denominator!r}")

    @property
    def disclosure_group(self) -> str:
        """Figures with one numerator (a count and its rate) are shown or hidden together.

        >>> health_figure("doede").disclosure_group == health_figure("doede_pr_1000").disclosure_group
        True
        """
        return f"{self.table}|{self.measure}|{self.age_group}"

    @property
    def source_da(self) -> str:
        """The source in Danish words (no table ids)."""
        return _SOURCES_DA[self.table]


_SOURCES_DA = {
    "FOD207": "Danmarks Statistik, døde efter bopælskommune", "FODIE": "Danmarks Statistik, levendefødte",
    "SYGP1": "Danmarks Statistik, personer med kontakt til læge mv. med offentligt tilskud",
    "SYGK1": "Danmarks Statistik, lægebesøg mv. med offentligt tilskud",
    "SBR01": "Danmarks Statistik, sygehusbenyttelse i befolkningen",
    "HJEMSYG": "Danmarks Statistik, modtagere af hjemmesygepleje",
    "AED06": "Danmarks Statistik, hjemmehjælp (visiterede personer)",
    "AED07": "Danmarks Statistik, hjemmehjælp i plejebolig og på plejehjem",
    "AED08": "Danmarks Statistik, genoptræning og vedligeholdelsestræning",
    "HISBK": "Danmarks Statistik, middellevetid for 0-årige efter kommune",
    "FRKM": "Danmarks Statistik, befolkningsfremskrivningen for kommunerne",
}

# ---------------------------------------------------------------------------------------------
# shared Danish texts
# ---------------------------------------------------------------------------------------------
_POP_JAN = "Befolkningen 1. januar i året"
_USE = ("Brug af sundhedsvæsenet afspejler både borgernes behov og adgangen til tilbuddet; et højere tal er hverken "
        "godt eller dårligt i sig selv.")
_CARE = ("Flere modtagere kan afspejle flere ældre med behov, men også at kommunen hjælper flere i eget hjem; "
         "ingen retning er bedre.")
_RATIO_POOL = ("Tæller og nævner er summen af medlemskommunernes tal; tallet beregnes af summerne (aldrig som et "
               "gennemsnit af kommunernes tal). Mangler en kommunes tal, vises intet tal frem for en delsum.")
_COUNT_POOL = ("Summen af medlemskommunernes antal. Mangler en kommunes tal, vises intet tal frem for en delsum.")
_WHOLE = ("Hele befolkningen er talt (et register), så selv små forskelle er statistisk sikre; under {t} ændrer "
          "forskellen ikke planlægningen mærkbart.")
_REL = ("Niveauet svinger mellem kommuner og år; en forskel på mindre end {p} % af sammenligningens niveau er ikke "
        "stor nok til at blive fremhævet.")
_COUNT_STATS = dict(
    comparable=False, ci_method=None, trend_method="poisson", polarity="neutral",
    ci_method_da="Et antal personer fra et register over hele befolkningen; der beregnes ikke et konfidensinterval, "
                 "og antallet sammenlignes ikke med regionens og landets antal, som dækker flere borgere.")
_SHARE_STATS = dict(ci_method="wilson", trend_method="chi2_proportion", bounded=True)
_RATE_STATS = dict(ci_method="poisson", trend_method="poisson")
_PROJECTION = dict(
    kind="projection", comparable=False, ci_method=None, trend_method=None, polarity="neutral",
    polarity_reason_da="Antallet af ældre er et vilkår for planlægningen, ikke et resultat, der er godt eller dårligt.",
    ci_method_da="En fremskrivning er en modelberegning; Danmarks Statistik offentliggør ikke dens usikkerhed, så "
                 "den sammenlignes ikke med regionen og landet.",
    trend_method_da="En fremskrivning testes ikke for udvikling.", theme="fremskrivning", table="FRKM",
    measure="population", pooling_da="Summen af medlemskommunernes fremskrevne antal (Danmarks Statistiks nyeste "
                                     "fremskrivning for kommunerne).")


def _share(pp: float, what: str) -> dict:
    return dict(relevance_absolute=pp, relevance_unit_da="procentpoint",
                relevance_reason_da=_WHOLE.format(t=f"{str(pp).replace('.', ',').removesuffix(',0')} procentpoint"
                                                    f" ({what})"))


def _relative(p: float) -> dict:
    return dict(relevance_relative=p / 100, relevance_reason_da=_REL.format(p=int(p)))


HEALTH_FIGURES: dict[str, HealthFigure] = {f.id: f for f in (
    # --- almen praksis og psykolog (SYGP1, SYGK1) ------------------------------------------------
    HealthFigure(
        "personer_laegekontakt_pct", "Borgere med kontakt til almen læge", "%",
        "Andel af borgerne, der mindst én gang i året har haft kontakt til almen læge med offentligt tilskud "
        "(konsultation, telefon, e-mail, besøg). Nævneren er befolkningen 1. januar i året.",
        "Personer med mindst én kontakt til almen læge i året", _POP_JAN, "praksis", "SYGP1", "gp",
        **_SHARE_STATS, polarity_reason_da=_USE, pooling_da=_RATIO_POOL, **_share(2.0, "færre end 2 af 100 borgere")),
    HealthFigure(
        "personer_psykolog_pct", "Borgere, der har fået psykologhjælp med tilskud", "%",
        "Andel af borgerne, der i året har fået psykologhjælp med offentligt tilskud (henvist af læge). Nævneren er "
        "befolkningen 1. januar i året. Vises kun, hvis Danmarks Statistiks tabel har psykologhjælp.",
        "Personer, der har fået psykologhjælp med tilskud i året", _POP_JAN, "praksis", "SYGP1", "psychologist",
        **_SHARE_STATS, polarity_reason_da="Flere kan afspejle større behov, men også bedre adgang til behandling; "
                                           "ingen retning er bedre.", pooling_da=_RATIO_POOL, **_relative(10)),
    HealthFigure(
        "laegebesoeg_pr_borger", "Kontakter til almen læge pr. borger", "kontakter pr. borger",
        "Antal kontakter til almen læge med offentligt tilskud i året divideret med befolkningen 1. januar i året.",
        "Kontakter til almen læge i året", _POP_JAN, "praksis", "SYGK1", "gp", per=1, **_RATE_STATS,
        polarity_reason_da=_USE, pooling_da=_RATIO_POOL, **_relative(5)),
    HealthFigure(
        "psykologbesoeg_pr_1000", "Konsultationer hos psykolog med tilskud pr. 1.000 borgere",
        "pr. 1.000 borgere",
        "Antal konsultationer hos psykolog med offentligt tilskud i året pr. 1.000 borgere (befolkningen 1. januar). "
        "Vises kun, hvis Danmarks Statistiks tabel har psykologhjælp.",
        "Konsultationer hos psykolog med tilskud i året", _POP_JAN, "praksis", "SYGK1", "psychologist", per=1000,
        **_RATE_STATS, polarity_reason_da="Flere konsultationer kan afspejle større behov, men også bedre adgang; "
                                          "ingen retning er bedre.", pooling_da=_RATIO_POOL, **_relative(10)),
    # --- sygehus (SBR01) -------------------------------------------------------------------------
    HealthFigure(
        "personer_sygehusophold_pct", "Borgere med ophold på sygehus", "%",
        "Andel af borgerne med mindst ét ophold på sygehus i året (alle varigheder). Tæller og nævner er fra samme "
        "opgørelse, hvor alder og bopæl er ved årets udgang.",
        "Personer med mindst ét ophold på sygehus i året", "Personer i alt i samme opgørelse (bopæl ved årets udgang)",
        "sygehus", "SBR01", "persons_with_stay", denominator="table:persons", **_SHARE_STATS,
        polarity_reason_da=_USE, pooling_da=_RATIO_POOL, **_share(2.0, "færre end 2 af 100 borgere")),
    HealthFigure(
        "sygehusophold_12t_pr_1000", "Borgere med sygehusophold på 12 timer eller mere pr. 1.000 borgere",
        "pr. 1.000 borgere",
        "Antal personer (patienter) med et ophold på sygehus på 12 timer eller mere i året pr. 1.000 personer i samme "
        "opgørelse (alder og bopæl ved årets udgang).",
        "Patienter med ophold på sygehus på 12 timer eller mere i året",
        "Personer i alt i samme opgørelse (bopæl ved årets udgang)", "sygehus", "SBR01", "stay_12h_plus",
        denominator="table:persons", per=1000, **_SHARE_STATS,
        polarity_reason_da="Længere sygehusophold afspejler både sygdom i befolkningen og sygehusenes praksis; "
                           "ingen retning er bedre i sig selv.", pooling_da=_RATIO_POOL, **_relative(5)),
    # --- ældre (HJEMSYG, AED06, AED07, AED08) ---------------------------------------------------------
    HealthFigure(
        "hjemmesygepleje_65_pr_1000", "Modtagere af hjemmesygepleje blandt borgere på 65 år og derover",
        "pr. 1.000 borgere 65+",
        "Antal borgere på 65 år og derover, der har modtaget kommunal hjemmesygepleje i eget hjem i året, pr. 1.000 "
        "borgere på 65 år og derover (befolkningen 1. januar). Aldersgruppen dannes af tabellens aldersgrupper.",
        "Modtagere af hjemmesygepleje på 65 år og derover i året", "Befolkningen på 65 år og derover 1. januar i året",
        "aeldre", "HJEMSYG", "home_nursing_recipients", age_group="65+", per=1000, decimals=0, **_SHARE_STATS,
        polarity_reason_da=_CARE, pooling_da=_RATIO_POOL, **_relative(10)),
    HealthFigure(
        "hjemmesygepleje_80_pr_1000", "Modtagere af hjemmesygepleje blandt borgere på 80 år og derover",
        "pr. 1.000 borgere 80+",
        "Antal borgere på 80 år og derover, der har modtaget kommunal hjemmesygepleje i eget hjem i året, pr. 1.000 "
        "borgere på 80 år og derover (befolkningen 1. januar). Aldersgruppen dannes af tabellens aldersgrupper.",
        "Modtagere af hjemmesygepleje på 80 år og derover i året", "Befolkningen på 80 år og derover 1. januar i året",
        "aeldre", "HJEMSYG", "home_nursing_recipients", age_group="80+", per=1000, decimals=0, **_SHARE_STATS,
        polarity_reason_da=_CARE, pooling_da=_RATIO_POOL, **_relative(10)),
    HealthFigure(
        "hjemmehjaelp_67_pct", "Borgere på 67 år og derover, der er visiteret til hjemmehjælp", "% af 67+",
        "Andel af borgerne på 67 år og derover, der er visiteret til hjemmehjælp i eget hjem (personlig pleje eller "
        "praktisk hjælp). Nævneren er befolkningen på 67 år og derover 1. januar i året.",
        "Visiterede til hjemmehjælp i eget hjem, 67 år og derover", "Befolkningen på 67 år og derover 1. januar i året",
        "aeldre", "AED06", "home_help", age_group="67+", **_SHARE_STATS, polarity_reason_da=_CARE,
        pooling_da=_RATIO_POOL, **_share(1.0, "1 af 100 ældre")),
    HealthFigure(
        "plejebolig_67_pct", "Borgere på 67 år og derover i plejebolig eller på plejehjem", "% af 67+",
        "Andel af borgerne på 67 år og derover, der er visiteret til hjemmehjælp i plejebolig eller på plejehjem "
        "(beboerne). Nævneren er befolkningen på 67 år og derover 1. januar i året.",
        "Beboere i plejebolig eller på plejehjem, 67 år og derover",
        "Befolkningen på 67 år og derover 1. januar i året", "aeldre", "AED07", "care_home_residents",
        age_group="67+", **_SHARE_STATS,
        polarity_reason_da="Flere beboere kan afspejle flere svage ældre, men også færre alternativer i eget hjem; "
                           "ingen retning er bedre.", pooling_da=_RATIO_POOL, **_share(0.5, "1 af 200 ældre")),
    HealthFigure(
        "traening_67_pct", "Borgere på 67 år og derover, der modtager træning fra kommunen", "% af 67+",
        "Andel af borgerne på 67 år og derover, der i året har modtaget kommunal genoptræning eller "
        "vedligeholdelsestræning. Nævneren er befolkningen på 67 år og derover 1. januar i året.",
        "Personer på 67 år og derover med genoptræning eller vedligeholdelsestræning",
        "Befolkningen på 67 år og derover 1. januar i året", "aeldre", "AED08", "training", age_group="67+",
        **_SHARE_STATS, polarity_reason_da="Træning afspejler både behov (fx efter indlæggelse) og kommunens "
                                           "tilbud; ingen retning er bedre.", pooling_da=_RATIO_POOL,
        **_share(1.0, "1 af 100 ældre")),
    # --- døde og fødte (FOD207, FODIE) ------------------------------------------------------------------
    HealthFigure(
        "doede", "Døde", "personer", "Antal døde i året efter bopælskommune (alle aldre).", "Døde i året",
        "(intet)", "doede_foedte", "FOD207", "deaths", kind="count", denominator="none", per=1, decimals=0,
        polarity_reason_da="Antallet af døde følger især befolkningens størrelse og alder.", pooling_da=_COUNT_POOL,
        **_COUNT_STATS),
    HealthFigure(
        "doede_pr_1000", "Døde pr. 1.000 indbyggere", "pr. 1.000 indbyggere",
        "Antal døde i året pr. 1.000 indbyggere (befolkningen 1. januar), uden hensyn til alder (rå dødelighed). "
        "Tallet afhænger mest af, hvor mange ældre der bor i området; aldersstandardiseret dødelighed og "
        "middellevetid siger mere om sundheden.", "Døde i året", _POP_JAN, "doede_foedte", "FOD207", "deaths",
        per=1000, **_RATE_STATS, polarity_reason_da="Den rå dødelighed afspejler først og fremmest befolkningens "
                                                    "alder, så et højere tal er ikke i sig selv dårligere.",
        pooling_da=_RATIO_POOL, **_relative(5)),
    HealthFigure(
        "levendefoedte", "Levendefødte", "personer", "Antal levendefødte børn i året efter moderens bopælskommune.",
        "Levendefødte i året", "(intet)", "doede_foedte", "FODIE", "live_births", kind="count", denominator="none",
        per=1, decimals=0, polarity_reason_da="Antallet af fødte er et vilkår for planlægningen.",
        pooling_da=_COUNT_POOL, **_COUNT_STATS),
    HealthFigure(
        "foedte_pr_1000", "Levendefødte pr. 1.000 indbyggere", "pr. 1.000 indbyggere",
        "Antal levendefødte i året pr. 1.000 indbyggere (befolkningen 1. januar).", "Levendefødte i året", _POP_JAN,
        "doede_foedte", "FODIE", "live_births", per=1000, **_RATE_STATS,
        polarity_reason_da="Antallet af fødte er et vilkår for planlægningen, ikke et resultat.",
        pooling_da=_RATIO_POOL, **_relative(5)),
    # --- middellevetid (HISBK) ---------------------------------------------------------------------------
    HealthFigure(
        "middellevetid_0", "Middellevetid ved fødslen", "år",
        "Det antal år, en nyfødt kan forvente at leve, hvis dødeligheden i hvert alderstrin forbliver som i "
        "perioden (fem år). Danmarks Statistiks tal for hver kommune og for hele landet.",
        "(Danmarks Statistiks beregning)", "(Danmarks Statistiks beregning)", "levetid", "HISBK", "life_expectancy_0",
        kind="not_additive", denominator="none", per=1, polarity="high_is_good",
        polarity_reason_da="En længere middellevetid er bedre.", comparable=False, ci_method=None,
        ci_method_da="Danmarks Statistik offentliggør ikke usikkerheden på kommunernes middellevetid, så tallet "
                     "sammenlignes ikke statistisk med landet.",
        trend_method=None, trend_method_da="Perioderne overlapper (fem år, der rykker et år ad gangen), så "
                                           "udviklingen testes ikke.",
        pooling_da="Middellevetid kan ikke lægges sammen fra kommunerne: en klynges, et råds eller en regions "
                   "middellevetid kræver en dødelighedstavle over døde og befolkning efter alder. Derfor vises den "
                   "for hver kommune og for hele landet.",
        relevance_absolute=0.5, relevance_unit_da="år",
        relevance_reason_da="Under et halvt år er forskellen mindre end den, kommunernes tal normalt skifter med."),
    # --- fremskrivning (FRKM1yy) ------------------------------------------------------------------------------
    HealthFigure(
        "fremskrevet_65_plus", "Fremskrevet antal borgere på 65 år og derover", "personer",
        "Antal borgere på 65 år og derover i året ifølge Danmarks Statistiks nyeste befolkningsfremskrivning.",
        "Fremskrevne personer på 65 år og derover", "(intet)", age_group="65+", denominator="none", per=1,
        decimals=0, **_PROJECTION),
    HealthFigure(
        "fremskrevet_80_plus", "Fremskrevet antal borgere på 80 år og derover", "personer",
        "Antal borgere på 80 år og derover i året ifølge Danmarks Statistiks nyeste befolkningsfremskrivning.",
        "Fremskrevne personer på 80 år og derover", "(intet)", age_group="80+", denominator="none", per=1,
        decimals=0, **_PROJECTION),
    HealthFigure(
        "fremskrevet_andel_65_plus", "Fremskreven andel på 65 år og derover", "%",
        "Andel af den fremskrevne befolkning på 65 år og derover i året (Danmarks Statistiks nyeste fremskrivning).",
        "Fremskrevne personer på 65 år og derover", "Hele den fremskrevne befolkning", age_group="65+",
        denominator="table:total", **_PROJECTION),
    HealthFigure(
        "fremskrevet_andel_80_plus", "Fremskreven andel på 80 år og derover", "%",
        "Andel af den fremskrevne befolkning på 80 år og derover i året (Danmarks Statistiks nyeste fremskrivning).",
        "Fremskrevne personer på 80 år og derover", "Hele den fremskrevne befolkning", age_group="80+",
        denominator="table:total", **_PROJECTION),
)}
"""Every fetched health indicator, in display order."""


def health_figure(figure_id: str) -> HealthFigure:
    """The definition of ``figure_id``; :class:`LookupFailed` with close matches.

    >>> health_figure("doede_pr_1000").per
    1000
    """
    try:
        return HEALTH_FIGURES[figure_id]
    except KeyError:
        close = difflib.get_close_matches(str(figure_id), list(HEALTH_FIGURES), n=5, cutoff=0.5)
        raise LookupFailed(f"unknown health figure {figure_id!r}", close) from None


def catalogue_entries() -> list[dict]:
    """The fields of each figure's entry in :mod:`klyngedata.catalogue` (registered there, group ``"health"``).

    >>> catalogue_entries()[0]["extra"]["kind"]
    'statbank'
    """
    return [dict(
        figure_id=f.id, label_da=f.label_da, unit=f.unit, definition_da=f.definition_da, group="health",
        decimals=f.decimals, source_da=f.source_da, polarity=f.polarity, polarity_reason_da=f.polarity_reason_da,
        ci_method=f.ci_method, ci_method_da=f.ci_method_da, comparable=f.comparable, trend_method=f.trend_method,
        trend_method_da=f.trend_method_da,
        extra={"kind": "statbank", "pooling": f.kind, "per": f.per, "numerator_da": f.numerator_da,
               "denominator_da": f.denominator_da, "table": f.table, "measure": f.measure, "age_group": f.age_group,
               "bounded": f.bounded, "verified": f.verified}) for f in HEALTH_FIGURES.values()]


def health_figure_catalogue() -> pd.DataFrame:
    """The definitions as a table (one row per figure), with the source table's usual publication lag.

    >>> cat = health_figure_catalogue().set_index("id")
    >>> cat.loc["plejebolig_67_pct", ["table", "age_group", "usual_publication_da"]].tolist()
    ['AED07', '67+', 'i juni året efter']
    """
    rows = []
    for f in HEALTH_FIGURES.values():
        row = asdict(f)
        row["source_da"] = f.source_da
        row["theme_da"] = THEMES_DA[f.theme]
        row["usual_publication_da"] = PUBLISHING[f.table].usual_da
        rows.append(row)
    return pd.DataFrame(rows)
