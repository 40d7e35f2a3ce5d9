"""Compute once per batch what the reports of a batch share; each notebook reads its unit's tables.

Every report of a batch asks for results that are the same for many reports: the key figures of its unit
(both notebooks), its health indicators, and — in the key-figure report — the indicators and key figures of
every unit of the division (the barometer) and the peer features (the most similar units). Computed per
report, the division-wide tables alone are most of a report's cost. A batch computes them once per division
(:func:`precompute`) and stores each table in a private temporary directory; the runner gives the kernels
its location in ``$KLYNGEDATA_BATCH_TABLES``, and :class:`~klyngedata.reports.ClusterReport` reads a table
with :func:`read_table` instead of computing it.

Same content by construction: each table is the result of the very call the notebook makes, with the same
arguments (the unit's key figures from one load of the division's population, done exactly as
:func:`klyngedata.keyfigures.key_figures` loads it; a unit's indicators are the division's indicators cut to
the unit, as :func:`klyngedata.indicators.indicator_figures` itself selects them). Tables are stored with
``pickle`` (frames, their ``attrs`` and pandas periods round-trip exactly) in a directory only this user can
read, made and deleted by the batch. A table made for another division, period or data directory is not
used; whatever could not be computed is left out, and the notebook computes it (and fails or explains
itself) exactly as it would have without the batch.

Reports start before every table is ready: the runner marks the tables it will compute (:func:`announce`), a
report that needs a marked table waits for it (:func:`read_table`), and each mark is removed when its table is
stored or its job ends (:func:`compute_job`, :func:`release`) — so a report never waits for a table that will
not come.

Example
-------
>>> needed_kinds(["befolkningsdashboard"])
['keyfigures']
"""

from __future__ import annotations

import logging
import os
import pickle
import time
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from klyngedata import settings

log = logging.getLogger(__name__)

ENV_TABLES = settings.VARIABLES["batch_tables"]
"""Directory of the batch's tables (set by the runner for the report kernels)."""

KINDS_BY_NOTEBOOK: dict[str, tuple[str, ...]] = {
    "befolkningsdashboard": ("keyfigures",),
    "noegletalsrapport": ("keyfigures", "indicators", "division_indicators", "division_keyfigures",
                          "peer_features"),
}
"""Which tables each report notebook reads (other notebooks: none)."""

DIVISION_WIDE = ("division_indicators", "division_keyfigures", "peer_features")
"""Tables of a whole division (stored under the division's id instead of a unit's)."""

KINDS_ORDER = ("keyfigures", "indicators", "division_indicators", "division_keyfigures", "peer_features")
"""The order a batch computes the kinds in: first what the population dashboards need."""


def needed_kinds(notebooks: Iterable[str]) -> list[str]:
    """The kinds of table the ``notebooks`` read (see :data:`KINDS_BY_NOTEBOOK`)."""
    kinds = {k for nb in notebooks for k in KINDS_BY_NOTEBOOK.get(nb, ())}
    return [k for k in KINDS_ORDER if k in kinds]


def _root(data_dir: str | os.PathLike[str] | None) -> str:
    from klyngedata.cache import Cache

    return str(Cache(data_dir).root)


def _path(tables_dir: str | os.PathLike[str], kind: str, key: str) -> Path:
    return Path(tables_dir) / f"{kind}--{key}.pickle"


WAIT_SECONDS = 900.0
"""How long a report waits for a table the batch announced (:func:`announce`) before computing it itself."""


def _pending(tables_dir: str | os.PathLike[str], kind: str, key: str) -> Path:
    return Path(tables_dir) / f"{kind}--{key}.pending"


def job_tables(job: tuple) -> list[tuple[str, str]]:
    """The tables ``(kind, key)`` a job of :func:`plan` stores (if it can compute them)."""
    kinds, division, ids = job
    return [(kind, division) if kind in DIVISION_WIDE else (kind, uid) for kind in kinds
            for uid in ((division,) if kind in DIVISION_WIDE else ids)]


def announce(jobs: Iterable[tuple], tables_dir: str | os.PathLike[str]) -> None:
    """Mark the tables of ``jobs`` as coming: a report that needs one of them waits for it (:func:`read_table`)
    instead of computing it, so reports can start while the batch still computes the tables they do not need.
    Every mark is removed when its table is stored or its job ends (:func:`compute_job`), and by
    :func:`release`."""
    for job in jobs:
        for kind, key in job_tables(job):
            _pending(tables_dir, kind, key).touch()


def release(tables_dir: str | os.PathLike[str]) -> None:
    """Remove every mark of a coming table (the batch computes nothing more: waiting reports compute it)."""
    for marker in Path(tables_dir).glob("*.pending"):
        marker.unlink(missing_ok=True)


def _store(tables_dir, kind: str, key: str, frame: pd.DataFrame, meta: dict) -> None:
    target = _path(tables_dir, kind, key)
    tmp = target.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        pickle.dump({"meta": meta, "frame": frame}, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, target)


def plan(units: Sequence[tuple[str, str]], notebooks: Iterable[str]) -> list[tuple]:
    """The batch's tables as jobs ``(kinds, division, unit ids)``: one per division, for all its tables (one
    load of its population for the units' and the division's key figures, one computation of the indicators
    for the units' and the division's tables).

    Example
    -------
    >>> plan([("nordjylland-nord", "sundhedsklynger-2022"), ("nordjylland-syd", "sundhedsklynger-2022")],
    ...      ["befolkningsdashboard"])  # doctest: +NORMALIZE_WHITESPACE
    [(('keyfigures',), 'sundhedsklynger-2022', ('nordjylland-nord', 'nordjylland-syd'))]
    """
    kinds = tuple(needed_kinds(notebooks))
    by_division: dict[str, list[str]] = {}
    for uid, div in units:
        by_division.setdefault(div, [])
        if uid not in by_division[div]:
            by_division[div].append(uid)
    return [(kinds, division, tuple(ids)) for division, ids in by_division.items()]


def compute_job(job: tuple, *, period: str | None, data_dir: str | os.PathLike[str] | None,
                tables_dir: str | os.PathLike[str], shared: dict[str, object] | None = None) -> dict[str, float]:
    """Compute and store the tables of one job of :func:`plan` (in any process); seconds per kind.
    ``shared``: what the job's kinds share (the division's population and indicators), kept by the caller
    when it computes a division's kinds in several calls.

    Never raises: a table that cannot be computed is not stored (the notebook computes it and reports the
    problem itself), and its mark (:func:`announce`) is removed.
    """
    try:
        return _compute_job(job, period=period, data_dir=data_dir, tables_dir=tables_dir,
                            shared={} if shared is None else shared)
    finally:
        for kind, key in job_tables(job):
            _pending(tables_dir, kind, key).unlink(missing_ok=True)


def _compute_job(job: tuple, *, period: str | None, data_dir, tables_dir, shared: dict[str, object]
                 ) -> dict[str, float]:
    kinds, division, ids = job
    seconds: dict[str, float] = {}
    meta = {"period": period or "latest", "data_root": _root(data_dir), "division": division}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # each notebook shows (or logs) the warnings of its own data
        for kind in kinds:
            t0 = time.perf_counter()
            try:
                tables = _compute(kind, division, list(ids), period=period or "latest", data_dir=data_dir,
                                  shared=shared)
            except Exception as exc:  # noqa: BLE001 - the notebooks compute (and report) it themselves
                log.info("batch: %s of %s not precomputed (%s: %s)", kind, division, type(exc).__name__, exc)
                tables = {}
            for key, frame in tables.items():
                try:
                    _store(tables_dir, kind, key, frame, meta)
                except Exception as exc:  # noqa: BLE001 - not stored: the notebook computes it
                    log.info("batch: %s of %s not stored (%s)", kind, key, exc)
                _pending(tables_dir, kind, key).unlink(missing_ok=True)  # a waiting report reads it now
            seconds[kind] = seconds.get(kind, 0.0) + time.perf_counter() - t0
    return seconds


def precompute(units: Sequence[tuple[str, str]], notebooks: Iterable[str], *, period: str | None,
               data_dir: str | os.PathLike[str] | None, tables_dir: str | os.PathLike[str]) -> dict[str, float]:
    """Compute and store, in this process, the tables the ``notebooks`` of ``units`` ((unit id, division)
    pairs) read: every job of :func:`plan` (see :func:`compute_jobs`). Never raises. Returns the seconds
    spent per kind, for the batch's time breakdown.
    """
    return compute_jobs(plan(units, notebooks), period=period, data_dir=data_dir, tables_dir=tables_dir)


def compute_jobs(jobs: Sequence[tuple], *, period: str | None, data_dir: str | os.PathLike[str] | None,
                 tables_dir: str | os.PathLike[str]) -> dict[str, float]:
    """Compute and store the tables of ``jobs`` kind by kind in :data:`KINDS_ORDER` (every division's units'
    key figures first: all a population dashboard waits for), each division's population and indicators
    computed once. Never raises (see :func:`compute_job`); seconds per kind."""
    shared: dict[str, dict[str, object]] = {division: {} for _, division, _ in jobs}
    seconds: dict[str, float] = {}
    for kind in KINDS_ORDER:
        for kinds, division, ids in jobs:
            if kind in kinds:
                step = compute_job(((kind,), division, ids), period=period, data_dir=data_dir,
                                   tables_dir=tables_dir, shared=shared[division])
                for k, sec in step.items():
                    seconds[k] = seconds.get(k, 0.0) + sec
    return seconds


def _compute(kind: str, division: str, units: list[str], *, period: str, data_dir,
             shared: dict[str, object]) -> dict[str, pd.DataFrame]:
    """The tables of one kind for a division's units: {unit id or division id: frame}."""
    if kind == "keyfigures":
        from klyngedata.exceptions import DataNotAvailable
        from klyngedata.keyfigures.many import key_figures_many
        from klyngedata.keyfigures.pooling import _cached_projection, _load_frame

        # what key_figures(unit, period, division, data_dir) loads for every unit, loaded once; the units'
        # tables computed together (each equal to its key_figures call)
        population = _observed(division, data_dir, shared)
        projection = None
        if _cached_projection(data_dir):
            try:
                projection = _load_frame("projection", division, data_dir)
            except DataNotAvailable:
                projection = None
        errors: dict[str, Exception] = {}
        out = key_figures_many(units, period=period, division=division, population=population,
                               projection=projection, errors=errors)
        for unit, exc in errors.items():  # per unit: the notebook computes (and reports) it
            log.info("batch: key figures of %s not precomputed (%s)", unit, exc)
        return out
    if kind in ("indicators", "division_indicators"):
        from klyngedata.indicators import indicator_figures

        if "indicators" not in shared:
            try:
                shared["indicators"] = indicator_figures(level="cluster", division=division, data_dir=data_dir)
            except Exception as exc:  # noqa: BLE001 - raised again for the second kind, without recomputing
                shared["indicators"] = exc
        every = shared["indicators"]
        if isinstance(every, Exception):
            raise every
        if kind == "division_indicators":
            return {division: every}
        out = {}
        for unit in units:  # as indicator_figures(cluster=unit) selects its rows from the same table
            rows = every[every["entity_id"] == unit].reset_index(drop=True)
            rows.attrs = dict(every.attrs)
            out[unit] = rows
        return out
    if kind == "division_keyfigures":
        from klyngedata.division_figures import division_key_figures

        # as division_key_figures(division, period, data_dir) loads it (the same load as the units' key figures)
        return {division: division_key_figures(division, period, data_dir,
                                               population=_observed(division, data_dir, shared))}
    if kind == "peer_features":
        from klyngedata.peers import peer_features

        return {division: peer_features(division, "latest", data_dir)}
    raise ValueError(f"unknown table kind {kind!r}")


def _wait_for(path: Path, pending: Path) -> bool:
    """Wait while the batch still computes the table at ``path`` (its mark ``pending`` exists): True once it
    is stored, False when it will not come (mark removed without a table) or after :data:`WAIT_SECONDS`."""
    deadline = time.monotonic() + WAIT_SECONDS
    while pending.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
        if path.is_file():
            return True
    return path.is_file()


def _observed(division: str, data_dir, shared: dict[str, object]) -> pd.DataFrame:
    """The division's observed population frame, as key figures load it (once per job)."""
    from klyngedata.keyfigures.pooling import _load_frame

    if "population" not in shared:
        shared["population"] = _load_frame("observed", division, data_dir)
    return shared["population"]  # type: ignore[return-value]


def read_table(kind: str, key: str, *, division: str, period: str | None,
               data_dir: str | os.PathLike[str] | None) -> pd.DataFrame | None:
    """The batch's ``kind`` table of ``key`` (a unit id, or the division id for division-wide tables), or
    None: not in a batch, not computed, or made for another division, period or data directory (the caller
    then computes it).

    Example
    -------
    >>> read_table("keyfigures", "nordjylland-nord", division="sundhedsklynger-2022", period="latest",
    ...            data_dir=None) is None  # outside a batch
    True
    """
    where = settings.current().batch_tables
    if not where:
        return None
    path = _path(where, kind, key)
    if not path.is_file() and not _wait_for(path, _pending(where, kind, key)):
        return None
    try:
        with open(path, "rb") as fh:
            stored = pickle.load(fh)  # noqa: S301 - written by this batch into its private directory
    except Exception as exc:  # noqa: BLE001 - unreadable: compute instead
        log.warning("batch table %s not used: %s", path.name, exc)
        return None
    meta = stored.get("meta", {})
    if (meta.get("division"), meta.get("period"), meta.get("data_root")) != (
            division, period or "latest", _root(data_dir)):
        return None
    frame = stored["frame"]
    return frame if isinstance(frame, pd.DataFrame) else None
