"""The report section "Fra sundhedsklynger til sundhedsråd": which units of the other division share a unit's
residents, with the population they share and its share of each unit.

A council's report lists the clusters it takes over (from :func:`klyngedata.crosswalks.crosswalk` with
population); a cluster's report names its successor council(s) and says that the clusters end (ended, when
read after 31 December 2026 — "today" is :func:`klyngedata.clock.today`). København's bydel split is used when
bydel population data exist; otherwise the part that cannot be allocated is its own row and the report says so.
Counts of 1–4 persons (and shares built on them) are never shown (:func:`klyngedata.disclosure.suppress`).

Example
-------
>>> from klyngedata.reports.transition import transition_pair
>>> transition_pair("sundhedsraad-limfjorden")
('sundhedsklynger-2022', 'sundhedsraad-2027')
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pandas as pd

from klyngedata import clock, registry
from klyngedata.disclosure import NOTE_DA, suppress
from klyngedata.formatting import date_da, percent
from klyngedata.registry.words import words
from klyngedata.reports import blocks
from klyngedata.vocabulary import period_text_da


@dataclass(frozen=True)
class Lifetime:
    """A unit's division's validity seen from today: ``ended`` / ``ends`` (a known end date in the past /
    future), ``starts`` (not valid yet), with the Danish dates."""

    valid_from: pd.Timestamp
    valid_to: pd.Timestamp | None
    today: pd.Timestamp

    @property
    def ended(self) -> bool:
        return self.valid_to is not None and self.valid_to < self.today

    @property
    def starts_later(self) -> bool:
        return self.valid_from > self.today

    @property
    def from_da(self) -> str:
        return date_da(self.valid_from.date())

    @property
    def to_da(self) -> str:
        return "" if self.valid_to is None else date_da(self.valid_to.date())


def lifetime(division: str) -> Lifetime:
    """Validity of ``division`` with today's date (:func:`klyngedata.clock.today`)."""
    d = registry.division(division)
    to = None if pd.isna(d["valid_to"]) else pd.Timestamp(d["valid_to"])
    return Lifetime(pd.Timestamp(d["valid_from"]), to, pd.Timestamp(clock.today()))


def transition_pair(unit_id: str) -> tuple[str, str] | None:
    """The two divisions of the transition a unit takes part in: (its division, the next) for a unit whose
    division has a successor, else (the previous complete division, its division); None if there is none.

    >>> transition_pair("nordjylland-nord")
    ('sundhedsklynger-2022', 'sundhedsraad-2027')
    """
    div = registry.division_of(unit_id)
    divs = registry.divisions()
    start = divs.set_index("division").loc[div, "valid_from"]
    later = divs[divs["valid_from"] > start]
    if len(later):
        return div, str(later.iloc[0]["division"])
    earlier = divs[(divs["valid_from"] < start) & (divs["coverage"] == "complete")]
    if len(earlier):
        return str(earlier.iloc[-1]["division"]), div
    return None


def transition_title(unit_id: str) -> str:
    """Danish section title: "Fra sundhedsklynger til sundhedsråd" (also for a 2022 cluster).

    >>> transition_title("sundhedsraad-fyn"), transition_title("styregruppe-nordjylland-nord")
    ('Fra sundhedsklynger til sundhedsråd', 'Fra klyngestyregrupper til sundhedsklynger')
    """
    pair = transition_pair(unit_id)
    if pair is None:
        return "Overgang mellem inddelinger"
    return f"Fra {words(pair[0]).units} til {words(pair[1]).units}"


def _unit_names(frame: pd.DataFrame) -> str:
    return _names([str(n) for n in frame["name"]]) if len(frame) else ""


def neighbours_da(unit: registry.Cluster) -> list[tuple[str, str]]:
    """Header facts naming the units a unit succeeds or is succeeded by, with the date (Danish).

    >>> from klyngedata import registry
    >>> neighbours_da(registry.cluster("sundhedsraad-vendsyssel"))
    [('Forgænger', 'Klynge Nord (sundhedsklynge 1. juli 2022 – 31. december 2026)')]
    """
    out: list[tuple[str, str]] = []
    pair = transition_pair(unit.id)
    if pair is None:
        return out
    if unit.division == pair[0]:
        succ = registry.successors(unit.id)
        if len(succ):
            life = lifetime(pair[1])
            out.append(("Afløses af" if life.starts_later else "Afløst af",
                        f"{_unit_names(succ)} (fra {life.from_da})"))
    else:
        pred = registry.predecessors(unit.id)
        if len(pred):
            old = lifetime(pair[0])
            kind = words(pair[0]).unit if len(pred) == 1 else words(pair[0]).units
            label = "Forgænger" if len(pred) == 1 else "Forgængere"
            out.append((label, f"{_unit_names(pred)} ({kind} {old.from_da} – {old.to_da})"))
    return out


def status_da(unit: registry.Cluster) -> str:
    """A Danish note for a report whose unit's division has ended or has not started yet ("" otherwise).

    >>> from klyngedata import clock, registry
    >>> with clock.frozen("2027-01-02"):
    ...     status_da(registry.cluster("nordjylland-nord"))[:44]
    'Sundhedsklyngerne ophørte 31. december 2026.'
    """
    w = words(unit)
    life = lifetime(unit.division)
    if life.ended:
        text = (f"{w.fill('{Sundhedsklyngerne}')} ophørte {life.to_da}. Rapporten beskriver {unit.name}, "
                f"som {w.definite} var sammensat indtil da.")
        succ = registry.successors(unit.id)
        if len(succ):
            nxt = transition_pair(unit.id)
            text += f" Området overgik {lifetime(nxt[1]).from_da} til {_unit_names(succ)}." if nxt else ""
        return text
    if life.starts_later:
        pair = transition_pair(unit.id)
        old = f" afløser {words(pair[0]).units_definite}" if pair and pair[1] == unit.division else " begynder"
        return (f"{w.fill('{Sundhedsklyngerne}')}{old} {life.from_da}. Rapporten viser "
                f"{w.genitive} område med de seneste tal.")
    return ""


def shared_population(unit_id: str, period: Any = "latest",
                      data_dir: str | os.PathLike[str] | None = None) -> tuple[pd.DataFrame, str]:
    """Rows of the population crosswalk that concern ``unit_id`` and whether it is the ``"from"`` or ``"to"``
    side: the units of the other division it shares residents with, published (small counts suppressed).

    Columns as :func:`klyngedata.crosswalks.crosswalk` plus ``other_id``, ``other_name``, ``own_share``
    (share of ``unit_id``'s residents), ``other_share`` and ``display`` (the population as shown).
    """
    from klyngedata.crosswalks import crosswalk

    pair = transition_pair(unit_id)
    if pair is None:
        return pd.DataFrame(), ""
    side = "from" if registry.division_of(unit_id) == pair[0] else "to"
    other = "to" if side == "from" else "from"
    cw = crosswalk(pair[0], pair[1], population=True, period=period, data_dir=data_dir)
    if len(cw):
        cw = cw[cw["period"] == cw["period"].max()]
    rows = cw[cw[f"{side}_cluster_id"] == unit_id].copy()
    rows["other_id"] = rows[f"{other}_cluster_id"]
    rows["other_name"] = rows[f"{other}_cluster_name"]
    rows["own_share"] = rows[f"share_of_{side}"]
    rows["other_share"] = rows[f"share_of_{other}"]
    pairs = rows.copy()
    rows = _whole_members_apart(rows, pair, side, unit_id, cw, data_dir)
    rows = rows.sort_values("population", ascending=False, na_position="last").reset_index(drop=True)
    total = pd.DataFrame([{"other_id": "__total__", "population": rows["population"].sum(min_count=1)
                           if rows["population"].notna().all() else pd.NA}])
    published = suppress(pd.concat([rows, total], ignore_index=True),
                         groups=[("__total__", list(rows["other_id"]))], key="other_id", numerator="population",
                         denominator=None, value_columns=["own_share", "other_share"])
    published = published[published["other_id"] != "__total__"].reset_index(drop=True)
    shown = [blocks.count_text(v) for v in published["population"]]
    published["display"] = [d if hidden else t
                            for d, hidden, t in zip(published["display"], published["suppressed"], shown, strict=True)]
    published.attrs["provenance"] = cw.attrs.get("provenance", [])
    published.attrs["pairs"] = pairs  # one row per pair of units (the sentences name units, not parts)
    return published, side


def _whole_members_apart(rows: pd.DataFrame, pair: tuple[str, str], side: str, unit_id: str, cw: pd.DataFrame,
                         data_dir: Any) -> pd.DataFrame:
    """A pair whose shared residents cannot be counted because it holds part of a split municipality is shown
    as two rows: its whole municipalities, whose residents are known exactly (Frederiksberg Kommune, going from
    Sundhedsklynge Byen to Sundhedsråd Hovedstaden), and the split part, without a figure (its residents are in
    the row of the part that cannot be allocated). So every resident of the unit is in exactly one row, and
    nothing is guessed or summed partially."""
    split = set()
    for div in dict.fromkeys(pair):
        m = registry.membership(div)
        split |= set(m.loc[m["allocation"] != "whole", "municipality_code"])
    rows = rows.copy()
    for i, r in rows.iterrows():  # the labels say which part a row is
        codes = set(str(r["municipality_codes"]).split(","))
        if ":" in str(r["other_id"]):
            rows.loc[i, "other_name"] = f"{_names([_official(c) for c in sorted(codes)])}, bydele, der ikke kan " \
                                        "fordeles"
        elif pd.isna(r["population"]) and codes <= split:
            rows.loc[i, "other_name"] = f"{r['other_name']}: bydele i {_names([_official(c) for c in sorted(codes)])}"
    todo = rows[rows["population"].isna() & ~rows["other_id"].astype(str).str.contains(":")]
    todo = todo[[bool(set(str(c).split(",")) - split) and bool(set(str(c).split(",")) & split)
                 for c in todo["municipality_codes"]]]
    if todo.empty:
        return rows
    from klyngedata.population import population

    period = cw["period"].iloc[0]
    pop = population(level="municipality", period=period, data_dir=data_dir)
    pop = pop[pop["period"] == period] if "period" in pop.columns else pop
    per = dict(zip(pop["entity_id"].astype(str), pop["population"], strict=False))
    own_total = _unit_total(unit_id, per)
    out = [rows.drop(index=todo.index)]
    for _, r in todo.iterrows():
        codes = str(r["municipality_codes"]).split(",")
        whole, part = [c for c in codes if c not in split], [c for c in codes if c in split]
        known = [per.get(c) for c in whole]
        count = int(sum(known)) if all(v is not None and pd.notna(v) for v in known) else pd.NA
        other_total = _unit_total(str(r["other_id"]), per)
        a, b = r.copy(), r.copy()
        a["other_id"], b["other_id"] = f"{r['other_id']}#hele", f"{r['other_id']}#delt"
        a["other_name"] = f"{r['other_name']}: " + _names([_official(c) for c in whole])
        a["municipality_codes"], a["population"], a["complete"] = ",".join(whole), count, True
        a["own_share"] = count / own_total if own_total and pd.notna(count) else float("nan")
        a["other_share"] = count / other_total if other_total and pd.notna(count) else float("nan")
        b["other_name"] = f"{r['other_name']}: bydele i " + _names([_official(c) for c in part])
        b["municipality_codes"] = ",".join(part)
        b["own_share"] = b["other_share"] = float("nan")
        out.append(pd.DataFrame([a, b]))
    return pd.concat(out, ignore_index=True)


def _unit_total(unit_id: str, per: dict[str, Any]) -> float | None:
    """A unit's residents from its municipalities' (None when a member is split in its division, or missing)."""
    try:
        unit = registry.cluster(unit_id)
    except Exception:  # noqa: BLE001 - an unallocated row is no unit
        return None
    codes = unit.municipality_codes
    if unit.has_split or any(per.get(c) is None or pd.isna(per.get(c)) for c in codes):
        return None
    return float(sum(per[c] for c in codes))


def _official(code: str) -> str:
    m = registry.municipality(code)
    return registry.official_name(m.code, m.name)


def _share(value: Any) -> str:
    return "–" if value is None or pd.isna(value) else percent(float(value) * 100, 1)


def _names(items: list[str]) -> str:
    """"A, B og C" ("samt" before the last when a name itself holds "og": "Amager og Vestegnen samt …")."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    last = " samt " if any(" og " in i for i in items) else " og "
    return ", ".join(items[:-1]) + last + items[-1]


def _municipalities(codes: str) -> str:
    names = []
    for code in str(codes or "").split(","):
        if code.strip():
            try:
                names.append(registry.municipality(code.strip()).name)
            except Exception:  # noqa: BLE001 - a name is a nicety; the code is never shown
                continue
    return ", ".join(names)


def sentences(unit: registry.Cluster, rows: pd.DataFrame, side: str) -> list[str]:
    """Danish sentences of the section: what the unit takes over, or which unit(s) succeed it and when."""
    pair = transition_pair(unit.id)
    if pair is None:
        return []
    old, new = words(pair[0]), words(pair[1])
    life = lifetime(pair[1])  # the transition happens when the newer division starts
    rows = rows.attrs.get("pairs", rows) if hasattr(rows, "attrs") else rows
    real = rows[~rows["other_id"].astype(str).str.contains(":")] if len(rows) else rows
    change = (f"{new.fill('{Sundhedsklyngerne}')} afløser {old.units_definite} {life.from_da}"
              if life.starts_later else
              f"{new.fill('{Sundhedsklyngerne}')} afløste {old.units_definite} {life.from_da}")
    if side == "to":
        whole = [n for n, s in zip(real["other_name"], real["other_share"], strict=True) if s == 1.0]
        part = [n for n, s in zip(real["other_name"], real["other_share"], strict=True) if s != 1.0]
        what = " samt ".join(x for x in ("hele " + _names(whole) if whole else "",
                                         "en del af " + _names(part) if part else "") if x)
        if not what:
            return [change + "."]
        verb = "overtager" if life.starts_later else "overtog"
        return [f"{change}. {unit.name} {verb} befolkningen i {what}."]
    names = _names(list(real["other_name"]))
    if not names:
        return [change + "."]
    verb = "hører" if len(real) == 1 else "fordeles"
    prep = "til" if len(real) == 1 else "på"
    if life.starts_later:
        return [f"{change}. Fra {life.from_da} {verb} befolkningen i {unit.name} {prep} {names}."]
    past = "overgik" if len(real) == 1 else "blev fordelt"
    return [f"{old.fill('{Sundhedsklyngerne}')} ophørte {date_da((life.valid_from - pd.Timedelta(days=1)).date())}. "
            f"Befolkningen i {unit.name} {past} {life.from_da} {prep} {names}."]


def section(unit: registry.Cluster, period: Any = "latest", data_dir: str | os.PathLike[str] | None = None) -> str:
    """HTML of the section for ``unit``: sentences, the table of shared residents, notes and source.

    Raises :class:`~klyngedata.exceptions.DataNotAvailable` when there are no population data.
    """
    rows, side = shared_population(unit.id, period, data_dir)
    if not side:
        return blocks.note_da(f"{unit.name} har ingen forgænger eller efterfølger i registret.").data
    own = words(unit)
    other = words(transition_pair(unit.id)[1 if side == "from" else 0])
    parts = [f"<p>{blocks.esc(s)}</p>" for s in sentences(unit, rows, side)]
    when = period_text_da(rows["period"].iloc[0], stock=True) if len(rows) else ""
    table = pd.DataFrame({
        "other": rows["other_name"],
        "kommuner": [_municipalities(c) for c in rows["municipality_codes"]],
        "indbyggere": rows["display"],
        "own_share": [_share(v) for v in rows["own_share"]],
        "other_share": [_share(v) for v in rows["other_share"]],
    })
    headings = {
        "other": other.fill("{Sundhedsklynge}"),
        "kommuner": "Kommuner",
        "indbyggere": f"Fælles indbyggere{', ' + when if when else ''}",
        "own_share": own.fill("Andel af {klyngens} indbyggere"),
        "other_share": other.fill("Andel af {klyngens} indbyggere"),
    }
    parts.append(_table(table, headings))
    note = _split_note(rows, transition_pair(unit.id))
    if note and "ikke" in note and getattr(unit, "has_split", False):  # the header explained the split: once
        parts.append(blocks.caption_da("Tal, der afhænger af delingen af kommunen efter bydel, vises ikke (–); "
                                       "se forklaringen øverst.").data)
    elif note:
        parts.append(blocks.note_da(note).data if "ikke" in note else blocks.caption_da(note).data)
    if bool(rows["suppressed"].any()):
        parts.append(blocks.caption_da(NOTE_DA).data)
    parts.append(blocks.caption_da(
        "Kilde: befolkningstal fra Danmarks Statistik, fordelt efter kommunernes (og bydelenes) tilhørsforhold i "
        "begge inddelinger.").data)
    return "".join(parts)


def _split_note(rows: pd.DataFrame, pair: tuple[str, str]) -> str:
    """Danish note on municipalities split by bydel in either division: allocated with bydel figures, or not
    (then the figures that depend on the split are not shown, and nothing is guessed)."""
    split: dict[str, str] = {}
    members = {div: registry.membership(div) for div in dict.fromkeys(pair)}  # each division's table once
    for div in pair:
        m = members[div]
        for code, name in m.loc[m["allocation"] != "whole", ["municipality_code", "municipality_name"]].values:
            split[code] = name
    involved = {c for codes in rows["municipality_codes"] for c in str(codes).split(",")} & set(split)
    if not involved:
        return ""
    names = _names(sorted(_official(c) for c in involved))
    units = _names([words(d).units_definite for d in pair if (members[d]["allocation"] != "whole").any()])
    if bool(rows["complete"].all()):
        return (f"{names} er delt efter bydel mellem {units}; de fælles indbyggere er opgjort med bydelenes "
                "befolkningstal.")
    text = (f"{names} er delt efter bydel mellem {units}, og der er ikke befolkningstal for bydelene i de "
            "tilgængelige data. Derfor vises fælles indbyggere og andele, der afhænger af delingen, ikke (–); "
            "intet er fordelt skønsmæssigt.")
    if rows["other_id"].astype(str).str.contains(":").any():
        text += f" Alle indbyggere i {names} står i rækken »{names}, bydele, der ikke kan fordeles«."
    return text


def _table(frame: pd.DataFrame, headings: dict[str, str]) -> str:
    head = "".join(f"<th>{blocks.esc(h)}</th>" for h in headings.values())
    body = []
    for r in frame.to_dict("records"):
        cells = [f"<td>{blocks.esc(str(r['other']))}</td>", f"<td>{blocks.esc(r['kommuner'])}</td>",
                 f'<td class="kd-num" data-count="1" data-unit="personer">{blocks.esc(str(r["indbyggere"]))}</td>',
                 f'<td class="kd-num">{blocks.esc(r["own_share"])}</td>',
                 f'<td class="kd-num">{blocks.esc(r["other_share"])}</td>']
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<table class="kd-table kd-transition"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')
