"""A small local cache of data frames (parquet + a JSON metadata file per entry).

The cache lives in ``<data_dir>/cache`` where ``data_dir`` is resolved by
:func:`klyngedata.config.data_dir` (argument > ``$KLYNGEDATA_DATA_DIR`` > platform user data dir).
Each entry ``key`` is two files:

* ``<key>.parquet`` – the data (a GeoDataFrame is written with ``GeoDataFrame.to_parquet``, i.e.
  GeoParquet, and read back with :func:`geopandas.read_parquet`; ``meta["format"]`` records which);
* ``<key>.meta.json`` – the metadata: whatever the caller passed (e.g. ``table``, ``periods``,
  ``fetched_at`` or ``file``, ``source``) plus ``key``, ``kind`` (``"dataframe"`` or
  ``"geodataframe"``), ``format``, ``rows``, ``written_at``, ``data_file``, ``data_bytes`` and
  ``data_sha256`` added automatically.

Writes are atomic: the data is written to a temporary file in the same directory and fsync'ed; the
old metadata file is removed; the data file is moved into place with :func:`os.replace`; the metadata
file is written the same way *last*. A write that fails before the swap leaves the old entry intact.
An entry only counts as complete when its metadata file exists and the size and SHA-256 of the data
file match the metadata, so an interrupted write never leaves something that loads as complete.

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
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from klyngedata.config import ENV_DATA_DIR
from klyngedata.config import data_dir as _resolve_data_dir
from klyngedata.exceptions import DataNotAvailable, KlyngedataError

CACHE_SUBDIR = "cache"
_KEY_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*(/[A-Za-z0-9_][A-Za-z0-9_.\-]*)*$")
_DATA_SUFFIX = ".parquet"
_META_SUFFIX = ".meta.json"

HOW_TO_GET_DATA = (
    "Get data with `klyngedata data fetch` (downloads from Statistics Denmark's StatBank, needs internet) "
    "or `klyngedata data import PATH` (loads files you downloaded, e.g. a StatBank CSV export). "
    "The data directory is set by the `data_dir` argument or the environment variable "
    f"{ENV_DATA_DIR}."
)


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


class Cache:
    """Parquet cache with metadata and atomic writes in ``<data_dir>/cache``.

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

    def data_path(self, key: str) -> Path:
        """Path of the data file of ``key`` (it may not exist)."""
        return self.root / (self._check_key(key) + _DATA_SUFFIX)

    def meta_path(self, key: str) -> Path:
        """Path of the metadata file of ``key`` (it may not exist)."""
        return self.root / (self._check_key(key) + _META_SUFFIX)

    # -- writing -------------------------------------------------------------------------------
    def _atomic_write(self, target: Path, writer, before_replace=None) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            writer(tmp)
            with open(tmp, "rb+") as fh:
                fh.flush()
                os.fsync(fh.fileno())
            if before_replace is not None:
                before_replace()
            os.replace(tmp, target)
            _fsync_dir(target.parent)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise

    def write(self, key: str, frame: pd.DataFrame, meta: dict) -> None:
        """Store ``frame`` under ``key`` with metadata ``meta`` (atomically; data first, meta last).

        Example
        -------
        >>> import pandas as pd, tempfile
        >>> Cache(tempfile.mkdtemp()).write("x", pd.DataFrame({"a": [1]}), {"source": "constructed example"})
        """
        data_path = self.data_path(key)
        meta_path = self.meta_path(key)
        geo = _is_geo(frame)
        clean = frame.copy(deep=False)
        clean.attrs = {}  # provenance lives in the meta file, not in parquet metadata

        # 1. write data to a temp file, 2. invalidate the old entry (remove its meta) just before the
        # data file is swapped in, 3. write meta last (only now is the entry complete).
        def invalidate() -> None:
            if meta_path.exists():
                meta_path.unlink()
                _fsync_dir(meta_path.parent)

        self._atomic_write(data_path, lambda p: clean.to_parquet(p, index=False), before_replace=invalidate)

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
        self._atomic_write(meta_path, lambda p: p.write_text(text, encoding="utf-8"))

    # -- reading -------------------------------------------------------------------------------
    def meta(self, key: str) -> dict | None:
        """The metadata of a complete entry, or ``None`` if missing or incomplete.

        Example
        -------
        >>> import tempfile
        >>> Cache(tempfile.mkdtemp()).meta("nothing") is None
        True
        """
        meta_path = self.meta_path(key)
        data_path = self.data_path(key)
        if not meta_path.is_file() or not data_path.is_file():
            return None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if meta.get("data_bytes") != data_path.stat().st_size:
            return None
        if meta.get("data_sha256") != _sha256(data_path):
            return None
        return meta

    def exists(self, key: str) -> bool:
        """True if ``key`` is a complete entry (meta file present and matching the data file)."""
        return self.meta(key) is not None

    def read(self, key: str, hint: str | None = None) -> pd.DataFrame:
        """Load entry ``key``; ``.attrs["provenance"]`` holds its metadata.

        Raises :class:`DataNotAvailable` (with a how-to-get message, or ``hint``) if missing/incomplete.

        Example
        -------
        >>> import pandas as pd, tempfile
        >>> c = Cache(tempfile.mkdtemp())
        >>> c.write("x", pd.DataFrame({"a": [1]}), {})
        >>> c.read("x")["a"].tolist()
        [1]
        """
        meta = self.meta(key)
        if meta is None:
            state = "is incomplete (interrupted write?)" if self.data_path(key).exists() else "is not cached"
            raise DataNotAvailable(
                f"Cache entry {key!r} in {self.root} {state}. {hint or HOW_TO_GET_DATA}"
            )
        path = self.data_path(key)
        try:
            if meta.get("format") == "geoparquet":
                import geopandas

                frame = geopandas.read_parquet(path)
            else:
                frame = pd.read_parquet(path)
        except Exception as exc:  # corrupt despite matching hash: report clearly
            raise DataNotAvailable(f"Cache entry {key!r} ({path}) could not be read: {exc}") from exc
        frame.attrs["provenance"] = meta
        return frame

    def keys(self) -> list[str]:
        """Keys of all entries that have a metadata file (complete or not), sorted."""
        if not self.root.is_dir():
            return []
        out = []
        for p in self.root.rglob("*" + _META_SUFFIX):
            rel = p.relative_to(self.root).as_posix()
            out.append(rel[: -len(_META_SUFFIX)])
        return sorted(out)

    def delete(self, key: str) -> None:
        """Remove entry ``key`` (meta first, so a half-deleted entry is never complete)."""
        for p in (self.meta_path(key), self.data_path(key)):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()

    def entries(self) -> pd.DataFrame:
        """One row per complete cache entry.

        Columns: ``key``, ``kind``, ``table``, ``periods`` (summary ``first..last (n)``), ``fetched_at``
        (or the import time for imported files), ``source``, ``rows``, ``written_at``, ``path``.

        Example
        -------
        >>> import tempfile
        >>> list(Cache(tempfile.mkdtemp()).entries().columns)[:3]
        ['key', 'kind', 'table']
        """
        cols = ["key", "kind", "table", "periods", "fetched_at", "source", "rows", "written_at", "path"]
        rows = []
        for key in self.keys():
            meta = self.meta(key)
            if meta is None:
                continue
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
                }
            )
        return pd.DataFrame(rows, columns=cols)
