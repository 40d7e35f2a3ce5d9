"""Life expectancy and standardised mortality of every unit, level and division, with intervals, outcomes against
region and Denmark, trends and disclosure control (keyfigures layer).

:func:`life_expectancy` and :func:`mortality` pool the deaths and person-years of the member municipalities
(:mod:`klyngedata.mortality.pooling`), compute the figures with the pure arithmetic of
:mod:`klyngedata.stats.lifetable` and :mod:`klyngedata.stats.mortality` (methods: ``docs/mortality.md``),
apply the disclosure control of :mod:`klyngedata.mortality.control` and add the outcome columns every published
figure has (:mod:`klyngedata.outcomes`; polarity and methods from the catalogue, :mod:`klyngedata.mortality_defs`).

Schema (one row per entity x figure x sex x window)
    ``entity_level``, ``entity_id``, ``entity_name``, ``region_code``, ``figure_id``, ``label_da``, ``sex``,
    ``age`` (life expectancy: 0 or 65), ``period`` (the window's StatBank code, ``2020:2024``), ``period_da``
    (``2020–2024``: the data years shown beside the figure), ``window`` (years), ``value``, ``ci95_low``,
    ``ci95_high``, ``ci998_low``, ``ci998_high``, ``deaths`` (at all ages; NaN for life expectancy at 65 and
    premature mortality, whose counts are not published), ``person_years``, ``method``, ``note_da`` (why there
    is no value), ``region_value``, ``country_value``, the outcome and trend columns of
    :data:`klyngedata.outcomes.PUBLISHED_COLUMNS`, ``suppressed``, ``display``; :func:`mortality` adds
    ``expected`` (SMR) and ``crude_rate`` (deaths per 100,000 person-years; NaN for premature mortality).
    ``attrs["provenance"]``: the tables and periods used.

Example
-------
Needs deaths (FOD207) and population by sex and age imported into the data directory; not run as a doctest.
>>> import klyngedata as kd
>>> kd.life_expectancy(level="cluster", division="sundhedsraad-2027", sex="total")  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from klyngedata import catalogue, registry
from klyngedata.cache import Cache
from klyngedata.disclosure import (
    COMPARISON_COLUMNS,
    DEFAULT_THRESHOLD,
    NOTE_DA,
    format_number_da,
    mask_suppressed,
    refill_comparisons,
)
from klyngedata.exceptions import ArgumentError, DataNotAvailable
from klyngedata.mortality.bands import TOP, MunicipalBands, municipal_bands
from klyngedata.mortality.control import controlled_deaths
from klyngedata.mortality.pooling import (
    WINDOW_ENDS,
    WINDOWS,
    municipality_names,
    pooled_bands,
    window_code,
    windows,
)
from klyngedata.mortality_defs import FIGURE_OF_AGE
from klyngedata.outcomes import published_outcomes
from klyngedata.stats import FigureStats
from klyngedata.stats.lifetable import life_expectancies
from klyngedata.stats.mortality import (
    premature_mortality_rate,
    standardised_death_rate,
    standardised_mortality_ratio,
)
from klyngedata.vocabulary import parse_level, parse_period, parse_sex, period_code, period_kind, period_text_da

__all__ = ["LE_COLUMNS", "MORTALITY_COLUMNS", "life_expectancy", "mortality", "mortality_data"]

KEYS = ["entity_level", "entity_id", "sex", "period"]
LE_COLUMNS = ["entity_level", "entity_id", "entity_name", "region_code", "figure_id", "label_da", "sex", "age",
              "period", "period_da", "window", "value", "ci95_low", "ci95_high", "ci998_low", "ci998_high",
              "deaths", "person_years", "method", "note_da"]
MORTALITY_COLUMNS = [c for c in LE_COLUMNS if c != "age"] + ["expected", "crude_rate"]
NO_INFANTS_DA = ("Middellevetiden kan ikke beregnes, fordi befolkningen kun findes i aldersgruppen 0-4 år; en "
                 "dødelighedstavle kræver de 0-årige for sig.")
HIDDEN_TOTAL_DA = "Tallet vises ikke, fordi antallet af døde i perioden er skjult af diskretionshensyn."
_MEMO: dict[tuple, MunicipalBands] = {}


# ---------------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------------
def _state(data_dir: Any) -> tuple:
    cache = Cache(data_dir)
    keys = ("health/FOD207", "health/FOLK1B", "population/FOLK1A", "population/FOLK1AM")
    return (str(cache.root),) + tuple((k, (cache.meta(k) or {}).get("data_sha256")) for k in keys)


def _content(frame: pd.DataFrame | None) -> int | None:
    """A fingerprint of a frame passed in (its cells, not its identity: a changed frame is a new key)."""
    if frame is None:
        return None
    return int(pd.util.hash_pandas_object(frame.astype(str), index=False).sum())


def mortality_data(data_dir: str | os.PathLike[str] | None = None, *, deaths: pd.DataFrame | None = None,
                   population: pd.DataFrame | None = None, top: int | None = TOP) -> MunicipalBands:
    """Deaths and person-years per municipality, sex, year and band (:func:`municipal_bands`), kept in memory
    while the cache entries (and the cells of frames passed in) they come from are unchanged.

    Example
    -------
    Needs deaths (FOD207) and population by sex and age imported into the data directory; not run as a doctest.
    >>> mortality_data("/tmp/kd").years  # doctest: +SKIP
    """
    key = (_state(data_dir), top, _content(deaths), _content(population))
    if key not in _MEMO:
        _MEMO.clear()
        _MEMO[key] = municipal_bands(data_dir, deaths=deaths, population=population, top=top,
                                     names=municipality_names())
    return _MEMO[key]


# ---------------------------------------------------------------------------------------------
# arguments
# ---------------------------------------------------------------------------------------------
def _sexes(sex: object) -> list[str]:
    if sex is None:
        return ["total", "male", "female"]
    values = [sex] if isinstance(sex, str) else list(sex)  # type: ignore[call-overload]
    try:
        return [parse_sex(s) for s in values]
    except ValueError as exc:
        raise ArgumentError(f"sex: {exc}") from None


def _windows(period: object, window: int | None, available: list[str]) -> tuple[int, list[str]]:
    """The window length and the window codes asked for (``latest``, ``all``, an end year, a window code or a
    list); a window not published raises :class:`DataNotAvailable` naming the ones that are."""
    wanted = [period] if isinstance(period, (str, int, pd.Period)) or period is None else list(period)
    codes: list[str] = []
    length = window
    for p in wanted:
        if p in (None, "latest", "all"):
            continue
        parsed = parse_period(p)
        if period_kind(parsed) == "window":
            n = parsed.end_time.year - parsed.start_time.year + 1
            if length is not None and length != n:
                raise ArgumentError(f"period {period_code(parsed)} is a window of {n} years, but window={length}")
            length = n
            codes.append(period_code(parsed))
        elif period_kind(parsed) == "year":
            codes.append(int(parsed.year))  # type: ignore[arg-type]  # an end year, its window below
        else:
            raise ArgumentError(f"period {p!r}: give a year, a window such as 2020:2024, 'latest' or 'all'")
    length = 5 if length is None else int(length)
    if length not in WINDOWS:
        raise ArgumentError(f"window must be one of {WINDOWS} years, got {window}")
    mine = [c for c in available if (":" not in c and length == 1) or
            (":" in c and int(c[-4:]) - int(c[:4]) + 1 == length)]
    if not mine:
        raise DataNotAvailable(f"no {length}-year window has deaths and population for every year")
    if any(p == "all" for p in wanted):
        return length, mine
    if not codes:
        return length, [mine[-1]]
    codes = [window_code(c, length) if isinstance(c, int) else c for c in codes]
    missing = [c for c in codes if c not in mine]
    if missing:
        raise DataNotAvailable(f"window(s) {missing} not published: klyngedata publishes the {length}-year windows "
                               f"ending in the last {WINDOW_ENDS} years with data: {', '.join(mine)}")
    return length, codes


# ---------------------------------------------------------------------------------------------
# publishing
# ---------------------------------------------------------------------------------------------
def _group_reasons(pooled: pd.DataFrame) -> pd.DataFrame:
    """The first reason of each entity x sex x window (where a count is missing)."""
    given = pooled[pooled["reason_da"] != ""]
    return given.groupby(KEYS, sort=False)["reason_da"].first().rename("_reason").reset_index()


def _names(pooled: pd.DataFrame) -> pd.DataFrame:
    return pooled[["entity_level", "entity_id", "entity_name", "region_code"]].drop_duplicates(
        ["entity_level", "entity_id"])


def _control(rows: pd.DataFrame, mb: MunicipalBands, threshold: int) -> pd.DataFrame:
    """Hide every row whose deaths at all ages (entity, sex, window) are hidden; mark ``<5`` / ``x``."""
    ctl = controlled_deaths(mb, threshold=threshold)
    out = rows.merge(ctl[[*KEYS, "suppressed", "display"]], on=KEYS, how="left")
    out["suppressed"] = out["suppressed"].astype("boolean").fillna(False).astype(bool)
    out["display"] = out["display"].fillna("").astype(str)
    hidden = out["suppressed"].to_numpy()
    out.loc[hidden, "note_da"] = HIDDEN_TOTAL_DA
    out = mask_suppressed(out, keep=(*COMPARISON_COLUMNS, "age", "window"))
    decimals = out["figure_id"].map(lambda f: catalogue.figure(f).decimals)
    shown = [d if h else ("" if pd.isna(v) else _fmt(v, k)) for h, d, v, k in zip(
        hidden, out["display"], out["value"], decimals, strict=True)]
    out["display"] = pd.Series(shown, index=out.index, dtype="string")
    return out


def _fmt(value: float, decimals: int) -> str:
    return format_number_da(value, int(decimals))


def _specs(figures: Sequence[str], window: int) -> dict[str, FigureStats]:
    out = {}
    for f in figures:
        base = catalogue.stats_spec(f)
        trend = base.trend_method if window == 1 else None
        why = base.no_trend_da or catalogue.figure(f).trend_method_da
        if window != 1:
            why = (f"Perioderne på {window} år overlapper hinanden (glidende perioder), så udviklingen vises, men "
                   "testes ikke.")
        out[f] = FigureStats(polarity=base.polarity, ci_method="given", trend_method=trend, no_trend_da=why)
    return out


def _publish(rows: pd.DataFrame, mb: MunicipalBands, level: str, periods: list[str], sexes: list[str],
             window: int, threshold: int) -> pd.DataFrame:
    rows = _control(rows, mb, threshold)
    rows = refill_comparisons(rows, ["figure_id", "period", "sex"])
    rows["period_da"] = rows["period"].map(period_text_da)
    rows["label_da"] = rows["figure_id"].map(catalogue.label)
    out = published_outcomes(rows, keys=("entity_level", "entity_id", "figure_id", "sex"),
                             specs=_specs(sorted(set(rows["figure_id"])), window))
    out = out[(out["entity_level"] == level) & out["period"].isin(periods) & out["sex"].isin(sexes)]
    out.attrs["provenance"] = dict(mb.provenance)
    out.attrs["disclosure_note_da"] = NOTE_DA
    return out.reset_index(drop=True)


def _prepare(level: str, division: str | None, period: object, sex: object, window: int | None,
             data_dir, deaths, population) -> tuple[MunicipalBands, str, str, int, list[str], list[str], pd.DataFrame]:
    level = parse_level(level)
    division = registry.resolve_division(division)
    sexes = _sexes(sex)
    mb = mortality_data(data_dir, deaths=deaths, population=population)
    length, periods = _windows(period, window, list(windows(mb.complete_years)["period"]))
    pooled = pooled_bands(mb, division, lengths=(length,), levels={level, "region", "country"})
    return mb, level, division, length, periods, sexes, pooled


def life_expectancy(level: str = "cluster", division: str | None = None, period: object = "latest",
                    sex: object = None, window: int | None = None, *, ages: Sequence[int] = (0, 65),
                    data_dir: str | os.PathLike[str] | None = None, deaths: pd.DataFrame | None = None,
                    population: pd.DataFrame | None = None, threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """Life expectancy at birth and at 65 of every entity of ``level`` (``municipality``, ``cluster``,
    ``region``, ``country``) by sex and window, with Chiang's 95 % interval (schema in the module docstring).

    ``period``: ``"latest"``, ``"all"`` (the published windows: ending in the last five years), an end year or a
    window (``"2020:2024"``); ``window``: 1, 3 or 5 years (default 5, as Statistics Denmark's HISBK);
    ``sex``: ``None`` (both sexes, men, women) or one or several; ``deaths``/``population``: frames in the
    health tables' schema instead of the cache (FOD207, FOLK1B-like). A unit too small for a stable estimate
    gets no value and a Danish reason (``note_da``).

    Example
    -------
    Needs deaths (FOD207) and population by sex and age imported into the data directory; not run as a doctest.
    >>> life_expectancy("cluster", division="sundhedsraad-2027", sex="total")  # doctest: +SKIP
    """
    mb, level, division, length, periods, sexes, pooled = _prepare(level, division, period, sex, window, data_dir,
                                                                   deaths, population)
    ages = [int(a) for a in ages]
    unknown = [a for a in ages if a not in FIGURE_OF_AGE]
    if unknown:
        raise ArgumentError(f"ages must be among {sorted(FIGURE_OF_AGE)}, got {unknown}")
    le = life_expectancies(pooled, by=KEYS, ages=ages)
    reasons = _group_reasons(pooled)
    le = le.merge(reasons, on=KEYS, how="left")
    missing = le["value"].isna() & le["_reason"].notna()
    le.loc[missing, "note_da"] = le.loc[missing, "_reason"]
    if mb.bands[0].hi != 0:
        le["value"] = np.nan
        le["note_da"] = NO_INFANTS_DA
    le.loc[le["age"] != 0, "deaths"] = np.nan  # deaths at 65+ are not published (mortality.control)
    le = le.drop(columns=["_reason", "se"]).merge(_names(pooled), on=["entity_level", "entity_id"])
    le = le.assign(figure_id=le["age"].map(FIGURE_OF_AGE), window=length)
    return _publish(le, mb, level, periods, sexes, length, threshold)[
        [*LE_COLUMNS, *[c for c in _OUTCOME if c not in LE_COLUMNS]]]


_OUTCOME = ["region_value", "country_value", "ci_method", "polarity", "vs_region", "vs_country",
            "vs_region_note_da", "vs_country_note_da", "trend", "trend_da", "trend_p", "trend_note_da",
            "suppressed", "display"]


def _smr(pooled: pd.DataFrame) -> pd.DataFrame:
    """SMR of every entity x sex x window against Denmark's rates of the same window (by sex and age band)."""
    by = ["entity_level", "entity_id"]
    parts = []
    for p, part in pooled.groupby("period", sort=False):
        ref_all = part[part["entity_level"] == "country"]
        for sex in ("male", "female"):
            ref = ref_all[ref_all["sex"] == sex]
            res = standardised_mortality_ratio(part[part["sex"] == sex], ref, by=by)
            parts.append(res.assign(sex=sex, period=p))
        both = part[part["sex"].isin(["male", "female"])]
        ref = ref_all[ref_all["sex"].isin(["male", "female"])]
        res = standardised_mortality_ratio(both, ref, by=by, strata=["sex"])
        parts.append(res.assign(sex="total", period=p))
    out = pd.concat(parts, ignore_index=True).rename(columns={"observed": "deaths"})
    return out.assign(figure_id="standardised_mortality_ratio", crude_rate=np.nan)


def mortality(level: str = "cluster", division: str | None = None, period: object = "latest", sex: object = None,
              window: int | None = None, *, data_dir: str | os.PathLike[str] | None = None,
              deaths: pd.DataFrame | None = None, population: pd.DataFrame | None = None,
              threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """The age-standardised death rate (ESP 2013, Dobson interval), premature mortality (under 75) and the
    standardised mortality ratio (SMR, Denmark = 100, exact Poisson interval) of every entity of ``level`` by sex
    and window (arguments as :func:`life_expectancy`; schema in the module docstring).

    Example
    -------
    Needs deaths (FOD207) and population by sex and age imported into the data directory; not run as a doctest.
    >>> mortality("cluster", division="sundhedsraad-2027", sex="total")  # doctest: +SKIP
    """
    mb, level, division, length, periods, sexes, pooled = _prepare(level, division, period, sex, window, data_dir,
                                                                   deaths, population)
    dsr = standardised_death_rate(pooled, by=KEYS).assign(figure_id="death_rate_standardised")
    premature = premature_mortality_rate(pooled, by=KEYS).assign(figure_id="premature_mortality")
    premature["deaths"] = premature["crude_rate"] = np.nan  # deaths under 75 are not published
    rows = pd.concat([dsr, premature, _smr(pooled)], ignore_index=True)
    reasons = _group_reasons(pooled)
    rows = rows.merge(reasons, on=KEYS, how="left")
    missing = rows["value"].isna() & rows["_reason"].notna()
    rows.loc[missing, "note_da"] = rows.loc[missing, "_reason"]
    rows = rows.drop(columns=["_reason", "per"], errors="ignore").merge(_names(pooled),
                                                                      on=["entity_level", "entity_id"])
    rows = rows.assign(window=length)
    return _publish(rows, mb, level, periods, sexes, length, threshold)[
        [*MORTALITY_COLUMNS, *[c for c in _OUTCOME if c not in MORTALITY_COLUMNS]]]
