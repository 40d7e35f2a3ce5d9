"""Age groups summed exactly from the bands a table publishes, or refused naming the edges it has.

Tables write ages as single years, 5-year bands, irregular bands (``Under 65 år``, ``65-66``, ``67-69``, ``90 år
og derover``) and sometimes overlapping ones (AED06 has ``67-69`` *and* ``67 år og derover``). A group such as
``65+`` or ``67+`` is the sum of the bands that make it up exactly (:func:`klyngedata.vocabulary.compose`):

* a band equal to the group is used as it is;
* otherwise the *finest* bands (those that contain no other band of the table) are composed; a band that
  straddles an edge of the group, or an uncovered age, refuses the group – :func:`refusal_da` says it in Danish
  with the edges the table has (67+ from 5-year bands: "grænser ved … 65, 70 …").

:func:`group_sums` applies this to a long frame (one row per cell, ``age_lo``/``age_hi``/``age_total``, ``value``):
a group over a missing part is missing (never a partial sum).

Example
-------
>>> from klyngedata.vocabulary import AgeBand
>>> bands = [AgeBand(0, 64), AgeBand(65, 66), AgeBand(67, 69), AgeBand(67, None), AgeBand(70, 74), AgeBand(75, None)]
>>> exact_bands(AgeBand(67, None), bands)
[AgeBand(lo=67, hi=None)]
>>> [b.label for b in exact_bands(AgeBand(65, None), bands)]
['65-66', '67-69', '70-74', '75+']
>>> refusal_da(AgeBand(68, None), bands)
'Aldersgruppen 68 år og derover kan ikke dannes af tabellens aldersgrupper (grænser ved 0, 65, 67, 70, 75 år).'
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from klyngedata.vocabulary import AgeBand, AgeGroupError, compose, edges, parse_age

__all__ = ["MISSING_PART_DA", "exact_bands", "group_band", "group_sums", "refusal_da"]

MISSING_PART_DA = "Et af tallene i aldersgruppen mangler, så der vises intet tal frem for en delsum."


def group_band(group: str) -> AgeBand:
    """The band of a group label: ``"65+"``, ``"0-64"``; ``"total"`` is every age (``0+``).

    >>> group_band("total"), group_band("80+")
    (AgeBand(lo=0, hi=None), AgeBand(lo=80, hi=None))
    """
    return AgeBand(0, None) if group == "total" else parse_age(group)


def _order(b: AgeBand) -> tuple[int, float]:
    return b.lo, float("inf") if b.hi is None else b.hi


def _finest(bands: Sequence[AgeBand]) -> list[AgeBand]:
    unique = sorted(set(bands), key=_order)
    if all(a.hi is not None and a.hi < b.lo for a, b in zip(unique, unique[1:], strict=False)):
        return unique  # disjoint already (single years, 5-year bands)
    return [b for b in unique if not any(o != b and b.contains(o) for o in unique)]


def exact_bands(group: AgeBand, bands: Sequence[AgeBand]) -> list[AgeBand]:
    """The bands whose sum is exactly ``group`` (see the module docstring); :class:`AgeGroupError` otherwise."""
    if group in set(bands):
        return [group]
    return compose(group, _finest(bands))


def refusal_da(group: AgeBand, bands: Sequence[AgeBand], whose: str = "tabellens") -> str:
    """The Danish reason ``group`` cannot be built from ``bands`` (naming the band edges); ``whose``: whose
    bands, in Danish ("tabellens", "befolkningstallets")."""
    cuts = ", ".join(str(e) for e in edges(_finest(bands)))
    return f"Aldersgruppen {group.label_da} kan ikke dannes af {whose} aldersgrupper (grænser ved {cuts} år)."


def _band_codes(frame: pd.DataFrame) -> tuple[np.ndarray, list[AgeBand | None]]:
    """Each row's position in the list of distinct bands (``None`` for the all-ages rows)."""
    lo = pd.to_numeric(frame["age_lo"], errors="coerce").fillna(-1).to_numpy(dtype=np.int64)
    hi = pd.to_numeric(frame["age_hi"], errors="coerce").fillna(-1).to_numpy(dtype=np.int64)
    total = frame["age_total"].to_numpy(dtype=bool)
    key = np.where(total, -2, lo * 1000 + hi + 1)
    codes, uniques = pd.factorize(key)
    bands = [None if k == -2 else AgeBand(int(k // 1000), None if k % 1000 == 0 else int(k % 1000) - 1)
             for k in uniques]
    return codes, bands


def group_sums(frame: pd.DataFrame, group: str, keys: Sequence[str], whose: str = "tabellens") -> pd.DataFrame:
    """The sum of ``value`` over the bands making up ``group`` for every ``keys`` combination: ``keys`` +
    ``value`` (float, NaN when missing) + ``reason_da`` (the Danish reason, else ``""``). ``"total"`` uses the
    table's own all-ages rows when it has them. Raises nothing: a group the bands cannot make is missing with
    :func:`refusal_da` (``whose`` bands) on every row.

    Example (constructed): the 65+ of two municipalities from irregular bands, one part missing.

    >>> f = pd.DataFrame({"area": ["a", "a", "a", "b", "b", "b"], "age_lo": [0, 65, 80] * 2,
    ...                   "age_hi": pd.array([64, 79, None] * 2, dtype="Int64"), "age_total": False,
    ...                   "value": [900.0, 70, 30, 800, 60, None], "reason_da": ["", "", "", "", "", "'..'"]})
    >>> out = group_sums(f, "65+", ["area"])
    >>> out["value"].tolist(), out["reason_da"].tolist()[1] == "'..'"
    ([100.0, nan], True)
    """
    keys = list(keys)
    if group == "total" and frame["age_total"].any():
        rows = frame[frame["age_total"].to_numpy(dtype=bool)]
        out = rows[keys].copy()
        out["value"] = pd.to_numeric(rows["value"], errors="coerce").astype(float).to_numpy()
        out["reason_da"] = _reasons(rows, out["value"].isna().to_numpy())
        return out.reset_index(drop=True)
    target = group_band(group)
    codes, bands = _band_codes(frame)
    have = [b for b in bands if b is not None]
    try:
        parts = set(exact_bands(target, have))
    except AgeGroupError:
        out = frame[keys].drop_duplicates().reset_index(drop=True)
        return out.assign(value=np.nan, reason_da=refusal_da(target, have, whose))
    rows = frame[np.isin(codes, [i for i, b in enumerate(bands) if b in parts])]
    rows = rows.assign(_v=pd.to_numeric(rows["value"], errors="coerce").astype(float))
    g = rows.groupby(keys, sort=True, dropna=False)
    out = g["_v"].sum(min_count=1).rename("value").to_frame()
    out["_n"] = g["_v"].count()
    given = rows[rows["reason_da"].fillna("").astype(str) != ""]
    first = given.groupby(keys, sort=True, dropna=False)["reason_da"].first()
    out["reason_da"] = first.reindex(out.index).fillna("").astype(str)
    out = out.reset_index()
    incomplete = (out["_n"] < len(parts)).to_numpy()
    out.loc[incomplete, "value"] = np.nan
    out.loc[incomplete & (out["reason_da"] == ""), "reason_da"] = MISSING_PART_DA
    return out.drop(columns="_n")


def _reasons(rows: pd.DataFrame, missing: np.ndarray) -> list[str]:
    given = rows["reason_da"].to_numpy(dtype=object) if "reason_da" in rows.columns else [None] * len(rows)
    return [(str(r) if isinstance(r, str) and r else MISSING_PART_DA) if m else "" for r, m in
            zip(given, missing, strict=True)]
