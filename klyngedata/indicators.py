"""Health indicators: catalogue, file loaders with validation, and pooling to clusters, regions and Denmark.

Catalogue
    :data:`INDICATORS` (and :func:`indicator_catalogue`) describes every indicator: numerator, denominator,
    population group, unit, how it is pooled (``kind``), source and a ``verified`` flag (``False`` where the
    definition is marked [UNVERIFIED]/[SECONDARY] in the project's reference notes or not confirmed by the
    source). The entries are also registered in :mod:`klyngedata.catalogue` (group ``"health"``).

    ``kind`` decides the pooling:

    * ``"counts"`` – numerator and denominator are counts; pooled by summing both (never by averaging
      rates), value = numerator / denominator x ``per``;
    * ``"rate"`` – a published rate per ``per`` citizens without counts (e.g. home-nursing recipients per
      1,000): turned into an estimated count with the municipality population it was computed on
      (``rate x population / per``), the counts and populations are summed, value = sum / sum x ``per``;
    * ``"survey"`` – a survey share in % (Den Nationale Sundhedsprofil): pooled as a population-weighted
      average; the weights are stated in ``method_da`` (total population when the 16+ population is not
      available – an approximation).

User file format (documented long format)
    A CSV file (``,`` or ``;`` separated, UTF-8, header row) with the columns
    ``municipality`` (code ``851``/``0851`` or name), ``period`` (``2024``, ``2024K1``, ``2024M01``),
    ``indicator`` (an id of the catalogue), ``numerator`` and ``denominator`` (non-negative integers), and
    optionally ``sex`` (``total``/``male``/``female``, Danish accepted) and ``age_group`` (free label such as
    ``65-74``; ``total`` = all ages). Errors name the file, the line number (header = line 1) and the column.
    Christiansø (``0411``) is accepted; it belongs to no cluster but counts in Region Hovedstaden and Denmark.

Published files (read as they are)
    The municipality files of the doughnut project in ``shared/data/indicators`` (Sundhedsprofil 2025 and
    its history, hospital use %, GP contact %, home nursing per 1,000, prescriptions per 100): only the
    published columns (``*_pct``, ``*_raw``, ``raw_value``) are read; the project's own derived ``*_ratio``
    scores are never loaded.

Example
-------
>>> int(indicator_catalogue().set_index("indicator").loc["hjemmesygepleje_pr_1000", "per"])
1000
"""

from __future__ import annotations

import collections
import csv
import datetime as dt
import difflib
import hashlib
import io
import json
import math
import os
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from klyngedata import catalogue as _catalogue
from klyngedata.cache import Cache
from klyngedata.codes import normalize_municipality_code
from klyngedata.disclosure import (
    DEFAULT_THRESHOLD,
    NOTE_DA,
    format_number_da,
    mask_suppressed,
    refill_comparisons,
    suppress_published,
)
from klyngedata.exceptions import DataFormatError, DataNotAvailable, ImportRefused, KlyngedataError
from klyngedata.indicator_defs import (  # noqa: F401  (re-exported)
    _DOUGHNUT_COLUMNS,
    _ENTRIES,
    _SURVEY,
    INDICATORS,
    Indicator,
    indicator,
    indicator_catalogue,
)
from klyngedata.merge import MergeReport, merge_by_key
from klyngedata.outcomes import PUBLISHED_COLUMNS, published_outcomes
from klyngedata.stats import FigureStats

__all__ = [
    "INDICATORS",
    "INDICATOR_COLUMNS",
    "Indicator",
    "expected_counts",
    "import_indicator_file",
    "indicator",
    "indicator_catalogue",
    "indicator_figures",
    "is_indicator_file",
    "load_indicators",
    "read_indicator_file",
    "standardised_figures",
]

CHRISTIANSOE = "0411"
CHRISTIANSOE_REGION = "1084"
CACHE_PREFIX = "indicators/"
INDICATOR_COLUMNS = ["municipality_code", "period", "indicator", "sex", "age_group", "numerator",
                     "denominator", "value", "source_file", "source_row"]
KEY = ["municipality_code", "period", "indicator", "sex", "age_group"]



# --------------------------------------------------------------------------------------------------
# reading and validation
# --------------------------------------------------------------------------------------------------
_SEX = {"total": "total", "i alt": "total", "t": "total", "tot": "total", "begge køn": "total",
        "male": "male", "m": "male", "mænd": "male", "mand": "male", "1": "male",
        "female": "female", "f": "female", "k": "female", "kvinder": "female", "kvinde": "female", "2": "female"}
_AGE_TOTAL = {"", "total", "i alt", "alder i alt", "alle", "all"}
_LONG_REQUIRED = ["municipality", "period", "indicator", "numerator", "denominator"]
_LONG_OPTIONAL = ["sex", "age_group"]
_PERIOD_RE = re.compile(r"^(\d{4})(?:\s*([KQ])([1-4])|\s*M(\d{2}))?$", re.IGNORECASE)


class _Reader:
    """Row-level validation helpers that name file, line and column in every error."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)
        self._names: dict[str, str] | None = None

    def fail(self, line: int | None, column: str | None, problem: str) -> DataFormatError:
        where = self.name
        if line is not None:
            where += f", row {line}"
        if column is not None:
            where += f", column '{column}'"
        return DataFormatError(f"{where}: {problem}")

    def municipality(self, value: str, line: int, column: str) -> str:
        text = (value or "").strip()
        if not text:
            raise self.fail(line, column, "empty municipality")
        if text[0].isdigit():
            try:
                code = normalize_municipality_code(text)
            except ValueError as exc:
                raise self.fail(line, column, f"not a municipality code: {text!r}") from exc
            if code == CHRISTIANSOE or code in self.known():
                return code
            raise self.fail(line, column, f"unknown municipality code {text!r} (not one of the 98 municipalities)")
        key = text.lower().removesuffix(" kommune").strip()
        names = self.names()
        if key in names:
            return names[key]
        close = difflib.get_close_matches(key, list(names), n=3, cutoff=0.6)
        hint = f"; closest: {', '.join(close)}" if close else ""
        raise self.fail(line, column, f"unknown municipality {text!r}{hint}")

    def known(self) -> set[str]:
        return set(self.names().values())

    def names(self) -> dict[str, str]:
        if self._names is None:
            from klyngedata import registry

            m = registry.municipalities()
            names: dict[str, str] = {}
            for row in m.itertuples(index=False):
                for n in (row.name, getattr(row, "dst_name", row.name)):
                    names[str(n).lower()] = row.municipality_code
                names[row.municipality_code] = row.municipality_code
            names["christiansø"] = CHRISTIANSOE
            self._names = names
        return self._names

    def period(self, value: str, line: int, column: str) -> str:
        text = (value or "").strip()
        m = _PERIOD_RE.match(text)
        if not m:
            raise self.fail(line, column, f"not a period: {text!r} (use 2024, 2024K1 or 2024M01)")
        year, _, q, month = m.groups()
        if q:
            return f"{year}K{q}"
        if month:
            if not 1 <= int(month) <= 12:
                raise self.fail(line, column, f"month out of range in {text!r}")
            return f"{year}M{month}"
        return year

    def count(self, value: str, line: int, column: str) -> int:
        text = (value or "").strip().replace(" ", "")
        if not text:
            raise self.fail(line, column, "empty count")
        try:
            number = float(text.replace(",", ".")) if re.fullmatch(r"-?\d+([.,]\d+)?", text) else None
        except ValueError:
            number = None
        if number is None or not math.isfinite(number):
            raise self.fail(line, column, f"not a number: {text!r}")
        if number < 0:
            raise self.fail(line, column, f"negative count {text!r}")
        if not number.is_integer():
            raise self.fail(line, column, f"count must be an integer, got {text!r}")
        return int(number)

    def number(self, value: str, line: int, column: str, lo: float = 0.0, hi: float | None = None) -> float:
        text = (value or "").strip()
        try:
            number = float(text)
        except ValueError:
            raise self.fail(line, column, f"not a number: {text!r}") from None
        if not math.isfinite(number) or number < lo or (hi is not None and number > hi):
            rng = f"{lo}..{hi}" if hi is not None else f">= {lo}"
            raise self.fail(line, column, f"value {text!r} out of range ({rng})")
        return number

    def sex(self, value: str, line: int, column: str) -> str:
        key = (value or "").strip().lower()
        if key == "":
            return "total"
        if key not in _SEX:
            raise self.fail(line, column, f"unknown sex {value!r} (use total, male or female)")
        return _SEX[key]


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFormatError(f"{path}: not UTF-8 text ({exc})") from exc
    except OSError as exc:
        raise DataFormatError(f"{path}: cannot read ({exc})") from exc


def _header(text: str) -> tuple[list[str], str]:
    first = text.splitlines()[0] if text else ""
    delim = ";" if first.count(";") > first.count(",") else ","
    return [c.strip().lower() for c in next(csv.reader([first], delimiter=delim))] if first else [], delim


def _file_format(header: list[str]) -> str | None:
    cols = set(header)
    if {"municipality", "period", "indicator"} <= cols or {"numerator", "denominator", "indicator"} <= cols:
        return "long"
    if {"kommune_kode", "indicator_id", "aar", "raw_value"} <= cols:
        return "doughnut_history"
    if header and header[0] == "kommune_kode" and any(
        c.endswith(("_pct", "_raw", "_ratio")) for c in header[1:]
    ):
        return "doughnut_wide"
    return None


def is_indicator_file(path: str | os.PathLike[str]) -> bool:
    """True if ``path`` is a health-indicator file this module can read (checks the header only).

    Example
    -------
    >>> is_indicator_file("README.md")
    False
    """
    p = Path(path)
    if p.suffix.lower() not in {".csv", ".txt"} or not p.is_file():
        return False
    try:
        with open(p, encoding="utf-8-sig", errors="replace") as fh:
            first = fh.readline(8192)
    except OSError:
        return False
    return _file_format(_header(first)[0]) is not None


def _finish(rows: list[dict], path: Path, fmt: str) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=INDICATOR_COLUMNS)
    for c in ("numerator", "denominator", "value"):
        out[c] = pd.array(out[c].tolist(), dtype="Float64") if len(out) else pd.array([], dtype="Float64")
    out["source_row"] = out["source_row"].astype("Int64")
    for c in ("municipality_code", "period", "indicator", "sex", "age_group", "source_file"):
        out[c] = out[c].astype("string")
    out.attrs["provenance"] = {"file": str(path), "format": fmt,
                               "indicators": sorted(out["indicator"].dropna().unique().tolist())}
    return out


def _read_long(path: Path, text: str, delim: str, reader: _Reader) -> pd.DataFrame:
    rdr = csv.reader(io.StringIO(text), delimiter=delim)
    header = [c.strip().lower() for c in next(rdr)]
    missing = [c for c in _LONG_REQUIRED if c not in header]
    if missing:
        raise reader.fail(1, missing[0], f"missing column(s) {missing}; required {_LONG_REQUIRED}, "
                                         f"optional {_LONG_OPTIONAL}; found {header}")
    idx = {c: header.index(c) for c in header}
    rows: list[dict] = []
    seen: dict[tuple, int] = {}
    for line, rec in enumerate(rdr, start=2):
        if not any(x.strip() for x in rec):
            continue
        if len(rec) != len(header):
            raise reader.fail(line, None, f"expected {len(header)} fields, got {len(rec)}")

        def get(col: str, rec: list[str] = rec) -> str:
            return rec[idx[col]] if col in idx else ""

        ind_id = get("indicator").strip()
        if ind_id not in INDICATORS:
            close = difflib.get_close_matches(ind_id, list(INDICATORS), n=3, cutoff=0.5)
            hint = f"; closest: {', '.join(close)}" if close else ""
            raise reader.fail(line, "indicator", f"unknown indicator {ind_id!r}{hint}")
        ind = INDICATORS[ind_id]
        if ind.kind != "counts":
            raise reader.fail(line, "indicator", f"indicator {ind_id!r} is a published {ind.kind} without "
                                                 "counts; the long format needs numerator and denominator counts")
        code = reader.municipality(get("municipality"), line, "municipality")
        period = reader.period(get("period"), line, "period")
        num = reader.count(get("numerator"), line, "numerator")
        den = reader.count(get("denominator"), line, "denominator")
        if ind.bounded and num > den:
            raise reader.fail(line, "numerator", f"numerator {num} > denominator {den}, impossible for "
                                                 f"{ind_id} (a share of the denominator)")
        if den == 0 and num > 0:
            raise reader.fail(line, "denominator", f"denominator is 0 but numerator is {num}")
        sex = reader.sex(get("sex"), line, "sex")
        age = get("age_group").strip()
        age = "total" if age.lower() in _AGE_TOTAL else age
        key = (code, period, ind_id, sex, age)
        if key in seen:
            raise reader.fail(line, "indicator", f"duplicate row for {key} (first on row {seen[key]})")
        seen[key] = line
        rows.append(dict(municipality_code=code, period=period, indicator=ind_id, sex=sex, age_group=age,
                         numerator=num, denominator=den, value=(num / den * ind.per) if den else np.nan,
                         source_file=path.name, source_row=line))
    if not rows:
        raise reader.fail(None, None, "no data rows")
    return _finish(rows, path, "long")


def _read_doughnut_wide(path: Path, text: str, reader: _Reader) -> pd.DataFrame:
    rdr = csv.reader(io.StringIO(text))
    header = [c.strip() for c in next(rdr)]
    published = []
    for j, col in enumerate(header[1:], start=1):
        if col.endswith("_ratio"):
            continue  # the doughnut project's own derived score: never loaded
        if col not in _DOUGHNUT_COLUMNS:
            raise reader.fail(1, col, f"unknown published column {col!r}; known: {sorted(_DOUGHNUT_COLUMNS)}")
        published.append((j, col, INDICATORS[_DOUGHNUT_COLUMNS[col]]))
    if not published:
        raise reader.fail(1, None, "no published (*_pct / *_raw) column")
    rows = []
    for line, rec in enumerate(rdr, start=2):
        if not any(x.strip() for x in rec):
            continue
        if len(rec) != len(header):
            raise reader.fail(line, None, f"expected {len(header)} fields, got {len(rec)}")
        code = reader.municipality(rec[0], line, "kommune_kode")
        for j, col, ind in published:
            if not rec[j].strip():
                continue  # not published for this municipality
            hi = 100.0 if ind.per == 100 and ind.kind == "survey" else None
            value = reader.number(rec[j], line, col, 0.0, hi)
            rows.append(dict(municipality_code=code, period=ind.data_period, indicator=ind.id, sex="total",
                             age_group=ind.population_group if ind.kind == "survey" else "total",
                             numerator=np.nan, denominator=np.nan, value=value, source_file=path.name,
                             source_row=line))
    return _finish(rows, path, "doughnut_wide")


def _read_doughnut_history(path: Path, text: str, reader: _Reader) -> pd.DataFrame:
    rdr = csv.reader(io.StringIO(text))
    header = [c.strip() for c in next(rdr)]
    ix = {c: header.index(c) for c in ("kommune_kode", "indicator_id", "aar", "raw_value")}
    rows = []
    seen: dict[tuple, int] = {}
    for line, rec in enumerate(rdr, start=2):
        if not any(x.strip() for x in rec):
            continue
        if len(rec) != len(header):
            raise reader.fail(line, None, f"expected {len(header)} fields, got {len(rec)}")
        ind_id = f"sundhedsprofil_{rec[ix['indicator_id']].strip()}"
        if ind_id not in INDICATORS:
            raise reader.fail(line, "indicator_id", f"unknown indicator {rec[ix['indicator_id']]!r}")
        code = reader.municipality(rec[ix["kommune_kode"]], line, "kommune_kode")
        period = reader.period(rec[ix["aar"]], line, "aar")
        value = reader.number(rec[ix["raw_value"]], line, "raw_value", 0.0, 100.0)
        key = (code, period, ind_id)
        if key in seen:
            raise reader.fail(line, "indicator_id", f"duplicate row for {key} (first on row {seen[key]})")
        seen[key] = line
        rows.append(dict(municipality_code=code, period=period, indicator=ind_id, sex="total", age_group="16+",
                         numerator=np.nan, denominator=np.nan, value=value, source_file=path.name,
                         source_row=line))
    return _finish(rows, path, "doughnut_history")


def read_indicator_file(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read and validate one indicator file into the tidy indicator frame (:data:`INDICATOR_COLUMNS`).

    Formats: the documented long format (counts), and the published doughnut municipality files (wide
    ``kommune_kode, <id>_pct|_raw, <id>_ratio`` and the long Sundhedsprofil history). Errors are
    :class:`~klyngedata.exceptions.DataFormatError` naming file, row (line number, header = 1) and column.

    Example
    -------
    >>> df = read_indicator_file("../shared/data/indicators/hjemsyg_scores.csv")  # doctest: +SKIP
    >>> df.loc[df.municipality_code == "0773", "value"].item()  # doctest: +SKIP
    37.86
    """
    p = Path(path)
    text = _read_text(p)
    header, delim = _header(text)
    fmt = _file_format(header)
    reader = _Reader(p)
    if fmt == "long":
        return _read_long(p, text, delim, reader)
    if fmt == "doughnut_wide":
        return _read_doughnut_wide(p, text, reader)
    if fmt == "doughnut_history":
        return _read_doughnut_history(p, text, reader)
    raise reader.fail(1, None, f"not a recognised indicator file (header {header}); the long format needs "
                               f"columns {_LONG_REQUIRED}")


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _period_kind(label: str) -> str:
    text = str(label)
    return "quarterly" if "K" in text else "monthly" if "M" in text else "annual"


def _check_period_kinds(frame: pd.DataFrame, where: str, cached: pd.DataFrame | None = None) -> None:
    """One kind of period (annual, quarterly or monthly) per indicator, in the file and with the cache."""
    for ind_id, rows in frame.groupby("indicator", sort=True):
        kinds = rows["period"].map(_period_kind)
        if kinds.nunique() > 1:
            first = rows.loc[kinds.drop_duplicates().index]
            examples = ", ".join(f"{p!r} (row {r}, {_period_kind(p)})"
                                 for p, r in zip(first["period"], first["source_row"], strict=True))
            raise DataFormatError(
                f"{where}, column 'period': indicator {ind_id!r} mixes period types: {examples}. Use one period "
                "type per indicator (e.g. only years), or split the file by indicator and period type."
            )
        if cached is not None and len(cached):
            have = cached["period"].map(_period_kind).unique().tolist()
            if kinds.iloc[0] not in have:
                raise ImportRefused(
                    f"{where}, column 'period': indicator {ind_id!r} has {kinds.iloc[0]} periods "
                    f"({rows['period'].iloc[0]!r}, row {rows['source_row'].iloc[0]}) but is cached with "
                    f"{'/'.join(have)} periods ({_span_periods(cached['period'])}); an indicator holds one kind of "
                    "period. Import with --replace to replace the cached rows of this indicator."
                )


def _span_periods(periods: pd.Series) -> str:
    labels = sorted(set(periods), key=_sort_key)
    return labels[0] if len(labels) == 1 else f"{labels[0]}..{labels[-1]}"


@dataclass
class IndicatorImport:
    """Result of :func:`import_indicator_file`: the cache keys written (one per indicator), rows read from the
    file and, per indicator, what the merge did (``str()`` is a one-line summary for the CLI)."""

    keys: list[str]
    rows: int
    file: str
    reports: dict[str, MergeReport]

    @property
    def key(self) -> str:
        """The cache key, or for a file with several indicators ``indicators/ (n indicators)``."""
        return self.keys[0] if len(self.keys) == 1 else f"{CACHE_PREFIX} ({len(self.keys)} indicators)"

    def __str__(self) -> str:
        return "; ".join(f"{ind}: {rep}" for ind, rep in self.reports.items())


def import_indicator_file(path: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None, *,
                          replace: bool = False) -> IndicatorImport:
    """Read, validate and merge an indicator file into the cache (one entry ``indicators/<indicator id>`` each).

    Rows are merged by key (municipality, period, indicator, sex, age group): the file's rows replace cached
    rows with the same key, other cached rows are kept, so two files with the same name from different folders
    never overwrite each other. An indicator holds one kind of period (annual, quarterly or monthly); a file
    that mixes them is refused. ``replace=True`` replaces all cached rows of the file's indicators by the file's
    rows (the result says what was dropped). ``klyngedata data import PATH`` calls this for indicator files.

    Example
    -------
    >>> str(import_indicator_file("../shared/data/indicators/hjemsyg_scores.csv", "/tmp/kd"))  # doctest: +SKIP
    'hjemmesygepleje_pr_1000: 98 rows added'
    """
    p = Path(path)
    frame = read_indicator_file(p)
    where = str(p)
    _check_period_kinds(frame, where)
    cache = Cache(data_dir)
    keys, reports = [], {}
    with cache.lock():
        for ind_id, rows in frame.groupby("indicator", sort=True):
            ind_id = str(ind_id)
            key = CACHE_PREFIX + ind_id
            state, _ = cache.state(key)
            old = cache.read(key) if state == "ok" else None
            if state == "corrupt" and not replace:
                cache.read(key)  # raises CacheCorrupt naming the entry
            if not replace:
                _check_period_kinds(rows, where, old)
            old_meta = old.attrs["provenance"] if old is not None else {}
            old_rows = old[INDICATOR_COLUMNS] if old is not None else None
            merged, report = merge_by_key(old_rows, rows[INDICATOR_COLUMNS].reset_index(drop=True), KEY,
                                          ["numerator", "denominator", "value"], replace=replace)
            merged = merged.sort_values(KEY, ignore_index=True)
            files = [] if replace else [f for f in old_meta.get("files", []) if f.get("file") != str(p.resolve())]
            files.append({"file": str(p.resolve()), "imported_at": _now(),
                          "format": frame.attrs["provenance"]["format"], "rows": len(rows)})
            meta = {
                "table": "indicators",
                "indicator": ind_id,
                "file": str(p.resolve()),
                "files": files,
                "imported_at": _now(),
                "periods": sorted(merged["period"].unique().tolist(), key=_sort_key),
                "indicators": [ind_id],
                "source": INDICATORS[ind_id].source_da,
            }
            cache.write(key, merged, meta)
            keys.append(key)
            reports[ind_id] = report
    return IndicatorImport(keys, len(frame), str(p.resolve()), reports)


def load_indicators(data_dir: str | os.PathLike[str] | None = None,
                    indicators: Iterable[str] | None = None) -> pd.DataFrame:
    """All imported indicator rows from the cache (one tidy frame). Raises DataNotAvailable if none.

    Where two imported files hold the same key (municipality, period, indicator, sex, age group) the row of
    the file imported last wins (e.g. the 2025 history rows and the 2025 scores file hold equal values).

    Example
    -------
    >>> load_indicators("/tmp/kd", ["hjemmesygepleje_pr_1000"])  # doctest: +SKIP
    """
    cache = Cache(data_dir)
    keys = [k for k in cache.keys() if k.startswith(CACHE_PREFIX)]
    frames = []
    for k in keys:
        meta = cache.meta(k)
        if meta is None:
            continue
        f = cache.read(k)
        f["_imported_at"] = meta.get("imported_at", "")
        frames.append(f)
    if not frames:
        raise DataNotAvailable(
            f"No health-indicator files in the cache ({cache.root}). Import them with "
            "`klyngedata data import PATH` (e.g. the folder with the indicator CSV files)."
        )
    out = pd.concat(frames, ignore_index=True).sort_values("_imported_at", kind="stable")
    out = out.drop_duplicates(KEY, keep="last").drop(columns="_imported_at")
    if indicators is not None:
        wanted = [indicator(i).id for i in indicators]
        out = out[out["indicator"].isin(wanted)]
    out = out.sort_values(KEY, ignore_index=True)
    out.attrs["provenance"] = {"cache_keys": keys}
    return out


# --------------------------------------------------------------------------------------------------
# population weights
# --------------------------------------------------------------------------------------------------
def _population_table(data_dir, population: pd.DataFrame | None) -> pd.DataFrame:
    """Municipality totals: municipality_code, period (label), population, table."""
    if population is not None:
        df = population.copy()
        if "municipality_code" not in df.columns and "entity_id" in df.columns:
            if "level" in df.columns:
                df = df[df["level"] == "municipality"]
            df = df.rename(columns={"entity_id": "municipality_code"})
        for c, v in (("sex", "total"),):
            if c in df.columns:
                df = df[df[c] == v]
        for c in ("age", "age_group"):
            if c in df.columns:
                df = df[df[c].isna() | df[c].astype("string").isin(["total", "i alt"])]
        df["municipality_code"] = df["municipality_code"].map(normalize_municipality_code)
        df["period"] = df["period"].map(_period_label)
        df["table"] = population.attrs.get("table", "befolkningstabel")
        return df[["municipality_code", "period", "population", "table"]]
    from klyngedata.population import population as population_fn

    try:
        df = population_fn("municipality", period="all", data_dir=data_dir)
    except DataNotAvailable as exc:
        raise DataNotAvailable(
            "Pooling published rates and survey shares needs the municipality population (FOLK1A/FOLK1AM): "
            f"{exc}"
        ) from exc
    prov = df.attrs.get("provenance") or [{}]
    table = (prov[0] if isinstance(prov, list) else prov).get("table") or "befolkningstabel"
    df = df[df["sex"] == "total"] if "sex" in df.columns else df
    df = df.assign(municipality_code=df["entity_id"].astype(str), period=df["period"].map(_period_label),
                   table=table)
    return df[["municipality_code", "period", "population", "table"]].dropna(subset=["population"])


def _period_label(p: object) -> str:
    if isinstance(p, pd.Period):
        if p.freqstr.startswith("M"):
            return f"{p.year}M{p.month:02d}"
        if p.freqstr.startswith("Q"):
            return f"{p.year}K{p.quarter}"
        return str(p.year)
    return str(p)


def _pick_population_period(year_label: str, available: Sequence[str]) -> tuple[str, str]:
    """Population period for an indicator period: 1 January of its year, else the nearest earlier one."""
    year = int(year_label[:4])
    avail = sorted(set(available), key=_sort_key)
    for cand in (f"{year}M01", f"{year}K1", str(year)):
        if cand in avail:
            return cand, f"befolkningen 1. januar {year}"
    earlier = [a for a in avail if _sort_key(a) < (year, 0)]
    if earlier:
        a = earlier[-1]
        return a, (f"befolkningen i {a} (seneste tilgængelige før {year_label}; befolkningen 1. januar {year} "
                   "findes ikke i data – en tilnærmelse)")
    later = [a for a in avail if _sort_key(a) >= (year, 0)]
    if later:
        a = later[0]
        return a, f"befolkningen i {a} (nærmeste tilgængelige; en tilnærmelse)"
    raise DataNotAvailable(f"no municipality population available for period {year_label}")


def _sort_key(label: str) -> tuple[int, int]:
    m = _PERIOD_RE.match(label)
    if not m:
        return (0, 0)
    year, _, q, month = m.groups()
    if q:
        return (int(year), (int(q) - 1) * 3 + 1)
    if month:
        return (int(year), int(month))
    return (int(year), 1)


# --------------------------------------------------------------------------------------------------
# pooling
# --------------------------------------------------------------------------------------------------
_LEVELS = ("municipality", "cluster", "region", "country")


def _unit_shares(mem: pd.DataFrame, data_dir) -> tuple[dict[tuple[str, str], float], dict[str, str]]:
    """Shares of unit-split municipalities per cluster from the unit population (cache ``population/units``).

    Returns ``{(cluster_id, municipality_code): share}`` and a Danish note per municipality. Uses the latest
    period of the unit file; a municipality is left out if any of its membership units is missing.
    """
    units = mem[mem["allocation"] == "unit"]
    cache = Cache(data_dir)
    if units.empty or not cache.exists("population/units"):
        return {}, {}
    u = cache.read("population/units")
    if "sex" in u.columns and (u["sex"] == "total").any():
        u = u[u["sex"] == "total"]
    if "age" in u.columns and u["age"].isna().any():
        u = u[u["age"].isna()]
    shares: dict[tuple[str, str], float] = {}
    notes: dict[str, str] = {}
    for code, g in units.groupby("municipality_code"):
        uc = u[(u["municipality_code"] == code) & (u["unit_type"] == g["unit_type"].iloc[0])]
        if uc.empty:
            continue
        latest = max(uc["period"])
        pops = uc[uc["period"] == latest].groupby("unit_code")["population"].sum().astype(float)
        if not set(g["unit_code"]) <= set(pops.index) or pops.sum() <= 0:
            continue
        total = float(pops.sum())
        for cid, gc in g.groupby("cluster_id"):
            shares[(cid, code)] = float(pops[list(gc["unit_code"])].sum()) / total
        label = latest.strftime("%Y-%m") if isinstance(latest, pd.Period) else str(latest)
        notes[code] = (
            f"{g['municipality_name'].iloc[0]} ({code}) er delt på {g['unit_type'].iloc[0]} og fordelt efter "
            f"befolkningsandelen i delområderne ({label}); det antager samme rate i hele kommunen – en tilnærmelse."
        )
    return shares, notes


def _entities(division: str | None, data_dir=None):
    """Membership weights and names: (weights frame, names dict, cluster->region, notes)."""
    from klyngedata import registry

    division = registry.resolve_division(division)
    mem = registry.membership(division)
    muni = registry.municipalities(division=division)  # regions valid for the division (Østdanmark from 2027)
    regions = registry.regions()
    unit_shares, unit_notes = _unit_shares(mem, data_dir)
    rows = []
    not_computable: dict[str, str] = {}
    split_notes: dict[str, str] = {}
    for r in mem.itertuples(index=False):
        share = r.share
        if r.allocation == "whole":
            w = 1.0
        elif r.allocation == "share" and pd.notna(share):
            w = float(share)
        elif r.allocation == "unit" and (r.cluster_id, r.municipality_code) in unit_shares:
            w = unit_shares[(r.cluster_id, r.municipality_code)]
            split_notes[r.cluster_id] = unit_notes[r.municipality_code]
        else:
            not_computable[r.cluster_id] = (
                f"{r.municipality_name} ({r.municipality_code}) er delt på {r.unit_type} mellem klynger, og der "
                "findes ingen befolkningstal pr. delområde – klyngens værdi kan ikke beregnes."
            )
            continue
        rows.append((r.cluster_id, r.municipality_code, w, r.allocation))
    weights = pd.DataFrame(rows, columns=["cluster_id", "municipality_code", "weight", "allocation"])
    weights = weights.drop_duplicates(["cluster_id", "municipality_code"])
    cl = mem.drop_duplicates("cluster_id")
    names = {("cluster", r.cluster_id): r.cluster_name for r in cl.itertuples(index=False)}
    names.update({("municipality", r.municipality_code): r.name for r in muni.itertuples(index=False)})
    names[("municipality", CHRISTIANSOE)] = "Christiansø"
    names.update({("region", r.region_key): r.name for r in regions.itertuples(index=False)})
    names[("country", "DK")] = "Hele landet"
    cluster_region = dict(zip(cl["cluster_id"], cl["region_code"], strict=True))
    muni_region = dict(zip(muni["municipality_code"], muni["region_code"], strict=True))
    muni_region[CHRISTIANSOE] = registry.region_key_on(CHRISTIANSOE_REGION, division=division)
    split_munis = set(mem.loc[mem["allocation"] != "whole", "municipality_code"])
    return weights, names, cluster_region, muni_region, not_computable, split_munis, split_notes


def _pool(data: pd.DataFrame, ind: Indicator, pop_note: str) -> dict:
    """Pool municipality rows (with a ``weight`` column) of one indicator/slice into one value.

    ``members``: the ``(municipality_code, weight)`` pairs the value is computed from (disclosure control).
    """

    def col(name: str) -> np.ndarray:
        return pd.to_numeric(data[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)

    w = col("weight")
    members = tuple(zip(data["municipality_code"].astype(str), w.tolist(), strict=True))
    if ind.kind == "counts":
        num = float(np.nansum(col("numerator") * w))
        den = float(np.nansum(col("denominator") * w))
        value = num / den * ind.per if den > 0 else np.nan
        method = ("Tæller og nævner er summeret over kommunerne (rater er ikke gennemsnit af kommunernes "
                  "rater).")
        return dict(numerator=num, denominator=den, value=value, method_da=method, members=members)
    pop = col("population") * w
    if ind.kind == "rate":
        est = col("value") * pop / ind.per
        num, den = float(np.nansum(est)), float(np.nansum(pop))
        value = num / den * ind.per if den > 0 else np.nan
        method = (f"Offentliggjort rate pr. {ind.per:,} omregnet til et beregnet antal = rate x kommunens "
                  f"folketal / {ind.per:,} ({pop_note}); antal og folketal er summeret over kommunerne."
                  ).replace(",", ".")
        return dict(numerator=num, denominator=den, value=value, method_da=method, members=members)
    # survey share: population-weighted average; total population used as the weight
    den = float(np.nansum(pop))
    value = float(np.nansum(col("value") * pop) / den) if den > 0 else np.nan
    method = ("Befolkningsvægtet gennemsnit af kommunernes andele. Vægt: hele befolkningen "
              f"({pop_note}), fordi befolkningen 16+ år ikke er tilgængelig – en tilnærmelse.")
    return dict(numerator=np.nan, denominator=den, value=value, method_da=method, members=members)


def _select_periods(data: pd.DataFrame, period: object) -> pd.DataFrame:
    if period is None or period == "all":
        return data
    if period == "latest":
        latest = data.groupby("indicator")["period"].transform(lambda s: max(s, key=_sort_key))
        return data[data["period"] == latest]
    wanted = [period] if isinstance(period, (str, int, pd.Period)) else list(period)  # type: ignore[arg-type]
    labels = {_period_label(p) if isinstance(p, pd.Period) else str(p) for p in wanted}
    out = data[data["period"].isin(labels)]
    if out.empty:
        raise DataNotAvailable(f"no indicator data for period(s) {sorted(labels)}; available: "
                               f"{sorted(data['period'].unique(), key=_sort_key)}")
    return out


def _fill_totals(data: pd.DataFrame) -> pd.DataFrame:
    """For count indicators given only by sex/age strata, add the all-ages/both-sexes total row."""
    counts = data[data["indicator"].map(lambda i: INDICATORS[i].kind == "counts")]
    if counts.empty:
        return data
    has_total = counts[(counts["sex"] == "total") & (counts["age_group"] == "total")]
    keys = ["municipality_code", "period", "indicator"]
    have = set(map(tuple, has_total[keys].to_numpy().tolist()))
    new = []
    for k, g in counts.groupby(keys):
        if k in have:
            continue
        for sel in ((g["sex"] != "total") & (g["age_group"] != "total"),
                    (g["sex"] == "total") & (g["age_group"] != "total"),
                    (g["sex"] != "total") & (g["age_group"] == "total")):
            part = g[sel]
            if len(part):
                ind = INDICATORS[k[2]]
                num, den = float(part["numerator"].sum()), float(part["denominator"].sum())
                new.append(dict(municipality_code=k[0], period=k[1], indicator=k[2], sex="total",
                                age_group="total", numerator=num, denominator=den,
                                value=num / den * ind.per if den else np.nan,
                                source_file=str(part["source_file"].iloc[0]), source_row=pd.NA))
                break
    if not new:
        return data
    return pd.concat([data, pd.DataFrame(new)], ignore_index=True)


def _long_table(data: pd.DataFrame, division: str | None, data_dir, population) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All entities (municipality, cluster, region, country) for every slice + the additive hierarchy."""
    weights, names, cluster_region, muni_region, not_comp, split_munis, split_notes = _entities(division, data_dir)
    # plain Python strings: the loops below select by code many times (arrow-backed strings are slow there)
    data = data.astype({c: "object" for c in ("municipality_code", "period", "indicator", "sex", "age_group",
                                              "source_file") if c in data.columns})
    need_pop = data["indicator"].map(lambda i: INDICATORS[i].kind != "counts").any()
    pop_tab = _population_table(data_dir, population) if need_pop else None
    rows: list[dict] = []
    slice_cols = ["indicator", "period", "sex", "age_group"]
    cluster_weights = {cid: dict(zip(wg["municipality_code"], wg["weight"].astype(float), strict=True))
                       for cid, wg in weights.groupby("cluster_id")}
    for (ind_id, period, sex, age), part in data.groupby(slice_cols, sort=True):
        ind = INDICATORS[ind_id]
        part = part.copy()
        pop_note = ""
        pop_label = None
        if ind.kind != "counts":
            pop_label, pop_note = _pick_population_period(period, pop_tab["period"].unique().tolist())
            pt = pop_tab[pop_tab["period"] == pop_label]
            pmap = dict(zip(pt["municipality_code"], pt["population"].astype(float), strict=False))
            part["population"] = part["municipality_code"].map(pmap)
            if part["population"].isna().any():
                missing = part.loc[part["population"].isna(), "municipality_code"].tolist()
                raise DataNotAvailable(f"no population in {pop_label} for municipalities {missing}")
            pop_note += f" (Danmarks Statistik {pt['table'].iloc[0]})"
        part["weight"] = 1.0
        part["region_code"] = part["municipality_code"].map(muni_region)
        prov = f"{ind.source_da}; fil: {', '.join(sorted(part['source_file'].astype(str).unique()))}"
        if pop_label:
            prov += f"; befolkning: {pt['table'].iloc[0]} {pop_label}"
        base = dict(figure_id=ind_id, period=period, sex=sex, age_group=age, provenance=prov)

        def add(level: str, eid: str, pooled: dict, region: str | None, base=base) -> None:
            rows.append(dict(base, entity_level=level, entity_id=eid, entity_name=names.get((level, eid), eid),
                             region_code=region, **pooled))

        if ind.kind == "counts":
            m_num, m_den = part["numerator"].astype(float), part["denominator"].astype(float)
            m_method = "Kommunens eget tal."
        elif ind.kind == "rate":
            m_den = part["population"].astype(float)
            m_num = part["value"].astype(float) * m_den / ind.per
            m_method = f"Offentliggjort kommunetal; beregnet antal med {pop_note}."
        else:
            m_den = part["population"].astype(float)
            m_num = pd.Series(np.nan, index=part.index)
            m_method = f"Offentliggjort kommunetal (andel i %); vægt i puljer: {pop_note}."
        for code, n, d, v in zip(part["municipality_code"], m_num, m_den, part["value"].astype(float),
                                 strict=True):
            add("municipality", code, dict(numerator=n, denominator=d, value=v, method_da=m_method,
                                           members=((code, 1.0),)),
                muni_region.get(code))
        present = set(part["municipality_code"])
        for cid, wmap in cluster_weights.items():
            if cid in not_comp:
                add("cluster", cid, dict(numerator=np.nan, denominator=np.nan, value=np.nan,
                                         method_da=not_comp[cid]), cluster_region[cid])
                continue
            members = set(wmap)
            if not members <= present:
                add("cluster", cid, dict(numerator=np.nan, denominator=np.nan, value=np.nan,
                                         method_da="Mangler tal for kommune(r): "
                                         + ", ".join(sorted(members - present))), cluster_region[cid])
                continue
            sub = part[part["municipality_code"].isin(members)]
            sub = sub.assign(weight=sub["municipality_code"].map(wmap))
            pooled = _pool(sub, ind, pop_note)
            if cid in split_notes:
                pooled["method_da"] += " " + split_notes[cid]
            add("cluster", cid, pooled, cluster_region[cid])
        for reg, sub in part.groupby("region_code"):
            add("region", reg, _pool(sub, ind, pop_note), reg)
        add("country", "DK", _pool(part, ind, pop_note), None)
        if part["municipality_code"].nunique() < 98:
            for row in rows[-(len(part["region_code"].unique()) + 1):]:
                row["method_da"] += " Bemærk: ikke alle 98 kommuner har tal."
    table = pd.DataFrame(rows)
    _, hierarchy = _long_table_hierarchy(weights, not_comp, cluster_region, muni_region, split_munis)
    return table, hierarchy


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
    """Health indicators by cluster (or municipality/region/Denmark) in the key-figure schema.

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

    Example
    -------
    >>> indicator_figures("nordjylland-vest", indicators=["hjemmesygepleje_pr_1000"])  # doctest: +SKIP
    """
    from klyngedata import registry

    if level not in _LEVELS:
        raise KlyngedataError(f"unknown level {level!r}; use one of {list(_LEVELS)}")
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
    out = _published(frame, division, data_dir, population, threshold)
    failed = out.attrs.get("failed_periods", {})
    for p in sorted(set(selected["period"])):
        if p in failed:
            raise DataNotAvailable(f"indicators of period {p} cannot be pooled: {failed[p]}")
    chosen = set(zip(selected["indicator"], selected["period"], strict=True))
    last = {ind: max(map(_sort_key, g["period"])) for ind, g in selected.groupby("indicator")}
    in_series = [ind in last and _sort_key(p) <= last[ind] for ind, p in zip(out["figure_id"], out["period"],
                                                                              strict=True)]
    out = out[in_series].copy()
    out["_selected"] = [k in chosen for k in zip(out["figure_id"], out["period"], strict=True)]
    history_error = ""
    if any(_sort_key(p) < max(last.values()) for p in failed):
        warnings.warn(f"indicator trends: earlier periods cannot be pooled: {failed}", stacklevel=2)
        history_error = ("Udviklingen kan ikke beregnes, fordi tallene for de tidligere perioder ikke kan puljes "
                         "med de tilgængelige data.")
    out["label_da"] = out["figure_id"].map(lambda i: INDICATORS[i].label_da)
    out["unit"] = out["figure_id"].map(lambda i: INDICATORS[i].unit)
    out["verified"] = out["figure_id"].map(lambda i: INDICATORS[i].verified)
    nan_value = out["value"].isna() & ~out["suppressed"]
    out.loc[nan_value, "display"] = "–"
    out["period"] = out["period"].map(lambda p: _to_period(p))
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


def _published(frame: pd.DataFrame, division: str, data_dir, population, threshold: int) -> pd.DataFrame:
    """The rows of ``division`` (municipalities, its clusters, regions, Denmark; with ``decimals``) from
    :func:`_universe`. The last few universes are kept in memory (other levels, periods or divisions of the
    same data are one computation)."""
    key = _published_key(frame, data_dir, population, threshold)
    if key not in _PUBLISHED:
        _PUBLISHED[key] = _universe(frame, data_dir, population, threshold)
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


def _universe(frame: pd.DataFrame, data_dir, population, threshold: int) -> pd.DataFrame:
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
    out = suppress_published(table, bounded=lambda i: INDICATORS[i].bounded, threshold=threshold,
                             decimals="decimals")
    out.attrs["divisions"] = done
    out.attrs["failed"] = failed
    out.attrs["failed_periods"] = failed_periods
    return out


def _to_period(label: str) -> pd.Period:
    m = _PERIOD_RE.match(str(label))
    year, _, q, month = m.groups()
    if q:
        return pd.Period(f"{year}Q{q}", freq="Q")
    if month:
        return pd.Period(f"{year}-{month}", freq="M")
    return pd.Period(year, freq="Y")


# --------------------------------------------------------------------------------------------------
# standardisation of count indicators
# --------------------------------------------------------------------------------------------------
def standardised_figures(
    indicator_id: str,
    *,
    method: str = "indirect",
    level: str = "cluster",
    period: object = "latest",
    division: str | None = None,
    strata: Sequence[str] = ("sex", "age_group"),
    standard: pd.DataFrame | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    data: pd.DataFrame | None = None,
    threshold: int = DEFAULT_THRESHOLD,
) -> pd.DataFrame:
    """Age/sex-standardised figures of a count indicator for every cluster (or municipality/region).

    ``method="indirect"``: expected events with Denmark's stratum rates (all municipalities in the data),
    ``ratio`` = observed / expected with a 95% CI. ``method="direct"``: directly standardised rate per the
    indicator's ``per`` with a 95% CI (gamma method); ``standard`` defaults to Denmark's population at risk
    in the data (the denominators summed by stratum). Disclosure control: a row is shown only when every
    stratum count it is computed from is shown by :func:`indicator_figures` for the same data (its own and
    Denmark's), otherwise hidden with every numeric column (``<5`` when its observed count or population is
    1-4, else ``x``). Every row also carries the intervals (``ci95_*`` = ``lower``/``upper``, and 99.8 %),
    polarity and the outcomes against its region and Denmark (``vs_region``, ``vs_country``; see
    :mod:`klyngedata.outcomes`).

    Example
    -------
    >>> standardised_figures("forebyggelige_indlaeggelser_65", data=my_frame)  # doctest: +SKIP
    """
    from klyngedata import registry
    from klyngedata.standardise import direct_standardise, indirect_standardise

    ind = indicator(indicator_id)
    if ind.kind != "counts":
        raise KlyngedataError(f"{ind.id}: standardisation needs counts by stratum (kind 'counts')")
    strata = list(strata)
    frame = data.copy() if data is not None else load_indicators(data_dir, [ind.id])
    everything = frame[frame["indicator"] == ind.id]
    frame = _select_periods(everything, period)
    if frame.empty:
        raise DataNotAvailable(f"no data for {ind.id}")
    frame = frame[(frame["sex"] != "total") if "sex" in strata else (frame["sex"] == "total")]
    frame = frame[(frame["age_group"] != "total") if "age_group" in strata else (frame["age_group"] == "total")]
    if frame.empty:
        raise DataNotAvailable(f"{ind.id}: no rows broken down by {strata}")
    division = registry.resolve_division(division)
    weights, names, cluster_region, muni_region, not_comp, _split, _notes = _entities(division, data_dir)
    frame = frame.assign(region_code=frame["municipality_code"].map(muni_region))
    parts = []
    for period_label, fp in frame.groupby("period"):
        ent = [fp.assign(entity_level="municipality", entity_id=fp["municipality_code"])]
        cl = fp.merge(weights[["cluster_id", "municipality_code", "weight"]], on="municipality_code")
        cl = cl[~cl["cluster_id"].isin(list(not_comp))]
        cl = cl.assign(numerator=cl["numerator"] * cl["weight"], denominator=cl["denominator"] * cl["weight"])
        ent.append(cl.assign(entity_level="cluster", entity_id=cl["cluster_id"],
                             region_code=cl["cluster_id"].map(cluster_region)))
        ent.append(fp.assign(entity_level="region", entity_id=fp["region_code"]))
        ent.append(fp.assign(entity_level="country", entity_id="DK"))
        long = pd.concat(ent, ignore_index=True)
        long["numerator"] = long["numerator"].astype(float)
        long["denominator"] = long["denominator"].astype(float)
        by = ["entity_level", "entity_id"]
        if method == "indirect":
            res = indirect_standardise(long, fp, strata=strata, by=by)
            res["value"] = res["ratio"]
            strict = indirect_standardise(long, fp, strata=strata, by=by, conf=0.998)
        elif method == "direct":
            std = standard if standard is not None else (
                fp.groupby(strata, as_index=False)["denominator"].sum().rename(
                    columns={"denominator": "population"}))
            res = direct_standardise(long, std, strata=strata, by=by, per=ind.per)
            res["value"] = res["rate"]
            strict = direct_standardise(long, std, strata=strata, by=by, per=ind.per, conf=0.998)
        else:
            raise KlyngedataError(f"unknown method {method!r}; use 'indirect' or 'direct'")
        res["lower998"], res["upper998"] = strict["lower"].to_numpy(), strict["upper"].to_numpy()
        res["period"] = period_label
        parts.append(res)
    res = pd.concat(parts, ignore_index=True)
    res["entity_name"] = [names.get((lv, e), e) for lv, e in zip(res["entity_level"], res["entity_id"],
                                                                  strict=True)]
    res["region_code"] = [muni_region.get(e) if lv == "municipality" else cluster_region.get(e)
                          if lv == "cluster" else (e if lv == "region" else None)
                          for lv, e in zip(res["entity_level"], res["entity_id"], strict=True)]
    res["figure_id"] = ind.id
    res["numerator"] = res["observed"]
    res["denominator"] = res["population"]
    out = _standardised_disclosure(res, frame, _published(everything, division, data_dir, None, threshold),
                                   threshold)
    out["period"] = out["period"].map(_to_period)
    out = out[out["entity_level"] == level].reset_index(drop=True)
    out = out.assign(ci95_low=out["lower"], ci95_high=out["upper"], ci998_low=out["lower998"],
                     ci998_high=out["upper998"]).drop(columns=["lower998", "upper998"])
    d = _catalogue.figure(ind.id)
    what = "indirekte standardiseret ratio (observeret/forventet)" if method == "indirect" else \
        "direkte standardiseret rate"
    spec = FigureStats(polarity=d.polarity or "neutral", ci_method="given",
                       no_trend_da=f"Udviklingen i en {what} testes ikke.")
    out = published_outcomes(out, specs={ind.id: spec})
    out["ci_method"] = "poisson" if method == "indirect" else "gamma"
    out.attrs["disclosure_note_da"] = NOTE_DA
    return out


def _standardised_disclosure(res: pd.DataFrame, strata_rows: pd.DataFrame, published: pd.DataFrame,
                             threshold: int) -> pd.DataFrame:
    """Disclosure control of standardised figures: a row is shown only when every stratum count it is
    computed from – the entity's and Denmark's (the reference rates and the default standard) – is shown in
    the published indicator table (:func:`_published`), so it reveals nothing the table does not; a row
    whose observed count or population is 1-4 is marked ``<5``, any other hidden row ``x``; every numeric
    column of a hidden row is removed."""
    shown = published[~published["suppressed"] & published["numerator"].notna()
                      & published["denominator"].notna()]
    shown_keys = set(zip(shown["entity_level"], shown["entity_id"].astype(str), shown["period"].astype(str),
                         shown["sex"], shown["age_group"], strict=True))
    need = {str(p): sorted(set(zip(g["sex"], g["age_group"], strict=True)))
            for p, g in strata_rows.groupby("period")}

    def visible(level: str, eid: str, period: str) -> bool:
        cells = need.get(str(period), [])
        return bool(cells) and all((lv, e, str(period), s, a) in shown_keys for s, a in cells
                                   for lv, e in ((level, str(eid)), ("country", "DK")))

    out = res.copy()
    ok = np.array([visible(lv, e, p) for lv, e, p in zip(out["entity_level"], out["entity_id"], out["period"],
                                                          strict=True)], dtype=bool)
    with np.errstate(invalid="ignore"):
        small = ((out["observed"].astype(float) > 0) & (out["observed"].astype(float) < threshold)) | (
            (out["population"].astype(float) > 0) & (out["population"].astype(float) < threshold))
    primary = small.to_numpy(dtype=bool)
    hidden = primary | ~ok
    out["suppressed"] = hidden
    out["display"] = pd.Series([
        (f"<{threshold}" if p else "x") if h else format_number_da(v, 2)
        for p, h, v in zip(primary, hidden, out["value"], strict=True)], index=out.index, dtype="string")
    out = mask_suppressed(out)
    return refill_comparisons(out, ("figure_id", "period"))


def _long_table_hierarchy(weights, not_comp, cluster_region, muni_region, split_munis):
    """Additive groups: municipality -> cluster (whole members only); cluster -> region where the region's
    clusters partition it, otherwise municipality -> region; region -> country."""
    h = []
    for cid, wg in weights.groupby("cluster_id"):
        if cid not in not_comp and (wg["allocation"] == "whole").all():
            h += [("cluster", cid, "municipality", m) for m in wg["municipality_code"]]
    for reg in sorted(set(muni_region.values())):
        reg_clusters = [c for c, r in cluster_region.items() if r == reg]
        if reg_clusters and all(c not in not_comp for c in reg_clusters) and not any(
                muni_region.get(m) == reg for m in split_munis):
            h += [("region", reg, "cluster", c) for c in reg_clusters]
        else:
            h += [("region", reg, "municipality", m) for m, r in muni_region.items() if r == reg]
    h += [("country", "DK", "region", r) for r in sorted(set(muni_region.values()))]
    return None, pd.DataFrame(h, columns=["parent_level", "parent_id", "child_level", "child_id"])


def expected_counts(
    indicator_id: str,
    cluster: str,
    *,
    period: object = "latest",
    reference: str = "DK",
    strata: Sequence[str] = ("sex", "age_group"),
    division: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    data: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Expected number of events in a cluster given Denmark's age/sex-specific rates (one call).

    E.g. "the expected number of citizens 65+ with a preventable admission in Klynge Syd given Denmark's
    rates": ``expected_counts("forebyggelige_indlaeggelser_65", "nordjylland-syd")``. Returns one row per
    period with ``observed``, ``expected``, ``ratio`` and its 95% CI (disclosure-controlled).

    Example
    -------
    >>> expected_counts("forebyggelige_indlaeggelser_65", "nordjylland-syd")  # doctest: +SKIP
    """
    from klyngedata import registry

    if reference != "DK":
        raise KlyngedataError("only reference='DK' (Denmark's rates) is supported")
    cid = registry.cluster(cluster, division=division).id
    out = standardised_figures(indicator_id, method="indirect", level="cluster", period=period,
                               division=division, strata=strata, data_dir=data_dir, data=data)
    return out[out["entity_id"] == cid].reset_index(drop=True)
