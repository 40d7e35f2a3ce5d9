"""The linear model of a published indicator table: latent cells, facts and sensitive counts.

Input (tidy)
    ``leaves``: the data, one row per ``figure_id, unit, sex, age_group, period`` with ``numerator`` and
    ``denominator`` counts (``unit`` = municipality code). ``cells``: everything that is published, one row
    per published figure with ``figure_id, sex, age_group, period``, ``members`` (a tuple of
    ``(unit, weight)``: the cell is the weighted sum of those units' leaves of the same figure, sex, age
    group and period – a municipality is ``((code, 1.0),)``, a cluster with a split municipality carries
    its population share), the published ``numerator``/``denominator`` (missing = not computable, not
    published) and a ``cost`` (a positive weight: lower = hidden first as a secondary cell).

Latent cells
    Per figure and count (numerator, denominator) the labels of each dimension form a tree: sex
    (``total`` > ``male``, ``female``), age (``total`` > intervals such as ``65-74``, ``75+``, nested
    intervals inside each other), period (year > quarter > month). Every node is one *atom* – a leaf node
    itself, an inner node the part of it that none of its children covers (the *rest*: e.g. ages of the
    total outside every age group, months of a year without a quarter row). A latent cell is one unit x
    sex atom x age atom x period atom, and every leaf and every published cell is a sum of latent cells.
    So the model knows every relation a reader can use: a total and its strata, a year and its quarters,
    cross-classifications (sex x age) and the rest a stratum leaves over, clusters/regions/Denmark with the
    units they were actually computed from (a missing member is simply not in the sum), split units with
    their shares.

    A dimension whose counts are not additive in the data (e.g. a prevalence or a population stock, where
    a year is less than the sum of its quarters) is modelled without that relation (every label its own
    node). A rest cell the data show to be empty is pinned to 0 (a reader may assume that the strata
    partition the total).

Sensitive counts
    The numerator and denominator of every published cell; for *bounded* figures (the numerator is a subset
    of the denominator: readmissions of admissions, patients among citizens) also the complement
    ``denominator - numerator`` (policy: those not in the numerator are persons too – see
    :mod:`klyngedata.disclosure`), with ``numerator <= denominator`` known to the reader for every latent
    cell; and every latent cell that no published cell shows on its own (an unpublished stratum, the rest of
    a total) with its value from the full data, and for bounded figures the complement of every such cell.

Example (constructed): Læsø's total 195 and its female stratum 192 give the male stratum 3.

>>> import pandas as pd
>>> leaves = pd.DataFrame({"figure_id": "f", "unit": "0825", "sex": ["total", "male", "female"],
...                        "age_group": "total", "period": "2024", "numerator": [195.0, 3, 192],
...                        "denominator": [900.0, 400, 500]})
>>> cells = leaves.assign(members=[(("0825", 1.0),)] * 3, cost=[2.0, 0, 1])
>>> m = indicator_model(leaves, cells, bounded={"f": True}, threshold=5)
>>> from klyngedata.stats.disclosure_search import suppress_linear
>>> suppress_linear(m.table, 5).hidden.tolist()
[False, True, True]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from klyngedata.exceptions import KlyngedataError, UnknownValue
from klyngedata.lazy import module
from klyngedata.stats.disclosure_lp import LinearTable, _System
from klyngedata.vocabulary import parse_age, parse_period, period_code, period_kind

sp = module("scipy.sparse")  # imported when a model is first built

__all__ = ["IndicatorModel", "age_interval", "indicator_model"]

_QUANTITIES = ("numerator", "denominator")
def age_interval(label: str) -> tuple[int, float] | None:
    """The ages ``[low, high]`` of an age-group label, ``None`` if it cannot be placed on the age axis.

    Example
    -------
    >>> age_interval("65-74"), age_interval("75+"), age_interval("80 år og derover"), age_interval("voksne")
    ((65, 74), (75, inf), (80, inf), None)
    """
    try:
        band = parse_age(label)
    except UnknownValue:
        return None
    if band is None:
        return None
    return band.lo, float("inf") if band.hi is None else band.hi


def _sex_parents(labels: list[str]) -> dict[str, str | None]:
    unknown = sorted(set(labels) - {"total", "male", "female"})
    if unknown:
        raise KlyngedataError(f"disclosure: unknown sex label(s) {unknown}")
    return {s: ("total" if s != "total" and "total" in labels else None) for s in labels}


def _age_parents(labels: list[str], figure: str) -> dict[str, str | None]:
    groups = [a for a in labels if a != "total"]
    root = "total" if "total" in labels else None
    if len(groups) <= 1:
        return {a: (root if a != "total" else None) for a in labels}
    iv = {a: age_interval(a) for a in groups}
    bad = [a for a, v in iv.items() if v is None]
    if bad:
        raise KlyngedataError(
            f"{figure}: age group(s) {bad} cannot be placed on the age axis, so disclosure control cannot "
            "check what the age groups reveal together; use labels such as 65-74, 75+ or 80 år og derover"
        )
    parents: dict[str, str | None] = {"total": None} if root else {}
    for a in groups:
        lo, hi = iv[a]
        best = None
        for b in groups:
            if b == a:
                continue
            blo, bhi = iv[b]
            if hi < blo or bhi < lo:
                continue
            if blo <= lo and hi <= bhi and (blo, bhi) != (lo, hi):
                if best is None or (bhi - blo) < (iv[best][1] - iv[best][0]):
                    best = b
            elif not (lo <= blo and bhi <= hi):
                raise KlyngedataError(
                    f"{figure}: the age groups {a!r} and {b!r} overlap without one containing the other; "
                    "disclosure control needs age groups that are disjoint or nested"
                )
            elif (blo, bhi) == (lo, hi):
                raise KlyngedataError(f"{figure}: the age groups {a!r} and {b!r} cover the same ages")
        parents[a] = best if best is not None else root
    return parents


def _period_parents(labels: list[str]) -> dict[str, str | None]:
    present = set(labels)
    out: dict[str, str | None] = {}
    for p in labels:
        try:
            period = parse_period(p)
        except UnknownValue:
            raise KlyngedataError(f"disclosure: not a period label: {p!r}") from None
        kind, year = period_kind(period), str(period.year)
        parent = None
        if kind == "month":
            quarter = period_code(period.asfreq("Q"))
            parent = quarter if quarter in present else (year if year in present else None)
        elif kind == "quarter":
            parent = year if year in present else None
        out[p] = parent
    return out


@dataclass
class _Tree:
    labels: list[str]
    parent: dict[str, str | None]

    def flat(self) -> _Tree:
        return _Tree(self.labels, dict.fromkeys(self.labels))

    def index(self) -> dict[str, int]:
        return {lab: i for i, lab in enumerate(self.labels)}

    def below(self) -> dict[str, list[int]]:
        """Indices of each node and all its descendants."""
        idx = self.index()
        children: dict[str, list[str]] = {lab: [] for lab in self.labels}
        for lab, par in self.parent.items():
            if par is not None:
                children[par].append(lab)
        out: dict[str, list[int]] = {}

        def walk(lab: str) -> list[int]:
            if lab not in out:
                res = [idx[lab]]
                for c in children[lab]:
                    res += walk(c)
                out[lab] = sorted(res)
            return out[lab]

        for lab in self.labels:
            walk(lab)
        return out

    def inner(self) -> np.ndarray:
        has_child = {p for p in self.parent.values() if p is not None}
        return np.array([lab in has_child for lab in self.labels], dtype=bool)


_DIMS = ("sex", "age_group", "period")


def _additive(leaves: pd.DataFrame, q: str, dim: str, tree: _Tree) -> bool:
    """False if some parent holds less than the sum of its children (the dimension is not additive)."""
    pairs = [(c, p) for c, p in tree.parent.items() if p is not None]
    if not pairs:
        return True
    other = ["unit", *[d for d in _DIMS if d != dim]]
    child = leaves[[*other, dim, q]].rename(columns={dim: "_child"})
    child = child.merge(pd.DataFrame(pairs, columns=["_child", "_parent"]), on="_child")
    sums = child.groupby([*other, "_parent"], dropna=False)[q].agg(["sum", "count"]).reset_index()
    nchild = pd.Series(pairs).map(lambda cp: cp[1]).value_counts()
    sums = sums[sums["count"] == sums["_parent"].map(nchild)]
    par = leaves[[*other, dim, q]].rename(columns={dim: "_parent", q: "_pv"})
    both = sums.merge(par, on=[*other, "_parent"])
    return bool(((both["_pv"] - both["sum"]) >= -1e-6 * np.maximum(1.0, both["_pv"].abs())).all())


@dataclass
class IndicatorModel:
    """The :class:`LinearTable` of a published indicator table (rows = ``cells`` in order) and the latent
    cells' labels (``latents``: figure, quantity, unit, sex, age group, period, rest)."""

    table: LinearTable
    latents: pd.DataFrame


def indicator_model(leaves: pd.DataFrame, cells: pd.DataFrame, *, bounded: Mapping[str, bool],
                    threshold: int) -> IndicatorModel:
    """Build the linear model of a published indicator table (see the module docstring).

    ``threshold``: the largest threshold the model will be used with (latent cells that no published cell
    shows are sensitive when their full-data value is below it).

    Example: see the module docstring.
    """
    for col in ("figure_id", "unit", *_DIMS, *_QUANTITIES):
        if col not in leaves.columns:
            raise KlyngedataError(f"disclosure: leaves need column {col!r}")
    leaves = leaves.reset_index(drop=True).copy()
    for d in ("figure_id", "unit", *_DIMS):
        leaves[d] = leaves[d].astype(str)
    cells = cells.reset_index(drop=True)
    n_rows = len(cells)
    key = ["figure_id", "unit", *_DIMS]
    if leaves.duplicated(key).any():
        dup = leaves.loc[leaves.duplicated(key, keep=False), key].iloc[0].tolist()
        raise KlyngedataError(f"disclosure: duplicate leaf {dup}")

    coo_r: list[np.ndarray] = []
    coo_c: list[np.ndarray] = []
    coo_v: list[np.ndarray] = []
    fact_values: list[float] = []
    fact_row: list[int] = []
    sens_r: list[np.ndarray] = []
    sens_c: list[np.ndarray] = []
    sens_v: list[np.ndarray] = []
    sens_val: list[float] = []
    sens_row: list[int] = []
    ineq_r: list[np.ndarray] = []
    ineq_c: list[np.ndarray] = []
    ineq_v: list[np.ndarray] = []
    latent_frames: list[pd.DataFrame] = []
    leaf_cells: list[tuple[np.ndarray, np.ndarray, float]] = []  # (cols, coefs, value) for the full data
    rest_vars: list[np.ndarray] = []
    shown_alone: list[np.ndarray] = []
    complement_blocks: list[tuple[int, int, int]] = []  # (numerator base, denominator base, cells) per figure
    n_vars = 0
    n_facts = 0
    n_sens = 0
    n_ineq = 0

    have = set(zip(leaves["figure_id"], leaves["unit"], leaves["sex"], leaves["age_group"], leaves["period"],
                   strict=True))
    cell_rows: dict[str, dict[int, tuple]] = {}
    for r, (fig, s_, a_, p_, mem, num, den) in enumerate(zip(
            cells["figure_id"].astype(str), cells["sex"].astype(str), cells["age_group"].astype(str),
            cells["period"].astype(str), cells["members"], cells["numerator"], cells["denominator"], strict=True)):
        mem = tuple((str(u), float(w)) for u, w in mem) if isinstance(mem, (tuple, list)) and mem else None
        for unit, _w in mem or ():
            if (fig, unit, s_, a_, p_) not in have:
                raise KlyngedataError(f"disclosure: a published cell of {fig} ({s_}, {a_}, {p_}) sums unit {unit}, "
                                      "which has no data row there")
        cell_rows.setdefault(fig, {})[r] = (s_, a_, p_, mem, {"numerator": num, "denominator": den})
    for fig, lf in leaves.groupby("figure_id", sort=False):
        cell_rows.setdefault(fig, {})
        trees = {
            "sex": _Tree(sorted(lf["sex"].unique()), {}),
            "age_group": _Tree(sorted(lf["age_group"].unique()), {}),
            "period": _Tree(sorted(lf["period"].unique()), {}),
        }
        trees["sex"].parent = _sex_parents(trees["sex"].labels)
        trees["age_group"].parent = _age_parents(trees["age_group"].labels, fig)
        trees["period"].parent = _period_parents(trees["period"].labels)
        units = sorted(lf["unit"].unique())
        unit_ix = {u: i for i, u in enumerate(units)}
        qtrees: dict[str, dict[str, _Tree]] = {}
        for q in _QUANTITIES:
            lq = lf[lf[q].notna()]
            qtrees[q] = {d: (t if _additive(lq, q, d, t) else t.flat()) for d, t in trees.items()}
        shapes = [len(trees[d].labels) for d in _DIMS]
        per_unit = int(np.prod(shapes))
        base: dict[str, int] = {}
        offs: dict[str, object] = {}
        for q in _QUANTITIES:
            base[q] = n_vars
            n_vars += per_unit * len(units)
            below = {d: qtrees[q][d].below() for d in _DIMS}
            cache: dict[tuple[str, str, str], np.ndarray] = {}

            def offsets(s: str, a: str, p: str, below=below, cache=cache, fig=fig, shapes=shapes) -> np.ndarray:
                k = (s, a, p)
                if k not in cache:
                    for d, lab in zip(_DIMS, k, strict=True):
                        if lab not in below[d]:
                            raise KlyngedataError(f"disclosure: a published cell of {fig} has {d} {lab!r}, "
                                                  "which no data row has")
                    i_s, i_a, i_p = (np.asarray(below[d][lab]) for d, lab in zip(_DIMS, k, strict=True))
                    cache[k] = ((i_s[:, None, None] * shapes[1] + i_a[None, :, None]) * shapes[2]
                                + i_p[None, None, :]).ravel()
                return cache[k]

            offs[q] = offsets
            inner = [qtrees[q][d].inner() for d in _DIMS]
            grid = np.meshgrid(*inner, indexing="ij")
            is_rest = (grid[0] | grid[1] | grid[2]).ravel()
            labs = [g.ravel() for g in np.meshgrid(*[np.arange(s) for s in shapes], indexing="ij")]
            nu = len(units)
            latent_frames.append(pd.DataFrame({
                "figure_id": fig, "quantity": q,
                "unit": np.repeat(np.array(units, dtype=object), per_unit),
                "sex": np.tile(np.array(trees["sex"].labels, dtype=object)[labs[0]], nu),
                "age_group": np.tile(np.array(trees["age_group"].labels, dtype=object)[labs[1]], nu),
                "period": np.tile(np.array(trees["period"].labels, dtype=object)[labs[2]], nu),
                "rest": np.tile(is_rest, nu),
            }))
            rest_vars.append((base[q] + np.arange(len(units))[:, None] * per_unit
                              + np.flatnonzero(is_rest)[None, :]).ravel())
            # the data (full knowledge): every leaf is a sum of latent cells
            for u, s, a, p, v in zip(lf["unit"], lf["sex"], lf["age_group"], lf["period"], lf[q], strict=True):
                if pd.notna(v):
                    cols = base[q] + unit_ix[u] * per_unit + offsets(s, a, p)
                    leaf_cells.append((cols, np.ones(len(cols)), float(v)))
            # the cells
            for r, (s_, a_, p_, mem, value) in cell_rows[fig].items():
                cols, coefs = _cell_vector(mem, s_, a_, p_, base[q], per_unit, unit_ix, offsets)
                if cols is None:
                    continue
                value = value[q]
                if pd.notna(value):
                    coo_r.append(np.full(len(cols), n_facts))
                    coo_c.append(cols)
                    coo_v.append(coefs)
                    fact_values.append(float(value))
                    fact_row.append(int(r))
                    n_facts += 1
                    sens_r.append(np.full(len(cols), n_sens))
                    sens_c.append(cols)
                    sens_v.append(coefs)
                    sens_val.append(float(value))
                    sens_row.append(int(r))
                    n_sens += 1
                    if len(cols) == 1 and coefs[0] == 1.0:
                        shown_alone.append(cols)
        aligned = all(qtrees["numerator"][d].parent == qtrees["denominator"][d].parent for d in _DIMS)
        if bounded.get(fig, False):
            # numerator <= denominator (per latent cell when both counts have the same structure)
            if aligned:
                complement_blocks.append((base["numerator"], base["denominator"], per_unit * len(units)))
                k = per_unit * len(units)
                idx = np.arange(k)
                ineq_r += [n_ineq + idx, n_ineq + idx]
                ineq_c += [base["numerator"] + idx, base["denominator"] + idx]
                ineq_v += [np.ones(k), -np.ones(k)]
                n_ineq += k
            else:
                for u, s, a, p in zip(lf["unit"], lf["sex"], lf["age_group"], lf["period"], strict=True):
                    cn = base["numerator"] + unit_ix[u] * per_unit + offs["numerator"](s, a, p)
                    cd = base["denominator"] + unit_ix[u] * per_unit + offs["denominator"](s, a, p)
                    if len(cn) and len(cd):
                        ineq_r += [np.full(len(cn), n_ineq), np.full(len(cd), n_ineq)]
                        ineq_c += [cn.astype(np.int64), cd.astype(np.int64)]
                        ineq_v += [np.ones(len(cn)), -np.ones(len(cd))]
                        n_ineq += 1
            # the complement of every published cell with both counts
            for r, (s_, a_, p_, mem, value) in cell_rows[fig].items():
                if pd.isna(value["numerator"]) or pd.isna(value["denominator"]):
                    continue
                cn, vn = _cell_vector(mem, s_, a_, p_, base["numerator"], per_unit, unit_ix, offs["numerator"])
                cd, vd = _cell_vector(mem, s_, a_, p_, base["denominator"], per_unit, unit_ix, offs["denominator"])
                if cn is None or cd is None:
                    continue
                sens_r.append(np.full(len(cn) + len(cd), n_sens))
                sens_c.append(np.concatenate([cn, cd]))
                sens_v.append(np.concatenate([-vn, vd]))
                sens_val.append(float(value["denominator"] - value["numerator"]))
                sens_row.append(int(r))
                n_sens += 1

    def matrix(r, c, v, shape):
        if not r:
            return sp.csr_matrix(shape)
        return sp.csr_matrix((np.concatenate(v), (np.concatenate(r), np.concatenate(c).astype(np.int64))),
                             shape=shape)

    facts = matrix(coo_r, coo_c, coo_v, (n_facts, n_vars))
    ineq = matrix(ineq_r, ineq_c, ineq_v, (n_ineq, n_vars))
    upper = np.full(n_vars, np.inf)
    latents = pd.concat(latent_frames, ignore_index=True) if latent_frames else pd.DataFrame()

    # full data: which latent cells are determined, which rests are empty, which unpublished cells are small
    full = LinearTable(
        n_vars=n_vars, n_rows=len(leaf_cells),
        facts=sp.csr_matrix((np.concatenate([c[1] for c in leaf_cells]) if leaf_cells else np.zeros(0),
                             (np.concatenate([np.full(len(c[0]), i) for i, c in enumerate(leaf_cells)])
                              if leaf_cells else np.zeros(0, dtype=np.int64),
                              np.concatenate([c[0] for c in leaf_cells]).astype(np.int64)
                              if leaf_cells else np.zeros(0, dtype=np.int64))),
                            shape=(len(leaf_cells), n_vars)),
        fact_values=np.array([c[2] for c in leaf_cells]), fact_row=np.arange(len(leaf_cells)),
        ineq=ineq, ineq_rhs=np.zeros(n_ineq),
    )
    system = _System(full)
    system.refresh()
    alone = np.zeros(n_vars, dtype=bool)
    if shown_alone:
        alone[np.concatenate(shown_alone)] = True
    rest = np.zeros(n_vars, dtype=bool)
    if rest_vars:
        rest[np.concatenate(rest_vars)] = True
    # only units with data have latent cells; a unit without a leaf in a figure has none
    hi = np.where(system.fixed, system.x, np.nan)
    touched = np.zeros(n_vars, dtype=bool)
    touched[full.facts.indices] = True
    hi[~system.fixed & ~touched] = np.inf  # no data row contains it: unbounded
    # cheap bound: a latent cell is at most every data row containing it
    nz = full.facts.tocoo()
    bound = np.full(n_vars, np.inf)
    np.minimum.at(bound, nz.col, full.fact_values[nz.row])
    lp = ~system.fixed & touched & (rest | ~alone)
    hi[lp & (bound <= 1e-9)] = 0.0
    lp &= bound > 1e-9
    for j in np.flatnonzero(lp):
        e = sp.csr_matrix((np.ones(1), (np.zeros(1, dtype=np.int64), np.array([j]))), shape=(1, n_vars))
        hi[j] = system.maximise(e, want_duals=False)[0]
    upper[rest & (hi <= 1e-9)] = 0.0
    phantom = np.flatnonzero(~alone & (upper > 0) & (hi > 1e-9) & (hi < threshold - 1e-6))
    for j in phantom:
        sens_r.append(np.array([n_sens]))
        sens_c.append(np.array([j]))
        sens_v.append(np.ones(1))
        sens_val.append(float(hi[j]))
        sens_row.append(-1)
        n_sens += 1
    # bounded figures: the complement (denominator - numerator) of every latent cell no published cell shows
    # with both its counts (e.g. the women when the file has only the total and the men: 40 of 42 -> 2)
    point = system.feasible_point()
    for bn, bd, k in complement_blocks:
        jn, jd = bn + np.arange(k), bd + np.arange(k)
        cand = touched[jn] & touched[jd] & ~(alone[jn] & alone[jd]) & (upper[jd] > 0)
        det = cand & system.fixed[jn] & system.fixed[jd]
        value = np.full(k, np.nan)
        value[det] = system.x[jd[det]] - system.x[jn[det]]
        # undetermined by the data: the largest complement the data allow (a feasible point bounds it below)
        und = np.flatnonzero(cand & ~det & (point[jd] - point[jn] < threshold - 1e-6))
        for i in und:
            e = sp.csr_matrix((np.array([-1.0, 1.0]), (np.zeros(2, dtype=np.int64), np.array([jn[i], jd[i]]))),
                              shape=(1, n_vars))
            value[i] = system.maximise(e, want_duals=False)[0]
        for i in np.flatnonzero((value > 1e-9) & (value < threshold - 1e-6)):
            sens_r.append(np.full(2, n_sens))
            sens_c.append(np.array([jn[i], jd[i]]))
            sens_v.append(np.array([-1.0, 1.0]))
            sens_val.append(float(value[i]))
            sens_row.append(-1)
            n_sens += 1
    sensitive = matrix(sens_r, sens_c, sens_v, (n_sens, n_vars))
    cost = (cells["cost"].to_numpy(dtype=float) if "cost" in cells.columns and n_rows else np.zeros(n_rows))
    candidate = (cells["candidate"].to_numpy(dtype=bool) if "candidate" in cells.columns and n_rows
                 else np.ones(n_rows, dtype=bool))
    point[upper <= 0] = 0.0
    var_unit = var_group = None
    if len(latents):
        latents["upper"] = upper
        latents["full_max"] = hi
        year = latents["period"].astype(str).str[:4]
        var_group = pd.factorize(pd.MultiIndex.from_arrays([latents["figure_id"], year]))[0]
        var_unit = pd.factorize(pd.MultiIndex.from_arrays([latents["figure_id"], year, latents["unit"]]))[0]
    table = LinearTable(
        n_vars=n_vars, n_rows=n_rows, facts=facts, fact_values=np.asarray(fact_values, dtype=float),
        fact_row=np.asarray(fact_row, dtype=np.int64), sensitive=sensitive,
        sensitive_values=np.asarray(sens_val, dtype=float), sensitive_row=np.asarray(sens_row, dtype=np.int64),
        row_cost=cost, row_candidate=candidate, upper=upper, ineq=ineq, ineq_rhs=np.zeros(n_ineq),
        point=point, var_unit=var_unit, var_group=var_group,
    )
    return IndicatorModel(table=table, latents=latents)


def _cell_vector(members, s: str, a: str, p: str, base: int, per_unit: int, unit_ix: Mapping[str, int],
                 offsets) -> tuple[np.ndarray | None, np.ndarray | None]:
    if not members:
        return None, None
    off = offsets(s, a, p)
    cols = np.concatenate([base + unit_ix[u] * per_unit + off for u, _w in members]).astype(np.int64)
    coefs = np.concatenate([np.full(len(off), w) for _u, w in members])
    order = np.argsort(cols, kind="stable")
    cols, coefs = cols[order], coefs[order]
    uc, start = np.unique(cols, return_index=True)
    return uc, np.add.reduceat(coefs, start)
