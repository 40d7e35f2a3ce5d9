"""The published RUKS figures (:func:`ruks_figures`, keyfigures layer): counts pooled to every level,
disclosure-controlled (:mod:`klyngedata.ruks.control`), with crude rates per 100,000 and the file's
standardised rates where they reveal nothing hidden."""

from __future__ import annotations

import collections
import os
from collections.abc import Iterable

import numpy as np
import pandas as pd

from klyngedata.disclosure import DEFAULT_THRESHOLD, NOTE_DA, SECONDARY_MARK, format_number_da, mask_suppressed
from klyngedata.exceptions import DataNotAvailable, KlyngedataError
from klyngedata.ruks.control import controlled_counts
from klyngedata.ruks.store import load_ruks, ruks_meta
from klyngedata.vocabulary import compose, parse_age, parse_level, parse_measure

__all__ = ["FIGURE_COLUMNS", "ruks_figures"]

FIGURE_COLUMNS = ["entity_level", "entity_id", "entity_name", "region_code", "measure", "disease", "sex",
                  "age_group", "year", "count", "population", "rate", "rate_method_da", "rate_age_std",
                  "rate_sex_age_std", "suppressed", "display", "reason_da"]
_RATE_FROM_FILE = "Rate pr. 100.000 fra Sundhedsdatastyrelsens fil"
_RATE_POOLED = "Rate pr. 100.000 beregnet af summen af antal og folketal (1. periode i året)"
_NO_POPULATION = "Raten kan ikke beregnes: folketallet efter køn og alder for året findes ikke i de indlæste data."
_HIDDEN = "Tallet er skjult, så et tal under 5 ikke kan regnes ud af de viste tal."
_CONTROLLED: collections.OrderedDict[tuple, pd.DataFrame] = collections.OrderedDict()


def _controlled(data: pd.DataFrame, key: str, measure: str, disease: str, threshold: int) -> pd.DataFrame:
    k = (key, measure, disease, threshold)
    if k not in _CONTROLLED:
        _CONTROLLED[k] = controlled_counts(data, measure, disease, threshold)
        while len(_CONTROLLED) > 16:
            _CONTROLLED.popitem(last=False)
    _CONTROLLED.move_to_end(k)
    return _CONTROLLED[k].copy()


def _population(bands: list[str], data_dir, population: pd.DataFrame | None) -> tuple[pd.DataFrame | None, str]:
    """Municipality population by sex and the RUKS age bands (first period of each year), or ``(None, why)``."""
    parsed = [parse_age(a) for a in bands]
    cuts = sorted({b.lo for b in parsed if b is not None})
    if population is None:
        from klyngedata.population import population as load

        try:
            population = load("municipality", period="all", by=["sex"], age_groups=cuts or None, data_dir=data_dir)
        except KlyngedataError:
            return None, _NO_POPULATION
    pop = population.copy()
    if "age_group" not in pop.columns:
        return None, _NO_POPULATION
    have = [parse_age(str(a)) for a in pop["age_group"].astype(str).unique()]
    have = [b for b in have if b is not None]
    for band in parsed:
        if band is not None:
            compose(band, have)  # the RUKS band exactly from the population's groups, or refused naming the edges
    pop["year"] = pop["period"].map(lambda p: pd.Period(p).year)
    first = pop.groupby("year")["period"].transform("min")
    pop = pop[pop["period"] == first]
    pop["age_group"] = pop["age_group"].astype(str).map(lambda a: "total" if parse_age(a) is None
                                                        else parse_age(a).label)
    return pop[["entity_id", "sex", "age_group", "year", "population"]], ""


def _with_population(rows: pd.DataFrame, pop: pd.DataFrame | None, why: str) -> pd.DataFrame:
    """``population`` of every pooled row (the sum over its municipalities), NA with a reason otherwise."""
    from klyngedata import registry

    rows["population"] = pd.array([pd.NA] * len(rows), dtype="Int64")
    if pop is None:
        return rows
    pop = pop.copy()
    both = pop.groupby(["entity_id", "age_group", "year"], as_index=False)["population"].sum(min_count=1)
    if not (pop["sex"] == "total").any():
        pop = pd.concat([pop, both.assign(sex="total")], ignore_index=True)
    ages = pop.groupby(["entity_id", "sex", "year"], as_index=False)["population"].sum(min_count=1)
    if not (pop["age_group"] == "total").any():
        pop = pd.concat([pop, ages.assign(age_group="total")], ignore_index=True)
    lookup = pop.set_index(["entity_id", "sex", "age_group", "year"])["population"]
    region_of = registry.municipality_regions(date="2026-12-31")
    for i, parts in zip(rows.index, rows["_parts"], strict=True):
        if not parts:
            continue
        munis = [m for p in parts for m in ([c for c, r in region_of.items() if r == p] if p in region_of.values()
                                            else [p])]
        keys = [(m, rows.at[i, "sex"], rows.at[i, "age_group"], int(rows.at[i, "year"])) for m in munis]
        vals = [lookup.get(k) for k in keys]
        if vals and all(v is not None and not pd.isna(v) for v in vals):
            rows.at[i, "population"] = int(sum(vals))
    return rows


def _file_rates(data: pd.DataFrame, measure: str, disease: str, standardisation: str) -> pd.Series:
    r = data[(data["measure"] == measure) & (data["disease"] == disease) & (data["unit"] == "pr. 100.000")
             & (data["standardisation"] == standardisation)]
    return r.set_index(["area_code", "sex", "age_group", "year"])["value"]


def _rates(out: pd.DataFrame, data: pd.DataFrame, measure: str, disease: str, why: str) -> pd.DataFrame:
    crude = _file_rates(data, measure, disease, "none")
    key = list(zip(out["entity_id"], out["sex"], out["age_group"], out["year"].astype(int), strict=True))
    own = out["_own"].to_numpy(dtype=bool)
    from_file = pd.array([crude.get(k) if o else None for k, o in zip(key, own, strict=True)], dtype="Float64")
    pooled = (out["count"].astype("Float64") / out["population"].astype("Float64") * 100_000)
    out["rate"] = pd.array(np.where(own, from_file, pooled), dtype="Float64")
    out["rate_method_da"] = np.where(own, _RATE_FROM_FILE, np.where(out["population"].isna(), why or _NO_POPULATION,
                                                                            _RATE_POOLED))
    shown = out["count"].notna()
    for column, std in (("rate_age_std", "age"), ("rate_sex_age_std", "sex_age")):
        rates = _file_rates(data, measure, disease, std)
        # a standardised rate weighs the age-specific counts: shown only where every one of them is shown
        group = ["entity_id", "year"] + (["sex"] if std == "age" else [])
        bands = out[out["age_group"] != "total"] if std == "age" else out[(out["age_group"] != "total")
                                                                         & (out["sex"] != "total")]
        complete = bands.assign(_ok=bands["count"].notna()).groupby(group)["_ok"].all()
        ok = [own_ and complete.get(tuple(r) if len(group) > 1 else r[0], False)
              for own_, r in zip(own, out[group].itertuples(index=False, name=None), strict=True)]
        out[column] = pd.array([rates.get(k) if o and s else None for k, o, s in zip(key, ok, shown, strict=True)],
                               dtype="Float64")
    return out


def ruks_figures(level: str = "cluster", division: str | None = None, disease: str | Iterable[str] | None = None,
                 measure: str = "prevalence", *, data_dir: str | os.PathLike[str] | None = None,
                 population: pd.DataFrame | None = None, threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """RUKS counts and rates per 100,000 at ``level`` for ``division`` (default: the division valid today).

    Every count is disclosure-controlled over everything this function can publish from the cached release
    (all levels, divisions, sexes, age groups and years of the figure); a blank cell of the file stays
    suppressed and every sum over it too. Columns :data:`FIGURE_COLUMNS`; ``display`` is ``"x"`` for a hidden
    count, ``reason_da`` says why a figure is missing. ``population``: a municipality population frame by sex
    and age group (as from :func:`klyngedata.population.population`) instead of the cache.

    Example
    -------
    Needs the RUKS workbook imported into the data directory; not run as a doctest.
    >>> ruks_figures("cluster", disease="Type 2-diabetes")  # doctest: +SKIP
    """
    from klyngedata import registry

    level = parse_level(level)
    measure = parse_measure(measure) if measure not in ("prevalence", "incidence") else measure
    division = registry.resolve_division(division)
    data = load_ruks(data_dir)
    meta = ruks_meta(data_dir) or {}
    diseases = sorted(set(data["disease"])) if disease is None else (
        [disease] if isinstance(disease, str) else list(disease))
    unknown = sorted(set(diseases) - set(data["disease"]))
    if unknown:
        raise DataNotAvailable(f"RUKS has no disease {unknown} (the release has: {sorted(set(data['disease']))})")
    bands = sorted(set(data["age_group"]))
    pop, why = _population(bands, data_dir, population)
    frames = []
    for d in diseases:
        c = _controlled(data, str(meta.get("data_sha256")), measure, d, threshold)
        c = c[(c["entity_level"] == level) & ((c["_division"] == division) | c["own_row"])]
        c = c.drop_duplicates(["entity_id", "sex", "age_group", "year"])
        if c.empty:
            continue
        frames.append((d, c))
    if not frames:
        raise DataNotAvailable(f"RUKS has no {measure} rows at level {level}")
    out = []
    for d, c in frames:
        c = _attach_parts(c.assign(_own=c["own_row"].astype(bool)), data, division)
        c = _with_population(c, pop, why)
        c = _rates(c, data, measure, d, why)
        out.append(c)
    res = pd.concat(out, ignore_index=True)
    res["suppressed"] = res["hidden"] | res["suppressed"]
    res.loc[res["hidden"] & (res["reason_da"] == ""), "reason_da"] = _HIDDEN
    res["display"] = [SECONDARY_MARK if s else format_number_da(v) for s, v in zip(res["suppressed"], res["count"],
                                                                                 strict=True)]
    res.loc[~res["suppressed"] & res["count"].isna(), "display"] = "–"
    res["year"] = res["year"].astype(int)
    res = mask_suppressed(res[FIGURE_COLUMNS].reset_index(drop=True), keep=("year",))
    res.attrs["disclosure_note_da"] = NOTE_DA
    res.attrs["division"] = division
    res.attrs["provenance"] = {k: meta.get(k) for k in ("file", "release", "years", "imported_at", "source")}
    return res


def _attach_parts(c: pd.DataFrame, data: pd.DataFrame, division: str) -> pd.DataFrame:
    """The municipalities or regions each pooled row sums (for its population); own rows need none."""
    from klyngedata.ruks.pooling import pool_counts

    pooled = pool_counts(data[data["disease"].isin(set(c["disease"]))], division, levels=[c["entity_level"].iloc[0]])
    parts = pooled.drop_duplicates("entity_id").set_index("entity_id")["parts"]
    c["_parts"] = [None if own else parts.get(e) for e, own in zip(c["entity_id"], c["_own"], strict=True)]
    return c
