"""Age/sex-standardised figures of count indicators for every unit (:func:`standardised_figures`) and the
expected counts behind them (:func:`expected_counts`), under the same disclosure control."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from klyngedata import catalogue as _catalogue
from klyngedata.disclosure import (
    DEFAULT_THRESHOLD,
    NOTE_DA,
    format_number_da,
    mask_suppressed,
    refill_comparisons,
)
from klyngedata.exceptions import DataNotAvailable, KlyngedataError
from klyngedata.indicator_defs import (
    indicator,
)
from klyngedata.indicators.figures import _published
from klyngedata.indicators.files import load_indicators
from klyngedata.indicators.pooling import _entities, _select_periods
from klyngedata.outcomes import published_outcomes
from klyngedata.stats import FigureStats
from klyngedata.vocabulary import parse_period


# --------------------------------------------------------------------------------------------------
# standardisation of count indicators
# --------------------------------------------------------------------------------------------------
def standardised_figures(
    indicator_id: str,
    *,
    method: str = "indirect",
    level: str = "cluster",
    period: object = "latest",
    division: str | None = None,
    strata: Sequence[str] = ("sex", "age_group"),
    standard: pd.DataFrame | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    data: pd.DataFrame | None = None,
    threshold: int = DEFAULT_THRESHOLD,
) -> pd.DataFrame:
    """Age/sex-standardised figures of a count indicator for every cluster (or municipality/region).

    ``method="indirect"``: expected events with Denmark's stratum rates (all municipalities in the data),
    ``ratio`` = observed / expected with a 95% CI. ``method="direct"``: directly standardised rate per the
    indicator's ``per`` with a 95% CI (gamma method); ``standard`` defaults to Denmark's population at risk
    in the data (the denominators summed by stratum). Disclosure control: a row is shown only when every
    stratum count it is computed from is shown by :func:`indicator_figures` for the same data (its own and
    Denmark's), otherwise hidden with every numeric column (``<5`` when its observed count or population is
    1-4, else ``x``). Every row also carries the intervals (``ci95_*`` = ``lower``/``upper``, and 99.8 %),
    polarity and the outcomes against its region and Denmark (``vs_region``, ``vs_country``; see
    :mod:`klyngedata.outcomes`).

    Example
    -------
    Needs indicator counts by age and sex and population data imported into the data directory; not run as a doctest.
    >>> standardised_figures("forebyggelige_indlaeggelser_65", data=my_frame)  # doctest: +SKIP
    """
    from klyngedata import registry
    from klyngedata.standardise import direct_standardise, indirect_standardise

    ind = indicator(indicator_id)
    if ind.kind != "counts":
        raise KlyngedataError(f"{ind.id}: standardisation needs counts by stratum (kind 'counts')")
    strata = list(strata)
    frame = data.copy() if data is not None else load_indicators(data_dir, [ind.id])
    everything = frame[frame["indicator"] == ind.id]
    frame = _select_periods(everything, period)
    if frame.empty:
        raise DataNotAvailable(f"no data for {ind.id}")
    frame = frame[(frame["sex"] != "total") if "sex" in strata else (frame["sex"] == "total")]
    frame = frame[(frame["age_group"] != "total") if "age_group" in strata else (frame["age_group"] == "total")]
    if frame.empty:
        raise DataNotAvailable(f"{ind.id}: no rows broken down by {strata}")
    division = registry.resolve_division(division)
    weights, names, cluster_region, muni_region, not_comp, _split, _notes = _entities(division, data_dir)
    frame = frame.assign(region_code=frame["municipality_code"].map(muni_region))
    parts = []
    for period_label, fp in frame.groupby("period"):
        ent = [fp.assign(entity_level="municipality", entity_id=fp["municipality_code"])]
        cl = fp.merge(weights[["cluster_id", "municipality_code", "weight"]], on="municipality_code")
        cl = cl[~cl["cluster_id"].isin(list(not_comp))]
        cl = cl.assign(numerator=cl["numerator"] * cl["weight"], denominator=cl["denominator"] * cl["weight"])
        ent.append(cl.assign(entity_level="cluster", entity_id=cl["cluster_id"],
                             region_code=cl["cluster_id"].map(cluster_region)))
        ent.append(fp.assign(entity_level="region", entity_id=fp["region_code"]))
        ent.append(fp.assign(entity_level="country", entity_id="DK"))
        long = pd.concat(ent, ignore_index=True)
        long["numerator"] = long["numerator"].astype(float)
        long["denominator"] = long["denominator"].astype(float)
        by = ["entity_level", "entity_id"]
        if method == "indirect":
            res = indirect_standardise(long, fp, strata=strata, by=by)
            res["value"] = res["ratio"]
            strict = indirect_standardise(long, fp, strata=strata, by=by, conf=0.998)
        elif method == "direct":
            std = standard if standard is not None else (
                fp.groupby(strata, as_index=False)["denominator"].sum().rename(
                    columns={"denominator": "population"}))
            res = direct_standardise(long, std, strata=strata, by=by, per=ind.per)
            res["value"] = res["rate"]
            strict = direct_standardise(long, std, strata=strata, by=by, per=ind.per, conf=0.998)
        else:
            raise KlyngedataError(f"unknown method {method!r}; use 'indirect' or 'direct'")
        res["lower998"], res["upper998"] = strict["lower"].to_numpy(), strict["upper"].to_numpy()
        res["period"] = period_label
        parts.append(res)
    res = pd.concat(parts, ignore_index=True)
    res["entity_name"] = [names.get((lv, e), e) for lv, e in zip(res["entity_level"], res["entity_id"],
                                                                  strict=True)]
    res["region_code"] = [muni_region.get(e) if lv == "municipality" else cluster_region.get(e)
                          if lv == "cluster" else (e if lv == "region" else None)
                          for lv, e in zip(res["entity_level"], res["entity_id"], strict=True)]
    res["figure_id"] = ind.id
    res["numerator"] = res["observed"]
    res["denominator"] = res["population"]
    out = _standardised_disclosure(res, frame, _published(everything, division, data_dir, None, threshold),
                                   threshold)
    out["period"] = out["period"].map(parse_period)
    out = out[out["entity_level"] == level].reset_index(drop=True)
    out = out.assign(ci95_low=out["lower"], ci95_high=out["upper"], ci998_low=out["lower998"],
                     ci998_high=out["upper998"]).drop(columns=["lower998", "upper998"])
    d = _catalogue.figure(ind.id)
    what = "indirekte standardiseret ratio (observeret/forventet)" if method == "indirect" else \
        "direkte standardiseret rate"
    spec = FigureStats(polarity=d.polarity or "neutral", ci_method="given",
                       no_trend_da=f"Udviklingen i en {what} testes ikke.")
    out = published_outcomes(out, specs={ind.id: spec})
    out["ci_method"] = "poisson" if method == "indirect" else "gamma"
    out.attrs["disclosure_note_da"] = NOTE_DA
    return out


def _standardised_disclosure(res: pd.DataFrame, strata_rows: pd.DataFrame, published: pd.DataFrame,
                             threshold: int) -> pd.DataFrame:
    """Disclosure control of standardised figures: a row is shown only when every stratum count it is
    computed from – the entity's and Denmark's (the reference rates and the default standard) – is shown in
    the published indicator table (:func:`_published`), so it reveals nothing the table does not; a row
    whose observed count or population is 1-4 is marked ``<5``, any other hidden row ``x``; every numeric
    column of a hidden row is removed."""
    shown = published[~published["suppressed"] & published["numerator"].notna()
                      & published["denominator"].notna()]
    shown_keys = set(zip(shown["entity_level"], shown["entity_id"].astype(str), shown["period"].astype(str),
                         shown["sex"], shown["age_group"], strict=True))
    need = {str(p): sorted(set(zip(g["sex"], g["age_group"], strict=True)))
            for p, g in strata_rows.groupby("period")}

    def visible(level: str, eid: str, period: str) -> bool:
        cells = need.get(str(period), [])
        return bool(cells) and all((lv, e, str(period), s, a) in shown_keys for s, a in cells
                                   for lv, e in ((level, str(eid)), ("country", "DK")))

    out = res.copy()
    ok = np.array([visible(lv, e, p) for lv, e, p in zip(out["entity_level"], out["entity_id"], out["period"],
                                                          strict=True)], dtype=bool)
    with np.errstate(invalid="ignore"):
        small = ((out["observed"].astype(float) > 0) & (out["observed"].astype(float) < threshold)) | (
            (out["population"].astype(float) > 0) & (out["population"].astype(float) < threshold))
    primary = small.to_numpy(dtype=bool)
    hidden = primary | ~ok
    out["suppressed"] = hidden
    out["display"] = pd.Series([
        (f"<{threshold}" if p else "x") if h else format_number_da(v, 2)
        for p, h, v in zip(primary, hidden, out["value"], strict=True)], index=out.index, dtype="string")
    out = mask_suppressed(out)
    return refill_comparisons(out, ("figure_id", "period"))





def expected_counts(
    indicator_id: str,
    cluster: str,
    *,
    period: object = "latest",
    reference: str = "DK",
    strata: Sequence[str] = ("sex", "age_group"),
    division: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    data: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Expected number of events in a cluster given Denmark's age/sex-specific rates (one call).

    E.g. "the expected number of citizens 65+ with a preventable admission in Klynge Syd given Denmark's
    rates": ``expected_counts("forebyggelige_indlaeggelser_65", "nordjylland-syd")``. Returns one row per
    period with ``observed``, ``expected``, ``ratio`` and its 95% CI (disclosure-controlled).

    Example
    -------
    Needs indicator counts by age and sex and population data imported into the data directory; not run as a doctest.
    >>> expected_counts("forebyggelige_indlaeggelser_65", "nordjylland-syd")  # doctest: +SKIP
    """
    from klyngedata import registry

    if reference != "DK":
        raise KlyngedataError("only reference='DK' (Denmark's rates) is supported")
    cid = registry.cluster(cluster, division=division).id
    out = standardised_figures(indicator_id, method="indirect", level="cluster", period=period,
                               division=division, strata=strata, data_dir=data_dir, data=data)
    return out[out["entity_id"] == cid].reset_index(drop=True)
