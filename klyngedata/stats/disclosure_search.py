"""Primary and secondary suppression of a :class:`~klyngedata.stats.disclosure_lp.LinearTable`.

Algorithm
    Primary: every row owning a sensitive function with a value in ``(0, t)`` is hidden. Then, row by row,
    every hidden count of 1 … t-1 that the shown figures still pin below ``t`` (decided by the elimination,
    a pool of points already known to be consistent with everything shown, or one linear program) gets a
    *protection pattern*: the linear model of Fischetti & Salazar for cell suppression – a change ``y`` of
    the latent cells that keeps every latent cell non-negative and every inequality true, moves the count
    to the threshold, and changes shown rows as little as possible (weighted by ``row_cost``: e.g.
    municipality before cluster, strata before totals, small before large); the rows that change are
    hidden. In a table with margins this finds the classic patterns (a 2 x 2 rectangle, a 2 x 2 x 2 cube)
    instead of a chain of single cells. The pattern is looked for first among the units that share the
    smallest published sum with the count (e.g. its cluster), then more widely (``var_unit``/``var_group``).
    A pattern is a certificate (the changed point is consistent with every figure still shown), and hiding
    only relaxes constraints, so a count once protected stays protected and one pass suffices. If no
    pattern is found, rows are hidden one at a time from the constraints that bind the count's maximum
    (non-zero dual values, and the rows that determine their latent cells).

Example (constructed): a total of 20 = 3 + 7 + 10; 3 is primary and 7 is the cheapest row that protects it.

>>> import numpy as np, scipy.sparse as sp
>>> from klyngedata.stats.disclosure_lp import LinearTable
>>> facts = sp.csr_matrix(np.array([[1, 1, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=float))
>>> table = LinearTable(n_vars=3, n_rows=4, facts=facts, fact_values=np.array([20.0, 3, 7, 10]),
...                     fact_row=np.arange(4), sensitive=facts, sensitive_values=np.array([20.0, 3, 7, 10]),
...                     sensitive_row=np.arange(4), row_cost=np.array([4.0, 1, 2, 3]))
>>> res = suppress_linear(table, threshold=5)
>>> res.primary.tolist(), res.hidden.tolist()
([False, True, False, False], [False, True, True, False])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from klyngedata.exceptions import KlyngedataError
from klyngedata.lazy import module
from klyngedata.stats.disclosure_lp import LinearTable, _csr, _System

sp = module("scipy.sparse")  # imported when first needed

__all__ = ["SuppressionResult", "suppress_linear"]


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


def _rows_of(S: sp.csr_matrix, i: int) -> sp.csr_matrix:
    f = S[i]
    f.sort_indices()
    return f


