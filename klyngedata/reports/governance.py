"""The report section on a unit's organisation, from the registry.

* A **sundhedsråd** (council, from 2027): its composition as listed — regional members, municipal seats per
  member municipality — the chair rule, how certain each fact is (the registry's confidence tag, in Danish),
  conflicts between sources, and the sources as readable Danish citations (:func:`reader_source`; the raw
  registry sources go to the run log)
  (:func:`klyngedata.registry.composition`, :func:`klyngedata.registry.seats`).
* A **sundhedsklynge** (or 2019 steering group): its governance levels from the regional commissions
  (meetings per year, chair) and the seats at each level.

Every function returns an HTML string (Danish); nothing is invented: what the registry lacks is said.

Example
-------
>>> from klyngedata import registry
>>> "Aalborg Kommune" in council_html(registry.cluster("sundhedsraad-limfjorden"))
True
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from klyngedata import registry
from klyngedata.exceptions import KlyngedataError
from klyngedata.registry.words import words
from klyngedata.reports import blocks
from klyngedata.reports.reader import reader_source

log = logging.getLogger(__name__)

LEVEL_NAMES_DA = {"politisk": "Det politiske niveau", "fagligt-strategisk": "Det faglige/strategiske niveau",
                  "klyngestyregruppe": "Klyngestyregruppen"}
CERTAINTY_DA = {
    "SOLID": "fra en officiel kilde",
    "SECONDARY": "fra en sekundær kilde og ikke bekræftet af en officiel kilde",
    "INFERENCE": "udledt og ikke bekræftet af en officiel kilde",
}
"""How sure a registry fact is, by its confidence tag (said in the report whenever it is not ``SOLID``)."""


def governance_html(unit: registry.Cluster) -> str:
    """The organisation section of ``unit``: a council's composition, or a cluster's governance levels."""
    return council_html(unit) if unit.is_council else levels_html(unit)


def _sources(texts: list[str]) -> str:
    """Distinct source citations, in order ("A; B" and "B" give "A; B")."""
    parts: list[str] = []
    for text in texts:
        for part in str(text or "").split("; "):
            if part.strip() and part.strip() not in parts:
                parts.append(part.strip())
    return "; ".join(parts)


def _names(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " og " + items[-1] if items else ""


def council_html(unit: registry.Cluster) -> str:
    """A council's composition: a sentence with the totals, seats per appointing body, chair rule, certainty,
    conflicts and sources (all from the registry)."""
    w = words(unit)
    try:
        comp = registry.composition(unit)
        seats = registry.seats(unit, "politisk")
        levels = registry.levels(unit)
    except KlyngedataError:
        return blocks.note_da(w.fill(f"{unit.name}s sammensætning er ikke registreret i klyngedatas register."),
                              title="Ingen oplysninger").data
    level = levels.iloc[0] if len(levels) else None
    regional, municipal = comp["regional"], comp["municipal"]
    n_mun = len(comp["municipal_seats"])
    parts = []
    if level is not None and level.get("name_da"):
        parts.append(f"<h4>{blocks.esc(str(level['name_da']))}</h4>")
    text = (f"{unit.name} har {regional + municipal} medlemmer: {regional} regionsrådsmedlemmer, udpeget af "
            f"regionsrådet i {unit.region_name}, og {municipal} kommunale medlemmer fra de {n_mun} "
            "medlemskommuner.")
    if comp["regional_majority_check"]:
        text += " Regionsrådsmedlemmerne har flertal med ét medlem mere end kommunerne tilsammen."
    parts.append(f"<p>{blocks.esc(text)}</p>")
    table = seats.assign(
        antal=[str(int(v)) for v in seats["count_min"]],
        udpeget=seats["appointed_by"],
        note=seats["note_da"].fillna(""),
    )
    total = pd.DataFrame([{"udpeget": "I alt", "antal": str(regional + municipal), "note": ""}])
    columns = {"udpeget": "Udpeges af", "antal": "Pladser"}
    if (table["note"] != "").any():
        columns["note"] = "Bemærkning"
    parts.append(blocks.frame_table(pd.concat([table, total], ignore_index=True), columns).data)
    if level is not None:
        chair = str(level.get("chair_da") or "").strip()
        meetings = _meetings(level)
        parts.append(f"<p>Formandskab: {blocks.esc(chair or 'ikke registreret')}. {blocks.esc(meetings)}.</p>")
    tags = sorted(set(seats["tag"].astype(str)), key=list(CERTAINTY_DA).index)
    if not comp["verified"] and tags:
        certainty = CERTAINTY_DA.get(tags[-1], "ikke bekræftet")
        parts.append(f"<p>{blocks.esc(w.fill('Sammensætningen er ' + certainty + '.'))}</p>")
    for note in _conflicts(unit):
        parts.append(blocks.note_da(note, title="Kilderne er uenige").data)
    sources = _sources([*map(str, seats["source"]), *([str(level["source"])] if level is not None else [])])
    log.info("composition of %s: %s", unit.id, sources)  # analyst detail: the log
    readable = _sources([reader_source(part) for part in sources.split("; ")])
    if readable:
        parts.append(blocks.caption_da(f"Kilde: {readable}").data)
    return "".join(parts)


def _conflicts(unit: registry.Cluster) -> list[str]:
    """Danish notes of the conflicts between sources that concern the unit (as recorded, never resolved)."""
    try:
        cf = registry.conflicts(unit.division)
    except KlyngedataError:
        return []
    mine = cf[(cf["cluster_id"] == unit.id) | (cf["alternative"] == unit.id)]
    return list(dict.fromkeys(str(n) for n in mine["note_da"] if str(n).strip()))


def _meetings(level: Any) -> str:
    lo, hi = level.get("meetings_min_per_year"), level.get("meetings_max_per_year")
    if pd.notna(lo) and pd.notna(hi):
        return f"{int(lo)}-{int(hi)} møder om året"
    if pd.notna(lo):
        return f"Mindst {int(lo)} møder om året"
    return "Mødehyppigheden er ikke fastsat i de registrerede kilder"


def levels_html(unit: registry.Cluster) -> str:
    """A cluster's governance levels (meetings, chair) and the seats at each level, from the commissions."""
    w = words(unit)
    try:
        levels = registry.levels(unit)
    except KlyngedataError:
        return blocks.note_da(w.fill("Der er ingen oplysninger om {klyngens} organisering i registret.")).data
    parts = []
    unregistered = _unregistered_levels(unit, set(map(str, levels["level"])))
    if unregistered:
        parts.append(unregistered)
    for _, lev in levels.iterrows():
        name = str(lev.get("name_da") or LEVEL_NAMES_DA.get(lev["level"], lev["level"]))
        meetings = _meetings(lev)
        parts.append(f"<h4>{blocks.esc(name)}</h4><p>{blocks.esc(meetings[:1].upper() + meetings[1:])}. "
                     f"Formandskab: {blocks.esc(str(lev.get('chair_da') or '–'))}.</p>")
        try:
            seats = registry.seats(unit, lev["level"])
        except KlyngedataError:
            parts.append("<p>Sammensætningen er ikke registreret.</p>")
            continue
        seats = seats.assign(
            antal=[_seat_count(a, b) for a, b in zip(seats["count_min"], seats["count_max"], strict=True)],
            rolle=[f"{r} (observatør)" if o and "observatør" not in str(r) else str(r)
                   for r, o in zip(seats["role_da"], seats["observer"], strict=True)],
        )
        parts.append(blocks.frame_table(seats, {"rolle": "Rolle", "antal": "Antal", "appointed_by": "Udpeges af",
                                                "note_da": "Bemærkning"}).data)
        source = lev.get("source") or _sources(list(map(str, seats["source"])))
        readable = reader_source(source)
        log.info("governance %s: %s", lev["level"], source)  # analyst detail: the log
        if readable:
            parts.append(blocks.caption_da(f"Kilde: {readable}").data)
    return "".join(parts)


def _unregistered_levels(unit: registry.Cluster, registered: set[str]) -> str:
    """A Danish note when the registry has no commission for (some of) the levels the division prescribes."""
    w = words(unit)
    divs = registry.divisions()
    row = divs[divs["division"] == unit.division]
    prescribed = [lv for lv in str(row["levels"].iloc[0] if len(row) else "").split(";") if lv and lv != "nan"]
    missing = [lv for lv in prescribed if lv not in registered]
    names = [LEVEL_NAMES_DA.get(lv, lv).lower() for lv in prescribed]
    law = ""
    if prescribed and len(row):
        count = {1: "ét niveau", 2: "to niveauer", 3: "tre niveauer"}.get(len(names), f"{len(names)} niveauer")
        law = f" {row['name'].iloc[0]} har {count}: {' og '.join(names)}."
    if not registered:
        return blocks.note_da(w.fill(
            f"Der er ikke registreret et kommissorium for {{klyngerne}} i {unit.region_name}, så "
            f"{{klyngens}} sammensætning og mødehyppighed kan ikke vises.{law}"), title="Ingen oplysninger").data
    if missing:
        which = " og ".join(LEVEL_NAMES_DA.get(lv, lv).lower() for lv in missing)
        return blocks.note_da(f"For {which} er der ikke registreret et kommissorium i {unit.region_name}.{law}",
                              title="Ikke registreret").data
    return ""


def _seat_count(lo: Any, hi: Any) -> str:
    if pd.notna(lo) and pd.notna(hi):
        return str(int(lo)) if int(lo) == int(hi) else f"{int(lo)}-{int(hi)}"
    if pd.notna(lo):
        return f"mindst {int(lo)}"
    return "ikke fastsat"
