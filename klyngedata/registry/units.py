"""Units of a division (clusters, steering groups, councils): membership, look-up, successors, crosswalks."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from klyngedata.exceptions import LookupFailed
from klyngedata.readable import SEAT_COLUMNS, readable
from klyngedata.registry import governance
from klyngedata.registry.divisions import divisions, resolve_division
from klyngedata.registry.geography import _region_id, hospitals, municipalities
from klyngedata.registry.load import _close, _fold, _reg


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
        return governance.levels_of(self)

    def seats(self, level: str) -> pd.DataFrame:
        """Shortcut for :func:`seats` (``kd.cluster("nordjylland-nord").seats("politisk")``); shown with the
        readable columns first (:mod:`klyngedata.readable`)."""
        return readable(governance.seats_of(self, level), SEAT_COLUMNS)

    def summary_da(self) -> list[tuple[str, str]]:
        """The unit in a few Danish lines (label, text), as its repr shows them.

        >>> cluster("nordjylland-nord").summary_da()[1]
        ('Inddeling', 'sundhedsklynge i Region Nordjylland, 1. juli 2022 – 31. december 2026')
        """
        from klyngedata.registry.words import division_validity_da

        names = list(self.municipality_names)
        rows = [("Id", self.id),
                ("Inddeling", f"{self.unit_da} i {self.region_name}, {division_validity_da(self.division)}"),
                (f"Kommuner ({len(names)})", ", ".join(names))]
        if len(self.hospitals):
            rows.append(("Akutsygehus" if len(self.hospitals) == 1 else "Akutsygehuse",
                         ", ".join(map(str, self.hospitals["name"]))))
        if self.aliases:
            rows.append(("Også kaldt", ", ".join(self.aliases)))
        if self.note:
            rows.append(("Bemærk", self.note))
        if not self.verified:
            rows.append(("Kilde", "ikke bekræftet af en primær kilde (se .source)"))
        return rows

    def __repr__(self) -> str:
        """Readable on a few lines (the dataclass repr was one line of several hundred characters)."""
        rows = self.summary_da()
        width = max(len(label) for label, _ in rows)
        return "\n".join([self.name, *(f"  {label:<{width}}  {text}" for label, text in rows),
                          "  (.members, .hospitals, .levels, .seats(\"politisk\"), .source)"])

    def _repr_html_(self) -> str:
        import html

        rows = "".join(f'<tr><th style="text-align:left;padding-right:1em">{html.escape(label)}</th>'
                       f'<td style="text-align:left">{html.escape(text)}</td></tr>'
                       for label, text in self.summary_da())
        return f"<div><strong>{html.escape(self.name)}</strong><table>{rows}</table></div>"




def _memo(key: tuple, build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """``build()`` once per loaded registry and ``key``; every caller gets its own copy (lists too)."""
    memo = _reg().memo
    if key not in memo:
        memo[key] = build()
    frame = memo[key].copy()
    for col in [c for c in frame.columns if frame[c].dtype == object]:  # lists live in object columns only
        if frame[col].map(lambda v: isinstance(v, list)).any():
            frame[col] = frame[col].map(lambda v: list(v) if isinstance(v, list) else v)
    return frame


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
    div = resolve_division(division, date)
    return _memo(("membership", div), lambda: _membership(div))


def _membership(div: str) -> pd.DataFrame:
    reg = _reg()
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


def clusters(division: str | None = None, date: object = None, region: str | None = None) -> pd.DataFrame:
    """One row per unit (cluster or council) of a division (default: the division valid today).

    Columns: ``cluster_id, name, short_name, division, unit_da, region_code`` (region key), ``region_id,
    region_name, hospital_ids, hospitals, municipality_codes, municipalities, n_municipalities, has_split,
    aliases, verified, tag, source, note``. The registry reads no data: ``kd.clusters(geometry=True)``
    (:func:`klyngedata.api.clusters`) adds the catchment polygons.

    >>> clusters("sundhedsklynger-2022", region="Nordjylland")["cluster_id"].tolist()
    ['nordjylland-midt', 'nordjylland-nord', 'nordjylland-syd', 'nordjylland-vest']
    >>> len(clusters("sundhedsraad-2027"))
    17
    """
    div = resolve_division(division, date)
    rid = _region_id(region) if region is not None else None
    return _memo(("clusters", div, rid), lambda: _clusters(div, rid))


def _clusters(div: str, rid: str | None) -> pd.DataFrame:
    reg = _reg()
    cl = reg.clusters[reg.clusters["division"] == div]
    if rid is not None:
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
    return pd.DataFrame(rows, columns=CLUSTER_COLUMNS)


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
    memo = _reg().memo
    built = memo.get(("cluster", r["cluster_id"]))
    if built is None:
        built = memo[("cluster", r["cluster_id"])] = _cluster(r)
    return dataclasses.replace(built, hospitals=built.hospitals.copy(), members=built.members.copy(),
                               municipality_codes=list(built.municipality_codes),
                               municipality_names=list(built.municipality_names))


def _cluster(r: pd.Series) -> Cluster:
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




def levels(cluster_key: str | Cluster, **lookup) -> pd.DataFrame:
    """Governance levels of a cluster from the commissions: name, meetings per year, chair, source.

    >>> int(levels("nordjylland-nord").set_index("level").loc["politisk", "meetings_min_per_year"])
    2
    """
    return governance.levels_of(cluster(cluster_key, **lookup))


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
    return governance.seats_of(cluster(cluster_key, **lookup), level)


def composition(cluster_key: str | Cluster, **lookup) -> dict:
    """A council's composition in short: regional members, municipal seats per municipality, chair rule,
    sources, and whether the listed seats satisfy the rule seen in all 17 councils (regional = municipal + 1;
    a check only, the seats themselves are data).

    >>> composition("sundhedsraad-limfjorden")["regional"], composition("sundhedsraad-limfjorden")["municipal"]
    (9, 8)
    """
    return governance.composition_of(cluster(cluster_key, **lookup))


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
