"""The registry: municipalities, regions, hospitals, cluster divisions, memberships and governance.

All facts live as CSV files in ``klyngedata/registry_data/`` with a ``source`` column on every row (see
``registry_data/SOURCES.md``). They are validated when loaded; a broken file stops with a
:class:`~klyngedata.exceptions.RegistryError` naming the file, the row and the problem.

Divisions are versioned: ``klyngestyregrupper-2019`` (Region Nordjylland's steering groups),
``sundhedsklynger-2022`` (all 22 clusters from 2022-07-01) and ``sundhedsraad-2027`` (the councils from
2027-01-01, as far as published). The default division is the one valid today.

Example
-------
>>> import klyngedata as kd
>>> kd.cluster("nordjylland-nord").municipality_codes
['0810', '0813', '0825', '0860']
>>> kd.municipality("morso kommune").code
'0773'
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from klyngedata import clock
from klyngedata.codes import normalize_municipality_code, normalize_region_code
from klyngedata.exceptions import LookupFailed, RegistryError

DATA_DIR = Path(__file__).with_name("registry_data")
SHARE_TOLERANCE = 1e-9

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
TAGS = ("SOLID", "SECONDARY", "INFERENCE")
"""Confidence tags of the researched facts (``shared/reference``): only ``SOLID`` rows may be ``verified``."""

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
COUNCIL_ROLES = {"regionsraadsmedlem": "Regionsrådsmedlem", "kommunalt-medlem": "Kommunalt medlem"}


# --------------------------------------------------------------------------------------------------
# Public value types
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Municipality:
    """A municipality: canonical ``code`` (``"0851"``), names and region."""

    code: str
    name: str
    dst_name: str
    region_code: str
    region_name: str


@dataclass(frozen=True)
class Cluster:
    """A unit of one division: a sundhedsklynge, a 2019 steering group or a sundhedsråd (health council).

    ``id`` is unique across all divisions, so it names the unit and its division. ``region_code`` is the
    region key used in tidy frames (the DAGI code, or ``"oestdanmark"`` for Region Østdanmark, which has no
    official code); ``region_id`` is the registry's region id. ``unit_da`` is the Danish word for the unit
    (``"sundhedsklynge"``, ``"sundhedsråd"``, ``"klyngestyregruppe"``).
    """

    id: str
    name: str
    short_name: str
    division: str
    region_code: str | None
    region_name: str
    municipality_codes: list[str]
    municipality_names: list[str]
    hospitals: pd.DataFrame = field(repr=False)
    members: pd.DataFrame = field(repr=False)
    has_split: bool
    verified: bool
    source: str
    note: str
    region_id: str = ""
    aliases: tuple[str, ...] = ()
    unit_da: str = "sundhedsklynge"
    tag: str = ""

    @property
    def is_council(self) -> bool:
        """True for a sundhedsråd (health council, from 2027), False for a cluster or steering group."""
        return self.unit_da == "sundhedsråd"

    @property
    def levels(self) -> pd.DataFrame:
        """The governance levels of the cluster (meeting frequency, chair), from the commissions."""
        return levels(self)

    def seats(self, level: str) -> pd.DataFrame:
        """Shortcut for :func:`seats` (``kd.cluster("nordjylland-nord").seats("politisk")``)."""
        return seats(self, level)


# --------------------------------------------------------------------------------------------------
# Loading and validation
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


def _fold_keys(text: str) -> set[str]:
    keys = {_fold(text, 0), _fold(text, 1)}
    keys |= {k[:-1] for k in keys if k.endswith("s") and len(k) > 4}  # genitive: "Københavns Kommune"
    keys.discard("")
    return keys


def _bool(value: str, file: str, row: int, column: str) -> bool:
    v = value.strip().lower()
    if v in ("true", "1", "yes"):
        return True
    if v in ("false", "0", "no"):
        return False
    raise RegistryError(file, row, f"column '{column}' must be true or false, got {value!r}")


def _date(value: str, file: str, row: int, column: str) -> dt.date | None:
    if not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise RegistryError(file, row, f"column '{column}' is not an ISO date: {value!r}") from None


def _int_or_none(value: str, file: str, row: int, column: str) -> int | None:
    if not value.strip():
        return None
    try:
        return int(value)
    except ValueError:
        raise RegistryError(file, row, f"column '{column}' must be a whole number, got {value!r}") from None


def _tagged(r: dict, file: str, row: int, source_col: str = "source") -> None:
    """Check a fact's ``verified`` flag, confidence ``tag`` and source: only a SOLID fact may be verified."""
    verified = _bool(r["verified"], file, row, "verified")
    if r["tag"] not in TAGS:
        raise RegistryError(file, row, f"tag must be one of {', '.join(TAGS)}, got {r['tag']!r}")
    if verified and r["tag"] != "SOLID":
        raise RegistryError(file, row, f"a {r['tag']} fact cannot be verified=true")
    if not r[source_col].strip():
        raise RegistryError(file, row, "no source given")


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


def _rows(df: pd.DataFrame):
    """Iterate rows with their line number in the file (header is line 1)."""
    for i, rec in enumerate(df.to_dict("records")):
        yield i + 2, rec


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
    d = Path(directory)
    raw = {name: _read(d, name) for name in _FILES}
    f = {name: raw[name].attrs["file"] for name in _FILES}

    # regions ---------------------------------------------------------------------------------
    regions = raw["regions.csv"]
    seen: set[str] = set()
    for row, r in _rows(regions):
        if not r["region_id"]:
            raise RegistryError(f["regions.csv"], row, "empty region_id")
        if r["region_id"] in seen:
            raise RegistryError(f["regions.csv"], row, f"duplicate region_id {r['region_id']!r}")
        seen.add(r["region_id"])
        if r["region_code"]:
            try:
                code = normalize_region_code(r["region_code"])
            except ValueError as exc:
                raise RegistryError(f["regions.csv"], row, str(exc)) from None
            if code != r["region_code"]:
                raise RegistryError(f["regions.csv"], row, f"region_code must be written {code!r}")
        elif not r["code_note"].strip():
            raise RegistryError(f["regions.csv"], row, "a region without region_code needs a code_note saying why")
        for col in ("valid_from", "valid_to"):
            _date(r[col], f["regions.csv"], row, col)
        if not r["source"].strip():
            raise RegistryError(f["regions.csv"], row, "no source given")
    for row, r in _rows(regions):
        if r["successor_id"] and r["successor_id"] not in seen:
            raise RegistryError(f["regions.csv"], row, f"unknown successor_id {r['successor_id']!r}")
    region_ids = set(regions["region_id"])
    regions = regions.assign(
        region_code=regions["region_code"].replace("", None),
        dst_code=regions["dst_code"].replace("", None),
        successor_id=regions["successor_id"].replace("", None),
        valid_from=pd.to_datetime(regions["valid_from"].replace("", None)),
        valid_to=pd.to_datetime(regions["valid_to"].replace("", None)),
    )
    regions["region_key"] = regions["region_code"].fillna(regions["region_id"])
    region_name = dict(zip(regions["region_id"], regions["name"], strict=True))
    region_code = dict(zip(regions["region_id"], regions["region_key"], strict=True))
    successor = dict(zip(regions["region_id"], regions["successor_id"], strict=True))

    # municipalities -----------------------------------------------------------------------------
    munis = raw["municipalities.csv"]
    codes: set[str] = set()
    index: dict[str, str] = {}
    ambiguous: set[str] = set()
    for row, r in _rows(munis):
        try:
            code = normalize_municipality_code(r["municipality_code"])
        except ValueError as exc:
            raise RegistryError(f["municipalities.csv"], row, str(exc)) from None
        if code != r["municipality_code"]:
            raise RegistryError(f["municipalities.csv"], row, f"municipality_code must be written {code!r}")
        if code in codes:
            raise RegistryError(f["municipalities.csv"], row, f"duplicate municipality_code {code}")
        codes.add(code)
        if not r["name"].strip():
            raise RegistryError(f["municipalities.csv"], row, "empty name")
        if r["region_id"] not in region_ids:
            raise RegistryError(f["municipalities.csv"], row, f"unknown region_id {r['region_id']!r}")
        if not r["source"].strip():
            raise RegistryError(f["municipalities.csv"], row, "no source given")
        names = [r["name"], r["dst_name"], *[a for a in r["aliases"].split(";") if a.strip()]]
        for name in names:
            for key in _fold_keys(name):
                if key in index and index[key] != code:
                    ambiguous.add(key)
                index[key] = code
    for key in ambiguous:
        index.pop(key, None)
    munis = munis.assign(
        region_code=munis["region_id"].map(region_code),
        region_name=munis["region_id"].map(region_name),
    )
    muni_region = dict(zip(munis["municipality_code"], munis["region_id"], strict=True))

    # hospitals ---------------------------------------------------------------------------------
    hosp = raw["hospitals.csv"]
    hosp_ids: set[str] = set()
    for row, r in _rows(hosp):
        if r["hospital_id"] in hosp_ids or not r["hospital_id"]:
            raise RegistryError(f["hospitals.csv"], row, f"empty or duplicate hospital_id {r['hospital_id']!r}")
        hosp_ids.add(r["hospital_id"])
        if r["region_id"] not in region_ids:
            raise RegistryError(f["hospitals.csv"], row, f"unknown region_id {r['region_id']!r}")
        if r["kind"] not in ("acute", "psychiatry"):
            raise RegistryError(f["hospitals.csv"], row, f"kind must be 'acute' or 'psychiatry', got {r['kind']!r}")
        for col, lo, hi in (("lat", 54.0, 58.0), ("lon", 8.0, 15.5)):
            if r[col]:
                try:
                    v = float(r[col])
                except ValueError:
                    raise RegistryError(f["hospitals.csv"], row, f"column '{col}' is not a number") from None
                if not lo <= v <= hi:
                    raise RegistryError(f["hospitals.csv"], row, f"column '{col}' = {v} is outside Denmark")
            elif r["kind"] == "acute":
                raise RegistryError(f["hospitals.csv"], row, f"acute hospital without '{col}'")
        _bool(r["coords_verified"], f["hospitals.csv"], row, "coords_verified")
        if not r["source"].strip():
            raise RegistryError(f["hospitals.csv"], row, "no source given")
    hosp = hosp.assign(
        lat=pd.to_numeric(hosp["lat"].replace("", None)),
        lon=pd.to_numeric(hosp["lon"].replace("", None)),
        coords_verified=hosp["coords_verified"].str.lower().eq("true"),
        region_code=hosp["region_id"].map(region_code),
        region_name=hosp["region_id"].map(region_name),
    )

    # divisions ---------------------------------------------------------------------------------
    divs = raw["divisions.csv"]
    div_ids: set[str] = set()
    for row, r in _rows(divs):
        if not r["division"] or r["division"] in div_ids:
            raise RegistryError(f["divisions.csv"], row, f"empty or duplicate division {r['division']!r}")
        div_ids.add(r["division"])
        if _date(r["valid_from"], f["divisions.csv"], row, "valid_from") is None:
            raise RegistryError(f["divisions.csv"], row, "valid_from is required")
        _date(r["valid_to"], f["divisions.csv"], row, "valid_to")
        if r["coverage"] not in ("complete", "partial"):
            raise RegistryError(f["divisions.csv"], row, "coverage must be 'complete' or 'partial'")
        if r["unit_da"] not in ("sundhedsklynge", "sundhedsråd", "klyngestyregruppe"):
            raise RegistryError(f["divisions.csv"], row,
                                "unit_da must be 'sundhedsklynge', 'sundhedsråd' or 'klyngestyregruppe'")
        for reg in filter(None, r["regions"].split(";")):
            if reg not in region_ids:
                raise RegistryError(f["divisions.csv"], row, f"unknown region {reg!r} in 'regions'")
    divs = divs.assign(
        valid_from=pd.to_datetime(divs["valid_from"]),
        valid_to=pd.to_datetime(divs["valid_to"].replace("", None)),
    )
    ordered = divs.sort_values("valid_from").to_dict("records")
    for a, b in zip(ordered, ordered[1:], strict=False):
        if pd.isna(a["valid_to"]) or a["valid_to"] >= b["valid_from"]:
            raise RegistryError(f["divisions.csv"], None,
                                f"validity of {a['division']} overlaps {b['division']}")

    # clusters ----------------------------------------------------------------------------------
    cl = raw["clusters.csv"]
    cl_keys: set[tuple[str, str]] = set()
    all_ids: dict[str, str] = {}
    former: set[tuple[str, str]] = set()
    for row, r in _rows(cl):
        key = (r["division"], r["cluster_id"])
        if r["division"] not in div_ids:
            raise RegistryError(f["clusters.csv"], row, f"unknown division {r['division']!r}")
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", r["cluster_id"]):
            raise RegistryError(f["clusters.csv"], row,
                                f"cluster_id {r['cluster_id']!r} must look like '<prefix>-<name>' (a-z, 0-9)")
        if r["cluster_id"] in all_ids:
            raise RegistryError(f["clusters.csv"], row,
                                f"duplicate cluster_id {r['cluster_id']!r} (already used in "
                                f"{all_ids[r['cluster_id']]}): ids are unique across all divisions")
        all_ids[r["cluster_id"]] = r["division"]
        cl_keys.add(key)
        for old in filter(None, r["former_ids"].split(";")):
            if (r["division"], old) in former:
                raise RegistryError(f["clusters.csv"], row, f"former id {old!r} used twice in {r['division']}")
            former.add((r["division"], old))
        if r["region_id"] not in region_ids:
            raise RegistryError(f["clusters.csv"], row, f"unknown region_id {r['region_id']!r}")
        for h in filter(None, r["hospital_ids"].split(";")):
            if h not in hosp_ids:
                raise RegistryError(f["clusters.csv"], row, f"unknown hospital_id {h!r}")
        _tagged(r, f["clusters.csv"], row)
    cl = cl.assign(
        verified=cl["verified"].str.lower().eq("true"),
        region_code=cl["region_id"].map(region_code),
        region_name=cl["region_id"].map(region_name),
        unit_da=cl["division"].map(dict(zip(divs["division"], divs["unit_da"], strict=True))),
    )
    cluster_region = {(d, c): r for d, c, r in zip(cl["division"], cl["cluster_id"], cl["region_id"], strict=True)}

    # memberships -------------------------------------------------------------------------------
    mem = raw["memberships.csv"]
    shares: dict[tuple[str, str], list[tuple[int, str, str, float | None, str]]] = {}
    for row, r in _rows(mem):
        key = (r["division"], r["cluster_id"])
        if key not in cl_keys:
            raise RegistryError(f["memberships.csv"], row,
                                f"unknown cluster {r['cluster_id']!r} in division {r['division']!r}")
        try:
            code = normalize_municipality_code(r["municipality_code"])
        except ValueError as exc:
            raise RegistryError(f["memberships.csv"], row, str(exc)) from None
        if code not in codes:
            raise RegistryError(f["memberships.csv"], row, f"unknown municipality code {r['municipality_code']!r}")
        home = muni_region[code]
        creg = cluster_region[key]
        if creg not in (home, successor.get(home)):
            raise RegistryError(f["memberships.csv"], row,
                                f"municipality {code} ({home}) cannot belong to cluster {r['cluster_id']} ({creg})")
        alloc = r["allocation"]
        share: float | None
        if alloc == "whole":
            if r["unit_type"] or r["unit_code"]:
                raise RegistryError(f["memberships.csv"], row, "a 'whole' membership must not name a unit")
            share = 1.0
            if r["share"] not in ("", "1", "1.0"):
                raise RegistryError(f["memberships.csv"], row, "a 'whole' membership has share 1")
        elif alloc == "unit":
            if not (r["unit_type"] and r["unit_code"]):
                raise RegistryError(f["memberships.csv"], row, "a 'unit' membership needs unit_type and unit_code")
            share = None
        elif alloc == "share":
            try:
                share = float(r["share"])
            except ValueError:
                raise RegistryError(f["memberships.csv"], row, f"share {r['share']!r} is not a number") from None
            if not 0 < share <= 1:
                raise RegistryError(f["memberships.csv"], row, f"share {share} must be in (0, 1]")
        else:
            raise RegistryError(f["memberships.csv"], row,
                                f"allocation must be 'whole', 'unit' or 'share', got {alloc!r}")
        _tagged(r, f["memberships.csv"], row)
        shares.setdefault((r["division"], code), []).append((row, alloc, r["unit_code"], share, r["cluster_id"]))

    for (division, code), entries in shares.items():
        kinds = {e[1] for e in entries}
        last_row = entries[-1][0]
        if len(kinds) > 1:
            raise RegistryError(f["memberships.csv"], last_row,
                                f"municipality {code} mixes allocations {sorted(kinds)} in {division}")
        kind = kinds.pop()
        if kind == "whole" and len(entries) > 1:
            raise RegistryError(f["memberships.csv"], last_row,
                                f"duplicate: municipality {code} belongs to more than one cluster in {division}")
        if kind == "unit":
            units = [e[2] for e in entries]
            dup = {u for u in units if units.count(u) > 1}
            if dup:
                raise RegistryError(f["memberships.csv"], last_row,
                                    f"unit(s) {sorted(dup)} of municipality {code} listed twice in {division}")
        if kind == "share":
            total = sum(e[3] for e in entries)
            if abs(total - 1.0) > SHARE_TOLERANCE:
                raise RegistryError(f["memberships.csv"], last_row,
                                    f"shares of municipality {code} in {division} sum to {total!r}, not 1")

    for _, r in _rows(divs.astype({"valid_from": str, "valid_to": str})):
        covered = {code for (d, code) in shares if d == r["division"]}
        required: set[str] = set()
        if r["coverage"] == "complete":
            required = set(codes)
        for reg in filter(None, r["regions"].split(";")):
            required |= {c for c, home in muni_region.items() if home == reg}
        missing = sorted(required - covered)
        if missing:
            raise RegistryError(f["memberships.csv"], None,
                                f"division {r['division']}: municipalities without a cluster: {', '.join(missing)}")

    mem = mem.assign(
        municipality_code=mem["municipality_code"].map(normalize_municipality_code),
        share=pd.to_numeric(mem["share"].replace("", None)).astype("Float64"),
        verified=mem["verified"].str.lower().eq("true"),
    )
    mem.loc[mem["allocation"] == "whole", "share"] = 1.0
    for col in ("unit_type", "unit_code", "unit_name"):
        mem[col] = mem[col].replace("", None)

    # governance --------------------------------------------------------------------------------
    lev = raw["levels.csv"]
    lev_keys: set[tuple[str, str, str]] = set()
    for row, r in _rows(lev):
        key = (r["division"], r["region_id"], r["level"])
        if r["division"] not in div_ids:
            raise RegistryError(f["levels.csv"], row, f"unknown division {r['division']!r}")
        if r["region_id"] not in region_ids:
            raise RegistryError(f["levels.csv"], row, f"unknown region_id {r['region_id']!r}")
        if key in lev_keys:
            raise RegistryError(f["levels.csv"], row, f"duplicate level {key}")
        lev_keys.add(key)
        lo = _int_or_none(r["meetings_min_per_year"], f["levels.csv"], row, "meetings_min_per_year")
        hi = _int_or_none(r["meetings_max_per_year"], f["levels.csv"], row, "meetings_max_per_year")
        if lo is not None and hi is not None and hi < lo:
            raise RegistryError(f["levels.csv"], row, "meetings_max_per_year is below meetings_min_per_year")
        _tagged(r, f["levels.csv"], row)
    lev = lev.assign(
        verified=lev["verified"].str.lower().eq("true"),
        meetings_min_per_year=pd.to_numeric(lev["meetings_min_per_year"].replace("", None)).astype("Int64"),
        meetings_max_per_year=pd.to_numeric(lev["meetings_max_per_year"].replace("", None)).astype("Int64"),
    )
    st = raw["seats.csv"]
    for row, r in _rows(st):
        if (r["division"], r["region_id"], r["level"]) not in lev_keys:
            raise RegistryError(f["seats.csv"], row,
                                f"no level {r['level']!r} for {r['region_id']} in {r['division']} (levels.csv)")
        _bool(r["per_municipality"], f["seats.csv"], row, "per_municipality")
        _bool(r["observer"], f["seats.csv"], row, "observer")
        lo = _int_or_none(r["count_min"], f["seats.csv"], row, "count_min")
        hi = _int_or_none(r["count_max"], f["seats.csv"], row, "count_max")
        if (lo is not None and lo < 0) or (lo is not None and hi is not None and hi < lo):
            raise RegistryError(f["seats.csv"], row, "count_min/count_max are inconsistent")
        if not r["source"].strip():
            raise RegistryError(f["seats.csv"], row, "no source given")
    st = st.assign(
        per_municipality=st["per_municipality"].str.lower().eq("true"),
        observer=st["observer"].str.lower().eq("true"),
        count_min=pd.to_numeric(st["count_min"].replace("", None)).astype("Int64"),
        count_max=pd.to_numeric(st["count_max"].replace("", None)).astype("Int64"),
    )

    # council composition (seats as listed, per council) ---------------------------------------------
    cs = raw["council_seats.csv"]
    members_of = {(d, c): set() for d, c in cl_keys}
    for d, c, code in zip(mem["division"], mem["cluster_id"], mem["municipality_code"], strict=True):
        members_of[(d, c)].add(code)
    seen_roles: set[tuple[str, str, str]] = set()
    for row, r in _rows(cs):
        key = (r["division"], r["cluster_id"])
        if key not in cl_keys:
            raise RegistryError(f["council_seats.csv"], row,
                                f"unknown council {r['cluster_id']!r} in division {r['division']!r}")
        if r["role_id"] not in COUNCIL_ROLES:
            raise RegistryError(f["council_seats.csv"], row, f"role_id must be one of {sorted(COUNCIL_ROLES)}")
        n = _int_or_none(r["seats"], f["council_seats.csv"], row, "seats")
        if n is None or n < 1:
            raise RegistryError(f["council_seats.csv"], row, "seats must be a whole number >= 1")
        code = r["municipality_code"]
        if r["role_id"] == "kommunalt-medlem":
            if code not in members_of[key]:
                raise RegistryError(f["council_seats.csv"], row,
                                    f"municipality {code!r} is not a member of {r['cluster_id']}")
        elif code:
            raise RegistryError(f["council_seats.csv"], row, "regional seats name no municipality")
        if (r["cluster_id"], r["role_id"], code) in seen_roles:
            raise RegistryError(f["council_seats.csv"], row, f"duplicate seat row for {r['cluster_id']}")
        seen_roles.add((r["cluster_id"], r["role_id"], code))
        _tagged(r, f["council_seats.csv"], row)
    for key in {(d, c) for d, c in zip(cs["division"], cs["cluster_id"], strict=True)}:
        listed = set(cs.loc[(cs["cluster_id"] == key[1]) & (cs["role_id"] == "kommunalt-medlem"), "municipality_code"])
        if listed != members_of[key]:
            raise RegistryError(f["council_seats.csv"], None,
                                f"{key[1]}: municipal seats do not name every member municipality exactly once")
    cs = cs.assign(seats=pd.to_numeric(cs["seats"]).astype("Int64"), verified=cs["verified"].str.lower().eq("true"),
                   municipality_code=cs["municipality_code"].replace("", None))

    # conflicts between sources (recorded, not resolved by guessing) ----------------------------------
    cf = raw["conflicts.csv"]
    for row, r in _rows(cf):
        if (r["division"], r["cluster_id"]) not in cl_keys:
            raise RegistryError(f["conflicts.csv"], row, f"unknown unit {r['cluster_id']!r} in {r['division']!r}")
        if r["alternative"] and (r["division"], r["alternative"]) not in cl_keys:
            raise RegistryError(f["conflicts.csv"], row, f"unknown alternative {r['alternative']!r}")
        if r["municipality_code"] not in members_of[(r["division"], r["cluster_id"])]:
            raise RegistryError(f["conflicts.csv"], row,
                                f"the reading used must be the registry's: {r['municipality_code']} is not in "
                                f"{r['cluster_id']}")
        _tagged(r, f["conflicts.csv"], row, source_col="sources")
    cf = cf.assign(verified=cf["verified"].str.lower().eq("true"))

    return Registry(regions=regions, municipalities=munis, hospitals=hosp, divisions=divs, clusters=cl,
                    memberships=mem, levels=lev, seats=st, council_seats=cs, conflicts=cf, name_index=index)


def _reg() -> Registry:
    return load_registry()


# --------------------------------------------------------------------------------------------------
# Municipalities and regions (regions are versioned: Region Østdanmark from 2027-01-01)
# --------------------------------------------------------------------------------------------------
def _region_day(division: str | None, date: object) -> pd.Timestamp:
    """The day whose regions apply: ``date``, else the start of ``division``, else today (:mod:`klyngedata.clock`)."""
    if date is not None or division is None:
        return _as_date(date)
    divs = divisions().set_index("division")
    return divs.loc[resolve_division(division), "valid_from"]


_REGION_LINKS: list = [None, {}]  # [the regions frame the links were built from, region_id -> (valid_to, successor)]


def _region_links() -> dict[str, tuple]:
    """region_id -> (valid_to or None, successor_id or None), built once per loaded registry (it is called for
    every municipality of every look-up)."""
    regions = _reg().regions
    if _REGION_LINKS[0] is not regions:
        _REGION_LINKS[1] = {rid: (None if pd.isna(to) else to, None if pd.isna(nxt) else nxt)
                            for rid, to, nxt in zip(regions["region_id"], regions["valid_to"],
                                                    regions["successor_id"], strict=True)}
        _REGION_LINKS[0] = regions
    return _REGION_LINKS[1]


def _region_on(region_id: str, day: pd.Timestamp) -> str:
    """The region that ``region_id``'s area belongs to on ``day`` (following successors of ended regions)."""
    links = _region_links()
    if region_id not in links:
        raise KeyError(region_id)
    seen = {region_id}
    while links[region_id][0] is not None and links[region_id][0] < day:
        nxt = links[region_id][1]
        if nxt is None or nxt in seen:
            break
        region_id = nxt
        seen.add(region_id)
    return region_id


def municipality_regions(division: str | None = None, date: object = None) -> dict[str, str]:
    """Municipality code -> region key valid on ``date`` (default: the start of ``division``, else today).

    The region key is the DAGI code (``"1084"``) or, for Region Østdanmark, which has no official code,
    ``"oestdanmark"`` (see :mod:`klyngedata.codes`).

    >>> municipality_regions(date="2026-12-31")["0101"], municipality_regions(date="2027-01-01")["0101"]
    ('1084', 'oestdanmark')
    """
    reg = _reg()
    day = _region_day(division, date)
    key = dict(zip(reg.regions["region_id"], reg.regions["region_key"], strict=True))
    home = dict(zip(reg.municipalities["municipality_code"], reg.municipalities["region_id"], strict=True))
    return {code: key[_region_on(rid, day)] for code, rid in home.items()}


def region_key_on(region: object, division: str | None = None, date: object = None) -> str:
    """The key of the region that ``region``'s area belongs to on ``date`` (default: the start of
    ``division``, else today).

    >>> region_key_on("1084", date="2027-01-02"), region_key_on("1081", date="2027-01-02")
    ('oestdanmark', '1081')
    """
    r = _reg().regions.set_index("region_id")
    return str(r.loc[_region_on(_region_id(region), _region_day(division, date)), "region_key"])


def municipalities(region: str | None = None, date: object = None, division: str | None = None) -> pd.DataFrame:
    """The 98 municipalities: ``municipality_code``, ``name``, ``dst_name``, ``region_code``, ``region_name``.

    The region columns show the region valid on ``date`` (default: the start of ``division``, else today):
    from 2027-01-01 the municipalities of Hovedstaden and Sjælland are in Region Østdanmark. ``region``
    selects the municipalities a region contains (or contained: ``"Hovedstaden"`` works after 2026 too).

    >>> municipalities().shape[0]
    98
    >>> municipalities(date="2027-01-01").set_index("municipality_code").loc["0101", "region_name"]
    'Region Østdanmark'
    """
    reg = _reg()
    m = reg.municipalities
    day = _region_day(division, date)
    now = m["region_id"].map(lambda rid: _region_on(rid, day))
    r = reg.regions.set_index("region_id")
    out = m[["municipality_code", "name", "dst_name"]].assign(
        region_code=now.map(r["region_key"]), region_name=now.map(r["name"]))
    if region is not None:
        rid = _region_id(region)
        out = out[(m["region_id"] == rid) | (now == rid)]
    return out.sort_values("municipality_code").reset_index(drop=True)


def region_municipalities(region: str) -> list[str]:
    """Codes of the municipalities a region contains (Region Østdanmark: those of Hovedstaden and Sjælland).

    >>> len(region_municipalities("oestdanmark"))
    46
    """
    reg = _reg()
    rid = _region_id(region)
    m = reg.municipalities
    pred = set(reg.regions.loc[reg.regions["successor_id"] == rid, "region_id"])
    return sorted(m.loc[m["region_id"].isin({rid} | pred), "municipality_code"])


def region_parts(region: object) -> list[str]:
    """Keys of a region and of the regions it succeeded (Region Østdanmark: itself, Hovedstaden, Sjælland).

    >>> region_parts("oestdanmark")
    ['oestdanmark', '1084', '1085']
    """
    r = _reg().regions
    rid = _region_id(region)
    keys = dict(zip(r["region_id"], r["region_key"], strict=True))
    return [keys[rid]] + [keys[p] for p in r.loc[r["successor_id"] == rid, "region_id"]]


def municipality(key: object) -> Municipality:
    """Look a municipality up by code (``851``, ``"851"``, ``"0851"``) or name (``"Morsø"``, ``"morso kommune"``).

    >>> municipality(851).name
    'Aalborg'
    """
    reg = _reg()
    m = reg.municipalities
    code: str | None = None
    if isinstance(key, int | float) or (isinstance(key, str) and key.strip()[:1].isdigit()):
        try:
            code = normalize_municipality_code(key)
        except ValueError:
            code = None
        if code is not None and code not in set(m["municipality_code"]):
            raise LookupFailed(f"Unknown municipality code {key!r}", _close(str(key), list(m["municipality_code"])))
    if code is None:
        for k in _fold_keys(str(key)):
            if k in reg.name_index:
                code = reg.name_index[k]
                break
    if code is None:
        raise LookupFailed(f"Unknown municipality {key!r}", _close(str(key), list(m["name"])))
    r = m[m["municipality_code"] == code].iloc[0]
    return Municipality(code=code, name=r["name"], dst_name=r["dst_name"], region_code=r["region_code"],
                        region_name=r["region_name"])


def regions(date: object = None, division: str | None = None) -> pd.DataFrame:
    """Regions with their validity; Region Østdanmark succeeds Hovedstaden and Sjælland from 2027-01-01.

    Columns: ``region_id, region_code`` (DAGI code; NA for Region Østdanmark: no official code was found,
    ``code_note`` says so), ``region_key`` (the id tidy frames use: the code, else the region id),
    ``dst_code, name, valid_from, valid_to, successor_name, source``. Without arguments all regions ever
    valid; with ``date`` or ``division`` only those valid on that day (a division: on its first day).

    >>> regions().set_index("region_id").loc["hovedstaden", "successor_name"]
    'Region Østdanmark'
    >>> regions(date="2027-01-02")["region_key"].tolist()
    ['1081', '1082', '1083', 'oestdanmark']
    """
    r = _reg().regions
    names = dict(zip(r["region_id"], r["name"], strict=True))
    out = r.drop(columns="successor_id").assign(successor_name=r["successor_id"].map(names))
    if date is not None or division is not None:
        day = _region_day(division, date)
        out = out[(out["valid_from"] <= day) & (out["valid_to"].isna() | (out["valid_to"] >= day))]
    return out.reset_index(drop=True)


def _region_id(key: object) -> str:
    r = _reg().regions
    s = str(key).strip()
    if s in set(r["region_id"]):
        return s
    try:
        code = normalize_region_code(s)
        hit = r[r["region_key"] == code]
        if len(hit):
            return hit.iloc[0]["region_id"]
    except ValueError:
        pass
    folded = _fold(re.sub(r"(?i)^region\s+", "", s), 0)
    for rid, name in zip(r["region_id"], r["name"], strict=True):
        if folded in (_fold(re.sub(r"^Region\s+", "", name), 0), rid):
            return rid
    raise LookupFailed(f"Unknown region {key!r}", _close(s, list(r["name"])))


def region(key: object) -> pd.Series:
    """One region by id, code, key or name (``"Østdanmark"``, ``"oestdanmark"``, ``"1081"``, ``"Region Sjælland"``).

    >>> region("Østdanmark")["region_key"]
    'oestdanmark'
    """
    return regions().set_index("region_id").loc[_region_id(key)].rename(_region_id(key))


def hospitals(kind: str | None = None) -> pd.DataFrame:
    """Acute hospitals and each region's psychiatry: id, name, town, region, WGS84 ``lat``/``lon``.

    Coordinates are approximate (``coords_verified`` is False until checked against SOR/OpenStreetMap).

    >>> (hospitals("acute")["kind"] == "acute").all()
    True
    """
    h = _reg().hospitals
    if kind is not None:
        h = h[h["kind"] == kind]
    return h.drop(columns="region_id").reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# Divisions and clusters
# --------------------------------------------------------------------------------------------------
def divisions() -> pd.DataFrame:
    """The divisions with their validity periods and the Danish word for their units (``unit_da``).

    >>> list(divisions()["division"])
    ['klyngestyregrupper-2019', 'sundhedsklynger-2022', 'sundhedsraad-2027']
    """
    return _reg().divisions.sort_values("valid_from").reset_index(drop=True)


def division(division_id: str) -> pd.Series:
    """One division's row (name, ``valid_from``, ``valid_to``, ``unit_da``, source).

    >>> division("sundhedsklynger-2022")["valid_to"].date().isoformat()
    '2026-12-31'
    """
    d = divisions().set_index("division")
    return d.loc[resolve_division(division_id)]


def _as_date(date: object) -> pd.Timestamp:
    if date is None:
        return pd.Timestamp(clock.today())
    try:
        return pd.Timestamp(date)
    except (ValueError, TypeError):
        raise LookupFailed(f"Not a date: {date!r}") from None


def resolve_division(division: str | None = None, date: object = None) -> str:
    """Return a division id: ``division`` if given (validated), else the one valid on ``date``.

    ``date`` defaults to today (:func:`klyngedata.clock.today`, which tests and ``$KLYNGEDATA_TODAY`` can set).

    >>> resolve_division(date="2020-01-01")
    'klyngestyregrupper-2019'
    >>> resolve_division(date="2027-01-01")
    'sundhedsraad-2027'
    """
    divs = divisions()
    if division is not None:
        if division in set(divs["division"]):
            return division
        raise LookupFailed(f"Unknown division {division!r}", _close(division, list(divs["division"])))
    day = _as_date(date)
    valid = divs[(divs["valid_from"] <= day) & (divs["valid_to"].isna() | (divs["valid_to"] >= day))]
    if valid.empty:
        raise LookupFailed(f"No division is valid on {day.date()}", list(divs["division"]))
    return valid.iloc[0]["division"]


def membership(division: str | None = None, date: object = None) -> pd.DataFrame:
    """Tidy membership table: one row per cluster x municipality (x unit for split municipalities).

    Columns: ``division, cluster_id, cluster_name, region_code, region_id, municipality_code,
    municipality_name, allocation ("whole"|"unit"|"share"), unit_type, unit_code, unit_name, share, verified,
    tag, source``. ``region_code`` is the unit's region key (``"oestdanmark"`` for Region Østdanmark).
    ``share`` is 1 for whole municipalities, the share for share-defined splits and NA for unit-defined
    splits (their shares follow from the units' population).

    >>> m = membership("sundhedsklynger-2022")
    >>> m.loc[m.municipality_code == "0101", "allocation"].unique().tolist()
    ['unit']
    """
    reg = _reg()
    div = resolve_division(division, date)
    mem = reg.memberships[reg.memberships["division"] == div]
    cl = reg.clusters[reg.clusters["division"] == div][["cluster_id", "name", "region_code", "region_id"]]
    names = dict(zip(reg.municipalities["municipality_code"], reg.municipalities["name"], strict=True))
    out = mem.merge(cl.rename(columns={"name": "cluster_name"}), on="cluster_id", how="left")
    out["municipality_name"] = out["municipality_code"].map(names)
    cols = ["division", "cluster_id", "cluster_name", "region_code", "region_id", "municipality_code",
            "municipality_name", "allocation", "unit_type", "unit_code", "unit_name", "share", "verified", "tag",
            "source"]
    return out[cols].sort_values(["cluster_id", "municipality_code", "unit_code"], na_position="first") \
        .reset_index(drop=True)


CLUSTER_COLUMNS = ["cluster_id", "name", "short_name", "division", "unit_da", "region_code", "region_id",
                   "region_name", "hospital_ids", "hospitals", "municipality_codes", "municipalities",
                   "n_municipalities", "has_split", "aliases", "verified", "tag", "source", "note"]


def clusters(division: str | None = None, date: object = None, region: str | None = None,
             geometry: bool = False, data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """One row per unit (cluster or council) of a division (default: the division valid today).

    Columns: ``cluster_id, name, short_name, division, unit_da, region_code`` (region key), ``region_id,
    region_name, hospital_ids, hospitals, municipality_codes, municipalities, n_municipalities, has_split,
    aliases, verified, tag, source, note``. With ``geometry=True`` a GeoDataFrame with the catchment
    polygons (needs boundaries, see ``klyngedata data import``).

    >>> clusters("sundhedsklynger-2022", region="Nordjylland")["cluster_id"].tolist()
    ['nordjylland-midt', 'nordjylland-nord', 'nordjylland-syd', 'nordjylland-vest']
    >>> len(clusters("sundhedsraad-2027"))
    17
    """
    reg = _reg()
    div = resolve_division(division, date)
    cl = reg.clusters[reg.clusters["division"] == div]
    if region is not None:
        rid = _region_id(region)
        cl = cl[cl["region_id"] == rid]
    mem = membership(div)
    hosp_names = dict(zip(reg.hospitals["hospital_id"], reg.hospitals["name"], strict=True))
    rows = []
    for r in cl.sort_values("cluster_id").to_dict("records"):
        m = mem[mem["cluster_id"] == r["cluster_id"]]
        codes = sorted(m["municipality_code"].unique())
        hids = [h for h in r["hospital_ids"].split(";") if h]
        rows.append({
            "cluster_id": r["cluster_id"], "name": r["name"], "short_name": r["short_name"], "division": div,
            "unit_da": r["unit_da"], "region_code": r["region_code"], "region_id": r["region_id"],
            "region_name": r["region_name"], "hospital_ids": hids, "hospitals": [hosp_names[h] for h in hids],
            "municipality_codes": codes,
            "municipalities": [m.loc[m.municipality_code == c, "municipality_name"].iloc[0] for c in codes],
            "n_municipalities": len(codes), "has_split": bool((m["allocation"] != "whole").any()),
            "aliases": [a for a in r["aliases"].split(";") if a],
            "verified": bool(r["verified"] and m["verified"].all()), "tag": r["tag"], "source": r["source"],
            "note": r["note"],
        })
    out = pd.DataFrame(rows, columns=CLUSTER_COLUMNS)
    if geometry:
        from klyngedata.geo import attach_geometry

        return attach_geometry(out.rename(columns={"cluster_id": "entity_id"}), level="cluster", division=div,
                               data_dir=data_dir).rename(columns={"entity_id": "cluster_id"})
    return out


def division_of(cluster_id: str) -> str | None:
    """The division a unit id belongs to (ids are unique across divisions), or None for an unknown id.

    >>> division_of("nordjylland-nord"), division_of("sundhedsraad-limfjorden")
    ('sundhedsklynger-2022', 'sundhedsraad-2027')
    """
    cl = _reg().clusters
    hit = cl.loc[cl["cluster_id"] == str(cluster_id).strip().lower(), "division"]
    return None if hit.empty else str(hit.iloc[0])


def _match_names(cl: pd.DataFrame, text: str) -> pd.DataFrame:
    folded = _fold(text, 0)

    def same(row: dict) -> bool:
        names = [row["name"], row["short_name"], *[a for a in row["aliases"].split(";") if a]]
        return any(_fold(n, 0) == folded for n in names)

    return cl[[same(r) for r in cl.to_dict("records")]]


def _find(key: str, region: str | None, division: str | None, date: object) -> pd.Series:
    """The registry row of a unit: by id (any division), former id or name/alias (see :func:`cluster`)."""
    reg = _reg()
    cl_all = reg.clusters
    if region is not None:
        cl_all = cl_all[cl_all["region_id"] == _region_id(region)]
    text = str(key).strip()
    explicit = division is not None or date is not None
    div = resolve_division(division, date)
    in_div = cl_all[cl_all["division"] == div]
    hit = cl_all[cl_all["cluster_id"] == text.lower()]
    if not hit.empty:
        if not explicit or hit.iloc[0]["division"] == div:
            return hit.iloc[0]
    former = in_div[in_div["former_ids"].map(lambda f: text.lower() in f.split(";"))]
    if not former.empty:
        return former.iloc[0]
    if not hit.empty:  # an id of another division than the one asked for
        other = hit.iloc[0]
        raise LookupFailed(f"{other['cluster_id']} is a unit of division {other['division']}, not of {div}; "
                           "give the id alone (it names its division) or a name of a unit of " + div,
                           [f"{s} ({n})" for s, n in successors(other["cluster_id"])[["cluster_id", "name"]]
                            .itertuples(index=False)] if div != other["division"] else [])
    hits = _match_names(in_div, text)
    if hits.empty and not explicit:  # names of other divisions, newest division first
        for d in divisions().sort_values("valid_from", ascending=False)["division"]:
            hits = _match_names(cl_all[cl_all["division"] == d], text)
            if not hits.empty:
                break
    if hits.empty:
        candidates = list(in_div["cluster_id"]) + list(in_div["name"])
        raise LookupFailed(f"Unknown cluster {key!r} in division {div}", _close(text, candidates))
    if len(hits) > 1:
        raise LookupFailed(
            f"Cluster name {key!r} is ambiguous in {hits.iloc[0]['division']}; give region= or one of the ids",
            [f"{c} ({n})" for c, n in zip(hits["cluster_id"], hits["region_name"], strict=True)],
        )
    return hits.iloc[0]


def cluster(key: str | Cluster, region: str | None = None, division: str | None = None,
            date: object = None) -> Cluster:
    """Look up one unit (cluster or council) by id, name or working name.

    * An id names its unit and division on any date: ``"nordjylland-nord"`` is the 2022 cluster, also
      after it ended (31 December 2026); ``"sundhedsraad-limfjorden"`` the 2027 council.
    * A name (``"Klynge Nord"``, ``"Sundhedsråd Fyn"``, ``"Fyn"``) or working name (``"Trekantsområdet"``) is
      looked up in ``division`` (default: the one valid on ``date``, default today); if it is not found
      there and no division/date was given, in the other divisions, newest first.
    * An id from before ids were unique (``"nordjylland-syd"`` with ``division="klyngestyregrupper-2019"``)
      still finds the unit of that division.

    An ambiguous name raises :class:`LookupFailed` listing the candidates; an unknown one lists the
    closest valid ids and names.

    >>> cluster("Klynge Nord", region="Nordjylland", division="sundhedsklynger-2022").id
    'nordjylland-nord'
    >>> cluster("Trekantsområdet").id
    'sundhedsraad-lillebaelt'
    """
    if isinstance(key, Cluster):
        return key
    r = _find(key, region, division, date)
    div = r["division"]
    row = clusters(div).set_index("cluster_id").loc[r["cluster_id"]]
    members = membership(div)
    members = members[members["cluster_id"] == r["cluster_id"]].reset_index(drop=True)
    hosp = hospitals()
    hosp = hosp[hosp["hospital_id"].isin(row["hospital_ids"])].reset_index(drop=True)
    return Cluster(
        id=r["cluster_id"], name=r["name"], short_name=r["short_name"], division=div,
        region_code=r["region_code"], region_name=r["region_name"],
        municipality_codes=list(row["municipality_codes"]), municipality_names=list(row["municipalities"]),
        hospitals=hosp, members=members, has_split=bool(row["has_split"]), verified=bool(row["verified"]),
        source=r["source"], note=r["note"], region_id=r["region_id"], aliases=tuple(row["aliases"]),
        unit_da=r["unit_da"], tag=r["tag"],
    )


def _overlaps(cluster_id: str, other_division: str) -> pd.DataFrame:
    """Units of ``other_division`` sharing at least one municipality (or bydel) with ``cluster_id``."""
    div = division_of(cluster_id)
    if div is None:
        raise LookupFailed(f"Unknown cluster id {cluster_id!r}")
    a = membership(div)
    a = a[a["cluster_id"] == cluster_id]
    b = membership(other_division)
    shared = b[b["municipality_code"].isin(set(a["municipality_code"]))]
    units = {(c, u) for c, u in zip(a["municipality_code"], a["unit_code"], strict=True) if pd.notna(u)}
    if units:  # a split municipality: only the other units sharing its bydele (or the whole municipality)
        keep = [pd.isna(u) or (c, u) in units or c not in {m for m, _ in units}
                for c, u in zip(shared["municipality_code"], shared["unit_code"], strict=True)]
        shared = shared[keep]
    ids = list(dict.fromkeys(shared.sort_values("cluster_id")["cluster_id"]))
    return clusters(other_division).set_index("cluster_id").loc[ids].reset_index()[CLUSTER_COLUMNS]


def successors(cluster_id: str) -> pd.DataFrame:
    """The units of the next division that take over a unit's municipalities (empty for the newest division).

    >>> successors("nordjylland-nord")["cluster_id"].tolist()
    ['sundhedsraad-vendsyssel']
    """
    div = division_of(cluster_id)
    divs = divisions()
    later = divs[divs["valid_from"] > divs.set_index("division").loc[div, "valid_from"]] if div else divs.iloc[0:0]
    if later.empty:
        return pd.DataFrame(columns=CLUSTER_COLUMNS)
    return _overlaps(cluster_id, later.iloc[0]["division"])


def predecessors(cluster_id: str) -> pd.DataFrame:
    """The units of the previous complete division whose municipalities a unit took over.

    >>> predecessors("sundhedsraad-limfjorden")["cluster_id"].tolist()
    ['nordjylland-midt', 'nordjylland-syd', 'nordjylland-vest']
    """
    div = division_of(cluster_id)
    divs = divisions()
    start = divs.set_index("division").loc[div, "valid_from"] if div else None
    earlier = divs[(divs["valid_from"] < start) & (divs["coverage"] == "complete")] if div else divs.iloc[0:0]
    if earlier.empty:
        return pd.DataFrame(columns=CLUSTER_COLUMNS)
    return _overlaps(cluster_id, earlier.iloc[-1]["division"])


def conflicts(division: str | None = None) -> pd.DataFrame:
    """Conflicting sources recorded in the registry (never resolved by guessing): which reading is used,
    the alternative, the sources of both, a Danish note.

    >>> sorted(conflicts("sundhedsraad-2027")["municipality_code"])
    ['0410', '0530']
    """
    cf = _reg().conflicts
    if division is not None:
        cf = cf[cf["division"] == resolve_division(division)]
    return cf.reset_index(drop=True)


def crosswalk(from_division: str, to_division: str) -> pd.DataFrame:
    """For each municipality (and unit of a split municipality), its cluster in both divisions.

    Municipalities a partial division does not cover have NA there. For the population each pair of units
    shares, see :func:`klyngedata.crosswalk.crosswalk` (``kd.crosswalk(..., population=True)``).

    >>> cw = crosswalk("sundhedsklynger-2022", "sundhedsraad-2027")
    >>> cw.loc[cw.municipality_code == "0410", "to_cluster_id"].item()
    'sundhedsraad-lillebaelt'
    """
    a = membership(resolve_division(from_division))
    b = membership(resolve_division(to_division))
    keep = ["municipality_code", "unit_type", "unit_code", "unit_name", "cluster_id", "cluster_name", "share"]
    a = a[keep].rename(columns={"cluster_id": "from_cluster_id", "cluster_name": "from_cluster_name",
                                "share": "from_share"})
    b = b[keep].rename(columns={"cluster_id": "to_cluster_id", "cluster_name": "to_cluster_name",
                                "share": "to_share", "unit_type": "to_unit_type", "unit_code": "to_unit_code",
                                "unit_name": "to_unit_name"})
    base = municipalities()[["municipality_code", "name"]].rename(columns={"name": "municipality_name"})
    out = base.merge(a, on="municipality_code", how="left").merge(b, on="municipality_code", how="left")
    both_units = out["unit_code"].notna() & out["to_unit_code"].notna()
    out = out[~both_units | (out["unit_code"] == out["to_unit_code"])]
    out["unit_type"] = out["unit_type"].fillna(out["to_unit_type"])
    out["unit_code"] = out["unit_code"].fillna(out["to_unit_code"])
    out["unit_name"] = out["unit_name"].fillna(out["to_unit_name"])
    out = out.drop(columns=["to_unit_type", "to_unit_code", "to_unit_name"])
    out.insert(0, "from_division", resolve_division(from_division))
    out.insert(1, "to_division", resolve_division(to_division))
    return out.sort_values(["municipality_code", "unit_code"], na_position="first").reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# Governance
# --------------------------------------------------------------------------------------------------
def _cluster_region_id(reg: Registry, c: Cluster) -> str:
    if c.region_id:
        return c.region_id
    cl = reg.clusters
    return cl[(cl["division"] == c.division) & (cl["cluster_id"] == c.id)]["region_id"].iloc[0]


def _level_id(level: str) -> str:
    key = str(level).strip().lower()
    if key in LEVEL_ALIASES:
        return LEVEL_ALIASES[key]
    raise LookupFailed(f"Unknown governance level {level!r}", sorted(set(LEVEL_ALIASES.values())))


def levels(cluster_key: str | Cluster, **lookup) -> pd.DataFrame:
    """Governance levels of a cluster from the commissions: name, meetings per year, chair, source.

    >>> levels("nordjylland-nord").set_index("level").loc["politisk", "meetings_min_per_year"]
    2
    """
    c = cluster(cluster_key, **lookup)
    reg = _reg()
    rid = _cluster_region_id(reg, c)
    lev = reg.levels[(reg.levels["division"] == c.division) & (reg.levels["region_id"] == rid)]
    return lev.drop(columns=["division", "region_id"]).reset_index(drop=True)


def seats(cluster_key: str | Cluster, level: str, **lookup) -> pd.DataFrame:
    """The seats a cluster must fill at a governance level, from its region's commission.

    Roles given per municipality are expanded to one row per member municipality. Columns:
    ``cluster_id, level, role_id, role_da, municipality_code, municipality_name, count_min, count_max,
    observer, appointed_by, note_da, source``. ``count_max`` NA means "at least ``count_min``" (or not fixed
    when both are NA).

    >>> s = seats("nordjylland-nord", "politisk")
    >>> int(s.loc[~s.observer, "count_min"].sum())
    8
    """
    c = cluster(cluster_key, **lookup)
    lvl = _level_id(level)
    reg = _reg()
    rid = _cluster_region_id(reg, c)
    if c.is_council and lvl == "politisk":
        return _council_seats(reg, c)
    rules = reg.seats[(reg.seats["division"] == c.division) & (reg.seats["region_id"] == rid)
                      & (reg.seats["level"] == lvl)]
    if rules.empty:
        known = reg.levels[(reg.levels["division"] == c.division) & (reg.levels["region_id"] == rid)]["level"]
        raise LookupFailed(
            f"No commission for level {lvl!r} of {c.name} ({c.region_name}, {c.division}) is in the registry",
            sorted(known),
        )
    rows = []
    for r in rules.to_dict("records"):
        base = {"cluster_id": c.id, "level": lvl, "role_id": r["role_id"], "role_da": r["role_da"],
                "municipality_code": None, "municipality_name": None, "count_min": r["count_min"],
                "count_max": r["count_max"], "observer": r["observer"], "appointed_by": r["appointed_by"],
                "note_da": r["note_da"], "source": r["source"]}
        if r["per_municipality"]:
            for code, name in zip(c.municipality_codes, c.municipality_names, strict=True):
                rows.append(base | {"municipality_code": code, "municipality_name": name,
                                    "appointed_by": f"{name} Kommune"})
        else:
            rows.append(base)
    out = pd.DataFrame(rows)
    out["count_min"] = out["count_min"].astype("Int64")
    out["count_max"] = out["count_max"].astype("Int64")
    return out


def _council_seats(reg: Registry, c: Cluster) -> pd.DataFrame:
    """A council's composition as listed (data, not a formula): regional members, then municipal seats per
    member municipality."""
    cs = reg.council_seats[reg.council_seats["cluster_id"] == c.id]
    if cs.empty:
        raise LookupFailed(f"The composition of {c.name} is not in the registry")
    names = dict(zip(c.municipality_codes, c.municipality_names, strict=True))
    rows = []
    for r in cs.to_dict("records"):
        code = r["municipality_code"]
        regional = r["role_id"] == "regionsraadsmedlem"
        rows.append({
            "cluster_id": c.id, "level": "politisk", "role_id": r["role_id"], "role_da": COUNCIL_ROLES[r["role_id"]],
            "municipality_code": code, "municipality_name": names.get(code) if code else None,
            "count_min": r["seats"], "count_max": r["seats"], "observer": False,
            "appointed_by": f"Regionsrådet i {c.region_name}" if regional else f"{names.get(code, code)} Kommune",
            "note_da": r["note"], "source": r["source"], "verified": r["verified"], "tag": r["tag"],
        })
    out = pd.DataFrame(rows)
    out["count_min"] = out["count_min"].astype("Int64")
    out["count_max"] = out["count_max"].astype("Int64")
    return out


def composition(cluster_key: str | Cluster, **lookup) -> dict:
    """A council's composition in short: regional members, municipal seats per municipality, chair rule,
    sources, and whether the listed seats satisfy the rule seen in all 17 councils (regional = municipal + 1;
    a check only, the seats themselves are data).

    >>> composition("sundhedsraad-limfjorden")["regional"], composition("sundhedsraad-limfjorden")["municipal"]
    (9, 8)
    """
    c = cluster(cluster_key, **lookup)
    s = seats(c, "politisk")
    lev = levels(c)
    regional = int(s.loc[s["role_id"] == "regionsraadsmedlem", "count_min"].sum())
    mun = s[s["role_id"] == "kommunalt-medlem"]
    chair = lev.iloc[0] if len(lev) else None
    return {
        "cluster_id": c.id, "regional": regional, "municipal": int(mun["count_min"].sum()),
        "municipal_seats": dict(zip(mun["municipality_name"], mun["count_min"].astype(int), strict=True)),
        "regional_majority_check": regional == int(mun["count_min"].sum()) + 1,
        "chair_da": None if chair is None else chair["chair_da"],
        "chair_verified": None if chair is None else bool(chair["verified"]),
        "sources": sorted(set(s["source"]) | ({chair["source"]} if chair is not None else set())),
        "verified": bool(s["verified"].all()),
    }


def hospitals_inferred(cluster_key: str | Cluster, **lookup) -> bool:
    """True when a unit's acute hospitals are deduced, not confirmed by a source (the councils' hospitals are
    inferred from the clusters they take over: ``acute hospitals [INFERENCE]`` in the unit's source reference).

    >>> hospitals_inferred("sundhedsraad-limfjorden"), hospitals_inferred("nordjylland-nord")
    (True, False)
    """
    c = cluster(cluster_key, **lookup)
    cl = _reg().clusters
    ref = cl.loc[cl["cluster_id"] == c.id, "source_ref"]
    return bool(len(ref)) and bool(re.search(r"hospitals?\s*\[INFERENCE\]", str(ref.iloc[0]), re.I))


def _close(text: str, options: list[str], n: int = 5) -> list[str]:
    folded = {_fold(o, 0): o for o in options}
    hits = difflib.get_close_matches(_fold(text, 0), list(folded), n=n, cutoff=0.5)
    return [folded[h] for h in hits]
