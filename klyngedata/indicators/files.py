"""Health-indicator files: recognising, reading and validating them (the documented long format and the
published doughnut files), importing them into the cache (merged by key, one entry per indicator) and
loading them back."""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from klyngedata.cache import Cache
from klyngedata.exceptions import DataFormatError, DataNotAvailable, ImportRefused, UnknownValue
from klyngedata.indicator_defs import (
    _DOUGHNUT_COLUMNS,
    INDICATORS,
    Indicator,
    indicator,
)
from klyngedata.merge import MergeReport, merge_by_key
from klyngedata.vocabulary import (
    CountError,
    parse_age_group,
    parse_count,
    parse_period,
    parse_sex,
    period_code,
    period_kind,
    period_start_year,
)
from klyngedata.vocabulary.codes import CHRISTIANSOE, normalize_municipality_code

CACHE_PREFIX = "indicators/"
INDICATOR_COLUMNS = ["municipality_code", "period", "indicator", "sex", "age_group", "numerator",
                     "denominator", "value", "source_file", "source_row"]
KEY = ["municipality_code", "period", "indicator", "sex", "age_group"]





# --------------------------------------------------------------------------------------------------
# reading and validation
# --------------------------------------------------------------------------------------------------
_LONG_REQUIRED = ["municipality", "period", "indicator", "numerator", "denominator"]
_LONG_OPTIONAL = ["sex", "age_group"]


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
        """The period's StatBank code (``2024``, ``2024K1``, ``2024M01``); other kinds are refused."""
        try:
            period = parse_period((value or "").strip())
        except UnknownValue as exc:
            raise self.fail(line, column, str(exc)) from None
        if period_kind(period) not in ("year", "quarter", "month"):
            raise self.fail(line, column, f"{value!r} is a {period_kind(period)}; indicator files hold years, "
                                          "quarters or months (2024, 2024K1, 2024M01)")
        return period_code(period)

    def count(self, value: str, line: int, column: str) -> int:
        """A count read exactly (:mod:`klyngedata.vocabulary.counts`): digits only; ``..`` is refused here."""
        try:
            return parse_count(value, allow_missing=False)
        except CountError as exc:
            raise self.fail(line, column, str(exc)) from None

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
        if (value or "").strip() == "":
            return "total"
        try:
            return parse_sex(value)
        except UnknownValue:
            raise self.fail(line, column, f"unknown sex {value!r} (use total, male or female)") from None

    def age_group(self, value: str, line: int, column: str) -> str:
        """The canonical age-group label (``total``, ``0-64``, ``65+``); an empty cell is the total."""
        if (value or "").strip() == "":
            return "total"
        try:
            return parse_age_group(value)
        except UnknownValue:
            raise self.fail(line, column, f"unknown age group {value!r}: an age group must be placed on the age "
                                          "axis (e.g. 0-64, 65+, 80 år og derover, or total)") from None


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


def _records(rdr, header: list[str], reader: _Reader):
    """(line number, record) of every non-blank data line; a line with the wrong number of fields is refused."""
    for line, rec in enumerate(rdr, start=2):
        if not any(x.strip() for x in rec):
            continue
        if len(rec) != len(header):
            raise reader.fail(line, None, f"expected {len(header)} fields, got {len(rec)}")
        yield line, rec


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
    for line, rec in _records(rdr, header, reader):

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
        age = reader.age_group(get("age_group"), line, "age_group")
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


def _is_share(ind: Indicator) -> bool:
    """True for a published share of persons in % (a survey's, or a share of the municipality's citizens): a
    value above 100 is outside its definition. (Prescriptions per 100 citizens are no share.)

    >>> from klyngedata.indicator_defs import indicator
    >>> _is_share(indicator("laegekontakt_pct")), _is_share(indicator("recepter_pr_100"))
    (True, False)
    """
    return ind.per == 100 and (ind.kind == "survey" or ind.unit == "%")


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
    for line, rec in _records(rdr, header, reader):
        code = reader.municipality(rec[0], line, "kommune_kode")
        for j, col, ind in published:
            if not rec[j].strip():
                continue  # not published for this municipality
            hi = 100.0 if _is_share(ind) else None
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
    for line, rec in _records(rdr, header, reader):
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
    Needs the indicator files of the shared data; not run as a doctest.
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
    return {"quarter": "quarterly", "month": "monthly"}.get(period_kind(label), "annual")


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
    labels = sorted(set(periods), key=period_start_year)
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
                          replace: bool = False, check: Callable[..., None] | None = None) -> IndicatorImport:
    """Read, validate and merge an indicator file into the cache (one entry ``indicators/<indicator id>`` each).

    Rows are merged by key (municipality, period, indicator, sex, age group): the file's rows replace cached
    rows with the same key, other cached rows are kept, so two files with the same name from different folders
    never overwrite each other. An indicator holds one kind of period (annual, quarterly or monthly); a file
    that mixes them is refused. ``replace=True`` replaces all cached rows of the file's indicators by the file's
    rows (the result says what was dropped). ``check(frame, where, data_dir)`` may refuse the file's rows
    before anything is written (the importer checks denominators against the cached population with
    :func:`klyngedata.indicators.pooling.check_denominators`). ``klyngedata data import PATH`` calls this for
    indicator files.

    Example
    -------
    Needs the indicator files of the shared data; not run as a doctest.
    >>> str(import_indicator_file("../shared/data/indicators/hjemsyg_scores.csv", "/tmp/kd"))  # doctest: +SKIP
    'hjemmesygepleje_pr_1000: 98 rows added'
    """
    p = Path(path)
    frame = read_indicator_file(p)
    where = str(p)
    _check_period_kinds(frame, where)
    if check is not None:
        check(frame, where, data_dir)
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
                "periods": sorted(merged["period"].unique().tolist(), key=period_start_year),
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
    Needs indicator files imported into the data directory; not run as a doctest.
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
            "No health-indicator files in the cache: import them with `klyngedata data import PATH` (e.g. the "
            "folder with the indicator CSV files)."
        )
    out = pd.concat(frames, ignore_index=True).sort_values("_imported_at", kind="stable")
    out = out.drop_duplicates(KEY, keep="last").drop(columns="_imported_at")
    if indicators is not None:
        wanted = [indicator(i).id for i in indicators]
        out = out[out["indicator"].isin(wanted)]
    out = out.sort_values(KEY, ignore_index=True)
    out.attrs["provenance"] = {"cache_keys": keys}
    return out
