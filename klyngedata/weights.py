"""Membership → municipality weights, in one place: how much of each municipality a unit, a region or Denmark
is made of, and — when a unit cannot be computed from municipality figures — the Danish reason, in the
words of the unit's division.

A unit's membership rows (:func:`klyngedata.registry.membership`) say how each member municipality belongs:

* ``whole`` — weight 1;
* ``share`` — the share given in the registry (several rows of one municipality add up);
* ``unit`` — split by sub-areas (København by bydel in 2022): the weight is the unit's share of the
  municipality's population in the sub-areas' own population (the cache's unit populations,
  :func:`unit_shares`), used only where a caller allows that approximation; otherwise the unit cannot be
  computed from municipality figures and :attr:`UnitWeights.reason_da` says why.

Regions are the sum of their municipalities (Region Østdanmark from 2027 = Hovedstaden + Sjælland) and Denmark
of all 98; Christiansø (0411, no municipality, in no unit) counts in Region Hovedstaden and Denmark where the
data have it, as Statistics Denmark counts it.

Example
-------
>>> w = unit_weights("nordjylland-nord")
>>> w.computable, sorted(w.weights), w.weights["0813"]
(True, ['0810', '0813', '0825', '0860'], 1.0)
>>> print(unit_weights("hovedstaden-byen").reason_da)  # doctest: +ELLIPSIS
København (0101) er delt mellem klyngerne efter bydel, og der er ingen befolkningstal pr. bydel ...
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from klyngedata import registry
from klyngedata.cache import Cache
from klyngedata.registry.words import words
from klyngedata.vocabulary import period_text_da
from klyngedata.vocabulary.codes import CHRISTIANSOE, CHRISTIANSOE_REGION

__all__ = ["UNIT_POPULATION_KEY", "UnitWeights", "absent_reason_da", "country_weights", "division_weights",
           "region_weights", "split_reason_da", "unit_shares", "unit_weights"]

UNIT_POPULATION_KEY = "population/units"
"""Cache key of the population by sub-area (bydel) of split municipalities."""


@dataclass(frozen=True)
class UnitWeights:
    """The municipality weights of one unit, or why it has none.

    ``weights``: municipality code → weight (``None`` when the unit cannot be computed from municipality
    figures; ``reason_da`` says why). ``members``: every member's weight, ``None`` for a member split by
    sub-areas without sub-area population. ``allocation``: municipality code → ``whole``/``share``/``unit``.
    ``note_da``: an approximation the weights rest on (sub-area population shares), else ``""``.
    """

    unit_id: str
    weights: dict[str, float] | None
    allocation: dict[str, str] = field(default_factory=dict)
    reason_da: str = ""
    note_da: str = ""
    members: dict[str, float | None] = field(default_factory=dict)

    @property
    def computable(self) -> bool:
        """True when the unit has municipality weights."""
        return self.weights is not None

    @property
    def whole(self) -> bool:
        """True when every member belongs wholly to the unit (sums of counts need no weighting)."""
        return self.computable and all(a == "whole" for a in self.allocation.values())


def split_reason_da(municipality_name: str, code: str, unit_type: str | None, division: str) -> str:
    """The Danish reason a unit with a municipality split by sub-areas cannot be computed from municipality
    figures, in the division's words.

    >>> split_reason_da("København", "0101", "bydel", "sundhedsraad-2027")  # doctest: +ELLIPSIS
    'København (0101) er delt mellem rådene efter bydel, og der er ingen befolkningstal pr. bydel i data, så rådets...'
    >>> split_reason_da("København", "0101", "bydel", "sundhedsklynger-2022")  # doctest: +ELLIPSIS
    'København (0101) er delt mellem klyngerne efter bydel, og der er ingen befolkningstal pr. bydel...'
    """
    part = unit_type or "delområde"
    return words(division).fill(
        "{navn} ({kode}) er delt mellem {klyngerne} efter {omraade}, og der er ingen befolkningstal pr. {omraade} i "
        "data, så {klyngens} tal kan ikke beregnes ud fra kommunernes tal.",
        navn=str(municipality_name), kode=code, omraade=part)


def absent_reason_da(entity_name: str, absent: Iterable[str]) -> str:
    """The Danish reason a unit, region or Denmark has no figure: members (their names) without figures in the
    data — it is never the sum of the members that have them.

    >>> absent_reason_da("Region Nordjylland", ["Læsø"])
    'Der er ingen tal for Læsø i data, så tallet for Region Nordjylland kan ikke beregnes uden at gætte.'
    >>> absent_reason_da("Hele landet", ["A", "B", "C", "D", "E"])[:56]
    'Der er ingen tal for A, B, C og 2 andre kommuner i data,'
    """
    who = sorted(set(absent))
    if len(who) > 4:
        listed = f"{', '.join(who[:3])} og {len(who) - 3} andre kommuner"
    else:
        listed = who[0] if len(who) == 1 else f"{', '.join(who[:-1])} og {who[-1]}"
    return f"Der er ingen tal for {listed} i data, så tallet for {entity_name} kan ikke beregnes uden at gætte."


def unit_shares(membership: pd.DataFrame, data_dir: str | os.PathLike[str] | None = None
                ) -> tuple[dict[tuple[str, str], float], dict[str, str]]:
    """Shares of sub-area-split municipalities per unit, from the cache's unit populations (latest period).

    Returns ``{(unit_id, municipality_code): share}`` and a Danish note per municipality. A municipality is
    left out when any of its units' sub-areas has no population.
    """
    units = membership[membership["allocation"] == "unit"]
    cache = Cache(data_dir)
    if units.empty or not cache.exists(UNIT_POPULATION_KEY):
        return {}, {}
    u = cache.read(UNIT_POPULATION_KEY)
    if "sex" in u.columns and (u["sex"] == "total").any():
        u = u[u["sex"] == "total"]
    if "age" in u.columns and u["age"].isna().any():
        u = u[u["age"].isna()]
    shares: dict[tuple[str, str], float] = {}
    notes: dict[str, str] = {}
    for code, g in units.groupby("municipality_code"):
        uc = u[(u["municipality_code"] == code) & (u["unit_type"] == g["unit_type"].iloc[0])]
        if uc.empty:
            continue
        latest = max(uc["period"])
        pops = uc[uc["period"] == latest].groupby("unit_code")["population"].sum().astype(float)
        if not set(g["unit_code"]) <= set(pops.index) or pops.sum() <= 0:
            continue
        total = float(pops.sum())
        for cid, gc in g.groupby("cluster_id"):
            shares[(cid, code)] = float(pops[list(gc["unit_code"])].sum()) / total
        notes[code] = (
            f"{g['municipality_name'].iloc[0]} ({code}) er delt på {g['unit_type'].iloc[0]} og fordelt efter "
            f"befolkningsandelen i delområderne ({period_text_da(latest)}); det antager samme rate i hele "
            "kommunen – en tilnærmelse.")
    return shares, notes


def _weights_of(unit_id: str, rows: Iterable[Mapping], division: str,
                shares: Mapping[tuple[str, str], float] | None, notes: Mapping[str, str] | None) -> UnitWeights:
    members: dict[str, float | None] = {}
    allocation: dict[str, str] = {}
    used_notes: list[str] = []
    reason = ""
    for r in rows:
        code, alloc, share = r["municipality_code"], r["allocation"], r.get("share")
        allocation[code] = alloc
        if alloc == "whole":
            members[code] = 1.0
        elif alloc == "share" and share is not None and not pd.isna(share):
            members[code] = (members.get(code) or 0.0) + float(share)
        elif alloc == "unit" and shares is not None and (unit_id, code) in shares:
            members[code] = shares[(unit_id, code)]
            if notes and code in notes and notes[code] not in used_notes:
                used_notes.append(notes[code])
        else:
            members[code] = None
            reason = reason or split_reason_da(r.get("municipality_name") or code, code, r.get("unit_type"),
                                               division)
    weights = None if reason else {c: float(w) for c, w in members.items() if w is not None}
    return UnitWeights(unit_id, weights, allocation, reason, "" if reason else " ".join(used_notes), members)


def unit_weights(unit: object, *, shares: Mapping[tuple[str, str], float] | None = None,
                 notes: Mapping[str, str] | None = None) -> UnitWeights:
    """The weights of one unit (an id, a name or a :class:`~klyngedata.registry.Cluster`).

    ``shares``/``notes`` (from :func:`unit_shares`) allow sub-area-split members to be weighted by their
    sub-areas' population; without them such a unit is not computable.
    """
    cl = unit if hasattr(unit, "members") else registry.cluster(str(unit))
    return _weights_of(cl.id, cl.members.to_dict("records"), cl.division, shares, notes)


def division_weights(division: str | None = None, *, data_dir: str | os.PathLike[str] | None = None,
                     use_unit_populations: bool = False) -> dict[str, UnitWeights]:
    """The weights of every unit of a division (today's by default), by unit id.

    ``use_unit_populations=True`` weights sub-area-split members by the cache's unit populations.

    >>> ws = division_weights("sundhedsraad-2027")
    >>> len(ws), all(w.whole for w in ws.values())
    (17, True)
    """
    division = registry.resolve_division(division)
    mem = registry.membership(division)
    shares, notes = unit_shares(mem, data_dir) if use_unit_populations else (None, None)
    return {cid: _weights_of(cid, g.to_dict("records"), division, shares, notes)
            for cid, g in mem.groupby("cluster_id", sort=False)}


def region_weights(region_code: str, *, with_christiansoe: bool = True) -> dict[str, float]:
    """Weight 1 for each municipality of a region (a region key valid on its own dates: ``"oestdanmark"``
    is Hovedstaden + Sjælland); Christiansø included for the region that counts it when asked.

    >>> len(region_weights("1081")), len(region_weights("1084")) - len(region_weights("1084", with_christiansoe=False))
    (11, 1)
    """
    codes = set(registry.region_municipalities(region_code))
    if with_christiansoe and CHRISTIANSOE_REGION in registry.region_parts(region_code):
        codes.add(CHRISTIANSOE)
    return dict.fromkeys(sorted(codes), 1.0)


def country_weights(*, with_christiansoe: bool = True) -> dict[str, float]:
    """Weight 1 for each of the 98 municipalities (and Christiansø when asked).

    >>> len(country_weights()), len(country_weights(with_christiansoe=False))
    (99, 98)
    """
    codes = set(registry.municipalities()["municipality_code"])
    if with_christiansoe:
        codes.add(CHRISTIANSOE)
    return dict.fromkeys(sorted(codes), 1.0)
