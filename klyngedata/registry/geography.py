"""Municipalities, regions (versioned: Region Østdanmark from 2027-01-01) and hospitals."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from klyngedata.exceptions import LookupFailed
from klyngedata.registry.divisions import _as_date, divisions, resolve_division
from klyngedata.registry.load import _close, _fold, _fold_keys, _reg
from klyngedata.vocabulary.codes import normalize_municipality_code, normalize_region_code


@dataclass(frozen=True)
class Municipality:
    """A municipality: canonical ``code`` (``"0851"``), names and region."""

    code: str
    name: str
    dst_name: str
    region_code: str
    region_name: str

    @property
    def official_name(self) -> str:
        """The municipality's official name (:func:`official_name`)."""
        return official_name(self.code, self.name)


OFFICIAL_NAMES = {"0101": "Københavns Kommune", "0400": "Bornholms Regionskommune"}
"""Official names that are not "<name> Kommune" (the municipalities' own: kk.dk, brk.dk)."""


def official_name(code: str, name: str) -> str:
    """The official name of a municipality as readers expect it: ``"Københavns Kommune"``,
    ``"Bornholms Regionskommune"``, else ``"<name> Kommune"``.

    >>> official_name("0101", "København"), official_name("0400", "Bornholm"), official_name("0851", "Aalborg")
    ('Københavns Kommune', 'Bornholms Regionskommune', 'Aalborg Kommune')
    """
    return OFFICIAL_NAMES.get(str(code).zfill(4), f"{name} Kommune")




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
    ``"oestdanmark"`` (see :mod:`klyngedata.vocabulary.codes`).

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

    >>> bool((hospitals("acute")["kind"] == "acute").all())
    True
    """
    h = _reg().hospitals
    if kind is not None:
        h = h[h["kind"] == kind]
    return h.drop(columns="region_id").reset_index(drop=True)


