"""An attacker for the disclosure tests: what can be worked out from everything klyngedata publishes?

Independent of klyngedata's disclosure engine on purpose: the attacker knows how the *constructed* data were
made (the finest cells: municipality x sex x age group x period atom) and how every published figure is
defined (a municipality; a cluster = its members with their weights, a split municipality with its bydel
share; a region = all its municipalities, Denmark = all 98, Christiansø in neither – a unit, region or Denmark
missing a member's figure is not a figure), reads the published rows of every call – of one release, or of
several successive releases of the same figures (what earlier releases published counts as published) – and
for every hidden count – and every count of a municipality that no row shows on its own (a
stratum the file leaves out, the rest of a total) – asks a linear program (:func:`scipy.optimize.linprog`):
what are the smallest and largest values consistent with every shown number, non-negative cells and – for
bounded figures – numerators never above their denominators?
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import linprog

from klyngedata import registry

BYEN_UNITS = ["bispebjerg", "broenshoej-husum", "indre-by", "noerrebro", "oesterbro", "vanloese"]
SYD_UNITS = ["amager-oest", "amager-vest", "valby", "vesterbro-kongens-enghave"]


@dataclass
class Construction:
    """A constructed data set: the finest cells and how the file rows were made from them."""

    indicator: str
    bounded: bool
    finest: pd.DataFrame  # municipality_code, sex (male/female), age, atom, numerator, denominator
    ages: list[str]  # finest age groups ("all" when the file has no age groups)
    years: dict[str, list[str]]  # year label -> its period atoms (quarters, or the year itself)
    unit_population: dict[str, int] = field(default_factory=dict)  # København bydel -> population

    def cells_of(self, sex: str, age: str, period: str) -> pd.Series:
        """Boolean selector of the finest cells in a published slice."""
        f = self.finest
        sel = f["sex"].isin(["male", "female"] if sex == "total" else [sex])
        sel &= f["age"].isin(self.ages if age == "total" else [age])
        atoms = self.years.get(period, [period])
        return sel & f["atom"].isin(atoms)


def _cluster_weights(division: str, cons: Construction) -> dict[str, dict[str, float]]:
    mem = registry.membership(division)
    pops = cons.unit_population
    out: dict[str, dict[str, float]] = {}
    for cid, g in mem.groupby("cluster_id"):
        w: dict[str, float] = {}
        for code, gm in g.groupby("municipality_code"):
            alloc = gm["allocation"].iloc[0]
            if alloc == "whole":
                w[code] = 1.0
            elif alloc == "share":
                w[code] = float(gm["share"].iloc[0])
            else:
                units = list(gm["unit_code"])
                if not pops or not set(units) <= set(pops):
                    w = {}
                    break
                w[code] = sum(pops[u] for u in units) / sum(pops.values())
        if w:
            out[cid] = w
    return out


def _region_of(division: str) -> dict[str, str]:
    m = registry.municipalities(division=division)  # the regions of that division (Østdanmark from 2027)
    return dict(zip(m["municipality_code"], m["region_code"], strict=True))  # Christiansø: in no region figure


@dataclass
class Finding:
    """One hidden count and what the attacker can say about it."""

    row: dict
    quantity: str  # numerator | denominator | complement
    truth: float
    low: float  # the minimum (0 when the maximum alone already rules out an interval within 1..4)
    high: float  # the maximum

    @property
    def pinned_small(self) -> bool:
        """The interval lies within 1..4 (a count of 1-4 persons is revealed, as a value or an interval)."""
        return self.low >= 1 - 1e-6 and self.high <= 4 + 1e-6


def attack(cons: Construction, published: list[tuple]) -> tuple[list[Finding], list[str]]:
    """The feasible interval of every hidden count of 1-4 (numerator, denominator, for bounded figures the
    complement), and a list of problems (shown small counts or complements, shown values that differ from
    their definition). ``published``: ``(division, frame)`` pairs of indicator_figures output, or
    ``(division, frame, release)`` for several releases of the same figures (each release's rows are facts
    together with every other release's)."""
    published = [(p[0], p[1], p[2] if len(p) > 2 else 0) for p in published]
    f = cons.finest.reset_index(drop=True)
    n = len(f)
    regions = {div: _region_of(div) for div in {d for d, _, _ in published}}
    weights = {div: _cluster_weights(div, cons) for div in {d for d, _, _ in published}}
    every = sorted(registry.municipalities()["municipality_code"])
    truth = {"numerator": f["numerator"].to_numpy(float), "denominator": f["denominator"].to_numpy(float)}
    muni_idx = f["municipality_code"].to_numpy()
    problems: list[str] = []
    rows: list[tuple[dict, np.ndarray]] = []  # (row, coefficient vector over the finest cells)
    seen: set = set()
    # which municipalities have a published row in each slice
    has: dict[object, set] = {}  # per release: the municipality rows it published
    for _, frame, release in published:
        munis = frame[frame["entity_level"] == "municipality"]
        has.setdefault(release, set()).update((r.entity_id, r.sex, r.age_group, _label(r.period))
                                              for r in munis.itertuples())
    for div, frame, release in published:
        for r in frame.itertuples(index=False):
            period = _label(r.period)
            key = (release, div if r.entity_level in ("cluster", "region") else "", r.entity_level, r.entity_id,
                   r.sex, r.age_group, period)
            if key in seen:
                continue
            seen.add(key)
            if r.entity_level == "municipality":
                comp = {r.entity_id: 1.0}
            elif r.entity_level == "cluster":
                comp = weights[div].get(r.entity_id, {})
            elif r.entity_level == "region":
                comp = {m: 1.0 for m in every if regions[div][m] == r.entity_id}
            else:
                comp = dict.fromkeys(every, 1.0)
            if not all((m, r.sex, r.age_group, period) in has[release] for m in comp):
                comp = {}  # a member without a row: the figure is not defined (and must not be published)
            if not comp:
                if not r.suppressed and pd.notna(r.numerator):
                    problems.append(f"published {key} that the attacker cannot define")
                continue
            sel = cons.cells_of(r.sex, r.age_group, period).to_numpy()
            coef = np.where(sel, pd.Series(muni_idx).map(comp).fillna(0.0).to_numpy(), 0.0)
            row = dict(division=div, level=r.entity_level, id=r.entity_id, sex=r.sex, age=r.age_group,
                       period=period, suppressed=bool(r.suppressed), num=r.numerator, den=r.denominator)
            rows.append((row, coef))
            if not r.suppressed:
                for q, v in (("numerator", r.numerator), ("denominator", r.denominator)):
                    t = float(coef @ truth[q])
                    if pd.isna(v) or abs(float(v) - t) > 1e-6 * max(1.0, abs(t)):
                        problems.append(f"{key} {q}: published {v}, defined as {t}")
                    elif 0 < t < 5:
                        problems.append(f"{key} {q}: a count of {t:g} is shown")
                if cons.bounded:
                    c = float(coef @ (truth["denominator"] - truth["numerator"]))
                    if 0 < c < 5:
                        problems.append(f"{key}: a complement of {c:g} is shown (share {r.numerator}/{r.denominator})")
    # the attacker's system over 2n unknowns (numerators, then denominators)
    eq_rows, eq_vals = [], []
    for row, coef in rows:
        if row["suppressed"]:
            continue
        eq_rows += [np.concatenate([coef, np.zeros(n)]), np.concatenate([np.zeros(n), coef])]
        eq_vals += [float(row["num"]), float(row["den"])]
    A_eq = sp.csr_matrix(np.array(eq_rows)) if eq_rows else None
    b_eq = np.array(eq_vals) if eq_vals else None
    A_ub = b_ub = None
    if cons.bounded:
        A_ub = sp.hstack([sp.identity(n), -sp.identity(n)]).tocsr()
        b_ub = np.zeros(n)

    def interval(obj: np.ndarray) -> tuple[float, float]:
        out = []
        for sign in (-1.0, 1.0):  # the maximum first
            if sign > 0 and out[0] >= 5 - 1e-6:
                # not within 1..4 whatever the minimum is (and the minimum of a count is at least 0)
                return 0.0, out[0]
            res = linprog(sign * obj, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=(0, None),
                          method="highs")
            if res.status == 3:
                out.append(-np.inf if sign > 0 else np.inf)
            elif res.status != 0:
                raise AssertionError(f"attacker's system is not solvable: {res.message}")
            else:
                out.append(sign * res.fun)
        return out[1], out[0]

    # counts no row shows on its own: every municipality x sex x age x period a reader could ask about
    # (an unpublished stratum such as the women when only the total and the men are in the file, the rest of
    # a total); their truth from the constructed cells
    published_keys = {(r["id"], r["sex"], r["age"], r["period"]) for r, _ in rows if r["level"] == "municipality"}
    sexes = ["total", "male", "female"]
    ages = ["total", *[a for a in cons.ages if a != "all"]] if cons.ages != ["all"] else ["total"]
    periods = [*cons.years, *[a for atoms in cons.years.values() for a in atoms if a not in cons.years]]
    for m in sorted(set(muni_idx)):
        for sex, age, period in ((s, a, p) for s in sexes for a in ages for p in periods):
            if (m, sex, age, period) in published_keys:
                continue
            sel = cons.cells_of(sex, age, period).to_numpy() & (muni_idx == m)
            row = dict(division="", level="unpublished", id=m, sex=sex, age=age, period=period, suppressed=True,
                       num=np.nan, den=np.nan)
            rows.append((row, sel.astype(float)))
    findings: list[Finding] = []
    solved: dict = {}
    for row, coef in rows:
        if not row["suppressed"]:
            continue
        objs = [("numerator", np.concatenate([coef, np.zeros(n)])),
                ("denominator", np.concatenate([np.zeros(n), coef]))]
        if cons.bounded:
            objs.append(("complement", np.concatenate([-coef, coef])))
        for q, obj in objs:
            t = float(obj @ np.concatenate([truth["numerator"], truth["denominator"]]))
            if not 0 < t < 5:
                # the feasible interval always contains the true value, so a hidden 0 or 5+ can never be
                # pinned within 1..4: only the hidden counts of 1-4 need the two linear programs
                continue
            key = (q, obj.tobytes())
            if key not in solved:
                solved[key] = interval(obj)
            lo, hi = solved[key]
            findings.append(Finding(row, q, t, lo, hi))
    return findings, problems


def _label(p: object) -> str:
    if isinstance(p, pd.Period):
        if p.freqstr.startswith("Q"):
            return f"{p.year}K{p.quarter}"
        if p.freqstr.startswith("M"):
            return f"{p.year}M{p.month:02d}"
        return str(p.year)
    return str(p)


def file_rows(cons: Construction, rows: list[tuple[str, str, str, str]]) -> str:
    """The long-format CSV of the given (municipality, sex, age_group, period) rows, summed from the cells."""
    lines = ["municipality,period,indicator,sex,age_group,numerator,denominator"]
    f = cons.finest
    for m, sex, age, period in rows:
        sel = cons.cells_of(sex, age, period) & (f["municipality_code"] == m)
        num, den = int(f.loc[sel, "numerator"].sum()), int(f.loc[sel, "denominator"].sum())
        lines.append(f"{m},{period},{cons.indicator},{sex},{age},{num},{den}")
    return "\n".join(lines) + "\n"


def unit_population_csv(pops: dict[str, int]) -> str:
    """København's bydel populations in the unit-population import format (constructed)."""
    return "municipality_code,unit_type,unit_code,period,population\n" + "".join(
        f"0101,bydel,{u},2024K1,{p}\n" for u, p in pops.items())
