"""A small local cache of data frames (parquet + a JSON metadata file per entry).

The cache lives in ``<data_dir>/cache`` where ``data_dir`` is resolved by
:func:`klyngedata.config.data_dir` (argument > ``$KLYNGEDATA_DATA_DIR`` > platform user data dir).
Each entry ``key`` is two files:

* ``<key>~<token>.parquet`` – the data, under a name that is new at every write (a GeoDataFrame is
  written with ``GeoDataFrame.to_parquet``, i.e. GeoParquet, and read back with
  :func:`geopandas.read_parquet`; ``meta["format"]`` records which);
* ``<key>.meta.json`` – the metadata and the *commit record* of the entry: whatever the caller passed
  (e.g. ``table``, ``periods``, ``fetched_at`` or ``file``, ``source``) plus ``key``, ``kind``
  (``"dataframe"`` or ``"geodataframe"``), ``format``, ``rows``, ``written_at``, ``data_file`` (the name
  of the data file), ``data_bytes`` and ``data_sha256`` added automatically.

Atomic replacement: a write puts the new data file beside the old one (temporary file, fsync, rename),
then replaces the metadata file in one :func:`os.replace` (the commit), and only then removes the old data
file. A crash at any instant therefore leaves either the old entry or the new one, never neither: before
the commit the old metadata still names the old, untouched data file; after it the new metadata names the
new, complete one. Files a crash leaves behind (``.*.tmp`` temporary files, data files no metadata names)
are removed by the next write into the same folder.

Serialised writers: every write, and every read–merge–write of the importers (``with cache.lock(): ...``),
holds an inter-process file lock (``<data_dir>/cache/.lock``, :mod:`filelock`), so concurrent
``klyngedata data import`` processes never lose each other's rows. Readers take no lock: they follow the
metadata to a data file that is never modified in place, and verify its size and SHA-256.

An entry whose data file is missing or does not match its metadata is *corrupt* (it cannot come from an
interrupted write): reading it raises :class:`~klyngedata.exceptions.CacheCorrupt` naming the entry, and
``klyngedata data status`` lists it as corrupt. A cache that cannot be written (read-only or full data
directory) raises :class:`~klyngedata.exceptions.CacheWriteError`.

Keys are made of letters, digits, ``_``, ``-`` and ``.``; ``/`` separates sub-folders
(e.g. ``"population/FOLK1AM"``, ``"boundaries/kommuner"``).

Example
-------
>>> import pandas as pd, tempfile
>>> c = Cache(tempfile.mkdtemp())
>>> c.write("demo", pd.DataFrame({"a": [1, 2]}), {"table": "DEMO", "source": "constructed example"})
>>> c.read("demo").attrs["provenance"]["rows"]
2
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import re
import secrets
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from klyngedata.config import ENV_DATA_DIR
from klyngedata.config import data_dir as _resolve_data_dir
from klyngedata.exceptions import CacheCorrupt, CacheWriteError, DataNotAvailable, KlyngedataError

CACHE_SUBDIR = "cache"
LOCK_FILE = ".lock"
LOCK_TIMEOUT = 600.0  # seconds a writer waits for another process's write or import to finish
_KEY_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*(/[A-Za-z0-9_][A-Za-z0-9_.\-]*)*$")
_DATA_SUFFIX = ".parquet"
_META_SUFFIX = ".meta.json"
_TOKEN_SEP = "~"  # never part of a key, so <name>~<token>.parquet belongs to exactly one key
_DATA_FILE_RE = re.compile(r"^(?P<name>[A-Za-z0-9_][A-Za-z0-9_.\-]*?)(~[0-9a-f]{16})?\.parquet$")
_TMP_RE = re.compile(r"^\..+\.tmp$")
_READ_ATTEMPTS = 5

HOW_TO_GET_DATA = (
    "Get data with `klyngedata data fetch` (downloads from Statistics Denmark's StatBank, needs internet) "
    "or `klyngedata data import PATH` (loads files you downloaded, e.g. a StatBank CSV export). "
    "The data directory is set by the `data_dir` argument or the environment variable "
    f"{ENV_DATA_DIR}."
)
GET_DATA_HINT = ("get it with `klyngedata data fetch` (Statistics Denmark's StatBank, needs internet) or "
                 "`klyngedata data import PATH` (a StatBank export you downloaded)")
"""The end of a one-sentence error about missing data (the notebook shows that sentence alone)."""

_LOCKS: dict[str, Any] = {}
_LOCKS_GUARD = threading.Lock()


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not supported on every platform/filesystem
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _is_geo(frame: Any) -> bool:
    try:
        import geopandas
    except ImportError:  # pragma: no cover - geopandas is a hard dependency
        return False
    return isinstance(frame, geopandas.GeoDataFrame)


def _periods_summary(periods: Any) -> str | None:
    if periods is None:
        return None
    if isinstance(periods, str):
        return periods
    periods = [str(p) for p in periods]
    if not periods:
        return ""
    if len(periods) == 1:
        return periods[0]
    ordered = sorted(periods)
    return f"{ordered[0]}..{ordered[-1]} ({len(ordered)})"


def _dictionary_columns(data: bytes, wanted: Sequence[str], columns: Sequence[str] | None = None) -> dict[str, Any]:
    """``read_dictionary`` for those of ``wanted`` that are string columns of the parquet ``data``, and
    ``columns``: those of ``columns`` it has."""
    if not wanted and columns is None:
        return {}
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pq.read_schema(io.BytesIO(data))
    cols = [c for c in wanted if c in schema.names
            and (pa.types.is_string(schema.field(c).type) or pa.types.is_large_string(schema.field(c).type))]
    return ({"read_dictionary": cols} if cols else {}) | \
        ({"columns": [c for c in columns if c in schema.names]} if columns is not None else {})


def _file_lock(path: Path) -> Any:
    """One :class:`filelock.FileLock` per lock file and process (re-entrant within a thread)."""
    from filelock import FileLock

    with _LOCKS_GUARD:
        lock = _LOCKS.get(str(path))
        if lock is None:
            lock = _LOCKS[str(path)] = FileLock(str(path))
        return lock


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


class Cache:
    """Parquet cache with metadata, atomic entry replacement and serialised writers in ``<data_dir>/cache``.

    Example
    -------
    >>> import tempfile
    >>> Cache(tempfile.mkdtemp()).exists("population/FOLK1A")
    False
    """

    def __init__(self, data_dir: str | os.PathLike[str] | None = None) -> None:
        self.data_dir = _resolve_data_dir(data_dir)
        self.root = self.data_dir / CACHE_SUBDIR

    # -- paths ---------------------------------------------------------------------------------
    def _check_key(self, key: str) -> str:
        if not isinstance(key, str) or not _KEY_RE.match(key) or ".." in key:
            raise KlyngedataError(
                f"invalid cache key {key!r}: use letters, digits, '_', '-', '.' and '/' between parts"
            )
        return key

    def meta_path(self, key: str) -> Path:
        """Path of the metadata file of ``key`` (it may not exist)."""
        return self.root / (self._check_key(key) + _META_SUFFIX)

    def data_path(self, key: str) -> Path:
        """Path of the data file the metadata of ``key`` names (``<key>.parquet`` if there is no metadata)."""
        meta_path = self.meta_path(key)
        name = None
        with contextlib.suppress(OSError, ValueError, AttributeError):
            name = self._data_file_name(json.loads(meta_path.read_text(encoding="utf-8")))
        return meta_path.parent / (name or (meta_path.name[: -len(_META_SUFFIX)] + _DATA_SUFFIX))

    @staticmethod
    def _data_file_name(meta: dict) -> str | None:
        name = meta.get("data_file") if isinstance(meta, dict) else None
        return name if isinstance(name, str) and _DATA_FILE_RE.match(name) else None

    # -- locking -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
        """Hold the cache's inter-process write lock (re-entrant; wrap a read–merge–write in it).

        Raises :class:`CacheWriteError` if the data directory cannot be written or the lock is held by
        another process for longer than ``timeout`` seconds.

        Example
        -------
        >>> import pandas as pd, tempfile
        >>> c = Cache(tempfile.mkdtemp())
        >>> with c.lock():
        ...     c.write("x", pd.DataFrame({"a": [1]}), {})
        """
        from filelock import Timeout

        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._write_error("cannot create the cache folder", exc) from None
        lock = _file_lock(self.root / LOCK_FILE)
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise CacheWriteError(
                f"another klyngedata process has been writing to the data directory {self.data_dir} for more "
                f"than {timeout:.0f} s (lock {self.root / LOCK_FILE}); try again when it has finished"
            ) from None
        except OSError as exc:
            raise self._write_error("cannot lock the cache", exc) from None
        try:
            yield
        finally:
            lock.release()

    def _write_error(self, what: str, exc: OSError, key: str | None = None) -> CacheWriteError:
        entry = f" (entry {key!r})" if key else ""
        err = CacheWriteError(
            f"{what}{entry} in the data directory {self.data_dir}: {_why(exc)}. The cache is unchanged. "
            f"Make the directory writable, free space, or choose another one with --data-dir or {ENV_DATA_DIR}."
        )
        err.errno = exc.errno
        return err

    # -- writing -------------------------------------------------------------------------------
    @staticmethod
    def _atomic_write(target: Path, writer: Callable[[Path], Any]) -> None:
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            writer(tmp)
            with open(tmp, "rb+") as fh:
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
            _fsync_dir(target.parent)
        except Exception:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise

    def write(self, key: str, frame: pd.DataFrame, meta: dict, *, as_strings: Sequence[str] = ()) -> None:
        """Store ``frame`` under ``key`` with metadata ``meta``: atomically, under the cache lock.

        The previous entry stays readable until the new one is complete; a crash at any instant leaves
        the old or the new entry. Raises :class:`CacheWriteError` when the directory cannot be written.
        ``as_strings``: categorical columns stored as strings (as if they were ``string`` columns), converted
        one row group at a time, so that a compact frame of millions of rows is never held as strings.

        Example
        -------
        >>> import pandas as pd, tempfile
        >>> Cache(tempfile.mkdtemp()).write("x", pd.DataFrame({"a": [1]}), {"source": "constructed example"})
        """
        meta_path = self.meta_path(key)
        with self.lock():
            try:
                meta_path.parent.mkdir(parents=True, exist_ok=True)
                self._clean_dir(meta_path.parent)
                self._write_locked(key, meta_path, frame, meta, as_strings)
                self._clean_dir(meta_path.parent)
            except OSError as exc:
                if isinstance(exc, CacheWriteError):
                    raise
                raise self._write_error("cannot write", exc, key) from None

    def _write_locked(self, key: str, meta_path: Path, frame: pd.DataFrame, meta: dict,
                      as_strings: Sequence[str] = ()) -> None:
        geo = _is_geo(frame)
        clean = frame.copy(deep=False)
        clean.attrs = {}  # provenance lives in the meta file, not in parquet metadata
        stem = meta_path.name[: -len(_META_SUFFIX)]
        data_path = meta_path.parent / f"{stem}{_TOKEN_SEP}{secrets.token_hex(8)}{_DATA_SUFFIX}"
        # 1. the new data file, complete and synced, beside the old one (which the old meta still names)
        if as_strings:
            from klyngedata.compact import write_parquet

            self._atomic_write(data_path, lambda p: write_parquet(p, clean, as_strings))
        else:
            self._atomic_write(data_path, lambda p: clean.to_parquet(p, index=False))
        full = dict(meta or {})
        full.update(
            key=key,
            kind="geodataframe" if geo else "dataframe",
            format="geoparquet" if geo else "parquet",
            rows=len(frame),
            written_at=_now(),
            data_file=data_path.name,
            data_bytes=data_path.stat().st_size,
            data_sha256=_sha256(data_path),
        )
        text = json.dumps(full, ensure_ascii=False, indent=1, default=str)
        # 2. the commit: one rename replaces the meta file, which now names the new data file
        self._atomic_write(meta_path, lambda p: p.write_text(text, encoding="utf-8"))
        # 3. the old data file is an orphan now; _clean_dir removes it (also after a crash, at the next write)

    def update_meta(self, key: str, **fields: Any) -> None:
        """Add or change metadata fields of a complete entry (its data untouched), atomically under the lock.

        Raises :class:`DataNotAvailable`/:class:`CacheCorrupt` if the entry is missing or damaged.

        Example
        -------
        >>> import pandas as pd, tempfile
        >>> c = Cache(tempfile.mkdtemp())
        >>> c.write("x", pd.DataFrame({"a": [1]}), {})
        >>> c.update_meta("x", checked_at="2024-05-01T00:00:00+00:00")
        >>> c.meta("x")["checked_at"]
        '2024-05-01T00:00:00+00:00'
        """
        meta_path = self.meta_path(key)
        with self.lock():
            meta = self.meta(key)
            if meta is None:
                self.read(key)  # raises the precise error
            reserved = {"key", "kind", "format", "rows", "data_file", "data_bytes", "data_sha256"}
            if reserved & set(fields):
                raise KlyngedataError(f"update_meta cannot change {sorted(reserved & set(fields))}")
            text = json.dumps({**meta, **fields}, ensure_ascii=False, indent=1, default=str)
            try:
                self._atomic_write(meta_path, lambda p: p.write_text(text, encoding="utf-8"))
            except OSError as exc:
                raise self._write_error("cannot write", exc, key) from None

    def _clean_dir(self, directory: Path) -> list[Path]:
        """Remove stale temporary files and data files no metadata names in ``directory`` (lock held)."""
        if not directory.is_dir():
            return []
        referenced: set[str] = set()
        unsure: set[str] = set()  # keys whose meta cannot be read: keep all their data files
        files = [p for p in directory.iterdir() if p.is_file()]
        for p in files:
            if p.name.endswith(_META_SUFFIX):
                stem = p.name[: -len(_META_SUFFIX)]
                try:
                    name = self._data_file_name(json.loads(p.read_text(encoding="utf-8")))
                except (OSError, ValueError):
                    name = None
                if name is None:
                    unsure.add(stem)
                else:
                    referenced.add(name)
        removed = []
        for p in files:
            stale = bool(_TMP_RE.match(p.name))
            m = _DATA_FILE_RE.match(p.name)
            if m and p.name not in referenced and m.group("name") not in unsure:
                stale = True
            if stale:
                with contextlib.suppress(FileNotFoundError):
                    p.unlink()
                removed.append(p)
        return removed

    def clean(self) -> list[Path]:
        """Remove files that interrupted writes left behind (temporary files, unreferenced data files).

        Runs under the cache lock; returns the removed paths. Every write cleans its own folder, so this is
        only needed to tidy the whole cache at once.

        Example
        -------
        >>> import tempfile
        >>> Cache(tempfile.mkdtemp()).clean()
        []
        """
        if not self.root.is_dir():
            return []
        removed: list[Path] = []
        with self.lock():
            for directory in [self.root, *(p for p in self.root.rglob("*") if p.is_dir())]:
                removed += self._clean_dir(directory)
        return removed

    # -- reading -------------------------------------------------------------------------------
    def _load_meta(self, key: str) -> tuple[dict | None, str]:
        """``(meta, problem)``: the parsed metadata (``None`` if missing/unreadable) and what is wrong."""
        meta_path = self.meta_path(key)
        try:
            text = meta_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None, "not cached"
        except OSError as exc:
            return None, f"its metadata file cannot be read ({_why(exc)})"
        try:
            meta = json.loads(text)
        except ValueError:
            return None, "its metadata file is damaged (not valid JSON)"
        if not isinstance(meta, dict) or self._data_file_name(meta) is None:
            return None, "its metadata file is damaged (no data file named)"
        return meta, ""

    def _check_data(self, key: str, meta: dict, data: bytes | None = None) -> str:
        """What is wrong with the data file of a parsed meta ('' if it matches)."""
        path = self.meta_path(key).parent / meta["data_file"]
        try:
            size = len(data) if data is not None else path.stat().st_size
        except FileNotFoundError:
            return "its data file is missing"
        except OSError as exc:
            return f"its data file cannot be read ({_why(exc)})"
        if meta.get("data_bytes") != size:
            return f"its data file has {size} bytes instead of {meta.get('data_bytes')}"
        try:
            digest = hashlib.sha256(data).hexdigest() if data is not None else _sha256(path)
        except OSError as exc:
            return f"its data file cannot be read ({_why(exc)})"
        if meta.get("data_sha256") != digest:
            return "its data file does not match its checksum (changed or damaged)"
        return ""

    def state(self, key: str) -> tuple[str, str]:
        """``(state, problem)`` of ``key``: ``("ok", "")``, ``("missing", "not cached")`` or
        ``("corrupt", what is wrong)``.

        Example
        -------
        >>> import tempfile
        >>> Cache(tempfile.mkdtemp()).state("population/FOLK1AM")
        ('missing', 'not cached')
        """
        for _ in range(_READ_ATTEMPTS):
            meta, problem = self._load_meta(key)
            if meta is None:
                return ("missing", problem) if problem == "not cached" else ("corrupt", problem)
            problem = self._check_data(key, meta)
            if not problem:
                return "ok", ""
            if self._load_meta(key)[0] == meta:  # not a concurrent replacement: really corrupt
                return "corrupt", problem
        return "corrupt", problem

    def meta(self, key: str) -> dict | None:
        """The metadata of a complete entry, or ``None`` if missing or corrupt.

        Example
        -------
        >>> import tempfile
        >>> Cache(tempfile.mkdtemp()).meta("nothing") is None
        True
        """
        for _ in range(_READ_ATTEMPTS):
            meta, _problem = self._load_meta(key)
            if meta is None:
                return None
            if not self._check_data(key, meta):
                return meta
            if self._load_meta(key)[0] == meta:
                return None
        return None

    def exists(self, key: str) -> bool:
        """True if ``key`` is a complete entry (meta file present and matching the data file)."""
        return self.meta(key) is not None

    def _corrupt(self, key: str, meta: dict | None, problem: str) -> CacheCorrupt:
        table = (meta or {}).get("table") if isinstance(meta, dict) else None
        what = f"Cache entry {key!r}" + (f" (table {table})" if table and table not in key else "")
        return CacheCorrupt(
            f"{what} in {self.root} is corrupt: {problem}. Its rows cannot be used or merged into: import the "
            "data again with `klyngedata data import --replace PATH` or fetch it again (either replaces the entry)."
        )

    def read(self, key: str, hint: str | None = None, *, categorical: Sequence[str] = (),
             filters: list[tuple] | None = None, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Load entry ``key``; ``.attrs["provenance"]`` holds its metadata.

        ``categorical``: string columns to return as pandas categoricals, read straight from the parquet
        dictionary (much faster and smaller for millions of rows with a few distinct values). ``filters``:
        only the rows matching these pyarrow filters (e.g. ``[("sex", "in", ["male", "female"])]``) are read.
        ``columns``: only these columns (of those the entry has) are read.

        Raises :class:`DataNotAvailable` (with a how-to-get message, or ``hint``) if it is not cached, and
        :class:`CacheCorrupt` (naming the entry and what is wrong) if it is damaged.

        Example
        -------
        >>> import pandas as pd, tempfile
        >>> c = Cache(tempfile.mkdtemp())
        >>> c.write("x", pd.DataFrame({"a": [1]}), {})
        >>> c.read("x")["a"].tolist()
        [1]
        """
        problem = "not cached"
        for _ in range(_READ_ATTEMPTS):
            meta, problem = self._load_meta(key)
            if meta is None:
                if problem == "not cached":
                    raise DataNotAvailable(f"Cache entry {key!r} in {self.root} is not cached. "
                                           f"{hint or HOW_TO_GET_DATA}")
                raise self._corrupt(key, None, problem)
            try:  # read once and verify those very bytes (a data file is never changed in place)
                data = (self.meta_path(key).parent / meta["data_file"]).read_bytes()
            except FileNotFoundError:
                data = None
            except OSError as exc:
                raise self._corrupt(key, meta, f"its data file cannot be read ({_why(exc)})") from None
            problem = "its data file is missing" if data is None else self._check_data(key, meta, data)
            if not problem:
                break
            if self._load_meta(key)[0] == meta:  # not a concurrent replacement
                raise self._corrupt(key, meta, problem)
        else:
            raise self._corrupt(key, meta, problem)
        try:
            if meta.get("format") == "geoparquet":
                import geopandas

                frame = geopandas.read_parquet(io.BytesIO(data))
            else:
                from klyngedata.compact import read_parquet  # (millions of rows: a column at a time)

                frame = read_parquet(data, **_dictionary_columns(data, categorical, columns),
                                     **({"filters": filters} if filters else {}))
        except Exception as exc:  # noqa: BLE001 - damaged despite a matching checksum
            raise self._corrupt(key, meta, f"its data cannot be read as parquet ({exc})") from exc
        frame.attrs["provenance"] = meta
        return frame

    def keys(self) -> list[str]:
        """Keys of all entries that have a metadata file (complete or corrupt), sorted."""
        if not self.root.is_dir():
            return []
        out = []
        for p in self.root.rglob("*" + _META_SUFFIX):
            rel = p.relative_to(self.root).as_posix()
            out.append(rel[: -len(_META_SUFFIX)])
        return sorted(out)

    def delete(self, key: str) -> None:
        """Remove entry ``key`` (meta first, so a half-deleted entry is never complete)."""
        with self.lock():
            data_path = self.data_path(key)
            for p in (self.meta_path(key), data_path):
                with contextlib.suppress(FileNotFoundError):
                    p.unlink()

    def entries(self, include_corrupt: bool = False) -> pd.DataFrame:
        """One row per complete cache entry (and per corrupt one with ``include_corrupt=True``).

        Columns: ``key``, ``kind``, ``table``, ``periods`` (summary ``first..last (n)``), ``fetched_at``
        (or the import time for imported files), ``source``, ``rows``, ``written_at``, ``path``, ``state``
        (``"ok"``, ``"incomplete: <what>"`` for a partial layer cached on request, or ``"corrupt: <problem>"``).

        Example
        -------
        >>> import tempfile
        >>> list(Cache(tempfile.mkdtemp()).entries().columns)[:3]
        ['key', 'kind', 'table']
        """
        cols = ["key", "kind", "table", "periods", "fetched_at", "source", "rows", "written_at", "path", "state"]
        rows = []
        for key in self.keys():
            state, problem = self.state(key)
            if state != "ok" and not include_corrupt:
                continue
            meta = self._load_meta(key)[0] or {}
            if state == "ok" and meta.get("incomplete"):
                state, problem = "incomplete", f"{len(meta.get('missing_units') or [])} units missing"
            rows.append(
                {
                    "key": key,
                    "kind": meta.get("kind"),
                    "table": meta.get("table"),
                    "periods": _periods_summary(meta.get("periods")),
                    "fetched_at": meta.get("fetched_at") or meta.get("imported_at"),
                    "source": meta.get("source") or meta.get("file"),
                    "rows": meta.get("rows"),
                    "written_at": meta.get("written_at"),
                    "path": str(self.data_path(key)),
                    "state": "ok" if state == "ok" else f"{state}: {problem}",
                }
            )
        return pd.DataFrame(rows, columns=cols)
