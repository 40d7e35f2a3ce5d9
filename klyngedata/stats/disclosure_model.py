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
from dataclasses import dataclass, field

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
    leaves, cells = _checked_input(leaves, cells)
    published = _published_by_figure(leaves, cells)
    model = _Equations()
    for fig, lf in leaves.groupby("figure_id", sort=False):
        _add_figure(model, fig, lf, published.setdefault(fig, {}), bounded.get(fig, False))
    ineq = model.ineq.matrix(model.n_vars)
    latents = pd.concat(model.latent_frames, ignore_index=True) if model.latent_frames else pd.DataFrame()
    full = _full_data(model, ineq)
    _add_small_latents(model, full, threshold)
    point = full.system.feasible_point()
    _add_latent_complements(model, full, point, threshold)
    return IndicatorModel(table=_published_table(model, cells, ineq, full, point, latents), latents=latents)


# -- input -----------------------------------------------------------------------------------------------
_Published = dict[int, tuple[str, str, str, tuple[tuple[str, float], ...] | None, dict[str, float]]]
"""One figure's published cells: row -> (sex, age group, period, members or None, {quantity: value})."""


def _checked_input(leaves: pd.DataFrame, cells: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The leaves with string labels and one row per key, both frames with a fresh index."""
    for col in ("figure_id", "unit", *_DIMS, *_QUANTITIES):
        if col not in leaves.columns:
            raise KlyngedataError(f"disclosure: leaves need column {col!r}")
    leaves = leaves.reset_index(drop=True).copy()
    for d in ("figure_id", "unit", *_DIMS):
        leaves[d] = leaves[d].astype(str)
    cells = cells.reset_index(drop=True)
    key = ["figure_id", "unit", *_DIMS]
    if leaves.duplicated(key).any():
        dup = leaves.loc[leaves.duplicated(key, keep=False), key].iloc[0].tolist()
        raise KlyngedataError(f"disclosure: duplicate leaf {dup}")
    return leaves, cells


def _published_by_figure(leaves: pd.DataFrame, cells: pd.DataFrame) -> dict[str, _Published]:
    """The published cells by figure; every member unit of a cell must have a data row for the cell's labels."""
    have = set(zip(leaves["figure_id"], leaves["unit"], leaves["sex"], leaves["age_group"], leaves["period"],
                   strict=True))
    cell_rows: dict[str, _Published] = {}
    for r, (fig, s_, a_, p_, mem, num, den) in enumerate(zip(
            cells["figure_id"].astype(str), cells["sex"].astype(str), cells["age_group"].astype(str),
            cells["period"].astype(str), cells["members"], cells["numerator"], cells["denominator"], strict=True)):
        mem = tuple((str(u), float(w)) for u, w in mem) if isinstance(mem, (tuple, list)) and mem else None
        for unit, _w in mem or ():
            if (fig, unit, s_, a_, p_) not in have:
                raise KlyngedataError(f"disclosure: a published cell of {fig} ({s_}, {a_}, {p_}) sums unit {unit}, "
                                      "which has no data row there")
        cell_rows.setdefault(fig, {})[r] = (s_, a_, p_, mem, {"numerator": num, "denominator": den})
    return cell_rows


# -- latent cells ----------------------------------------------------------------------------------------
def _figure_trees(lf: pd.DataFrame, fig: str) -> dict[str, _Tree]:
    """The label tree of each dimension of one figure's data."""
    labels = {d: sorted(lf[d].unique()) for d in _DIMS}
    return {"sex": _Tree(labels["sex"], _sex_parents(labels["sex"])),
            "age_group": _Tree(labels["age_group"], _age_parents(labels["age_group"], fig)),
            "period": _Tree(labels["period"], _period_parents(labels["period"]))}


class _Block:
    """The latent cells of one count (numerator or denominator) of one figure: unit x sex atom x age atom x
    period atom, numbered from ``base`` (unit by unit), over the count's trees (flat where it is not additive)."""

    def __init__(self, figure: str, quantity: str, base: int, units: list[str], trees: dict[str, _Tree]) -> None:
        self.figure, self.quantity, self.base, self.units, self.trees = figure, quantity, base, units, trees
        self.unit_ix = {u: i for i, u in enumerate(units)}
        self.shapes = [len(trees[d].labels) for d in _DIMS]
        self.per_unit = int(np.prod(self.shapes))
        self.size = self.per_unit * len(units)
        self._below = {d: trees[d].below() for d in _DIMS}
        self._offsets: dict[tuple[str, str, str], np.ndarray] = {}

    def offsets(self, s: str, a: str, p: str) -> np.ndarray:
        """The atoms under a (sex, age group, period) label triple, as offsets within a unit."""
        k = (s, a, p)
        if k not in self._offsets:
            for d, lab in zip(_DIMS, k, strict=True):
                if lab not in self._below[d]:
                    raise KlyngedataError(f"disclosure: a published cell of {self.figure} has {d} {lab!r}, "
                                          "which no data row has")
            i_s, i_a, i_p = (np.asarray(self._below[d][lab]) for d, lab in zip(_DIMS, k, strict=True))
            self._offsets[k] = ((i_s[:, None, None] * self.shapes[1] + i_a[None, :, None]) * self.shapes[2]
                                + i_p[None, None, :]).ravel()
        return self._offsets[k]

    def columns(self, unit: str, s: str, a: str, p: str) -> np.ndarray:
        """The latent cells one unit's (sex, age group, period) count is the sum of."""
        return self.base + self.unit_ix[unit] * self.per_unit + self.offsets(s, a, p)

    def latents(self) -> tuple[pd.DataFrame, np.ndarray]:
        """The labels of the block's latent cells (``rest``: the part of an inner node no child covers) and the
        indices of its rest cells."""
        inner = [self.trees[d].inner() for d in _DIMS]
        grid = np.meshgrid(*inner, indexing="ij")
        is_rest = (grid[0] | grid[1] | grid[2]).ravel()
        labs = [g.ravel() for g in np.meshgrid(*[np.arange(s) for s in self.shapes], indexing="ij")]
        nu = len(self.units)
        frame = pd.DataFrame({
            "figure_id": self.figure, "quantity": self.quantity,
            "unit": np.repeat(np.array(self.units, dtype=object), self.per_unit),
            "sex": np.tile(np.array(self.trees["sex"].labels, dtype=object)[labs[0]], nu),
            "age_group": np.tile(np.array(self.trees["age_group"].labels, dtype=object)[labs[1]], nu),
            "period": np.tile(np.array(self.trees["period"].labels, dtype=object)[labs[2]], nu),
            "rest": np.tile(is_rest, nu),
        })
        rest = (self.base + np.arange(nu)[:, None] * self.per_unit + np.flatnonzero(is_rest)[None, :]).ravel()
        return frame, rest


# -- equations -------------------------------------------------------------------------------------------
class _Rows:
    """Rows of a sparse matrix over the latent cells under construction, each with its value and owning
    published row where it has them."""

    def __init__(self) -> None:
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.values: list[float] = []
        self.rows: list[int] = []
        self.n = 0

    def add(self, cols: np.ndarray, coefs: np.ndarray, value: float | None = None, row: int = -1) -> None:
        self.r.append(np.full(len(cols), self.n))
        self.c.append(cols)
        self.v.append(coefs)
        if value is not None:
            self.values.append(float(value))
            self.rows.append(int(row))
        self.n += 1

    def add_at_most(self, low: np.ndarray, high: np.ndarray) -> None:
        """One row ``x[low[i]] - x[high[i]]`` per i (with a zero right-hand side: ``x[low[i]] <= x[high[i]]``)."""
        idx = np.arange(len(low))
        self.r += [self.n + idx, self.n + idx]
        self.c += [low, high]
        self.v += [np.ones(len(low)), -np.ones(len(low))]
        self.n += len(low)

    def matrix(self, n_vars: int) -> sp.csr_matrix:
        if not self.r:
            return sp.csr_matrix((self.n, n_vars))
        cols = np.concatenate(self.c).astype(np.int64)
        return sp.csr_matrix((np.concatenate(self.v), (np.concatenate(self.r), cols)), shape=(self.n, n_vars))


@dataclass
class _Equations:
    """Everything known about the latent cells, collected figure by figure: the data (every leaf a sum of
    latent cells), the published facts, the sensitive functions, the inequalities."""

    data: _Rows = field(default_factory=_Rows)
    facts: _Rows = field(default_factory=_Rows)
    sensitive: _Rows = field(default_factory=_Rows)
    ineq: _Rows = field(default_factory=_Rows)
    latent_frames: list[pd.DataFrame] = field(default_factory=list)
    rest_vars: list[np.ndarray] = field(default_factory=list)
    shown_alone: list[np.ndarray] = field(default_factory=list)
    complement_blocks: list[tuple[int, int, int]] = field(default_factory=list)
    """(numerator base, denominator base, cells) of each bounded figure whose counts share their trees."""
    n_vars: int = 0


def _add_figure(model: _Equations, fig: str, lf: pd.DataFrame, published: _Published, bounded: bool) -> None:
    """One figure's latent cells, data, published facts and sensitive functions (and, for a bounded figure,
    numerator <= denominator and the complements of its published cells)."""
    trees = _figure_trees(lf, fig)
    units = sorted(lf["unit"].unique())
    blocks: dict[str, _Block] = {}
    for q in _QUANTITIES:
        lq = lf[lf[q].notna()]
        qtrees = {d: (t if _additive(lq, q, d, t) else t.flat()) for d, t in trees.items()}
        blocks[q] = block = _Block(fig, q, model.n_vars, units, qtrees)
        model.n_vars += block.size
        frame, rest = block.latents()
        model.latent_frames.append(frame)
        model.rest_vars.append(rest)
        # the data (full knowledge): every leaf is a sum of latent cells
        for u, s, a, p, v in zip(lf["unit"], lf["sex"], lf["age_group"], lf["period"], lf[q], strict=True):
            if pd.notna(v):
                cols = block.columns(u, s, a, p)
                model.data.add(cols, np.ones(len(cols)), v)
        _add_published(model, block, published)
    if bounded:
        _add_bounds(model, blocks["numerator"], blocks["denominator"], lf)
        _add_cell_complements(model, blocks["numerator"], blocks["denominator"], published)


def _add_published(model: _Equations, block: _Block, published: _Published) -> None:
    """Each published value of the block's count: a fact a reader knows and a sensitive count."""
    for r, (s_, a_, p_, mem, value) in published.items():
        cols, coefs = _cell_vector(mem, s_, a_, p_, block)
        if cols is None:
            continue
        value = value[block.quantity]
        if pd.notna(value):
            model.facts.add(cols, coefs, value, r)
            model.sensitive.add(cols, coefs, value, r)
            if len(cols) == 1 and coefs[0] == 1.0:
                model.shown_alone.append(cols)


def _add_bounds(model: _Equations, num: _Block, den: _Block, lf: pd.DataFrame) -> None:
    """numerator <= denominator: per latent cell when both counts have the same trees, else per data row."""
    if all(num.trees[d].parent == den.trees[d].parent for d in _DIMS):
        model.complement_blocks.append((num.base, den.base, num.size))
        model.ineq.add_at_most(num.base + np.arange(num.size), den.base + np.arange(num.size))
        return
    for u, s, a, p in zip(lf["unit"], lf["sex"], lf["age_group"], lf["period"], strict=True):
        cn, cd = num.columns(u, s, a, p), den.columns(u, s, a, p)
        if len(cn) and len(cd):
            model.ineq.add(np.concatenate([cn, cd]).astype(np.int64),
                           np.concatenate([np.ones(len(cn)), -np.ones(len(cd))]))


def _add_cell_complements(model: _Equations, num: _Block, den: _Block, published: _Published) -> None:
    """The complement (denominator - numerator) of every published cell with both counts is sensitive."""
    for r, (s_, a_, p_, mem, value) in published.items():
        if pd.isna(value["numerator"]) or pd.isna(value["denominator"]):
            continue
        cn, vn = _cell_vector(mem, s_, a_, p_, num)
        cd, vd = _cell_vector(mem, s_, a_, p_, den)
        if cn is None or cd is None:
            continue
        model.sensitive.add(np.concatenate([cn, cd]), np.concatenate([-vn, vd]),
                            value["denominator"] - value["numerator"], r)


# -- what the full data determine ------------------------------------------------------------------------
@dataclass
class _FullData:
    """The latent cells under full knowledge of the data: ``hi`` the largest value the data allow (inf where no
    data row contains the cell), ``upper`` (0 for a rest the data show to be empty, else inf), ``touched`` (in
    some data row), ``alone`` (some published cell shows it on its own)."""

    system: _System
    hi: np.ndarray
    upper: np.ndarray
    touched: np.ndarray
    alone: np.ndarray


def _full_data(model: _Equations, ineq: sp.csr_matrix) -> _FullData:
    """Which latent cells the data determine, which rests are empty, how large an unpublished cell can be."""
    n_vars = model.n_vars
    full = LinearTable(n_vars=n_vars, n_rows=model.data.n, facts=model.data.matrix(n_vars),
                       fact_values=np.array(model.data.values), fact_row=np.arange(model.data.n),
                       ineq=ineq, ineq_rhs=np.zeros(model.ineq.n))
    system = _System(full)
    system.refresh()
    alone = np.zeros(n_vars, dtype=bool)
    if model.shown_alone:
        alone[np.concatenate(model.shown_alone)] = True
    rest = np.zeros(n_vars, dtype=bool)
    if model.rest_vars:
        rest[np.concatenate(model.rest_vars)] = True
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
    upper = np.full(n_vars, np.inf)
    upper[rest & (hi <= 1e-9)] = 0.0
    return _FullData(system=system, hi=hi, upper=upper, touched=touched, alone=alone)


def _add_small_latents(model: _Equations, full: _FullData, threshold: int) -> None:
    """Every latent cell no published cell shows on its own whose full-data value is a small count."""
    phantom = np.flatnonzero(~full.alone & (full.upper > 0) & (full.hi > 1e-9) & (full.hi < threshold - 1e-6))
    for j in phantom:
        model.sensitive.add(np.array([j]), np.ones(1), full.hi[j])


def _add_latent_complements(model: _Equations, full: _FullData, point: np.ndarray, threshold: int) -> None:
    """Bounded figures: the complement (denominator - numerator) of every latent cell no published cell shows
    with both its counts (e.g. the women when the file has only the total and the men: 40 of 42 -> 2)."""
    system = full.system
    for bn, bd, k in model.complement_blocks:
        jn, jd = bn + np.arange(k), bd + np.arange(k)
        cand = full.touched[jn] & full.touched[jd] & ~(full.alone[jn] & full.alone[jd]) & (full.upper[jd] > 0)
        det = cand & system.fixed[jn] & system.fixed[jd]
        value = np.full(k, np.nan)
        value[det] = system.x[jd[det]] - system.x[jn[det]]
        # undetermined by the data: the largest complement the data allow (a feasible point bounds it below)
        und = np.flatnonzero(cand & ~det & (point[jd] - point[jn] < threshold - 1e-6))
        for i in und:
            e = sp.csr_matrix((np.array([-1.0, 1.0]), (np.zeros(2, dtype=np.int64), np.array([jn[i], jd[i]]))),
                              shape=(1, model.n_vars))
            value[i] = system.maximise(e, want_duals=False)[0]
        for i in np.flatnonzero((value > 1e-9) & (value < threshold - 1e-6)):
            model.sensitive.add(np.array([jn[i], jd[i]]), np.array([-1.0, 1.0]), value[i])


def _published_table(model: _Equations, cells: pd.DataFrame, ineq: sp.csr_matrix, full: _FullData,
                     point: np.ndarray, latents: pd.DataFrame) -> LinearTable:
    """The :class:`LinearTable` a reader faces (rows = ``cells``); ``latents`` gain ``upper`` and ``full_max``."""
    n_rows, n_vars = len(cells), model.n_vars
    cost = (cells["cost"].to_numpy(dtype=float) if "cost" in cells.columns and n_rows else np.zeros(n_rows))
    candidate = (cells["candidate"].to_numpy(dtype=bool) if "candidate" in cells.columns and n_rows
                 else np.ones(n_rows, dtype=bool))
    point[full.upper <= 0] = 0.0
    var_unit = var_group = None
    if len(latents):
        latents["upper"] = full.upper
        latents["full_max"] = full.hi
        year = latents["period"].astype(str).str[:4]
        var_group = pd.factorize(pd.MultiIndex.from_arrays([latents["figure_id"], year]))[0]
        var_unit = pd.factorize(pd.MultiIndex.from_arrays([latents["figure_id"], year, latents["unit"]]))[0]
    return LinearTable(
        n_vars=n_vars, n_rows=n_rows, facts=model.facts.matrix(n_vars),
        fact_values=np.asarray(model.facts.values, dtype=float), fact_row=np.asarray(model.facts.rows, dtype=np.int64),
        sensitive=model.sensitive.matrix(n_vars), sensitive_values=np.asarray(model.sensitive.values, dtype=float),
        sensitive_row=np.asarray(model.sensitive.rows, dtype=np.int64),
        row_cost=cost, row_candidate=candidate, upper=full.upper, ineq=ineq, ineq_rhs=np.zeros(model.ineq.n),
        point=point, var_unit=var_unit, var_group=var_group,
    )


def _cell_vector(members, s: str, a: str, p: str, block: _Block) -> tuple[np.ndarray | None, np.ndarray | None]:
    """A published cell as latent cells of the block with their weights (None when the cell has no members)."""
    if not members:
        return None, None
    cols = np.concatenate([block.columns(u, s, a, p) for u, _w in members]).astype(np.int64)
    coefs = np.concatenate([np.full(len(block.offsets(s, a, p)), w) for _u, w in members])
    order = np.argsort(cols, kind="stable")
    cols, coefs = cols[order], coefs[order]
    uc, start = np.unique(cols, return_index=True)
    return uc, np.add.reduceat(coefs, start)
