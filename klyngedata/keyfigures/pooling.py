"""Clusters, regions and Denmark pooled from their municipalities (no partial sums), loading the frames
key figures are computed from, and the comparison frame of a unit."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from klyngedata import catalogue
from klyngedata.exceptions import DataNotAvailable, KlyngedataError
from klyngedata.keyfigures.compute import _miss, compute_figures
from klyngedata.keyfigures.frame import (
    _provenance_list,
    normalize_population_frame,
)
from klyngedata.outcomes import PUBLISHED_COLUMNS
from klyngedata.vocabulary import parse_period, periods_per_year
from klyngedata.vocabulary.codes import CHRISTIANSOE, CHRISTIANSOE_REGION, COUNTRY_ID, COUNTRY_NAME
from klyngedata.weights import country_weights, region_weights, unit_weights

# --------------------------------------------------------------------------------------------------
# clusters, regions and Denmark from municipalities
# --------------------------------------------------------------------------------------------------

_GROUP_KEYS = ["period", "sex", "age_lo", "age_hi", "age_total"]


def _aggregate(muni: pd.DataFrame, level: str, entity_id: str, entity_name: str,
               weights: Mapping[str, float]) -> pd.DataFrame:
    """Sum municipality rows (times weight) into one entity; keep only cells every member has."""
    rows = muni[(muni["level"] == "municipality") & muni["entity_id"].isin(set(weights))]
    if rows.empty:
        return rows.iloc[0:0]
    w = rows["entity_id"].map(dict(weights)).astype("float64")
    tmp = rows.assign(population=rows["population"] * w, _na=rows["population"].isna())
    g = tmp.groupby(_GROUP_KEYS, dropna=False, sort=False)
    has_na = g["_na"].any()
    summed = g["population"].sum().where(~has_na)  # a missing member makes the sum missing, never partial
    complete = g["entity_id"].nunique() == len(weights)
    out = summed[complete].reset_index()
    out["reason_da"] = pd.array([pd.NA] * len(out), dtype="string")
    if has_na[complete].any():
        names = (tmp[tmp["_na"]].drop_duplicates("entity_id")["entity_name"].fillna(tmp["entity_id"])
                 if "entity_name" in tmp.columns else tmp.loc[tmp["_na"], "entity_id"].drop_duplicates())
        who = ", ".join(sorted(str(n) for n in names))
        out.loc[out["population"].isna(), "reason_da"] = (
            f"Danmarks Statistik har ikke offentliggjort befolkningstallet for {who} (markeret '..' i kilden), "
            f"så tallet for {entity_name} kan ikke beregnes uden at gætte")
    out.insert(0, "level", level)
    out.insert(1, "entity_id", entity_id)
    out.insert(2, "entity_name", entity_name)
    out["age_lo"] = out["age_lo"].astype("Int64")
    out["age_hi"] = out["age_hi"].astype("Int64")
    out["age_total"] = out["age_total"].astype(bool)
    return out[["level", "entity_id", "entity_name", *_GROUP_KEYS, "population", "reason_da"]]


def _region_name(code: str) -> str:
    from klyngedata import registry

    r = registry.regions()
    hit = r[r["region_key"] == code]
    return str(hit.iloc[0]["name"]) if len(hit) else code


def _entity_rows(norm: pd.DataFrame, level: str, entity_id: str, entity_name: str,
                 weights: Mapping[str, float] | None) -> tuple[pd.DataFrame, str]:
    """Rows of one entity: as given in the frame, else summed from municipalities. Returns (rows, how)."""
    given = norm[(norm["level"] == level) & (norm["entity_id"] == entity_id)]
    if not given.empty:
        return given.assign(entity_name=entity_name), "given"
    if weights is None:
        return given, "none"
    agg = _aggregate(norm, level, entity_id, entity_name, weights)
    return agg, "summed"


def _cluster_weights(cl: Any) -> tuple[dict[str, float] | None, str]:
    """Municipality weights of a cluster (:mod:`klyngedata.weights`), or (None, reason)."""
    w = unit_weights(cl)
    return w.weights, w.reason_da


def _has_christiansoe(norm: pd.DataFrame) -> bool:
    return bool(((norm["level"] == "municipality") & (norm["entity_id"] == CHRISTIANSOE)).any())


def _region_weights(region_code: str, norm: pd.DataFrame) -> dict[str, float]:
    return region_weights(region_code, with_christiansoe=_has_christiansoe(norm))


def _country_weights(norm: pd.DataFrame) -> dict[str, float]:
    # national reconciliation includes Christiansø where the data have it, as Statistics Denmark does
    return country_weights(with_christiansoe=_has_christiansoe(norm))


WITHOUT_CHRISTIANSOE_DA = " (uden Christiansø)"
"""Appended to the name of Denmark or Region Hovedstaden when summed from municipalities without Christiansø."""

SUMMED_WITHOUT_CHRISTIANSOE = "summed_without_christiansoe"
"""``how`` of a region or Denmark summed from all its municipalities where the data lack Christiansø."""


def without_christiansoe_da(names: list[str]) -> str:
    """The Danish note on benchmark rows summed without Christiansø (``names``: as the reader sees them).

    >>> without_christiansoe_da(["Hele landet (uden Christiansø)"]).split(". ")[1]
    'Det er ikke Danmarks Statistiks officielle tal, som også omfatter Christiansø.'
    """
    names = list(dict.fromkeys(names))
    text = " og ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else names[0]
    which = "tallene" if len(names) > 1 else "tallet"
    return (f"Christiansø findes ikke i de indlæste befolkningstal, så {which} for {text} er kommunernes tal lagt "
            f"sammen. {'De' if len(names) > 1 else 'Det'} er ikke Danmarks Statistiks officielle tal, som også "
            "omfatter Christiansø.")


def _benchmark_rows(norm: pd.DataFrame, level: str, entity_id: str, name: str) -> tuple[pd.DataFrame, str]:
    """Rows of a region (``level="region"``) or Denmark: the source's own, else summed from all their
    municipalities; where the data lack Christiansø, which Statistics Denmark counts in Denmark and Region
    Hovedstaden, the sum of the municipalities is named as such (``"Hele landet (uden Christiansø)"``, ``how``
    :data:`SUMMED_WITHOUT_CHRISTIANSOE`), never passed off as the official total."""
    weights = _country_weights(norm) if level == "country" else _region_weights(entity_id, norm)
    rows, how = _entity_rows(norm, level, entity_id, name, weights)
    counts_it = level == "country" or CHRISTIANSOE_REGION in _region_parts(entity_id)
    if how == "summed" and counts_it and CHRISTIANSOE not in weights and not rows.empty:
        return rows.assign(entity_name=name + WITHOUT_CHRISTIANSOE_DA), SUMMED_WITHOUT_CHRISTIANSOE
    return rows, how


def _region_parts(region_code: str) -> tuple[str, ...]:
    from klyngedata import registry

    return tuple(registry.region_parts(region_code))





def format_value(value: float | None, decimals: int, unit: str, signed: bool = False) -> str:
    """Danish display text by the one typography rule (:func:`klyngedata.formatting.figure_number`: thousands
    point, decimal comma, the minus sign "−", a non-zero value never shown as 0), ``%`` with a space.

    Example
    -------
    >>> format_value(591740, 0, "personer"), format_value(12.345, 1, "%"), format_value(-18, 0, "personer", True)
    ('591.740', '12,3 %', '−18')
    """
    from klyngedata.formatting import figure_number

    if value is None or pd.isna(value):
        return ""
    text = figure_number(value, decimals, sign=signed)
    return f"{text} %" if unit == "%" else text


def _cached_projection(data_dir: object) -> bool:
    """True if a population projection (``population/FRKM1yy``) is in the local cache."""
    from klyngedata.cache import Cache

    try:
        keys = Cache(data_dir).keys()
    except (OSError, KlyngedataError):
        return False
    return any(re.fullmatch(r"population/FRKM1\d\d", k) for k in keys)


def _load_frame(kind: str, division: str | None, data_dir: object) -> pd.DataFrame:
    """Load municipality and cluster rows (``kind="observed"|"projection"``) via klyngedata.population.

    By sex and age when the data have it, else totals. Regions and Denmark come from the population layer
    when the source has its own rows for them (used, never overridden by a sum); otherwise they are summed
    here from the municipalities. Cluster rows come from the population layer so that split municipalities
    are allocated with unit data where it exists.
    """
    from klyngedata.population import population as load

    frames = []
    errors: list[str] = []
    for level in ("municipality", "cluster"):
        kwargs: dict[str, Any] = {"level": level, "kind": kind, "data_dir": data_dir, "period": "all"}
        if level == "cluster":
            kwargs["division"] = division
        got = None
        for by in (("sex", "age"), ()):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # unallocated split rows are handled in _drop_unallocated
                    got = load(**kwargs, by=by)
                break
            except DataNotAvailable as exc:
                errors.append(f"{level}: {exc}")
        if got is not None and len(got):
            frames.append(got)
    # regions and Denmark: the source's own rows where it has them (never overridden by a sum); otherwise they
    # are summed here from complete municipalities
    by_used = ("sex", "age") if frames and "age" in frames[0].columns else ()
    for level in ("region", "country"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = load(level=level, kind=kind, data_dir=data_dir, period="all", by=by_used)
        except DataNotAvailable:
            continue
        if got.attrs.get("own_rows") and len(got):
            frames.append(got)
    if not frames:
        raise DataNotAvailable(
            f"no {kind} population data found ({'; '.join(errors[:2])}); import or fetch it first "
            f"(klyngedata data fetch / klyngedata data import) or pass population="
        )
    prov: list[dict] = []
    for f in frames:
        for p in _provenance_list(f.attrs.get("provenance")):
            if p not in prov:
                prov.append(p)
    out = pd.concat(frames, ignore_index=True)
    out.attrs["provenance"] = prov
    return out


_FINAL_COLUMNS = ["entity_level", "entity_id", "entity_name", "figure_id", "label_da", "value", "unit", "period",
                  "base_period", "region_value", "country_value", "rank", "suppressed", "display", "note_da",
                  "provenance", "numerator", "denominator", *PUBLISHED_COLUMNS]

TREND_YEARS = 4
"""Trends of the population figures use the report period and the same month/quarter up to 4 years before."""


def _trend_series(ent: pd.DataFrame, figs: pd.DataFrame, period: str | None) -> pd.DataFrame:
    """The figures in the report period and the same month/quarter of up to :data:`TREND_YEARS` earlier
    years (those in the data), for the trend columns."""
    if period is None or figs.empty:
        return figs
    return pd.concat([figs, *_trend_parts(ent, period)], ignore_index=True)


def trend_periods(period: str, have: Any) -> list[pd.Period]:
    """The same month/quarter of up to :data:`TREND_YEARS` years before ``period`` that are in ``have``."""
    p = parse_period(period)
    out = []
    for years in range(1, TREND_YEARS + 1):
        q = p - years * periods_per_year(p)
        if q in have:
            out.append(q)
    return out


def _trend_parts(ent: pd.DataFrame, period: str) -> list[pd.DataFrame]:
    """The figures of ``ent`` in each of :func:`trend_periods` (the earlier years of the trend)."""
    return [compute_figures(ent, q) for q in trend_periods(period, set(ent["period"]))]


def _drop_unallocated(norm: pd.DataFrame, cl: Any, rows: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Drop cluster periods in which part of a split municipality is not allocated to any cluster.

    :func:`klyngedata.population.population` puts the part of a unit-split municipality (København by
    bydel) that unit data do not cover in an explicit row ``"<code>:ikke-fordelt"``; a cluster total for such
    a period would silently miss those persons, so it is not used.
    """
    split = cl.members.loc[cl.members["allocation"] == "unit", "municipality_code"].unique()
    if len(split) == 0:
        return rows, ""
    rest = norm[(norm["level"] == "cluster") & norm["entity_id"].isin({f"{c}:ikke-fordelt" for c in split})
                & (norm["population"] > 0)]
    if rest.empty:
        return rows, ""
    bad = set(rest["period"])
    names = cl.members.drop_duplicates("municipality_code").set_index("municipality_code")["municipality_name"]
    parts = ", ".join(f"{names.get(c, c)} ({c})" for c in split)
    reason = (f"{parts} er delt mellem klynger, og befolkningstal for enhederne (bydele) mangler for "
              f"{len(bad)} periode(r); klyngens tal ville mangle en del af kommunen og vises ikke")
    return rows[~rows["period"].isin(bad)], reason


def _entity_parts(norm: pd.DataFrame, cl: Any, missing: list[dict],
                  memo: dict | None = None) -> tuple[list[tuple[tuple[str, str], pd.DataFrame]], dict[str, str]]:
    """The rows of the cluster, its member municipalities, its region and Denmark (in that order), each as
    ``((level, entity_id), rows)``; entities without rows are left out (and listed in ``missing``).

    ``memo``: a dict shared by calls on the same ``norm`` (one division's units), which then build the rows of
    a municipality, region or Denmark once (the same rows every call would build).
    """
    def shared(key: tuple[str, str], make: Any) -> tuple[pd.DataFrame, str]:
        if memo is None:
            return make()
        if key not in memo:
            memo[key] = make()
        return memo[key]

    parts: list[tuple[tuple[str, str], pd.DataFrame]] = []
    how: dict[str, str] = {}
    weights, reason = _cluster_weights(cl)
    rows, h = _entity_rows(norm, "cluster", cl.id, cl.name, weights)
    how[cl.id] = h
    if h == "given" and not rows.empty:
        rows, partial = _drop_unallocated(norm, cl, rows)
        if partial and rows.empty:
            reason = partial
    if rows.empty:
        missing += _miss(("cluster", cl.id, cl.name), catalogue.POPULATION_FIGURES,
                         reason or "klyngens kommuner mangler i data")
    parts.append((("cluster", cl.id), rows))
    names = shared(("names", ""), lambda: (_municipality_names(), ""))[0]
    by_code = shared(("municipality rows", ""), lambda: (_municipality_index(norm), ""))[0] if memo is not None \
        else None
    for code in cl.municipality_codes:
        name = names.get(code, code)

        def muni(code: str = code, name: str = name) -> tuple[pd.DataFrame, str]:
            if by_code is not None:
                sel = norm.take(by_code[code]) if code in by_code else norm.iloc[0:0]
            else:
                sel = norm[(norm["level"] == "municipality") & (norm["entity_id"] == code)]
            return sel.assign(entity_name=name), "given"

        rows, _ = shared(("municipality", code), muni)
        if rows.empty:
            missing += _miss(("municipality", code, name), catalogue.POPULATION_FIGURES, "kommunen mangler i data")
        parts.append((("municipality", code), rows))
        how[code] = "given"
    if cl.region_code:
        rname = _region_name(cl.region_code)
        rows, h = shared(("region", cl.region_code), lambda: _benchmark_rows(norm, "region", cl.region_code, rname))
        how[cl.region_code] = h
        if rows.empty:
            missing += _miss(("region", cl.region_code, rname), catalogue.POPULATION_FIGURES,
                             "regionen mangler i data, og ikke alle dens kommuner er med")
        parts.append((("region", cl.region_code), rows))
    rows, h = shared(("country", COUNTRY_ID), lambda: _benchmark_rows(norm, "country", COUNTRY_ID, COUNTRY_NAME))
    how[COUNTRY_ID] = h
    if rows.empty:
        missing += _miss(("country", COUNTRY_ID, COUNTRY_NAME), catalogue.POPULATION_FIGURES,
                         "hele landet mangler i data, og ikke alle kommuner er med")
    parts.append((("country", COUNTRY_ID), rows))
    return [(k, p) for k, p in parts if not p.empty], how


def _municipality_names() -> dict[str, str]:
    from klyngedata import registry

    m = registry.municipalities()
    return dict(zip(m["municipality_code"], m["name"], strict=True))


def _municipality_index(norm: pd.DataFrame) -> dict[str, Any]:
    """Positions of each municipality's rows in ``norm`` (ascending, as a boolean selection keeps them)."""
    pos = np.flatnonzero((norm["level"] == "municipality").to_numpy())
    groups = pd.Series(pos).groupby(norm["entity_id"].to_numpy()[pos], sort=False).indices
    return {code: pos[idx] for code, idx in groups.items()}


def _entities_frame(norm: pd.DataFrame, cl: Any, missing: list[dict]) -> tuple[pd.DataFrame, dict[str, str]]:
    """Rows for the cluster, its member municipalities, its region and Denmark (in that order)."""
    parts, how = _entity_parts(norm, cl, missing)
    if not parts:
        return norm.iloc[0:0], how
    return pd.concat([p for _, p in parts], ignore_index=True), how


def comparison_frame(cluster: Any, population: pd.DataFrame, division: str | None = None) -> pd.DataFrame:
    """The population rows of a cluster, its municipalities, its region and Denmark (internal tidy form).

    Cluster, region and Denmark rows are taken from ``population`` when present, otherwise summed from the
    municipalities (see the module docstring). ``attrs["missing"]`` names entities that could not be built.

    Example
    -------
    Needs population data (a tidy population frame); not run as a doctest.
    >>> f = comparison_frame("nordjylland-nord", frame)  # doctest: +SKIP
    >>> growth(f, from_period="2022M01", period="2024M01")  # doctest: +SKIP
    """
    from klyngedata import registry

    cl = registry.cluster(cluster, division=division)
    missing: list[dict] = []
    out, _ = _entities_frame(normalize_population_frame(population), cl, missing)
    out.attrs["missing"] = missing
    out.attrs["provenance"] = _provenance_list(population.attrs.get("provenance"))
    return out
