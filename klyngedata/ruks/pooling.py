"""RUKS counts pooled to units, versioned regions and Denmark (frames layer).

Rules (the package docstring has the schema):

* a **unit** (cluster/council of a division) is the sum of its member municipalities' counts (registry
  membership). A unit with a municipality split between units (København by bydel in 2022) gets no value:
  RUKS has no figures by bydel, and a partial sum is never shown;
* a **region** is the file's own region row; a region the file does not have (Region Østdanmark from 2027)
  is the sum of the file's rows of the regions it succeeded, or else of its municipalities;
* **Denmark** is the file's own row; without one, the sum of the file's five region rows, or else of every
  municipality;
* a sum over a member that the file left blank (suppressed) is itself suppressed; over a member not published
  (``..``) or absent from the file it is missing — never a partial sum, always with a Danish reason.

``parts`` names the file areas a row is the sum of (municipality codes, region codes, ``DK``), for disclosure
control.

Example
-------
Needs the RUKS workbook imported into the data directory; not run as a doctest.
>>> pooled = pool_counts(load_ruks(), "sundhedsklynger-2022")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from klyngedata.vocabulary import COUNTRY_ID, COUNTRY_NAME
from klyngedata.weights import division_weights

__all__ = ["KEY", "POOLED_COLUMNS", "pool_counts"]

KEY = ["measure", "disease", "sex", "age_group", "year"]
POOLED_COLUMNS = ["entity_level", "entity_id", "entity_name", "region_code", *KEY, "count", "suppressed",
                  "reason_da", "own_row", "parts"]
_VALUE, _SUPPRESSED, _UNPUBLISHED, _ABSENT = 0, 1, 2, 3
_REGIONS = ("1081", "1082", "1083", "1084", "1085")


class _Wide:
    """Counts of the file's areas as ``stratum x area`` arrays (value and status)."""

    def __init__(self, counts: pd.DataFrame) -> None:
        counts = counts.copy()
        counts["_status"] = np.where(counts["suppressed"], _SUPPRESSED,
                                     np.where(counts["value"].isna(), _UNPUBLISHED, _VALUE))
        self.index = pd.MultiIndex.from_frame(counts[KEY].drop_duplicates().reset_index(drop=True))
        val = counts.pivot_table(index=KEY, columns="area_code", values="value", aggfunc="first", dropna=False,
                                 observed=True)
        st = counts.pivot_table(index=KEY, columns="area_code", values="_status", aggfunc="first", dropna=False,
                                observed=True)
        self.value = val.astype(float).reindex(self.index)
        self.status = st.reindex(self.index).fillna(_ABSENT).astype(int)
        self.areas = set(self.value.columns)

    def total(self, parts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """``(sum, worst status, reason per row)`` over ``parts`` (absent parts count as absent)."""
        n = len(self.index)
        if not parts:
            return np.full(n, np.nan), np.full(n, _ABSENT), ["ingen kommuner"] * n
        cols = list(parts)
        value = self.value.reindex(columns=cols).to_numpy(dtype=float)
        status = self.status.reindex(columns=cols).fillna(_ABSENT).to_numpy(dtype=int)
        worst = status.max(axis=1)
        total = np.where(worst == _VALUE, np.nan_to_num(value).sum(axis=1), np.nan)
        return total, worst, [""] * n


def _reasons(status: np.ndarray, parts: Sequence[str], names: dict[str, str], wide: _Wide) -> list[str]:
    out = [""] * len(status)
    if not len(parts):
        return out
    st = wide.status.reindex(columns=list(parts)).fillna(_ABSENT).to_numpy(dtype=int)
    for i in np.flatnonzero(status != _VALUE):
        bits = []
        for code, what in ((_SUPPRESSED, "er udeladt (diskretioneret) i Sundhedsdatastyrelsens fil"),
                           (_UNPUBLISHED, "er ikke offentliggjort"), (_ABSENT, "findes ikke i filen")):
            who = [names.get(p, p) for p, s in zip(parts, st[i], strict=True) if s == code]
            if who:
                bits.append(f"tallet for {', '.join(who[:3])}{' m.fl.' if len(who) > 3 else ''} {what}")
        out[i] = "Summen kan ikke opgøres: " + "; ".join(bits) + " (en delsum vises aldrig)."
    return out


def _rows(wide: _Wide, level: str, entity: str, name: str, region: object, parts: Sequence[str], own: bool,
          names: dict[str, str]) -> pd.DataFrame:
    total, worst, _ = wide.total(parts)
    frame = wide.index.to_frame(index=False)
    frame["count"] = pd.array(total, dtype="Float64")
    frame["suppressed"] = worst == _SUPPRESSED
    frame["reason_da"] = _reasons(worst, parts, names, wide)
    return frame.assign(entity_level=level, entity_id=entity, entity_name=name, region_code=region, own_row=own,
                        parts=[tuple(parts)] * len(frame))


def _split_rows(wide: _Wide, entity: str, name: str, region: object, split: str) -> pd.DataFrame:
    frame = wide.index.to_frame(index=False)
    reason = (f"{name} omfatter kun en del af {split} (fordelt efter bydel). RUKS har ingen tal for bydele, "
              "så der vises intet tal frem for en delsum.")
    return frame.assign(count=pd.array([pd.NA] * len(frame), dtype="Float64"), suppressed=False, reason_da=reason,
                        entity_level="cluster", entity_id=entity, entity_name=name, region_code=region,
                        own_row=False, parts=[None] * len(frame))


def _names() -> dict[str, str]:
    from klyngedata import registry

    m = registry.municipalities()
    names = dict(zip(m["municipality_code"], m["name"], strict=True))
    r = registry.regions(date="2026-12-31")
    names.update(zip(r["region_key"], r["name"], strict=True))
    names[COUNTRY_ID] = COUNTRY_NAME
    return names


def pool_counts(data: pd.DataFrame, division: str, levels: Sequence[str] = ("municipality", "cluster", "region",
                                                                            "country")) -> pd.DataFrame:
    """The count rows (``unit == "antal"``) of ``data`` at ``levels`` for ``division`` (see the module
    docstring); columns :data:`POOLED_COLUMNS`.

    Example
    -------
    Needs the RUKS workbook imported into the data directory; not run as a doctest.
    >>> pool_counts(load_ruks(), "sundhedsraad-2027", levels=["region"])["entity_id"].unique()  # doctest: +SKIP
    """
    from klyngedata import registry

    counts = data[data["unit"] == "antal"]
    wide = _Wide(counts)
    names = _names()
    regions_of = registry.municipality_regions(division=division)
    files_munis = sorted(counts.loc[counts["area_level"] == "municipality", "area_code"].unique())
    parts_out: list[pd.DataFrame] = []
    if "municipality" in levels:
        for code in files_munis:
            parts_out.append(_rows(wide, "municipality", code, names.get(code, code), regions_of.get(code, pd.NA),
                                   [code], True, names))
    if "cluster" in levels:
        mem = registry.membership(division)
        clusters = registry.clusters(division)
        label = dict(zip(clusters["cluster_id"], clusters["name"], strict=True))
        weights = division_weights(division)
        for cid, g in mem.groupby("cluster_id", sort=True):
            region = g["region_code"].iloc[0]
            split = [code for code, alloc in weights[cid].allocation.items() if alloc != "whole"]
            if split:
                parts_out.append(_split_rows(wide, cid, label[cid], region, names.get(split[0], split[0])))
                continue
            parts_out.append(_rows(wide, "cluster", cid, label[cid], region,
                                   sorted(g["municipality_code"].unique()), False, names))
    if "region" in levels:
        for key, name in registry.regions(division=division)[["region_key", "name"]].itertuples(index=False):
            if key in wide.areas:
                parts_out.append(_rows(wide, "region", key, name, key, [key], True, names))
                continue
            earlier = registry.region_parts(key)[1:]
            parts = earlier if earlier and set(earlier) <= wide.areas else registry.region_municipalities(key)
            parts_out.append(_rows(wide, "region", key, name, key, sorted(parts), False, names))
    if "country" in levels:
        if COUNTRY_ID in wide.areas:
            parts, own = [COUNTRY_ID], True
        else:
            own = False
            parts = list(_REGIONS) if set(_REGIONS) <= wide.areas else sorted(
                set(registry.municipalities()["municipality_code"]) | (set(files_munis) - set(names)))
        parts_out.append(_rows(wide, "country", COUNTRY_ID, COUNTRY_NAME, pd.NA, parts, own, names))
    out = pd.concat(parts_out, ignore_index=True)
    out["region_code"] = out["region_code"].astype("string")
    return out[POOLED_COLUMNS]
