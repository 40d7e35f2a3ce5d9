"""Disclosure control of the deaths behind life expectancy and mortality (keyfigures layer).

Deaths are counts of persons: a count of 1-4, and anything from which one can be worked out, is never
published (:mod:`klyngedata.disclosure`). What :func:`klyngedata.mortality.life_expectancy` and
:func:`klyngedata.mortality.mortality` publish from one set of data is checked as **one table** by the same
engine as every other count (:func:`klyngedata.disclosure.suppress_published`):

* the count: **deaths at all ages** per entity x sex (men, women, both) x window, for every entity of every
  division (municipalities, the units of every division, the regions as each division's date has them, Region
  Østdanmark included, and Denmark) and every window published (1, 3 and 5 years, ending in each of the last
  five years with data: :func:`klyngedata.mortality.pooling.windows`);
* the leaves: each municipality's deaths in each calendar year by sex (Christiansø where the data have it), so
  that every relation a reader can use is modelled exactly – a unit or region as the sum of its
  municipalities, two units of different divisions that differ by one municipality, a five-year window as
  the sum of its years (and two overlapping windows differing by one year at each end), both sexes as men +
  women.

The engine hides further rows until no hidden count of 1-4 – and no unpublished count (a municipality's
deaths in one year, men or women alone) – can be pinned below 5 by any combination of the published counts.

What is not a published count
    The deaths behind life expectancy at 65 (deaths at 65 and over) and behind premature mortality (deaths
    under 75) are **not** published: with the deaths at all ages they would give the deaths of 0-64 and
    75+-year-olds of every municipality and year, counts that are often 1-4, and protecting every such
    difference as well would hide much more. Those rows show the value and its interval, not the count (and
    premature mortality no crude rate, which is the count divided by the person-years). Person-years are the
    population, which Statistics Denmark publishes without suppression; they are not controlled.

Rates and life expectancies
    A figure (life expectancy at 0 and 65, standardised death rate, premature mortality, SMR) is shown only
    where the deaths at all ages of its entity, sex and window are shown (and its own stability rule passes);
    otherwise every numeric column of its row is removed, ``display`` ``<5`` (the count is 1-4) or ``x``.
    The values are functions of the deaths by age band, which are never published: a life expectancy is not
    linear in them, and a standardised rate is one weighted sum of 15-20 band counts with different weights.
    The engine does not model them as facts (a known limit, like the integer nature of counts).

Example
-------
Needs deaths (FOD207) and population by sex and age imported into the data directory; not run as a doctest.
>>> controlled_deaths(municipal_bands(data_dir="/tmp/kd"))  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
import pandas as pd

from klyngedata import registry
from klyngedata.disclosure import DEFAULT_THRESHOLD, PRIMARY_MARK, SECONDARY_MARK, suppress_published
from klyngedata.mortality.bands import MunicipalBands
from klyngedata.mortality.pooling import WINDOW_ENDS, WINDOWS, entities, windows

__all__ = ["CONTROL_COLUMNS", "FIGURE", "controlled_deaths"]

FIGURE = "deaths"
CONTROL_COLUMNS = ["entity_level", "entity_id", "sex", "period", "deaths", "suppressed", "primary", "display"]
_PERIOD = "2000"  # one label for every cell: the windows are encoded in the leaves (municipality x year)
_MEMO: OrderedDict[str, pd.DataFrame] = OrderedDict()


def _cells(mb: MunicipalBands, wins: pd.DataFrame, divisions: Sequence[str]) -> pd.DataFrame:
    """Every published count: entity x sex x window with its members (leaf units) and its deaths."""
    totals = mb.deaths.sum(axis=3)  # municipality x sex x year, NaN where a band is missing
    pos = {c: i for i, c in enumerate(mb.codes)}
    year_ix = {y: i for i, y in enumerate(mb.years)}
    ents = pd.concat([entities(d, mb.deaths_codes) for d in divisions], ignore_index=True)
    ents = ents[ents["members"].map(len) > 0].drop_duplicates(["entity_level", "entity_id"])
    rows = []
    for level, eid, members in zip(ents["entity_level"], ents["entity_id"], ents["members"], strict=True):
        if any(c not in pos for c in members):
            continue
        idx = [pos[c] for c in members]
        for w in wins.itertuples(index=False):
            years = list(range(w.first_year, w.last_year + 1))
            value = totals[np.ix_(idx, range(len(mb.sexes)), [year_ix[y] for y in years])].sum(axis=(0, 2))
            leaves = tuple((f"{c}|{y}", 1.0) for c in members for y in years)
            rows += [(level, eid, sex, w.period, float(value[s]), leaves) for s, sex in enumerate(mb.sexes)]
    return pd.DataFrame(rows, columns=["entity_level", "entity_id", "sex", "period", "deaths", "members"])


def _leaves(mb: MunicipalBands, years: Sequence[int]) -> pd.DataFrame:
    totals = mb.deaths.sum(axis=3)
    rows = [(f"{c}|{y}", sex, float(totals[i, s, mb.years.index(y)]))
            for i, c in enumerate(mb.codes) for s, sex in enumerate(mb.sexes) for y in years]
    leaves = pd.DataFrame(rows, columns=["unit", "sex", "numerator"])
    return leaves.assign(figure_id=FIGURE, age_group="total", period=_PERIOD, denominator=np.nan)


def _fingerprint(mb: MunicipalBands, wins: pd.DataFrame, divisions: Sequence[str], threshold: int) -> str:
    h = hashlib.sha256()
    for part in (mb.codes, mb.sexes, mb.years, list(wins["period"]), list(divisions), [threshold]):
        h.update(repr(part).encode())
    h.update(np.ascontiguousarray(mb.deaths.sum(axis=3)).tobytes())
    for d in divisions:
        h.update(registry.membership(d)[["cluster_id", "municipality_code", "allocation"]].to_csv().encode())
    return h.hexdigest()


def controlled_deaths(mb: MunicipalBands, *, threshold: int = DEFAULT_THRESHOLD, lengths: Sequence[int] = WINDOWS,
                      n_ends: int = WINDOW_ENDS) -> pd.DataFrame:
    """The deaths at all ages of every entity of every division x sex x published window, after disclosure
    control (:data:`CONTROL_COLUMNS`; ``deaths`` NaN where hidden or missing, ``primary`` where the count
    itself is 1-4). Kept in memory for the same data (the check is the expensive part).

    Example
    -------
    Needs deaths (FOD207) and population by sex and age imported into the data directory; not run as a doctest.
    >>> controlled_deaths(municipal_bands(data_dir="/tmp/kd")).query("suppressed")  # doctest: +SKIP
    """
    wins = windows(mb.complete_years, lengths, n_ends)
    divisions = list(registry.divisions()["division"])
    key = _fingerprint(mb, wins, divisions, threshold)
    if key in _MEMO:
        _MEMO.move_to_end(key)
        return _MEMO[key].copy()
    cells = _cells(mb, wins, divisions)
    years = sorted({y for w in wins.itertuples(index=False) for y in range(w.first_year, w.last_year + 1)})
    table = cells.assign(figure_id=FIGURE, period=_PERIOD, age_group="total", numerator=cells["deaths"],
                         denominator=np.nan, value=cells["deaths"])
    out = suppress_published(table.drop(columns=["deaths"]), bounded={FIGURE: False}, threshold=threshold,
                             leaves=_leaves(mb, years))
    hidden = out["suppressed"].to_numpy(dtype=bool)
    primary = (out["display"] == PRIMARY_MARK.format(threshold=threshold)).to_numpy(dtype=bool)
    res = cells[["entity_level", "entity_id", "sex", "period"]].copy()
    res["deaths"] = cells["deaths"].where(~hidden)
    res["suppressed"], res["primary"] = hidden, primary
    res["display"] = np.where(primary, PRIMARY_MARK.format(threshold=threshold),
                              np.where(hidden, SECONDARY_MARK, ""))
    _MEMO[key] = res
    while len(_MEMO) > 4:
        _MEMO.popitem(last=False)
    return res.copy()
