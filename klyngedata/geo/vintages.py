"""When the boundaries in a cached layer were drawn (their vintage), so a map's source can say it.

A DAGI file rarely says its own date; the date of an import or a download says when the file reached the
data directory, not which boundaries it holds. The vintage comes from, in this order: the Datafordeler WFS
(boundaries as of the day they were fetched), a file klyngedata knows by its SHA-256 (:data:`KNOWN_FILES`, each
with the vintage its publisher gives), or nothing — then a report says that the vintage is not stated.

Example
-------
>>> vintage_da({"fetched_at": "2026-12-01T09:00:00+00:00"})
'grænser pr. 1. december 2026 (hentet fra Datafordeleren)'
>>> vintage_da({"imported_at": "2026-12-07T10:00:00+00:00"})
'grænsernes årgang er ikke oplyst i filen; importeret 7. december 2026'
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from klyngedata.formatting import date_da

__all__ = ["KNOWN_FILES", "file_vintage", "vintage_da"]

_NEOGEOGRAFEN = ("udtræk af DAGI (Geodatastyrelsen og Danske Kommuner, FOT-datasættet) af 13. februar 2014, "
                 "målestok 1:500.000")
KNOWN_FILES: dict[str, str] = {
    # Neogeografen/dagi, commit a1c1563 (2015-07-20), geojson/ and topojson/; the vintage as the repository's
    # README gives it ("Geodatastyrelsen & Danske Kommuner – FOT data set – 2014-02-13 – Scale 1:500.000")
    "78003a638315d0c359807371f09f0a680c8077f26e30797315b9ae5436560b7c": _NEOGEOGRAFEN,  # kommuner.geojson
    "922fe86aaf9e53e578317ab6bb25cb92a49d22c1abb922d747491356e1be0c0f": _NEOGEOGRAFEN,  # regioner.geojson
    "2784f96f1d23d035225b7fc384b42130110b423eda03c512f65085aed45620ad": _NEOGEOGRAFEN,  # postnumre.geojson
    "83849d079c3c3f7fd6ca8575b786174bff281d79c392f411b4c76bb19e8a17ce": _NEOGEOGRAFEN,  # sogne.topojson
}
"""Boundary files klyngedata recognises (SHA-256 of the file) and the vintage of their boundaries (Danish)."""


def file_vintage(path: str | os.PathLike[str]) -> str | None:
    """The vintage of a known boundary file (``None`` for an unknown or unreadable file).

    Needs the shared DAGI files (a path relative to a checkout); not run as a doctest.

    Example
    -------
    >>> file_vintage("../shared/data/geo/kommuner.geojson")[:30]  # doctest: +SKIP
    'udtræk af DAGI (Geodatastyrels'
    """
    try:
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None
    return KNOWN_FILES.get(digest)


def vintage_da(meta: dict[str, Any] | None) -> str:
    """The vintage of a cached layer for readers, from its cache metadata (``vintage_da`` written at import,
    a fetch date, or the imported file when it is still there and known)."""
    meta = meta or {}
    if meta.get("vintage_da"):
        return str(meta["vintage_da"])
    if meta.get("fetched_at"):
        return f"grænser pr. {date_da(meta['fetched_at'])} (hentet fra Datafordeleren)"
    known = file_vintage(meta["file"]) if meta.get("file") else None
    if known:
        return known
    when = date_da(meta.get("imported_at") or meta.get("written_at"))
    return "grænsernes årgang er ikke oplyst i filen" + (f"; importeret {when}" if when else "")
