"""The figure catalogue's entries for life expectancy and mortality (registry layer: facts, no data).

Registered by :mod:`klyngedata.catalogue` (group ``"mortality"``); computed by :mod:`klyngedata.mortality`. The
method in full is ``docs/mortality.md`` and the docstrings of :mod:`klyngedata.stats.lifetable` and
:mod:`klyngedata.stats.mortality`; the Danish texts here are what a reader is told.

Example
-------
>>> [d["figure_id"] for d in MORTALITY_FIGURES][:2]
['life_expectancy_at_birth', 'life_expectancy_at_65']
>>> FIGURE_OF_AGE[65]
'life_expectancy_at_65'
"""

from __future__ import annotations

__all__ = ["CHIANG_DA", "DOBSON_DA", "FIGURE_OF_AGE", "MORTALITY_FIGURES", "SOURCE_DA"]

SOURCE_DA = "Danmarks Statistik (FOD207 dødsfald; FOLK1A/FOLK1B befolkning), beregnet af klyngedata"
CHIANG_DA = (
    "95 %-konfidensintervallet er beregnet efter Chiangs formel for variansen af middellevetiden (for den "
    "ældste, åbne aldersgruppe efter Silcocks m.fl. 2001): middellevetiden ± 1,96 standardfejl. Det udtrykker "
    "den tilfældige variation i antallet af dødsfald, som et tal for en begrænset befolkning har.")
DOBSON_DA = (
    "95 %-konfidensintervallet er beregnet efter Dobson m.fl. (1991): de eksakte Poisson-grænser for antallet "
    "af dødsfald, skaleret til den standardiserede rate.")
_LE_DEF = (
    "Det antal år, en nyfødt (hhv. en 65-årig) kan forvente at leve, hvis dødeligheden i hver aldersgruppe i "
    "perioden gælder resten af livet. Beregnet af en forkortet periodedødelighedstavle (Chiangs metode II: "
    "aldersgrupperne 0, 1-4, 5-9 … og en åben ældste gruppe, normalt 90 år og derover; spædbørn, der dør, lever "
    "i gennemsnit 0,1 år; øvrige døde det halve af aldersgruppen) ud fra dødsfald og personår i perioden "
    "(personår: gennemsnittet af befolkningen 1. januar i året og året efter). En enheds middellevetid beregnes "
    "af de samlede dødsfald og personår i dens kommuner – aldrig som et gennemsnit af kommunernes "
    "middellevetider. Tallet vises ikke, når der er under 5.000 personår i perioden (fra den pågældende alder), "
    "når den ældste gruppe ikke har dødsfald, eller når konfidensintervallet er bredere end 20 år.")
_RATE_DEF = (
    "Antal døde pr. 100.000 indbyggere, aldersstandardiseret direkte med Den Europæiske Standardbefolkning "
    "2013 (Eurostat): dødeligheden i hver aldersgruppe vægtes med standardbefolkningens andel, så enheder med "
    "forskellig alderssammensætning kan sammenlignes. Vises ikke ved under 10 dødsfald i perioden.")
_PREMATURE_DEF = (
    "Døde under 75 år pr. 100.000 indbyggere under 75 år, aldersstandardiseret direkte med Den Europæiske "
    "Standardbefolkning 2013 (aldersgrupperne 0-74 år). Antallet af døde under 75 år vises ikke (se "
    "diskretionsreglerne). Vises ikke ved under 10 dødsfald i perioden.")
_SMR_DEF = (
    "Standardiseret dødelighedsratio (indirekte standardisering): de observerede dødsfald i procent af de "
    "forventede, hvis hele landets dødelighed i hver aldersgruppe (og for begge køn: hvert køn) i samme periode "
    "gjaldt i enheden. 100 = som landet; over 100 = flere dødsfald end forventet ud fra alderssammensætningen.")
_LOW_RATE_DA = "En lavere aldersstandardiseret dødelighed er bedre: færre dør, når der er taget højde for alderen."
_LOW_PREMATURE_DA = "Færre dødsfald før 75 år er bedre; mange af dem kan forebygges eller behandles."
_LOW_SMR_DA = "Færre dødsfald end forventet ud fra alderssammensætningen (SMR under 100) er bedre."
_OLS_DA = (
    "Udviklingen testes med lineær regression af værdien på tid over de seneste op til 5 enkeltår "
    "(signifikansniveau 5 %). Perioder på 3 eller 5 år overlapper hinanden (glidende perioder), så deres "
    "udvikling vises, men testes ikke.")
_POISSON_TREND_DA = (
    "Udviklingen testes ikke for en ratio, hvis reference (landets dødelighed) selv ændrer sig fra år til år; "
    "udviklingen i dødeligheden ses af den standardiserede dødelighed.")

_COMMON = dict(group="mortality", requires=("age", "sex"), source_da=SOURCE_DA)
MORTALITY_FIGURES: tuple[dict, ...] = (
    dict(figure_id="life_expectancy_at_birth", label_da="Middellevetid ved fødslen", unit="år",
         definition_da=_LE_DEF, decimals=1, polarity="high_is_good",
         polarity_reason_da="En længere middellevetid er bedre.", ci_method="chiang", ci_method_da=CHIANG_DA,
         trend_method="ols", trend_method_da=_OLS_DA),
    dict(figure_id="life_expectancy_at_65", label_da="Middellevetid for 65-årige", unit="år",
         definition_da=_LE_DEF, decimals=1, polarity="high_is_good",
         polarity_reason_da="En længere restlevetid ved 65 år er bedre.", ci_method="chiang",
         ci_method_da=CHIANG_DA, trend_method="ols", trend_method_da=_OLS_DA),
    dict(figure_id="death_rate_standardised", label_da="Dødelighed, aldersstandardiseret", unit="pr. 100.000",
         definition_da=_RATE_DEF, decimals=0, polarity="low_is_good",
         polarity_reason_da=_LOW_RATE_DA, ci_method="dobson", ci_method_da=DOBSON_DA, trend_method="ols",
         trend_method_da=_OLS_DA, extra={"per": 100_000}),
    dict(figure_id="premature_mortality", label_da="For tidlig død (under 75 år), aldersstandardiseret",
         unit="pr. 100.000", definition_da=_PREMATURE_DEF, decimals=0, polarity="low_is_good",
         polarity_reason_da=_LOW_PREMATURE_DA, ci_method="dobson", ci_method_da=DOBSON_DA,
         trend_method="ols", trend_method_da=_OLS_DA, extra={"per": 100_000}),
    dict(figure_id="standardised_mortality_ratio", label_da="Standardiseret dødelighedsratio (SMR, landet = 100)",
         unit="SMR", definition_da=_SMR_DEF, decimals=0, polarity="low_is_good",
         polarity_reason_da=_LOW_SMR_DA, ci_method="poisson",
         ci_method_da="95 %-konfidensintervallet er et eksakt Poisson-interval for antallet af observerede "
                      "dødsfald, divideret med de forventede.",
         trend_method_da=_POISSON_TREND_DA, extra={"per": 100}),
)
MORTALITY_FIGURES = tuple({**_COMMON, **d} for d in MORTALITY_FIGURES)
"""The mortality figures: the fields of each :class:`~klyngedata.catalogue.FigureDef` (ids, Danish labels, units,
definitions, polarity, methods)."""

FIGURE_OF_AGE = {0: "life_expectancy_at_birth", 65: "life_expectancy_at_65"}
"""Life expectancy's figure id by the age it is computed at."""
