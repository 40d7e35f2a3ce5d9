"""Population key figures for every entity of a normalised frame (one profile per entity and period),
the missing-figure list, growth and projection figures."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from klyngedata import catalogue
from klyngedata.exceptions import DataFormatError, DataNotAvailable, KlyngedataError
from klyngedata.keyfigures.frame import (
    _BANDS,
    _OUT_COLUMNS,
    normalize_population_frame,
)
from klyngedata.keyfigures.profiles import Segments, _profile
from klyngedata.stats.ages import age_range_sum, median_age, old_age_dependency_ratio
from klyngedata.vocabulary import parse_period, period_code, periods_per_year

# --------------------------------------------------------------------------------------------------
# per entity/period profiles
# --------------------------------------------------------------------------------------------------

# --------------------------------------------------------------------------------------------------
# figures for every entity in a frame
# --------------------------------------------------------------------------------------------------

def _resolve_period(norm: pd.DataFrame, period: object, what: str = "population") -> pd.Period:
    if norm.empty:
        raise DataNotAvailable(f"the {what} frame is empty")
    return _resolve_period_in(pd.unique(norm["period"]), period, what)


def _resolve_period_in(uniq: Any, period: object, what: str = "population") -> pd.Period:
    """The period ``period`` names ("latest": the newest) among the distinct periods ``uniq`` of a frame."""
    freqs = sorted({p.freqstr for p in uniq})
    if period is None or (isinstance(period, str) and period.strip().lower() == "latest"):
        if len(freqs) > 1:
            raise DataFormatError(
                f"the {what} frame mixes period frequencies {freqs}; pass an explicit period (e.g. '2024K1')"
            )
        return max(uniq)
    p = parse_period(period)
    if p not in set(uniq):
        have = sorted(q for q in uniq if q.freqstr == p.freqstr)
        span = f"{period_code(have[0])}-{period_code(have[-1])}" if have else f"none with frequency {p.freqstr}"
        raise DataNotAvailable(f"period {period_code(p)} is not in the {what} data (available: {span})")
    return p


def _row(entity: tuple[str, str, str], fid: str, value: float, period: pd.Period,
         base: pd.Period | None = None, note: str = "", numerator: float | None = None,
         denominator: float | None = None) -> dict[str, Any]:
    d = catalogue.figure(fid)
    return {
        "entity_level": entity[0], "entity_id": entity[1], "entity_name": entity[2], "figure_id": fid,
        "label_da": d.label_da, "value": float(value), "unit": d.unit, "period": period_code(period),
        "base_period": period_code(base) if base is not None else pd.NA, "note_da": note,
        "numerator": np.nan if numerator is None else float(numerator),
        "denominator": np.nan if denominator is None else float(denominator),
    }


def _miss(entity: tuple[str, str, str], fids: Iterable[str], reason: str) -> list[dict[str, str]]:
    return [{"entity_level": entity[0], "entity_id": entity[1], "figure_id": f, "reason_da": reason}
            for f in fids]


def compute_figures(population: pd.DataFrame, period: object = "latest",
                    projection: pd.DataFrame | None = None, *, projection_base: object = None,
                    entities: Iterable[str] | None = None) -> pd.DataFrame:
    """All population key figures for every entity in a tidy population frame (no comparisons).

    Returns the long table ``entity_level, entity_id, entity_name, figure_id, label_da, value, unit, period,
    base_period, note_da, numerator, denominator`` (the counts a figure is built from, e.g. ``share_65_plus =
    numerator / denominator x 100``; NaN where not applicable); ``attrs["missing"]`` lists the figures that could
    not be computed (with a Danish reason): figures are never guessed or extrapolated. ``projection`` is a tidy
    frame of the same schema with yearly periods; ``projection_base`` is its base year (default: its first year).

    Age figures need every age from 0 to an open top group (or to at least 100): the ages a frame has are never
    taken for all of them.

    Example (constructed, arithmetic by hand): 6 aged 0-64, 3 aged 65+ -> 65+ share 3/9 = 33.3 %

    >>> CONSTRUCTED = pd.DataFrame({"level": "region", "entity_id": "1081", "period": "2024K1",
    ...                             "age_group": ["0-64", "65+"], "population": [6, 3]})
    >>> round(float(compute_figures(CONSTRUCTED).set_index("figure_id").loc["share_65_plus", "value"]), 1)
    33.3
    """
    norm = population if _is_normalized(population) else normalize_population_frame(population)
    if entities is not None:
        keep = set(entities)
        norm = norm[norm["entity_id"].isin(keep)]
    p = _resolve_period(norm, period)
    ppy = periods_per_year(p)
    proj = None
    if projection is not None:
        proj = projection if _is_normalized(projection) else normalize_population_frame(
            projection, name="projection frame")
    rows: list[dict] = []
    missing: list[dict] = []
    seg = Segments(norm)
    pseg = Segments(proj) if proj is not None else None
    for key in seg.keys:
        level, eid = key
        name = seg.name(key)
        entity = (level, eid, str(name) if name is not None else eid)
        if not seg.has(key, p):
            missing += _miss(entity, catalogue.POPULATION_FIGURES,
                             f"ingen befolkningstal for {period_code(p)}")
            continue
        prof = seg.profile(key, p)
        if prof.total is None:
            missing += _miss(entity, catalogue.POPULATION_FIGURES, prof.reason_total or prof.reason_age)
            continue
        rows.append(_row(entity, "population", prof.total, p, numerator=prof.total))
        # growth
        have = seg.periods(key)
        first = min(q for q in have if q.freqstr == p.freqstr)
        for years in (1, 5, 10):
            base = p - years * ppy
            fids = (f"growth_{years}y", f"growth_{years}y_pct")
            if base not in have:
                missing += _miss(entity, fids,
                                 f"{years}-års udvikling kræver data for {period_code(base)}; data går kun "
                                 f"tilbage til {period_code(first)}")
                continue
            bprof = seg.profile(key, base)
            if bprof.total is None:
                missing += _miss(entity, fids, f"ingen befolkningstal i alt for {period_code(base)}"
                                 + (f": {bprof.reason_total}" if bprof.reason_total else ""))
                continue
            change = prof.total - bprof.total
            note = f"{period_code(base)}-{period_code(p)}"
            rows.append(_row(entity, fids[0], change, p, base, note))
            if bprof.total > 0:
                rows.append(_row(entity, fids[1], 100.0 * change / bprof.total, p, base, note))
        # age structure
        age_fids = ("share_0_17", "share_18_64", "share_65_plus", "share_80_plus", "pop_65_plus",
                    "pop_80_plus", "old_age_dependency", "median_age")
        if not prof.bands:
            missing += _miss(entity, age_fids, prof.reason_age)
        else:
            denom = sum(b[2] for b in prof.bands)
            for fid, (lo, hi) in _BANDS.items():
                s = age_range_sum(prof.bands, lo, hi)
                if s is None or denom <= 0:
                    missing += _miss(entity, [fid], f"aldersgrupperne i data kan ikke deles ved {lo} år")
                else:
                    rows.append(_row(entity, fid, 100.0 * s / denom, p, numerator=s, denominator=denom))
            for fid, lo in (("pop_65_plus", 65), ("pop_80_plus", 80)):
                s = age_range_sum(prof.bands, lo, None)
                if s is None:
                    missing += _miss(entity, [fid], f"aldersgrupperne i data kan ikke deles ved {lo} år")
                else:
                    rows.append(_row(entity, fid, s, p, numerator=s))
            r = old_age_dependency_ratio(prof.bands)
            old, working = age_range_sum(prof.bands, 65, None), age_range_sum(prof.bands, 18, 64)
            if r is None:
                missing += _miss(entity, ["old_age_dependency"],
                                 "aldersgrupperne i data kan ikke deles ved 18 og 65 år")
            else:
                rows.append(_row(entity, "old_age_dependency", r, p, numerator=old, denominator=working))
            med = median_age(prof.bands)
            if med is None:
                missing += _miss(entity, ["median_age"], "medianen ligger i en åben eller bredere end femårig "
                                                         "aldersgruppe (kræver etårige aldre eller femårsgrupper)")
            else:
                rows.append(_row(entity, "median_age", med, p))
        # projections
        proj_fids = [f"proj_{g_}_change_{y}y{s}" for g_ in ("65_plus", "80_plus") for y in (5, 10)
                     for s in ("", "_pct")]
        if pseg is None:
            missing += _miss(entity, proj_fids, "ingen befolkningsfremskrivning i data")
            continue
        rows_, miss_ = _projection_rows(entity, pseg, key, projection_base)
        rows += rows_
        missing += miss_
    out = pd.DataFrame(rows, columns=_OUT_COLUMNS)
    out["value"] = out["value"].astype("float64")
    out["numerator"] = out["numerator"].astype("float64")
    out["denominator"] = out["denominator"].astype("float64")
    out.attrs["missing"] = missing
    out.attrs["period"] = period_code(p)
    return out


def _projection_rows(entity: tuple[str, str, str], seg: Segments, key: tuple[str, str],
                     base_year: object) -> tuple[list[dict], list[dict]]:
    rows: list[dict] = []
    missing: list[dict] = []
    all_fids = [f"proj_{g_}_change_{y}y{s}" for g_ in ("65_plus", "80_plus") for y in (5, 10)
                for s in ("", "_pct")]
    if not seg.periods(key):
        return rows, _miss(entity, all_fids, "enheden findes ikke i befolkningsfremskrivningen")
    years = sorted(seg.periods(key))
    if any(q.freqstr[0] not in ("Y", "A") for q in years):
        return rows, _miss(entity, all_fids, "befolkningsfremskrivningen skal have årlige perioder")
    base = years[0] if base_year is None else parse_period(int(parse_period(base_year).year))
    if base not in set(years):
        return rows, _miss(entity, all_fids, f"basisåret {period_code(base)} er ikke i fremskrivningen")
    bprof = seg.profile(key, base)
    for label_, gid, lo in (("65+", "65_plus", 65), ("80+", "80_plus", 80)):
        b = age_range_sum(bprof.bands, lo, None) if bprof.bands else None
        for y in (5, 10):
            fids = (f"proj_{gid}_change_{y}y", f"proj_{gid}_change_{y}y_pct")
            target = base + y
            if b is None:
                missing += _miss(entity, fids, f"fremskrivningen har ingen aldersfordeling for {label_}")
                continue
            if target not in set(years):
                missing += _miss(entity, fids, f"fremskrivningen rækker ikke til {period_code(target)} "
                                               f"(sidste år {period_code(years[-1])})")
                continue
            tprof = seg.profile(key, target)
            t = age_range_sum(tprof.bands, lo, None) if tprof.bands else None
            if t is None:
                missing += _miss(entity, fids, f"fremskrivningen har ingen aldersfordeling for {label_} i "
                                               f"{period_code(target)}")
                continue
            note = f"fremskrivning {period_code(base)}-{period_code(target)}"
            rows.append(_row(entity, fids[0], t - b, target, base, note))
            if b > 0:
                rows.append(_row(entity, fids[1], 100.0 * (t - b) / b, target, base, note))
    return rows, missing


def _is_normalized(df: pd.DataFrame) -> bool:
    return isinstance(df, pd.DataFrame) and {"age_lo", "age_hi", "age_total"} <= set(df.columns)


def missing_figures(table: pd.DataFrame) -> pd.DataFrame:
    """The figures left out of a key-figure table, with the reason (Danish), as a DataFrame.

    Example
    -------
    >>> CONSTRUCTED = pd.DataFrame({"level": "country", "entity_id": "DK", "period": "2024",
    ...                             "population": [100]})
    >>> missing_figures(compute_figures(CONSTRUCTED)).query("figure_id == 'median_age'")["reason_da"].iloc[0]
    'data har kun befolkningstal i alt (ingen aldersfordeling)'
    """
    return pd.DataFrame(table.attrs.get("missing", []),
                        columns=["entity_level", "entity_id", "figure_id", "reason_da"])


def growth(population: pd.DataFrame, years: int | None = None, *, from_period: object = None,
           period: object = "latest", entity_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """Population change per entity between two periods of a tidy frame.

    Either ``years`` (1, 5, 10 …: the same month/quarter that many years before ``period``) or an
    explicit ``from_period``. Returns ``level, entity_id, entity_name, from_period, to_period,
    population_from, population_to, change, change_pct``. Raises :class:`DataNotAvailable` when a period is
    not in the data (never extrapolates).

    Example (constructed)
    ---------------------
    >>> CONSTRUCTED = pd.DataFrame({"level": "municipality", "entity_id": "0825",
    ...     "period": ["2023M01", "2024M01"], "population": [1800, 1782]})
    >>> growth(CONSTRUCTED, 1)[["change", "change_pct"]].round(2).values.tolist()
    [[-18.0, -1.0]]
    """
    norm = population if _is_normalized(population) else normalize_population_frame(population)
    if entity_ids is not None:
        norm = norm[norm["entity_id"].isin({str(e) for e in entity_ids})]
    to_p = _resolve_period(norm, period)
    if from_period is None:
        if years is None:
            raise KlyngedataError("growth(): give years or from_period")
        from_p = to_p - years * periods_per_year(to_p)
    else:
        from_p = parse_period(from_period)
    out = []
    for (level, eid), g in norm.groupby(["level", "entity_id"], sort=False):
        a, b = _profile(g[g["period"] == from_p]), _profile(g[g["period"] == to_p])
        if a.total is None or b.total is None:
            first = period_code(min(g["period"]))
            raise DataNotAvailable(
                f"growth {period_code(from_p)}-{period_code(to_p)} for {level} {eid}: no population for "
                f"{period_code(from_p if a.total is None else to_p)} (data start {first}); never extrapolated"
            )
        names = g["entity_name"].dropna()
        out.append({"level": level, "entity_id": eid, "entity_name": names.iloc[0] if len(names) else eid,
                    "from_period": period_code(from_p), "to_period": period_code(to_p),
                    "population_from": a.total, "population_to": b.total, "change": b.total - a.total,
                    "change_pct": 100.0 * (b.total - a.total) / a.total if a.total else np.nan})
    return pd.DataFrame(out)
