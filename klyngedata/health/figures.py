"""The published fetched health indicators (:func:`health_figures`, keyfigures layer): pooled
(:mod:`klyngedata.health.pooling`), disclosure-controlled as one table, with intervals, outcomes against the
region and Denmark, trends and the data year of every row.

Disclosure control
    Every count of persons the figures publish (deaths, births, GP and psychologist contacts, hospital patients,
    home nursing, home help, care-home residents, training) goes through
    :func:`klyngedata.disclosure.suppress_published` with everything these figures can publish at once: every
    period, every level, the units and regions of every division. Figures with one numerator (deaths and the
    death rate; births and the birth rate) are one disclosure figure, so they are shown or hidden together.
    The complements of bounded shares (persons without a GP contact …) are protected with the population as the
    denominator. What earlier releases from the same data directory showed counts as published, and what this
    one shows is recorded (:mod:`klyngedata.publication_ledger`), so that a refetched table with a new small count
    cannot be combined with last week's figures. The population itself, the projection and life expectancy are
    public statistics, not counts of persons with a health event, and are not suppressed.

Schema
    The columns of :func:`klyngedata.indicators.indicator_figures` (``entity_level`` … ``trend_note_da``), plus
    ``reason_da`` (why a value is missing, in Danish), ``table`` (the StatBank table), ``fetched_at`` (when it was
    fetched) and ``data_year_da`` (the data year as a reader reads it: "2024", "2020–2024", "2035 (fremskrevet)").
    ``attrs["data_age"]``: the records of :func:`klyngedata.health.data_age.data_age`.

Example
-------
Needs the health tables fetched into a data directory; not run as a doctest.
>>> health_figures("sundhedsraad-vendsyssel", data_dir="/tmp/kd")  # doctest: +SKIP
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
from collections.abc import Iterable

import numpy as np
import pandas as pd

from klyngedata import publication_ledger as ledger_mod
from klyngedata.cache import Cache
from klyngedata.disclosure import (
    DEFAULT_THRESHOLD,
    NOTE_DA,
    format_number_da,
    mask_suppressed,
    refill_comparisons,
    suppress_published,
)
from klyngedata.exceptions import DataNotAvailable, KlyngedataError
from klyngedata.health.data_age import data_age
from klyngedata.health.pooling import load_tables, municipality_rows, pooled
from klyngedata.health_defs import HEALTH_FIGURES, health_figure
from klyngedata.outcomes import PUBLISHED_COLUMNS, published_outcomes
from klyngedata.vocabulary import parse_level, parse_period, period_start_year, period_text_da

__all__ = ["HEALTH_COLUMNS", "health_figures", "health_universe"]

HEALTH_COLUMNS = ["entity_level", "entity_id", "entity_name", "figure_id", "label_da", "value", "unit", "period",
                  "region_value", "country_value", "suppressed", "display", "provenance", "numerator", "denominator",
                  "method_da", "sex", "age_group", "verified", "region_code", *PUBLISHED_COLUMNS, "reason_da", "table",
                  "fetched_at", "data_year_da"]
_SLICES = ["figure_id", "period", "sex", "age_group", "_division"]
_UNIVERSES: collections.OrderedDict[str, pd.DataFrame] = collections.OrderedDict()
_HIDDEN_DA = "Tallet er skjult, så et tal under 5 ikke kan regnes ud af de viste tal."


def _key(data_dir, threshold: int) -> str:
    """What the published universe depends on: the health, population and unit-population cache entries."""
    cache = Cache(data_dir)
    metas = {k: (cache.meta(k) or {}).get("data_sha256") or cache.meta(k) for k in cache.keys()
             if k.startswith(("health/", "population"))}
    return hashlib.sha256(json.dumps([str(cache.root), metas, threshold], sort_keys=True,
                                     default=str).encode()).hexdigest()


def _control(table: pd.DataFrame, threshold: int, data_dir=None, *, ledger: bool = False) -> pd.DataFrame:
    """Disclosure control of the count-based rows (see the module docstring); other rows are shown as they are.
    ``ledger``: what earlier releases from this data directory showed counts as published, and what this one
    shows is recorded (:mod:`klyngedata.publication_ledger`)."""
    defs = table["figure_id"].map(HEALTH_FIGURES)
    counted = defs.map(lambda f: f.kind in ("ratio", "count")).to_numpy(dtype=bool)
    table = table.assign(decimals=defs.map(lambda f: f.decimals), suppressed=False, display="")
    part = table[counted].reset_index(drop=True)
    if len(part):
        shown = part["value"].notna() & part["members"].notna()
        bounded = part["figure_id"].map(lambda f: HEALTH_FIGURES[f].bounded).to_numpy(dtype=bool)
        engine = pd.DataFrame({
            "entity_level": part["entity_level"], "entity_id": part["entity_id"],
            "figure_id": part["figure_id"].map(lambda f: HEALTH_FIGURES[f].disclosure_group),
            "period": part["period"], "sex": part["sex"], "age_group": part["age_group"],
            "numerator": part["numerator"].where(shown), "denominator": part["denominator"].where(shown & bounded),
            "value": part["value"], "members": part["members"].where(shown, None), "decimals": part["decimals"],
            "_division": part["_division"]})
        groups = {HEALTH_FIGURES[f].disclosure_group: HEALTH_FIGURES[f].bounded for f in part["figure_id"].unique()}
        part["display"] = ""
        for rows in engine.groupby("figure_id", sort=False).indices.values():  # independent figures: one
            group = engine.iloc[rows]  # smaller linear program each
            before = ledger_mod.published_before(group, data_dir) if ledger else None
            out = suppress_published(group, bounded=groups, threshold=threshold, decimals="decimals",
                                     published_before=before)
            if ledger:
                ledger_mod.record_published(out, data_dir)
            part.loc[rows, "suppressed"] = out["suppressed"].to_numpy(dtype=bool)
            part.loc[rows, "display"] = out["display"].astype(str).to_numpy()
        part = mask_suppressed(part)
    rest = table[~counted].reset_index(drop=True)
    rest["display"] = [format_number_da(v, d) for v, d in zip(rest["value"], rest["decimals"], strict=True)]
    out = pd.concat([part, rest], ignore_index=True)
    out.loc[out["suppressed"] & (out["reason_da"] == ""), "reason_da"] = _HIDDEN_DA
    out.loc[~out["suppressed"] & out["value"].isna(), "display"] = "–"
    out = refill_comparisons(out.drop(columns=["region_value", "country_value"], errors="ignore"), _SLICES)
    return out


def health_universe(data_dir: str | os.PathLike[str] | None = None, threshold: int = DEFAULT_THRESHOLD
                    ) -> pd.DataFrame:
    """Every row the fetched health figures can publish – all periods, levels, and the units and regions of every
    division (column ``_division``) – pooled and disclosure-controlled as one table; kept in memory while the cache
    is unchanged. Raises :class:`DataNotAvailable` when no health table is cached.

    Example
    -------
    Needs the health tables fetched into a data directory; not run as a doctest.
    >>> health_universe("/tmp/kd")["_division"].unique()  # doctest: +SKIP
    """
    from klyngedata import registry

    key = _key(data_dir, threshold)
    if key not in _UNIVERSES:
        data = load_tables(data_dir)
        if not data.tables and data.projection.empty:
            raise DataNotAvailable("No health table from Statistics Denmark is cached: get them with `klyngedata "
                                   "data fetch` (or import StatBank CSV exports with `klyngedata data import FILE`).")
        parts, failed = [], {}
        munis = {f.id: municipality_rows(f, data) for f in HEALTH_FIGURES.values()}  # the same in every division
        for division in registry.divisions()["division"]:
            try:
                parts.append(pooled(list(HEALTH_FIGURES), division, data, data_dir, municipalities=munis)
                             .assign(_division=division))
            except KlyngedataError as exc:  # a division that cannot be computed publishes nothing
                failed[division] = str(exc)
        table = _control(pd.concat(parts, ignore_index=True), threshold, data_dir, ledger=True)
        table.attrs = {"failed": failed, "provenance": data.provenance}
        _UNIVERSES[key] = table
        while len(_UNIVERSES) > 4:
            _UNIVERSES.popitem(last=False)
    _UNIVERSES.move_to_end(key)
    return _UNIVERSES[key]


def _periods(rows: pd.DataFrame, period: object) -> pd.Series:
    """Which rows are of the selected period(s): ``"latest"`` (each figure's newest), ``"all"`` or codes."""
    if period in (None, "all"):
        return pd.Series(True, index=rows.index)
    if period == "latest":
        newest = rows.groupby("figure_id")["period"].transform(lambda s: max(s, key=period_start_year))
        return rows["period"] == newest
    wanted = [period] if isinstance(period, (str, int, pd.Period)) else list(period)  # type: ignore[arg-type]
    from klyngedata.vocabulary import period_code

    codes = {period_code(parse_period(p)) for p in wanted}
    return rows["period"].isin(codes)


def _data_year_da(figure_id: str, period: str) -> str:
    if HEALTH_FIGURES[figure_id].kind == "projection":
        return f"{period} (fremskrevet)"
    return period_text_da(parse_period(period))


def _select_level(rows: pd.DataFrame, level: str, cluster: str | None, division: str) -> pd.Series:
    from klyngedata import registry

    sel = rows["entity_level"] == level
    if cluster is not None and level == "cluster":
        sel &= rows["entity_id"] == registry.cluster(cluster, division=division).id
    elif cluster is not None and level == "municipality":
        sel &= rows["entity_id"].isin(registry.cluster(cluster, division=division).municipality_codes)
    return sel


def health_figures(cluster: str | None = None, level: str = "cluster", figures: Iterable[str] | None = None,
                   period: object = "latest", division: str | None = None,
                   data_dir: str | os.PathLike[str] | None = None, *, threshold: int = DEFAULT_THRESHOLD
                   ) -> pd.DataFrame:
    """The fetched health indicators at ``level`` (``"cluster"``: all units of the division or ``cluster``;
    ``"municipality"``: all, or the members of ``cluster``; ``"region"``; ``"country"``), for ``period``
    (``"latest"``: each figure's newest; ``"all"``; a period or a list), in the schema of the module docstring.
    Nothing here can be asked for without disclosure control; ``threshold`` can only be raised.

    Example
    -------
    Needs the health tables fetched into a data directory; not run as a doctest.
    >>> health_figures("nordjylland-vest", figures=["doede_pr_1000"], data_dir="/tmp/kd")  # doctest: +SKIP
    """
    from klyngedata import registry

    level = parse_level(level)
    if cluster is not None and division is None:
        division = registry.cluster(cluster).division  # an id names its division
    division = registry.resolve_division(division)
    universe = health_universe(data_dir, threshold)
    if division in universe.attrs["failed"]:
        raise DataNotAvailable(f"the health figures cannot be pooled to the units of {division}: "
                               f"{universe.attrs['failed'][division]}")
    rows = universe[universe["_division"] == division]
    if figures is not None:
        wanted = [health_figure(f).id for f in figures]
        rows = rows[rows["figure_id"].isin(wanted)]
    if rows.empty:
        raise DataNotAvailable("no fetched health figure has data" + (f" for {list(figures)}" if figures else ""))
    rows = rows.drop(columns="_division")
    chosen = _periods(rows, period)
    if not chosen.any():
        raise DataNotAvailable(f"no fetched health figure for period {period!r}")
    last = rows[chosen].groupby("figure_id")["period"].agg(lambda s: max(map(period_start_year, s)))
    start = {p: period_start_year(p) for p in rows["period"].unique()}
    in_series = np.array([start[p] <= last.get(f, -1) for f, p in zip(rows["figure_id"], rows["period"], strict=True)],
                         dtype=bool)
    series = rows[in_series]
    series = _with_labels(series, universe.attrs["provenance"])
    out = series[chosen.reindex(series.index).to_numpy(dtype=bool) & _select_level(series, level, cluster,
                                                                                    division).to_numpy(dtype=bool)]
    res = published_outcomes(out, series=series, keys=("entity_level", "entity_id", "figure_id", "sex", "age_group"))
    order = {f: i for i, f in enumerate(HEALTH_FIGURES)}
    res = res.assign(_o=res["figure_id"].map(order), _s=res["period"].map(lambda p: p.start_time))
    res = res.sort_values(["_o", "_s", "entity_id"], kind="stable").drop(columns=["_o", "_s"])
    res = mask_suppressed(res[HEALTH_COLUMNS].reset_index(drop=True))
    res.attrs = {"disclosure_note_da": NOTE_DA, "division": division,
                 "data_age": data_age(data_dir).to_dict("records")}  # records: pandas compares attrs in concat
    return res


def _with_labels(rows: pd.DataFrame, provenance: dict[str, dict]) -> pd.DataFrame:
    defs = rows["figure_id"].map(HEALTH_FIGURES)
    fetched = {t: str(m.get("fetched_at") or m.get("imported_at") or "") for t, m in provenance.items()}
    out = rows.assign(
        label_da=defs.map(lambda f: f.label_da), unit=defs.map(lambda f: f.unit),
        verified=defs.map(lambda f: f.verified), table=defs.map(lambda f: f.table),
        fetched_at=defs.map(lambda f: fetched.get(f.table, "")),
        data_year_da=[_data_year_da(f, p) for f, p in zip(rows["figure_id"], rows["period"], strict=True)])
    parsed = {p: parse_period(p) for p in out["period"].unique()}  # kinds differ (years, 5-year windows)
    out["period"] = pd.Series([parsed[p] for p in out["period"]], index=out.index, dtype=object)
    for c in ("value", "numerator", "denominator"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    return out
