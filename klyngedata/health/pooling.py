"""Fetched health indicators per municipality, pooled to units, versioned regions and Denmark (frames layer).

For each figure of :mod:`klyngedata.health_defs` and each of its periods (the newest :data:`PERIODS` of its
table – the span of a trend test – and for the projection its first year, five and ten years on):

* **municipalities**: the numerator summed from the table's bands into the figure's age group
  (:func:`klyngedata.stats.banded.group_sums`), the denominator likewise (the population 1 January,
  :mod:`klyngedata.health.population`, or a measure of the same table); missing with the table's or the
  composition's Danish reason;
* **units** of a division: the weighted sums of their members' numerators and denominators
  (:func:`klyngedata.weights.division_weights`: whole members weight 1; København split by bydel in 2022 by
  its bydele's population share where fetched, with the note, else not computable with the reason);
* **regions** of the division (Region Østdanmark from 2027) and **Denmark**: the sums of all their
  municipalities and Christiansø where the table has it (in Region Hovedstaden, from 2027 Region Østdanmark, as
  Statistics Denmark counts it, and as the key figures and the mortality section do), so that unit, region and
  Denmark are counted alike; disclosure control knows Christiansø as a member of both, so no region minus its
  municipalities gives Christiansø's count;
* the value from the pooled counts (never an average of rates); a member without a count makes the sum missing,
  with a Danish reason naming it – never a partial sum.

Life expectancy (``not_additive``) is shown per municipality and for Denmark (the table's own row); units and
regions are missing with the reason. Columns of :func:`pooled`: :data:`POOLED_COLUMNS`; ``members`` is the
``(municipality, weight)`` tuple a row is the sum of (for disclosure control), None when nothing is published.

Example
-------
Needs the health tables fetched into a data directory; not run as a doctest.
>>> pooled(["doede_pr_1000"], "sundhedsraad-2027", data_dir="/tmp/kd")  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from klyngedata.formatting import date_da
from klyngedata.health.population import population_groups, projection_groups
from klyngedata.health_defs import HEALTH_FIGURES, HealthFigure
from klyngedata.stats.banded import group_sums
from klyngedata.vocabulary import CHRISTIANSOE, COUNTRY_ID, COUNTRY_NAME
from klyngedata.weights import division_weights

__all__ = ["PERIODS", "POOLED_COLUMNS", "TableData", "load_tables", "municipality_rows", "pooled"]

PERIODS = 5
"""The newest periods of each table that are published (the span of a trend test)."""
PROJECTION_STEPS = (0, 5, 10)
"""Years after the projection's first year that are published."""
POOLED_COLUMNS = ["entity_level", "entity_id", "entity_name", "region_code", "figure_id", "period", "sex",
                  "age_group", "numerator", "denominator", "value", "method_da", "reason_da", "members", "provenance"]
_MUNI_METHOD = "Kommunens eget tal fra Danmarks Statistik."
_WITHOUT_CHRISTIANSOE_DA = ("Uden Christiansø, som Danmarks Statistiks tabel ikke har tal for (i tæller og nævner, "
                            "så andelen hænger sammen).")
_OVER_DA = ("Tælleren er større end nævneren (de er opgjort på forskellige tidspunkter), så andelen vises ikke for "
            "kommunen.")


@dataclass
class TableData:
    """What the figures are computed from: the cached health tables (by id), the population 1 January and the
    projection by group (:mod:`klyngedata.health.population`), and each table's provenance."""

    tables: dict[str, pd.DataFrame]
    population: pd.DataFrame
    projection: pd.DataFrame
    provenance: dict[str, dict]


def load_tables(data_dir: str | os.PathLike[str] | None = None) -> TableData:
    """The cached health tables the catalogue's figures use, and the populations they need (years of the
    newest :data:`PERIODS` periods). A table that is not cached is left out.

    Example
    -------
    Needs the health tables fetched into a data directory; not run as a doctest.
    >>> sorted(load_tables("/tmp/kd").tables)  # doctest: +SKIP
    ['AED06', 'AED07', 'AED08', 'FOD207', 'FODIE', 'HISBK', 'HJEMSYG', 'SBR01', 'SYGK1', 'SYGP1']
    """
    from klyngedata.dst.health_store import cached_health_table, load_health_table

    tables, prov = {}, {}
    for table in dict.fromkeys(f.table for f in HEALTH_FIGURES.values() if f.table != "FRKM"):
        if cached_health_table(table, data_dir):
            frame = load_health_table(table, data_dir)
            prov[table] = dict(frame.attrs.get("provenance") or {})
            frame.attrs = {}  # pandas copies attrs into every intermediate frame
            keep = set(_newest(frame["period"].unique().tolist()))
            tables[table] = frame[frame["period"].isin(keep) & (frame["sex"] == "total")].reset_index(drop=True)
    years = sorted({int(str(p)[:4]) for t in ("FOD207", "FODIE", "SYGP1", "SYGK1", "HJEMSYG", "AED06", "AED07",
                                              "AED08") if t in tables for p in tables[t]["period"].unique()})
    groups = sorted({f.age_group for f in HEALTH_FIGURES.values() if f.denominator == "population"})
    population = population_groups(groups, years, data_dir) if years else pd.DataFrame(
        columns=["municipality_code", "year", "group", "population", "reason_da", "source"])
    projection = projection_groups(["total", "65+", "80+"], data_dir)
    if len(projection):
        prov["FRKM"] = projection.attrs["provenance"][0]
    population.attrs, projection.attrs = {}, {}
    return TableData(tables, population, projection, prov)


def _newest(periods: Sequence[str]) -> list[str]:
    from klyngedata.dst.health_fetch import sort_periods

    return sort_periods(periods)[-PERIODS:]


# ---------------------------------------------------------------------------------------------
# municipalities
# ---------------------------------------------------------------------------------------------
def _measure_sums(frame: pd.DataFrame, measure: str, group: str) -> pd.DataFrame:
    rows = frame[(frame["measure"] == measure) & (frame["area_level"] != "region")]
    sums = group_sums(rows, group, ["area_code", "period"])
    return sums.rename(columns={"area_code": "municipality_code"})


def municipality_rows(f: HealthFigure, data: TableData) -> pd.DataFrame:
    """One row per area of the table (municipalities, and ``DK`` where the table has it) and period:
    ``municipality_code, period, numerator, denominator, reason_da, source`` (NaN with the reason when missing).
    Empty when the table is not cached or lacks the figure's measure."""
    if f.kind == "projection":
        return _projection_rows(f, data.projection)
    frame = data.tables.get(f.table)
    if frame is None or not (frame["measure"] == f.measure).any():
        return pd.DataFrame(columns=["municipality_code", "period", "numerator", "denominator", "reason_da",
                                     "source"])
    num = _measure_sums(frame, f.measure, f.age_group)
    num = num.rename(columns={"value": "numerator", "reason_da": "_rn"})
    if f.denominator == "population":
        pop = data.population[data.population["group"] == f.age_group]
        pop = pop.assign(period=pop["year"].astype(str)).rename(columns={"population": "denominator",
                                                                         "reason_da": "_rd"})
        out = num.merge(pop[["municipality_code", "period", "denominator", "_rd", "source"]],
                        on=["municipality_code", "period"], how="left")
    elif f.denominator.startswith("table:"):
        den = _measure_sums(frame, f.denominator.split(":", 1)[1], f.age_group)
        out = num.merge(den.rename(columns={"value": "denominator", "reason_da": "_rd"}),
                        on=["municipality_code", "period"], how="left").assign(source=f.table)
    else:
        out = num.assign(denominator=np.nan, _rd="", source="")
    out["_rd"] = out["_rd"].fillna("Befolkningstallet findes ikke for kommunen.") if f.denominator != "none" \
        else ""
    out["reason_da"] = [a or (b if f.denominator != "none" and pd.isna(d) else "") for a, b, d in
                        zip(out["_rn"].fillna(""), out["_rd"], out["denominator"], strict=True)]
    return out[["municipality_code", "period", "numerator", "denominator", "reason_da", "source"]]


def _projection_rows(f: HealthFigure, projection: pd.DataFrame) -> pd.DataFrame:
    if projection.empty:
        return pd.DataFrame(columns=["municipality_code", "period", "numerator", "denominator", "reason_da",
                                     "source"])
    first = int(projection["year"].min())
    years = [first + k for k in PROJECTION_STEPS if first + k in set(projection["year"])]
    p = projection[projection["year"].isin(years)]
    num = p[p["group"] == f.age_group].rename(columns={"population": "numerator", "reason_da": "_rn"})
    out = num.assign(period=num["year"].astype(str))
    if f.denominator == "table:total":
        den = p[p["group"] == "total"][["municipality_code", "year", "population"]]
        out = out.merge(den.rename(columns={"population": "denominator"}), on=["municipality_code", "year"])
    else:
        out["denominator"] = np.nan
    out["reason_da"] = out["_rn"]
    return out[["municipality_code", "period", "numerator", "denominator", "reason_da", "source"]]


# ---------------------------------------------------------------------------------------------
# the entities of a division
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Entity:
    level: str
    id: str
    name: str
    region: str | None
    weights: tuple[tuple[str, float], ...] | None  # None: not computable (reason)
    reason_da: str = ""
    note_da: str = ""


@functools.lru_cache(maxsize=8)
def _entities(division: str, data_dir: str | None, unit_key: str) -> tuple[_Entity, ...]:
    """Units, regions and Denmark of ``division`` with their municipality weights (``unit_key``: the cache state of
    the bydel populations the split weights come from)."""
    from klyngedata import registry

    out: list[_Entity] = []
    clusters = registry.clusters(division)
    names = dict(zip(clusters["cluster_id"], clusters["name"], strict=True))
    regions_of = dict(zip(clusters["cluster_id"], clusters["region_code"], strict=True))
    for cid, uw in sorted(division_weights(division, data_dir=data_dir, use_unit_populations=True).items()):
        weights = tuple(sorted(uw.weights.items())) if uw.computable else None
        out.append(_Entity("cluster", cid, names[cid], regions_of[cid], weights, uw.reason_da, uw.note_da))
    region_of = registry.municipality_regions(division=division)
    for key, name in registry.regions(division=division)[["region_key", "name"]].itertuples(index=False):
        members = sorted(m for m, r in region_of.items() if r == key)
        if registry.region_key_on("1084", division=division) == key:
            members.append(CHRISTIANSOE)
        out.append(_Entity("region", key, name, key, tuple((m, 1.0) for m in members)))
    everyone = sorted(region_of) + [CHRISTIANSOE]
    out.append(_Entity("country", COUNTRY_ID, COUNTRY_NAME, None, tuple((m, 1.0) for m in everyone)))
    return tuple(out)


def _names() -> tuple[dict[str, str], dict[str, str]]:
    from klyngedata import registry

    m = registry.municipalities()
    names = dict(zip(m["municipality_code"], m["name"], strict=True))
    names[CHRISTIANSOE] = "Christiansø"
    return names, dict(zip(m["municipality_code"], m["region_code"], strict=True))


def _missing_da(who: list[str], names: dict[str, str], reasons: dict[str, str]) -> str:
    shown = ", ".join(names.get(m, m) for m in who[:3]) + (f" og {len(who) - 3} andre" if len(who) > 3 else "")
    why = next((reasons[m] for m in who if reasons.get(m)), "tallet findes ikke i Danmarks Statistiks tabel")
    return f"Tallet mangler for {shown} ({why.rstrip('.')}), så der vises intet tal frem for en delsum."


def _unit_key(data_dir) -> str:
    from klyngedata.cache import Cache
    from klyngedata.weights import UNIT_POPULATION_KEY

    meta = Cache(data_dir).meta(UNIT_POPULATION_KEY) or {}
    return str(meta.get("data_sha256") or meta.get("fetched_at") or meta.get("imported_at") or "")


def _value(f: HealthFigure, num: float, den: float) -> float:
    if f.denominator == "none":
        return num
    return num / den * f.per if den > 0 else np.nan


def _pool_period(f: HealthFigure, part: pd.DataFrame, ents: Sequence[_Entity], names: dict[str, str],
                 region_of: dict[str, str], prov: str) -> list[dict]:
    """The rows of one figure and period: municipalities, units, regions, Denmark."""
    part = part[part["municipality_code"] != COUNTRY_ID]
    num = dict(zip(part["municipality_code"], part["numerator"].astype(float), strict=True))
    den = dict(zip(part["municipality_code"], part["denominator"].astype(float), strict=True))
    why = dict(zip(part["municipality_code"], part["reason_da"].fillna("").astype(str), strict=True))
    needs_den = f.denominator != "none"

    for m in num:  # a share whose numerator exceeds its denominator (counted on other days) is not shown
        if f.bounded and num[m] > den[m] and not why[m]:
            why[m] = _OVER_DA
    bad = {m for m in num if f.bounded and num[m] > den[m]}

    def ok(m: str) -> bool:
        return m in num and not np.isnan(num[m]) and (not needs_den or not np.isnan(den[m])) and m not in bad

    base = dict(figure_id=f.id, sex="total", age_group=f.age_group, provenance=prov)
    out = []
    for m in sorted(num):
        good = ok(m)
        out.append(dict(base, entity_level="municipality", entity_id=m, entity_name=names.get(m, m),
                        region_code=region_of.get(m), numerator=num[m], denominator=den[m] if needs_den else np.nan,
                        value=_value(f, num[m], den[m]) if good else np.nan,
                        method_da=_MUNI_METHOD, reason_da="" if good else why[m] or "Tallet mangler.",
                        members=((m, 1.0),) if good else None))
    for e in ents:
        row = dict(base, entity_level=e.level, entity_id=e.id, entity_name=e.name, region_code=e.region,
                   numerator=np.nan, denominator=np.nan, value=np.nan, method_da=f.pooling_da, reason_da="",
                   members=None)
        if e.weights is None:
            out.append(dict(row, reason_da=e.reason_da))
            continue
        weights = [(m, w) for m, w in e.weights if m != CHRISTIANSOE or m in num]  # Christiansø where the table has it
        missing = [m for m, _ in weights if not ok(m)]
        if missing:
            out.append(dict(row, reason_da=_missing_da(missing, names, why)))
            continue
        n = float(sum(num[m] * w for m, w in weights))
        d = float(sum(den[m] * w for m, w in weights)) if needs_den else np.nan
        without = _WITHOUT_CHRISTIANSOE_DA if len(weights) < len(e.weights) else ""
        out.append(dict(row, numerator=n, denominator=d, value=_value(f, n, d), members=tuple(weights),
                        method_da=" ".join(t for t in (f.pooling_da, e.note_da, without) if t)))
    return out


def _not_additive_rows(f: HealthFigure, rows: pd.DataFrame, ents: Sequence[_Entity], names: dict[str, str],
                       region_of: dict[str, str], prov: dict[str, str]) -> list[dict]:
    """Life expectancy: each municipality's and Denmark's own figure; units and regions missing with the reason."""
    out = []
    for period, part in rows.groupby("period", sort=True):
        base = dict(figure_id=f.id, sex="total", age_group=f.age_group, provenance=prov[period], numerator=np.nan,
                    denominator=np.nan, members=None)
        values = dict(zip(part["municipality_code"], part["numerator"].astype(float), strict=True))
        why = dict(zip(part["municipality_code"], part["reason_da"].fillna("").astype(str), strict=True))
        for m in sorted(values):
            level, name = ("country", COUNTRY_NAME) if m == COUNTRY_ID else ("municipality", names.get(m, m))
            out.append(dict(base, period=period, entity_level=level, entity_id=m, entity_name=name,
                            region_code=region_of.get(m), value=values[m], reason_da=why[m],
                            method_da="Danmarks Statistiks eget tal."))
        for e in ents:
            if e.level != "country":
                out.append(dict(base, period=period, entity_level=e.level, entity_id=e.id, entity_name=e.name,
                                region_code=e.region, value=np.nan, reason_da=f.pooling_da,
                                method_da=f.pooling_da))
    return out


def _provenance(f: HealthFigure, data: TableData, period: str, source: str) -> str:
    meta = data.provenance.get(f.table, {})
    how = "hentet" if meta.get("fetched_at") else "importeret"
    when = meta.get("fetched_at") or meta.get("imported_at")
    text = f"{f.source_da} ({meta.get('table', f.table)} {period}" + (f", {how} {date_da(when)})" if when else ")")
    return text + (f"; nævner: {source}" if source and f.denominator == "population" else "")


def pooled(figure_ids: Sequence[str], division: str, data: TableData,
           data_dir: str | os.PathLike[str] | None = None, *,
           municipalities: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Every published row of ``figure_ids`` for ``division``: municipalities, its units and regions, Denmark
    (see the module docstring); columns :data:`POOLED_COLUMNS`, ``period`` as the StatBank code.
    ``municipalities``: :func:`municipality_rows` of each figure, computed once for several divisions.

    Example
    -------
    Needs the health tables fetched into a data directory; not run as a doctest.
    >>> pooled(["doede"], "sundhedsklynger-2022", load_tables("/tmp/kd"))  # doctest: +SKIP
    """
    from klyngedata import registry

    names, _ = _names()
    region_of = dict(registry.municipality_regions(division=division))
    region_of[CHRISTIANSOE] = registry.region_key_on("1084", division=division)
    ents = _entities(division, None if data_dir is None else str(data_dir), _unit_key(data_dir))
    rows: list[dict] = []
    for fid in figure_ids:
        f = HEALTH_FIGURES[fid]
        mrows = municipalities[fid] if municipalities and fid in municipalities else municipality_rows(f, data)
        if mrows.empty:
            continue
        sources = mrows.groupby("period")["source"].first().to_dict()
        prov = {p: _provenance(f, data, p, str(s or "")) for p, s in sources.items()}
        if f.kind == "not_additive":
            rows += _not_additive_rows(f, mrows, ents, names, region_of, prov)
            continue
        for period, part in mrows.groupby("period", sort=True):
            rows += [dict(r, period=period) for r in _pool_period(f, part, ents, names, region_of, prov[period])]
    out = pd.DataFrame(rows, columns=POOLED_COLUMNS)
    out["reason_da"] = out["reason_da"].fillna("")
    return out
