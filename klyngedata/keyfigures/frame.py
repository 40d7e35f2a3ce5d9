"""The key figures' input frame: periods and their labels, and normalising a tidy population frame
(levels, sexes, single ages or age groups, periods) into one canonical form.

>>> period_label(to_period("2024M04"))
'2024M04'
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from klyngedata.codes import normalize_municipality_code, normalize_region_code
from klyngedata.exceptions import DataFormatError, KlyngedataError

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
