"""Disclosure control of the RUKS counts (keyfigures layer): everything :func:`klyngedata.ruks.ruks_figures`
can publish from one release, for one figure (measure x disease), checked as one table by the engine
(:func:`klyngedata.disclosure.suppress_published`).

What the engine is told
    The published rows: municipalities, the units of every division, the regions of every division and
    Denmark, every sex x age group x year, each the sum of the *leaves* it covers. The leaves are the file's
    municipality cells and, for each of the file's own region and Denmark rows, the rest of that row outside
    the file's municipalities (Christiansø, persons without a municipality) as a unit of its own, so that a
    reader's subtraction "region minus its other municipalities" is modelled exactly.

Cells the file left blank
    Their true counts are unknown (the publisher suppressed them, most of them because they are 1-4). The
    engine needs full data, so each blank cell gets a value that is consistent with every total the file
    publishes (sexes, age groups, regions, Denmark) and lies in 1-4 wherever the totals allow it (a linear
    program). Such a cell is therefore protected like a known count of 1-4: after control no combination of
    published rows pins it below 5. The values are never published or stored.

Example
-------
Needs the RUKS workbook imported into the data directory; not run as a doctest.
>>> controlled = controlled_counts(load_ruks(), "prevalence", "Type 2-diabetes")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from klyngedata.disclosure import DEFAULT_THRESHOLD, suppress_published
from klyngedata.exceptions import DataFormatError
from klyngedata.lazy import module
from klyngedata.ruks.pooling import pool_counts
from klyngedata.vocabulary import COUNTRY_ID, parse_age

sp = module("scipy.sparse")
optimize = module("scipy.optimize")

__all__ = ["controlled_counts", "leaf_values"]

_REST = "rest:"


def _children(counts: pd.DataFrame) -> dict[str, list[str]]:
    """Leaves directly below each of the file's aggregate rows (their municipalities and the rest)."""
    areas = counts[["area_level", "area_code", "region_code"]].drop_duplicates()
    munis = areas[areas["area_level"] == "municipality"]
    own_regions = sorted(areas.loc[areas["area_level"] == "region", "area_code"])
    out = {r: [*sorted(munis.loc[munis["region_code"] == r, "area_code"]), _REST + r] for r in own_regions}
    if (areas["area_level"] == "country").any():
        out[COUNTRY_ID] = [*sorted(munis["area_code"]), *(_REST + r for r in own_regions), _REST + COUNTRY_ID]
    return out


def leaves_of(area: str, children: dict[str, list[str]]) -> list[str]:
    """The leaves (municipalities, rests) the file row ``area`` is the sum of.

    >>> leaves_of("1081", {"1081": ["0851", "rest:1081"]}), leaves_of("0851", {})
    (['0851', 'rest:1081'], ['0851'])
    """
    return children.get(area, [area])


def _age_parent(labels: Sequence[str]) -> dict[str, bool]:
    """Which age labels are bands of the total (all but the total)."""
    return {a: a != "total" and parse_age(a) is not None for a in labels}


def _impute_year(cells: pd.DataFrame, children: dict[str, list[str]], where: str) -> pd.DataFrame:
    """Values for every leaf cell of one figure and year (see the module docstring)."""
    sexes = sorted(set(cells["sex"]))
    ages = sorted(set(cells["age_group"]))
    leaves = sorted({u for kids in children.values() for u in kids} | set(
        cells.loc[cells["area_level"] == "municipality", "area_code"]))
    entities = [*leaves, *children]
    idx = {(e, s, a): i for i, (e, s, a) in enumerate((e, s, a) for e in entities for s in sexes for a in ages)}
    n = len(idx)
    lo, hi = np.zeros(n), np.full(n, np.inf)
    known = cells[~cells["suppressed"] & cells["value"].notna()]
    for e, s, a, v in zip(known["area_code"], known["sex"], known["age_group"], known["value"], strict=True):
        lo[idx[(e, s, a)]] = hi[idx[(e, s, a)]] = float(v)
    rows, cols, vals = [], [], []

    def equation(plus: int, minus: Sequence[int]) -> None:
        k = len(rows) and rows[-1] + 1
        rows.extend([k] * (1 + len(minus)))
        cols.extend([plus, *minus])
        vals.extend([1.0] + [-1.0] * len(minus))

    bands = [a for a, is_band in _age_parent(ages).items() if is_band]
    for e in entities:
        for a in ages:
            if {"total", "male", "female"} <= set(sexes):
                equation(idx[(e, "total", a)], [idx[(e, "male", a)], idx[(e, "female", a)]])
        for s in sexes:
            if "total" in ages and bands:
                equation(idx[(e, s, "total")], [idx[(e, s, b)] for b in bands])
    for agg, kids in children.items():
        for s in sexes:
            for a in ages:
                equation(idx[(agg, s, a)], [idx[(k, s, a)] for k in kids])
    unknown = [i for (e, s, a), i in idx.items() if not e.startswith(_REST) and e not in children
               and s != "total" and a != "total" and lo[i] != hi[i]]
    p = len(unknown)
    m = (rows[-1] + 1) if rows else 0
    a_eq = sp.csr_matrix((vals, (rows, cols)), shape=(m, n + 2 * p))
    # x - u <= 4 and -x - l <= -1: deviations from 1-4 of the blank cells, minimised
    ub_r = np.repeat(np.arange(2 * p), 2)
    ub_c = np.concatenate([[i, n + j] for j, i in enumerate(unknown)] + [[i, n + p + j] for j, i in enumerate(unknown)]
                          ) if p else np.zeros(0, dtype=int)
    ub_v = np.tile([1.0, -1.0], p).tolist() + np.tile([-1.0, -1.0], p).tolist() if p else []
    a_ub = sp.csr_matrix((ub_v, (ub_r, ub_c)), shape=(2 * p, n + 2 * p))
    b_ub = np.concatenate([np.full(p, 4.0), np.full(p, -1.0)])
    cost = np.zeros(n + 2 * p)
    cost[n:] = 1.0
    rest = [i for (e, _s, _a), i in idx.items() if e.startswith(_REST)]
    cost[rest] = 1e-3  # the rest of a total outside the municipalities: as small as the file allows
    bounds = np.column_stack([np.concatenate([lo, np.zeros(2 * p)]), np.concatenate([hi, np.full(2 * p, np.inf)])])
    res = optimize.linprog(cost, A_ub=a_ub if p else None, b_ub=b_ub if p else None, A_eq=a_eq if m else None,
                           b_eq=np.zeros(m) if m else None, bounds=bounds, method="highs")
    if res.status != 0:
        raise DataFormatError(f"RUKS {where}: the file's figures do not add up (a total is smaller than the sum "
                              "of its parts, or sexes and age groups do not add up to their totals)")
    x = np.round(res.x[:n], 6)
    out = pd.DataFrame([(e, s, a) for (e, s, a) in idx], columns=["unit", "sex", "age_group"])
    out["numerator"] = x
    return out[out["unit"].isin(leaves)]


def leaf_values(counts: pd.DataFrame, figure: str) -> pd.DataFrame:
    """The leaves of one figure's counts (every year): ``figure_id, unit, sex, age_group, period, numerator,
    denominator`` (see the module docstring).

    Example (constructed): one region of two municipalities, 9 and a blank cell; the region says 12.

    >>> c = pd.DataFrame({"area_level": ["region", "municipality", "municipality"],
    ...                   "area_code": ["1081", "0851", "0825"], "region_code": "1081", "sex": "male",
    ...                   "age_group": "total", "year": 2024, "value": [12.0, 9.0, None],
    ...                   "suppressed": [False, False, True]})
    >>> leaf_values(c, "f").set_index("unit")["numerator"].to_dict()
    {'0825': 3.0, '0851': 9.0, 'rest:1081': 0.0}
    """
    children = _children(counts)
    parts = []
    for year, cells in counts.groupby("year", sort=True):
        got = _impute_year(cells, children, f"{figure} {year}")
        parts.append(got.assign(period=str(year)))
    out = pd.concat(parts, ignore_index=True)
    return out.assign(figure_id=figure, denominator=np.nan)[
        ["figure_id", "unit", "sex", "age_group", "period", "numerator", "denominator"]]


def _universe(data: pd.DataFrame, divisions: Sequence[str]) -> pd.DataFrame:
    parts = [pool_counts(data, d).assign(_division=d) for d in divisions]
    out = pd.concat(parts, ignore_index=True)
    # municipalities, the file's own regions and Denmark are the same rows in every division
    return out.drop_duplicates(["entity_level", "entity_id", "measure", "disease", "sex", "age_group", "year"])


def controlled_counts(data: pd.DataFrame, measure: str, disease: str, threshold: int = DEFAULT_THRESHOLD
                      ) -> pd.DataFrame:
    """Every count row of one figure at every level and division, pooled (:func:`pool_counts`) and
    disclosure-controlled as one table. Columns: the pooled columns plus ``_division`` (the division a
    cluster or region row was pooled for), ``hidden`` (hidden by disclosure control), ``display``.

    Example
    -------
    Needs the RUKS workbook imported into the data directory; not run as a doctest.
    >>> controlled_counts(load_ruks(), "prevalence", "Type 2-diabetes")["display"].head(1)  # doctest: +SKIP
    """
    from klyngedata import registry

    rows = data[(data["measure"] == measure) & (data["disease"] == disease) & (data["unit"] == "antal")]
    figure = f"{measure}|{disease}"
    universe = _universe(rows, list(registry.divisions()["division"])).reset_index(drop=True)
    children = _children(rows)
    leaves = leaf_values(rows, figure)
    shown = universe["count"].notna() & ~universe["suppressed"]
    members = [tuple((u, 1.0) for p in parts for u in leaves_of(p, children)) if ok and parts else None
               for parts, ok in zip(universe["parts"], shown, strict=True)]
    table = pd.DataFrame({
        "entity_level": universe["entity_level"].astype(str), "entity_id": universe["entity_id"].astype(str),
        "figure_id": figure, "period": universe["year"].astype(str), "sex": universe["sex"].astype(str),
        "age_group": universe["age_group"].astype(str),
        "numerator": universe["count"].astype("Float64").where(shown).astype(float), "denominator": np.nan,
        "value": universe["count"].astype("Float64").where(shown).astype(float), "members": members,
    })
    out = suppress_published(table, bounded=lambda _f: False, threshold=threshold, leaves=leaves)
    result = universe.drop(columns=["parts"]).copy()
    result["hidden"] = out["suppressed"].to_numpy(dtype=bool)
    result["display"] = out["display"].to_numpy()
    result.loc[result["hidden"], "count"] = pd.NA
    result.attrs = {}
    return result
