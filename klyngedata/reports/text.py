"""Short Danish texts generated from the key figures (never written by hand for a cluster).

:func:`summary_da` turns a key-figure table (schema in ARCHITECTURE.md: ``entity_level``, ``entity_id``,
``entity_name``, ``figure_id``, ``label_da``, ``value``, ``unit``, ``period``, ``region_value``,
``country_value``, ``suppressed``, ``display``) into a list of Danish sentences: the population, how it
developed compared with the region and Denmark, which member municipality grew or shrank most, and which
figures stand out against the national level. Suppressed values are never mentioned.

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

from collections.abc import Iterable

import pandas as pd

from klyngedata.figures import format_number, period_label
from klyngedata.formatting import figure_number, percent

STANDOUT_PP = 2.0
"""A share (%) stands out when it differs from Denmark's by at least this many percentage points."""

STANDOUT_REL = 0.10
"""Any other figure stands out when it differs from Denmark's by at least this fraction (10 %)."""

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


def _members_only(members: pd.DataFrame, split_members: Iterable[str]) -> list[str]:
    """Sentences for a cluster without a total (a member municipality split between clusters): each member's
    own figures, labelled as the municipality's – never as the cluster's."""
    split = set(map(str, split_members))
    out = ["Klyngens samlede tal kan ikke opgøres, fordi en medlemskommune er delt mellem flere klynger "
           "(se forklaringen øverst). Her er medlemskommunernes egne tal."]
    for eid, grp in members.groupby("entity_id", sort=False):
        pop = _get(grp, "population")
        if pop is None:
            continue
        name = str(pop["entity_name"]) + (" (hele kommunen)" if str(eid) in split else "")
        sentence = f"{name} havde {format_number(pop['value'])} indbyggere pr. {period_label(pop['period'])}"
        g, gp = _get(grp, "growth_1y"), _get(grp, "growth_1y_pct")
        if g is not None and gp is not None:
            v = float(g["value"])
            verb = "voksede" if v > 0 else ("faldt" if v < 0 else "var uændret")
            sentence += f"; det seneste år {verb} befolkningen"
            if v != 0:
                sentence += f" med {format_number(abs(v))} personer ({_pct(float(gp['value']))})"
        out.append(sentence + ".")
    return out


def summary_da(keyfigures: pd.DataFrame, *, max_sentences: int = 8,
               split_members: Iterable[str] = ()) -> list[str]:
    """Danish sentences describing the cluster's key figures (what grew, what stands out).

    ``keyfigures``: the output of :func:`klyngedata.keyfigures.key_figures` (cluster rows plus member
    municipality rows with ``entity_level == "municipality"``). Without cluster rows (a member split between
    clusters, ``split_members``: their codes) the members' own figures are described, never as the cluster's.

    Example
    -------
    >>> sentences = summary_da(key_figures("nordjylland-nord"))  # doctest: +SKIP
    """
    if keyfigures is None or keyfigures.empty:
        return ["Der er ingen nøgletal for klyngen i de tilgængelige data."]
    kf = _shown(keyfigures)
    level = kf["entity_level"].astype(str) if "entity_level" in kf.columns else pd.Series("cluster", kf.index)
    cluster = kf[level == "cluster"]
    members = kf[level == "municipality"]
    if cluster.empty and "entity_level" in kf.columns and not members.empty:
        return _members_only(members, split_members)[:max_sentences or None]
    if cluster.empty:
        cluster = kf
    name = str(cluster["entity_name"].iloc[0]) if not cluster.empty else "Klyngen"
    out: list[str] = []

    pop = _get(cluster, "population")
    if pop is not None:
        out.append(f"{name} havde {format_number(pop['value'])} indbyggere pr. {period_label(pop['period'])}.")

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
        m = members[members["figure_id"] == f"{gid}_pct"]
        if len(m) >= 2:
            m = m.assign(_v=pd.to_numeric(m["value"], errors="coerce")).sort_values("_v")
            hi, lo = m.iloc[-1], m.iloc[0]
            out.append(
                f"Blandt medlemskommunerne havde {hi['entity_name']} den største udvikling "
                f"({_pct(hi['_v'], f'{gid}_pct')}) og {lo['entity_name']} den mindste ({_pct(lo['_v'], f'{gid}_pct')})."
            )
        break  # the shortest available horizon is described; longer ones are in the tables

    standouts = []
    for _, row in cluster.iterrows():
        fid = str(row["figure_id"])
        if fid == "population" or fid.startswith("growth_") or pd.isna(row.get("country_value")):
            continue
        v, c = float(row["value"]), float(row["country_value"])
        unit = str(row.get("unit", ""))
        label = str(row["label_da"])
        dec = _decimals(fid)
        if unit.startswith("%"):
            diff = v - c
            if abs(diff) >= STANDOUT_PP:
                word = "højere" if diff > 0 else "lavere"
                standouts.append((abs(diff) / max(abs(c), 1e-9),
                                  f"{label} er {_value_with_unit(label, v, unit, dec)} mod "
                                  f"{figure_number(c, dec)} % i hele landet "
                                  f"({figure_number(abs(diff), dec)} procentpoint {word})."))
        elif c != 0 and abs(v - c) / abs(c) >= STANDOUT_REL:
            word = "højere" if v > c else "lavere"
            standouts.append((abs(v - c) / abs(c),
                              f"{label} er {_value_with_unit(label, v, unit, dec)} mod "
                              f"{_value_with_unit(label, c, unit, dec)} i hele landet "
                              f"({figure_number(abs(v - c) / abs(c) * 100, 0)} % {word})."))
    standouts.sort(key=lambda t: -t[0])
    out.extend(s for _, s in standouts)
    missing = keyfigures.attrs.get("missing") if hasattr(keyfigures, "attrs") else None
    if missing:
        out.append(
            "Nogle nøgletal kan ikke beregnes med de tilgængelige data (fx aldersfordeling eller "
            "befolkningsfremskrivning) og er udeladt."
        )
    return out[:max_sentences] if max_sentences else out
