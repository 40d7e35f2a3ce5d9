"""The key figures of many units of one division at once: the same tables as :func:`key_figures` per unit,
with what the units share computed once.

:func:`key_figures` builds, for one unit, the rows of the unit, its municipalities, its region and Denmark, and
computes every entity's figures in the report period and in up to four earlier years (the trend). For all the
units of a division most of that is the same work again: the region of five clusters, Denmark for every unit.
:func:`key_figures_many` builds each entity's rows once, computes every entity's figures once per period, and
then puts each unit's table together exactly as :func:`key_figures` does (same rows, order, dtypes, ``attrs``;
``tests/test_keyfigures_many.py`` compares them for every unit of both divisions). A figure of an entity
depends only on that entity's own rows, so nothing changes by computing it for many entities in one pass.

Example
-------
Needs population data (a tidy population frame); not run as a doctest.
>>> tables = key_figures_many(["nordjylland-nord", "nordjylland-syd"], population=frame)  # doctest: +SKIP
>>> tables["nordjylland-nord"].equals(key_figures("nordjylland-nord", population=frame))  # doctest: +SKIP
True
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from klyngedata.exceptions import DataNotAvailable
from klyngedata.keyfigures.compute import _resolve_period_in, compute_figures
from klyngedata.keyfigures.frame import _provenance_list, normalize_population_frame
from klyngedata.keyfigures.pooling import _cached_projection, _entity_parts, _load_frame, trend_periods
from klyngedata.keyfigures.unit import _finish, key_figures
from klyngedata.vocabulary import period_code

__all__ = ["key_figures_many"]

_Key = tuple[str, str]


class _Figures:
    """Every entity's figures in one period (one :func:`compute_figures` call), cut per entity."""

    def __init__(self, figs: pd.DataFrame) -> None:
        missing = figs.attrs.get("missing", [])
        figs.attrs = {}  # (else deep-copied into every cut)
        self.figs = figs
        keys = list(zip(figs["entity_level"], figs["entity_id"], strict=True))
        self.rows: dict[_Key, list[int]] = {}
        for i, k in enumerate(keys):
            self.rows.setdefault(k, []).append(i)
        self.missing: dict[_Key, list[dict]] = {}
        for m in missing:
            self.missing.setdefault((m["entity_level"], m["entity_id"]), []).append(m)

    def of(self, keys: list[_Key]) -> tuple[pd.DataFrame, list[dict]]:
        """The rows and missing figures of ``keys``, in that order (as one call on their rows gives them)."""
        idx = [i for k in keys for i in self.rows.get(k, ())]
        out = self.figs.take(np.asarray(idx, dtype=np.intp)).reset_index(drop=True)
        out.attrs = {}
        return out, [m for k in keys for m in self.missing.get(k, ())]


def key_figures_many(units: Iterable[Any], period: object = "latest", division: str | None = None,
                     data_dir: object = None, population: pd.DataFrame | None = None,
                     projection: pd.DataFrame | None = None, *, projection_base: object = None,
                     errors: dict[str, Exception] | None = None) -> dict[str, pd.DataFrame]:
    """:func:`~klyngedata.keyfigures.key_figures` of every unit in ``units`` (ids or names of one division):
    ``{unit id: table}``, each table equal to the single call's.

    Arguments as for :func:`key_figures`; the population (and a cached projection) are loaded once when not
    given. A unit whose figures cannot be computed is left out, and the exception :func:`key_figures` would
    raise is put in ``errors`` (if given) under the unit as passed; without ``errors`` it is raised.

    Example: see the module docstring.
    """
    from klyngedata import registry

    clusters = []
    for u in units:
        try:
            clusters.append((u, registry.cluster(u, division=division)))
        except Exception as exc:
            if errors is None:
                raise
            errors[str(u)] = exc
    if not clusters:
        return {}
    div = clusters[0][1].division
    if population is None:
        population = _load_frame("observed", div, data_dir)
        if projection is None and _cached_projection(data_dir):  # never fetched implicitly, as key_figures
            try:
                projection = _load_frame("projection", div, data_dir)
            except DataNotAvailable:
                projection = None
    norm = normalize_population_frame(population)
    norm.attrs = {}  # (pandas deep-copies attrs into every intermediate frame)
    obs_prov = _provenance_list(population.attrs.get("provenance"))
    pnorm, proj_prov = None, []
    if projection is not None:
        pnorm = normalize_population_frame(projection, name="projection frame")
        pnorm.attrs = {}
        proj_prov = _provenance_list(projection.attrs.get("provenance"))

    memo: dict = {}
    pmemo: dict = {}
    rows: dict[_Key, pd.DataFrame] = {}
    prows: dict[_Key, pd.DataFrame] = {}
    plans = []
    for given, cl in clusters:
        missing: list[dict] = []
        try:
            parts, how = _entity_parts(norm, cl, missing, memo)
            pparts = _entity_parts(pnorm, cl, [], pmemo)[0] if pnorm is not None else []
        except Exception as exc:
            if errors is None:
                raise
            errors[str(given)] = exc
            continue
        keys = [k for k, _ in parts]
        if len(set(keys)) < len(keys) or cl.division != div:  # not the shape computed here: the single call
            plans.append((given, cl, None, None, None))
            continue
        for k, p in parts:
            rows.setdefault(k, p)
        for k, p in pparts:
            prows.setdefault(k, p)
        plans.append((given, cl, keys, missing, how))

    ent = pd.concat(list(rows.values()), ignore_index=True) if rows else norm.iloc[0:0]
    proj_ent = pd.concat(list(prows.values()), ignore_index=True) if prows else None
    if proj_ent is None and pnorm is not None:
        proj_ent = pnorm.iloc[0:0]
    periods_of = {k: set(p["period"].unique()) for k, p in rows.items()}
    computed: dict[object, _Figures] = {}

    def figures_in(p: pd.Period, with_projection: bool) -> _Figures:
        key = (p, with_projection)
        if key not in computed:
            computed[key] = _Figures(compute_figures(ent, p, proj_ent if with_projection else None,
                                                     projection_base=projection_base) if with_projection
                                     else compute_figures(ent, p))
        return computed[key]

    out: dict[str, pd.DataFrame] = {}
    for given, cl, keys, missing, how in plans:
        try:
            if keys is None:
                out[cl.id] = key_figures(cl.id, period, cl.division, data_dir, population, projection,
                                         projection_base=projection_base)
                continue
            if not keys:
                raise DataNotAvailable(
                    f"no population data for cluster {cl.id}, its municipalities, region or Denmark")
            have = set().union(*(periods_of[k] for k in keys))
            p = _resolve_period_in(np.array(list(have), dtype=object), period)
            figs, more = figures_in(p, proj_ent is not None).of(keys)
            p_label = period_code(p)
            trend = None
            if not figs.empty:
                trend = [figures_in(q, False).of(keys)[0] for q in trend_periods(p_label, have)]
            out[cl.id] = _finish(cl, figs, trend, missing + more, how, p_label, obs_prov, proj_prov)
        except Exception as exc:
            if errors is None:
                raise
            errors[str(given)] = exc
    return out
