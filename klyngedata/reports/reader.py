"""Texts for the reader of a report (a mayor, a regional politician, a health director), made from analyst facts.

The registry, the caches and the key-figure functions describe their data for analysts: research notes with
references, period codes, file names, the command that gets the data. A report shows readers Danish sentences
instead; the analyst details go to the run log and the manifest (see :class:`AnalystNotes`).

* :func:`reader_source` – a registry source as Danish provenance (commission titles; no references, no notes).
* :func:`membership_source` – where a unit's membership comes from (official pages, commissions) or that it
  is not confirmed.
* :func:`missing_sentences` – the key figures left out, as a few sentences grouped by reason.
* :func:`data_age_da` – how old the figures were when the report was made ("2 år og 8 måneder").
* :func:`danish_periods` – period codes in a text written out ("2021M10" -> "oktober 2021").

Example
-------
>>> reader_source("Seed 002/004: Region Nordjylland, Kommissorium – Det politiske niveau i sundhedsklyngen")
'Region Nordjylland, Kommissorium – Det politiske niveau i sundhedsklyngen'
>>> data_age_da("2024-04-01", "2026-12-01")
'2 år og 8 måneder'
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from klyngedata.formatting import local_time
from klyngedata.vocabulary import MONTHS_DA, periods_in_text_da

log = logging.getLogger(__name__)

_ENGLISH_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                   "October", "November", "December")
_ENGLISH = re.compile(r"\b(?:the|and|of|not|from|with|by|members|name|proposal|government|confirmed|source|"
                      r"lists?|table|file)\b", re.IGNORECASE)


def reader_source(text: Any) -> str:
    """A registry source as readers see it: commission titles and dates, without internal references
    ("Seed 002", "geography.md §3.2"), research flags ("[SECONDARY]") or English notes; ``""`` when nothing
    readable is left (the caller then says in Danish what the source is).

    Example
    -------
    >>> reader_source("Seed 001 (Kommissorium for Klyngestyregrupper for Sundhedsaftalen 2019, 11 April 2019)")
    'Kommissorium for Klyngestyregrupper for Sundhedsaftalen 2019, 11. april 2019'
    >>> reader_source("Name: fks-h.dk 'Klynge Bornholm' [SECONDARY]; members: 2019 government proposal")
    ''
    >>> reader_source("bispebjerghospital.dk/om-hospitalet/sundhedsklynge-byen (geography.md §2.1, §2.6)")
    'hjemmesiden bispebjerghospital.dk'
    """
    if text is None:
        return ""
    t = str(text)
    t = re.sub(r"\bSeeds?\s+\d{3}(?:\s*(?:/|,|og|and)\s*\d{3})*\s*:?\s*", "", t)
    t = re.sub(r"\s*\([^()]*\.md[^()]*\)", "", t)
    t = re.sub(r"\[[A-Z]+\]", "", t)
    for i, month in enumerate(_ENGLISH_MONTHS):
        t = re.sub(rf"\b(\d{{1,2}})\.? {month}\b", rf"\1. {MONTHS_DA[i]}", t)
        t = re.sub(rf"\b{month} (\d{{4}})\b", rf"{MONTHS_DA[i]} \1", t)
    t = re.sub(r"\b(?:https?://)?((?:[\w-]+\.)+dk)(?:/[^\s;,)]*)?", r"hjemmesiden \1", t)  # a page, not a URL
    t = re.sub(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b",  # 23.06.2022 -> 23. juni 2022 (one date style)
               lambda m: f"{int(m.group(1))}. {MONTHS_DA[int(m.group(2)) - 1]} {m.group(3)}"
               if 1 <= int(m.group(2)) <= 12 else m.group(0), t)
    t = t.strip().strip(";,: ")
    if t.startswith("(") and t.endswith(")"):
        t = t[1:-1]
    parts = [p.strip() for p in re.split(r";\s*", t) if p.strip()]
    parts = [p for p in parts if not _ENGLISH.search(p) and not re.search(r"\b\w+\.(?:md|csv|json)\b", p)]
    return periods_in_text_da("; ".join(parts))


def membership_source(source: Any, *, confirmed: bool, commissions: Iterable[str] = (), since: str = "") -> str:
    """Where a unit's membership comes from, for readers: the official pages named in the registry's source
    (e.g. "hjemmesiden rn.dk") and the commissions of its levels when the registry confirms it; otherwise that
    it is not confirmed. The research note itself goes to the run log.

    Example
    -------
    >>> membership_source("rm.dk news 29.04.2022 and rm.dk/politik/udvalg/sundhedsklynger (geography.md §2.4)",
    ...                   confirmed=True)
    'hjemmesiden rm.dk'
    >>> membership_source("Members: 2019 government proposal (geography.md §3.2)", confirmed=False, since="2022")
    'sekundære kilder; ikke bekræftet af en officiel kilde fra 2022'
    """
    text = str(source or "")
    domains = list(dict.fromkeys(re.findall(r"\b((?:[\w-]+\.)+dk)\b", re.sub(r"\([^()]*\.md[^()]*\)", "", text))))
    if not confirmed:
        return f"sekundære kilder; ikke bekræftet af en officiel kilde{' fra ' + since if since else ''}"
    parts = [re.sub(r"\s*\('[^']*'\)", "", t) for t in dict.fromkeys(commissions) if t]  # titles only
    if domains:
        parts.append("hjemmesiden " + " og ".join(domains))
    return "; ".join(parts) or "officielle kilder"


def data_age_da(reference: Any, made: Any) -> str:
    """How much older the figures are than the report: "2 år og 8 måneder", "5 måneder", "under en måned".

    Example
    -------
    >>> data_age_da("2024-04-01", "2024-09-15"), data_age_da("2024-04-01", "2024-04-20")
    ('5 måneder', 'under en måned')
    """
    a, b = local_time(reference), local_time(made)
    if a is None or b is None or b < a:
        return ""
    months = (b.year - a.year) * 12 + (b.month - a.month) - (1 if b.day < a.day else 0)
    years, months = divmod(months, 12)
    parts = []
    if years:
        parts.append(f"{years} år")
    if months:
        parts.append(f"{months} måned" + ("er" if months > 1 else ""))
    return " og ".join(parts) if parts else "under en måned"


# --------------------------------------------------------------------------- missing key figures
_TOPICS: tuple[tuple[str, str], ...] = (
    # (figure id pattern, what the reader misses) – first match wins
    (r"^(population|growth_1y(_pct)?)$", "Klyngens samlede befolkningstal og udviklingen det seneste år"),
    (r"^growth_(5|10)y", "Befolkningsudviklingen over 5 og 10 år"),
    (r"^(share_|pop_65|pop_80|old_age|median_age)", "Aldersfordelingen (aldersgruppernes andele, ældrekvoten "
                                                     "og medianalderen)"),
    (r"^proj_", "Fremskrivningen af antallet af 65+ og 80+-årige"),
)


def _reason(reason: str, names: Mapping[str, str]) -> str:
    r = str(reason)
    if "ingen aldersfordeling" in r or "uden alder" in r:
        return "befolkningstallene er uden fordeling på alder og køn"
    if "fremskrivning" in r:
        return "der er ingen befolkningsfremskrivning blandt de data, rapporten bygger på"
    m = re.search(r"går kun tilbage til (\S+)", r)
    if m:
        return f"befolkningstallene går kun tilbage til {periods_in_text_da(m.group(1))}"
    m = re.search(r"^(.*?) \((\d{4})\) er delt mellem", r)
    if m:
        name = names.get(m.group(2), m.group(1))
        return (f"{name} er delt mellem flere klynger efter bydel, og der er ingen befolkningstal for bydelene, "
                "så en samlet opgørelse ville mangle en del af kommunen")
    r = re.sub(r"\s*\(\d{4}\)", "", r)
    r = re.sub(r"\s*for \d+ periode\(r\)", "", r)
    return periods_in_text_da(r)


def missing_sentences(missing: Iterable[Mapping[str, Any]], *, names: Mapping[str, str] | None = None,
                      level: str = "cluster") -> list[str]:
    """The key figures left out (``key_figures(...).attrs["missing"]``) as reader sentences, one per topic.

    Example
    -------
    >>> missing_sentences([{"entity_level": "cluster", "figure_id": "share_65_plus",
    ...                     "reason_da": "data har kun befolkningstal i alt (ingen aldersfordeling)"}])
    ['Aldersfordelingen (aldersgruppernes andele, ældrekvoten og medianalderen) indgår ikke: \
befolkningstallene er uden fordeling på alder og køn.']
    """
    rows = [m for m in missing if m.get("entity_level", level) == level and m.get("reason_da")]
    out: dict[str, str] = {}
    for m in rows:
        fid = str(m.get("figure_id", ""))
        topic = next((t for rx, t in _TOPICS if re.search(rx, fid)), "Nogle nøgletal")
        out.setdefault(topic, _reason(str(m["reason_da"]), names or {}))
    return [f"{topic} indgår ikke: {reason}." for topic, reason in out.items()]


# --------------------------------------------------------------------------- analyst notes
@dataclass
class AnalystNotes:
    """Details for analysts (what to fetch, which data were read): logged (:mod:`klyngedata.logs`; never in the
    report HTML) and recorded for the manifest (``reports/_manifest.json``).

    Example
    -------
    >>> notes = AnalystNotes(echo=False)
    >>> notes.add("population/FOLK1AM read from the cache"); notes.items
    ['population/FOLK1AM read from the cache']
    """

    items: list[str] = field(default_factory=list)
    echo: bool = True

    def add(self, text: str) -> None:
        if text and text not in self.items:
            self.items.append(text)
            if self.echo:
                log.info("%s", text)
