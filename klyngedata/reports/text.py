"""Short Danish texts generated from the key figures (never written by hand for a cluster).

:func:`summary_da` turns a key-figure table (schema in ARCHITECTURE.md: ``entity_level``, ``entity_id``,
``entity_name``, ``figure_id``, ``label_da``, ``value``, ``unit``, ``period``, ``region_value``,
``country_value``, ``suppressed``, ``display``) into a list of Danish sentences: the population, how it
developed compared with the region and Denmark, which member municipality grew or shrank most, which
figures differ *significantly* from Denmark and the region, and which trends are significant. A figure is only
called better/worse (or higher/lower) when its 95 % interval excludes the benchmark (the ``vs_country`` /
``vs_region`` outcomes of :mod:`klyngedata.outcomes`); figures without an interval (e.g. survey shares without
published sample sizes) are never called higher or lower. Suppressed values are never mentioned.

Example
-------
>>> import pandas as pd
>>> CONSTRUCTED_KF = pd.DataFrame([  # constructed example
...     {"entity_level": "cluster", "entity_id": "k", "entity_name": "Klynge K", "figure_id": "population",
...      "label_da": "Befolkning", "value": 1000.0, "unit": "personer", "period": "2024M01",
...      "region_value": 5000.0, "country_value": 9000.0}])
>>> summary_da(CONSTRUCTED_KF)[0]
'Klynge K havde 1.000 indbyggere pr. 1. januar 2024.'
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from klyngedata.figures import format_number
from klyngedata.formatting import figure_number, percent
from klyngedata.registry.words import UnitWords
from klyngedata.registry.words import words as unit_words
from klyngedata.reports.blocks import bare
from klyngedata.vocabulary import period_text_da

_OUTCOME_GROUPS = (("worse", "dårligere"), ("better", "bedre"), ("higher", "højere"), ("lower", "lavere"))
"""The outcomes a sentence names, in the order they are said."""
_SPAN_RE = re.compile(r"over \d+ perioder \(([^)]*)\)")

_GROWTH_IDS = ("growth_1y", "growth_5y", "growth_10y")
_YEARS_DA = {"growth_1y": "det seneste år", "growth_5y": "de seneste 5 år", "growth_10y": "de seneste 10 år"}


def _shown(rows: pd.DataFrame) -> pd.DataFrame:
    if "suppressed" in rows.columns:
        rows = rows[~rows["suppressed"].fillna(False).astype(bool)]
    return rows[pd.to_numeric(rows["value"], errors="coerce").notna()]


def _get(rows: pd.DataFrame, figure_id: str) -> pd.Series | None:
    sel = rows[rows["figure_id"] == figure_id]
    return None if sel.empty else sel.iloc[0]


def _decimals(figure_id: str, default: int = 1) -> int:
    try:
        from klyngedata import catalogue

        return catalogue.figure(figure_id).decimals
    except Exception:  # noqa: BLE001 - a figure outside the catalogue (an indicator) gets the default
        return default


def _pct(v: float, figure_id: str = "growth_1y_pct") -> str:
    """A change in percent with a sign, with the decimals of the tables (0,04 % is not shown as "+0,0 %")."""
    return percent(v, _decimals(figure_id), sign=True)


def _value_with_unit(label: str, value: float, unit: str, decimals: int = 1) -> str:
    """``73,7 pr. 100 borgere`` – without the unit when the label already names it (no "pr. 100 borgere er
    73,7 pr. 100 borgere")."""
    text = figure_number(value, decimals)
    if not unit or unit.lower() in label.lower():
        return text
    return f"{text} {unit}"


def _members_only(members: pd.DataFrame, split_members: Iterable[str], w: UnitWords) -> list[str]:
    """Sentences for a unit without a total (a member municipality split between units): each member's
    own figures, labelled as the municipality's – never as the unit's."""
    split = set(map(str, split_members))
    out = [w.fill("{Klyngens} samlede tal kan ikke opgøres, fordi en medlemskommune er delt mellem flere {klynger} "
                  "(se forklaringen øverst). Her er medlemskommunernes egne tal.")]
    for eid, grp in members.groupby("entity_id", sort=False):
        pop = _get(grp, "population")
        if pop is None:
            continue
        name = str(pop["entity_name"]) + (" (hele kommunen)" if str(eid) in split else "")
        when = period_text_da(pop['period'], stock=True)
        sentence = f"{name} havde {format_number(pop['value'])} indbyggere pr. {when}"
        g, gp = _get(grp, "growth_1y"), _get(grp, "growth_1y_pct")
        if g is not None and gp is not None:
            v = float(g["value"])
            verb = "voksede" if v > 0 else ("faldt" if v < 0 else "var uændret")
            sentence += f"; det seneste år {verb} befolkningen"
            if v != 0:
                sentence += f" med {format_number(abs(v))} personer ({_pct(float(gp['value']))})"
        out.append(sentence + ".")
    return out


def _members_extremes(rows: pd.DataFrame, figure_id: str) -> str:
    """Which member grew most and which fell most (or grew least / fell least when all moved the same way).

    Example (constructed)
    ---------------------
    >>> CONSTRUCTED = pd.DataFrame({"entity_name": ["A", "B", "C"], "value": [0.04, -2.1, -0.6]})
    >>> _members_extremes(CONSTRUCTED, "growth_1y_pct")
    'Blandt medlemskommunerne voksede befolkningen mest i A (+0,04 %) og faldt mest i B (−2,1 %).'
    """
    if len(rows) < 2:
        return ""
    m = rows.assign(_v=pd.to_numeric(rows["value"], errors="coerce")).dropna(subset=["_v"]).sort_values("_v")
    if len(m) < 2:
        return ""
    hi, lo = m.iloc[-1], m.iloc[0]
    hi_t = f"{hi['entity_name']} ({_pct(hi['_v'], figure_id)})"
    lo_t = f"{lo['entity_name']} ({_pct(lo['_v'], figure_id)})"
    if hi["_v"] > 0 > lo["_v"]:
        what = f"voksede befolkningen mest i {hi_t} og faldt mest i {lo_t}"
    elif lo["_v"] >= 0:
        what = f"voksede befolkningen mest i {hi_t} og mindst i {lo_t}"
    else:
        what = f"faldt befolkningen mest i {lo_t} og mindst i {hi_t}"
    return f"Blandt medlemskommunerne {what}."


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _pair(row: pd.Series, *bench_cols: str) -> str:
    """``daglig rygning (14,0 % mod 10,5 %)`` – the unit's value against one or two benchmarks, with the
    decimals of the tables and the unit once."""
    label, unit = str(row["label_da"]), str(row.get("unit", "") or "")
    dec = _decimals(str(row.get("figure_id", "")))
    if unit.startswith("%"):
        values = [percent(row["value"], dec), *(percent(row[c], dec) for c in bench_cols)]
        text = f"{values[0]} mod " + " og ".join(values[1:])
    else:
        bench = [figure_number(row[c], dec) for c in bench_cols]
        bench[-1] = _value_with_unit(label, row[bench_cols[-1]], unit, dec)
        text = f"{figure_number(row['value'], dec)} mod " + " og ".join(bench)
    return f"{_lower_first(label)} ({text})"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " og " + items[-1]


RELEVANCE_NOTE_DA = ("Forskelle nævnes kun, når de både er statistisk sikre og større end den grænse, der er fastsat "
                     "for hvert nøgletal (se »Om tallene«).")
"""Said once under the sentences that name differences."""


def _trend_method(figure_id: str) -> str | None:
    try:
        from klyngedata import catalogue

        return catalogue.figure(figure_id).trend_method
    except Exception:  # noqa: BLE001 - a figure outside the catalogue: no tested trend
        return None


def significance_sentences_da(rows: pd.DataFrame) -> list[str]:
    """Sentences from the tests: differences from Denmark and the region, developments over time.

    ``rows``: the unit's figure rows with the outcome columns (``vs_country``, ``vs_region``, ``trend``,
    ``trend_da``, ``trend_note_da``). A difference is named only when it is significant *and* at least the
    figure's threshold of relevance (:func:`klyngedata.outcomes.shown_outcome`). A development is called
    statistically certain only where it was tested on counts; survey shares published without the number of
    respondents (trend method ``ols``) are described as what the measurements show, without a claim of certainty.
    Rows without the columns give no sentence.

    Example (constructed)
    ---------------------
    >>> CONSTRUCTED = pd.DataFrame([{"figure_id": "sundhedsprofil_rygning", "label_da": "Daglig rygning",
    ...     "value": 14.0, "unit": "%", "country_value": 10.5, "region_value": 13.0, "vs_country": "worse",
    ...     "vs_region": "similar", "trend": "decreasing", "trend_da": "faldende og bedre",
    ...     "trend_note_da": "Lineær regression på tid over 5 perioder (2010-2025)."}])
    >>> significance_sentences_da(CONSTRUCTED)[0]
    'Dårligere end hele landet: daglig rygning (14,0 % mod 10,5 %).'
    >>> significance_sentences_da(CONSTRUCTED)[2]
    'I målingerne 2010–2025 er andelen med daglig rygning faldet.'
    """
    from klyngedata.outcomes import shown_outcomes

    out: list[str] = []
    if rows is None or rows.empty:
        return out
    rows = bare(rows)
    blank = pd.Series("", index=rows.index)
    vs_c = shown_outcomes(rows, "country") if "vs_country" in rows.columns else blank
    vs_r = shown_outcomes(rows, "region") if "vs_region" in rows.columns else blank
    for outcome, word in _OUTCOME_GROUPS:
        word = word.capitalize()
        for sel, text, cols in (((vs_c == outcome) & (vs_r == outcome), "end både regionen og hele landet",
                                 ("region_value", "country_value")),
                                ((vs_c == outcome) & (vs_r != outcome), "end hele landet", ("country_value",)),
                                ((vs_r == outcome) & (vs_c != outcome), "end regionen", ("region_value",))):
            chosen = rows[sel.to_numpy()]
            if len(chosen):
                out.append(f"{word} {text}: " + _join([_pair(r, *cols) for _, r in chosen.iterrows()]) + ".")
    if out:
        out.append(RELEVANCE_NOTE_DA)
    out.extend(_trend_sentences(rows))
    if "vs_country_note_da" in rows.columns:
        survey = rows[(rows["vs_country"].astype(str) == "not_compared")
                      & rows["vs_country_note_da"].astype(str).str.contains("svarpersoner")]
        if len(survey):
            out.append("Andelene fra Den Nationale Sundhedsprofil sammenlignes ikke statistisk med regionens og "
                       "landets, fordi antallet af svarpersoner ikke er offentliggjort.")
    return out


def _trend_sentences(rows: pd.DataFrame) -> list[str]:
    """Developments over time: tested on counts ("statistisk sikker"), or as the survey's measurements show."""
    if "trend" not in rows.columns:
        return []
    tested, measured, caveats = [], [], []
    for _, r in rows[rows["trend"].astype(str).isin(["increasing", "decreasing"])].iterrows():
        note = str(r.get("trend_note_da", "") or "")
        m = _SPAN_RE.search(note)
        span = m.group(1).replace("-", "–") if m else ""
        label = _lower_first(str(r["label_da"]))
        if _trend_method(str(r.get("figure_id", ""))) == "ols":
            measured.append((span, str(r["trend"]), label))
        else:
            tested.append(f"{label} er {r['trend_da']}" + (f" ({span})" if span else ""))
        if "Uden 2021 ville" in note:
            caveats.append(label)
    out = []
    if tested:
        out.append("Statistisk sikker udvikling: " + "; ".join(tested) + ".")
    for span in dict.fromkeys(s for s, _, _ in measured):
        down = [t for s, w, t in measured if s == span and w == "decreasing"]
        up = [t for s, w, t in measured if s == span and w == "increasing"]
        said = [f"andelen med {_join(items)} {verb}" for items, verb in ((down, "faldet"), (up, "steget")) if items]
        out.append(f"I målingerne {span + ' ' if span else ''}er " + ", mens ".join(said) + ".")
    if caveats:
        out.append(f"For {_join(caveats)} afhænger billedet af målingen fra 2021, der blev indsamlet under "
                   "covid-19-restriktioner.")
    return out


def summary_da(keyfigures: pd.DataFrame, *, max_sentences: int = 12,
               split_members: Iterable[str] = (), words: UnitWords | None = None) -> list[str]:
    """Danish sentences describing the unit's key figures (what grew, what stands out).

    ``keyfigures``: the output of :func:`klyngedata.keyfigures.key_figures` (cluster rows plus member
    municipality rows with ``entity_level == "municipality"``). Without cluster rows (a member split between
    units, ``split_members``: their codes) the members' own figures are described, never as the unit's.
    ``words``: the unit's Danish words (:func:`klyngedata.registry.words.words`; default: a cluster's).

    Example
    -------
    Needs population data imported into the data directory; not run as a doctest.
    >>> sentences = summary_da(key_figures("nordjylland-nord"))  # doctest: +SKIP
    """
    w = words or unit_words("sundhedsklynger-2022")
    if keyfigures is None or keyfigures.empty:
        return [w.fill("Der er ingen nøgletal for {klyngen} i de tilgængelige data.")]
    kf = _shown(bare(keyfigures))
    level = kf["entity_level"].astype(str) if "entity_level" in kf.columns else pd.Series("cluster", kf.index)
    cluster = kf[level == "cluster"]
    members = kf[level == "municipality"]
    if cluster.empty and "entity_level" in kf.columns and not members.empty:
        return _members_only(members, split_members, w)[:max_sentences or None]
    if cluster.empty:
        cluster = kf
    name = str(cluster["entity_name"].iloc[0]) if not cluster.empty else w.fill("{Klyngen}")
    out: list[str] = []

    pop = _get(cluster, "population")
    if pop is not None:
        when = period_text_da(pop['period'], stock=True)
        out.append(f"{name} havde {format_number(pop['value'])} indbyggere pr. {when}.")

    for gid in _GROWTH_IDS:
        g = _get(cluster, gid)
        gp = _get(cluster, f"{gid}_pct")
        if g is None or gp is None:
            continue
        value = float(g["value"])
        verb = "voksede" if value > 0 else ("faldt" if value < 0 else "var uændret")
        sentence = f"Over {_YEARS_DA[gid]} {verb} befolkningen"
        if value != 0:
            sentence += f" med {format_number(abs(value))} personer ({_pct(float(gp['value']), f'{gid}_pct')})"
        comps = []
        if pd.notna(gp.get("region_value")):
            comps.append(f"regionen {_pct(float(gp['region_value']), f'{gid}_pct')}")
        if pd.notna(gp.get("country_value")):
            comps.append(f"hele landet {_pct(float(gp['country_value']), f'{gid}_pct')}")
        if comps:
            sentence += "; til sammenligning " + " og ".join(comps)
        out.append(sentence + ".")
        sentence = _members_extremes(members[members["figure_id"] == f"{gid}_pct"], f"{gid}_pct")
        if sentence:
            out.append(sentence)
        break  # the shortest available horizon is described; longer ones are in the tables

    out.extend(significance_sentences_da(cluster))
    missing = keyfigures.attrs.get("missing") if hasattr(keyfigures, "attrs") else None
    if missing:
        out.append(
            "Nogle nøgletal kan ikke beregnes med de tilgængelige data (fx aldersfordeling eller "
            "befolkningsfremskrivning) og er udeladt."
        )
    return out[:max_sentences] if max_sentences else out
