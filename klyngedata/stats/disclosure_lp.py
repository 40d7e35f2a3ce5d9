"""The reader's knowledge of a published table as linear facts, and the linear programs over it.

Model
    A published table is described by non-negative unknowns ``x`` (the finest counts a reader does not see,
    *latent cells*) and *rows*. Every published row reveals one or more linear functions of ``x`` (*facts*:
    its numerator count, its denominator count …) with known values. A reader knows every fact of every
    shown row, the bounds ``0 <= x <= upper`` (``upper = 0`` pins a latent cell the reader can be assumed to
    know is empty) and the inequalities ``G x <= h`` (e.g. a numerator never exceeds its denominator). Facts
    with a missing value (not computable) are never published.

Protection criterion
    A *sensitive function* ``f`` (the numerator/denominator of a row, the complement of a bounded share, a
    count of persons that is not published at all) with a true value in ``(0, t)`` (``t`` = threshold, 5:
    counts of 1-4) is protected when ``max f(x)`` over everything a reader knows is at least ``t``: the
    reader cannot tell the count from a count of ``t`` or more. Then the feasible interval of ``f`` is never
    a single value or an interval within ``1 … t-1``. :mod:`klyngedata.stats.disclosure_search` chooses the
    rows to hide.

Solving
    Before every solve, latent cells that a shown fact determines alone (a fact with a single unknown, or a
    sum of non-negative cells that is 0) are fixed, repeatedly (the elimination); what remains splits into
    independent components and each solve (HiGHS through :func:`scipy.optimize.linprog`) uses only the
    components of the function at hand. The solver works on the linear-programming relaxation (integrality
    is not used), the usual choice for audits of tabular data: a reader using integrality could in rare cases
    (non-integer weights) narrow an interval further.

Example (constructed): a total of 20 = 3 + 7 + 10 over three latent cells with the first two hidden: the
first cell can be anything in ``0 … 10``.

>>> import numpy as np, scipy.sparse as sp
>>> facts = sp.csr_matrix(np.array([[1, 1, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=float))
>>> table = LinearTable(n_vars=3, n_rows=4, facts=facts, fact_values=np.array([20.0, 3, 7, 10]),
...                     fact_row=np.arange(4))
>>> feasible_interval(table, np.array([False, True, True, False]), np.array([1.0, 0, 0]))
(0.0, 10.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from klyngedata.exceptions import KlyngedataError
from klyngedata.lazy import module

sp = module("scipy.sparse")  # scipy: imported when a table is first checked
_optimize = module("scipy.optimize")
_csgraph = module("scipy.sparse.csgraph")

__all__ = ["LinearTable", "feasible_interval", "max_value"]


@dataclass
class LinearTable:
    """A published table as linear facts over non-negative latent cells (see the module docstring).

    ``facts`` (K x n), ``fact_values`` (K, NaN = not computable, never published), ``fact_row`` (K: the row
    revealing the fact); ``sensitive`` (S x n) with ``sensitive_values`` (S, the true values) and
    ``sensitive_row`` (S: owning row, -1 = never published); ``row_cost`` (R: positive weights, lower =
    hidden first);
    ``row_candidate`` (R: may be hidden as secondary; default all); ``upper`` (n: default unbounded);
    ``ineq``/``ineq_rhs``: ``ineq @ x <= ineq_rhs``. ``point``: latent values consistent with the data (the
    truth, or any point satisfying every fact; needed for the protection problem, computed if missing).
    ``var_unit``/``var_group`` (n: integer keys): locality of the latent cells – the protection problem of
    a count first looks for a pattern among the units that share a small published cell with it, then
    in its whole group (e.g. one figure and year).
    """

    n_vars: int
    n_rows: int
    facts: sp.spmatrix
    fact_values: np.ndarray
    fact_row: np.ndarray
    sensitive: sp.spmatrix | None = None
    sensitive_values: np.ndarray | None = None
    sensitive_row: np.ndarray | None = None
    row_cost: np.ndarray | None = None
    row_candidate: np.ndarray | None = None
    upper: np.ndarray | None = None
    ineq: sp.spmatrix | None = None
    ineq_rhs: np.ndarray | None = None
    point: np.ndarray | None = None
    var_unit: np.ndarray | None = None
    var_group: np.ndarray | None = None


def _csr(m: sp.spmatrix | None, n_cols: int) -> sp.csr_matrix:
    if m is None:
        return sp.csr_matrix((0, n_cols))
    out = sp.csr_matrix(m, dtype=float)
    out.eliminate_zeros()
    if out.shape[1] != n_cols:
        raise KlyngedataError(f"disclosure: matrix has {out.shape[1]} columns, expected {n_cols}")
    return out


class _System:
    """The reader's knowledge for a set of hidden rows, with elimination and components."""

    def __init__(self, table: LinearTable) -> None:
        n = int(table.n_vars)
        self.n = n
        values = np.asarray(table.fact_values, dtype=float)
        keep = np.isfinite(values)
        self.A = _csr(table.facts, n)[np.flatnonzero(keep)]
        self.b = values[keep]
        self.fact_row = np.asarray(table.fact_row, dtype=np.int64)[keep]
        self.G = _csr(table.ineq, n)
        self.h = np.asarray(table.ineq_rhs if table.ineq_rhs is not None else np.zeros(0), dtype=float)
        self.upper = (np.full(n, np.inf) if table.upper is None else np.asarray(table.upper, dtype=float))
        self.pinned = self.upper <= 0
        self.n_rows = int(table.n_rows)
        self.At = self.A.T.tocsr()
        self.P = self.A.copy()
        self.P.data[:] = 1.0
        self.Gt = self.G.T.tocsr()
        self.PG = self.G.copy()
        self.PG.data[:] = 1.0
        self.scale = np.maximum(1.0, np.abs(self.b))
        neg = self.A.copy()
        neg.data = (neg.data < 0).astype(float)
        self.nonneg = np.asarray(neg.sum(axis=1)).ravel() == 0
        order = np.argsort(self.fact_row, kind="stable")
        bounds = np.searchsorted(self.fact_row[order], np.arange(self.n_rows + 1))
        self._row_facts = [order[bounds[r]:bounds[r + 1]] for r in range(self.n_rows)]
        self.shown = np.ones(len(self.b), dtype=bool)
        self.dirty = True

    def row_facts(self, r: int) -> np.ndarray:
        return self._row_facts[r]

    def set_hidden(self, hidden: np.ndarray) -> None:
        self.shown = ~hidden[self.fact_row]
        self.dirty = True

    def hide(self, r: int) -> None:
        self.shown[self._row_facts[r]] = False
        self.dirty = True

    # -- elimination --------------------------------------------------------------------------------
    def refresh(self) -> None:
        if not self.dirty:
            return
        n = self.n
        fixed = self.pinned.copy()
        x = np.zeros(n)
        parent = np.full(n, -1, dtype=np.int64)
        shown_idx = np.flatnonzero(self.shown)
        A = self.A[shown_idx]
        P = self.P[shown_idx]
        b = self.b[shown_idx]
        nonneg = self.nonneg[shown_idx]
        scale = self.scale[shown_idx]
        while True:
            free = (~fixed).astype(float)
            cnt = P @ free
            single = np.flatnonzero(np.abs(cnt - 1.0) < 0.5)
            if single.size == 0:
                # a sum of non-negative cells that is 0: every cell in it is 0
                zero = np.flatnonzero((cnt > 1.5) & nonneg & (np.abs(b - A @ x) <= 1e-9 * scale))
                if zero.size == 0:
                    break
                sub = A[zero].multiply(free[None, :]).tocoo()
                ok = sub.data != 0
                c_u, first = np.unique(sub.col[ok], return_index=True)
                x[c_u] = 0.0
                fixed[c_u] = True
                parent[c_u] = shown_idx[zero[sub.row[ok][first]]]
                continue
            rhs = b[single] - A[single] @ x
            sub = A[single].multiply(free[None, :]).tocoo()
            ok = sub.data != 0
            r, c, v = sub.row[ok], sub.col[ok], sub.data[ok]
            c_u, first = np.unique(c, return_index=True)
            x[c_u] = rhs[r[first]] / v[first]
            fixed[c_u] = True
            parent[c_u] = shown_idx[single[r[first]]]
        free = (~fixed).astype(float)
        cnt = P @ free
        resid = b - A @ x
        bad = (cnt < 0.5) & (np.abs(resid) > 1e-6 * self.scale[shown_idx])
        if bad.any() or (x[fixed] < -1e-6 * np.maximum(1.0, np.abs(x[fixed]))).any():
            raise KlyngedataError(
                "disclosure: the published figures are not consistent with their definitions (a total is not "
                "the sum of its parts, or a count would be negative); check the input for strata or periods "
                "that do not add up"
            )
        self.fixed, self.x, self.parent = fixed, x, parent
        # components of the free latent cells joined by shown facts and inequalities
        eq_rows = shown_idx[cnt >= 0.5]
        Ae = self.A[eq_rows].multiply(free[None, :]).tocoo()
        Gi = self.G.multiply(free[None, :]).tocoo() if self.G.shape[0] else sp.coo_matrix((0, n))
        k = len(self.b)
        rows = np.concatenate([Ae.col, Gi.col])
        cols = np.concatenate([n + eq_rows[Ae.row], n + k + Gi.row])
        size = n + k + self.G.shape[0]
        graph = sp.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(size, size))
        _, labels = _csgraph.connected_components(graph, directed=False)
        self.var_label = labels[:n]
        self.fact_label = labels[n:n + k]
        self.ineq_label = labels[n + k:]
        self.eq_active = np.zeros(k, dtype=bool)
        self.eq_active[eq_rows] = True
        self.dirty = False

    # -- one maximisation ---------------------------------------------------------------------------
    def _problem(self, f: sp.csr_matrix) -> tuple | float:
        """The reduced problem ``max f x`` (unknowns, facts, inequalities, matrices), or its value if
        ``f`` is determined."""
        self.refresh()
        fv = f.indices
        coef = f.data
        nonpinned = fv[~self.pinned[fv]]
        extra = nonpinned[self.fixed[nonpinned]]  # determined by elimination: kept as unknowns here
        free_f = nonpinned[~self.fixed[nonpinned]]
        labels = set(self.var_label[free_f].tolist())
        if extra.size:
            # facts/inequalities containing the determined cells, and the components of their free cells
            touch = np.unique(self.At[extra].indices)
            touch = touch[self.shown[touch]]
            free_mask = ~self.fixed
            for k in touch:
                cols = self.A.indices[self.A.indptr[k]:self.A.indptr[k + 1]]
                labels.update(self.var_label[cols[free_mask[cols]]].tolist())
            gtouch = np.unique(self.Gt[extra].indices) if self.G.shape[0] else np.zeros(0, dtype=np.int64)
            for i in gtouch:
                cols = self.G.indices[self.G.indptr[i]:self.G.indptr[i + 1]]
                labels.update(self.var_label[cols[free_mask[cols]]].tolist())
        else:
            touch = np.zeros(0, dtype=np.int64)
            gtouch = np.zeros(0, dtype=np.int64)
        if not labels and extra.size == 0:
            return float((f @ self.x)[0])
        lab = np.fromiter(labels, dtype=np.int64) if labels else np.zeros(0, dtype=np.int64)
        in_lab = np.isin(self.var_label, lab) & ~self.fixed
        V = np.union1d(np.flatnonzero(in_lab), extra)
        E = np.union1d(np.flatnonzero(self.eq_active & np.isin(self.fact_label, lab)), touch)
        I_ = np.union1d(np.flatnonzero(np.isin(self.ineq_label, lab)), gtouch) if self.G.shape[0] else gtouch
        x0 = self.x.copy()
        x0[V] = 0.0  # the unknowns of this problem
        A_e = self.A[E]
        b_e = self.b[E] - A_e @ x0
        A_e = A_e[:, V]
        if len(I_):
            G_i = self.G[I_]
            h_i = self.h[I_] - G_i @ x0
            G_i = G_i[:, V]
        else:
            G_i, h_i = sp.csr_matrix((0, len(V))), np.zeros(0)
        c = np.zeros(len(V))
        pos = np.searchsorted(V, fv)
        hit = (pos < len(V)) & (V[np.minimum(pos, len(V) - 1)] == fv)
        c[pos[hit]] = -coef[hit]
        const = float(coef[~hit] @ x0[fv[~hit]])
        return V, E, I_, c, const, A_e, b_e, G_i, h_i, self.upper[V]

    def determined(self, f: sp.csr_matrix) -> float | None:
        """The value of ``f`` if the shown facts determine every latent cell in it (elimination), else None."""
        self.refresh()
        if self.fixed[f.indices].all():
            return float((f @ self.x)[0])
        return None

    def maximise(self, f: sp.csr_matrix, want_duals: bool = True) -> tuple[float, np.ndarray, np.ndarray]:
        """``max f x`` over the reader's knowledge; returns (max, binding facts, binding inequalities)."""
        none = np.zeros(0, dtype=np.int64)
        prob = self._problem(f)
        if not isinstance(prob, tuple):
            return prob, none, none
        V, E, I_, c, const, A_e, b_e, G_i, h_i, ub = prob
        res = _optimize.linprog(c, A_ub=G_i if len(I_) else None, b_ub=h_i if len(I_) else None,
                      A_eq=A_e if len(E) else None, b_eq=b_e if len(E) else None,
                      bounds=np.column_stack([np.zeros(len(V)), ub]), method="highs")
        if res.status == 3:
            return np.inf, none, none
        if res.status == 2:
            raise KlyngedataError("disclosure: the published figures are not consistent with their definitions")
        if res.status != 0:
            # numerical trouble: report 'not protected' with every fact of the problem as binding
            return -np.inf, E, I_
        value = const - float(res.fun)
        if not want_duals:
            return value, none, none
        eq_m = np.asarray(res.eqlin.marginals) if len(E) else np.zeros(0)
        in_m = np.asarray(res.ineqlin.marginals) if len(I_) else np.zeros(0)
        return value, E[np.abs(eq_m) > 1e-9], (I_[np.abs(in_m) > 1e-9] if len(in_m) else I_[:0])

    def maximise_point(self, f: sp.csr_matrix) -> tuple[float, tuple[np.ndarray, np.ndarray] | None]:
        """``max f x`` and the change of the latent cells at the maximum, ``(cells, new - x0)`` (None if
        unbounded or determined)."""
        prob = self._problem(f)
        if not isinstance(prob, tuple):
            return prob, None
        V, E, I_, c, const, A_e, b_e, G_i, h_i, ub = prob
        res = _optimize.linprog(c, A_ub=G_i if len(I_) else None, b_ub=h_i if len(I_) else None,
                      A_eq=A_e if len(E) else None, b_eq=b_e if len(E) else None,
                      bounds=np.column_stack([np.zeros(len(V)), ub]), method="highs")
        if res.status == 3:
            return np.inf, None
        if res.status == 2:
            raise KlyngedataError("disclosure: the published figures are not consistent with their definitions")
        if res.status != 0:
            return -np.inf, None
        return const - float(res.fun), (V, res.x)

    def feasible_point(self) -> np.ndarray:
        """Latent values satisfying every shown fact and inequality (the determined ones exactly)."""
        self.refresh()
        x = self.x.copy()
        V = np.flatnonzero(~self.fixed)
        if V.size == 0:
            return x
        E = np.flatnonzero(self.eq_active)
        A_e = self.A[E]
        b_e = self.b[E] - A_e @ x
        G_i, h_i = None, None
        if self.G.shape[0]:
            G_i = self.G[:, V]
            h_i = self.h - self.G @ x
        ub = self.upper[V]
        res = _optimize.linprog(np.zeros(len(V)), A_ub=G_i, b_ub=h_i, A_eq=A_e[:, V] if len(E) else None,
                      b_eq=b_e if len(E) else None, bounds=np.column_stack([np.zeros(len(V)), ub]),
                      method="highs")
        if res.status != 0:
            raise KlyngedataError("disclosure: the data are not consistent with their definitions (no solution)")
        x[V] = res.x
        return x

    def protection(self, fs: list[sp.csr_matrix], J: np.ndarray, x0: np.ndarray, target: float,
                   weight: np.ndarray, candidate: np.ndarray) -> tuple[np.ndarray, float, list] | None:
        """Cheapest shown rows whose hiding lets every ``f`` in ``fs`` reach ``target``: for each ``f`` a change
        ``y_f`` of the latent cells ``J`` keeping ``x0 + y_f`` feasible with ``f (x0 + y_f) >= target``; a shown
        row changed by any ``y_f`` must be hidden; minimise the weighted changes. Returns (rows, cost, the
        changes ``(J, y_f)``) or ``None`` if there is no such change within ``J``."""
        J = np.asarray(J, dtype=np.int64)
        J = J[~self.pinned[J]]
        if J.size == 0:
            return None
        touch = np.unique(self.At[J].indices)
        touch = touch[self.shown[touch]]
        A_t = self.A[touch][:, J]
        rows_t = self.fact_row[touch]
        is_c = candidate[rows_t]
        ur, zi = np.unique(rows_t[is_c], return_inverse=True)
        nJ, nz, k = len(J), len(ur), len(fs)
        Ac = A_t[np.flatnonzero(is_c)]
        An = A_t[np.flatnonzero(~is_c)]
        Z = sp.csr_matrix((np.ones(len(zi)), (np.arange(len(zi)), zi)), shape=(len(zi), nz))
        gt = np.unique(self.Gt[J].indices) if self.G.shape[0] else np.zeros(0, dtype=np.int64)
        G_t = self.G[gt][:, J] if gt.size else None
        ub_rows, ub_rhs, eq_rows = [], [], []
        for i, f in enumerate(fs):
            def place(m: sp.spmatrix, i: int = i) -> sp.csr_matrix:
                # the block of y_i among the k blocks of y, then the z columns
                left = sp.csr_matrix((m.shape[0], i * nJ))
                right = sp.csr_matrix((m.shape[0], (k - 1 - i) * nJ))
                return sp.hstack([left, m, right]).tocsr()

            pos = np.searchsorted(J, f.indices)
            hit = (pos < nJ) & (J[np.minimum(pos, nJ - 1)] == f.indices)
            if not hit.any():
                return None
            frow = sp.csr_matrix((-f.data[hit], (np.zeros(hit.sum(), dtype=np.int64), pos[hit])), shape=(1, nJ))
            ub_rows += [sp.hstack([place(Ac), -Z]), sp.hstack([place(-Ac), -Z]),
                        sp.hstack([place(frow), sp.csr_matrix((1, nz))])]
            ub_rhs += [np.zeros(len(zi)), np.zeros(len(zi)), np.array([float((f @ x0)[0]) - target])]
            if G_t is not None:
                ub_rows.append(sp.hstack([place(G_t), sp.csr_matrix((len(gt), nz))]))
                ub_rhs.append(self.h[gt] - self.G[gt] @ x0)
            if An.shape[0]:
                eq_rows.append(sp.hstack([place(An), sp.csr_matrix((An.shape[0], nz))]))
        A_eq = sp.vstack(eq_rows).tocsr() if eq_rows else None
        lo = np.tile(-x0[J], k)
        hi = np.tile(self.upper[J] - x0[J], k)
        bounds = np.vstack([np.column_stack([lo, hi]), np.column_stack([np.zeros(nz), np.full(nz, np.inf)])])
        c = np.concatenate([np.zeros(k * nJ), weight[ur]])
        res = _optimize.linprog(c, A_ub=sp.vstack(ub_rows).tocsr(), b_ub=np.concatenate(ub_rhs), A_eq=A_eq,
                      b_eq=np.zeros(A_eq.shape[0]) if A_eq is not None else None, bounds=bounds, method="highs")
        if res.status != 0:
            return None
        z = res.x[k * nJ:]
        points = [(J, res.x[i * nJ:(i + 1) * nJ]) for i in range(k)]
        return ur[z > 1e-7 * max(1.0, float(np.abs(z).max(initial=0.0)))], float(res.fun), points

    # -- which shown rows to hide ---------------------------------------------------------------------
    def candidates(self, facts: np.ndarray, ineqs: np.ndarray) -> list[int]:
        """Rows binding a maximum: the rows of the binding facts (and of facts parallel to them), plus the
        rows that determine the latent cells of the smallest of those facts and of binding inequalities."""
        self.refresh()
        rows: set[int] = set()
        sources: list[np.ndarray] = []
        free = ~self.fixed
        for k in facts:
            cols = self.A.indices[self.A.indptr[k]:self.A.indptr[k + 1]]
            key = cols[free[cols]]
            # facts with the same unknowns (e.g. a cluster, its region and Denmark around one hidden cell)
            par = [k]
            if key.size:
                hits, counts = np.unique(self.At[key].indices, return_counts=True)
                hits = hits[(counts == key.size) & self.shown[hits]]
                par += [p for p in hits if p != k and self._free_cols(p).size == key.size]
            rows.update(int(self.fact_row[p]) for p in par)
            smallest = min(par, key=lambda p: self.A.indptr[p + 1] - self.A.indptr[p])
            sources.append(self.A.indices[self.A.indptr[smallest]:self.A.indptr[smallest + 1]])
        for i in ineqs:
            sources.append(self.G.indices[self.G.indptr[i]:self.G.indptr[i + 1]])
        for cols in sources:
            par = self.parent[cols]
            rows.update(int(self.fact_row[p]) for p in par[par >= 0])
        return sorted(rows)

    def _free_cols(self, k: int) -> np.ndarray:
        cols = self.A.indices[self.A.indptr[k]:self.A.indptr[k + 1]]
        return cols[~self.fixed[cols]]


def _as_row(f: np.ndarray | sp.spmatrix, n: int) -> sp.csr_matrix:
    m = sp.csr_matrix(np.atleast_2d(f) if not sp.issparse(f) else f, dtype=float)
    m.eliminate_zeros()
    if m.shape != (1, n):
        raise KlyngedataError(f"disclosure: a function must have {n} coefficients, got shape {m.shape}")
    m.sort_indices()
    return m


def max_value(table: LinearTable, hidden: np.ndarray, f: np.ndarray | sp.spmatrix) -> float:
    """Largest value of ``f @ x`` consistent with every fact of the rows not ``hidden`` (inf if unbounded)."""
    system = _System(table)
    system.set_hidden(np.asarray(hidden, dtype=bool))
    return system.maximise(_as_row(f, table.n_vars), want_duals=False)[0]


def feasible_interval(table: LinearTable, hidden: np.ndarray, f: np.ndarray | sp.spmatrix) -> tuple[float, float]:
    """``(min, max)`` of ``f @ x`` consistent with every fact of the rows not ``hidden``.

    Example: see the module docstring.
    """
    system = _System(table)
    system.set_hidden(np.asarray(hidden, dtype=bool))
    g = _as_row(f, table.n_vars)
    hi = system.maximise(g, want_duals=False)[0]
    lo = 0.0 - system.maximise(-g, want_duals=False)[0]
    return float(lo) + 0.0, float(hi)
