"""Loading the registry's CSV facts (``klyngedata/registry_data``) into a :class:`Registry`, and the name
folding used by every look-up.

Each file is checked and typed by :mod:`klyngedata.registry.validate`; a broken file stops with a
:class:`~klyngedata.exceptions.RegistryError` naming the file, the row and the problem."""

from __future__ import annotations

import difflib
import functools
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from klyngedata.exceptions import RegistryError
from klyngedata.registry.validate import (
    checked_clusters,
    checked_conflicts,
    checked_council_seats,
    checked_divisions,
    checked_hospitals,
    checked_levels,
    checked_memberships,
    checked_municipalities,
    checked_regions,
    checked_seats,
    unit_members,
)

DATA_DIR = Path(__file__).resolve().parent.parent / "registry_data"

_FILES: dict[str, list[str]] = {
    "regions.csv": ["region_id", "region_code", "dst_code", "name", "valid_from", "valid_to", "successor_id",
                    "code_note", "source", "source_ref"],
    "municipalities.csv": ["municipality_code", "name", "dst_name", "region_id", "aliases", "source"],
    "hospitals.csv": ["hospital_id", "name", "town", "region_id", "kind", "lat", "lon", "coords_verified",
                      "source"],
    "divisions.csv": ["division", "name", "valid_from", "valid_to", "coverage", "regions", "levels", "unit_da",
                      "source", "source_ref"],
    "clusters.csv": ["division", "cluster_id", "name", "short_name", "region_id", "hospital_ids", "aliases",
                     "former_ids", "verified", "tag", "source", "source_ref", "note"],
    "memberships.csv": ["division", "cluster_id", "municipality_code", "allocation", "unit_type", "unit_code",
                        "unit_name", "share", "verified", "tag", "source", "source_ref"],
    "levels.csv": ["division", "region_id", "level", "name_da", "meetings_min_per_year",
                   "meetings_max_per_year", "chair_da", "secretariat_da", "source", "verified", "tag"],
    "seats.csv": ["division", "region_id", "level", "role_id", "role_da", "per_municipality", "count_min",
                  "count_max", "observer", "appointed_by", "note_da", "source"],
    "council_seats.csv": ["division", "cluster_id", "role_id", "municipality_code", "seats", "verified", "tag",
                          "source", "source_ref", "note"],
    "conflicts.csv": ["conflict_id", "division", "municipality_code", "reading_used", "cluster_id", "alternative",
                      "verified", "tag", "sources", "source_ref", "note_da"],
}
LEVEL_ALIASES = {
    "politisk": "politisk", "political": "politisk", "politiske": "politisk",
    "fagligt-strategisk": "fagligt-strategisk", "fagligt strategisk": "fagligt-strategisk",
    "faglig/strategisk": "fagligt-strategisk", "fagligt/strategisk": "fagligt-strategisk",
    "professional": "fagligt-strategisk", "professional/strategic": "fagligt-strategisk",
    "strategic": "fagligt-strategisk",
    "klyngestyregruppe": "klyngestyregruppe", "steering-group": "klyngestyregruppe",
    "steering group": "klyngestyregruppe",
    "sundhedsraad": "politisk", "sundhedsråd": "politisk", "council": "politisk",
}


# --------------------------------------------------------------------------------------------------
# Name folding
# --------------------------------------------------------------------------------------------------
def _fold(text: str, variant: int) -> str:
    """Fold a name for tolerant lookup: case, Danish letters, 'Kommune' suffix, punctuation."""
    s = str(text).casefold().strip()
    s = re.sub(r"\b(regions)?kommune\b", "", s)
    if variant == 0:
        s = s.replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    else:
        s = s.replace("æ", "ae").replace("ø", "o").replace("å", "a").replace("aa", "a")
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if ch.isalnum() and not unicodedata.combining(ch))
    return s


def fold_name(text: str) -> str:
    """A name folded for comparison (case, Danish letters, punctuation, a 'Kommune' suffix), the folding every
    registry look-up uses.

    >>> fold_name("Vesterbro/Kongens Enghave") == fold_name("Vesterbro-Kongens Enghave")
    True
    """
    return _fold(text, 0)


def _fold_keys(text: str) -> set[str]:
    keys = {_fold(text, 0), _fold(text, 1)}
    keys |= {k[:-1] for k in keys if k.endswith("s") and len(k) > 4}  # genitive: "Københavns Kommune"
    keys.discard("")
    return keys


def _read(directory: Path, name: str) -> pd.DataFrame:
    path = directory / name
    if not path.exists():
        raise RegistryError(str(path), None, "file is missing")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise RegistryError(str(path), None, f"cannot be parsed as UTF-8 CSV: {exc}") from None
    missing = [c for c in _FILES[name] if c not in df.columns]
    if missing:
        raise RegistryError(str(path), None, f"missing column(s): {', '.join(missing)}")
    df = df.astype(object)
    df.attrs["file"] = str(path)
    return df


@dataclass
class Registry:
    """Validated registry tables (use the module-level functions rather than this class directly)."""

    regions: pd.DataFrame
    municipalities: pd.DataFrame
    hospitals: pd.DataFrame
    divisions: pd.DataFrame
    clusters: pd.DataFrame
    memberships: pd.DataFrame
    levels: pd.DataFrame
    seats: pd.DataFrame
    council_seats: pd.DataFrame
    conflicts: pd.DataFrame
    name_index: dict[str, str]
    memo: dict = field(default_factory=dict, repr=False, compare=False)
    """Tables derived from these (a division's units and members), built once per registry: the registry
    does not change while it is loaded, and a report asks for the same units many times."""


def load_registry(directory: str | os.PathLike[str] | None = None) -> Registry:
    """Load and validate the registry files in ``directory`` (default: the package's own data).

    Raises :class:`RegistryError` naming the file, row and problem for any inconsistency.

    >>> reg = load_registry()
    >>> len(reg.municipalities)
    98
    """
    return _load_cached(str(Path(directory) if directory is not None else DATA_DIR))


@functools.lru_cache(maxsize=8)
def _load_cached(directory: str) -> Registry:
    """Read every file, then check each kind of fact after the facts it refers to."""
    d = Path(directory)
    raw = {name: _read(d, name) for name in _FILES}
    regions = checked_regions(raw["regions.csv"])
    munis = checked_municipalities(raw["municipalities.csv"], regions)
    hosp = checked_hospitals(raw["hospitals.csv"], regions)
    divs = checked_divisions(raw["divisions.csv"], regions)
    units = checked_clusters(raw["clusters.csv"], divs, regions, hosp)
    mem = checked_memberships(raw["memberships.csv"], units, munis, regions, divs)
    lev = checked_levels(raw["levels.csv"], divs, regions)
    seats = checked_seats(raw["seats.csv"], lev)
    members_of = unit_members(units, mem)
    council = checked_council_seats(raw["council_seats.csv"], members_of)
    conflicts = checked_conflicts(raw["conflicts.csv"], members_of)
    return Registry(regions=regions, municipalities=munis, hospitals=hosp, divisions=divs, clusters=units,
                    memberships=mem, levels=lev, seats=seats, council_seats=council, conflicts=conflicts,
                    name_index=_name_index(munis))


def _name_index(municipalities: pd.DataFrame) -> dict[str, str]:
    """Folded name -> municipality code, over each municipality's name, DST name and aliases; a folded name
    two municipalities share is left out (ambiguous)."""
    index: dict[str, str] = {}
    ambiguous: set[str] = set()
    for r in municipalities.to_dict("records"):
        names = [r["name"], r["dst_name"], *[a for a in r["aliases"].split(";") if a.strip()]]
        for name in names:
            for key in _fold_keys(name):
                if key in index and index[key] != r["municipality_code"]:
                    ambiguous.add(key)
                index[key] = r["municipality_code"]
    for key in ambiguous:
        index.pop(key, None)
    return index


def _reg() -> Registry:
    return load_registry()



def _close(text: str, options: list[str], n: int = 5) -> list[str]:
    folded = {_fold(o, 0): o for o in options}
    hits = difflib.get_close_matches(_fold(text, 0), list(folded), n=n, cutoff=0.5)
    return [folded[h] for h in hits]
