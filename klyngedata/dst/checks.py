"""Checks that a StatBank ``/data`` answer is complete and adds up before it is cached.

A fetch selects *every* area, sex and age (``*``), so the answer carries its own totals (``I alt``, ``Alder i
alt``, the regions and ``Hele landet``) besides the parts. For a register count (FOLK1A, FOLK1AM) each total
equals the sum of its parts exactly; the check compares them, so an answer that lost rows (a cut-off
stream, a dropped chunk) is refused instead of cached. A cell the BULK format leaves out counts as 0: the
recorded BULK answers leave out the cells that are 0 (``FOLK1A_BULK_da_rows_logged.txt``: 7,224 lines for
9,525 selected cells). A cell written ``..`` (not published) is skipped, never taken as 0.

Example
-------
>>> from klyngedata.dst.parse import parse_statbank_csv
>>> CONSTRUCTED = "OMRÅDE;KØN;TID;INDHOLD\\n851;TOT;2024K1;5\\n851;1;2024K1;2\\n851;2;2024K1;3\\n".encode()
>>> check_complete_answer(parse_statbank_csv(CONSTRUCTED, file="constructed example"), "constructed example")
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from klyngedata.dst.errors import StatBankError
from klyngedata.vocabulary import period_code
from klyngedata.vocabulary.codes import CHRISTIANSOE, CHRISTIANSOE_REGION


def _regions() -> dict[str, str]:
    """Municipality -> the StatBank region its rows add up to: the five regions of 2007 (codes 1081-1085), which
    the tables keep whatever division is valid today (Region Østdanmark from 2027 has no StatBank code)."""
    from klyngedata import registry

    m = registry.municipalities(division="sundhedsklynger-2022")
    out = dict(zip(m["municipality_code"], m["region_code"], strict=True))
    out[CHRISTIANSOE] = CHRISTIANSOE_REGION
    return out


def _mismatch(parts: np.ndarray, totals: np.ndarray, key: np.ndarray, pop: np.ndarray) -> int | None:
    """Row of the first total that differs from the sum of its parts (absent rows = 0; '..' cells skipped).

    ``parts``/``totals`` are row masks, ``key`` an int64 cell key per row (a part and its total share it),
    ``pop`` the counts as float with NaN for '..'. Returns the row index of the offending total (or of a part
    whose total row is absent), None if everything adds up.
    """
    cells, inverse = np.unique(key[parts | totals], return_inverse=True)
    rows = np.flatnonzero(parts | totals)
    is_part = parts[rows]
    n = len(cells)
    values = pop[rows]
    na = np.isnan(values)
    part_sum = np.bincount(inverse[is_part], weights=np.where(na, 0, values)[is_part], minlength=n)
    part_na = np.bincount(inverse[is_part], weights=na[is_part].astype(float), minlength=n) > 0
    total = np.zeros(n)
    total_na = np.zeros(n, dtype=bool)
    total[inverse[~is_part]] = np.where(na, 0, values)[~is_part]
    total_na[inverse[~is_part]] = na[~is_part]
    bad = ~part_na & ~total_na & (part_sum != total)  # an absent total row counts as 0, like an absent part
    if not bad.any():
        return None
    cell = int(np.flatnonzero(bad)[0])
    return int(rows[np.flatnonzero(inverse == cell)[-1]])


def _combine(*codes: np.ndarray) -> np.ndarray:
    key = np.zeros(len(codes[0]), dtype=np.int64)
    for c in codes:
        if len(c):
            lo = int(c.min())
            key = key * (int(c.max()) - lo + 1) + (c - lo)
    return key


def check_complete_answer(frame: pd.DataFrame, answer: str, periods: Sequence[str] | None = None) -> None:
    """Refuse an answer whose totals differ from the sums of their parts, or that lacks a requested period.

    Raises :class:`~klyngedata.dst.errors.StatBankError` (a Danish sentence; ``detail`` names the answer and
    the cell).
    """
    table = frame.attrs.get("provenance", {}).get("table")
    have = {period_code(p) for p in frame["period"].unique()}
    lost = [p for p in (periods or []) if p not in have]
    problems: list[str] = []
    if lost:
        problems.append(f"perioderne {', '.join(lost)} mangler i svaret")
    area, area_u = pd.factorize(frame["area_code"])
    level = frame["area_level"].to_numpy(dtype=object)
    sex, sex_u = pd.factorize(frame["sex"])
    age = frame["age"].fillna(-1).to_numpy(dtype=np.int64) * 2 + frame["age_open"].to_numpy(dtype=np.int64)
    per, per_u = pd.factorize(frame["period"])
    pop = frame["population"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    is_total_sex = sex == (list(sex_u).index("total") if "total" in set(sex_u) else -9)
    is_total_age = age < 0
    is_mun = level == "municipality"

    def where(row: int, text: str) -> None:
        problems.append(f"{area_u[area[row]]} {sex_u[sex[row]]} {period_code(per_u[per[row]])}: {text}")

    # sexes: total = male + female
    if is_total_sex.any() and not is_total_sex.all():
        row = _mismatch(~is_total_sex, is_total_sex, _combine(area, age, per), pop)
        if row is not None:
            where(row, "mænd + kvinder stemmer ikke med i alt")
    # ages: all ages = the sum of the single years
    if is_total_age.any() and not is_total_age.all():
        row = _mismatch(~is_total_age, is_total_age, _combine(area, sex, per), pop)
        if row is not None:
            where(row, "summen af aldrene stemmer ikke med alder i alt")
    # areas: each region and Denmark = the sum of their municipalities
    if is_mun.any():
        regions = _regions()
        group_of = np.array([_group(code, regions) for code in area_u], dtype=np.int64)
        group = group_of[area]
        is_region = level == "region"
        if is_region.any():
            row = _mismatch(is_mun, is_region, _combine(group, sex, age, per), pop)
            if row is not None:
                where(row, "summen af kommunerne stemmer ikke med regionen")
        is_country = level == "country"
        if is_country.any():
            row = _mismatch(is_mun, is_country, _combine(sex, age, per), pop)
            if row is not None:
                where(row, "summen af kommunerne stemmer ikke med hele landet")
    if problems:
        raise StatBankError(
            f"Statistikbankens svar for tabel {table} er ufuldstændigt eller hænger ikke sammen ({problems[0]}), så "
            "det er ikke gemt – prøv igen senere.", table=table, endpoint="data",
            problem=f"answer {answer}: " + "; ".join(problems))


def _group(code: str, regions: dict[str, str]) -> int:
    """Region number of an area code: a municipality's region, a region itself; -1 for the country."""
    if code in regions:
        return int(regions[code])
    return int(code) if code.isdigit() else -1
