"""The key-figure report's section "Dødelighed og middellevetid" (reports layer): the unit's life expectancy by sex
with its interval against region and Denmark, its development over the 5-year windows, the standardised mortality
(SMR, age-standardised death rate, premature mortality), the member municipalities' computed life expectancy
beside Statistics Denmark's published one, and what the interval means – in Danish, the data years beside every
figure. The figures come from :mod:`klyngedata.mortality` (disclosure-controlled there).

Example
-------
Needs deaths (FOD207) and population by sex and age imported into the data directory; not run as a doctest.
>>> from klyngedata.reports import ClusterReport
>>> ClusterReport("nordjylland-nord").mortality()  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
from IPython.display import HTML

from klyngedata.disclosure import NOTE_DA
from klyngedata.exceptions import KlyngedataError
from klyngedata.formatting import figure_number
from klyngedata.mortality.members import NO_HISBK_DA
from klyngedata.reports.blocks import caption_da, esc, note_da
from klyngedata.stats import OUTCOME_DA

__all__ = ["INTERVAL_DA", "section"]

log = logging.getLogger(__name__)

SEX_DA = {"total": "begge køn", "male": "mænd", "female": "kvinder"}
COMPARED_DA = ("I forhold til regionen", "I forhold til landet")
INTERVAL_DA = (
    "Tallene i parentes er 95 %-intervaller. Selv med de samme livsvilkår ville antallet af dødsfald "
    "variere lidt fra periode til periode, og jo mindre befolkningen er, jo mere. Intervallet viser, hvor den "
    "egentlige værdi med stor sandsynlighed ligger. Kun når regionens eller landets tal ligger uden for "
    "intervallet, er forskellen statistisk sikker; ellers kaldes {klyngen} »på niveau«.")
UNAVAILABLE_DA = ("Middellevetid og dødelighed kan ikke vises, fordi dødsfaldene (Danmarks Statistik) eller "
                  "befolkningen efter køn og alder ikke findes blandt de data, rapporten bygger på.")
SOURCE_DA = ("Kilde: dødsfald fra Danmarks Statistik (tabel FOD207) og befolkningen 1. januar (tabel {population}); "
             "hvordan tallene er beregnet, står i »Om tallene«.")
"""The section's source line in the body; the method (:data:`METHOD_DA`) is in the appendix "Om tallene"."""
METHOD_DA = (
    "Beregnet ud fra dødsfald (Danmarks Statistik, FOD207) og befolkningen 1. januar ({population}): "
    "middellevetiden med en forkortet dødelighedstavle (Chiangs metode) af {klyngens} samlede dødsfald og personår "
    "– ikke som et gennemsnit af kommunernes tal; dødeligheden aldersstandardiseret med Den Europæiske "
    "Standardbefolkning 2013; SMR med hele landets dødelighed i samme år som reference.")


def _outcome(row: pd.Series, which: str) -> str:
    return OUTCOME_DA.get(str(row.get(f"vs_{which}")), "ikke sammenlignet")


def _figure(row: pd.Series, decimals: int, unit: str = "") -> str:
    """``81,2 år (80,6–81,8)``, the disclosure mark, or a dash."""
    if bool(row.get("suppressed")):
        return str(row.get("display") or "x")
    if pd.isna(row.get("value")):
        return "–"
    text = figure_number(row["value"], decimals) + (f" {unit}" if unit else "")
    if pd.notna(row.get("ci95_low")) and pd.notna(row.get("ci95_high")):
        text += f" ({figure_number(row['ci95_low'], decimals)}–{figure_number(row['ci95_high'], decimals)})"
    return text


def _bench(value: Any, decimals: int) -> str:
    return "–" if pd.isna(value) else figure_number(value, decimals)


def _cell(text: str, numeric: bool, last: bool) -> str:
    """A cell; numbers right-aligned, the period (last column) kept on one line."""
    attrs = (' class="kd-num"' if numeric else "") + (' style="white-space:nowrap"' if last else "")
    return f"<td{attrs}>{esc(text)}</td>"


def _table(head: list[str], rows: list[list[str]], numeric: set[int]) -> str:
    th = "".join(f"<th>{esc(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(_cell(c, i in numeric, i == len(r) - 1 and i not in numeric)
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f'<table class="kd-table"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _notes(rows: pd.DataFrame) -> list[str]:
    notes = [str(n) for n in rows["note_da"].dropna() if str(n)]
    return list(dict.fromkeys(notes))


def _life_table(le: pd.DataFrame) -> str:
    rows = []
    for age, what in ((0, "Ved fødslen"), (65, "Som 65-årig")):
        for sex in ("total", "male", "female"):
            r = le[(le["age"] == age) & (le["sex"] == sex)]
            if r.empty:
                continue
            r = r.iloc[0]
            rows.append([f"{what}, {SEX_DA[sex]}", _figure(r, 1, "år"), _bench(r["region_value"], 1),
                         _bench(r["country_value"], 1), _outcome(r, "region"), _outcome(r, "country"),
                         str(r["period_da"])])
    return _table(["Middellevetid", "Værdi (95 %-interval)", "Regionen", "Hele landet", *COMPARED_DA, "Periode"],
                  rows, {1, 2, 3})


def _trend_table(le: pd.DataFrame, unit_id: str, name: str) -> str:
    sel = le[(le["age"] == 0) & (le["sex"] == "total")]
    periods = list(dict.fromkeys(sel.sort_values("period")["period"]))
    texts = dict(zip(sel["period"], sel["period_da"], strict=False))
    unit = sel[sel["entity_id"] == unit_id].set_index("period")
    rows = [[name, *[_figure(unit.loc[p], 1) if p in unit.index else "–" for p in periods]]]
    for label, col in (("Regionen", "region_value"), ("Hele landet", "country_value")):
        rows.append([label, *[_bench(unit.loc[p, col], 1) if p in unit.index else "–" for p in periods]])
    return _table(["Middellevetid ved fødslen, begge køn", *[texts[p] for p in periods]], rows,
                  set(range(1, len(periods) + 1)))


def _mortality_table(m: pd.DataFrame) -> str:
    rows, said = [], ""
    for fid, label, dec in (("standardised_mortality_ratio", "Dødelighed i forhold til landet (landet = 100)", 0),
                            ("death_rate_standardised", "Døde pr. 100.000, aldersjusteret", 0),
                            ("premature_mortality", "Døde under 75 år pr. 100.000, aldersjusteret", 0)):
        r = m[(m["figure_id"] == fid) & (m["sex"] == "total")]
        if r.empty:
            continue
        r = r.iloc[0]
        if fid == "standardised_mortality_ratio" and not r["suppressed"] and pd.notna(r["expected"]):
            said = (f"Dødelighed i forhold til landet: {figure_number(r['deaths'], 0)} døde i {r['period_da']} mod "
                    f"{figure_number(r['expected'], 0)} forventede, hvis landets dødelighed i hver aldersgruppe "
                    "havde gældt.")
        rows.append([label, _figure(r, dec), _bench(r["region_value"], dec), _bench(r["country_value"], dec),
                     _outcome(r, "region"), _outcome(r, "country"), str(r["period_da"])])
    table = _table(["Dødelighed", "Værdi (95 %-interval)", "Regionen", "Hele landet", *COMPARED_DA, "År"], rows,
                   {1, 2, 3})
    return table + (caption_da(said).data if said else "")


def _member_table(view: pd.DataFrame) -> str:
    rows = []
    for (_code, name), g in view.groupby(["entity_id", "entity_name"], sort=False):
        comp = g[g["kind"] == "computed"].iloc[0]
        pub = g[g["kind"] == "published"].iloc[0]
        published = figure_number(pub["value"], 1) if pd.notna(pub["value"]) else (
            "ikke hentet" if pub["note_da"] == NO_HISBK_DA else "ikke offentliggjort")
        rows.append([str(name), _figure(comp, 1), published, str(comp["period_da"])])
    return _table(["Kommune", "Beregnet (95 %-interval)", "Offentliggjort af Danmarks Statistik",
                   "Periode"], rows, {1, 2})


def _record_sources(rep: Any, provenance: dict) -> None:
    """The deaths' and the population's tables for the report's sources (its footer reads ``rep._frames``)."""
    frames = getattr(rep, "_frames", None)
    if frames is None:
        return
    for key, what in (("mortality_deaths", "deaths"), ("mortality_population", "population")):
        item = dict(provenance.get(what) or {})
        if item.get("table"):
            frame = pd.DataFrame()
            frame.attrs["provenance"] = [item]
            frames[key] = frame


def section(rep: Any) -> HTML:
    """The HTML of the section for a :class:`~klyngedata.reports.ClusterReport` (see the module docstring)."""
    from klyngedata.mortality import life_expectancy, member_life_expectancy, mortality

    unit_id = rep.cluster.id
    try:
        le = life_expectancy("cluster", division=rep.division, period="all", window=5, data_dir=rep.data_dir)
        m = mortality("cluster", division=rep.division, period="latest", window=1, sex="total",
                      data_dir=rep.data_dir)
    except (KlyngedataError, ImportError) as exc:
        log.info("mortality section: %s", exc)
        return note_da(UNAVAILABLE_DA)
    _record_sources(rep, le.attrs.get("provenance") or {})
    mine = le[le["entity_id"] == unit_id]
    latest = mine[mine["period"] == mine["period"].max()]
    parts = []
    if latest["value"].isna().all():
        parts.append(note_da(" ".join(_notes(latest)[:1]) or UNAVAILABLE_DA).data)
    else:
        parts.append(_life_table(latest))
        parts.append(caption_da(rep.fill(INTERVAL_DA)).data)
        parts.append("<p><strong>" + esc(rep.fill("Udviklingen i {klyngens} middellevetid")) + "</strong></p>")
        parts.append(_trend_table(le, unit_id, rep.cluster.name))
        parts.append(caption_da("Glidende femårsperioder: hver periode deler fire år med den forrige, så "
                                "udviklingen vises, men testes ikke statistisk.").data)
    smr = m[m["entity_id"] == unit_id]
    if smr["value"].notna().any():
        parts += ["<p><strong>Dødelighed</strong></p>", _mortality_table(smr)]
    elif _notes(smr)[:1] != _notes(latest)[:1]:  # the same reason is said once
        parts += ["<p><strong>Dødelighed</strong></p>", note_da(" ".join(_notes(smr)[:1]) or UNAVAILABLE_DA).data]
    try:
        view = member_life_expectancy(unit_id, period="latest", sex="total", data_dir=rep.data_dir)
        parts.append("<p><strong>" + esc(rep.fill("Middellevetiden i {klyngens} kommuner")) + "</strong></p>")
        parts.append(_member_table(view))
        parts.append(caption_da(
            "»Beregnet« er rapportens egen beregning for kommunen; »offentliggjort« er Danmarks Statistiks eget "
            "tal (HISBK) for samme periode, hvor det er hentet. De to kan afvige lidt, fordi metoderne er "
            "forskellige. " + rep.fill("{Klyngens} middellevetid er beregnet af de samlede dødsfald og personår, "
                                       "ikke som et gennemsnit af kommunernes tal.")).data)
    except (KlyngedataError, ImportError) as exc:
        log.info("mortality members: %s", exc)
    hidden = bool(mine["suppressed"].any() or smr["suppressed"].any())
    population = (le.attrs.get("provenance") or {}).get("population", {}).get("table") or "FOLK1A"
    rep._derived["mortality_method_da"] = rep.fill(METHOD_DA.replace("{population}", population))  # "Om tallene"
    parts.append(caption_da(SOURCE_DA.replace("{population}", population) + (" " + NOTE_DA if hidden else "")).data)
    return HTML("".join(parts))
