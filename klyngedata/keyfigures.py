"""Population key figures (nøgletal) for a cluster, its municipalities, its region and Denmark.

Everything here is a pure function of a tidy population frame (schema in ARCHITECTURE.md / the
docstring of :func:`klyngedata.population.population`)::

    level, entity_id, entity_name, period, sex, age | age_group, population

``level`` is ``"municipality"``, ``"cluster"``, ``"region"`` or ``"country"`` (the Danish ``"kommune"``,
``"klynge"``, ``"land"`` are accepted), ``sex`` is ``"total"``, ``"male"`` or ``"female"`` (missing column =
total), ``age`` holds single years (0 … 125), ``age_group`` labels such as ``"0-4"``, ``"65+"`` or
``"100 år og derover"``; a frame with neither holds totals only. ``period`` is a :class:`pandas.Period`
(or a StatBank label such as ``"2024M01"``, ``"2024K1"``, ``"2024"``).

Figures (ids, Danish labels, units and definitions are in :mod:`klyngedata.catalogue`):

* ``population``; ``growth_{1,5,10}y`` and ``growth_{1,5,10}y_pct`` (the same month/quarter/year 1, 5 and 10
  years earlier; when the data do not go back that far the figure is left out and listed in
  ``attrs["missing"]`` – never extrapolated);
* ``share_0_17``, ``share_18_64``, ``share_65_plus``, ``share_80_plus``, ``pop_65_plus``, ``pop_80_plus``;
* ``old_age_dependency`` = 100 x (65+) / (18-64);
* ``median_age`` (single-year ages, linear interpolation inside the median year, see :func:`median_age`);
* ``proj_{65,80}_plus_change_{5,10}y[_pct]`` from a projection frame (``kind="projection"``, yearly), from the
  projection's first year (base year) to 5 and 10 years later.

Aggregation: when a frame holds only municipalities, clusters are summed from their member municipalities
(``registry.membership``; ``"share"`` allocations are multiplied by the share; a ``"unit"`` split without
unit population – København 0101 split by bydel – cannot be computed and is reported as missing), regions
from all their municipalities (Christiansø 0411 counted in Region Hovedstaden, as Statistics Denmark does)
and Denmark from all municipalities present. Rows already present for a cluster/region/country in the
frame are used as they are. A cell is only summed when *every* member has it (no partial sums).

Population figures are public Statistics Denmark counts, not health data, so no small-count suppression is
applied (``suppressed`` is always ``False``); the column is there so that the key-figure schema is the same
for health indicators.

Example
-------
>>> import pandas as pd
>>> CONSTRUCTED = pd.DataFrame({"level": "municipality", "entity_id": "0001", "entity_name": "Eksempel",
...     "period": pd.Period("2024Q1"), "sex": "total", "age": [10, 40, 70, 85], "population": [2, 4, 3, 1]})
>>> figs = compute_figures(CONSTRUCTED)
>>> figs.set_index("figure_id").loc[["population", "share_65_plus", "old_age_dependency"], "value"].tolist()
[10.0, 40.0, 100.0]
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from klyngedata import catalogue
from klyngedata.codes import normalize_municipality_code, normalize_region_code
from klyngedata.exceptions import DataFormatError, DataNotAvailable, KlyngedataError
from klyngedata.outcomes import PUBLISHED_COLUMNS, published_outcomes

__all__ = [
    "age_pyramid",
    "age_range_sum",
    "comparison_frame",
    "compute_figures",
    "format_value",
    "growth",
    "key_figures",
    "median_age",
    "municipality_ranking",
    "missing_figures",
    "normalize_population_frame",
    "old_age_dependency_ratio",
    "period_label",
    "to_period",
]

CHRISTIANSOE = "0411"
CHRISTIANSOE_REGION = "1084"
COUNTRY_ID = "DK"
COUNTRY_NAME = "Hele landet"

_LEVEL_ALIASES = {
    "municipality": "municipality", "kommune": "municipality", "kommuner": "municipality",
    "cluster": "cluster", "klynge": "cluster", "sundhedsklynge": "cluster",
    "region": "region", "regioner": "region",
    "country": "country", "land": "country", "national": "country", "denmark": "country",
    "danmark": "country", "hele landet": "country",
}
_SEX_ALIASES = {
    "total": "total", "tot": "total", "i alt": "total", "ialt": "total", "begge køn": "total", "t": "total",
    "male": "male", "m": "male", "mænd": "male", "mand": "male", "1": "male",
    "female": "female", "f": "female", "k": "female", "kvinder": "female", "kvinde": "female", "2": "female",
}
_SEX_DA = {"male": "Mænd", "female": "Kvinder", "total": "I alt"}
_TOTAL_AGE = {"total", "i alt", "ialt", "alder i alt", "tot", "all", "alle"}

_BANDS = {"share_0_17": (0, 17), "share_18_64": (18, 64), "share_65_plus": (65, None),
          "share_80_plus": (80, None)}
_OUT_COLUMNS = ["entity_level", "entity_id", "entity_name", "figure_id", "label_da", "value", "unit",
                "period", "base_period", "note_da", "numerator", "denominator"]


# --------------------------------------------------------------------------------------------------
# periods and labels
# --------------------------------------------------------------------------------------------------

_PERIOD_RE = re.compile(r"^\s*(\d{4})\s*(?:([MKQ])\s*(\d{1,2}))?\s*$", re.IGNORECASE)


def to_period(value: object) -> pd.Period:
    """Parse a StatBank period label (``"2024M01"``, ``"2024K1"``, ``"2024Q1"``, ``"2024"``) or a Period.

    Example
    -------
    >>> to_period("2024M01"), to_period("2024K1"), to_period(2030)
    (Period('2024-01', 'M'), Period('2024Q1', 'Q-DEC'), Period('2030', 'Y-DEC'))
    """
    if isinstance(value, pd.Period):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return pd.Period(year=int(value), freq="Y")
    m = _PERIOD_RE.match(str(value))
    if not m:
        try:
            return pd.Period(str(value))
        except (ValueError, TypeError) as exc:
            raise DataFormatError(f"not a period: {value!r} (expected e.g. 2024M01, 2024K1, 2024)") from exc
    year, kind, num = m.group(1), (m.group(2) or "").upper(), m.group(3)
    if not kind:
        return pd.Period(year=int(year), freq="Y")
    if kind == "M":
        return pd.Period(year=int(year), month=int(num), freq="M")
    return pd.Period(year=int(year), quarter=int(num), freq="Q")


def period_label(p: object) -> str:
    """StatBank-style label of a period: ``2024M01``, ``2024K1``, ``2024``.

    Example
    -------
    >>> period_label(pd.Period("2024-01", "M")), period_label(pd.Period("2024Q1")), period_label("2030")
    ('2024M01', '2024K1', '2030')
    """
    p = to_period(p)
    code = p.freqstr[0]
    if code == "M":
        return f"{p.year}M{p.month:02d}"
    if code == "Q":
        return f"{p.year}K{p.quarter}"
    if code in ("Y", "A"):
        return f"{p.year}"
    return str(p)


def _periods_per_year(p: pd.Period) -> int:
    code = p.freqstr[0]
    if code == "M":
        return 12
    if code == "Q":
        return 4
    if code in ("Y", "A"):
        return 1
    raise DataFormatError(f"period {p} has frequency {p.freqstr}; expected monthly, quarterly or yearly data")


# --------------------------------------------------------------------------------------------------
# normalising the tidy frame
# --------------------------------------------------------------------------------------------------

_AGE_RANGE_RE = re.compile(r"^(\d{1,3})\s*(?:-|–|—|til)\s*(\d{1,3})(?:\s*år)?$")
_AGE_OPEN_RE = re.compile(r"^(\d{1,3})\s*(?:\+|år\s*\+|\s*år og derover|\s*og derover|\+\s*år)$")
_AGE_SINGLE_RE = re.compile(r"^(\d{1,3})(?:\s*år)?$")


def _parse_age(label: object) -> tuple[int, int | None] | None:
    """``(lo, hi)`` inclusive (``hi`` None = open-ended) or ``None`` for an all-ages total."""
    if label is None or label is pd.NA or (isinstance(label, float) and math.isnan(label)):
        return None
    if isinstance(label, (int, np.integer)) and not isinstance(label, bool):
        return int(label), int(label)
    if isinstance(label, (float, np.floating)) and float(label).is_integer():
        return int(label), int(label)
    s = str(label).strip().lower()
    if s in _TOTAL_AGE:
        return None
    for rx, open_ in ((_AGE_SINGLE_RE, False), (_AGE_RANGE_RE, False), (_AGE_OPEN_RE, True)):
        m = rx.match(s)
        if m:
            lo = int(m.group(1))
            if open_:
                return lo, None
            hi = int(m.group(2)) if m.lastindex and m.lastindex >= 2 else lo
            if hi < lo:
                break
            return lo, hi
    raise DataFormatError(f"population frame: cannot read age label {label!r} (expected e.g. 7, '0-4', '65+')")


MISSING_REASON = "Danmarks Statistik har ikke offentliggjort befolkningstallet (markeret '..' i kilden)"


def normalize_population_frame(df: pd.DataFrame, *, name: str = "population frame") -> pd.DataFrame:
    """Return the tidy frame in the internal form used by this module.

    Columns: ``level, entity_id, entity_name, period (Period), sex ("total"|"male"|"female"), age_lo (Int64),
    age_hi (Int64, NA = open-ended), age_total (bool: an all-ages row), population (float64)``. Codes are
    normalised (``"851"`` -> ``"0851"``, ``"081"`` -> ``"1081"``). Raises :class:`DataFormatError` naming the
    column (and row) when something cannot be read.

    The parser schema of :mod:`klyngedata.sources` (``area_level, area_code, sex, age, age_open, period,
    population``) is accepted as well.

    Example
    -------
    >>> CONSTRUCTED = pd.DataFrame({"level": ["kommune"], "entity_id": [851], "entity_name": ["Aalborg"],
    ...                             "period": ["2024K1"], "age_group": ["65+"], "population": [5]})
    >>> row = normalize_population_frame(CONSTRUCTED).iloc[0]
    >>> row["level"], row["entity_id"], row["sex"], int(row["age_lo"]), row["age_hi"] is pd.NA
    ('municipality', '0851', 'total', 65, True)
    """
    if not isinstance(df, pd.DataFrame):
        raise DataFormatError(f"{name}: expected a pandas DataFrame, got {type(df).__name__}")
    if "level" not in df.columns and {"area_level", "area_code"} <= set(df.columns):
        # the parser schema of klyngedata.sources (area_level/area_code, age + age_open)
        prov = df.attrs.get("provenance")
        df = df.rename(columns={"area_level": "level", "area_code": "entity_id"})
        df.attrs["provenance"] = prov
    missing = [c for c in ("level", "entity_id", "period", "population") if c not in df.columns]
    if missing:
        raise DataFormatError(
            f"{name}: missing column(s) {missing}; expected level, entity_id, entity_name, period, sex, "
            f"age | age_group, population (got {list(df.columns)})"
        )
    n = len(df)
    out = pd.DataFrame(index=pd.RangeIndex(n))

    def first_row(codes: np.ndarray, k: int) -> int:
        return int(np.flatnonzero(codes == k)[0])

    def mapped(column: str, fn: Any) -> tuple[np.ndarray, list]:
        """Apply ``fn`` to each distinct value of ``column`` (errors name the first row with that value)."""
        codes, uniques = pd.factorize(df[column].astype("object"), use_na_sentinel=False)
        values = []
        for k, u in enumerate(uniques):
            try:
                values.append(fn(u))
            except (KlyngedataError, ValueError) as exc:
                raise DataFormatError(f"{name}: row {first_row(codes, k)}, column {column!r}: {exc}") from None
        return codes, values

    def level_of(u: object) -> str:
        lvl = _LEVEL_ALIASES.get(str(u).strip().lower()) if not pd.isna(u) else None
        if lvl is None:
            raise ValueError(f"unknown level {u!r}")
        return lvl

    lcodes, lvals = mapped("level", level_of)
    level_arr = np.asarray(lvals, dtype=object)[lcodes]
    out["level"] = level_arr

    raw_codes, raw_uniques = pd.factorize(df["entity_id"].astype("object"), use_na_sentinel=False)
    pair_codes, pair_uniques = pd.factorize(pd.Series(lcodes * (len(raw_uniques) + 1) + raw_codes))
    ids = []
    for k, pair in enumerate(pair_uniques):
        lvl, raw = lvals[int(pair) // (len(raw_uniques) + 1)], raw_uniques[int(pair) % (len(raw_uniques) + 1)]
        try:
            if lvl == "municipality":
                ids.append(normalize_municipality_code(raw))
            elif lvl == "region":
                ids.append(normalize_region_code(raw))
            elif lvl == "country":
                ids.append(COUNTRY_ID)
            else:
                ids.append(str(raw))
        except ValueError as exc:
            raise DataFormatError(f"{name}: row {first_row(pair_codes, k)}, column 'entity_id': {exc}") from None
    out["entity_id"] = np.asarray(ids, dtype=object)[pair_codes]
    if "entity_name" in df.columns:
        out["entity_name"] = df["entity_name"].astype("string").to_numpy()
    else:
        out["entity_name"] = pd.array([pd.NA] * n, dtype="string")

    if isinstance(df["period"].dtype, pd.PeriodDtype):
        out["period"] = df["period"].array
    else:
        pcodes, pvals = mapped("period", to_period)
        freqs = {p.freqstr for p in pvals}
        if len(freqs) == 1 and pvals:
            out["period"] = pd.array(pvals).take(pcodes)
        else:
            out["period"] = np.asarray(pvals, dtype=object)[pcodes]

    if "sex" in df.columns:
        def sex_of(u: object) -> str:
            v = _SEX_ALIASES.get(str(u).strip().lower()) if not pd.isna(u) else None
            if v is None:
                raise ValueError(f"unknown value {u!r}")
            return v

        scodes, svals = mapped("sex", sex_of)
        out["sex"] = np.asarray(svals, dtype=object)[scodes]
    else:
        out["sex"] = "total"

    age_col = None
    if "age" in df.columns:
        age_col = "age"
        if "age_group" in df.columns:
            df = df.assign(age=df["age"].astype("object").where(df["age"].notna(), df["age_group"].astype("object")))
    elif "age_group" in df.columns:
        age_col = "age_group"
    if age_col is None:
        out["age_lo"] = pd.array([pd.NA] * n, dtype="Int64")
        out["age_hi"] = pd.array([pd.NA] * n, dtype="Int64")
        out["age_total"] = True
    else:
        acodes, avals = mapped(age_col, lambda u: _parse_age(None if pd.isna(u) else u))
        lo = np.array([np.nan if t is None else t[0] for t in avals], dtype="float64")[acodes]
        hi = np.array([np.nan if t is None or t[1] is None else t[1] for t in avals], dtype="float64")[acodes]
        total = np.array([t is None for t in avals], dtype=bool)[acodes]
        if "age_open" in df.columns:  # klyngedata.sources convention: age 100 + age_open -> "100+"
            is_open = df["age_open"].fillna(False).astype(bool).to_numpy() & ~total
            hi[is_open] = np.nan
        out["age_lo"] = pd.array(lo, dtype="Float64").astype("Int64")
        out["age_hi"] = pd.array(hi, dtype="Float64").astype("Int64")
        out["age_total"] = total

    pop = pd.to_numeric(df["population"], errors="coerce")
    bad = pop.isna() & df["population"].notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataFormatError(f"{name}: row {i}, column 'population': not a number: {df['population'].iloc[i]!r}")
    neg = pop < 0
    if neg.any():
        i = int(np.flatnonzero(neg.fillna(False).to_numpy())[0])
        raise DataFormatError(f"{name}: row {i}, column 'population': negative count {pop.iloc[i]}")
    out["population"] = pop.astype("float64").to_numpy()
    # a missing count (StatBank '..') stays, with its Danish reason: figures over it are missing, never partial
    reasons = df["reason_da"] if "reason_da" in df.columns else pd.Series(pd.NA, index=df.index)
    out["reason_da"] = reasons.astype("string").to_numpy()
    na = out["population"].isna() & out["reason_da"].isna()
    out.loc[na, "reason_da"] = MISSING_REASON
    out.attrs["provenance"] = _provenance_list(df.attrs.get("provenance"))
    return out


# --------------------------------------------------------------------------------------------------
# pure arithmetic on age distributions
# --------------------------------------------------------------------------------------------------

Band = tuple[int, "int | None", float]


def _as_bands(counts: Mapping[int, float] | pd.Series | Iterable[tuple]) -> list[Band]:
    if isinstance(counts, pd.Series):
        items: Iterable = counts.items()
        bands = [(int(a), int(a), float(v)) for a, v in items]
    elif isinstance(counts, Mapping):
        bands = [(int(a), int(a), float(v)) for a, v in counts.items()]
    else:
        bands = [(int(lo), None if hi is None or pd.isna(hi) else int(hi), float(v)) for lo, hi, v in counts]
    return sorted(bands, key=lambda b: b[0])


def age_range_sum(counts: Mapping[int, float] | pd.Series | Iterable[tuple], lo: int,
                  hi: int | None = None) -> float | None:
    """Number of persons aged ``lo`` … ``hi`` (inclusive; ``hi=None`` = ``lo`` and over).

    ``counts`` is a single-year distribution (mapping/Series age -> persons) or bands ``(lo, hi, n)`` with
    ``hi=None`` for an open top band. Returns ``None`` when a band straddles a limit (e.g. 15-19 for
    0-17), because the split inside a band is unknown.

    Example
    -------
    >>> age_range_sum({16: 3, 17: 2, 18: 5}, 0, 17)
    5.0
    >>> age_range_sum([(15, 19, 10), (20, 24, 4)], 0, 17) is None
    True
    """
    total = 0.0
    for blo, bhi, n in _as_bands(counts):
        b_top = math.inf if bhi is None else bhi
        top = math.inf if hi is None else hi
        if blo >= lo and b_top <= top:
            total += n
        elif b_top < lo or blo > top:
            continue
        else:
            return None
    return total


def median_age(counts: Mapping[int, float] | pd.Series | Iterable[tuple], max_width: int | None = 5) -> float | None:
    """Median age with linear interpolation inside the year (or band) where the median falls.

    Each single-year age ``a`` is taken to cover ``[a, a+1)`` with its persons spread evenly; with
    ``N`` persons in all, ``K`` persons younger than ``a`` and ``n`` persons aged ``a``, where ``a`` is the
    first age at which the cumulative count reaches ``N/2``::

        median = a + (N/2 - K) / n

    A band ``lo``-``hi`` is treated as ``[lo, hi+1)``. Returns ``None`` for an empty distribution, when the
    median falls in an open-ended band, or in a band wider than ``max_width`` years (default 5: a median
    interpolated inside e.g. 18-64 would mostly reflect the assumption of an even spread, not the data).

    Example (constructed): ages 20, 30, 30, 40, 50 -> N/2 = 2.5, K = 1 below 30, n = 2 aged 30
    -> 30 + (2.5 - 1) / 2 = 30.75

    >>> median_age({20: 1, 30: 2, 40: 1, 50: 1})
    30.75
    """
    bands = [b for b in _as_bands(counts) if b[2] > 0]
    n_all = sum(b[2] for b in bands)
    if n_all <= 0:
        return None
    half = n_all / 2.0
    cum = 0.0
    for lo, hi, n in bands:
        if cum + n >= half:
            if hi is None:
                return None
            width = hi + 1 - lo
            if max_width is not None and width > max_width:
                return None
            return lo + (half - cum) / n * width
        cum += n
    return None  # pragma: no cover (unreachable: cum reaches n_all)


def old_age_dependency_ratio(counts: Mapping[int, float] | pd.Series | Iterable[tuple]) -> float | None:
    """Old-age dependency ratio: persons 65+ per 100 persons aged 18-64 (``None`` if not computable).

    Example (constructed): 3 persons aged 70, 6 aged 30 -> 100 x 3 / 6 = 50.0

    >>> old_age_dependency_ratio({30: 6, 70: 3})
    50.0
    """
    old = age_range_sum(counts, 65, None)
    working = age_range_sum(counts, 18, 64)
    if old is None or working is None or working == 0:
        return None
    return 100.0 * old / working


# --------------------------------------------------------------------------------------------------
# per entity/period profiles
# --------------------------------------------------------------------------------------------------

@dataclass
class _Profile:
    total: float | None
    bands: list[Band] | None  # both sexes, sorted; None = no age breakdown
    reason_age: str = ""
    reason_total: str = ""


def _first_reason(rows: pd.DataFrame) -> str:
    """The Danish reason of the first missing count in ``rows``."""
    miss = rows[rows["population"].isna()]
    if "reason_da" in miss.columns and miss["reason_da"].notna().any():
        return str(miss["reason_da"].dropna().iloc[0])
    return MISSING_REASON


def _sum_sexes(rows: pd.DataFrame) -> pd.DataFrame | None:
    """Rows for both sexes together: the ``total`` rows, else male+female summed (both required)."""
    if rows.empty:
        return None
    tot = rows[rows["sex"] == "total"]
    if not tot.empty:
        return tot
    sexes = set(rows["sex"])
    if {"male", "female"} <= sexes:
        keys = ["age_lo", "age_hi", "age_total"]
        rows = rows.assign(_na=rows["population"].isna())
        g = rows.groupby(keys, dropna=False, sort=False)
        s = g["population"].sum().where(~g["_na"].any())  # one sex missing -> both sexes missing
        cnt = g["sex"].nunique()
        out = pd.DataFrame({"population": s, "reason_da": g["reason_da"].first() if "reason_da" in rows.columns
                            else pd.NA})[cnt == 2]
        return out.reset_index()
    return None


def _profile(rows: pd.DataFrame) -> _Profile:
    both = _sum_sexes(rows)
    if both is None or both.empty:
        return _Profile(None, None, "ingen data for begge køn", "ingen data for begge køn")
    totals = both[both["age_total"]]
    ages = both[~both["age_total"]]
    bands: list[Band] | None = None
    reason = ""
    if ages["population"].isna().any():  # a missing year: no age figure, never one from the other years
        reason = _first_reason(ages)
        ages = ages.iloc[0:0]
        if totals.empty:
            return _Profile(None, None, reason, reason)
    if totals["population"].isna().any():
        why = _first_reason(totals)
        return _Profile(None, None, why, why)
    if not ages.empty:
        bands = sorted(
            ((int(lo), None if pd.isna(hi) else int(hi), float(v))
             for lo, hi, v in zip(ages["age_lo"], ages["age_hi"], ages["population"], strict=True)),
            key=lambda b: b[0],
        )
        # bands must not overlap
        prev_top = -1
        for lo, hi, _ in bands:
            if lo <= prev_top:
                raise DataFormatError(f"population frame: overlapping age groups at age {lo}")
            prev_top = math.inf if hi is None else hi
    elif not reason:
        reason = "data har kun befolkningstal i alt (ingen aldersfordeling)"
    total = float(totals["population"].sum()) if not totals.empty else (
        sum(b[2] for b in bands) if bands else None)
    return _Profile(total, bands, reason)


# --------------------------------------------------------------------------------------------------
# figures for every entity in a frame
# --------------------------------------------------------------------------------------------------

def _resolve_period(norm: pd.DataFrame, period: object, what: str = "population") -> pd.Period:
    if norm.empty:
        raise DataNotAvailable(f"the {what} frame is empty")
    uniq = pd.unique(norm["period"])
    freqs = sorted({p.freqstr for p in uniq})
    if period is None or (isinstance(period, str) and period.strip().lower() == "latest"):
        if len(freqs) > 1:
            raise DataFormatError(
                f"the {what} frame mixes period frequencies {freqs}; pass an explicit period (e.g. '2024K1')"
            )
        return max(uniq)
    p = to_period(period)
    if p not in set(uniq):
        have = sorted(q for q in uniq if q.freqstr == p.freqstr)
        span = f"{period_label(have[0])}-{period_label(have[-1])}" if have else f"none with frequency {p.freqstr}"
        raise DataNotAvailable(f"period {period_label(p)} is not in the {what} data (available: {span})")
    return p


def _row(entity: tuple[str, str, str], fid: str, value: float, period: pd.Period,
         base: pd.Period | None = None, note: str = "", numerator: float | None = None,
         denominator: float | None = None) -> dict[str, Any]:
    d = catalogue.figure(fid)
    return {
        "entity_level": entity[0], "entity_id": entity[1], "entity_name": entity[2], "figure_id": fid,
        "label_da": d.label_da, "value": float(value), "unit": d.unit, "period": period_label(period),
        "base_period": period_label(base) if base is not None else pd.NA, "note_da": note,
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

    Example (constructed, arithmetic by hand): 6 aged 30, 3 aged 70 -> 65+ share 3/9 = 33.3 %

    >>> CONSTRUCTED = pd.DataFrame({"level": "region", "entity_id": "1081", "period": "2024K1",
    ...                             "age": [30, 70], "population": [6, 3]})
    >>> round(float(compute_figures(CONSTRUCTED).set_index("figure_id").loc["share_65_plus", "value"]), 1)
    33.3
    """
    norm = population if _is_normalized(population) else normalize_population_frame(population)
    if entities is not None:
        keep = set(entities)
        norm = norm[norm["entity_id"].isin(keep)]
    p = _resolve_period(norm, period)
    ppy = _periods_per_year(p)
    proj = None
    if projection is not None:
        proj = projection if _is_normalized(projection) else normalize_population_frame(
            projection, name="projection frame")
    rows: list[dict] = []
    missing: list[dict] = []
    for (level, eid), g in norm.groupby(["level", "entity_id"], sort=False):
        names = g["entity_name"].dropna()
        entity = (level, eid, str(names.iloc[0]) if len(names) else eid)
        gp = g[g["period"] == p]
        if gp.empty:
            missing += _miss(entity, catalogue.POPULATION_FIGURES,
                             f"ingen befolkningstal for {period_label(p)}")
            continue
        prof = _profile(gp)
        if prof.total is None:
            missing += _miss(entity, catalogue.POPULATION_FIGURES, prof.reason_total or prof.reason_age)
            continue
        rows.append(_row(entity, "population", prof.total, p, numerator=prof.total))
        # growth
        have = set(g["period"])
        first = min(q for q in have if q.freqstr == p.freqstr)
        for years in (1, 5, 10):
            base = p - years * ppy
            fids = (f"growth_{years}y", f"growth_{years}y_pct")
            if base not in have:
                missing += _miss(entity, fids,
                                 f"{years}-års udvikling kræver data for {period_label(base)}; data går kun "
                                 f"tilbage til {period_label(first)}")
                continue
            bprof = _profile(g[g["period"] == base])
            if bprof.total is None:
                missing += _miss(entity, fids, f"ingen befolkningstal i alt for {period_label(base)}"
                                 + (f": {bprof.reason_total}" if bprof.reason_total else ""))
                continue
            change = prof.total - bprof.total
            note = f"{period_label(base)}-{period_label(p)}"
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
        if proj is None:
            missing += _miss(entity, proj_fids, "ingen befolkningsfremskrivning i data")
            continue
        rows_, miss_ = _projection_rows(entity, proj[(proj["level"] == level) & (proj["entity_id"] == eid)],
                                        projection_base)
        rows += rows_
        missing += miss_
    out = pd.DataFrame(rows, columns=_OUT_COLUMNS)
    out["value"] = out["value"].astype("float64")
    out["numerator"] = out["numerator"].astype("float64")
    out["denominator"] = out["denominator"].astype("float64")
    out.attrs["missing"] = missing
    out.attrs["period"] = period_label(p)
    return out


def _projection_rows(entity: tuple[str, str, str], g: pd.DataFrame,
                     base_year: object) -> tuple[list[dict], list[dict]]:
    rows: list[dict] = []
    missing: list[dict] = []
    all_fids = [f"proj_{g_}_change_{y}y{s}" for g_ in ("65_plus", "80_plus") for y in (5, 10)
                for s in ("", "_pct")]
    if g.empty:
        return rows, _miss(entity, all_fids, "enheden findes ikke i befolkningsfremskrivningen")
    years = sorted(g["period"].unique())
    if any(q.freqstr[0] not in ("Y", "A") for q in years):
        return rows, _miss(entity, all_fids, "befolkningsfremskrivningen skal have årlige perioder")
    base = years[0] if base_year is None else to_period(int(to_period(base_year).year))
    if base not in set(years):
        return rows, _miss(entity, all_fids, f"basisåret {period_label(base)} er ikke i fremskrivningen")
    bprof = _profile(g[g["period"] == base])
    for label_, gid, lo in (("65+", "65_plus", 65), ("80+", "80_plus", 80)):
        b = age_range_sum(bprof.bands, lo, None) if bprof.bands else None
        for y in (5, 10):
            fids = (f"proj_{gid}_change_{y}y", f"proj_{gid}_change_{y}y_pct")
            target = base + y
            if b is None:
                missing += _miss(entity, fids, f"fremskrivningen har ingen aldersfordeling for {label_}")
                continue
            if target not in set(years):
                missing += _miss(entity, fids, f"fremskrivningen rækker ikke til {period_label(target)} "
                                               f"(sidste år {period_label(years[-1])})")
                continue
            tprof = _profile(g[g["period"] == target])
            t = age_range_sum(tprof.bands, lo, None) if tprof.bands else None
            if t is None:
                missing += _miss(entity, fids, f"fremskrivningen har ingen aldersfordeling for {label_} i "
                                               f"{period_label(target)}")
                continue
            note = f"fremskrivning {period_label(base)}-{period_label(target)}"
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
        from_p = to_p - years * _periods_per_year(to_p)
    else:
        from_p = to_period(from_period)
    out = []
    for (level, eid), g in norm.groupby(["level", "entity_id"], sort=False):
        a, b = _profile(g[g["period"] == from_p]), _profile(g[g["period"] == to_p])
        if a.total is None or b.total is None:
            first = period_label(min(g["period"]))
            raise DataNotAvailable(
                f"growth {period_label(from_p)}-{period_label(to_p)} for {level} {eid}: no population for "
                f"{period_label(from_p if a.total is None else to_p)} (data start {first}); never extrapolated"
            )
        names = g["entity_name"].dropna()
        out.append({"level": level, "entity_id": eid, "entity_name": names.iloc[0] if len(names) else eid,
                    "from_period": period_label(from_p), "to_period": period_label(to_p),
                    "population_from": a.total, "population_to": b.total, "change": b.total - a.total,
                    "change_pct": 100.0 * (b.total - a.total) / a.total if a.total else np.nan})
    return pd.DataFrame(out)


# --------------------------------------------------------------------------------------------------
# clusters, regions and Denmark from municipalities
# --------------------------------------------------------------------------------------------------

_GROUP_KEYS = ["period", "sex", "age_lo", "age_hi", "age_total"]


def _aggregate(muni: pd.DataFrame, level: str, entity_id: str, entity_name: str,
               weights: Mapping[str, float]) -> pd.DataFrame:
    """Sum municipality rows (times weight) into one entity; keep only cells every member has."""
    rows = muni[(muni["level"] == "municipality") & muni["entity_id"].isin(set(weights))]
    if rows.empty:
        return rows.iloc[0:0]
    w = rows["entity_id"].map(dict(weights)).astype("float64")
    tmp = rows.assign(population=rows["population"] * w, _na=rows["population"].isna())
    g = tmp.groupby(_GROUP_KEYS, dropna=False, sort=False)
    has_na = g["_na"].any()
    summed = g["population"].sum().where(~has_na)  # a missing member makes the sum missing, never partial
    complete = g["entity_id"].nunique() == len(weights)
    out = summed[complete].reset_index()
    out["reason_da"] = pd.array([pd.NA] * len(out), dtype="string")
    if has_na[complete].any():
        names = (tmp[tmp["_na"]].drop_duplicates("entity_id")["entity_name"].fillna(tmp["entity_id"])
                 if "entity_name" in tmp.columns else tmp.loc[tmp["_na"], "entity_id"].drop_duplicates())
        who = ", ".join(sorted(str(n) for n in names))
        out.loc[out["population"].isna(), "reason_da"] = (
            f"Danmarks Statistik har ikke offentliggjort befolkningstallet for {who} (markeret '..' i kilden), "
            f"så tallet for {entity_name} kan ikke beregnes uden at gætte")
    out.insert(0, "level", level)
    out.insert(1, "entity_id", entity_id)
    out.insert(2, "entity_name", entity_name)
    out["age_lo"] = out["age_lo"].astype("Int64")
    out["age_hi"] = out["age_hi"].astype("Int64")
    out["age_total"] = out["age_total"].astype(bool)
    return out[["level", "entity_id", "entity_name", *_GROUP_KEYS, "population", "reason_da"]]


def _region_name(code: str) -> str:
    from klyngedata import registry

    r = registry.regions()
    hit = r[r["region_key"] == code]
    return str(hit.iloc[0]["name"]) if len(hit) else code


def _entity_rows(norm: pd.DataFrame, level: str, entity_id: str, entity_name: str,
                 weights: Mapping[str, float] | None) -> tuple[pd.DataFrame, str]:
    """Rows of one entity: as given in the frame, else summed from municipalities. Returns (rows, how)."""
    given = norm[(norm["level"] == level) & (norm["entity_id"] == entity_id)]
    if not given.empty:
        return given.assign(entity_name=entity_name), "given"
    if weights is None:
        return given, "none"
    agg = _aggregate(norm, level, entity_id, entity_name, weights)
    return agg, "summed"


def _cluster_weights(cl: Any) -> tuple[dict[str, float] | None, str]:
    """Municipality weights of a cluster from its membership rows, or (None, reason)."""
    weights: dict[str, float] = {}
    for r in cl.members.to_dict("records"):
        code = r["municipality_code"]
        alloc = r["allocation"]
        share = r.get("share")
        if alloc == "whole":
            weights[code] = 1.0
        elif alloc == "share" and share is not None and not pd.isna(share):
            weights[code] = weights.get(code, 0.0) + float(share)
        else:
            name = r.get("municipality_name") or code
            return None, (f"{name} ({code}) er delt mellem klynger efter {r.get('unit_type') or 'enheder'}, og "
                          f"der er ikke befolkningstal for disse enheder i data; klyngens tal kan ikke beregnes "
                          f"af kommunetal")
    return weights, ""


def _region_weights(region_code: str, norm: pd.DataFrame) -> dict[str, float]:
    from klyngedata import registry

    codes = set(registry.region_municipalities(region_code))  # Region Østdanmark: Hovedstaden + Sjælland
    if CHRISTIANSOE_REGION in registry.region_parts(region_code) and (norm["entity_id"] == CHRISTIANSOE).any():
        codes.add(CHRISTIANSOE)
    return dict.fromkeys(sorted(codes), 1.0)


def _country_weights(norm: pd.DataFrame) -> dict[str, float]:
    from klyngedata import registry

    codes = set(registry.municipalities()["municipality_code"])
    if ((norm["level"] == "municipality") & (norm["entity_id"] == CHRISTIANSOE)).any():
        codes.add(CHRISTIANSOE)  # national reconciliation includes Christiansø, as Statistics Denmark does
    return dict.fromkeys(sorted(codes), 1.0)


def _provenance_list(attrs_prov: object) -> list[dict]:
    if not attrs_prov:
        return []
    if isinstance(attrs_prov, Mapping):
        return [dict(attrs_prov)]
    return [dict(p) for p in attrs_prov if isinstance(p, Mapping)]


def _provenance_text(prov: list[dict], fallback: str) -> str:
    parts = []
    for p in prov:
        bits = [str(p.get("table") or "ukendt tabel")]
        if p.get("periods"):
            per = p["periods"]
            if isinstance(per, (list, tuple)) and per:
                per = f"{per[0]}-{per[-1]}" if len(per) > 1 else str(per[0])
            bits.append(str(per))
        if p.get("file"):
            bits.append(f"fil {_path_name(p['file'])}")
        elif p.get("fetched_at"):
            bits.append(f"hentet {p['fetched_at']}")
        parts.append(", ".join(bits))
    return "Danmarks Statistik: " + "; ".join(parts) if parts else fallback


def _path_name(path: object) -> str:
    return str(path).replace("\\", "/").rsplit("/", 1)[-1]


def format_value(value: float | None, decimals: int, unit: str, signed: bool = False) -> str:
    """Danish display text: thousands separator ``.``, decimal comma, ``%`` with a space.

    Example
    -------
    >>> format_value(591740, 0, "personer"), format_value(12.345, 1, "%"), format_value(-18, 0, "personer", True)
    ('591.740', '12,3 %', '-18')
    """
    if value is None or pd.isna(value):
        return ""
    text = f"{value:,.{decimals}f}".replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")
    if signed and value > 0:
        text = "+" + text
    if text.lstrip("+-") in {"0", "0," + "0" * decimals} and text.startswith("-"):
        text = text[1:]
    return f"{text} %" if unit == "%" else text


def _cached_projection(data_dir: object) -> bool:
    """True if a population projection (``population/FRKM1yy``) is in the local cache."""
    from klyngedata.cache import Cache

    try:
        keys = Cache(data_dir).keys()
    except (OSError, KlyngedataError):
        return False
    return any(re.fullmatch(r"population/FRKM1\d\d", k) for k in keys)


def _load_frame(kind: str, division: str | None, data_dir: object) -> pd.DataFrame:
    """Load municipality and cluster rows (``kind="observed"|"projection"``) via klyngedata.population.

    By sex and age when the data have it, else totals. Regions and Denmark come from the population layer
    when the source has its own rows for them (used, never overridden by a sum); otherwise they are summed
    here from the municipalities. Cluster rows come from the population layer so that split municipalities
    are allocated with unit data where it exists.
    """
    from klyngedata.population import population as load

    frames = []
    errors: list[str] = []
    for level in ("municipality", "cluster"):
        kwargs: dict[str, Any] = {"level": level, "kind": kind, "data_dir": data_dir, "period": "all"}
        if level == "cluster":
            kwargs["division"] = division
        got = None
        for by in (("sex", "age"), ()):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # unallocated split rows are handled in _drop_unallocated
                    got = load(**kwargs, by=by)
                break
            except DataNotAvailable as exc:
                errors.append(f"{level}: {exc}")
        if got is not None and len(got):
            frames.append(got)
    # regions and Denmark: the source's own rows where it has them (never overridden by a sum); otherwise they
    # are summed here from complete municipalities
    by_used = ("sex", "age") if frames and "age" in frames[0].columns else ()
    for level in ("region", "country"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = load(level=level, kind=kind, data_dir=data_dir, period="all", by=by_used)
        except DataNotAvailable:
            continue
        if got.attrs.get("own_rows") and len(got):
            frames.append(got)
    if not frames:
        raise DataNotAvailable(
            f"no {kind} population data found ({'; '.join(errors[:2])}); import or fetch it first "
            f"(klyngedata data fetch / klyngedata data import) or pass population="
        )
    prov: list[dict] = []
    for f in frames:
        for p in _provenance_list(f.attrs.get("provenance")):
            if p not in prov:
                prov.append(p)
    out = pd.concat(frames, ignore_index=True)
    out.attrs["provenance"] = prov
    return out


_FINAL_COLUMNS = ["entity_level", "entity_id", "entity_name", "figure_id", "label_da", "value", "unit", "period",
                  "base_period", "region_value", "country_value", "rank", "suppressed", "display", "note_da",
                  "provenance", "numerator", "denominator", *PUBLISHED_COLUMNS]

TREND_YEARS = 4
"""Trends of the population figures use the report period and the same month/quarter up to 4 years before."""


def _trend_series(ent: pd.DataFrame, figs: pd.DataFrame, period: str | None) -> pd.DataFrame:
    """The figures in the report period and the same month/quarter of up to :data:`TREND_YEARS` earlier
    years (those in the data), for the trend columns."""
    if period is None or figs.empty:
        return figs
    p = to_period(period)
    have = set(ent["period"])
    parts = [figs]
    for years in range(1, TREND_YEARS + 1):
        q = p - years * _periods_per_year(p)
        if q in have:
            parts.append(compute_figures(ent, q))
    return pd.concat(parts, ignore_index=True)


def _drop_unallocated(norm: pd.DataFrame, cl: Any, rows: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Drop cluster periods in which part of a split municipality is not allocated to any cluster.

    :func:`klyngedata.population.population` puts the part of a unit-split municipality (København by
    bydel) that unit data do not cover in an explicit row ``"<code>:ikke-fordelt"``; a cluster total for such
    a period would silently miss those persons, so it is not used.
    """
    split = cl.members.loc[cl.members["allocation"] == "unit", "municipality_code"].unique()
    if len(split) == 0:
        return rows, ""
    rest = norm[(norm["level"] == "cluster") & norm["entity_id"].isin({f"{c}:ikke-fordelt" for c in split})
                & (norm["population"] > 0)]
    if rest.empty:
        return rows, ""
    bad = set(rest["period"])
    names = cl.members.drop_duplicates("municipality_code").set_index("municipality_code")["municipality_name"]
    parts = ", ".join(f"{names.get(c, c)} ({c})" for c in split)
    reason = (f"{parts} er delt mellem klynger, og befolkningstal for enhederne (bydele) mangler for "
              f"{len(bad)} periode(r); klyngens tal ville mangle en del af kommunen og vises ikke")
    return rows[~rows["period"].isin(bad)], reason


def _entities_frame(norm: pd.DataFrame, cl: Any, missing: list[dict]) -> tuple[pd.DataFrame, dict[str, str]]:
    """Rows for the cluster, its member municipalities, its region and Denmark (in that order)."""
    from klyngedata import registry

    parts = []
    how: dict[str, str] = {}
    weights, reason = _cluster_weights(cl)
    rows, h = _entity_rows(norm, "cluster", cl.id, cl.name, weights)
    how[cl.id] = h
    if h == "given" and not rows.empty:
        rows, partial = _drop_unallocated(norm, cl, rows)
        if partial and rows.empty:
            reason = partial
    if rows.empty:
        missing += _miss(("cluster", cl.id, cl.name), catalogue.POPULATION_FIGURES,
                         reason or "klyngens kommuner mangler i data")
    parts.append(rows)
    names = dict(zip(registry.municipalities()["municipality_code"], registry.municipalities()["name"],
                     strict=True))
    for code in cl.municipality_codes:
        rows = norm[(norm["level"] == "municipality") & (norm["entity_id"] == code)]
        if rows.empty:
            missing += _miss(("municipality", code, names.get(code, code)), catalogue.POPULATION_FIGURES,
                             "kommunen mangler i data")
        parts.append(rows.assign(entity_name=names.get(code, code)))
        how[code] = "given"
    if cl.region_code:
        rname = _region_name(cl.region_code)
        rows, h = _entity_rows(norm, "region", cl.region_code, rname, _region_weights(cl.region_code, norm))
        how[cl.region_code] = h
        if rows.empty:
            missing += _miss(("region", cl.region_code, rname), catalogue.POPULATION_FIGURES,
                             "regionen mangler i data, og ikke alle dens kommuner er med")
        parts.append(rows)
    rows, h = _entity_rows(norm, "country", COUNTRY_ID, COUNTRY_NAME, _country_weights(norm))
    how[COUNTRY_ID] = h
    if rows.empty:
        missing += _miss(("country", COUNTRY_ID, COUNTRY_NAME), catalogue.POPULATION_FIGURES,
                         "hele landet mangler i data, og ikke alle kommuner er med")
    parts.append(rows)
    parts = [p for p in parts if not p.empty]
    if not parts:
        return norm.iloc[0:0], how
    return pd.concat(parts, ignore_index=True), how


def comparison_frame(cluster: Any, population: pd.DataFrame, division: str | None = None) -> pd.DataFrame:
    """The population rows of a cluster, its municipalities, its region and Denmark (internal tidy form).

    Cluster, region and Denmark rows are taken from ``population`` when present, otherwise summed from the
    municipalities (see the module docstring). ``attrs["missing"]`` names entities that could not be built.

    Example
    -------
    >>> f = comparison_frame("nordjylland-nord", frame)  # doctest: +SKIP
    >>> growth(f, from_period="2022M01", period="2024M01")  # doctest: +SKIP
    """
    from klyngedata import registry

    cl = registry.cluster(cluster, division=division)
    missing: list[dict] = []
    out, _ = _entities_frame(normalize_population_frame(population), cl, missing)
    out.attrs["missing"] = missing
    out.attrs["provenance"] = _provenance_list(population.attrs.get("provenance"))
    return out


def key_figures(cluster: Any, period: object = "latest", division: str | None = None,
                data_dir: object = None, population: pd.DataFrame | None = None,
                projection: pd.DataFrame | None = None, *, projection_base: object = None) -> pd.DataFrame:
    """All population key figures of a cluster, its municipalities, its region and Denmark.

    Returns one tidy table (columns ``entity_level, entity_id, entity_name, figure_id, label_da, value, unit,
    period, base_period, region_value, country_value, rank, suppressed, display, note_da, provenance, numerator,
    denominator`` and the interval/outcome/trend columns of :data:`klyngedata.outcomes.PUBLISHED_COLUMNS`): one row
    per entity x figure, cluster first, then its municipalities, the region and Denmark. ``region_value`` /
    ``country_value`` hold the same figure for the cluster's region and Denmark; ``rank`` ranks the member
    municipalities within the cluster (1 = highest value). Labels and units come from :mod:`klyngedata.catalogue`.
    Figures that cannot be computed are left out and listed with a Danish reason in ``attrs["missing"]`` (see
    :func:`missing_figures`); nothing is estimated.

    ``population`` / ``projection``: already loaded tidy frames (any mix of levels). When ``population`` is
    None it is loaded with :func:`klyngedata.population.population` from ``data_dir`` (by sex and age if
    the data have it, else totals), and a projection too if one is *cached* (no implicit fetch); when a
    ``population`` frame is given, projections are only used if ``projection`` is given too.

    Example
    -------
    >>> kf = key_figures("nordjylland-nord", population=frame)  # doctest: +SKIP
    >>> kf.query("entity_level == 'cluster' and figure_id == 'growth_1y'")[["value", "region_value"]]  # doctest: +SKIP
    """
    from klyngedata import registry

    cl = registry.cluster(cluster, division=division)
    if population is None:
        population = _load_frame("observed", cl.division, data_dir)
        if projection is None and _cached_projection(data_dir):  # never fetched implicitly
            try:
                projection = _load_frame("projection", cl.division, data_dir)
            except DataNotAvailable:
                projection = None
    norm = normalize_population_frame(population)
    obs_prov = _provenance_list(population.attrs.get("provenance"))
    missing: list[dict] = []
    ent, how = _entities_frame(norm, cl, missing)
    if ent.empty:
        raise DataNotAvailable(f"no population data for cluster {cl.id}, its municipalities, region or Denmark")
    proj_ent = None
    proj_prov: list[dict] = []
    if projection is not None:
        pnorm = normalize_population_frame(projection, name="projection frame")
        proj_prov = _provenance_list(projection.attrs.get("provenance"))
        proj_ent, _ = _entities_frame(pnorm, cl, [])
    figs = compute_figures(ent, period, proj_ent, projection_base=projection_base)
    missing = missing + figs.attrs.get("missing", [])
    p_label = figs.attrs.get("period")

    # comparisons
    def values_of(level: str, eid: str | None) -> pd.Series:
        sub = figs[(figs["entity_level"] == level) & (figs["entity_id"] == eid)]
        return sub.set_index("figure_id")["value"]

    region_vals = values_of("region", cl.region_code) if cl.region_code else pd.Series(dtype="float64")
    country_vals = values_of("country", COUNTRY_ID)
    figs["region_value"] = figs["figure_id"].map(region_vals).astype("float64")
    figs["country_value"] = figs["figure_id"].map(country_vals).astype("float64")
    figs.loc[figs["entity_level"] == "country", "region_value"] = np.nan

    # rank the member municipalities within the cluster
    is_m = figs["entity_level"] == "municipality"
    figs["rank"] = pd.array([pd.NA] * len(figs), dtype="Int64")
    if is_m.any():
        ranks = figs[is_m].groupby("figure_id")["value"].rank(ascending=False, method="min")
        figs.loc[is_m, "rank"] = ranks.astype("Int64")

    figs["suppressed"] = False  # public population counts; see module docstring
    figs = published_outcomes(figs, series=_trend_series(ent, figs, p_label))
    decimals = {fid: catalogue.figure(fid).decimals for fid in figs["figure_id"].unique()}
    figs["display"] = [
        format_value(v, decimals[f], u, signed=f.startswith(("growth_", "proj_")))
        for v, f, u in zip(figs["value"], figs["figure_id"], figs["unit"], strict=True)
    ]
    obs_text = _provenance_text(obs_prov, "brugerleveret befolkningstabel (uden kildeangivelse)")
    proj_text = _provenance_text(proj_prov, "brugerleveret fremskrivning (uden kildeangivelse)")
    is_proj = figs["figure_id"].str.startswith("proj_")
    figs["provenance"] = np.where(is_proj, proj_text, obs_text)
    summed = {eid for eid, h in how.items() if h == "summed"}
    add = figs["entity_id"].isin(summed) & ~is_proj
    figs.loc[add, "provenance"] = figs.loc[add, "provenance"] + " (summeret fra kommunetal)"
    if cl.has_split:
        split_note = "Kommunen er delt mellem klynger; tallet gælder hele kommunen."
        split_codes = set(cl.members.loc[cl.members["allocation"] != "whole", "municipality_code"])
        sel = is_m & figs["entity_id"].isin(split_codes)
        figs.loc[sel, "note_da"] = (figs.loc[sel, "note_da"] + " " + split_note).str.strip()

    order = {"cluster": 0, "municipality": 1, "region": 2, "country": 3}
    fig_order = {f: i for i, f in enumerate(catalogue.POPULATION_FIGURES)}
    figs = figs.assign(_o=figs["entity_level"].map(order), _f=figs["figure_id"].map(fig_order).fillna(999))
    figs = figs.sort_values(["_o", "entity_id", "_f"], kind="stable").drop(columns=["_o", "_f"])
    out = figs[_FINAL_COLUMNS].reset_index(drop=True)
    out.attrs["missing"] = missing
    out.attrs["cluster_id"] = cl.id
    out.attrs["division"] = cl.division
    out.attrs["period"] = p_label
    out.attrs["provenance"] = obs_prov + proj_prov
    return out


def municipality_ranking(cluster: Any, figure_id: str, period: object = "latest", division: str | None = None,
                         data_dir: object = None, population: pd.DataFrame | None = None,
                         projection: pd.DataFrame | None = None, *, ascending: bool = False,
                         table: pd.DataFrame | None = None) -> pd.DataFrame:
    """The cluster's municipalities ranked on one figure (1 = highest; ``ascending=True`` for lowest first).

    Columns: ``rank, entity_id, entity_name, value, display, unit, period, cluster_value, region_value,
    country_value, label_da``. Pass ``table`` (a :func:`key_figures` result) to avoid recomputing.

    Example
    -------
    >>> municipality_ranking("nordjylland-nord", "growth_1y_pct", population=frame)  # doctest: +SKIP
    """
    catalogue.figure(figure_id)  # validates the id (LookupFailed with close matches)
    kf = table if table is not None else key_figures(cluster, period, division, data_dir, population, projection)
    sub = kf[(kf["figure_id"] == figure_id) & (kf["entity_level"] == "municipality")].copy()
    if sub.empty:
        reasons = {m["reason_da"] for m in kf.attrs.get("missing", []) if m["figure_id"] == figure_id}
        raise DataNotAvailable(f"figure {figure_id!r} is not available for the municipalities of "
                               f"{kf.attrs.get('cluster_id', cluster)}: {'; '.join(sorted(reasons)) or 'no data'}")
    cval = kf[(kf["figure_id"] == figure_id) & (kf["entity_level"] == "cluster")]["value"]
    sub["cluster_value"] = float(cval.iloc[0]) if len(cval) else np.nan
    if ascending:
        sub["rank"] = sub["value"].rank(ascending=True, method="min").astype("Int64")
    sub = sub.sort_values(["rank", "entity_id"], kind="stable")
    cols = ["rank", "entity_id", "entity_name", "value", "display", "unit", "period", "cluster_value",
            "region_value", "country_value", "label_da"]
    out = sub[cols].reset_index(drop=True)
    out.attrs["figure_id"] = figure_id
    return out


# --------------------------------------------------------------------------------------------------
# age pyramid
# --------------------------------------------------------------------------------------------------

def _resolve_entity(entity: object, level: str | None, division: str | None) -> tuple[str, str, str, Any]:
    """(level, entity_id, name, cluster-or-None) for a municipality, cluster, region or Denmark key."""
    from klyngedata import registry
    from klyngedata.exceptions import LookupFailed

    text = str(entity).strip()
    lvl = _LEVEL_ALIASES.get(level.lower(), level) if level else None
    if lvl in (None, "country") and text.lower() in {"dk", "danmark", "denmark", "hele landet", "land"}:
        return "country", COUNTRY_ID, COUNTRY_NAME, None
    if lvl in (None, "region"):
        try:
            code = normalize_region_code(text)
            return "region", code, _region_name(code), None
        except ValueError:
            r = registry.regions()
            for code, name in zip(r["region_key"], r["name"], strict=True):
                if code and text.lower() in {name.lower(), name.lower().replace("region ", "")}:
                    return "region", code, name, None
        if lvl == "region":
            raise LookupFailed(f"Unknown region {entity!r}")
    cluster_error: LookupFailed | None = None
    if lvl in (None, "cluster"):
        try:
            cl = registry.cluster(entity, division=division)
            return "cluster", cl.id, cl.name, cl
        except LookupFailed as exc:
            if lvl == "cluster":
                raise
            cluster_error = exc
    if lvl in (None, "municipality"):
        try:
            m = registry.municipality(entity)
        except LookupFailed as exc:
            if cluster_error is None:
                raise
            raise LookupFailed(f"{entity!r} is neither a cluster ({cluster_error}) nor a municipality ({exc})",
                               ) from None
        return "municipality", m.code, m.name, None
    raise LookupFailed(f"Unknown level {level!r}; use municipality, cluster, region or country")


def _five_year(lo: int, hi: int | None, top: int) -> tuple[int, int | None]:
    if lo >= top:
        return top, None
    if hi is None:
        if lo % 5:
            raise DataNotAvailable(f"open age group {lo}+ does not start at a five-year boundary")
        return lo, None
    b = lo // 5 * 5
    if hi // 5 * 5 != b:
        raise DataNotAvailable(f"age group {lo}-{hi} spans more than one five-year band")
    return b, b + 4


def age_pyramid(entity: object, period: object = "latest", division: str | None = None,
                data_dir: object = None, population: pd.DataFrame | None = None, *,
                level: str | None = None, top: int = 100) -> pd.DataFrame:
    """Age-pyramid data: persons by sex (male/female) and five-year age band (``0-4`` … ``95-99``, ``100+``).

    ``entity``: a cluster (id or name), municipality (code or name), region (code or name) or ``"DK"``;
    ``level`` disambiguates. Columns: ``entity_level, entity_id, entity_name, period, sex, sex_da,
    age_group, age_lo, population, share_pct`` (share of the entity's whole population, both sexes) and
    ``provenance``. Needs a frame by sex and age; raises :class:`DataNotAvailable` otherwise.

    Example (constructed)
    ---------------------
    >>> CONSTRUCTED = pd.DataFrame({"level": "country", "entity_id": "DK", "period": "2024K1",
    ...     "sex": ["male", "female", "male", "female"], "age": [3, 4, 7, 101], "population": [1, 2, 3, 4]})
    >>> age_pyramid("DK", population=CONSTRUCTED)[["sex", "age_group", "population"]].values.tolist()
    [['male', '0-4', 1.0], ['female', '0-4', 2.0], ['male', '5-9', 3.0], ['female', '100+', 4.0]]
    """
    lvl, eid, name, cl = _resolve_entity(entity, level, division)
    if population is None:
        population = _load_frame("observed", cl.division if cl is not None else division, data_dir)
    norm = normalize_population_frame(population)
    if lvl == "cluster":
        weights, reason = _cluster_weights(cl)
        rows, _ = _entity_rows(norm, lvl, eid, name, weights)
        if rows.empty and reason:
            raise DataNotAvailable(f"age pyramid for {eid}: {reason}")
    elif lvl == "region":
        rows, _ = _entity_rows(norm, lvl, eid, name, _region_weights(eid, norm))
    elif lvl == "country":
        rows, _ = _entity_rows(norm, lvl, eid, name, _country_weights(norm))
    else:
        rows, _ = _entity_rows(norm, lvl, eid, name, None)
    if rows.empty:
        raise DataNotAvailable(f"age pyramid: no population data for {lvl} {eid} ({name})")
    p = _resolve_period(rows, period)
    rows = rows[(rows["period"] == p) & rows["sex"].isin(["male", "female"]) & ~rows["age_total"]]
    if set(rows["sex"]) != {"male", "female"}:
        raise DataNotAvailable(
            f"age pyramid for {lvl} {eid} in {period_label(p)} needs population by sex and age; the data have "
            "no such breakdown (import FOLK1A/FOLK1AM by sex and age)"
        )
    bands = [_five_year(int(lo), None if pd.isna(hi) else int(hi), top)
             for lo, hi in zip(rows["age_lo"], rows["age_hi"], strict=True)]
    tmp = rows.assign(band_lo=[b[0] for b in bands], band_hi=[b[1] for b in bands])
    g = tmp.groupby(["sex", "band_lo"], sort=True).agg(population=("population", "sum"),
                                                      band_hi=("band_hi", "first")).reset_index()
    total = float(g["population"].sum())
    g["age_group"] = [f"{lo}+" if pd.isna(hi) else f"{lo}-{int(hi)}" for lo, hi in zip(g["band_lo"], g["band_hi"],
                                                                                      strict=True)]
    g["share_pct"] = 100.0 * g["population"] / total if total else np.nan
    g["_s"] = g["sex"].map({"male": 0, "female": 1})
    g = g.sort_values(["band_lo", "_s"]).reset_index(drop=True)
    out = pd.DataFrame({
        "entity_level": lvl, "entity_id": eid, "entity_name": name, "period": period_label(p),
        "sex": g["sex"], "sex_da": g["sex"].map(_SEX_DA), "age_group": g["age_group"],
        "age_lo": g["band_lo"].astype("int64"), "population": g["population"].astype("float64"),
        "share_pct": g["share_pct"],
    })
    out["provenance"] = _provenance_text(_provenance_list(population.attrs.get("provenance")),
                                         "brugerleveret befolkningstabel (uden kildeangivelse)")
    return out
