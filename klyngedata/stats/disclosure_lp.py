"""Cell suppression over linear relations, checked with linear programming (the disclosure engine).

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
    a single value or an interval within ``1 … t-1``.

Algorithm
    Primary: every row owning a sensitive function with a value in ``(0, t)`` is hidden. Then, for every
    sensitive function that is hidden (or never published), the maximum is computed by linear programming
    (HiGHS through :func:`scipy.optimize.linprog`) over the shown facts; while it is below ``t`` one more
    shown row is hidden (secondary suppression), chosen among the rows that bind the maximum (non-zero dual
    values, plus the rows that determine the latent cells those constraints contain) – cheapest first by
    ``row_cost`` (positive weights from the caller: e.g. municipality before cluster, strata before totals,
    small before large). Hiding only relaxes constraints, so a function once protected stays protected and
    one pass suffices.

    Before that greedy step, a *protection problem* (the linear model of Fischetti & Salazar for cell
    suppression) looks for the cheapest pattern at once: a change ``y`` of the latent cells that keeps every
    latent cell non-negative and every inequality true, moves the count to the threshold, and changes
    shown rows as little as possible (weighted by ``row_cost``); the rows that change are hidden. In a
    table with margins this finds the classic patterns (a 2 x 2 rectangle, a 2 x 2 x 2 cube) instead of a
    chain of single cells. It is solved first among the units that share a small published cell with the
    count (e.g. its cluster and region), then in the whole group (see ``var_unit``/``var_group``).

    Speed: before every solve, latent cells that a shown fact determines alone (a fact with a single unknown)
    are fixed, repeatedly (the elimination); what remains splits into independent components and each
    solve uses only the components of the function at hand.

The solver works on the linear-programming relaxation (integrality is not used), the usual choice for
audits of tabular data: a reader using integrality could in rare cases (non-integer weights) narrow an
interval further.

Example (constructed): a total of 20 = 3 + 7 + 10 over three latent cells; 3 is primary, and hiding the
cheapest binding row (7) leaves the first cell anywhere in ``0 … 10``.

>>> import numpy as np, scipy.sparse as sp
>>> facts = sp.csr_matrix(np.array([[1, 1, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=float))
>>> table = LinearTable(n_vars=3, n_rows=4, facts=facts, fact_values=np.array([20.0, 3, 7, 10]),
...                     fact_row=np.arange(4), sensitive=facts, sensitive_values=np.array([20.0, 3, 7, 10]),
...                     sensitive_row=np.arange(4), row_cost=np.array([4.0, 1, 2, 3]))
>>> res = suppress_linear(table, threshold=5)
>>> res.primary.tolist(), res.hidden.tolist()
([False, True, False, False], [False, True, True, False])
>>> feasible_interval(table, res.hidden, np.array([1.0, 0, 0]))
(0.0, 10.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from klyngedata.exceptions import KlyngedataError

__all__ = ["LinearTable", "SuppressionResult", "feasible_interval", "max_value", "suppress_linear"]

_TOL = 1e-7


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


@dataclass
class SuppressionResult:
    """``primary``/``hidden`` per row (hidden = primary, secondary and rows hidden from the start)."""

    primary: np.ndarray
    hidden: np.ndarray
    n_solves: int = 0
    log: list[str] = field(default_factory=list)

    @property
    def secondary(self) -> np.ndarray:
        return self.hidden & ~self.primary


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
        _, labels = connected_components(graph, directed=False)
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
        res = linprog(c, A_ub=G_i if len(I_) else None, b_ub=h_i if len(I_) else None,
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
        res = linprog(c, A_ub=G_i if len(I_) else None, b_ub=h_i if len(I_) else None,
                      A_eq=A_e if len(E) else None, b_eq=b_e if len(E) else None,
                      bounds=np.column_stack([np.zeros(len(V)), ub]), method="highs")
        if res.status == 3:
            return np.inf, None
        if res.status == 2:
            raise KlyngedataError("disclosure: the published figures are not consistent with their definitions")
        if res.status != 0:
            return -np.inf, None
        return const - float(res.fun), (V, res.x)

    def maximise_many(self, fs: list[sp.csr_matrix], cap: float) -> np.ndarray:
        """``max f x`` for several functions in one solve (independent copies of their problems side by
        side); a maximum above ``cap`` is reported as ``cap`` or more (unbounded problems are capped)."""
        out = np.full(len(fs), np.nan)
        probs = []
        for i, f in enumerate(fs):
            prob = self._problem(f)
            if isinstance(prob, tuple):
                probs.append((i, prob))
            else:
                out[i] = prob
        start = 0
        while start < len(probs):
            # batches of at most ~20000 unknowns
            stop, size = start, 0
            while stop < len(probs) and (stop == start or size + len(probs[stop][1][0]) <= 20000):
                size += len(probs[stop][1][0])
                stop += 1
            chunk = probs[start:stop]
            start = stop
            c = np.concatenate([p[3] for _, p in chunk])
            A_eq = sp.block_diag([p[5] for _, p in chunk], format="csr")
            b_eq = np.concatenate([p[6] for _, p in chunk])
            A_ub = sp.block_diag([p[7] for _, p in chunk], format="csr")
            b_ub = np.concatenate([p[8] for _, p in chunk])
            big = cap * 1e3 + 1e6
            ub = np.minimum(np.concatenate([p[9] for _, p in chunk]), big)
            res = linprog(c, A_ub=A_ub if A_ub.shape[0] else None, b_ub=b_ub if A_ub.shape[0] else None,
                          A_eq=A_eq if A_eq.shape[0] else None, b_eq=b_eq if A_eq.shape[0] else None,
                          bounds=np.column_stack([np.zeros(len(c)), ub]), method="highs")
            if res.status == 2:
                raise KlyngedataError("disclosure: the published figures are not consistent with their definitions")
            if res.status != 0:
                for i, _ in chunk:  # numerical trouble: one at a time
                    out[i] = self.maximise(fs[i], want_duals=False)[0]
                continue
            pos = 0
            for i, p in chunk:
                n = len(p[0])
                out[i] = p[4] - float(p[3] @ res.x[pos:pos + n])
                pos += n
        return out

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
        res = linprog(np.zeros(len(V)), A_ub=G_i, b_ub=h_i, A_eq=A_e[:, V] if len(E) else None,
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
        res = linprog(c, A_ub=sp.vstack(ub_rows).tocsr(), b_ub=np.concatenate(ub_rhs), A_eq=A_eq,
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


def _row_sensitive(table: LinearTable) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    n = int(table.n_vars)
    S = _csr(table.sensitive, n)
    vals = np.asarray(table.sensitive_values if table.sensitive_values is not None else np.zeros(S.shape[0]),
                      dtype=float)
    owner = np.asarray(table.sensitive_row if table.sensitive_row is not None else np.full(S.shape[0], -1),
                       dtype=np.int64)
    if not (len(vals) == len(owner) == S.shape[0]):
        raise KlyngedataError("disclosure: sensitive functions, values and rows differ in length")
    return S, vals, owner


def _is_small(values: np.ndarray, threshold: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (values > 1e-9) & (values < threshold - 1e-6)


def suppress_linear(table: LinearTable, threshold: int = 5, hidden: np.ndarray | None = None,
                    max_solves: int = 200_000) -> SuppressionResult:
    """Primary and LP-checked secondary suppression of ``table`` (see the module docstring).

    ``hidden``: rows hidden from the start (e.g. the pattern of a lower threshold, so that patterns for
    several thresholds are nested). Raises :class:`KlyngedataError` if a sensitive function cannot be
    protected by hiding candidate rows.

    Example: see the module docstring.
    """
    if threshold < 1:
        raise KlyngedataError(f"disclosure: threshold must be >= 1, got {threshold}")
    R = int(table.n_rows)
    S, vals, owner = _row_sensitive(table)
    small = _is_small(vals, threshold)
    primary = np.zeros(R, dtype=bool)
    primary[owner[small & (owner >= 0)]] = True
    start = np.zeros(R, dtype=bool) if hidden is None else np.asarray(hidden, dtype=bool).copy()
    hid = start | primary
    cost = np.zeros(R) if table.row_cost is None else np.asarray(table.row_cost, dtype=float)
    cand = np.ones(R, dtype=bool) if table.row_candidate is None else np.asarray(table.row_candidate, dtype=bool)
    system = _System(table)
    if table.point is not None:
        x0 = np.asarray(table.point, dtype=float)
    else:
        system.set_hidden(np.zeros(R, dtype=bool))
        x0 = system.feasible_point()
    system.set_hidden(hid)
    weight = np.maximum(cost, 1e-6)
    local = _Locality(table, system)
    pool = _Pool(x0)
    todo = [i for i in np.flatnonzero(small) if owner[i] < 0 or hid[owner[i]]]
    todo.sort(key=lambda i: (vals[i], i))
    fs = {i: _rows_of(S, i) for i in todo}
    log: list[str] = []
    solves = 0
    ok = threshold - 1e-6
    # the counts of one row (numerator, denominator, complement) are protected together
    by_row: dict[int, list[int]] = {}
    for i in todo:
        by_row.setdefault(int(owner[i]) if owner[i] >= 0 else -1 - int(i), []).append(i)
    for _key, items in by_row.items():
        pending = []
        for i in items:
            value = system.determined(fs[i])
            if value is None:
                # a point found earlier (still consistent with everything shown) may already show it
                value = pool.best(fs[i])
                if value < ok:
                    value, point = system.maximise_point(fs[i])
                    solves += 1
                    pool.add(point)
            if value < ok:
                pending.append(i)
        if not pending:
            continue
        # the cheapest pattern, first among the nearest units; a pattern that had to change a sum
        # wider than its neighbourhood is compared with the next neighbourhood
        best = None
        for J, limit in local.neighbourhoods([fs[i] for i in pending]):
            found = system.protection([fs[i] for i in pending], J, x0, threshold + 1e-3, weight, cand & ~hid)
            solves += 1
            if found is None:
                continue
            if best is None or found[1] < best[1] - 1e-9:
                best = found
            if local.within(best[0], limit):
                break
        if best is not None:
            rows = best[0]
            for point in best[2]:
                pool.add(point, absolute=False)  # consistent once the pattern's rows are hidden
            if len(rows):
                hid[rows] = True
                for r in rows:
                    system.hide(int(r))
                log.append(f"functions {pending}: pattern hides rows {rows.tolist()}")
            # a pattern is a certificate: the changed point is consistent with every figure still shown
            continue
        # no pattern found: rows hidden one at a time, from the constraints that bind the maximum
        for i in pending:
            f = fs[i]
            while True:
                value, facts, ineqs = system.maximise(f)
                solves += 1
                if value >= ok:
                    break
                if solves > max_solves:
                    raise KlyngedataError("disclosure: secondary suppression did not finish (too many solves)")
                rows = [r for r in system.candidates(facts, ineqs) if not hid[r] and cand[r]]
                if not rows:
                    # fall back to any shown candidate row of the facts of this problem
                    rows = [r for r in _problem_rows(system, f) if not hid[r] and cand[r]]
                if not rows:
                    raise KlyngedataError(
                        f"disclosure: a hidden count (sensitive function {i}) cannot be protected: it is "
                        "determined by figures that may not be hidden"
                    )
                r = min(rows, key=lambda r: (cost[r], r))
                hid[r] = True
                system.hide(r)
                log.append(f"function {i}: max {value:.6g} < {threshold}; hide row {r}")
    return SuppressionResult(primary=primary, hidden=hid, n_solves=solves, log=log)


class _Pool:
    """Points consistent with everything shown so far (they stay consistent: hiding only relaxes), as
    changes of a few latent cells from ``x0``; a count that reaches the threshold at one of them is
    protected without solving anything."""

    def __init__(self, x0: np.ndarray, size: int = 400) -> None:
        self.x0 = x0
        self.points: list[sp.csr_matrix] = []
        self.matrix: sp.csr_matrix | None = None
        self.size = size

    def add(self, point: tuple[np.ndarray, np.ndarray] | None, absolute: bool = True) -> None:
        if point is None:
            return
        cells, values = point
        delta = values - self.x0[cells] if absolute else values
        keep = np.abs(delta) > 1e-12
        if not keep.any():
            return
        row = sp.csr_matrix((delta[keep], (np.zeros(keep.sum(), dtype=np.int64), cells[keep])),
                            shape=(1, len(self.x0)))
        self.points.append(row)
        self.points = self.points[-self.size:]
        self.matrix = None

    def best(self, f: sp.csr_matrix) -> float:
        base = float((f @ self.x0)[0])
        if not self.points:
            return base
        if self.matrix is None:
            self.matrix = sp.vstack(self.points).tocsc()
        gains = self.matrix[:, f.indices] @ f.data
        return base + max(0.0, float(np.max(gains)))


class _Locality:
    """Neighbourhoods of a count for the protection problem (see :class:`LinearTable` ``var_unit``)."""

    def __init__(self, table: LinearTable, system: _System, span: int = 40) -> None:
        n = int(table.n_vars)
        self.unit = (np.zeros(n, dtype=np.int64) if table.var_unit is None
                     else np.asarray(table.var_unit, dtype=np.int64))
        self.group = (np.zeros(n, dtype=np.int64) if table.var_group is None
                      else np.asarray(table.var_group, dtype=np.int64))
        self.system = system
        A = system.A
        # number of distinct units per fact
        coo = A.tocoo()
        pairs = np.unique(np.column_stack([coo.row, self.unit[coo.col]]), axis=0) if coo.nnz else np.zeros((0, 2))
        self.span = np.bincount(pairs[:, 0].astype(np.int64), minlength=A.shape[0]) if len(pairs) else \
            np.zeros(A.shape[0], dtype=np.int64)
        self.limit = span

    def neighbourhoods(self, fs: list[sp.csr_matrix]) -> list[tuple[np.ndarray, int]]:
        """Latent cells to look for a pattern in, smallest first: the units of the counts with the units of
        the smallest published sums across units containing them (e.g. a cluster), then every unit in a
        published sum of at most ``span`` units (e.g. the region), then the whole group. Each with the
        largest span of a sum that a pattern may change without looking further."""
        vars_f = np.unique(np.concatenate([f.indices for f in fs]))
        groups = np.unique(self.group[vars_f])
        in_group = np.flatnonzero(np.isin(self.group, groups))
        facts = np.unique(self.system.At[vars_f].indices)
        span = self.span[facts]
        own = set(self.unit[vars_f].tolist())
        out = []
        multi = span[span >= 2]
        for limit in ([int(multi.min())] if multi.size else []) + [self.limit]:
            units = set(own)
            for k in facts[span <= limit]:
                cols = self.system.A.indices[self.system.A.indptr[k]:self.system.A.indptr[k + 1]]
                units.update(self.unit[cols].tolist())
            near = in_group[np.isin(self.unit[in_group], np.fromiter(units, dtype=np.int64))]
            if not out or len(near) > len(out[-1][0]):
                out.append((near, limit))
        if not out or len(out[-1][0]) < len(in_group):
            out.append((in_group, 1 << 30))
        return out

    def within(self, rows: np.ndarray, limit: int) -> bool:
        """True if no fact of ``rows`` sums more than ``limit`` units."""
        return all((self.span[self.system.row_facts(int(r))] <= limit).all() for r in rows)


def _problem_rows(system: _System, f: sp.csr_matrix) -> list[int]:
    """All rows with a shown fact touching the latent cells of ``f`` or their components."""
    system.refresh()
    lab = system.var_label[f.indices]
    facts = np.flatnonzero(system.shown & (np.isin(system.fact_label, lab) |
                                           np.isin(np.arange(len(system.b)), system.At[f.indices].indices)))
    return sorted({int(system.fact_row[k]) for k in facts})


def _as_row(f: np.ndarray | sp.spmatrix, n: int) -> sp.csr_matrix:
    m = sp.csr_matrix(np.atleast_2d(f) if not sp.issparse(f) else f, dtype=float)
    m.eliminate_zeros()
    if m.shape != (1, n):
        raise KlyngedataError(f"disclosure: a function must have {n} coefficients, got shape {m.shape}")
    m.sort_indices()
    return m


def _rows_of(S: sp.csr_matrix, i: int) -> sp.csr_matrix:
    f = S[i]
    f.sort_indices()
    return f


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
