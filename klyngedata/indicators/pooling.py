"""Health indicators pooled from municipalities to units, regions and Denmark: population weights, split
municipalities, totals filled only from complete strata, the long table every level is published from."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from klyngedata.exceptions import DataNotAvailable, UnknownValue
from klyngedata.indicator_defs import (
    INDICATORS,
    Indicator,
)
from klyngedata.vocabulary import is_age_total, period_code, period_start_year
from klyngedata.vocabulary.codes import CHRISTIANSOE, CHRISTIANSOE_REGION, normalize_municipality_code
from klyngedata.weights import absent_reason_da, country_weights, division_weights, region_weights


# --------------------------------------------------------------------------------------------------
# population weights
# --------------------------------------------------------------------------------------------------
def _population_table(data_dir, population: pd.DataFrame | None) -> pd.DataFrame:
    """Municipality totals: municipality_code, period (label), population, table."""
    if population is not None:
        df = population.copy()
        if "municipality_code" not in df.columns and "entity_id" in df.columns:
            if "level" in df.columns:
                df = df[df["level"] == "municipality"]
            df = df.rename(columns={"entity_id": "municipality_code"})
        for c, v in (("sex", "total"),):
            if c in df.columns:
                df = df[df[c] == v]
        for c in ("age", "age_group"):
            if c in df.columns:
                df = df[df[c].isna() | df[c].map(is_age_total).astype(bool)]
        df["municipality_code"] = df["municipality_code"].map(normalize_municipality_code)
        df["period"] = df["period"].map(period_code)
        df["table"] = population.attrs.get("table", "befolkningstabel")
        return df[["municipality_code", "period", "population", "table"]]
    from klyngedata.population import population as population_fn

    try:
        df = population_fn("municipality", period="all", data_dir=data_dir)
    except DataNotAvailable as exc:
        raise DataNotAvailable(
            "Pooling published rates and survey shares needs the municipality population (FOLK1A/FOLK1AM): "
            f"{exc}"
        ) from exc
    prov = df.attrs.get("provenance") or [{}]
    table = (prov[0] if isinstance(prov, list) else prov).get("table") or "befolkningstabel"
    df = df[df["sex"] == "total"] if "sex" in df.columns else df
    df = df.assign(municipality_code=df["entity_id"].astype(str), period=df["period"].map(period_code),
                   table=table)
    return df[["municipality_code", "period", "population", "table"]].dropna(subset=["population"])


def _pick_population_period(year_label: str, available: Sequence[str]) -> tuple[str, str]:
    """Population period for an indicator period: 1 January of its year, else the nearest earlier one."""
    year = int(year_label[:4])
    avail = sorted(set(available), key=period_start_year)
    for cand in (f"{year}M01", f"{year}K1", str(year)):
        if cand in avail:
            return cand, f"befolkningen 1. januar {year}"
    earlier = [a for a in avail if period_start_year(a) < year]
    if earlier:
        a = earlier[-1]
        return a, (f"befolkningen i {a} (seneste tilgængelige før {year_label}; befolkningen 1. januar {year} "
                   "findes ikke i data – en tilnærmelse)")
    later = [a for a in avail if period_start_year(a) >= year]
    if later:
        a = later[0]
        return a, f"befolkningen i {a} (nærmeste tilgængelige; en tilnærmelse)"
    raise DataNotAvailable(f"no municipality population available for period {year_label}")


def check_denominators(frame: pd.DataFrame, where: str, data_dir=None) -> None:
    """Refuse an indicator file whose denominator of citizens is larger than the municipality's whole
    population (:class:`~klyngedata.exceptions.DataFormatError` naming file, row and column): a count larger
    than the population it is about. The check uses the cached population of the same year (the largest of
    its months or quarters, all ages, so a denominator of an age group or of citizens during the year is never
    refused wrongly); without it in the cache there is nothing to check against (never fetched).

    Example
    -------
    Needs population data in the cache; not run as a doctest.
    >>> check_denominators(read_indicator_file("fil.csv"), "fil.csv", "/tmp/kd")  # doctest: +SKIP
    """
    from klyngedata import settings
    from klyngedata.exceptions import DataFormatError, KlyngedataError

    ids = [i for i, d in INDICATORS.items() if d.kind == "counts" and d.denominator_da.startswith("Borgere")]
    rows = frame[frame["indicator"].isin(ids) & frame["denominator"].notna()] if len(frame) else frame
    if not len(rows):
        return
    try:
        with settings.overridden(offline=True):  # only what is cached
            pop = _population_table(data_dir, None)
    except (KlyngedataError, OSError):
        return
    pop = pop.assign(year=pop["period"].map(lambda p: int(period_start_year(p))))
    most = pop.groupby(["municipality_code", "year"])["population"].max()
    years = rows["period"].map(lambda p: int(period_start_year(p)))
    limit = [most.get((c, y), np.nan) for c, y in zip(rows["municipality_code"], years, strict=True)]
    over = rows[rows["denominator"].to_numpy(dtype="float64") > np.asarray(limit, dtype="float64")]
    if len(over):
        r = over.iloc[0]
        lim = most[(r["municipality_code"], int(period_start_year(r["period"])))]
        raise DataFormatError(
            f"{where}, row {r['source_row']}, column 'denominator': {int(r['denominator'])} "
            f"({INDICATORS[r['indicator']].denominator_da.lower()}) is more than the whole population of "
            f"municipality {r['municipality_code']} in {int(period_start_year(r['period']))} ({int(lim)} at "
            f"most in the cached population): a count larger than the population it is about")





# --------------------------------------------------------------------------------------------------
# pooling
# --------------------------------------------------------------------------------------------------


def _entities(division: str | None, data_dir=None):
    """Membership weights and names: (weights frame, names dict, cluster->region, notes)."""
    from klyngedata import registry

    division = registry.resolve_division(division)
    mem = registry.membership(division)
    muni = registry.municipalities(division=division)  # regions valid for the division (Østdanmark from 2027)
    regions = registry.regions()
    rows = []
    not_computable: dict[str, str] = {}
    split_notes: dict[str, str] = {}
    for cid, uw in division_weights(division, data_dir=data_dir, use_unit_populations=True).items():
        if not uw.computable:
            not_computable[cid] = uw.reason_da
        elif uw.note_da:
            split_notes[cid] = uw.note_da
        rows += [(cid, code, w, uw.allocation[code]) for code, w in uw.members.items() if w is not None]
    weights = pd.DataFrame(rows, columns=["cluster_id", "municipality_code", "weight", "allocation"])
    cl = mem.drop_duplicates("cluster_id")
    names = {("cluster", r.cluster_id): r.cluster_name for r in cl.itertuples(index=False)}
    names.update({("municipality", r.municipality_code): r.name for r in muni.itertuples(index=False)})
    names[("municipality", CHRISTIANSOE)] = "Christiansø"
    names.update({("region", r.region_key): r.name for r in regions.itertuples(index=False)})
    names[("country", "DK")] = "Hele landet"
    cluster_region = dict(zip(cl["cluster_id"], cl["region_code"], strict=True))
    muni_region = dict(zip(muni["municipality_code"], muni["region_code"], strict=True))
    muni_region[CHRISTIANSOE] = registry.region_key_on(CHRISTIANSOE_REGION, division=division)
    split_munis = set(mem.loc[mem["allocation"] != "whole", "municipality_code"])
    return weights, names, cluster_region, muni_region, not_computable, split_munis, split_notes


def _slice_columns(part: pd.DataFrame) -> dict[str, np.ndarray]:
    """The columns of one slice's municipality rows that pooling reads, as arrays converted once (a slice is
    pooled to every cluster, region and Denmark): codes as strings, numbers as floats (NaN where missing)."""
    cols = {name: pd.to_numeric(part[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            for name in ("numerator", "denominator", "value", "population") if name in part.columns}
    cols["municipality_code"] = part["municipality_code"].astype(str).to_numpy()
    return cols


def _pool(cols: dict[str, np.ndarray], rows: np.ndarray, w: np.ndarray, ind: Indicator, pop_note: str) -> dict:
    """Pool the municipality rows ``rows`` (positions in :func:`_slice_columns`' arrays) with weights ``w``
    of one indicator/slice into one value.

    ``members``: the ``(municipality_code, weight)`` pairs the value is computed from (disclosure control).
    """

    def col(name: str) -> np.ndarray:
        return cols[name][rows]

    members = tuple(zip(col("municipality_code").tolist(), w.tolist(), strict=True))
    if ind.kind == "counts":
        num = float(np.nansum(col("numerator") * w))
        den = float(np.nansum(col("denominator") * w))
        value = num / den * ind.per if den > 0 else np.nan
        method = ("Tæller og nævner er summeret over kommunerne (rater er ikke gennemsnit af kommunernes "
                  "rater).")
        return dict(numerator=num, denominator=den, value=value, method_da=method, members=members)
    pop = col("population") * w
    if ind.kind == "rate":
        est = col("value") * pop / ind.per
        num, den = float(np.nansum(est)), float(np.nansum(pop))
        value = num / den * ind.per if den > 0 else np.nan
        method = (f"Offentliggjort rate pr. {ind.per:,} omregnet til et beregnet antal = rate x kommunens "
                  f"folketal / {ind.per:,} ({pop_note}); antal og folketal er summeret over kommunerne."
                  ).replace(",", ".")
        return dict(numerator=num, denominator=den, value=value, method_da=method, members=members)
    # survey share: population-weighted average; total population used as the weight
    den = float(np.nansum(pop))
    value = float(np.nansum(col("value") * pop) / den) if den > 0 else np.nan
    method = ("Befolkningsvægtet gennemsnit af kommunernes andele. Vægt: hele befolkningen "
              f"({pop_note}), fordi befolkningen 16+ år ikke er tilgængelig – en tilnærmelse.")
    return dict(numerator=np.nan, denominator=den, value=value, method_da=method, members=members)


def _code_or_text(period: object) -> str:
    try:
        return period_code(period)
    except UnknownValue:
        return str(period)


def _select_periods(data: pd.DataFrame, period: object) -> pd.DataFrame:
    if period is None or period == "all":
        return data
    if period == "latest":
        latest = data.groupby("indicator")["period"].transform(lambda s: max(s, key=period_start_year))
        return data[data["period"] == latest]
    wanted = [period] if isinstance(period, (str, int, pd.Period)) else list(period)  # type: ignore[arg-type]
    labels = {_code_or_text(p) for p in wanted}
    out = data[data["period"].isin(labels)]
    if out.empty:
        raise DataNotAvailable(f"no indicator data for period(s) {sorted(labels)}; available: "
                               f"{sorted(data['period'].unique(), key=period_start_year)}")
    return out


def _fill_totals(data: pd.DataFrame) -> pd.DataFrame:
    """For count indicators given only by sex/age strata, add the all-ages/both-sexes total row."""
    counts = data[data["indicator"].map(lambda i: INDICATORS[i].kind == "counts")]
    if counts.empty:
        return data
    has_total = counts[(counts["sex"] == "total") & (counts["age_group"] == "total")]
    keys = ["municipality_code", "period", "indicator"]
    have = set(map(tuple, has_total[keys].to_numpy().tolist()))
    new = []
    for k, g in counts.groupby(keys):
        if k in have:
            continue
        for sel in ((g["sex"] != "total") & (g["age_group"] != "total"),
                    (g["sex"] == "total") & (g["age_group"] != "total"),
                    (g["sex"] != "total") & (g["age_group"] == "total")):
            part = g[sel]
            if len(part):
                ind = INDICATORS[k[2]]
                num, den = float(part["numerator"].sum()), float(part["denominator"].sum())
                new.append(dict(municipality_code=k[0], period=k[1], indicator=k[2], sex="total",
                                age_group="total", numerator=num, denominator=den,
                                value=num / den * ind.per if den else np.nan,
                                source_file=str(part["source_file"].iloc[0]), source_row=pd.NA))
                break
    if not new:
        return data
    return pd.concat([data, pd.DataFrame(new)], ignore_index=True)


def _long_table(data: pd.DataFrame, division: str | None, data_dir, population) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All entities (municipality, cluster, region, country) for every slice + the additive hierarchy."""
    weights, names, cluster_region, muni_region, not_comp, split_munis, split_notes = _entities(division, data_dir)
    # plain Python strings: the loops below select by code many times (arrow-backed strings are slow there)
    data = data.astype({c: "object" for c in ("municipality_code", "period", "indicator", "sex", "age_group",
                                              "source_file") if c in data.columns})
    need_pop = data["indicator"].map(lambda i: INDICATORS[i].kind != "counts").any()
    pop_tab = _population_table(data_dir, population) if need_pop else None
    rows: list[dict] = []
    slice_cols = ["indicator", "period", "sex", "age_group"]
    cluster_weights = {cid: dict(zip(wg["municipality_code"], wg["weight"].astype(float), strict=True))
                       for cid, wg in weights.groupby("cluster_id")}
    region_of = {c: r for c, r in muni_region.items() if c != CHRISTIANSOE}  # regions of the division
    region_w = {reg: region_weights(reg, with_christiansoe=False) for reg in set(region_of.values())}
    dk_weights = country_weights(with_christiansoe=False)
    for (ind_id, period, sex, age), part in data.groupby(slice_cols, sort=True):
        ind = INDICATORS[ind_id]
        part = part.copy()
        pop_note = ""
        pop_label = None
        if ind.kind != "counts":
            pop_label, pop_note = _pick_population_period(period, pop_tab["period"].unique().tolist())
            pt = pop_tab[pop_tab["period"] == pop_label]
            pmap = dict(zip(pt["municipality_code"], pt["population"].astype(float), strict=False))
            part["population"] = part["municipality_code"].map(pmap)
            if part["population"].isna().any():
                missing = part.loc[part["population"].isna(), "municipality_code"].tolist()
                raise DataNotAvailable(f"no population in {pop_label} for municipalities {missing}")
            pop_note += f" (Danmarks Statistik {pt['table'].iloc[0]})"
        part["weight"] = 1.0
        part["region_code"] = part["municipality_code"].map(muni_region)
        prov = f"{ind.source_da}; fil: {', '.join(sorted(part['source_file'].astype(str).unique()))}"
        if pop_label:
            prov += f"; befolkning: {pt['table'].iloc[0]} {pop_label}"
        base = dict(figure_id=ind_id, period=period, sex=sex, age_group=age, provenance=prov)

        def add(level: str, eid: str, pooled: dict, region: str | None, base=base) -> None:
            rows.append(dict(base, entity_level=level, entity_id=eid, entity_name=names.get((level, eid), eid),
                             region_code=region, **pooled))

        if ind.kind == "counts":
            m_num, m_den = part["numerator"].astype(float), part["denominator"].astype(float)
            m_method = "Kommunens eget tal."
        elif ind.kind == "rate":
            m_den = part["population"].astype(float)
            m_num = part["value"].astype(float) * m_den / ind.per
            m_method = f"Offentliggjort kommunetal; beregnet antal med {pop_note}."
        else:
            m_den = part["population"].astype(float)
            m_num = pd.Series(np.nan, index=part.index)
            m_method = f"Offentliggjort kommunetal (andel i %); vægt i puljer: {pop_note}."
        for code, n, d, v in zip(part["municipality_code"], m_num, m_den, part["value"].astype(float),
                                 strict=True):
            add("municipality", code, dict(numerator=n, denominator=d, value=v, method_da=m_method,
                                           members=((code, 1.0),)),
                muni_region.get(code))
        present = set(part["municipality_code"])
        cols = _slice_columns(part)
        codes = cols["municipality_code"]

        def pooled_or_missing(level: str, eid: str, wmap: dict[str, float], region: str | None,
                              cols=cols, codes=codes, present=present, ind=ind, pop_note=pop_note) -> dict:
            """Every member's figure pooled, or a missing row naming the members without one: a unit, region
            or Denmark is never the sum of whichever municipalities have figures (issue 25)."""
            absent = set(wmap) - present
            if absent:
                reason = absent_reason_da(names.get((level, eid), eid),
                                          [names.get(("municipality", c), c) for c in absent])
                return dict(numerator=np.nan, denominator=np.nan, value=np.nan, method_da=reason)
            rows_of = np.flatnonzero(np.isin(codes, list(wmap)))
            return _pool(cols, rows_of, np.array([wmap[c] for c in codes[rows_of]], dtype=float), ind, pop_note)

        for cid, wmap in cluster_weights.items():
            if cid in not_comp:
                add("cluster", cid, dict(numerator=np.nan, denominator=np.nan, value=np.nan,
                                         method_da=not_comp[cid]), cluster_region[cid])
                continue
            pooled = pooled_or_missing("cluster", cid, wmap, cluster_region[cid])
            if cid in split_notes and "members" in pooled:
                pooled["method_da"] += " " + split_notes[cid]
            add("cluster", cid, pooled, cluster_region[cid])
        # regions and Denmark: all their municipalities (Christiansø, no municipality, never: the member sets do
        # not change with the file, so no release is the difference of two others); regions without any data
        # are left out
        for reg in sorted({r for c, r in region_of.items() if c in present}):
            add("region", reg, pooled_or_missing("region", reg, region_w[reg], reg), reg)
        pooled = pooled_or_missing("country", "DK", dk_weights, None)
        if "members" in pooled:  # computed (a missing row has no members)
            pooled["method_da"] += f" {COUNTRY_DA}"
        add("country", "DK", pooled, None)
    table = pd.DataFrame(rows)
    _, hierarchy = _long_table_hierarchy(weights, not_comp, cluster_region, region_of, split_munis)
    return table, hierarchy




COUNTRY_DA = ("Hele landet er de 98 kommuner tilsammen; Christiansø, som ikke er en kommune, indgår ikke i "
              "sundhedsindikatorerne.")
"""What Denmark is for the health indicators (said with every Denmark row)."""


def _long_table_hierarchy(weights, not_comp, cluster_region, muni_region, split_munis):
    """Additive groups: municipality -> cluster (whole members only); cluster -> region where the region's
    clusters partition it, otherwise municipality -> region; region -> country."""
    h = []
    for cid, wg in weights.groupby("cluster_id"):
        if cid not in not_comp and (wg["allocation"] == "whole").all():
            h += [("cluster", cid, "municipality", m) for m in wg["municipality_code"]]
    for reg in sorted(set(muni_region.values())):
        reg_clusters = [c for c, r in cluster_region.items() if r == reg]
        if reg_clusters and all(c not in not_comp for c in reg_clusters) and not any(
                muni_region.get(m) == reg for m in split_munis):
            h += [("region", reg, "cluster", c) for c in reg_clusters]
        else:
            h += [("region", reg, "municipality", m) for m, r in muni_region.items() if r == reg]
    h += [("country", "DK", "region", r) for r in sorted(set(muni_region.values()))]
    return None, pd.DataFrame(h, columns=["parent_level", "parent_id", "child_level", "child_id"])
