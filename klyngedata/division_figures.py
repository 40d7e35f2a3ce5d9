"""Population key figures of every unit of a division side by side (for spine charts and the overview).

:func:`division_key_figures` computes the key figures of every cluster (or council) of a division, its
regions and Denmark from one loaded population frame, the same way :func:`klyngedata.keyfigures.key_figures`
does for one cluster (cluster rows from the population layer, which allocates split municipalities with unit
data where they exist; regions and Denmark summed from the municipalities), with the region of each unit in
its division and Denmark as benchmarks and the interval/outcome/trend columns. Units whose figures cannot be
computed (e.g. a cluster with a municipality split by bydel without population per bydel) are listed with
the Danish reason in ``attrs["missing"]`` – never estimated. Projections are left out (they are in each
unit's own report).

Example
-------
Needs population data imported into the data directory; not run as a doctest.
>>> division_key_figures("sundhedsklynger-2022", data_dir="/tmp/kd")["entity_id"].nunique()  # doctest: +SKIP
20
"""

from __future__ import annotations

import os
from types import SimpleNamespace

import numpy as np
import pandas as pd

from klyngedata.exceptions import DataNotAvailable
from klyngedata.vocabulary.codes import COUNTRY_ID, COUNTRY_NAME
from klyngedata.weights import unit_weights

__all__ = ["division_key_figures"]


def division_key_figures(division: str | None = None, period: object = "latest",
                         data_dir: str | os.PathLike[str] | None = None, *,
                         population: pd.DataFrame | None = None) -> pd.DataFrame:
    """The key figures of every unit of ``division`` (rows of level ``cluster``, key-figure schema).

    ``attrs``: ``missing`` (figures that could not be computed, with Danish reasons), ``division``,
    ``period``, ``provenance`` and, where the data lack Christiansø, ``benchmark_note_da`` (Denmark and
    Region Hovedstaden are then the sums of their municipalities, said so).

    Example: see the module docstring.
    """
    from klyngedata import catalogue, registry
    from klyngedata.keyfigures import compute, frame, pooling
    from klyngedata.outcomes import published_outcomes

    division = registry.resolve_division(division)
    if population is None:
        population = pooling._load_frame("observed", division, data_dir)
    norm = frame.normalize_population_frame(population)
    units = registry.clusters(division=division)
    mem = registry.membership(division)
    parts: list[pd.DataFrame] = []
    missing: list[dict] = []
    for u in units.itertuples(index=False):
        m = mem[mem["cluster_id"] == u.cluster_id]
        weights = unit_weights(u.cluster_id).weights
        rows, how = pooling._entity_rows(norm, "cluster", u.cluster_id, u.name, weights)
        reason = ""
        if how == "given" and not rows.empty:
            rows, reason = pooling._drop_unallocated(norm, SimpleNamespace(members=m), rows)
        if rows.empty:
            missing += compute._miss(("cluster", u.cluster_id, u.name), catalogue.POPULATION_FIGURES,
                                reason or "kommunerne mangler i data, eller en delt kommune kan ikke fordeles")
        parts.append(rows)
    without: list[str] = []  # benchmarks summed without Christiansø (named so; pooling._benchmark_rows)
    for level, code, name in [*(("region", c, pooling._region_name(c))
                                for c in sorted({c for c in units["region_code"].dropna()})),
                              ("country", COUNTRY_ID, COUNTRY_NAME)]:
        rows, how = pooling._benchmark_rows(norm, level, code, name)
        parts.append(rows)
        if how == pooling.SUMMED_WITHOUT_CHRISTIANSOE:
            without.append(str(rows["entity_name"].iloc[0]))
    parts = [p for p in parts if not p.empty]
    if not parts:
        raise DataNotAvailable(f"no population data for the units of {division}")
    ent = pd.concat(parts, ignore_index=True)
    figs = compute.compute_figures(ent, period)
    missing += [m for m in figs.attrs.get("missing", []) if m.get("entity_level") == "cluster"]
    p_label = figs.attrs.get("period")
    by = figs.set_index(["entity_level", "entity_id", "figure_id"])["value"]
    region_of = dict(zip(units["cluster_id"], units["region_code"], strict=True))
    regions = [region_of.get(e) if lv == "cluster" else (e if lv == "region" else None)
               for lv, e in zip(figs["entity_level"], figs["entity_id"], strict=True)]
    figs["region_value"] = [by.get(("region", r, f), np.nan) if r else np.nan
                            for r, f in zip(regions, figs["figure_id"], strict=True)]
    figs["country_value"] = [by.get(("country", COUNTRY_ID, f), np.nan) for f in figs["figure_id"]]
    figs["region_value"] = figs["region_value"].astype("float64")
    figs["country_value"] = figs["country_value"].astype("float64")
    figs["rank"] = pd.array([pd.NA] * len(figs), dtype="Int64")
    figs["suppressed"] = False  # public population counts
    figs["display"] = [pooling.format_value(v, catalogue.figure(f).decimals, u,
                                            signed=f.startswith(("growth_", "proj_")))
                       for v, f, u in zip(figs["value"], figs["figure_id"], figs["unit"], strict=True)]
    prov = frame._provenance_list(population.attrs.get("provenance"))
    figs["provenance"] = frame._provenance_text(prov, "brugerleveret befolkningstabel (uden kildeangivelse)")
    figs = published_outcomes(figs, series=pooling._trend_series(ent, figs, p_label))
    out = figs[figs["entity_level"] == "cluster"][pooling._FINAL_COLUMNS].reset_index(drop=True)
    out.attrs.update(missing=missing, division=division, period=p_label, provenance=prov)
    if without:
        out.attrs["benchmark_note_da"] = pooling.without_christiansoe_da(without)
    return out
