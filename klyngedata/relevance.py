"""Thresholds of relevance: how large a difference must be before a report calls it out.

A statistically certain difference is not always an important one. Register figures cover whole populations,
so their intervals are narrow and almost every difference from the country is "significant" (a share of 84,3 %
against 83,6 %). A report therefore names a difference (in a sentence, or with a colour in the barometer and
the heat map) only when it is **significant and at least as large as the figure's threshold of relevance**;
otherwise the unit is shown as on a level with the benchmark.

The threshold of each figure is a difference in the figure's own unit (percentage points for a share), or a
share of the benchmark's value (``relative``) where the level differs much between data sets; the reason is
written beside it. The thresholds are klyngedata's choice for planning use, not an official norm, and the
reports say so ("Om tallene"). :func:`klyngedata.catalogue.catalogue` shows them with the other properties of
each figure; :func:`klyngedata.outcomes.shown_outcome` applies them.

Example
-------
>>> threshold("laegekontakt_pct").describe_da()
'2 procentpoint'
>>> round(threshold("forebyggelige_indlaeggelser_65").limit(50.0), 1)
5.0
"""

from __future__ import annotations

from dataclasses import dataclass

from klyngedata.formatting import number

__all__ = ["DEFAULT", "RELEVANCE", "Relevance", "threshold"]


@dataclass(frozen=True)
class Relevance:
    """The smallest difference from a benchmark worth naming: ``absolute`` (in the figure's unit) or
    ``relative`` (a share of the benchmark's value), whichever is larger; ``unit_da`` names the absolute
    unit ("procentpoint"); ``reason_da`` says why.

    Example
    -------
    >>> Relevance(absolute=1.0, unit_da="procentpoint", reason_da="x").limit(20.0)
    1.0
    """

    absolute: float = 0.0
    relative: float = 0.0
    unit_da: str = ""
    reason_da: str = ""

    def limit(self, benchmark: float | None) -> float:
        """The threshold against ``benchmark`` (its relative part needs the benchmark's value)."""
        rel = self.relative * abs(float(benchmark)) if benchmark is not None and self.relative else 0.0
        return max(self.absolute, rel)

    def describe_da(self) -> str:
        """The threshold in Danish: "2 procentpoint", "10 % af landets niveau"."""
        parts = []
        if self.absolute:
            parts.append(f"{number(self.absolute, 0 if float(self.absolute).is_integer() else 1)} {self.unit_da}"
                         .strip())
        if self.relative:
            parts.append(f"{number(self.relative * 100, 0)} % af sammenligningens niveau")
        return " eller ".join(parts)

    def relevant(self, value: float, benchmark: float) -> bool:
        """True when ``value`` differs from ``benchmark`` by at least the threshold."""
        return abs(float(value) - float(benchmark)) >= self.limit(benchmark) - 1e-9


_PP = "procentpoint"
_USE = ("Andelen af alle kommunens borgere i et år. Hele befolkningen er talt, så selv små forskelle er "
        "statistisk sikre; under {t} (færre end {n} af 100 borgere) ændrer forskellen ikke planlægningen.")
_SURVEY = ("En andel fra Den Nationale Sundhedsprofil. Under 2 procentpoint er forskellen mindre end den, "
           "kommunernes tal normalt skifter med fra måling til måling.")
_AGE = ("Andelen af hele befolkningen i en aldersgruppe; en forskel under {t} ændrer ikke behovet for tilbud "
        "mærkbart.")
_MONITORING = ("Et forløbsmål, hvis niveau svinger mellem år og opgørelser; en forskel på mindre end 10 % af "
               "sammenligningens niveau er ikke stor nok til at kalde en forskel.")

_LIFE = ("Middellevetid i år for en femårsperiode; en forskel under et halvt år fremhæves ikke (valgt til "
         "planlægningsbrug, ikke en officiel norm).")
_RATE = ("Aldersjusteret dødelighed; en forskel under 5 % af sammenligningens niveau fremhæves ikke (valgt til "
         "planlægningsbrug, ikke en officiel norm).")

RELEVANCE: dict[str, Relevance] = {
    # health indicators from published municipality figures (whole populations)
    "sygehuskontakt_pct": Relevance(2.0, unit_da=_PP, reason_da=_USE.format(t="2 procentpoint", n=2)),
    "laegekontakt_pct": Relevance(2.0, unit_da=_PP, reason_da=_USE.format(t="2 procentpoint", n=2)),
    "hjemmesygepleje_pr_1000": Relevance(
        2.0, unit_da="pr. 1.000 indbyggere",
        reason_da="Modtagere af hjemmesygepleje; en forskel under 2 pr. 1.000 indbyggere svarer til få borgere i "
                  "en kommune og ændrer ikke planlægningen."),
    "recepter_pr_100": Relevance(
        5.0, unit_da="pr. 100 borgere",
        reason_da="Receptindløsninger; en forskel under 5 pr. 100 borgere er mindre end forskellen mellem "
                  "nabokommuner og ændrer ikke planlægningen."),
    # the monitoring of the health agreements (user files with counts)
    **{fid: Relevance(relative=0.10, reason_da=_MONITORING) for fid in (
        "forebyggelige_indlaeggelser_65", "genindlaeggelser_somatik_30d", "genindlaeggelser_psykiatri_30d",
        "faerdigbehandlingsdage_somatik", "faerdigbehandlingsdage_psykiatri", "ventetid_almen_genoptraening",
        "genoptraeningsplaner_almen")},
    "kronisk_sygdom_prevalens": Relevance(
        1.0, unit_da=_PP, reason_da="Andelen af alle borgere med en kronisk sygdom; under 1 procentpoint ændrer "
                                    "forskellen ikke behovet for tilbud mærkbart."),
    # Den Nationale Sundhedsprofil (survey shares)
    **{f"sundhedsprofil_{s}": Relevance(2.0, unit_da=_PP, reason_da=_SURVEY) for s in (
        "selvvurderet_helbred", "mentalt_helbred", "rygning", "alkohol", "fysisk_aktivitet", "kost",
        "svaer_overvaegt", "ensomhed", "social_stoette")},
    # population key figures
    "share_0_17": Relevance(1.0, unit_da=_PP, reason_da=_AGE.format(t="1 procentpoint")),
    "share_18_64": Relevance(1.0, unit_da=_PP, reason_da=_AGE.format(t="1 procentpoint")),
    "share_65_plus": Relevance(1.0, unit_da=_PP, reason_da=_AGE.format(t="1 procentpoint")),
    "share_80_plus": Relevance(0.5, unit_da=_PP, reason_da=_AGE.format(t="0,5 procentpoint")),
    "old_age_dependency": Relevance(
        2.0, unit_da="pr. 100 18-64-årige",
        reason_da="Antal ældre pr. 100 i den erhvervsaktive alder; under 2 ændrer forskellen ikke "
                  "forsørgerbyrden mærkbart."),
    "age_pyramid_share": Relevance(0.5, unit_da=_PP, reason_da=_AGE.format(t="0,5 procentpoint")),
    # life expectancy and mortality (issue 23's figures)
    **{fid: Relevance(0.5, unit_da="år", reason_da=_LIFE) for fid in (
        "life_expectancy_at_birth", "life_expectancy_at_65")},
    **{fid: Relevance(relative=0.05, reason_da=_RATE) for fid in ("death_rate_standardised", "premature_mortality")},
    "standardised_mortality_ratio": Relevance(
        5.0, unit_da="point", reason_da="Dødeligheden i forhold til landet (landet = 100); en forskel under 5 point "
                                        "(5 % af landets dødelighed) fremhæves ikke."),
}
"""The threshold of relevance of each figure, with its reason (Danish)."""

DEFAULT = Relevance(relative=0.05, reason_da="Intet tal er fastsat for dette nøgletal; en forskel skal være mindst "
                                             "5 % af sammenligningens niveau for at blive fremhævet.")
"""The threshold of a figure without an entry in :data:`RELEVANCE` (e.g. an indicator from a user's own file)."""


def threshold(figure_id: str) -> Relevance:
    """The threshold of relevance of ``figure_id`` (:data:`DEFAULT` for a figure without one).

    Example
    -------
    >>> threshold("share_65_plus").absolute
    1.0
    """
    if str(figure_id) in RELEVANCE:
        return RELEVANCE[str(figure_id)]
    from klyngedata.health_defs import HEALTH_FIGURES  # issue 22's figures carry their own threshold

    d = HEALTH_FIGURES.get(str(figure_id))
    if d is not None and (d.relevance_absolute or d.relevance_relative):
        return Relevance(d.relevance_absolute, d.relevance_relative, d.relevance_unit_da, d.relevance_reason_da)
    return DEFAULT
