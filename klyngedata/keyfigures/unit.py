"""A unit's key figures against its region and Denmark, the municipality ranking and the age pyramid."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from klyngedata import catalogue
from klyngedata.exceptions import DataNotAvailable
from klyngedata.keyfigures.compute import _resolve_period, compute_figures
from klyngedata.keyfigures.frame import (
    _provenance_list,
    _provenance_text,
    normalize_population_frame,
)
from klyngedata.keyfigures.pooling import (
    _FINAL_COLUMNS,
    _cached_projection,
    _cluster_weights,
    _country_weights,
    _entities_frame,
    _entity_rows,
    _load_frame,
    _region_name,
    _region_weights,
    _trend_parts,
    format_value,
)
from klyngedata.outcomes import published_outcomes
from klyngedata.vocabulary import SEX_DA, parse_level, period_code
from klyngedata.vocabulary.codes import COUNTRY_ID, COUNTRY_NAME, normalize_region_code


def key_figures(cluster: Any, period: object = "latest", division: str | None = None,
                data_dir: object = None, population: pd.DataFrame | None = None,
                projection: pd.DataFrame | None = None, *, projection_base: object = None) -> pd.DataFrame:
    """All population key figures of a cluster, its municipalities, its region and Denmark.

    Returns one tidy table (columns ``entity_level, entity_id, entity_name, figure_id, label_da, value, unit,
    period, base_period, region_value, country_value, rank, suppressed, display, note_da, provenance, numerator,
    denominator`` and the interval/outcome/trend columns of :data:`klyngedata.outcomes.PUBLISHED_COLUMNS`): one row
    per entity x figure, cluster first, then its municipalities, the region and Denmark. ``region_value`` /
    ``country_value`` hold the same figure for the cluster's region and Denmark; ``rank`` ranks the member
    municipalities within the cluster (1 = highest value). Labels and units come from :mod:`klyngedata.catalogue`.
    Figures that cannot be computed are left out and listed with a Danish reason in ``attrs["missing"]`` (see
    :func:`missing_figures`); nothing is estimated.

    ``population`` / ``projection``: already loaded tidy frames (any mix of levels). When ``population`` is
    None it is loaded with :func:`klyngedata.population.population` from ``data_dir`` (by sex and age if
    the data have it, else totals), and a projection too if one is *cached* (no implicit fetch); when a
    ``population`` frame is given, projections are only used if ``projection`` is given too.

    Example
    -------
    Needs population data (a tidy population frame); not run as a doctest.
    >>> kf = key_figures("nordjylland-nord", population=frame)  # doctest: +SKIP
    >>> kf.query("entity_level == 'cluster' and figure_id == 'growth_1y'")[["value", "region_value"]]  # doctest: +SKIP
    """
    from klyngedata import registry

    cl = registry.cluster(cluster, division=division)
    if population is None:
        population = _load_frame("observed", cl.division, data_dir)
        if projection is None and _cached_projection(data_dir):  # never fetched implicitly
            try:
                projection = _load_frame("projection", cl.division, data_dir)
            except DataNotAvailable:
                projection = None
    norm = normalize_population_frame(population)
    obs_prov = _provenance_list(population.attrs.get("provenance"))
    missing: list[dict] = []
    ent, how = _entities_frame(norm, cl, missing)
    if ent.empty:
        raise DataNotAvailable(f"no population data for cluster {cl.id}, its municipalities, region or Denmark")
    proj_ent = None
    proj_prov: list[dict] = []
    if projection is not None:
        pnorm = normalize_population_frame(projection, name="projection frame")
        proj_prov = _provenance_list(projection.attrs.get("provenance"))
        proj_ent, _ = _entities_frame(pnorm, cl, [])
    figs = compute_figures(ent, period, proj_ent, projection_base=projection_base)
    missing = missing + figs.attrs.get("missing", [])
    if figs.empty:
        reasons = list(dict.fromkeys(m["reason_da"] for m in missing if m.get("figure_id") == "population"))
        raise DataNotAvailable(f"no key figure of {cl.id}, its municipalities, region or Denmark can be computed: "
                               + "; ".join(reasons[:3]))
    p_label = figs.attrs.get("period")
    figs.attrs = {}  # set again on the result: pandas deep-copies attrs into every intermediate frame
    trend = _trend_parts(ent, p_label) if p_label is not None and not figs.empty else None
    return _finish(cl, figs, trend, missing, how, p_label, obs_prov, proj_prov)


def _finish(cl: Any, figs: pd.DataFrame, trend: list[pd.DataFrame] | None, missing: list[dict], how: dict[str, str],
            p_label: str | None, obs_prov: list[dict], proj_prov: list[dict]) -> pd.DataFrame:
    """The key-figure table of ``cl`` from its entities' figures (``figs``: cluster, municipalities, region,
    Denmark) and the same figures of earlier years (``trend``; None: no trend series): comparisons, ranks,
    outcomes, display texts, provenance, order."""
    # comparisons
    def values_of(level: str, eid: str | None) -> pd.Series:
        sub = figs[(figs["entity_level"] == level) & (figs["entity_id"] == eid)]
        return sub.set_index("figure_id")["value"]

    region_vals = values_of("region", cl.region_code) if cl.region_code else pd.Series(dtype="float64")
    country_vals = values_of("country", COUNTRY_ID)
    figs["region_value"] = figs["figure_id"].map(region_vals).astype("float64")
    figs["country_value"] = figs["figure_id"].map(country_vals).astype("float64")
    figs.loc[figs["entity_level"] == "country", "region_value"] = np.nan

    # rank the member municipalities within the cluster
    is_m = figs["entity_level"] == "municipality"
    figs["rank"] = pd.array([pd.NA] * len(figs), dtype="Int64")
    if is_m.any():
        ranks = figs[is_m].groupby("figure_id")["value"].rank(ascending=False, method="min")
        figs.loc[is_m, "rank"] = ranks.astype("Int64")

    figs["suppressed"] = False  # public population counts; see module docstring
    series = figs if trend is None else pd.concat([figs, *trend], ignore_index=True)
    figs = published_outcomes(figs, series=series)
    decimals = {fid: catalogue.figure(fid).decimals for fid in figs["figure_id"].unique()}
    figs["display"] = [
        format_value(v, decimals[f], u, signed=f.startswith(("growth_", "proj_")))
        for v, f, u in zip(figs["value"], figs["figure_id"], figs["unit"], strict=True)
    ]
    obs_text = _provenance_text(obs_prov, "brugerleveret befolkningstabel (uden kildeangivelse)")
    proj_text = _provenance_text(proj_prov, "brugerleveret fremskrivning (uden kildeangivelse)")
    is_proj = figs["figure_id"].str.startswith("proj_")
    figs["provenance"] = np.where(is_proj, proj_text, obs_text)
    summed = {eid for eid, h in how.items() if h == "summed"}
    add = figs["entity_id"].isin(summed) & ~is_proj
    figs.loc[add, "provenance"] = figs.loc[add, "provenance"] + " (summeret fra kommunetal)"
    benchmark_note = _without_christiansoe(figs, how, is_proj)
    if cl.has_split:
        split_note = "Kommunen er delt mellem klynger; tallet gælder hele kommunen."
        split_codes = set(cl.members.loc[cl.members["allocation"] != "whole", "municipality_code"])
        sel = is_m & figs["entity_id"].isin(split_codes)
        figs.loc[sel, "note_da"] = (figs.loc[sel, "note_da"] + " " + split_note).str.strip()

    order = {"cluster": 0, "municipality": 1, "region": 2, "country": 3}
    fig_order = {f: i for i, f in enumerate(catalogue.POPULATION_FIGURES)}
    figs = figs.assign(_o=figs["entity_level"].map(order), _f=figs["figure_id"].map(fig_order).fillna(999))
    figs = figs.sort_values(["_o", "entity_id", "_f"], kind="stable").drop(columns=["_o", "_f"])
    out = figs[_FINAL_COLUMNS].reset_index(drop=True)
    out.attrs["missing"] = missing
    out.attrs["cluster_id"] = cl.id
    out.attrs["division"] = cl.division
    out.attrs["period"] = p_label
    out.attrs["provenance"] = obs_prov + proj_prov
    if benchmark_note:  # and the names the benchmark columns are shown under
        out.attrs["benchmark_note_da"] = benchmark_note
        out.attrs["benchmark_names_da"] = _benchmark_names(out)
    return out


def _benchmark_names(kf: pd.DataFrame) -> dict[str, str]:
    """``{"region": ..., "country": ...}``: the names of the region and Denmark rows of ``kf``."""
    out = {}
    for level in ("region", "country"):
        names = kf.loc[kf["entity_level"] == level, "entity_name"]
        if len(names):
            out[level] = str(names.iloc[0])
    return out


def _without_christiansoe(figs: pd.DataFrame, how: dict[str, str], is_proj: pd.Series) -> str | None:
    """Mark the region and Denmark rows summed without Christiansø (provenance and note); their Danish note
    for the report (None: no such rows). The rows already carry the name "... (uden Christiansø)"."""
    from klyngedata.keyfigures.pooling import SUMMED_WITHOUT_CHRISTIANSOE, without_christiansoe_da

    ids = [eid for eid, h in how.items() if h == SUMMED_WITHOUT_CHRISTIANSOE]
    sel = figs["entity_id"].isin(ids) & figs["entity_level"].isin(["region", "country"])
    if not sel.any():
        return None
    note = without_christiansoe_da(list(dict.fromkeys(figs.loc[sel, "entity_name"].astype(str))))
    figs.loc[sel & ~is_proj, "provenance"] = figs.loc[sel & ~is_proj, "provenance"] + (
        " (summeret fra kommunetal uden Christiansø)")
    figs.loc[sel, "note_da"] = (figs.loc[sel, "note_da"].fillna("").astype(str) + " " + note).str.strip()
    return note


def municipality_ranking(cluster: Any, figure_id: str, period: object = "latest", division: str | None = None,
                         data_dir: object = None, population: pd.DataFrame | None = None,
                         projection: pd.DataFrame | None = None, *, ascending: bool = False,
                         table: pd.DataFrame | None = None) -> pd.DataFrame:
    """The cluster's municipalities ranked on one figure (1 = highest; ``ascending=True`` for lowest first).

    Columns: ``rank, entity_id, entity_name, value, display, unit, period, cluster_value, region_value,
    country_value, label_da``. Pass ``table`` (a :func:`key_figures` result) to avoid recomputing.

    Example
    -------
    Needs population data (a tidy population frame); not run as a doctest.
    >>> municipality_ranking("nordjylland-nord", "growth_1y_pct", population=frame)  # doctest: +SKIP
    """
    catalogue.figure(figure_id)  # validates the id (LookupFailed with close matches)
    kf = table if table is not None else key_figures(cluster, period, division, data_dir, population, projection)
    sub = kf[(kf["figure_id"] == figure_id) & (kf["entity_level"] == "municipality")].copy()
    if sub.empty:
        reasons = {m["reason_da"] for m in kf.attrs.get("missing", []) if m["figure_id"] == figure_id}
        raise DataNotAvailable(f"figure {figure_id!r} is not available for the municipalities of "
                               f"{kf.attrs.get('cluster_id', cluster)}: {'; '.join(sorted(reasons)) or 'no data'}")
    cval = kf[(kf["figure_id"] == figure_id) & (kf["entity_level"] == "cluster")]["value"]
    sub["cluster_value"] = float(cval.iloc[0]) if len(cval) else np.nan
    if ascending:
        sub["rank"] = sub["value"].rank(ascending=True, method="min").astype("Int64")
    sub = sub.sort_values(["rank", "entity_id"], kind="stable")
    cols = ["rank", "entity_id", "entity_name", "value", "display", "unit", "period", "cluster_value",
            "region_value", "country_value", "label_da"]
    out = sub[cols].reset_index(drop=True)
    out.attrs["figure_id"] = figure_id
    return out


# --------------------------------------------------------------------------------------------------
# age pyramid
# --------------------------------------------------------------------------------------------------

def _resolve_entity(entity: object, level: str | None, division: str | None) -> tuple[str, str, str, Any]:
    """(level, entity_id, name, cluster-or-None) for a municipality, cluster, region or Denmark key."""
    from klyngedata import registry
    from klyngedata.exceptions import LookupFailed

    text = str(entity).strip()
    lvl = parse_level(level) if level else None
    if lvl in (None, "country") and text.lower() in {"dk", "danmark", "denmark", "hele landet", "land"}:
        return "country", COUNTRY_ID, COUNTRY_NAME, None
    if lvl in (None, "region"):
        try:
            code = normalize_region_code(text)
            return "region", code, _region_name(code), None
        except ValueError:
            r = registry.regions()
            for code, name in zip(r["region_key"], r["name"], strict=True):
                if code and text.lower() in {name.lower(), name.lower().replace("region ", "")}:
                    return "region", code, name, None
        if lvl == "region":
            raise LookupFailed(f"Unknown region {entity!r}")
    cluster_error: LookupFailed | None = None
    if lvl in (None, "cluster"):
        try:
            cl = registry.cluster(entity, division=division)
            return "cluster", cl.id, cl.name, cl
        except LookupFailed as exc:
            if lvl == "cluster":
                raise
            cluster_error = exc
    if lvl in (None, "municipality"):
        try:
            m = registry.municipality(entity)
        except LookupFailed as exc:
            if cluster_error is None:
                raise
            raise LookupFailed(f"{entity!r} is neither a cluster ({cluster_error}) nor a municipality ({exc})",
                               ) from None
        return "municipality", m.code, m.name, None
    raise LookupFailed(f"Unknown level {level!r}; use municipality, cluster, region or country")


def _five_year(lo: int, hi: int | None, top: int) -> tuple[int, int | None]:
    if lo >= top:
        return top, None
    if hi is None:
        if lo % 5:
            raise DataNotAvailable(f"open age group {lo}+ does not start at a five-year boundary")
        return lo, None
    b = lo // 5 * 5
    if hi // 5 * 5 != b:
        raise DataNotAvailable(f"age group {lo}-{hi} spans more than one five-year band")
    return b, b + 4


def _check_complete_ages(rows: pd.DataFrame, what: str) -> None:
    """Raise :class:`DataNotAvailable` (with the Danish reason) unless each sex's rows hold every age from 0 to
    an open top group (or to at least 100) and no count is missing: a band or a share is never computed from the
    ages that happen to be there."""
    from klyngedata.keyfigures.profiles import _LACKING, _lacking

    for sex, part in rows.groupby("sex", sort=True):
        if part["population"].isna().any():
            reason = part.loc[part["population"].isna(), "reason_da"].dropna()
            raise DataNotAvailable(f"{what}: {reason.iloc[0] if len(reason) else 'a count is not published'}")
        bands = sorted((int(lo), None if pd.isna(hi) else int(hi), 0.0)
                       for lo, hi in zip(part["age_lo"], part["age_hi"], strict=True))
        lacking = _lacking(bands)
        if lacking:
            raise DataNotAvailable(f"{what} ({sex}): {_LACKING.format(ages=lacking)}")


def age_pyramid(entity: object, period: object = "latest", division: str | None = None,
                data_dir: object = None, population: pd.DataFrame | None = None, *,
                level: str | None = None, top: int = 100) -> pd.DataFrame:
    """Age-pyramid data: persons by sex (male/female) and five-year age band (``0-4`` … ``95-99``, ``100+``).

    ``entity``: a cluster (id or name), municipality (code or name), region (code or name) or ``"DK"``;
    ``level`` disambiguates. Columns: ``entity_level, entity_id, entity_name, period, sex, sex_da,
    age_group, age_lo, population, share_pct`` (share of the entity's whole population, both sexes) and
    ``provenance``. Needs a frame by sex and age; raises :class:`DataNotAvailable` otherwise.

    Example (constructed)
    ---------------------
    >>> CONSTRUCTED = pd.DataFrame({"level": "country", "entity_id": "DK", "period": "2024K1",
    ...     "sex": ["male", "female", "male", "female"], "age_group": ["0-4", "0-4", "5+", "5+"],
    ...     "population": [1, 2, 3, 4]})
    >>> age_pyramid("DK", population=CONSTRUCTED)[["sex", "age_group", "population"]].values.tolist()
    [['male', '0-4', 1.0], ['female', '0-4', 2.0], ['male', '5+', 3.0], ['female', '5+', 4.0]]
    """
    lvl, eid, name, cl = _resolve_entity(entity, level, division)
    if population is None:
        population = _load_frame("observed", cl.division if cl is not None else division, data_dir)
    norm = normalize_population_frame(population)
    if lvl == "cluster":
        weights, reason = _cluster_weights(cl)
        rows, _ = _entity_rows(norm, lvl, eid, name, weights)
        if rows.empty and reason:
            raise DataNotAvailable(f"age pyramid for {eid}: {reason}")
    elif lvl == "region":
        rows, _ = _entity_rows(norm, lvl, eid, name, _region_weights(eid, norm))
    elif lvl == "country":
        rows, _ = _entity_rows(norm, lvl, eid, name, _country_weights(norm))
    else:
        rows, _ = _entity_rows(norm, lvl, eid, name, None)
    if rows.empty:
        raise DataNotAvailable(f"age pyramid: no population data for {lvl} {eid} ({name})")
    p = _resolve_period(rows, period)
    rows = rows[(rows["period"] == p) & rows["sex"].isin(["male", "female"]) & ~rows["age_total"]]
    if set(rows["sex"]) != {"male", "female"}:
        raise DataNotAvailable(
            f"age pyramid for {lvl} {eid} in {period_code(p)} needs population by sex and age; the data have "
            "no such breakdown (import FOLK1A/FOLK1AM by sex and age)"
        )
    bands = [_five_year(int(lo), None if pd.isna(hi) else int(hi), top)
             for lo, hi in zip(rows["age_lo"], rows["age_hi"], strict=True)]
    _check_complete_ages(rows, f"age pyramid for {lvl} {eid} in {period_code(p)}")
    tmp = rows.assign(band_lo=[b[0] for b in bands], band_hi=[b[1] for b in bands])
    g = tmp.groupby(["sex", "band_lo"], sort=True).agg(population=("population", "sum"),
                                                      band_hi=("band_hi", "first")).reset_index()
    total = float(g["population"].sum())
    g["age_group"] = [f"{lo}+" if pd.isna(hi) else f"{lo}-{int(hi)}" for lo, hi in zip(g["band_lo"], g["band_hi"],
                                                                                      strict=True)]
    g["share_pct"] = 100.0 * g["population"] / total if total else np.nan
    g["_s"] = g["sex"].map({"male": 0, "female": 1})
    g = g.sort_values(["band_lo", "_s"]).reset_index(drop=True)
    out = pd.DataFrame({
        "entity_level": lvl, "entity_id": eid, "entity_name": name, "period": period_code(p),
        "sex": g["sex"], "sex_da": g["sex"].map(SEX_DA), "age_group": g["age_group"],
        "age_lo": g["band_lo"].astype("int64"), "population": g["population"].astype("float64"),
        "share_pct": g["share_pct"],
    })
    out["provenance"] = _provenance_text(_provenance_list(population.attrs.get("provenance")),
                                         "brugerleveret befolkningstabel (uden kildeangivelse)")
    return out
