"""The published health-indicator figures (:func:`indicator_figures`): intervals, outcomes and trends on every
row, and disclosure control over everything published (one controlled universe per data set)."""

from __future__ import annotations

import collections
import hashlib
import json
import os
import warnings
from collections.abc import Iterable

import pandas as pd

from klyngedata import publication_ledger as ledger_mod
from klyngedata.cache import Cache
from klyngedata.disclosure import (
    DEFAULT_THRESHOLD,
    NOTE_DA,
    mask_suppressed,
    suppress_published,
)
from klyngedata.exceptions import DataFormatError, DataNotAvailable, KlyngedataError
from klyngedata.indicator_defs import (
    INDICATORS,
    indicator,
)
from klyngedata.indicators.files import load_indicators
from klyngedata.indicators.pooling import _fill_totals, _long_table, _select_periods
from klyngedata.outcomes import PUBLISHED_COLUMNS, published_outcomes
from klyngedata.vocabulary import parse_level, parse_period, period_start_year

_OUT = ["entity_level", "entity_id", "entity_name", "figure_id", "label_da", "value", "unit", "period",
        "region_value", "country_value", "suppressed", "display", "provenance", "numerator", "denominator",
        "method_da", "sex", "age_group", "verified", "region_code", *PUBLISHED_COLUMNS]


def indicator_figures(
    cluster: str | None = None,
    level: str = "cluster",
    indicators: Iterable[str] | None = None,
    period: object = "latest",
    division: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    data: pd.DataFrame | None = None,
    population: pd.DataFrame | None = None,
    threshold: int = DEFAULT_THRESHOLD,
) -> pd.DataFrame:
    """Health indicators by cluster (or municipality/region/Denmark) in the key-figure schema: the indicators of
    imported files (below) and, from the cache, the indicators klyngedata computes from the StatBank tables it
    fetches (:func:`klyngedata.health.health_figures`: their rows also carry ``reason_da``, ``table``,
    ``fetched_at`` and ``data_year_da``; ``attrs["data_age"]`` says how old each table is). ``indicators`` may
    name either kind; ``data=`` gives file data only.

    Example
    -------
    Needs indicator files imported or health tables fetched; not run as a doctest.
    >>> indicator_figures("nordjylland-vest", indicators=["hjemmesygepleje_pr_1000"])  # doctest: +SKIP
    """
    from klyngedata.health import HEALTH_FIGURES, health_figures

    wanted = None if indicators is None else list(indicators)
    fetched = [i for i in wanted or () if i in HEALTH_FIGURES]
    own = None if wanted is None else [i for i in wanted if i not in HEALTH_FIGURES]
    parts, errors = [], []
    if own is None or own:
        try:
            parts.append(_file_figures(cluster, level, own, period, division, data_dir, data=data,
                                       population=population, threshold=threshold))
        except DataNotAvailable as exc:
            errors.append(exc)
    if data is None and (wanted is None or fetched):
        try:
            parts.append(health_figures(cluster, level, fetched or None, period, division, data_dir,
                                        threshold=threshold))
        except DataNotAvailable as exc:
            errors.append(exc)
    if not parts:
        raise errors[0]
    attrs = {k: v for p in parts for k, v in p.attrs.items()}
    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    out.attrs = attrs
    return out


def _file_figures(
    cluster: str | None,
    level: str,
    indicators: Iterable[str] | None,
    period: object,
    division: str | None,
    data_dir: str | os.PathLike[str] | None,
    *,
    data: pd.DataFrame | None,
    population: pd.DataFrame | None,
    threshold: int,
) -> pd.DataFrame:
    """The indicators of imported files by cluster (or municipality/region/Denmark) in the key-figure schema.

    Pooled from the municipality rows (sum of numerators and denominators; published rates via estimated
    counts; survey shares as population-weighted averages – the method is in ``method_da``), with the
    region and Denmark values for comparison (``region_value``, ``country_value``) and disclosure control
    applied to everything the data can publish at once – every period, level, stratum and the clusters of
    every division (:func:`klyngedata.disclosure.suppress_published`) – before rows are selected, so no
    combination of calls reveals a count of 1-4; there is no way to get unsuppressed counts from this
    function, and ``threshold`` can only be raised.

    ``level``: ``"cluster"`` (all clusters, or ``cluster``), ``"municipality"`` (all, or the members of
    ``cluster``), ``"region"`` or ``"country"``. ``data``: an indicator frame (as from
    :func:`read_indicator_file`) instead of the cache; ``population``: a population frame instead of the
    cache (municipality totals with ``period`` and ``population``).
    """
    from klyngedata import registry

    level = parse_level(level)
    frame = data.copy() if data is not None else load_indicators(data_dir)
    if indicators is not None:
        wanted = [indicator(i).id for i in indicators]
        frame = frame[frame["indicator"].isin(wanted)]
        if frame.empty:
            raise DataNotAvailable(f"no data for indicator(s) {wanted}")
    selected = _select_periods(frame, period)
    if cluster is not None and division is None:
        division = registry.cluster(cluster).division  # an id names its division (e.g. a 2022 id in 2027)
    division = registry.resolve_division(division)
    # everything this data can publish, disclosure-controlled as one table (every period: the series too)
    out = _published(frame, division, data_dir, population, threshold, ledger=data is None)
    failed = out.attrs.get("failed_periods", {})
    for p in sorted(set(selected["period"])):
        if p in failed:
            raise DataNotAvailable(f"indicators of period {p} cannot be pooled: {failed[p]}")
    chosen = set(zip(selected["indicator"], selected["period"], strict=True))
    last = {ind: max(map(period_start_year, g["period"])) for ind, g in selected.groupby("indicator")}
    in_series = [ind in last and period_start_year(p) <= last[ind] for ind, p in zip(out["figure_id"], out["period"],
                                                                              strict=True)]
    out = out[in_series].copy()
    out["_selected"] = [k in chosen for k in zip(out["figure_id"], out["period"], strict=True)]
    history_error = ""
    if any(period_start_year(p) < max(last.values()) for p in failed):
        warnings.warn(f"indicator trends: earlier periods cannot be pooled: {failed}", stacklevel=2)
        history_error = ("Udviklingen kan ikke beregnes, fordi tallene for de tidligere perioder ikke kan puljes "
                         "med de tilgængelige data.")
    out["label_da"] = out["figure_id"].map(lambda i: INDICATORS[i].label_da)
    out["unit"] = out["figure_id"].map(lambda i: INDICATORS[i].unit)
    out["verified"] = out["figure_id"].map(lambda i: INDICATORS[i].verified)
    nan_value = out["value"].isna() & ~out["suppressed"]
    out.loc[nan_value, "display"] = "–"
    out["period"] = out["period"].map(parse_period)
    series = out
    out = out[out["_selected"].astype(bool)]
    if level == "cluster":
        sel = out["entity_level"] == "cluster"
        if cluster is not None:
            sel &= out["entity_id"] == registry.cluster(cluster, division=division).id
    elif level == "municipality":
        sel = out["entity_level"] == "municipality"
        if cluster is not None:
            codes = registry.cluster(cluster, division=division).municipality_codes
            sel &= out["entity_id"].isin(codes)
    else:
        sel = out["entity_level"] == level
    order = {k: i for i, k in enumerate(INDICATORS)}
    res = published_outcomes(out.loc[sel], series=series,
                             keys=("entity_level", "entity_id", "figure_id", "sex", "age_group"),
                             series_error_da=history_error)[_OUT]
    res["_order"] = res["figure_id"].map(order)
    # periods of different indicators may be of different kinds (years, quarters): sort by their dates
    res["_start"] = res["period"].map(lambda p: p.start_time)
    res["_end"] = res["period"].map(lambda p: p.end_time)
    res = res.sort_values(["_order", "_start", "_end", "entity_id"], kind="stable")
    res = res.drop(columns=["_order", "_start", "_end"])
    res = mask_suppressed(res.reset_index(drop=True))  # every numeric column of a hidden row, whatever it is
    res.attrs["disclosure_note_da"] = NOTE_DA
    res.attrs["division"] = division
    return res


def headline_rows(figures: pd.DataFrame) -> pd.DataFrame:
    """The rows of each figure for both sexes and its whole population: one row per entity and period, as a
    table or chart with a row per unit and figure needs them. A figure's whole population is the age group
    ``total``, or its one age group when the data have only one (a survey of the 16+); a figure given only in
    several age groups without their total has no headline row.

    Example (CONSTRUCTED)
    ---------------------
    >>> t = pd.DataFrame({"figure_id": "f", "entity_id": "x", "sex": ["total", "male", "total", "total"],
    ...                   "age_group": ["total", "total", "0-64", "65+"], "value": [1.0, 2.0, 3.0, 4.0]})
    >>> headline_rows(t)["value"].tolist()
    [1.0]
    """
    if figures.empty or "sex" not in figures.columns:
        return figures
    both = figures[figures["sex"].astype(str) == "total"]
    if "age_group" not in both.columns:
        return both
    ages = both["age_group"].astype(str)
    groups = ages.groupby(both["figure_id"].astype(str)).agg(lambda a: set(a))
    whole = {f: "total" if "total" in g else (next(iter(g)) if len(g) == 1 else None) for f, g in groups.items()}
    return both[ages.to_numpy() == both["figure_id"].astype(str).map(whole).to_numpy()]


_PUBLISHED: collections.OrderedDict[str, pd.DataFrame] = collections.OrderedDict()


def _published_key(frame: pd.DataFrame, data_dir, population, threshold: int) -> str:
    """What the published universe depends on: the data, the population/unit-population entries of the cache
    (their metadata) or the population frame, the threshold."""
    h = hashlib.sha256()
    for part in (frame, population):
        if part is not None:
            cols = sorted(map(str, part.columns))
            h.update(repr(cols).encode())
            h.update(pd.util.hash_pandas_object(part[cols].astype(str), index=False).to_numpy().tobytes())
    cache = Cache(data_dir)
    metas = {k: cache.meta(k) for k in cache.keys() if k.startswith("population")}
    h.update(json.dumps([str(cache.root), metas, threshold], sort_keys=True, default=str).encode())
    return h.hexdigest()


def _published(frame: pd.DataFrame, division: str, data_dir, population, threshold: int, *,
               ledger: bool = False) -> pd.DataFrame:
    """The rows of ``division`` (municipalities, its clusters, regions, Denmark; with ``decimals``) from
    :func:`_universe`. The last few universes are kept in memory (other levels, periods or divisions of the
    same data are one computation). ``ledger``: the data are the cache's, so what earlier releases of them
    published counts as published and what this one shows is recorded (:mod:`klyngedata.publication_ledger`)."""
    key = _published_key(frame, data_dir, population, threshold) + (":ledger" if ledger else "")
    if key not in _PUBLISHED:
        _PUBLISHED[key] = _universe(frame, data_dir, population, threshold, ledger=ledger)
        while len(_PUBLISHED) > 4:
            _PUBLISHED.popitem(last=False)
    _PUBLISHED.move_to_end(key)
    out = _PUBLISHED[key]
    if division not in out.attrs["divisions"]:
        raise DataNotAvailable(f"the indicators cannot be pooled to the clusters of {division}: "
                               f"{out.attrs['failed'].get(division, 'unknown division')}")
    rows = out[out["_division"] == division].drop(columns="_division").reset_index(drop=True)
    rows.attrs = {"failed_periods": dict(out.attrs.get("failed_periods", {}))}
    return rows


def _universe(frame: pd.DataFrame, data_dir, population, threshold: int, *, ledger: bool = False) -> pd.DataFrame:
    """Every row any call can publish from ``frame`` – all periods, all levels and strata, the clusters of
    every division – pooled and disclosure-controlled as one table
    (:func:`klyngedata.disclosure.suppress_published`), so that what one call shows never combines with
    what another call shows (another period, level or division) to reveal a small count."""
    from klyngedata import registry

    universe = _fill_totals(frame)
    parts, done, failed = [], [], {}
    failed_periods: dict[str, str] = {}
    for div in registry.divisions()["division"]:
        try:
            table, _ = _long_table(universe, div, data_dir, population)
        except (DataNotAvailable, DataFormatError):
            # pool period by period: a period that cannot be pooled (e.g. no population) publishes nothing
            pieces = []
            for p, part in universe.groupby("period", sort=False):
                try:
                    pieces.append(_long_table(part, div, data_dir, population)[0])
                except (DataNotAvailable, DataFormatError) as exc:
                    failed_periods[str(p)] = str(exc)
            if not pieces:
                failed[div] = "; ".join(sorted(set(failed_periods.values())))
                continue
            table = pd.concat(pieces, ignore_index=True)
        except KlyngedataError as exc:
            failed[div] = str(exc)  # a division that cannot be computed publishes nothing
            continue
        parts.append(table.assign(_division=div))  # regions (and region codes) differ between divisions
        done.append(div)
    if not parts:
        raise DataNotAvailable(f"the indicators cannot be pooled: {failed}")
    table = pd.concat(parts, ignore_index=True)
    table["decimals"] = table["figure_id"].map(lambda i: INDICATORS[i].decimals)
    before = ledger_mod.published_before(table, data_dir) if ledger else None
    out = suppress_published(table, bounded=lambda i: INDICATORS[i].bounded, threshold=threshold,
                             decimals="decimals", published_before=before)
    if ledger:
        ledger_mod.record_published(out, data_dir)
    out.attrs["divisions"] = done
    out.attrs["failed"] = failed
    out.attrs["failed_periods"] = failed_periods
    return out


