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


def governance_html(unit: registry.Cluster, local: Any = None) -> str:
    """The organisation section of ``unit``: a council's composition, or a cluster's governance levels.
    ``local``: the unit's :class:`klyngedata.local_facts.LocalFacts` (the secretariat's facts win)."""
    return council_html(unit, local) if unit.is_council else levels_html(unit)


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


def _local_seats(unit: registry.Cluster, local: Any) -> pd.DataFrame | None:
    """The secretariat's seats as a seats table (regional council first, then the members in their order)."""
    given = local.seats() if local else {}
    if not given:
        return None
    names = dict(zip(unit.municipality_names, unit.municipality_codes, strict=True))
    rows = [{"role_id": "regionsraadsmedlem", "count_min": given["regionsrådet"], "note_da": "",
             "appointed_by": f"Regionsrådet i {unit.region_name}"}]
    rows += [{"role_id": "kommunalt-medlem", "count_min": given[m], "note_da": "",
              "appointed_by": registry.official_name(names[m], m)} for m in unit.municipality_names]
    return pd.DataFrame(rows)


def council_html(unit: registry.Cluster, local: Any = None) -> str:
    """A council's composition: a sentence with the totals, seats per appointing body, chair and meetings, and
    conflicts between sources — stated once, without doubts in every line (what is unconfirmed is said once in
    the sources, :func:`unconfirmed_da`; the source and its date there too, :func:`composition_source_da`)."""
    w = words(unit)
    try:
        seats = registry.seats(unit, "politisk")
        levels = registry.levels(unit)
    except KlyngedataError:
        return blocks.note_da(w.fill(f"{unit.name}s sammensætning er ikke registreret."),
                              title="Ingen oplysninger").data
    own = _local_seats(unit, local)
    if own is not None:
        seats = own
    level = levels.iloc[0] if len(levels) else None
    regional = int(seats.loc[seats["role_id"] == "regionsraadsmedlem", "count_min"].sum())
    municipal = int(seats.loc[seats["role_id"] == "kommunalt-medlem", "count_min"].sum())
    n_mun = int((seats["role_id"] == "kommunalt-medlem").sum())
    parts = []
    if level is not None and level.get("name_da"):
        parts.append(f"<h4>{blocks.esc(str(level['name_da']))}</h4>")
    text = (f"{unit.name} har {regional + municipal} medlemmer: {regional} regionsrådsmedlemmer, udpeget af "
            f"regionsrådet i {unit.region_name}, og {municipal} kommunale medlemmer fra de {n_mun} "
            "medlemskommuner.")
    if regional == municipal + 1:
        text += " Regionsrådsmedlemmerne har flertal med ét medlem mere end kommunerne tilsammen."
    parts.append(f"<p>{blocks.esc(text)}</p>")
    table = seats.assign(antal=[str(int(v)) for v in seats["count_min"]], udpeget=seats["appointed_by"],
                         note=seats["note_da"].fillna(""))
    total = pd.DataFrame([{"udpeget": "I alt", "antal": str(regional + municipal), "note": ""}])
    columns = {"udpeget": "Udpeges af", "antal": "Pladser"}
    if (table["note"] != "").any():
        columns["note"] = "Bemærkning"
    parts.append(blocks.frame_table(pd.concat([table, total], ignore_index=True), columns).data)
    if own is not None:
        first = local.all("pladser")[0]
        parts.append(blocks.caption_da(f"Pladserne er {first.cited_da()}.").data)
    parts.append(f"<p>{blocks.esc(_chair_da(level, local))}</p>")
    for note in _conflicts(unit):
        parts.append(blocks.note_da(note, title="Kilderne er uenige").data)
    sources = _sources([*map(str, registry.seats(unit, "politisk")["source"]),
                        *([str(level["source"])] if level is not None else [])])
    log.info("composition of %s: %s", unit.id, sources)  # analyst detail: the log
    return "".join(parts)


def _chair_da(level: Any, local: Any) -> str:
    """Chair, vice-chair and meetings: the secretariat's facts, else the registry's rule."""
    chair, vice = (local.one("formand"), local.one("næstformand")) if local else (None, None)
    if chair or vice:
        named = [f"{what}: {f.value}, {f.cited_da()}" for what, f in (("Formand", chair), ("Næstformand", vice))
                 if f is not None]
        text = "; ".join(named)
    else:
        rule = str(level.get("chair_da") or "").strip() if level is not None else ""
        text = f"Formandskab: {rule or 'ikke registreret'}"
    meetings = local.one("møder_pr_år") if local else None
    if meetings is not None:
        return f"{text}. {meetings.value} møder om året, {meetings.cited_da()}."
    return f"{text}. {_meetings(level) if level is not None else 'Mødehyppigheden er ikke registreret'}."


def composition_source_da(unit: registry.Cluster, local: Any = None) -> str:
    """The one line in the sources that says where a council's composition is from, with its date."""
    if local and local.seats():
        return f"Rådets sammensætning: {local.all('pladser')[0].cited_da()}"
    try:
        seats = registry.seats(unit, "politisk")
    except KlyngedataError:
        return ""
    readable = _sources([reader_source(t) for t in dict.fromkeys(map(str, seats["source"]))])
    return f"Rådets sammensætning (medlemskommuner og pladser): {readable}" if readable else ""


def unconfirmed_da(unit: registry.Cluster, local: Any = None) -> str:
    """One plain sentence naming the unit's facts that no official source confirms (``""`` when none): the
    composition, the acute hospitals, the chair rule — less what the secretariat has given."""
    what: list[str] = []
    try:
        seats = registry.seats(unit, "politisk") if unit.is_council else None
        levels = registry.levels(unit)
    except KlyngedataError:
        seats, levels = None, pd.DataFrame()
    if seats is not None and not bool(seats["verified"].all()) and not (local and local.seats()):
        what.append("medlemskommunerne og pladsfordelingen")
    if registry.hospitals_inferred(unit) and not (local and local.all("akutsygehus")):
        which = "akutsygehusene, der er udledt" if len(unit.hospitals) > 1 else "akutsygehuset, der er udledt"
        what.append(words(unit).fill(f"{which} af de sundhedsklynger, {{klyngen}} overtager"))
    if unit.is_council and len(levels) and not bool(levels["verified"].iloc[0]) and not (
            local and (local.one("formand") or local.one("næstformand"))):
        what.append("reglen om, at formand og næstformand er regionsrådsmedlemmer (sådan er det i alle 17 råds "
                    "medlemslister)")
    if not what:
        return ""
    return (f"Ikke bekræftet af en officiel kilde: {_names(what)}. "
            + words(unit).fill("{Klyngens} sekretariat kan bekræfte eller rette oplysningerne lokalt; de vises "
                               "så som oplyst af sekretariatet."))


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
