"""Parsers for population files a user downloaded, and the file import into the local cache.

One tidy schema for every population source (StatBank CSV exports in any value presentation, the
FOLK1AM area export, the derived monthly municipality file, API pulls):

=================  ==========================================================================
column             meaning
=================  ==========================================================================
area_level         ``"country"`` | ``"region"`` | ``"municipality"`` (Christiansø ``0411`` is
                   kept at municipality level although it is not a municipality)
area_code          ``"DK"`` | region ``"1081"``..``"1085"`` | municipality ``"0851"``
municipality_code  same as ``area_code`` for municipality rows, NA otherwise
sex                ``"total"`` | ``"male"`` | ``"female"``
age                Int64 single year; NA = all ages
age_open           bool; True for an open top group such as ``100-`` ("100 år og derover")
period             pandas Period: freq Q (FOLK1A), M (FOLK1AM), Y (projections)
population         Int64 persons (NA where StatBank printed ``..``)
=================  ==========================================================================

``frame.attrs["provenance"]`` is a dict with ``table``, ``presentation`` (``Code`` | ``Value`` |
``CodeAndValue`` | ``tidy``), ``file`` (or ``fetched_at``), ``periods``, ``lang``.

Unit populations (the population of sub-municipal units such as København's bydele, needed to allocate a
split municipality to clusters) use this import format – a comma- or semicolon-separated file with the
header columns ``municipality_code, unit_type, unit_code, period, population`` and optionally ``sex``,
``age`` (``unit_name`` is allowed). ``period`` uses StatBank notation (``2024K1``, ``2024M01``, ``2024``).
They are cached under ``population/units``.

Example
-------
>>> from klyngedata.sources import parse_statbank_csv
>>> path = "../shared/data/population/dst_FOLK1AM_area_2021M10-2024M04.csv"
>>> df = parse_statbank_csv(path)  # doctest: +SKIP
>>> df.attrs["provenance"]["table"]  # doctest: +SKIP
'FOLK1AM'
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from klyngedata.cache import Cache
from klyngedata.codes import normalize_municipality_code, normalize_region_code
from klyngedata.exceptions import DataFormatError, KlyngedataError, LookupFailed

TIDY_COLUMNS = ["area_level", "area_code", "municipality_code", "sex", "age", "age_open", "period",
                "population"]
KEY_COLUMNS = ["area_level", "area_code", "sex", "age", "age_open", "period"]
UNIT_COLUMNS = ["municipality_code", "unit_type", "unit_code", "unit_name", "sex", "age", "age_open",
                "period", "population"]

CHRISTIANSOE = "0411"
# Statistics Denmark lists 411 Christiansø under Region Hovedstaden, and the region's total includes it
# (row order and totals of the FOLK1AM export in shared/data/population, see its README).
CHRISTIANSOE_DST_REGION = "1084"

_COUNTRY_NAMES = {"hele landet", "all denmark", "denmark", "danmark", "i alt", "total"}
_REGION_NAMES = {
    "region hovedstaden": "1084", "capital region of denmark": "1084", "hovedstaden": "1084",
    "region sjælland": "1085", "region zealand": "1085", "sjælland": "1085",
    "region syddanmark": "1083", "region of southern denmark": "1083", "syddanmark": "1083",
    "region midtjylland": "1082", "central denmark region": "1082", "midtjylland": "1082",
    "region nordjylland": "1081", "north denmark region": "1081", "nordjylland": "1081",
}
_SEX = {
    "tot": "total", "i alt": "total", "total": "total", "køn i alt": "total", "sex, total": "total",
    "1": "male", "m": "male", "mænd": "male", "men": "male", "males": "male", "male": "male",
    "2": "female", "k": "female", "kvinder": "female", "women": "female", "females": "female",
    "female": "female",
}
_AGE_TOTAL = {"ialt", "tot", "i alt", "alder i alt", "age, total", "total", "alder, i alt", "all ages"}

# header aliases (upper-cased) -> role
_ROLE = {
    "OMRÅDE": "area", "OMRADE": "area", "KOMMUNEDK": "area", "KOMMUNE": "area", "REGION": "area",
    "AREA": "area", "MUNICIPALITY": "area",
    "KØN": "sex", "KON": "sex", "SEX": "sex",
    "ALDER": "age", "AGE": "age",
    "CIVILSTAND": "civil", "MARITAL STATUS": "civil", "MARITALSTATUS": "civil",
    "TID": "time", "TIME": "time",
    "INDHOLD": "value", "CONTENT": "value", "VALUE": "value",
}
_TABLE_RE = re.compile(r"(FOLK1AM|FOLK1A|FRKM1\d\d|FRDK1\d\d|BEF\w*)", re.IGNORECASE)
_CODE_VALUE_RE = re.compile(r"^(\S+)\s+(.+)$")
_AGE_RE = re.compile(r"^(\d{1,3})\s*(-|\+)?\s*(?:år|years?|\b)?\s*(og derover|and over|or more|og over)?\s*$",
                     re.IGNORECASE)
_PERIOD_Q = re.compile(r"^(\d{4})\s*[KQ]([1-4])$", re.IGNORECASE)
_PERIOD_M = re.compile(r"^(\d{4})\s*M(\d{2})$", re.IGNORECASE)
_PERIOD_Y = re.compile(r"^(\d{4})$")

BOUNDARY_SUFFIXES = {".geojson", ".gpkg", ".shp", ".topojson"}


# ---------------------------------------------------------------------------------------------
# value parsers
# ---------------------------------------------------------------------------------------------
def parse_period(value: object) -> pd.Period:
    """Parse a StatBank period code: ``2024K1``/``2024Q1`` (quarter), ``2024M01`` (month), ``2035`` (year).

    Example
    -------
    >>> parse_period("2024K1"), parse_period("2024M01"), parse_period("2035")
    (Period('2024Q1', 'Q-DEC'), Period('2024-01', 'M'), Period('2035', 'Y-DEC'))
    """
    if isinstance(value, pd.Period):
        return value
    s = str(value).strip()
    if m := _PERIOD_Q.match(s):
        return pd.Period(year=int(m.group(1)), quarter=int(m.group(2)), freq="Q")
    if m := _PERIOD_M.match(s):
        month = int(m.group(2))
        if not 1 <= month <= 12:
            raise ValueError(f"not a period: {value!r}")
        return pd.Period(year=int(m.group(1)), month=month, freq="M")
    if m := _PERIOD_Y.match(s):
        return pd.Period(year=int(m.group(1)), freq="Y")
    raise ValueError(f"not a StatBank period (expected 2024K1, 2024M01 or 2024): {value!r}")


def format_period(period: pd.Period) -> str:
    """StatBank notation of a period (``2024K1``, ``2024M01``, ``2035``).

    Example
    -------
    >>> format_period(parse_period("2024Q2"))
    '2024K2'
    """
    code = period.freqstr[0]
    if code == "Q":
        return f"{period.year}K{period.quarter}"
    if code == "M":
        return f"{period.year}M{period.month:02d}"
    return f"{period.year}"


def parse_sex(value: object) -> str:
    """``"TOT"``/``"I alt"``/``"1 Mænd"``/``"Women"`` ... -> ``"total"``/``"male"``/``"female"``.

    Example
    -------
    >>> parse_sex("1 Mænd"), parse_sex("Kvinder"), parse_sex("TOT")
    ('male', 'female', 'total')
    """
    s = str(value).strip().lower()
    if s in _SEX:
        return _SEX[s]
    m = _CODE_VALUE_RE.match(s)
    if m and m.group(1) in _SEX:  # CodeAndValue: "1 mænd", "tot i alt"
        return _SEX[m.group(1)]
    raise ValueError(f"unknown sex value {value!r}")


def parse_age(value: object) -> tuple[int | None, bool]:
    """Return ``(age, open)``; ``(None, False)`` for the all-ages total.

    Example
    -------
    >>> parse_age("IALT"), parse_age("0 år"), parse_age("100-"), parse_age("100 år og derover")
    ((None, False), (0, False), (100, True), (100, True))
    """
    s = str(value).strip()
    low = s.lower()
    if low in _AGE_TOTAL:
        return None, False
    m = _CODE_VALUE_RE.match(s)
    if m and m.group(1).lower() in _AGE_TOTAL:  # CodeAndValue "IALT Alder i alt"
        return None, False
    if m := _AGE_RE.match(s):
        return int(m.group(1)), bool(m.group(2) or m.group(3))
    # CodeAndValue: "7 7 år", "100- 100 år og derover"
    parts = s.split(None, 1)
    if len(parts) == 2 and (m := _AGE_RE.match(parts[0])):
        rest = parts[1].lower()
        is_open = bool(m.group(2)) or "derover" in rest or "and over" in rest
        return int(m.group(1)), is_open
    raise ValueError(f"unknown age value {value!r} (expected a single year, an open top group or a total)")


def _lookup_municipality(name: str) -> str:
    if name.strip().lower() in {"christiansø", "christiansoe", "ertholmene"}:
        return CHRISTIANSOE
    from klyngedata import registry

    return registry.municipality(name.strip()).code


def parse_area(value: object) -> tuple[str, str, str]:
    """Return ``(area_level, area_code, presentation)`` for an OMRÅDE/KOMMUNEDK cell.

    Codes (``000``, ``084``, ``851``), CodeAndValue (``851 Aalborg``) and names (``Hele landet``,
    ``Region Nordjylland``, ``Høje-Taastrup``) are accepted; names go through the registry lookup.

    Example
    -------
    >>> parse_area("000"), parse_area("081 Region Nordjylland")[:2]
    (('country', 'DK', 'Code'), ('region', '1081'))
    """
    s = str(value).strip()
    presentation = "Value"
    code = None
    if re.fullmatch(r"\d{1,4}", s):
        code, presentation = s, "Code"
    else:
        m = _CODE_VALUE_RE.match(s)
        if m and re.fullmatch(r"\d{1,4}", m.group(1)):
            code, presentation = m.group(1), "CodeAndValue"
    if code is not None:
        n = int(code)
        if n == 0:
            return "country", "DK", presentation
        if 81 <= n <= 85 or 1081 <= n <= 1085:
            return "region", normalize_region_code(code), presentation
        return "municipality", normalize_municipality_code(code), presentation
    low = s.lower()
    if low in _COUNTRY_NAMES:
        return "country", "DK", presentation
    if low in _REGION_NAMES:
        return "region", _REGION_NAMES[low], presentation
    return "municipality", _lookup_municipality(s), presentation


# ---------------------------------------------------------------------------------------------
# frame construction
# ---------------------------------------------------------------------------------------------
def _map_unique(series: pd.Series, fn, what: str, file: str, column: str):
    """Apply ``fn`` to the unique values of ``series``; errors name file, row and column."""
    out = {}
    for value in pd.unique(series):
        try:
            out[value] = fn(value)
        except (ValueError, LookupFailed) as exc:
            row = int((series == value).to_numpy().argmax()) + 2  # +1 header, +1 one-based
            raise DataFormatError(f"{file}, row {row}, column {column}: {what}: {exc}") from exc
    return out


def _period_column(values: pd.Series, per_map: dict, file: str, column: str) -> pd.Series:
    freqs = {p.freqstr for p in per_map.values()}
    if len(freqs) > 1:
        raise DataFormatError(f"{file}, column {column}: mixed period types {sorted(freqs)}")
    dtype = pd.PeriodDtype(next(iter(per_map.values())).freq) if per_map else pd.PeriodDtype("Q")
    return values.map(per_map).astype(dtype)


def _to_int_population(values: pd.Series, file: str, column: str) -> pd.Series:
    s = values.astype("string").str.strip().str.replace(" ", "", regex=False)
    s = s.mask(s.isin(["..", ".", "-", ""]))
    num = pd.to_numeric(s.str.replace(",", ".", regex=False), errors="coerce")
    bad = num.isna() & s.notna()
    if bad.any():
        i = int(bad.to_numpy().argmax())
        raise DataFormatError(f"{file}, row {i + 2}, column {column}: not a number: {values.iloc[i]!r}")
    frac = num.notna() & (num != num.round())
    if frac.any():
        i = int(frac.to_numpy().argmax())
        raise DataFormatError(f"{file}, row {i + 2}, column {column}: population must be an integer: "
                              f"{values.iloc[i]!r}")
    return num.round().astype("Int64")


def _finish(df: pd.DataFrame) -> pd.DataFrame:
    df = df[TIDY_COLUMNS].copy()
    df["municipality_code"] = df["area_code"].where(df["area_level"] == "municipality").astype("string")
    df["area_level"] = df["area_level"].astype("string")
    df["area_code"] = df["area_code"].astype("string")
    df["sex"] = df["sex"].astype("string")
    df["age"] = df["age"].astype("Int64")
    df["age_open"] = df["age_open"].astype(bool)
    df["population"] = df["population"].astype("Int64")
    return df.reset_index(drop=True)


def _detect_table(name: str, header: list[str], periods: pd.Series) -> str:
    if m := _TABLE_RE.search(name):
        return m.group(1).upper()
    freq = periods.iloc[0].freqstr[0] if len(periods) else ""
    if freq == "M":
        return "FOLK1AM"
    if freq == "Q":
        return "FOLK1A"
    if "KOMMUNEDK" in header:
        return "FRKM"
    return "UNKNOWN"


def parse_statbank_csv(
    source: str | os.PathLike[str] | bytes,
    *,
    table: str | None = None,
    file: str | None = None,
) -> pd.DataFrame:
    """Parse a StatBank CSV/BULK export (``;``, UTF-8 BOM, any presentation, da/en) into the tidy schema.

    Variables missing from the file (e.g. no ``KØN``) mean "total". A ``CIVILSTAND`` column is reduced
    to its total (or summed if the file has no total). ``..`` counts become NA.

    Example
    -------
    >>> CONSTRUCTED = "OMRÅDE;KØN;ALDER;TID;INDHOLD\\n851;1;80;2024K1;3\\n".encode()
    >>> parse_statbank_csv(CONSTRUCTED, file="constructed example")["population"].tolist()
    [3]
    """
    if isinstance(source, bytes):
        raw, file = source, file or "<bytes>"
    else:
        path = Path(source)
        raw, file = path.read_bytes(), file or str(path)
    text = raw.decode("utf-8-sig", errors="strict") if raw else ""
    if text.lstrip().startswith("{"):
        raise DataFormatError(f"{file}: expected a StatBank CSV but got a JSON body: {text[:200]!r}")
    try:
        frame = pd.read_csv(io.StringIO(text), sep=";", dtype=str, keep_default_na=False)
    except Exception as exc:
        raise DataFormatError(f"{file}: not a ';'-separated StatBank CSV: {exc}") from exc
    header = [c.strip() for c in frame.columns]
    frame.columns = header
    roles: dict[str, str] = {}
    for col in header:
        role = _ROLE.get(col.upper())
        if role is None:
            raise DataFormatError(f"{file}: unknown column {col!r} (expected OMRÅDE/KOMMUNEDK, KØN, ALDER, "
                                  "CIVILSTAND, TID, INDHOLD)")
        if role in roles:
            raise DataFormatError(f"{file}: two columns for {role}: {roles[role]!r} and {col!r}")
        roles[role] = col
    for needed in ("area", "time", "value"):
        if needed not in roles:
            raise DataFormatError(f"{file}: missing the {needed} column (header: {';'.join(header)})")

    n = len(frame)
    area_map = _map_unique(frame[roles["area"]], parse_area, "unknown area", file, roles["area"])
    area_col = frame[roles["area"]]
    out = pd.DataFrame(
        {
            "area_level": area_col.map({k: v[0] for k, v in area_map.items()}),
            "area_code": area_col.map({k: v[1] for k, v in area_map.items()}),
        }
    )
    presentations = {t[2] for t in area_map.values()}
    presentation = presentations.pop() if len(presentations) == 1 else "mixed"
    if "sex" in roles:
        sex_map = _map_unique(frame[roles["sex"]], parse_sex, "sex", file, roles["sex"])
        out["sex"] = frame[roles["sex"]].map(sex_map)
    else:
        out["sex"] = "total"
    if "age" in roles:
        age_map = _map_unique(frame[roles["age"]], parse_age, "age", file, roles["age"])
        age_col = frame[roles["age"]]
        out["age"] = age_col.map({k: v[0] for k, v in age_map.items()}).astype("Int64")
        out["age_open"] = age_col.map({k: v[1] for k, v in age_map.items()}).astype(bool)
    else:
        out["age"] = pd.array([pd.NA] * n, dtype="Int64")
        out["age_open"] = False
    per_map = _map_unique(frame[roles["time"]], parse_period, "period", file, roles["time"])
    out["period"] = _period_column(frame[roles["time"]], per_map, file, roles["time"])
    out["population"] = _to_int_population(frame[roles["value"]], file, roles["value"])
    out["municipality_code"] = pd.NA

    if "civil" in roles:
        civ = frame[roles["civil"]].str.strip().str.lower()
        is_total = civ.isin(["tot", "i alt", "total"]) | civ.str.startswith("tot ")
        if is_total.any():
            out = out[is_total.to_numpy()]
        else:
            keys = ["area_level", "area_code", "sex", "age", "age_open", "period"]
            out = out.groupby(keys, dropna=False, sort=False, as_index=False)["population"].sum(min_count=1)
            out["municipality_code"] = pd.NA

    result = _finish(out)
    tbl = table or _detect_table(Path(file).name, [h.upper() for h in header], result["period"])
    result.attrs["provenance"] = {
        "table": tbl,
        "presentation": presentation,
        "file": file,
        "periods": sorted({format_period(p) for p in result["period"].unique()}),
    }
    return result


def parse_tidy_municipality_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Parse the derived tidy monthly file (``municipality_code,...,period,population``).

    Example
    -------
    >>> parse_tidy_municipality_csv(
    ...     "../shared/data/population/derived_municipality_population_monthly_2021M10-2024M04.csv"
    ... )  # doctest: +SKIP
    """
    path = Path(path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    for col in ("municipality_code", "period", "population"):
        if col not in frame.columns:
            raise DataFormatError(f"{path}: missing column {col!r}")
    file = str(path)
    codes = _map_unique(frame["municipality_code"], normalize_municipality_code, "municipality code", file,
                        "municipality_code")
    out = pd.DataFrame({"area_level": "municipality", "area_code": frame["municipality_code"].map(codes)})
    _add_tidy_columns(out, frame, file)
    out["municipality_code"] = pd.NA
    result = _finish(out)
    freq = result["period"].iloc[0].freqstr[0] if len(result) else ""
    result.attrs["provenance"] = {
        "table": _TABLE_RE.search(path.name).group(1).upper() if _TABLE_RE.search(path.name)
        else {"M": "FOLK1AM", "Q": "FOLK1A"}.get(freq, "UNKNOWN"),
        "presentation": "tidy",
        "file": file,
        "periods": sorted({format_period(p) for p in result["period"].unique()}),
    }
    return result


def _add_tidy_columns(out: pd.DataFrame, frame: pd.DataFrame, file: str) -> None:
    """Parse the optional ``sex``/``age`` and the required ``period``/``population`` columns of a tidy file."""
    out["sex"] = (frame["sex"].map(_map_unique(frame["sex"], parse_sex, "sex", file, "sex"))
                  if "sex" in frame.columns else "total")
    if "age" in frame.columns:
        ages = frame["age"].map(_map_unique(frame["age"], parse_age, "age", file, "age"))
        out["age"] = pd.array([a for a, _ in ages], dtype="Int64")
        out["age_open"] = [o for _, o in ages]
    else:
        out["age"] = pd.array([pd.NA] * len(frame), dtype="Int64")
        out["age_open"] = False
    per = _map_unique(frame["period"], parse_period, "period", file, "period")
    out["period"] = _period_column(frame["period"], per, file, "period")
    out["population"] = _to_int_population(frame["population"], file, "population")


def parse_unit_population_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Parse a unit-population file (``municipality_code, unit_type, unit_code, period, population``
    [``, unit_name, sex, age``]) into :data:`UNIT_COLUMNS`.

    Example
    -------
    >>> parse_unit_population_csv("bydele.csv")  # doctest: +SKIP
    """
    path = Path(path)
    text = path.read_bytes().decode("utf-8-sig")
    sep = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    frame.columns = [c.strip().lower() for c in frame.columns]
    file = str(path)
    for col in ("municipality_code", "unit_type", "unit_code", "period", "population"):
        if col not in frame.columns:
            raise DataFormatError(f"{file}: unit population file lacks column {col!r}")
    codes = _map_unique(frame["municipality_code"], normalize_municipality_code, "municipality code", file,
                        "municipality_code")
    out = pd.DataFrame({"municipality_code": frame["municipality_code"].map(codes).astype("string")})
    out["unit_type"] = frame["unit_type"].str.strip().astype("string")
    out["unit_code"] = frame["unit_code"].str.strip().astype("string")
    names = frame["unit_name"] if "unit_name" in frame.columns else frame["unit_code"]
    out["unit_name"] = names.astype("string")
    _add_tidy_columns(out, frame, file)
    out["sex"] = out["sex"].astype("string")
    out = out[UNIT_COLUMNS].reset_index(drop=True)
    out.attrs["provenance"] = {"table": "units", "presentation": "tidy", "file": file,
                               "periods": sorted({format_period(p) for p in out["period"].unique()})}
    return out


def complete_totals(df: pd.DataFrame) -> pd.DataFrame:
    """Add the ``sex == "total"`` rows where a file has only male and female (e.g. FRKM projections).

    Existing totals are kept. Rows are only added for (area, age, period) cells where *both* sexes exist.

    Example
    -------
    >>> complete_totals(parse_statbank_csv(b"KOMMUNEDK;K\\xc3\\x98N;ALDER;TID;INDHOLD\\n851;M;0;2030;5\\n"
    ...                                    b"851;K;0;2030;4\\n", file="constructed example"))["sex"].tolist()
    ['male', 'female', 'total']
    """
    keys = ["area_level", "area_code", "age", "age_open", "period"]
    has_total = df[df["sex"] == "total"][keys].drop_duplicates()
    parts = df[df["sex"].isin(["male", "female"])]
    if parts.empty:
        return df
    counts = parts.groupby(keys, dropna=False, sort=False)["sex"].nunique()
    summed = parts.groupby(keys, dropna=False, sort=False)["population"].sum(min_count=2)
    summed = summed[counts == 2].reset_index()
    if not has_total.empty:
        summed = summed.merge(has_total, on=keys, how="left", indicator=True)
        summed = summed[summed["_merge"] == "left_only"].drop(columns="_merge")
    if summed.empty:
        return df
    summed["sex"] = "total"
    summed["municipality_code"] = pd.NA
    attrs = df.attrs
    out = pd.concat([df, _finish(summed)], ignore_index=True)
    out.attrs = attrs
    return out


def complete_age_totals(df: pd.DataFrame) -> pd.DataFrame:
    """Add the all-ages rows (``age`` NA) where a file has single years only (an export without ``IALT``).

    A cell (area, sex, period) gets a total only when its ages run without a gap from 0 to an open top group
    or to at least 100, so a partial age selection is never passed off as the whole population.

    Example
    -------
    >>> ages = "".join(f"851;TOT;{a};2024K1;1\\n" for a in range(0, 126))
    >>> out = complete_age_totals(parse_statbank_csv(("OMR\u00c5DE;K\u00d8N;ALDER;TID;INDHOLD\\n" + ages).encode(),
    ...                                              file="constructed example"))
    >>> int(out.loc[out["age"].isna(), "population"].iloc[0])
    126
    """
    keys = ["area_level", "area_code", "sex", "period"]
    singles = df[df["age"].notna()]
    if singles.empty:
        return df
    have_total = df[df["age"].isna()][keys].drop_duplicates()
    g = singles.groupby(keys, dropna=False, sort=False)
    stats = g.agg(n=("age", "nunique"), lo=("age", "min"), hi=("age", "max"), top_open=("age_open", "any"),
                  population=("population", "sum")).reset_index()
    complete = (stats["lo"] == 0) & (stats["n"] == stats["hi"] + 1) & (stats["top_open"] | (stats["hi"] >= 100))
    summed = stats[complete][keys + ["population"]]
    if not have_total.empty:
        summed = summed.merge(have_total, on=keys, how="left", indicator=True)
        summed = summed[summed["_merge"] == "left_only"].drop(columns="_merge")
    if summed.empty:
        return df
    summed["age"] = pd.array([pd.NA] * len(summed), dtype="Int64")
    summed["age_open"] = False
    summed["municipality_code"] = pd.NA
    attrs = df.attrs
    out = pd.concat([df, _finish(summed)], ignore_index=True)
    out.attrs = attrs
    return out


# ---------------------------------------------------------------------------------------------
# sniffing and import
# ---------------------------------------------------------------------------------------------
@dataclass
class ImportResult:
    """Outcome of importing one file: ``status`` is ``"imported"``, ``"skipped"`` or ``"failed"``."""

    path: str
    status: str
    kind: str | None = None
    key: str | None = None
    rows: int | None = None
    message: str = ""


def _first_line(path: Path) -> str:
    with open(path, "rb") as fh:
        line = fh.readline(4096)
    return line.decode("utf-8-sig", errors="replace").strip()


def sniff(path: str | os.PathLike[str]) -> str | None:
    """Classify a file: ``"statbank_csv"``, ``"tidy_population"``, ``"unit_population"``,
    ``"boundaries"``, ``"municipality_groups"``, ``"indicator"`` or ``None`` (not recognised).

    Example
    -------
    >>> sniff("README.md") is None  # doctest: +SKIP
    True
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in BOUNDARY_SUFFIXES:
        return "boundaries"
    if suffix == ".json":
        try:
            head = path.read_text(encoding="utf-8-sig", errors="replace")[:200_000]
        except OSError:
            return None
        if '"geometry"' in head or '"FeatureCollection"' in head or '"Topology"' in head:
            return "boundaries"
        from klyngedata.municipality_groups import is_municipality_groups_file

        if is_municipality_groups_file(path):
            return "municipality_groups"
    if suffix in {".csv", ".txt", ".json"}:
        if suffix in {".csv", ".txt"}:
            first = _first_line(path)
            cols = [c.strip().upper() for c in re.split(r"[;,]", first)]
            if ";" in first and "INDHOLD" in cols or (cols and cols[-1] in {"INDHOLD", "CONTENT"}):
                return "statbank_csv"
            lower = [c.lower() for c in cols]
            if {"municipality_code", "unit_type", "unit_code", "period", "population"} <= set(lower):
                return "unit_population"
            if {"municipality_code", "period", "population"} <= set(lower):
                return "tidy_population"
        try:
            from klyngedata import indicators
        except ImportError:
            return None
        is_ind = getattr(indicators, "is_indicator_file", None)
        if is_ind is not None and is_ind(path):
            return "indicator"
    return None


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def population_key(table: str) -> str:
    """Cache key of a population table (``"population/FOLK1A"``).

    Example
    -------
    >>> population_key("folk1am")
    'population/FOLK1AM'
    """
    return f"population/{table.upper()}"


def store_population(frame: pd.DataFrame, data_dir: str | os.PathLike[str] | None = None, *,
                     merge: bool = True, extra_meta: dict | None = None) -> str:
    """Write a tidy population frame into the cache (merging with an existing entry of the same table).

    New rows replace cached rows with the same area, sex, age and period. Returns the cache key.

    Example
    -------
    >>> store_population(parse_statbank_csv("FOLK1A.csv"), data_dir="/tmp/kd")  # doctest: +SKIP
    'population/FOLK1A'
    """
    prov = dict(frame.attrs.get("provenance", {}))
    table = prov.get("table") or "UNKNOWN"
    key = population_key(table)
    cache = Cache(data_dir)
    sources = [prov]
    if merge and cache.exists(key):
        old = cache.read(key)
        old_meta = old.attrs["provenance"]
        sources = list(old_meta.get("sources", [])) + sources
        old = old[TIDY_COLUMNS]
        frame = pd.concat([old, frame[TIDY_COLUMNS]], ignore_index=True)
        frame = frame.drop_duplicates(KEY_COLUMNS, keep="last")
    frame = frame.sort_values(["area_level", "area_code", "sex", "age", "period"], na_position="first",
                              ignore_index=True)
    meta = {
        "table": table,
        "presentation": prov.get("presentation"),
        "periods": sorted({format_period(p) for p in frame["period"].unique()}),
        "source": "Statistics Denmark (Danmarks Statistik), table " + table,
        "sources": sources,
        # whether the table holds a sex/age breakdown: a refresh fetches the same detail again
        "by_sex_age": bool(frame["age"].notna().any() or (frame["sex"] != "total").any()),
    }
    if "fetched_at" in prov:
        meta["fetched_at"] = prov["fetched_at"]
    if "file" in prov:
        meta["file"] = prov["file"]
        meta["imported_at"] = _now()
    meta.update(extra_meta or {})
    cache.write(key, frame, meta)
    return key


def _import_one(path: Path, data_dir) -> ImportResult:
    kind = sniff(path)
    if kind is None:
        return ImportResult(str(path), "skipped",
                            message="not a recognised population, boundary or indicator file")
    try:
        if kind in {"statbank_csv", "tidy_population"}:
            frame = parse_statbank_csv(path) if kind == "statbank_csv" else parse_tidy_municipality_csv(path)
            frame = complete_totals(frame)
            key = store_population(frame, data_dir)
            return ImportResult(str(path), "imported", kind, key, len(frame),
                                f"table {frame.attrs['provenance']['table']}")
        if kind == "unit_population":
            frame = parse_unit_population_csv(path)
            cache = Cache(data_dir)
            key = "population/units"
            if cache.exists(key):
                old = cache.read(key)[UNIT_COLUMNS]
                frame = pd.concat([old, frame], ignore_index=True).drop_duplicates(
                    ["municipality_code", "unit_type", "unit_code", "sex", "age", "age_open", "period"],
                    keep="last")
            cache.write(key, frame, {"table": "units", "file": str(path), "imported_at": _now(),
                                     "periods": sorted({format_period(p) for p in frame["period"].unique()}),
                                     "source": f"unit population file {path.name}"})
            return ImportResult(str(path), "imported", kind, key, len(frame))
        if kind == "municipality_groups":
            from klyngedata.municipality_groups import import_municipality_groups

            key = import_municipality_groups(path, data_dir)
            rows = (Cache(data_dir).meta(key) or {}).get("rows")
            return ImportResult(str(path), "imported", kind, key, rows, "municipality groups (DST)")
        if kind in ("boundaries", "indicator"):
            if kind == "boundaries":
                from klyngedata.geo.boundaries import import_boundaries as importer
            else:
                from klyngedata.indicators import import_indicator_file as importer
            res = importer(path, data_dir=data_dir)
            return ImportResult(str(path), "imported", kind, message=str(res) if res is not None else "")
    except KlyngedataError as exc:
        return ImportResult(str(path), "failed", kind, message=str(exc))
    return ImportResult(str(path), "skipped", kind, message="unhandled kind")


def import_file(path: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None,
                *, strict: bool = False) -> list[ImportResult]:
    """Import a file (or every recognised file under a directory) into the cache.

    Population files (StatBank CSV exports, the derived tidy file, unit populations) are parsed here;
    boundary files go to ``klyngedata.geo.boundaries.import_boundaries`` and health-indicator files to
    ``klyngedata.indicators.import_indicator_file``. Returns one :class:`ImportResult` per file
    (skipped files included). A single file that is not recognised or fails raises
    :class:`DataFormatError`; with ``strict=True`` so does any failure in a directory.

    Example
    -------
    >>> [r.key for r in import_file("../shared/data/population", data_dir="/tmp/kd")]  # doctest: +SKIP
    ['population/FOLK1AM', 'population/FOLK1AM']
    """
    path = Path(path)
    if not path.exists():
        raise DataFormatError(f"{path}: no such file or directory")
    if path.is_dir():
        files: Iterable[Path] = sorted(
            p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
        )
        results = [_import_one(p, data_dir) for p in files]
        failed = [r for r in results if r.status == "failed"]
        if strict and failed:
            raise DataFormatError("; ".join(f"{r.path}: {r.message}" for r in failed))
        return results
    result = _import_one(path, data_dir)
    if result.status != "imported":
        raise DataFormatError(f"{path}: {result.message}")
    return [result]


def results_frame(results: list[ImportResult]) -> pd.DataFrame:
    """Import results as a DataFrame (path, status, kind, key, rows, message).

    Example
    -------
    >>> results_frame([ImportResult("a.csv", "skipped")])["status"].tolist()
    ['skipped']
    """
    return pd.DataFrame([r.__dict__ for r in results],
                        columns=["path", "status", "kind", "key", "rows", "message"])


def to_json(results: list[ImportResult]) -> str:
    """Import results as JSON text (for logs)."""
    return json.dumps([r.__dict__ for r in results], ensure_ascii=False)
