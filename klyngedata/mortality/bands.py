"""Deaths and person-years by municipality, sex, age band and year: the input of life tables and standardised
mortality, read from the cache (frames layer; nothing is fetched here).

Sources
    *Deaths*: Statistics Denmark's FOD207 (:func:`klyngedata.dst.health_store.load_health_table`), deaths by
    municipality of residence, sex, the table's own age bands and calendar year. The bands are read from the
    data (never assumed): the finest set of the table's bands that covers every age from 0 to its open top
    band without overlap is used (:func:`partition`), so a table with single years, 5-year bands, irregular
    bands (``0``, ``1-4``, ``85-89``) or overlapping extra bands is read alike.

    *Population*: the population on **1 January** by sex and age: FOLK1A by single year of age
    (:func:`klyngedata.population.population`, the first quarter) when it is cached with ages, otherwise
    FOLK1B's 5-year bands (``load_health_table("FOLK1B")``, the first quarter), or a frame the caller passes.

Person-years
    The person-years lived in a band in calendar year ``Y`` are the band's mean population over the year,
    taken as the mean of the population on 1 January ``Y`` and on 1 January ``Y + 1`` (the trapezium rule
    over the year; the cache holds stocks on the first day of each quarter, not mid-year counts). Without
    the population of 1 January ``Y + 1`` (the newest year before the next table is published) the year has
    no person-years: its figures are missing with a Danish reason, never computed from one end of the year.

Common age bands
    The bands of a life table must exist in both tables: the edges used are those of the deaths' bands that
    the population also has (every edge for single years; FOLK1B has no edge at 1, so its tables start with
    a band 0-4, for which no life table is computed). The open top band starts at ``top`` (default **90**,
    the convention of the Office for National Statistics and Public Health England for local life tables:
    95+ and 100+ often have no deaths or too few person-years in a small unit's window) when both tables
    have that edge below their own open bands, else at the highest edge they share below them.

Output (:func:`municipal_bands`): :class:`MunicipalBands`, arrays municipality x sex x year x band of
    ``deaths`` and ``person_years`` (NaN where missing; sex ``male``, ``female`` and ``total`` = the sum of
    both, missing if either is) with the Danish reason of every missing cell, and :attr:`MunicipalBands.frame`,
    the same as a tidy frame: ``municipality_code``, ``sex``, ``year`` (int), ``age_start``, ``age_end``
    (Int64, NA in the open band), ``deaths``, ``person_years``, ``reason_da`` (``""`` where nothing is
    missing). Windows and pooling to units, regions and Denmark: :mod:`klyngedata.mortality.pooling`.

Example (CONSTRUCTED bands)
---------------------------
>>> from klyngedata.vocabulary import AgeBand
>>> [b.label for b in partition([AgeBand(0, 0), AgeBand(1, 4), AgeBand(5, 89), AgeBand(85, None), AgeBand(90, None)])]
['0', '1-4', '5-89', '90+']
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from klyngedata.exceptions import DataFormatError, DataNotAvailable, KlyngedataError
from klyngedata.vocabulary import AgeBand, parse_age, parse_period, period_kind

__all__ = ["DEATHS_TABLE", "TOP", "MunicipalBands", "common_edges", "municipal_bands", "partition"]

DEATHS_TABLE = "FOD207"
TOP = 90
"""The preferred start of the open top band (ONS / PHE convention for local life tables)."""
NO_NEXT_YEAR_DA = ("Befolkningen 1. januar {next} findes ikke i data, så personårene i {year} (gennemsnittet af "
                   "befolkningen 1. januar {year} og {next}) kan ikke beregnes.")
NO_DEATHS_TABLE = (
    f"Life expectancy and mortality need the deaths by municipality, sex and age ({DEATHS_TABLE}), which are not in "
    f"the data: get them with `klyngedata data fetch --table {DEATHS_TABLE}` or import a StatBank export of "
    f"{DEATHS_TABLE} with `klyngedata data import FILE`.")
NO_POPULATION_TABLE = (
    "Life expectancy and mortality need the population by sex and age on 1 January (FOLK1A by single year of age, "
    "or FOLK1B), which is not in the data: get it with `klyngedata data fetch` or import a StatBank export with "
    "`klyngedata data import FILE`.")
NO_JANUARY_DA = "Befolkningen 1. januar {year} findes ikke i data, så personårene i {year} kan ikke beregnes."
NO_POPULATION_DA = "Befolkningen 1. januar {year} efter køn og alder findes ikke i data for {name}."
NO_DEATHS_DA = "Dødsfald i {year} findes ikke i data for {name} (Danmarks Statistik, {table})."


@dataclass
class MunicipalBands:
    """Deaths and person-years per municipality x sex x year x band (see the module docstring).

    ``deaths``, ``person_years``: float arrays of shape (codes, sexes, years, bands), NaN where missing;
    ``reasons``: an object array of the same shape, the Danish reason of each missing cell (``""`` else);
    ``years``: the years of the deaths table (``complete_years``: those with person-years, i.e. with the
    population of 1 January of the year and of the next)."""

    codes: list[str]
    sexes: list[str]
    years: list[int]
    bands: list[AgeBand]
    deaths: np.ndarray
    person_years: np.ndarray
    reasons: np.ndarray
    complete_years: list[int]
    population_table: str
    provenance: dict = field(default_factory=dict)
    deaths_codes: list[str] = field(default_factory=list)
    """The municipalities (and Christiansø) the deaths table has: the areas a region or Denmark is summed over."""

    @property
    def frame(self) -> pd.DataFrame:
        """The arrays as one tidy frame (schema in the module docstring)."""
        m, s, y, b = (a.ravel() for a in np.indices(self.deaths.shape))
        ends = pd.array([bd.hi for bd in self.bands], dtype="Int64")
        return pd.DataFrame({
            "municipality_code": np.asarray(self.codes, dtype=object)[m],
            "sex": np.asarray(self.sexes, dtype=object)[s], "year": np.asarray(self.years)[y],
            "age_start": np.asarray([bd.lo for bd in self.bands])[b], "age_end": ends.take(b),
            "deaths": self.deaths.ravel(), "person_years": self.person_years.ravel(),
            "reason_da": self.reasons.ravel(),
        })


def partition(bands: Sequence[AgeBand]) -> list[AgeBand]:
    """The finest bands of ``bands`` that cover every age from 0 to an open top band without overlap.

    Raises :class:`~klyngedata.exceptions.DataFormatError` naming the first age no band starts at.

    >>> [b.label for b in partition([AgeBand(0, 4), AgeBand(5, None), AgeBand(0, 0), AgeBand(1, 4)])]
    ['0', '1-4', '5+']
    """
    by_start: dict[int, list[AgeBand]] = {}
    for b in set(bands):
        by_start.setdefault(b.lo, []).append(b)
    out, age = [], 0
    while True:
        here = by_start.get(age)
        if not here:
            have = ", ".join(b.label for b in sorted(set(bands)))
            raise DataFormatError(f"the age bands ({have}) do not cover every age from 0 up to an open top band: "
                                  f"no band starts at {age}")
        closed = [b for b in here if b.hi is not None]
        if not closed:
            out.append(here[0])
            return out
        b = min(closed, key=lambda x: x.hi)  # the narrowest: the finest partition
        out.append(b)
        age = b.hi + 1


def _edges(bands: Sequence[AgeBand]) -> tuple[set[int], int]:
    """The edges of a partition and the start of its open band."""
    return {b.lo for b in bands}, bands[-1].lo


def common_edges(deaths: Sequence[AgeBand], population: Sequence[AgeBand] | None, top: int | None = TOP
                 ) -> list[int]:
    """The band starts both tables can give, the last one being the open band's (see the module docstring).
    ``population=None``: single years (every edge).

    >>> five = [AgeBand(a, a + 4) for a in range(0, 100, 5)] + [AgeBand(100, None)]
    >>> fod = [AgeBand(0, 0), AgeBand(1, 4)] + [AgeBand(a, a + 4) for a in range(5, 95, 5)] + [AgeBand(95, None)]
    >>> common_edges(fod, None)[:4], common_edges(fod, None)[-1], common_edges(fod, five)[:2]
    ([0, 1, 5, 10], 90, [0, 5])
    >>> common_edges(fod, None, top=None)[-1]
    95
    """
    d_edges, d_open = _edges(deaths)
    p_edges, p_open = _edges(population) if population is not None else (set(range(d_open + 1)), d_open)
    limit = min(d_open, p_open)
    shared = sorted(e for e in d_edges & p_edges if e <= limit)
    if top is not None and top in shared:
        return [e for e in shared if e <= top]
    return shared


def _band_index(starts: np.ndarray, edges: Sequence[int]) -> np.ndarray:
    """Index of the target band (of ``edges``) each source band start falls in."""
    return np.searchsorted(np.asarray(edges), starts, side="right") - 1


def _scatter(rows: pd.DataFrame, codes: list[str], sexes: list[str], years: list[int], n_bands: int,
             absent_da: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Long rows (``municipality_code, sex, year, band, value, reason_da``) summed into an array codes x sexes x
    years x bands; a cell with a missing part is missing (NaN: never a partial sum), a cell without rows too,
    with ``absent_da[code, year]`` as its reason."""
    shape = (len(codes), len(sexes), len(years), n_bands)
    idx = (pd.Categorical(rows["municipality_code"], categories=codes).codes,
           pd.Categorical(rows["sex"], categories=sexes).codes,
           pd.Categorical(rows["year"], categories=years).codes, rows["band"].to_numpy())
    keep = (idx[0] >= 0) & (idx[1] >= 0) & (idx[2] >= 0)
    idx = tuple(i[keep] for i in idx)
    values = rows["value"].to_numpy(dtype="float64")[keep]
    out, seen = np.zeros(shape), np.zeros(shape, dtype=np.int64)
    np.add.at(out, idx, values)  # NaN + x = NaN: a missing part makes the sum missing
    np.add.at(seen, idx, 1)
    reasons = np.full(shape, "", dtype=object)
    given = rows["reason_da"].to_numpy(dtype=object)[keep]
    has = given != ""
    reasons[tuple(i[has] for i in idx)] = given[has]
    absent = seen == 0
    out[absent] = np.nan
    m, _, y, _ = np.nonzero(absent)
    reasons[absent] = absent_da[m, y]
    return out, reasons


# ---------------------------------------------------------------------------------------------
# deaths
# ---------------------------------------------------------------------------------------------
def _deaths_frame(data_dir, deaths: pd.DataFrame | None) -> tuple[pd.DataFrame, dict]:
    if deaths is None:
        from klyngedata.dst.health_store import load_health_table

        try:
            deaths = load_health_table(DEATHS_TABLE, data_dir)
        except DataNotAvailable as exc:
            raise DataNotAvailable(NO_DEATHS_TABLE) from exc
    prov = dict(deaths.attrs.get("provenance") or {})
    d = deaths[(deaths["area_level"] == "municipality") & ~deaths["age_total"].astype(bool)]
    if "measure" in d.columns:
        d = d[d["measure"] == "deaths"]
    sexes = ["male", "female"] if d["sex"].isin(["male", "female"]).any() else ["total"]
    d = d[d["sex"].isin(sexes)]
    if d.empty:
        raise DataNotAvailable(f"the cached {DEATHS_TABLE} has no deaths by municipality and age band")
    return d, prov


def _year(code: object) -> int:
    p = parse_period(code)
    if period_kind(p) != "year":
        raise DataFormatError(f"{DEATHS_TABLE}: expected calendar years, got the period {code!r}")
    return int(p.year)


def _bands_of(frame: pd.DataFrame) -> list[AgeBand]:
    """The finest partition of the bands a tidy health table has (its own bands, read from the data)."""
    pairs = frame[["age_lo", "age_hi"]].drop_duplicates()
    return partition([AgeBand(int(lo), None if pd.isna(hi) else int(hi))
                      for lo, hi in zip(pairs["age_lo"], pairs["age_hi"], strict=True)])


def _in_partition(frame: pd.DataFrame, bands: list[AgeBand]) -> pd.DataFrame:
    """The rows of ``frame`` whose band is one of ``bands`` (overlapping extra bands left out)."""
    key = pd.MultiIndex.from_arrays([frame["age_lo"].astype(int).to_numpy(),
                                     frame["age_hi"].astype("float64").fillna(-1).astype(int).to_numpy()])
    return frame[key.isin([(b.lo, -1 if b.hi is None else b.hi) for b in bands])]


def _long(frame: pd.DataFrame, edges: list[int], year: pd.Series) -> pd.DataFrame:
    """``municipality_code, sex, year, band, value, reason_da`` of a tidy health frame."""
    return pd.DataFrame({
        "municipality_code": frame["municipality_code"].astype(str).to_numpy(),
        "sex": frame["sex"].astype(str).to_numpy(), "year": year.astype(int).to_numpy(),
        "band": _band_index(frame["age_lo"].astype(int).to_numpy(), edges),
        "value": pd.to_numeric(frame["value"], errors="coerce").astype("float64").to_numpy(),
        "reason_da": frame["reason_da"].astype(object).where(frame["reason_da"].notna(), "").to_numpy(),
    })


# ---------------------------------------------------------------------------------------------
# population on 1 January
# ---------------------------------------------------------------------------------------------
def _january(period: object) -> int | None:
    """The year whose 1 January a population period counts (first quarter or month), else None."""
    p = parse_period(period)
    kind = period_kind(p)
    if (kind == "quarter" and p.quarter == 1) or (kind == "month" and p.month == 1):
        return int(p.year)
    return None


def _folk1a(data_dir, edges: list[int]) -> tuple[pd.DataFrame, str]:
    """Municipality population by sex and the bands of ``edges`` on each 1 January (FOLK1A/FOLK1AM)."""
    from klyngedata.population import population

    pop = population("municipality", period="all", by=["sex"], age_groups=edges, data_dir=data_dir)
    years = pop["period"].map({p: _january(p) for p in pop["period"].unique()})
    pop, years = pop[years.notna()], years[years.notna()]
    if pop.empty:
        raise DataNotAvailable("the cached population has no counts on 1 January by sex and age")
    lo = pop["age_group"].astype(str).map({a: parse_age(a).lo for a in pop["age_group"].astype(str).unique()})
    prov = (pop.attrs.get("provenance") or [{}])[0]
    frame = pd.DataFrame({"municipality_code": pop["entity_id"], "sex": pop["sex"], "age_lo": lo,
                          "value": pop["population"], "reason_da": pop["reason_da"]})
    return _long(frame, edges, years), str(prov.get("table") or "FOLK1A")


def _banded(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """A population in the health tables' tidy schema (FOLK1B): municipalities, sexes, bands, 1 January."""
    p = frame[(frame["area_level"] == "municipality") & ~frame["age_total"].astype(bool)
              & frame["sex"].isin(["male", "female"])]
    years = p["period"].map({c: _january(c) for c in p["period"].unique()})
    return p[years.notna()], years[years.notna()]


def _population(data_dir, population: pd.DataFrame | None, deaths_bands: list[AgeBand], top: int | None
                ) -> tuple[pd.DataFrame, list[int], str]:
    """Population per municipality x sex x 1 January x target band (long), the band starts and the table."""
    if population is None:
        edges = common_edges(deaths_bands, None, top)
        try:
            long, table = _folk1a(data_dir, edges)
            return long, edges, table
        except KlyngedataError as first:  # FOLK1A not cached by age, or its open group below the edges
            from klyngedata.dst.health_store import load_health_table

            try:
                population = load_health_table("FOLK1B", data_dir)
            except DataNotAvailable:
                raise DataNotAvailable(NO_POPULATION_TABLE) from first
    table = str((population.attrs.get("provenance") or {}).get("table") or "FOLK1B")
    p, years = _banded(population)
    bands = _bands_of(p)
    edges = common_edges(deaths_bands, bands, top)
    keep = _in_partition(p, bands).index
    return _long(p.loc[keep], edges, years.loc[keep]), edges, table


# ---------------------------------------------------------------------------------------------
# together
# ---------------------------------------------------------------------------------------------
def _absent_reasons(codes: list[str], years: list[int], names: dict[str, str], template: str) -> np.ndarray:
    return np.array([[template.format(year=y, name=names.get(c, c), table=DEATHS_TABLE) for y in years]
                     for c in codes], dtype=object).reshape(len(codes), len(years))


def _person_years(stock: np.ndarray, reasons: np.ndarray, stock_years: list[int], years: list[int]
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Person-years in each of ``years``: the mean of the stocks on 1 January of the year and of the next."""
    shape = (*stock.shape[:2], len(years), stock.shape[3])
    py, why = np.full(shape, np.nan), np.full(shape, "", dtype=object)
    where = {y: i for i, y in enumerate(stock_years)}
    for k, y in enumerate(years):
        a, b = where.get(y), where.get(y + 1)
        if a is None or b is None:
            missing = y if a is None else y + 1
            why[:, :, k, :] = (NO_NEXT_YEAR_DA if missing == y + 1 else NO_JANUARY_DA).format(year=y, next=y + 1)
            continue
        py[:, :, k, :] = (stock[:, :, a, :] + stock[:, :, b, :]) / 2.0
        why[:, :, k, :] = np.where(reasons[:, :, a, :] != "", reasons[:, :, a, :], reasons[:, :, b, :])
    return py, why


def _with_total(values: np.ndarray, reasons: np.ndarray, sexes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Add the sex ``total`` (male + female; NaN where either is missing) as the last sex."""
    if sexes != ["male", "female"]:
        return values, reasons
    total = values[:, :1] + values[:, 1:2]
    why = np.where(reasons[:, :1] != "", reasons[:, :1], reasons[:, 1:2])
    return np.concatenate([values, total], axis=1), np.concatenate([reasons, why], axis=1)


def municipal_bands(data_dir: str | os.PathLike[str] | None = None, *, deaths: pd.DataFrame | None = None,
                    population: pd.DataFrame | None = None, top: int | None = TOP,
                    names: dict[str, str] | None = None) -> MunicipalBands:
    """Deaths and person-years per municipality x sex x year x common band (see the module docstring).

    ``deaths``: FOD207 in the health tables' tidy schema (default: the cache); ``population``: a population on
    1 January in the same schema (FOLK1B-like; default: FOLK1A from the cache, else FOLK1B); ``names``:
    municipality code -> name for the Danish reasons.

    Example
    -------
    Needs deaths (FOD207) and population by sex and age imported into the data directory; not run as a doctest.
    >>> municipal_bands(data_dir="/tmp/kd").frame.head()  # doctest: +SKIP
    """
    d, prov = _deaths_frame(data_dir, deaths)
    d_bands = _bands_of(d)
    pop, edges, table = _population(data_dir, population, d_bands, top)
    if len(edges) < 2:
        raise DataFormatError(f"the age bands of {DEATHS_TABLE} ({', '.join(b.label for b in d_bands)}) and of the "
                              "population have no common edges to form a life table")
    d = _in_partition(d, d_bands)
    d_long = _long(d, edges, d["period"].map({c: _year(c) for c in d["period"].unique()}))
    sexes = sorted(set(d_long["sex"]), key=["male", "female", "total"].index)
    if sexes == ["total"]:  # a deaths table without sexes: the population of both sexes
        pop = pop.assign(sex="total")
    years = sorted(set(d_long["year"]))
    stock_years = sorted(set(pop["year"]))
    codes = sorted(set(d_long["municipality_code"]) | set(pop["municipality_code"]))
    names = names or {}
    n = len(edges)
    deaths_a, deaths_why = _scatter(d_long, codes, sexes, years, n, _absent_reasons(codes, years, names,
                                                                                     NO_DEATHS_DA))
    stock, stock_why = _scatter(pop, codes, sexes, stock_years, n, _absent_reasons(codes, stock_years, names,
                                                                                   NO_POPULATION_DA))
    py, py_why = _person_years(stock, stock_why, stock_years, years)
    reasons = np.where(deaths_why != "", deaths_why, py_why)
    deaths_a, _ = _with_total(deaths_a, reasons, sexes)
    py, reasons = _with_total(py, reasons, sexes)
    reasons = np.where(np.isnan(deaths_a) | np.isnan(py), reasons, "")
    if sexes == ["male", "female"]:
        sexes = [*sexes, "total"]
    bands = [AgeBand(lo, hi - 1) for lo, hi in zip(edges, edges[1:], strict=False)] + [AgeBand(edges[-1], None)]
    provenance = {"deaths": {k: prov.get(k) for k in ("table", "title", "periods", "fetched_at", "file", "updated")
                             if prov.get(k) is not None} or {"table": DEATHS_TABLE},
                  "population": {"table": table}, "deaths_bands": [b.label for b in d_bands]}
    complete = [y for y in years if y in stock_years and y + 1 in stock_years]
    return MunicipalBands(codes, sexes, years, bands, deaths_a, py, reasons, complete, table, provenance,
                          sorted(set(d_long["municipality_code"])))
