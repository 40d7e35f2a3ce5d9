"""An entity's population in one period as a profile (total, age bands of both sexes, Danish reasons for what
is missing), computed on plain arrays; and a normalised frame cut once into its entities and periods.

:func:`compute_figures` needs the profile of every entity in the report period and in the base periods of
its growth figures; :class:`Segments` sorts a frame once by entity and period so that each profile reads its
rows as a slice instead of filtering the whole frame again.

Example (constructed)
---------------------
>>> import pandas as pd
>>> from klyngedata.keyfigures.frame import normalize_population_frame
>>> CONSTRUCTED = normalize_population_frame(pd.DataFrame({"level": "country", "entity_id": "DK",
...     "period": "2024K1", "sex": ["male", "female", "male", "female"], "age_group": ["0-64", "0-64", "65+", "65+"],
...     "population": [1, 2, 3, 4]}))
>>> seg = Segments(CONSTRUCTED)
>>> prof = seg.profile(("country", "DK"), pd.Period("2024Q1"))
>>> prof.total, prof.bands
(10.0, [(0, 64, 3.0), (65, None, 7.0)])
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from klyngedata.exceptions import DataFormatError
from klyngedata.keyfigures.frame import MISSING_REASON
from klyngedata.stats.ages import Band

_NO_BOTH = "ingen data for begge køn"
_TOTALS_ONLY = "data har kun befolkningstal i alt (ingen aldersfordeling)"


@dataclass
class _Profile:
    total: float | None
    bands: list[Band] | None  # both sexes, sorted; None = no age breakdown
    reason_age: str = ""
    reason_total: str = ""


def _first_reason(pop: np.ndarray, reason: np.ndarray) -> str:
    """The Danish reason of the first missing count (the first one given; else the general reason)."""
    for v, r in zip(pop, reason, strict=True):
        if math.isnan(v) and isinstance(r, str):
            return r
    return MISSING_REASON


def _kahan_sum(values: list[float]) -> float:
    """The sum of the non-missing ``values`` as pandas' grouped sum adds them (compensated, in order)."""
    total = comp = 0.0
    for v in values:
        if not math.isnan(v):
            y = v - comp
            t = total + y
            comp = t - total - y
            total = t
    return total


def profile_arrays(sex: np.ndarray, lo: np.ndarray, hi: np.ndarray, age_total: np.ndarray, pop: np.ndarray,
                   reason: np.ndarray) -> _Profile:
    """The profile of the rows of one entity and period, given as arrays (in the frame's row order).

    ``lo``/``hi``: ages as floats (NaN = none / open-ended); ``pop``: float counts (NaN = not published);
    ``reason``: the Danish reason of a missing count or anything else (no reason). Both sexes are the
    ``total`` rows where there are any, else male + female summed per age (an age with one sex missing is
    missing); a missing age makes every age figure missing (never computed from the other ages).
    """
    if len(pop) == 0:
        return _Profile(None, None, _NO_BOTH, _NO_BOTH)
    is_total = sex == "total"
    if is_total.any():
        lo, hi, age_total, pop, reason = lo[is_total], hi[is_total], age_total[is_total], pop[is_total], \
            reason[is_total]
    elif "male" in sex and "female" in sex:
        lo, hi, age_total, pop, reason = _both_sexes(sex, lo, hi, age_total, pop, reason)
        if len(pop) == 0:
            return _Profile(None, None, _NO_BOTH, _NO_BOTH)
    else:
        return _Profile(None, None, _NO_BOTH, _NO_BOTH)
    totals = age_total
    ages = ~age_total
    bands: list[Band] | None = None
    why = ""
    if np.isnan(pop[ages]).any():  # a missing year: no age figure, never one from the other years
        why = _first_reason(pop[ages], reason[ages])
        ages = np.zeros_like(ages)
        if not totals.any():
            return _Profile(None, None, why, why)
    if np.isnan(pop[totals]).any():
        why_total = _first_reason(pop[totals], reason[totals])
        return _Profile(None, None, why_total, why_total)
    if ages.any():
        bands = sorted(((int(a), None if math.isnan(b) else int(b), float(v))
                        for a, b, v in zip(lo[ages], hi[ages], pop[ages], strict=True)), key=lambda b: b[0])
        prev_top: float = -1
        for a, b, _ in bands:  # bands must not overlap
            if a <= prev_top:
                raise DataFormatError(f"population frame: overlapping age groups at age {a}")
            prev_top = math.inf if b is None else b
        lacking = _lacking(bands)
        if lacking:  # not every age is in the data: no age figure, and no total from the ages there are
            why = _LACKING.format(ages=lacking)
            bands = None
            if not totals.any():
                return _Profile(None, None, why, why)
    elif not why:
        why = _TOTALS_ONLY
    if totals.any():
        total = float(np.sum(pop[totals]))
    else:
        total = sum(b[2] for b in bands) if bands else None
    return _Profile(total, bands, why)


_LACKING = ("befolkningen findes i data kun fordelt på alder, og {ages} mangler, så tallet kan ikke beregnes uden "
            "at gætte")


def _lacking(bands: list[Band]) -> str:
    """The Danish text of the ages no band covers from 0 up (and above the top when no band is open and the
    top ends below 100: a distribution by age is complete only to an open band or to at least 100), or ""."""
    from klyngedata.vocabulary import ages_da

    lacking: list[int] = []
    covered = 0
    for a, b, _ in bands:
        lacking += range(covered, a)
        covered = math.inf if b is None else b + 1
        if b is None:
            break
    open_from = None if covered == math.inf or covered > 100 else int(covered)
    return ages_da(lacking, open_from=open_from) if lacking or open_from is not None else ""


def _both_sexes(sex, lo, hi, age_total, pop, reason) -> tuple[np.ndarray, ...]:
    """Male + female per age (groups in order of first appearance; only ages with both sexes)."""
    groups: dict[tuple, list[int]] = {}
    for i, key in enumerate(zip(lo.tolist(), hi.tolist(), age_total.tolist(), strict=True)):
        key = tuple(None if isinstance(k, float) and math.isnan(k) else k for k in key)
        groups.setdefault(key, []).append(i)
    keep = [idx for idx in groups.values() if len({sex[i] for i in idx}) == 2]
    first = [idx[0] for idx in keep]
    sums = [math.nan if any(math.isnan(pop[i]) for i in idx) else _kahan_sum([pop[i] for i in idx])
            for idx in keep]
    reasons = [next((reason[i] for i in idx if isinstance(reason[i], str)), None) for idx in keep]
    return (lo[first], hi[first], age_total[first], np.asarray(sums, dtype="float64"),
            np.asarray(reasons, dtype=object))


def frame_arrays(rows: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """(sex, lo, hi, age_total, population, reason) of normalised rows, as :func:`profile_arrays` takes them."""
    sex = rows["sex"].to_numpy(dtype=object) if "sex" in rows.columns else np.full(len(rows), "total", object)
    lo = rows["age_lo"].to_numpy(dtype="float64", na_value=np.nan)
    hi = rows["age_hi"].to_numpy(dtype="float64", na_value=np.nan)
    tot = rows["age_total"].to_numpy(dtype=bool)
    pop = rows["population"].to_numpy(dtype="float64", na_value=np.nan)
    reason = rows["reason_da"].to_numpy(dtype=object, na_value=None) if "reason_da" in rows.columns else \
        np.full(len(rows), None, dtype=object)
    return sex, lo, hi, tot, pop, reason


def _profile(rows: pd.DataFrame) -> _Profile:
    """The profile of normalised ``rows`` (one entity, one period)."""
    return profile_arrays(*frame_arrays(rows))


class Segments:
    """A normalised frame cut into its entities ``(level, entity_id)`` (in order of first appearance) and
    their periods, with each entity's name, periods and profiles (computed once)."""

    def __init__(self, norm: pd.DataFrame) -> None:
        valid = (norm["level"].notna() & norm["entity_id"].notna()).to_numpy()
        pos = np.flatnonzero(valid)
        lcodes, lvals = pd.factorize(norm["level"].to_numpy(dtype=object)[pos])
        ecodes, evals = pd.factorize(norm["entity_id"].to_numpy(dtype=object)[pos])
        ent, order_of = pd.factorize(lcodes.astype(np.int64) * (len(evals) + 1) + ecodes)
        self.keys: list[tuple[str, str]] = [
            (lvals[int(c) // (len(evals) + 1)], evals[int(c) % (len(evals) + 1)]) for c in order_of]
        periods = norm["period"].array[pos]
        pcodes, self._pvals = pd.factorize(periods)
        order = np.lexsort((pcodes, ent))  # stable: rows keep their order within an entity and period
        self._pos = pos[order]
        self._ent = ent[order]
        self._pcode = pcodes[order]
        arrays = frame_arrays(norm)
        self._arrays = tuple(a[self._pos] for a in arrays)
        names = norm["entity_name"].to_numpy(dtype=object, na_value=None)[self._pos] \
            if "entity_name" in norm.columns else np.full(len(self._pos), None, dtype=object)
        starts = np.searchsorted(self._ent, np.arange(len(self.keys)))
        ends = np.searchsorted(self._ent, np.arange(len(self.keys)), side="right")
        self._span = {k: (int(a), int(b)) for k, a, b in zip(self.keys, starts, ends, strict=True)}
        self._names = {}
        self._cells: dict[tuple[str, str], dict[Any, tuple[int, int]]] = {}
        for k, (a, b) in self._span.items():
            # the first name in the frame's row order (rows are sorted by period within the entity)
            rows = self._pos[a:b]
            named = [(r, n) for r, n in zip(rows.tolist(), names[a:b].tolist(), strict=True) if n is not None]
            self._names[k] = min(named)[1] if named else None
            pc = self._pcode[a:b]
            cuts = np.flatnonzero(np.diff(pc)) + 1
            bounds = np.concatenate(([0], cuts, [b - a]))
            self._cells[k] = {self._pvals[int(pc[s])]: (a + int(s), a + int(e))
                              for s, e in zip(bounds[:-1], bounds[1:], strict=True) if e > s}
        self._profiles: dict[tuple, _Profile] = {}

    def name(self, key: tuple[str, str]) -> str | None:
        """The entity's first name in the frame (None: no name)."""
        return self._names.get(key)

    def periods(self, key: tuple[str, str]) -> set:
        """The periods the entity has rows for."""
        return set(self._cells.get(key, {}))

    def has(self, key: tuple[str, str], period: Any) -> bool:
        return period in self._cells.get(key, {})

    def profile(self, key: tuple[str, str], period: Any) -> _Profile:
        """The entity's profile in ``period`` (no rows: the profile of no rows)."""
        cache_key = (key, period)
        if cache_key not in self._profiles:
            a, b = self._cells.get(key, {}).get(period, (0, 0))
            self._profiles[cache_key] = profile_arrays(*(x[a:b] for x in self._arrays))
        return self._profiles[cache_key]
