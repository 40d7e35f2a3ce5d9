"""The RUKS release in the cache (io layer): one entry, replaced whole by every new release.

Sundhedsdatastyrelsen recomputes the whole back-series at every release (the register is updated for the
whole period each time, as its documentation says), so rows of two releases are never merged: an import
replaces the cached release and says what it replaced (file, release, years, rows before and after).

Example
-------
Needs Sundhedsdatastyrelsen's RUKS workbook; not run as a doctest.
>>> print(import_ruks("RUKS_2025.xlsx", data_dir="/tmp/kd").message)  # doctest: +SKIP
RUKS: 1,234 rows, years 2010-2025 (release: Opdateret 12. marts 2026), no earlier release cached
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from klyngedata.cache import Cache
from klyngedata.exceptions import DataNotAvailable
from klyngedata.ruks.workbook import read_ruks

__all__ = ["RUKS_KEY", "RuksImport", "import_ruks", "load_ruks", "ruks_meta"]

RUKS_KEY = "ruks/hovedresultater"


@dataclass
class RuksImport:
    """What an import did: the cache ``key``, the ``rows`` stored, the ``message`` the CLI prints and the
    replaced release's metadata (``previous``, ``None`` when nothing was cached)."""

    key: str
    rows: int
    message: str
    previous: dict | None = None

    def __str__(self) -> str:
        return self.message


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _span(meta: dict) -> str:
    years = meta.get("years") or []
    return f"{years[0]}-{years[-1]}" if years else "no years"


def _describe(meta: dict) -> str:
    release = f", release: {meta['release']}" if meta.get("release") else ""
    return f"{meta.get('file')} ({_span(meta)}, {meta.get('rows', 0):,} rows{release})"


def import_ruks(path: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None) -> RuksImport:
    """Read a RUKS workbook (:func:`~klyngedata.ruks.workbook.read_ruks`) and store it in the cache, replacing
    any earlier release; the message says what was replaced (or that the same file was cached already).

    Example
    -------
    Needs Sundhedsdatastyrelsen's RUKS workbook; not run as a doctest.
    >>> import_ruks("RUKS_2025.xlsx").rows  # doctest: +SKIP
    1234
    """
    path = Path(path)
    frame = read_ruks(path)  # refused before anything is written
    prov = frame.attrs["provenance"]
    cache = Cache(data_dir)
    sha = _sha256(path)
    meta = {"table": "RUKS", "source": "Sundhedsdatastyrelsen, Register for Udvalgte Kroniske Sygdomme og svære "
            "psykiske lidelser (RUKS)", "file": prov["file"], "file_sha256": sha, "sheet": prov["sheet"],
            "title": prov["title"], "release": prov["release"], "years": prov["years"],
            "periods": [str(y) for y in range(prov["years"][0], prov["years"][-1] + 1)],
            "imported_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(), "notes": prov["notes"]}
    with cache.lock():
        previous = cache.meta(RUKS_KEY)
        frame.attrs = {}
        cache.write(RUKS_KEY, frame, meta)
    now = {**meta, "rows": len(frame)}
    if previous is None:
        message = f"RUKS: stored {_describe(now)}; no earlier release was cached"
    elif previous.get("file_sha256") == sha:
        message = f"RUKS: the same file as the cached release, stored again: {_describe(now)}"
    else:
        message = (f"RUKS: a new release replaces the previous one (every release recomputes the whole back-series, "
                   f"so nothing of the previous one is kept): before {_describe(previous)}; now {_describe(now)}")
    return RuksImport(RUKS_KEY, len(frame), message, previous)


def ruks_meta(data_dir: str | os.PathLike[str] | None = None) -> dict | None:
    """The cached release's metadata (file, release, years, import time …), ``None`` when none is cached.

    >>> ruks_meta("/nonexistent") is None
    True
    """
    return Cache(data_dir).meta(RUKS_KEY)


def load_ruks(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The cached RUKS release (schema in :mod:`klyngedata.ruks`), with its metadata in
    ``attrs["provenance"]``; :class:`~klyngedata.exceptions.DataNotAvailable` when none is cached.

    >>> load_ruks("/nonexistent")
    Traceback (most recent call last):
    ...
    klyngedata.exceptions.DataNotAvailable: no RUKS release is cached: import the workbook from Sundhedsdatastyrelsen \
with `klyngedata data import FILE.xlsx`
    """
    cache = Cache(data_dir)
    if cache.state(RUKS_KEY)[0] == "missing":  # a corrupt entry is named by Cache.read
        raise DataNotAvailable("no RUKS release is cached: import the workbook from Sundhedsdatastyrelsen with "
                               "`klyngedata data import FILE.xlsx`")
    return cache.read(RUKS_KEY)
