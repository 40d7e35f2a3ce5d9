"""The key figures' input frame: normalising a tidy population frame (levels, sexes, single ages or age groups,
periods, read by :mod:`klyngedata.vocabulary`) into one canonical form.

>>> normalize_population_frame(pd.DataFrame({"level": ["Hele landet"], "entity_id": ["DK"], "period": ["2024M04"],
...                                        "population": [1]}))["period"].iloc[0]  # CONSTRUCTED
Period('2024-04', 'M')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from klyngedata.exceptions import DataFormatError, KlyngedataError
from klyngedata.vocabulary import parse_age, parse_level, parse_period, parse_sex
from klyngedata.vocabulary.codes import COUNTRY_ID, normalize_municipality_code, normalize_region_code

_BANDS = {"share_0_17": (0, 17), "share_18_64": (18, 64), "share_65_plus": (65, None),
          "share_80_plus": (80, None)}
_OUT_COLUMNS = ["entity_level", "entity_id", "entity_name", "figure_id", "label_da", "value", "unit",
                "period", "base_period", "note_da", "numerator", "denominator"]


# --------------------------------------------------------------------------------------------------
# normalising the tidy frame
# --------------------------------------------------------------------------------------------------

def _parse_age(label: object) -> tuple[int, int | None] | None:
    """``(lo, hi)`` inclusive (``hi`` None = open-ended) or ``None`` for an all-ages total."""
    if label is None or label is pd.NA or (isinstance(label, float) and math.isnan(label)):
        return None
    band = parse_age(label)
    return None if band is None else (band.lo, band.hi)


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
    df = _accepted_columns(df, name)
    n = len(df)
    out = pd.DataFrame(index=pd.RangeIndex(n))
    out["level"], out["entity_id"] = _levels_and_ids(df, name)
    if "entity_name" in df.columns:
        out["entity_name"] = df["entity_name"].astype("string").to_numpy()
    else:
        out["entity_name"] = pd.array([pd.NA] * n, dtype="string")
    out["period"] = _periods(df, name)
    if "sex" in df.columns:
        scodes, svals = _mapped(df, "sex", parse_sex, name)
        out["sex"] = np.asarray(svals, dtype=object)[scodes]
    else:
        out["sex"] = "total"
    out["age_lo"], out["age_hi"], out["age_total"] = _ages(df, name)
    out["population"] = _counts(df, name)
    # a missing count (StatBank '..') stays, with its Danish reason: figures over it are missing, never partial
    reasons = df["reason_da"] if "reason_da" in df.columns else pd.Series(pd.NA, index=df.index)
    out["reason_da"] = reasons.astype("string").to_numpy()
    na = out["population"].isna() & out["reason_da"].isna()
    out.loc[na, "reason_da"] = MISSING_REASON
    out.attrs["provenance"] = _provenance_list(df.attrs.get("provenance"))
    return out


def _accepted_columns(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """``df`` with the columns this module reads (the parser schema of :mod:`klyngedata.sources` renamed), or
    a :class:`DataFormatError` saying what is missing."""
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
    return df


def _first_row(codes: np.ndarray, k: int) -> int:
    return int(np.flatnonzero(codes == k)[0])


def _mapped(df: pd.DataFrame, column: str, fn: Any, name: str) -> tuple[np.ndarray, list]:
    """Apply ``fn`` to each distinct value of ``column``: (the row's code, the values); errors name the first
    row with that value."""
    codes, uniques = pd.factorize(df[column].astype("object"), use_na_sentinel=False)
    values = []
    for k, u in enumerate(uniques):
        try:
            values.append(fn(u))
        except (KlyngedataError, ValueError) as exc:
            raise DataFormatError(f"{name}: row {_first_row(codes, k)}, column {column!r}: {exc}") from None
    return codes, values


def _levels_and_ids(df: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Each row's level and entity id, the id in the canonical form of its level (a municipality's four
    digits, a region's DAGI code, Denmark's id)."""
    lcodes, lvals = _mapped(df, "level", parse_level, name)
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
            raise DataFormatError(f"{name}: row {_first_row(pair_codes, k)}, column 'entity_id': {exc}") from None
    return np.asarray(lvals, dtype=object)[lcodes], np.asarray(ids, dtype=object)[pair_codes]


def _periods(df: pd.DataFrame, name: str) -> Any:
    """The periods as ``pd.Period`` (a period array when they share one frequency)."""
    if isinstance(df["period"].dtype, pd.PeriodDtype):
        return df["period"].array
    pcodes, pvals = _mapped(df, "period", parse_period, name)
    freqs = {p.freqstr for p in pvals}
    if len(freqs) == 1 and pvals:
        return pd.array(pvals).take(pcodes)
    return np.asarray(pvals, dtype=object)[pcodes]


def _ages(df: pd.DataFrame, name: str) -> tuple[Any, Any, Any]:
    """``age_lo``, ``age_hi`` (NA = open-ended) and ``age_total`` from ``age`` (where it is given, else
    ``age_group``) or ``age_group``; ``age_open`` marks the open top of single ages (``100`` -> ``100+``)."""
    age_col = None
    if "age" in df.columns:
        age_col = "age"
        if "age_group" in df.columns:
            df = df.assign(age=df["age"].astype("object").where(df["age"].notna(), df["age_group"].astype("object")))
    elif "age_group" in df.columns:
        age_col = "age_group"
    if age_col is None:
        n = len(df)
        return pd.array([pd.NA] * n, dtype="Int64"), pd.array([pd.NA] * n, dtype="Int64"), True
    acodes, avals = _mapped(df, age_col, lambda u: _parse_age(None if pd.isna(u) else u), name)
    lo = np.array([np.nan if t is None else t[0] for t in avals], dtype="float64")[acodes]
    hi = np.array([np.nan if t is None or t[1] is None else t[1] for t in avals], dtype="float64")[acodes]
    total = np.array([t is None for t in avals], dtype=bool)[acodes]
    if "age_open" in df.columns:  # klyngedata.sources convention: age 100 + age_open -> "100+"
        is_open = df["age_open"].fillna(False).astype(bool).to_numpy() & ~total
        hi[is_open] = np.nan
    return pd.array(lo, dtype="Float64").astype("Int64"), pd.array(hi, dtype="Float64").astype("Int64"), total


def _counts(df: pd.DataFrame, name: str) -> np.ndarray:
    """The population counts as float64 (NA where missing); text that is not a number and negative counts are
    refused naming the row."""
    pop = pd.to_numeric(df["population"], errors="coerce")
    bad = pop.isna() & df["population"].notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataFormatError(f"{name}: row {i}, column 'population': not a number: {df['population'].iloc[i]!r}")
    neg = pop < 0
    if neg.any():
        i = int(np.flatnonzero(neg.fillna(False).to_numpy())[0])
        raise DataFormatError(f"{name}: row {i}, column 'population': negative count {pop.iloc[i]}")
    return pop.astype("float64").to_numpy()


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
