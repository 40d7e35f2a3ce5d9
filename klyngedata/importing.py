"""One dispatcher for every file a user downloaded: population (StatBank exports, the tidy file, unit
populations), boundaries, municipality groups, health indicators and the RUKS workbook, each handed to its
importer.

It sits above the loaders it dispatches to (``klyngedata.sources``, ``klyngedata.geo.boundaries``,
``klyngedata.municipality_groups``, ``klyngedata.indicators``), so none of them imports another's.

Example
-------
Needs the population files of the shared data; not run as a doctest.
>>> import klyngedata as kd
>>> [r.key for r in kd.import_file("../shared/data/population", data_dir="/tmp/kd")]  # doctest: +SKIP
['population/FOLK1AM', 'population/FOLK1AM']
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from klyngedata.cache import Cache
from klyngedata.compact import release_memory
from klyngedata.exceptions import (
    CacheCorrupt,
    CacheWriteError,
    DataFormatError,
    ImportRefused,
    KlyngedataError,
)
from klyngedata.indicators.files import import_indicator_file, is_indicator_file
from klyngedata.sources import (
    BOUNDARY_SUFFIXES,
    _store_population,
    _store_units,
    already_imported,
    complete_totals,
    import_fingerprint,
    parse_statbank_csv,
    parse_tidy_municipality_csv,
    parse_unit_population_csv,
)


@dataclass
class ImportResult:
    """Outcome of importing one file: ``status`` is ``"imported"``, ``"skipped"``, ``"failed"`` (the file is
    wrong) or ``"refused"`` (importing it would lose cached data; ``replace=True`` overrides)."""

    path: str
    status: str
    kind: str | None = None
    key: str | None = None
    rows: int | None = None
    message: str = ""


def _first_line(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(4096)
    # a UTF-16 export is recognised by its header, so that the parser can say which encoding it refuses
    for bom, encoding in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            return head[2:].decode(encoding, errors="replace").split("\n", 1)[0].strip()
    return head.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace").strip()


def sniff(path: str | os.PathLike[str]) -> str | None:
    """Classify a file: ``"statbank_csv"``, ``"tidy_population"``, ``"unit_population"``,
    ``"boundaries"``, ``"municipality_groups"``, ``"indicator"``, ``"ruks"`` (Sundhedsdatastyrelsen's RUKS
    workbook) or ``None`` (not recognised).

    Example
    -------
    Needs a file to classify; not run as a doctest.
    >>> sniff("README.md") is None  # doctest: +SKIP
    True
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from klyngedata.ruks.workbook import is_ruks_workbook

        return "ruks" if is_ruks_workbook(path) else None
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
        if is_indicator_file(path):
            return "indicator"
    return None


EXPECTED = ("klyngedata imports StatBank CSV exports and answers (';'-separated, last column INDHOLD), population "
            "files (municipality_code, period, population), unit populations (municipality_code, unit_type, "
            "unit_code, period, population), indicator files (municipality, period, indicator, numerator, "
            "denominator) and the published municipality files (kommune_kode, <id>_pct or _raw), boundaries "
            "(.geojson, .gpkg, .shp, .topojson), municipality groups (.json) and the RUKS workbook (.xlsx)")
"""What :func:`import_file` reads (said when a file is none of it)."""


_SKIPPED = "not a recognised population, boundary or indicator file"


def unrecognised(path: str | os.PathLike[str], *, short: bool = False) -> str:
    """Why a file is not imported: what it is when klyngedata can tell (empty, a saved StatBank error answer or
    JSON-stat answer, a web page), else the header or file type found and what is expected (:data:`EXPECTED`;
    ``short``: only what it is, or "not a recognised ... file").

    Example
    -------
    Needs a file to describe; not run as a doctest.
    >>> unrecognised("notes.md")  # doctest: +SKIP
    "not a file klyngedata imports: found a '.md' file; klyngedata imports StatBank CSV exports ..."
    """
    from klyngedata.dst.saved import describe_saved_answer

    path = Path(path)
    try:
        raw = path.read_bytes()[:200_000]
    except OSError as exc:
        return f"cannot be read ({exc})"
    if not raw.strip():  # (in a folder, an empty file of a kind klyngedata never reads is skipped)
        if short and path.suffix.lower() not in {".csv", ".txt", ".json", *BOUNDARY_SUFFIXES}:
            return _SKIPPED
        return f"the file is empty ({len(raw)} bytes)" + ("" if short else f"; {EXPECTED}")
    saved = describe_saved_answer(raw.decode("utf-8-sig", errors="replace"))
    if saved is not None:
        return saved
    if short:
        return _SKIPPED
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt"}:
        return f"{_SKIPPED}: found the header {_first_line(path)[:200]!r}; {EXPECTED}"
    if suffix == ".json":
        return f"{_SKIPPED}: JSON that is neither boundaries nor municipality groups; {EXPECTED}"
    return f"{_SKIPPED}: found a {suffix or 'file without extension'!r} file; {EXPECTED}"


def _health_table(path: Path) -> str | None:
    """The StatBank health table a CSV export holds (by file name or header), None for a population table;
    a header that fits several health tables is refused naming them."""
    from klyngedata.dst.health_parse import detect_table

    table, fits = detect_table(path.name, [c.strip() for c in _first_line(path).split(";")])
    if table is None and fits:
        raise DataFormatError(f"{path}: the header fits several StatBank health tables ({', '.join(fits)}); put the "
                              "table's id in the file name (e.g. SYGP1.csv)")
    return table.id if table is not None else None


def _stamp(path: Path) -> tuple[int, int]:
    """Size and modification time of ``path`` (whether it changed while it was read)."""
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def _import_one(path: Path, data_dir, replace: bool = False) -> ImportResult:
    kind = sniff(path)
    if kind is None:  # in a folder: said in short (a README is skipped); a file named alone: said in full
        message = unrecognised(path, short=True)
        # a saved StatBank answer that is not data was meant to be imported: it fails, also in a folder
        return ImportResult(str(path), "skipped" if message.startswith(_SKIPPED) else "failed", message=message)
    try:
        if kind == "statbank_csv" and (health := _health_table(path)) is not None:
            from klyngedata.dst.health_store import import_health_file

            key, report, frame = import_health_file(path, data_dir, replace=replace, table=health)
            return ImportResult(str(path), "imported", "health_table", key, len(frame), f"table {health}: {report}")
        if kind in {"statbank_csv", "tidy_population"}:
            before, fingerprint = _stamp(path), import_fingerprint(path)
            if (same := already_imported(fingerprint, path, data_dir, replace=replace)) is not None:
                key, report, rows, table = same  # the same file again: its rows are cached as they are
                return ImportResult(str(path), "imported", kind, key, rows, f"table {table}: {report}")
            # (the parser reads the file itself: its bytes are let go once pandas has read them)
            frame = parse_statbank_csv(path, compact=True) if kind == "statbank_csv" else \
                parse_tidy_municipality_csv(path)
            if _stamp(path) != before:
                fingerprint = None  # the file changed while it was read: its rows are not recorded as that file's
            frame = complete_totals(frame)
            release_memory()  # (the parse's arrays, freed, back to the system before the merge)
            key, report = _store_population(frame, data_dir, replace=replace, fingerprint=fingerprint)
            return ImportResult(str(path), "imported", kind, key, len(frame),
                                f"table {frame.attrs['provenance']['table']}: {report}")
        if kind == "unit_population":
            frame = parse_unit_population_csv(path)
            key, report = _store_units(frame, path, data_dir, replace=replace)
            return ImportResult(str(path), "imported", kind, key, len(frame), str(report))
        if kind == "ruks":
            from klyngedata.ruks.store import import_ruks

            res = import_ruks(path, data_dir)  # a release replaces the cached one (never merged), and says so
            return ImportResult(str(path), "imported", kind, res.key, res.rows, res.message)
        if kind == "municipality_groups":
            from klyngedata.municipality_groups import import_municipality_groups

            key = import_municipality_groups(path, data_dir)
            rows = (Cache(data_dir).meta(key) or {}).get("rows")
            return ImportResult(str(path), "imported", kind, key, rows, "municipality groups (DST)")
        if kind in ("boundaries", "indicator"):
            if kind == "boundaries":
                from klyngedata.geo.boundaries import import_boundaries as importer
            else:
                importer = import_indicator_file
            extra = {}
            if kind == "indicator":
                from klyngedata.indicators.pooling import check_denominators

                extra["check"] = check_denominators  # no count larger than the population it is about
            res = importer(path, data_dir=data_dir, replace=replace, **extra)
            return ImportResult(str(path), "imported", kind, getattr(res, "key", None), getattr(res, "rows", None),
                                str(res))
    except CacheWriteError:
        raise  # the data directory cannot be written: no file can be imported, say it once
    except (ImportRefused, CacheCorrupt) as exc:
        return ImportResult(str(path), "refused", kind, message=str(exc))
    except KlyngedataError as exc:
        return ImportResult(str(path), "failed", kind, message=str(exc))
    except (OSError, UnicodeError) as exc:
        return ImportResult(str(path), "failed", kind, message=f"{path}: cannot be read ({exc})")
    return ImportResult(str(path), "skipped", kind, message="unhandled kind")


def import_file(path: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None,
                *, strict: bool = False, replace: bool = False) -> list[ImportResult]:
    """Import a file (or every recognised file under a directory) into the cache.

    Population files (StatBank CSV exports, the derived tidy file, unit populations) are parsed here;
    boundary files go to ``klyngedata.geo.boundaries.import_boundaries`` and health-indicator files to
    ``klyngedata.indicators.import_indicator_file``. Returns one :class:`ImportResult` per file
    (skipped files included). A single file that is not recognised or fails raises
    :class:`DataFormatError` (:class:`ImportRefused` when importing it would lose cached data); with
    ``strict=True`` so does any failure in a directory.

    Import rules: tables are merged by key (a file's rows replace cached rows with the same key, other cached
    rows are kept); an import that would drop cached data (a boundary layer with fewer units) is refused.
    ``replace=True`` (``klyngedata data import --replace``) replaces each cached table or layer by the file's
    contents and the result says what was dropped. A data directory that cannot be written raises
    :class:`~klyngedata.exceptions.CacheWriteError`.

    Example
    -------
    Needs the population files of the shared data; not run as a doctest.
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
        results = [_import_one(p, data_dir, replace) for p in files]
        failed = [r for r in results if r.status == "failed"]
        if strict and failed:
            raise DataFormatError("; ".join(f"{r.path}: {r.message}" for r in failed))
        return results
    result = _import_one(path, data_dir, replace)
    if result.kind is None:
        result.message = unrecognised(path)
    if result.status != "imported":
        message = result.message if result.message.startswith(str(path)) else f"{path}: {result.message}"
        raise (ImportRefused if result.status == "refused" else DataFormatError)(message)
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
