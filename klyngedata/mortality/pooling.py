"""Deaths and person-years in windows of 1, 3 or 5 years, pooled from municipalities to units, regions and Denmark
(frames layer).

Windows
    A window of ``w`` years ending in ``Y`` holds the years ``Y - w + 1`` … ``Y``; its deaths and person-years
    are the sums over those years (a year without a count makes the window's count missing). Its code is the
    StatBank form: ``2024`` for one year, ``2020:2024`` for five (as HISBK writes its windows). klyngedata
    publishes the windows of each length that end in the last :data:`WINDOW_ENDS` years with data (the series
    a trend is read from); everything it publishes from the data is checked together for disclosure
    (:mod:`klyngedata.mortality.control`).

Pooling (one row per entity x sex x window x band)
    A unit's deaths and person-years are the sums over its member municipalities (a unit's life table is that
    of its pooled counts – never an average of its members' values); a region's the sums over its
    municipalities as the division's date has them (Region Østdanmark from 2027 = Hovedstaden + Sjælland) and
    Christiansø where the data have it; Denmark's over every municipality (and Christiansø). A sum over a
    member without a count is missing, with the member's reason – never a partial sum. A unit with a
    municipality split between units (København by bydel in 2022) has no deaths of its own: deaths are not
    published by bydel, so its figures are missing with a Danish reason in the division's words.

Schema of :func:`pooled_bands`
    ``entity_level`` (``municipality``/``cluster``/``region``/``country``), ``entity_id``, ``entity_name``,
    ``region_code``, ``sex``, ``period`` (window code), ``window`` (years), ``age_start``, ``age_end`` (Int64,
    NA in the open band), ``deaths``, ``person_years`` (float, NaN where missing), ``reason_da``.

Example
-------
>>> windows([2019, 2020, 2021, 2022, 2023, 2024], lengths=(1, 5), n_ends=2)["period"].tolist()
['2023', '2024', '2019:2023', '2020:2024']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from klyngedata import registry
from klyngedata.exceptions import ArgumentError
from klyngedata.mortality.bands import MunicipalBands
from klyngedata.registry.words import words
from klyngedata.vocabulary import COUNTRY_ID, COUNTRY_NAME
from klyngedata.vocabulary.codes import CHRISTIANSOE, CHRISTIANSOE_REGION
from klyngedata.weights import division_weights

__all__ = ["ENTITY_COLUMNS", "POOLED_COLUMNS", "WINDOWS", "WINDOW_ENDS", "Windowed", "entities",
           "municipality_names", "pool", "pooled_bands", "split_reason_da", "window_code", "window_sums", "windows"]

WINDOWS = (1, 3, 5)
WINDOW_ENDS = 5
ENTITY_COLUMNS = ["entity_level", "entity_id", "entity_name", "region_code", "members", "reason_da"]
POOLED_COLUMNS = ["entity_level", "entity_id", "entity_name", "region_code", "sex", "period", "window",
                  "age_start", "age_end", "deaths", "person_years", "reason_da"]


def window_code(last_year: int, length: int) -> str:
    """The StatBank code of the window of ``length`` years ending in ``last_year``.

    >>> window_code(2024, 1), window_code(2024, 5)
    ('2024', '2020:2024')
    """
    if length < 1:
        raise ArgumentError(f"window must be at least one year, got {length}")
    return str(last_year) if length == 1 else f"{last_year - length + 1}:{last_year}"


def windows(years: Iterable[int], lengths: Sequence[int] = WINDOWS, n_ends: int = WINDOW_ENDS) -> pd.DataFrame:
    """The windows published: per length, those ending in the last ``n_ends`` years whose every year has data.

    Columns ``period``, ``window``, ``first_year``, ``last_year`` (see the module docstring).
    """
    have = set(int(y) for y in years)
    rows = []
    for w in lengths:
        ends = [y for y in sorted(have) if all(y - k in have for k in range(w))][-n_ends:]
        rows += [(window_code(y, w), w, y - w + 1, y) for y in ends]
    return pd.DataFrame(rows, columns=["period", "window", "first_year", "last_year"])


def _first_reason(reasons: np.ndarray, axis: int) -> np.ndarray:
    """The first non-empty reason along ``axis`` (``""`` where there is none)."""
    has = reasons != ""
    first = np.expand_dims(has.argmax(axis=axis), axis)
    return np.where(has.any(axis=axis), np.take_along_axis(reasons, first, axis=axis).squeeze(axis), "")


@dataclass
class Windowed:
    """Deaths and person-years per municipality x sex x window x band (NaN where missing) with reasons."""

    codes: list[str]
    sexes: list[str]
    windows: pd.DataFrame
    bands: list
    deaths: np.ndarray
    person_years: np.ndarray
    reasons: np.ndarray


def window_sums(mb: MunicipalBands, wins: pd.DataFrame) -> Windowed:
    """The municipality arrays of :func:`klyngedata.mortality.bands.municipal_bands` summed over each window's
    years (a year without a count makes the sum missing: NaN propagates)."""
    shape = (len(mb.codes), len(mb.sexes), len(wins), len(mb.bands))
    deaths, py, why = np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, "", dtype=object)
    where = {y: i for i, y in enumerate(mb.years)}
    for k, w in enumerate(wins.itertuples(index=False)):
        idx = [where[y] for y in range(w.first_year, w.last_year + 1) if y in where]
        if len(idx) < w.window:
            why[:, :, k, :] = f"Der er ikke dødsfald for alle år i perioden {w.first_year}-{w.last_year}."
            continue
        deaths[:, :, k, :] = mb.deaths[:, :, idx, :].sum(axis=2)
        py[:, :, k, :] = mb.person_years[:, :, idx, :].sum(axis=2)
        why[:, :, k, :] = _first_reason(mb.reasons[:, :, idx, :], axis=2)
    return Windowed(mb.codes, mb.sexes, wins.reset_index(drop=True), mb.bands, deaths, py, why)


def split_reason_da(municipality_name: str, code: str, unit_type: str | None, division: str) -> str:
    """Why a unit with a municipality split between units has no deaths of its own (the division's words).

    >>> split_reason_da("København", "0101", "bydel", "sundhedsklynger-2022")  # doctest: +ELLIPSIS
    'København (0101) er delt mellem klyngerne efter bydel, men dødsfald opgøres ikke pr. bydel, så klyngens ...
    """
    part = unit_type or "delområde"
    return words(division).fill(
        "{navn} ({kode}) er delt mellem {klyngerne} efter {omraade}, men dødsfald opgøres ikke pr. {omraade}, så "
        "{klyngens} dødelighed og middellevetid kan ikke beregnes.", navn=str(municipality_name), kode=code,
        omraade=part)


def entities(division: str | None = None, codes: Iterable[str] | None = None) -> pd.DataFrame:
    """Every entity of a division and its member municipalities (:data:`ENTITY_COLUMNS`).

    ``codes``: the municipality codes the deaths table has (Christiansø counts in its region and Denmark, as
    Statistics Denmark counts it, when the table has it; a municipality of the registry counts always). A unit
    that cannot be pooled has no members and a ``reason_da``.

    >>> e = entities("sundhedsklynger-2022")
    >>> e.groupby("entity_level").size().to_dict()
    {'cluster': 22, 'country': 1, 'municipality': 98, 'region': 5}
    >>> e.set_index("entity_id").loc["hovedstaden-byen", "reason_da"][:41]
    'København (0101) er delt mellem klyngerne'
    """
    division = registry.resolve_division(division)
    muni = registry.municipalities()
    names = dict(zip(muni["municipality_code"], muni["name"], strict=True))
    region_of = dict(registry.municipality_regions(division=division))
    codes = set(codes) if codes is not None else set(names)
    all_codes = sorted(set(names) | ({CHRISTIANSOE} & codes))
    if CHRISTIANSOE in all_codes:
        names[CHRISTIANSOE] = "Christiansø"
        region_of[CHRISTIANSOE] = registry.region_key_on(CHRISTIANSOE_REGION, division=division)
    rows = [("municipality", c, names[c], region_of.get(c), (c,), "") for c in all_codes]
    mem = registry.membership(division)
    for cid, uw in division_weights(division).items():
        m = mem[mem["cluster_id"] == cid]
        reason = ""
        if not uw.whole:
            split = m[m["allocation"] != "whole"].iloc[0]
            reason = split_reason_da(names.get(split["municipality_code"], split["municipality_code"]),
                                     split["municipality_code"], split.get("unit_type"), division)
        members = tuple(sorted(set(m["municipality_code"]))) if not reason else ()
        rows.append(("cluster", cid, m["cluster_name"].iloc[0], m["region_code"].iloc[0], members, reason))
    reg = registry.regions()
    reg_names = dict(zip(reg["region_key"].astype(str), reg["name"], strict=True))
    for key in sorted({region_of[c] for c in all_codes}):
        rows.append(("region", key, reg_names.get(key, key), key,
                     tuple(c for c in all_codes if region_of[c] == key), ""))
    rows.append(("country", COUNTRY_ID, COUNTRY_NAME, None, tuple(all_codes), ""))
    return pd.DataFrame(rows, columns=ENTITY_COLUMNS)


def pool(w: Windowed, ents: pd.DataFrame, names: dict[str, str] | None = None) -> pd.DataFrame:
    """The windowed municipality arrays pooled to ``ents`` (:func:`entities`): :data:`POOLED_COLUMNS`, one row
    per entity x sex x window x band. A member the data do not have makes every sum over it missing."""
    names = names or {}
    pos = {c: i for i, c in enumerate(w.codes)}
    n_e = len(ents)
    shape = (n_e, *w.deaths.shape[1:])
    deaths, py, why = np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, "", dtype=object)
    prefix = np.array([f"{names.get(c, c)} ({c}): " for c in w.codes], dtype=object)[:, None, None, None]
    member_why = np.where(w.reasons != "", prefix + w.reasons, "")
    for e, (members, reason) in enumerate(zip(ents["members"], ents["reason_da"], strict=True)):
        absent = [c for c in members if c not in pos]
        if reason or not members or absent:
            why[e] = reason or (f"{names.get(absent[0], absent[0])} ({absent[0]}) findes ikke i data om dødsfald og "
                                "befolkning." if absent else "Ingen kommuner.")
            continue
        idx = [pos[c] for c in members]
        deaths[e], py[e] = w.deaths[idx].sum(axis=0), w.person_years[idx].sum(axis=0)
        why[e] = np.where(np.isnan(deaths[e]) | np.isnan(py[e]), _first_reason(member_why[idx], axis=0), "")
    e, s_, k, b = (a.ravel() for a in np.indices(shape))
    return pd.DataFrame({
        "entity_level": ents["entity_level"].to_numpy(dtype=object)[e],
        "entity_id": ents["entity_id"].to_numpy(dtype=object)[e],
        "entity_name": ents["entity_name"].to_numpy(dtype=object)[e],
        "region_code": ents["region_code"].to_numpy(dtype=object)[e],
        "sex": np.asarray(w.sexes, dtype=object)[s_],
        "period": w.windows["period"].to_numpy(dtype=object)[k], "window": w.windows["window"].to_numpy()[k],
        "age_start": np.asarray([x.lo for x in w.bands])[b],
        "age_end": pd.array([x.hi for x in w.bands], dtype="Int64").take(b),
        "deaths": deaths.ravel(), "person_years": py.ravel(), "reason_da": why.ravel(),
    })


def pooled_bands(mb: MunicipalBands, division: str | None = None, *, lengths: Sequence[int] = WINDOWS,
                 n_ends: int = WINDOW_ENDS, levels: Iterable[str] | None = None) -> pd.DataFrame:
    """Deaths and person-years of every entity of ``division`` (schema in the module docstring; ``levels``
    restricts the entities) from :func:`klyngedata.mortality.bands.municipal_bands`.

    Example
    -------
    Needs deaths (FOD207) and population by sex and age imported into the data directory; not run as a doctest.
    >>> from klyngedata.mortality.bands import municipal_bands  # doctest: +SKIP
    >>> pooled_bands(municipal_bands(data_dir="/tmp/kd"), "sundhedsraad-2027")  # doctest: +SKIP
    """
    wins = windows(mb.complete_years, lengths, n_ends)
    ents = entities(division, mb.deaths_codes)
    if levels is not None:
        ents = ents[ents["entity_level"].isin(list(levels))].reset_index(drop=True)
    muni = ents[ents["entity_level"] == "municipality"]
    names = dict(zip(muni["entity_id"], muni["entity_name"], strict=True)) or municipality_names()
    return pool(window_sums(mb, wins), ents, names)


def municipality_names() -> dict[str, str]:
    """Municipality code -> name (Christiansø included).

    >>> municipality_names()[CHRISTIANSOE], municipality_names()["0851"]
    ('Christiansø', 'Aalborg')
    """
    m = registry.municipalities()
    return {**dict(zip(m["municipality_code"], m["name"], strict=True)), CHRISTIANSOE: "Christiansø"}
