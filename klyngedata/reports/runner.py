"""Batch report generation: papermill over clusters x notebooks, HTML export, failure collection, index.

One report = one notebook executed for one cluster. :func:`run` validates the cluster ids against the registry
(unknown id -> :class:`~klyngedata.exceptions.LookupFailed` with the closest valid ids). Ids are unique across
divisions, so each id brings its own division: ``nordjylland-nord`` makes the 2022 cluster's report also after
the clusters ended (the summary notes that its division ended and names its successor councils), and
``sundhedsraad-fyn`` the council's. File names carry the id, so reports of different divisions never overwrite
each other. :func:`run` loads the data into
the local cache once (so notebooks read the cache instead of fetching per notebook), computes once what many
reports share (:mod:`klyngedata.reports.precompute`), executes every report with papermill in a pool of
``jobs`` processes, each keeping one warm kernel that is reset between reports
(:mod:`klyngedata.reports.kernels`), converts each executed notebook to HTML without code cells
(:mod:`klyngedata.reports.execute`, :mod:`klyngedata.reports.html`), writes it atomically to
``<out>/<cluster_id>-<notebook>.html`` and finally rewrites ``<out>/index.html``.

A failing report does not stop the others: its executed notebook is kept as
``<out>/_failed/<cluster_id>-<notebook>.ipynb`` and the failing cell's error is collected in the
:class:`RunResult`; a previously generated HTML report of the same cluster is left untouched.

Example
-------
Needs population data imported into the data directory (it makes the reports); not run as a doctest.
>>> from klyngedata.reports import run
>>> result = run(["nordjylland-nord"], out="reports", jobs=1)  # doctest: +SKIP
>>> result.ok, [r.html_path.name for r in result.results]  # doctest: +SKIP
(True, ['nordjylland-nord-befolkningsdashboard.html', 'nordjylland-nord-noegletalsrapport.html'])
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from klyngedata import clock, settings
from klyngedata.exceptions import ReportError
from klyngedata.reports.execute import (  # noqa: F401 - KERNEL_NAME, run_one, keep_failed_notebook: public here too
    KERNEL_NAME,
    ReportResult,
    keep_failed_notebook,
    prepare_worker,
    run_one,
)
from klyngedata.reports.index import update_index

log = logging.getLogger(__name__)

logger = logging.getLogger(__name__)

NOTEBOOKS: tuple[str, ...] = ("befolkningsdashboard", "noegletalsrapport")
"""The report notebooks run by default (file names without ``.ipynb`` in the notebook directory)."""


ENV_NOTEBOOKS = settings.VARIABLES["notebooks_dir"]


def notebook_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """Directory holding the notebook templates: argument > ``$KLYNGEDATA_NOTEBOOKS`` > the package's notebooks.

    Example
    -------
    >>> (notebook_dir() / "befolkningsdashboard.ipynb").name
    'befolkningsdashboard.ipynb'
    """
    if path is not None:
        return Path(path).expanduser()
    if settings.current().notebooks_dir:
        return Path(settings.current().notebooks_dir).expanduser()
    here = Path(__file__).resolve().parent
    installed = Path(sys.prefix) / "share" / "klyngedata" / "notebooks"  # non-editable install (data-files)
    for candidate in (here.parent / "notebooks", here.parents[1] / "notebooks", installed):
        if (candidate / f"{NOTEBOOKS[0]}.ipynb").exists():
            return candidate
    raise ReportError(
        "Notebook templates not found (looked in klyngedata/notebooks and the source tree's notebooks/); "
        f"set ${ENV_NOTEBOOKS} or pass notebook_dir"
    )


@dataclass
class RunResult:
    """Outcome of a batch: one :class:`ReportResult` per report, plus the index page."""

    results: list[ReportResult]
    out_dir: Path
    index_path: Path | None
    seconds: float
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    """Batch-level seconds (``precompute`` and per kind of table); each report has its own ``timings``."""
    units: list[tuple[str, str]] = field(default_factory=list)
    """(unit id, division) of the batch, in order."""

    @property
    def ok(self) -> bool:
        return all(r.ok and not r.pdf_error for r in self.results)

    @property
    def failures(self) -> list[ReportResult]:
        return [r for r in self.results if not r.ok or r.pdf_error]

    def summary(self) -> str:
        """A plain-text summary: counts, time, index path and every failure with its error."""
        n_ok = sum(r.ok for r in self.results)
        n_pdf = sum(r.pdf_path is not None for r in self.results)
        lines = [
            f"{n_ok} of {len(self.results)} reports written to {self.out_dir} in {self.seconds:.1f} s"
            + (f" ({n_pdf} with PDF)" if n_pdf else "")
            + (f"; index: {self.index_path}" if self.index_path else "")
        ]
        if self.units:
            lines.append(f"units: {units_text(self.units)}")
        lines.extend(f"note: {n}" for n in self.notes)
        if self.index_path:
            lines.append(f"data details for analysts (sources, files read): {self.out_dir / '_manifest.json'}")
        lines.extend(f"warning: {w}" for w in self.warnings)
        if self.failures:
            lines.append(f"{len(self.failures)} failed:")
            lines.extend("  - " + r.describe_error() for r in self.failures)
        return "\n".join(lines)


def _resolve_clusters(clusters: Iterable[str] | None, all_clusters: bool,
                      division: str | None) -> list[tuple[str, str]]:
    """(unit id, its division) for ``--all`` (the division given, default today's) or for ids/names."""
    from klyngedata import registry

    if all_clusters:
        frame = registry.clusters(division=division)
        return list(zip(frame["cluster_id"], frame["division"], strict=True))
    units: list[tuple[str, str]] = []
    for key in clusters or []:
        c = registry.cluster(key, division=division)  # raises LookupFailed with the closest ids
        if (c.id, c.division) not in units:
            units.append((c.id, c.division))
    if not units:
        raise ReportError("No clusters given: name one or more cluster ids, or use --all")
    return units


def units_text(units: Iterable[tuple[str, str]]) -> str:
    """The batch's units counted in their division's Danish word, e.g. ``"17 sundhedsråd (sundhedsraad-2027)"``
    or ``"1 sundhedsklynge (sundhedsklynger-2022), 1 sundhedsråd (sundhedsraad-2027)"``.

    Example
    -------
    >>> units_text([("nordjylland-nord", "sundhedsklynger-2022")])
    '1 sundhedsklynge (sundhedsklynger-2022)'
    """
    from klyngedata.registry.words import words

    counts: dict[str, int] = {}
    for _, div in units:
        counts[div] = counts.get(div, 0) + 1
    return ", ".join(f"{n} {words(div).unit if n == 1 else words(div).units} ({div})" for div, n in counts.items())


def ended_division_notes(units: Iterable[tuple[str, str]]) -> list[str]:
    """One line per unit whose division has ended by today: the division, its end date and the successors.

    Example
    -------
    >>> ended_division_notes([("nordjylland-nord", "sundhedsklynger-2022")])  # in December 2026
    []
    >>> import textwrap
    >>> from klyngedata import clock
    >>> with clock.frozen("2027-01-02"):
    ...     [note] = ended_division_notes([("nordjylland-nord", "sundhedsklynger-2022")])
    >>> print(textwrap.fill(note, 100))
    nordjylland-nord (Klynge Nord) belongs to division sundhedsklynger-2022 (Sundhedsklynger
    (sundhedsloven § 203)), which ended on 2026-12-31; the report describes that division. Successor(s):
    sundhedsraad-vendsyssel (Sundhedsråd Vendsyssel)
    """
    import pandas as pd

    from klyngedata import registry

    today = pd.Timestamp(clock.today())
    notes = []
    for cid, div in units:
        d = registry.division(div)
        if pd.isna(d["valid_to"]) or d["valid_to"] >= today:
            continue
        succ = registry.successors(cid)
        names = ", ".join(f"{s} ({n})" for s, n in zip(succ["cluster_id"], succ["name"], strict=True)) or "none"
        c = registry.cluster(cid)
        notes.append(f"{cid} ({c.name}) belongs to division {div} ({d['name']}), which ended on "
                     f"{d['valid_to'].date().isoformat()}; the report describes that division. "
                     f"Successor(s): {names}")
    return notes


def _warm_cache(division: str | None, data_dir: str | None) -> list[str]:
    """Load population data once into the cache before the batch (fetches only when it is not cached).

    The reports themselves then run with ``$KLYNGEDATA_OFFLINE=1``: they read the cache and never fetch.
    Returns warnings; a missing data layer does not stop the batch: a report notebook whose population cannot
    be read fails (:meth:`~klyngedata.reports.ClusterReport.check_data`, the previous report is kept), other
    missing parts are Danish notes in the reports.
    """
    try:
        from klyngedata.population import population
    except ImportError as exc:
        return [f"population layer unavailable: {exc}"]
    warnings: list[str] = []
    for what, kwargs in (
        ("population", {"level": "municipality", "period": "all"}),
        ("population projection", {"level": "municipality", "period": "all", "kind": "projection",
                                   "by": ("age",)}),
    ):
        try:
            population(division=division, data_dir=data_dir, **kwargs)
        except Exception as exc:  # noqa: BLE001 - reported in the summary; each notebook says what is missing
            log.debug("%s not available for this batch", what, exc_info=True)
            warnings.append(f"{what} not available for this batch ({_one_line(exc)}); "
                            + ("reports built on it are not written" if what == "population" else
                               "the reports say what is missing"))
    return warnings


def _one_line(exc: BaseException) -> str:
    """A short reason for the batch summary: the exception's first sentence, no URLs or nested tracebacks."""
    from klyngedata.exceptions import DataNotAvailable

    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, DataNotAvailable) and "fetching it" in text:
        text = text.split(", and fetching it", 1)[0] + " and it could not be fetched (offline?)"
    else:
        text = text.split(": ", 1)[0] if len(text) > 160 else text
    return text[:200]


def cap_jobs(jobs: int) -> tuple[int, str | None]:
    """``jobs`` limited to the CPUs this process may use, with a note when it was lowered.

    Example
    -------
    >>> cap_jobs(1)
    (1, None)
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    if jobs <= cpus:
        return max(1, jobs), None
    return cpus, f"--jobs {jobs} lowered to {cpus}, the number of CPUs available (more processes only compete)"


def _task_parameters(
    cluster_id: str, division: str, period: str | None, data_dir: str | None, extra: dict | None
) -> dict[str, Any]:
    params: dict[str, Any] = {"cluster": cluster_id, "division": division, "period": period or "latest"}
    if data_dir is not None:
        params["data_dir"] = str(data_dir)
    params.update(extra or {})
    return params


def run(
    clusters: Sequence[str] | str | None = None,
    *,
    all: bool = False,  # noqa: A002 - mirrors the CLI flag --all
    division: str | None = None,
    period: str | None = None,
    out: str | os.PathLike[str] = "reports",
    jobs: int = 1,
    data_dir: str | os.PathLike[str] | None = None,
    shared_assets: bool = False,
    notebooks: Sequence[str] | str | None = None,
    notebook_path: str | os.PathLike[str] | None = None,
    parameters: dict[str, Any] | None = None,
    timeout: float | None = None,
    progress: bool = True,
    raise_on_failure: bool = False,
    pdf: bool = False,
) -> RunResult:
    """Generate reports for clusters: execute each notebook with papermill and write HTML + index.

    ``clusters``: cluster/council ids (each names its division) or names (looked up in ``division``, default
    today's), or ``all=True`` for every unit of ``division`` (default: the division valid today).
    ``notebooks``: names (default :data:`NOTEBOOKS`), as a list or comma-separated string.
    ``jobs`` > 1 runs reports in that many processes (at most the number of CPUs; the summary notes a cap).
    ``parameters`` are extra notebook parameters.
    ``pdf=True`` also prints each report to an A4 PDF beside its HTML (:mod:`klyngedata.reports.pdf`).
    Returns a :class:`RunResult`; with ``raise_on_failure=True`` a batch with failures raises
    :class:`~klyngedata.exceptions.ReportError` after all reports were attempted.

    Example
    -------
    Needs population data imported into the data directory (it makes the reports); not run as a doctest.
    >>> result = run(["nordjylland-nord", "nordjylland-vest"], out="reports", jobs=2)  # doctest: +SKIP
    >>> print(result.summary())  # doctest: +SKIP
    """
    from tqdm.auto import tqdm

    from klyngedata import registry
    from klyngedata.reports.html import write_plotly_asset

    t0 = time.perf_counter()
    if isinstance(clusters, str):
        clusters = [clusters]
    if isinstance(notebooks, str):
        notebooks = [n.strip() for n in notebooks.split(",") if n.strip()]
    names = [n.removesuffix(".ipynb") for n in (notebooks or NOTEBOOKS)]
    nb_path = notebook_dir(notebook_path)
    for name in names:
        if not (nb_path / f"{name}.ipynb").exists():
            available = sorted(p.stem for p in nb_path.glob("*.ipynb"))
            raise ReportError(f"Unknown notebook {name!r} in {nb_path}; available: {', '.join(available)}")
    if division is not None:
        division = registry.resolve_division(division)
    units = _resolve_clusters(clusters, all, division)
    notes = ended_division_notes(units)
    for note in notes:
        logger.info(note)
    jobs, jobs_note = cap_jobs(jobs)
    if jobs_note:
        notes.append(jobs_note)
        logger.info(jobs_note)
    data_dir_s = str(data_dir) if data_dir is not None else None
    out_dir = Path(out)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"The output directory {out_dir} cannot be created ({exc}); no report was run") from exc
    warnings = _warm_cache(None, data_dir_s)
    if shared_assets:
        try:
            write_plotly_asset(out_dir)
        except OSError as exc:
            warnings.append(f"plotly.min.js could not be written to {out_dir} ({exc}); the reports link to it")

    tasks = [
        dict(
            cluster_id=cid,
            notebook=name,
            out_dir=str(out_dir),
            parameters=_task_parameters(cid, div, period, data_dir_s, parameters),
            notebooks_path=str(nb_path),
            shared_assets=shared_assets,
            timeout=timeout,
            data_dir=data_dir_s,
        )
        for cid, div in units
        for name in names
    ]
    batch_timings: dict[str, float] = {}
    bar = tqdm(total=len(tasks), desc="Rapporter", unit="rapport", disable=not progress, file=sys.stderr)
    try:
        with _batch_tables(units, names, period, data_dir_s, batch_timings) as tables:
            results = _execute(tasks, jobs, bar, tables=tables,
                               worker_args=(str(nb_path), data_dir_s, True))
    finally:
        bar.close()
    order = {(t["cluster_id"], t["notebook"]): i for i, t in enumerate(tasks)}
    results.sort(key=lambda r: order[(r.cluster_id, r.notebook)])
    if pdf:
        _print_pdfs(results, progress=progress)
    divisions_used = {div for _, div in units}
    try:
        index_path = update_index(out_dir, results,
                                  division=divisions_used.pop() if len(divisions_used) == 1 else None,
                                  shared_assets=shared_assets)
    except OSError as exc:  # read-only or full output directory: the summary still says what happened
        index_path = None
        warnings.append(f"the index and manifest could not be written to {out_dir} ({exc})")
    result = RunResult(results=results, out_dir=out_dir, index_path=index_path, seconds=time.perf_counter() - t0,
                       warnings=warnings, notes=notes, timings=batch_timings, units=list(units))
    if raise_on_failure and not result.ok:
        raise ReportError(result.summary())
    return result


def _run_task(kwargs: dict) -> ReportResult:
    return run_one(**kwargs)  # looked up here, so that tests can replace runner.run_one


def _ready() -> None:
    """A task that does nothing: submitted once per worker, it makes the pool start its workers at once."""


def _execute(tasks: list[dict], jobs: int, bar: Any, tables: _Tables | None = None,
             worker_args: tuple | None = None) -> list[ReportResult]:
    """Run the report tasks in this process (``jobs`` 1) or in a pool of ``jobs`` worker processes.

    ``tables`` (the batch's shared tables) are computed before the first report; with a pool, while the workers
    start (:func:`~klyngedata.reports.execute.prepare_worker` with ``worker_args``: imports, HTML exporter, warm
    kernel) and take the reports whose tables are ready (the others wait for theirs).
    """
    results: list[ReportResult] = []
    if jobs <= 1 or len(tasks) <= 1:
        if tables is not None:
            tables.fill()
        try:
            for task in tasks:
                bar.set_postfix_str(f"{task['cluster_id']}/{task['notebook']}")
                results.append(_run_task(task))
                bar.update(1)
        finally:
            discard_worker_kernel()  # a warm kernel lives for one batch
    else:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        init = {"initializer": prepare_worker, "initargs": worker_args} if worker_args is not None else {}
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, **init) as pool:
            for _ in range(jobs):
                pool.submit(_ready)  # start every worker now: they warm up while the tables are computed here
            if tables is not None:
                tables.announce()  # before any report starts: a report waits for an announced table
                tasks = tables.ready_first(tasks)
            futures = {pool.submit(_run_task, task): task for task in tasks}
            if tables is not None:
                tables.fill()
            for fut in as_completed(futures):
                task = futures[fut]
                try:
                    results.append(fut.result())
                except Exception as exc:  # noqa: BLE001 - a crashed worker is one failed report
                    results.append(
                        ReportResult(
                            cluster_id=task["cluster_id"],
                            notebook=task["notebook"],
                            ok=False,
                            ename=type(exc).__name__,
                            evalue=str(exc),
                            error=str(exc),
                        )
                    )
                bar.set_postfix_str(f"{task['cluster_id']}/{task['notebook']}")
                bar.update(1)
    return results


class _Tables:
    """The batch's shared tables (:mod:`klyngedata.reports.precompute`): :meth:`announce` marks them as coming
    (reports that need one wait for it), :meth:`fill` computes them here, in one process (the divisions share
    the indicator universe): first every division's units' key figures (all a population dashboard needs),
    then the division-wide tables, while the pool's workers warm up and start on the reports whose tables are
    ready."""

    def __init__(self, units: list[tuple[str, str]], names: list[str], period: str | None, data_dir: str | None,
                 tables_dir: str | None, timings: dict[str, float]) -> None:
        from klyngedata.reports.precompute import plan

        self.jobs = plan(units, names) if tables_dir else []
        self.where = dict(period=period, data_dir=data_dir, tables_dir=tables_dir)
        self.timings = timings

    def announce(self) -> None:
        from klyngedata.reports.precompute import announce

        if self.jobs:
            announce(self.jobs, self.where["tables_dir"])

    def fill(self) -> None:
        from klyngedata.reports.precompute import compute_jobs, release

        if not self.jobs or "precompute" in self.timings:
            return
        t0 = time.perf_counter()
        try:
            with settings.overridden(offline=True):  # as the notebooks: the cache only
                for kind, sec in compute_jobs(self.jobs, **self.where).items():
                    self.timings[f"precompute {kind}"] = sec
        finally:
            release(self.where["tables_dir"])  # whatever was not computed, the reports compute themselves
        self.timings["precompute"] = time.perf_counter() - t0
        logger.info("computed once for the batch in %.1f s: %s", self.timings["precompute"],
                    ", ".join(f"{k} {v:.1f} s" for k, v in self.timings.items() if k != "precompute"))

    def ready_first(self, tasks: list[dict]) -> list[dict]:
        """``tasks`` with the reports that need the fewest tables first (they can start soonest)."""
        from klyngedata.reports.precompute import KINDS_BY_NOTEBOOK

        return sorted(tasks, key=lambda t: len(KINDS_BY_NOTEBOOK.get(t["notebook"], ())))


@contextlib.contextmanager
def _batch_tables(units: list[tuple[str, str]], names: list[str], period: str | None, data_dir: str | None,
                  timings: dict[str, float]) -> Iterator[_Tables]:
    """The batch's :class:`_Tables` in a private temporary directory, named to the report kernels in
    ``$KLYNGEDATA_BATCH_TABLES`` and removed afterwards. Nothing is computed once when the batch runs the old
    way (``$KLYNGEDATA_COLD_BATCH``)."""
    from klyngedata.reports.kernels import cold
    from klyngedata.reports.precompute import needed_kinds

    if cold() or not needed_kinds(names):
        yield _Tables(units, names, period, data_dir, None, timings)
        return
    with tempfile.TemporaryDirectory(prefix="klyngedata-batch-") as tables, \
            settings.exported(batch_tables=tables):  # before the workers start: they and their kernels inherit it
        yield _Tables(units, names, period, data_dir, tables, timings)


def discard_worker_kernel() -> None:
    """Shut down this process's warm kernel (:func:`klyngedata.reports.kernels.discard_worker_kernel`)."""
    from klyngedata.reports.kernels import discard_worker_kernel as discard

    discard()


def _print_pdfs(results: list[ReportResult], *, progress: bool) -> None:
    """The PDF step: every written HTML report printed to an A4 PDF beside it (one browser for the batch)."""
    from klyngedata.reports.pdf import print_reports

    print_reports(results, progress=progress)


def result_as_dict(result: ReportResult) -> dict:
    """JSON-friendly dict of a :class:`ReportResult` (paths as strings)."""
    d = asdict(result)
    for key in ("html_path", "failed_notebook", "pdf_path"):
        if d[key] is not None:
            d[key] = str(d[key])
    return d
