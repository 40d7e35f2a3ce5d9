"""The health indicators' definitions: id, Danish label, unit, kind, numerator/denominator, population
group, source and whether the source was verified (facts with their source, like the registry).

:mod:`klyngedata.catalogue` registers them (group ``"health"``); :mod:`klyngedata.indicators` reads, pools
and publishes their data. This module imports nothing of the package but its exceptions.

Example
-------
>>> indicator("hjemmesygepleje_pr_1000").per
1000
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass

import pandas as pd

from klyngedata.exceptions import LookupFailed

__all__ = ["INDICATORS", "Indicator", "indicator", "indicator_catalogue"]


@dataclass(frozen=True)
class Indicator:
    """One health indicator (see the module docstring for ``kind``).

    Example
    -------
    >>> indicator("genindlaeggelser_somatik_30d").bounded
    True
    """

    id: str
    label_da: str
    unit: str
    kind: str  # "counts" | "rate" | "survey"
    per: int  # multiplier of numerator/denominator (100 for %, 1000 for per 1,000, 1 for a mean)
    numerator_da: str
    denominator_da: str
    population_group: str  # "65+", "16+", "alle", "indlæggelser", ...
    source_da: str
    verified: bool
    definition_da: str
    bounded: bool = False  # numerator <= denominator must hold
    decimals: int = 1
    higher_is_better: bool | None = None
    data_period: str | None = None  # period of the published file (when the file has none)
    min_age: int | None = None  # lower age limit of the population group (weights)


_SDS = "eSundhed, Monitorering af sundhedsaftaler (Sundhedsdatastyrelsen)"
_SP = "Den Nationale Sundhedsprofil 2025 (Sundhedsstyrelsen/SDU-SIF), via en offentlig datasamling"
_SP_HIST = "Den Nationale Sundhedsprofil 2010-2025 (Sundhedsstyrelsen/SDU-SIF), via en offentlig datasamling"

_ENTRIES: list[Indicator] = [
    # --- sundhedsaftale indicators (user files with counts) -------------------------------------
    Indicator("forebyggelige_indlaeggelser_65", "Forebyggelige akutte sygehusophold blandt ældre (65+)",
              "pr. 1.000 borgere 65+", "counts", 1000,
              "Akutte sygehusophold med en forebyggelig diagnose (fx dehydrering, forstoppelse, "
              "urinvejsinfektion, tryksår, gastroenteritis, ernæringsbetinget anæmi)",
              "Borgere på 65 år og derover", "65+", _SDS, False,
              "Antal forebyggelige akutte sygehusophold blandt borgere på 65+ pr. 1.000 borgere 65+. "
              "Den præcise diagnoseliste er ikke bekræftet.", decimals=1, higher_is_better=False, min_age=65),
    Indicator("genindlaeggelser_somatik_30d", "Akutte somatiske genindlæggelser inden for 30 dage", "%",
              "counts", 100, "Indlæggelser efterfulgt af en akut somatisk indlæggelse inden for 30 dage",
              "Somatiske indlæggelser (indeksindlæggelser)", "indlæggelser", _SDS, False,
              "Andel af somatiske indlæggelser, der følges af en akut somatisk genindlæggelse inden for 30 "
              "dage efter udskrivning. Aldersafgrænsningen er ikke bekræftet.", bounded=True,
              higher_is_better=False),
    Indicator("genindlaeggelser_psykiatri_30d", "Akutte psykiatriske genindlæggelser inden for 30 dage", "%",
              "counts", 100, "Indlæggelser efterfulgt af en akut psykiatrisk indlæggelse inden for 30 dage",
              "Psykiatriske indlæggelser (indeksindlæggelser)", "indlæggelser", _SDS, False,
              "Andel af psykiatriske indlæggelser, der følges af en akut psykiatrisk genindlæggelse inden for "
              "30 dage. Aldersafgrænsningen er ikke bekræftet.", bounded=True, higher_is_better=False),
    Indicator("faerdigbehandlingsdage_somatik", "Færdigbehandlingsdage (somatik)", "dage pr. 1.000 borgere",
              "counts", 1000, "Dage registreret som færdigbehandlet under indlæggelse (somatik)",
              "Borgere", "alle", _SDS, False,
              "Antal færdigbehandlingsdage i somatikken pr. 1.000 borgere. Nævner og aldersgruppe er ikke "
              "bekræftet.", higher_is_better=False),
    Indicator("faerdigbehandlingsdage_psykiatri", "Færdigbehandlingsdage (psykiatri)",
              "dage pr. 1.000 borgere", "counts", 1000,
              "Dage registreret som færdigbehandlet under indlæggelse (psykiatri)", "Borgere", "alle", _SDS,
              False, "Antal færdigbehandlingsdage i psykiatrien pr. 1.000 borgere. Nævner og aldersgruppe "
              "er ikke bekræftet.", higher_is_better=False),
    Indicator("ventetid_almen_genoptraening", "Ventetid til almen genoptræning", "dage (gennemsnit)", "counts",
              1, "Samlet antal ventedage fra genoptræningsplan/udskrivning til start af genoptræning",
              "Antal genoptræningsforløb", "alle", _SDS, False,
              "Gennemsnitlig ventetid i dage = samlede ventedage / antal forløb (puljes som sum/sum; en median "
              "kan ikke puljes). Start- og sluttidspunkt er ikke bekræftet.", higher_is_better=False),
    Indicator("genoptraeningsplaner_almen", "Genoptræningsplaner for almen genoptræning",
              "pr. 1.000 borgere", "counts", 1000, "Antal genoptræningsplaner for almen genoptræning",
              "Borgere", "alle", _SDS, False,
              "Antal genoptræningsplaner for almen genoptræning pr. 1.000 borgere. Nævneren er ikke bekræftet."),
    Indicator("kronisk_sygdom_prevalens", "Borgere med kronisk sygdom", "%", "counts", 100,
              "Borgere med mindst én kronisk sygdom (RUKS)", "Borgere", "alle",
              "Register for Udvalgte Kroniske Sygdomme og Svære Psykiske Lidelser (RUKS), Sundhedsdatastyrelsen",
              False, "Andel af borgerne med mindst én af de kroniske sygdomme i RUKS. Sygdomsafgrænsningen "
              "er ikke bekræftet.", bounded=True, higher_is_better=None),
    # --- published municipality figures without counts (doughnut files) -----------------------
    Indicator("sygehuskontakt_pct", "Borgere med sygehuskontakt", "%", "rate", 100,
              "Borgere med et sygehusophold eller en sygehuskontakt", "Alle borgere", "alle",
              "Danmarks Statistik (SBR01), 2023, via en offentlig datasamling", False,
              "Andel af kommunens borgere med sygehusophold/-kontakt i året. Det præcise mål i SBR01 er "
              "ikke bekræftet.", higher_is_better=None, data_period="2023"),
    Indicator("laegekontakt_pct", "Borgere med kontakt til almen praksis", "%", "rate", 100,
              "Borgere med kontakt til alment praktiserende læge", "Alle borgere", "alle",
              "Danmarks Statistik (SYGP1), 2024, via en offentlig datasamling", True,
              "Andel af kommunens borgere med kontakt til almen praksis i året.", data_period="2024"),
    Indicator("hjemmesygepleje_pr_1000", "Modtagere af hjemmesygepleje", "pr. 1.000 indbyggere", "rate", 1000,
              "Modtagere af kommunal hjemmesygepleje", "Indbyggere", "alle",
              "Danmarks Statistik (HJEMSYG), 2025 (foreløbige tal, første halvår), via en offentlig datasamling",
              True, "Antal modtagere af hjemmesygepleje pr. 1.000 indbyggere. 2025-tallene er foreløbige.",
              higher_is_better=None, data_period="2025"),
    Indicator("recepter_pr_100", "Recepter pr. 100 borgere, lægemiddelgruppe ukendt", "pr. 100 borgere", "rate", 100,
              "Receptindløsninger (lægemiddelgruppe ikke bekræftet)", "Borgere", "alle",
              "Danmarks Statistik (MEDI1), 2024, via en offentlig datasamling", False,
              "Antal recepter pr. 100 borgere. Kilden oplyser ikke, hvilke lægemidler der er talt med.",
              higher_is_better=None, data_period="2024"),
]

_SURVEY = [
    ("selvvurderet_helbred", "Godt selvvurderet helbred", True,
     "Andel der vurderer eget helbred som fremragende, vældig godt eller godt.", True),
    ("mentalt_helbred", "Dårligt mentalt helbred", False,
     "Andel med lav score på SF-12's mentale helbredsskala. Skæringspunktet er ikke bekræftet.", False),
    ("rygning", "Daglig rygning", False, "Andel der ryger dagligt.", True),
    ("alkohol", "Alkohol over 10 genstande om ugen", False,
     "Andel der drikker mere end 10 genstande om ugen. Skæringspunktet er ikke bekræftet.", False),
    ("fysisk_aktivitet", "Fysisk aktivitet under WHO's minimumsanbefaling", False,
     "Andel der ikke lever op til WHO's minimumsanbefaling for fysisk aktivitet (definition ikke bekræftet).",
     False),
    ("kost", "Usundt kostmønster", False, "Andel med lav score på kostskalaen.", False),
    ("svaer_overvaegt", "Svær overvægt (BMI 30+)", False, "Andel med selvrapporteret BMI på 30 eller derover.",
     True),
    ("ensomhed", "Ensomhed", False, "Andel der ofte føler sig uønsket alene (definition ikke bekræftet).",
     False),
    ("social_stoette", "Begrænset social støtte", False,
     "Andel med begrænset social støtte (definition ikke bekræftet).", False),
]
for _sid, _label, _hib, _def, _ver in _SURVEY:
    _ENTRIES.append(Indicator(
        f"sundhedsprofil_{_sid}", _label, "% af voksne 16+", "survey", 100,
        f"Respondenter: {_label.lower()}", "Alle respondenter 16 år og derover (vægtede)", "16+", _SP, _ver,
        _def + " Spørgeskemaundersøgelse; vægtet procent.", decimals=1, higher_is_better=_hib,
        data_period="2025", min_age=16,
    ))

INDICATORS: dict[str, Indicator] = {e.id: e for e in _ENTRIES}

# doughnut files: published column -> indicator id (``*_ratio`` columns are derived scores and are skipped)
_DOUGHNUT_COLUMNS = {
    "hospital_use_pct": "sygehuskontakt_pct",
    "laegekontakt_raw": "laegekontakt_pct",
    "hjemsyg_raw": "hjemmesygepleje_pr_1000",
    "medicin_raw": "recepter_pr_100",
    **{f"{sid}_pct": f"sundhedsprofil_{sid}" for sid, *_ in _SURVEY},
}

def indicator(key: str) -> Indicator:
    """Return the catalogue entry ``key``; raises :class:`LookupFailed` with close matches.

    Example
    -------
    >>> indicator("hjemmesygepleje_pr_1000").unit
    'pr. 1.000 indbyggere'
    """
    try:
        return INDICATORS[key]
    except KeyError:
        raise LookupFailed(f"unknown indicator {key!r}",
                           difflib.get_close_matches(str(key), list(INDICATORS), n=5, cutoff=0.4)) from None


def indicator_catalogue() -> pd.DataFrame:
    """The indicator catalogue as a DataFrame (one row per indicator).

    Example
    -------
    >>> bool(indicator_catalogue().set_index("indicator").loc["sundhedsprofil_rygning", "verified"])
    True
    """
    rows = [asdict(e) for e in _ENTRIES]
    out = pd.DataFrame(rows).rename(columns={"id": "indicator"})
    return out
