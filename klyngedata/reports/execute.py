"""Executing one report: papermill in this worker's warm kernel, HTML export, failure collection.

:func:`run_one` runs one notebook for one unit (papermill stays the notebook engine; the kernel is this
worker process's warm kernel from :mod:`klyngedata.reports.kernels`, or a new one when warm kernels are off),
converts it to HTML without code cells (:mod:`klyngedata.reports.html`) and writes it atomically to
``<out>/<unit_id>-<notebook>.html``. It never raises for a report's failure: a failing notebook is kept as
``<out>/_failed/<unit_id>-<notebook>.ipynb`` (when it can be written) and the error, the cell and the reason
are in the :class:`ReportResult`; a previous HTML report of the unit is left as it was. The result carries
the time spent per stage (``timings``) for the batch's breakdown.

Example
-------
Needs imported population data and a Jupyter kernel (it runs a report notebook); not run as a doctest.
>>> r = run_one("nordjylland-nord", "befolkningsdashboard", out_dir="reports",
...             parameters={"cluster": "nordjylland-nord"}, notebooks_path="notebooks")  # doctest: +SKIP
>>> r.ok, sorted(r.timings)  # doctest: +SKIP
(True, ['compute', 'data_load', 'export', 'kernel_start', 'notebook'])
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from klyngedata import clock, settings
from klyngedata.exceptions import ReportError
from klyngedata.reports.index import NOTEBOOK_TITLES

log = logging.getLogger(__name__)

KERNEL_NAME = "python3"


@dataclass
class ReportResult:
    """Outcome of one report (one cluster x one notebook)."""

    cluster_id: str
    notebook: str
    ok: bool
    html_path: Path | None = None
    failed_notebook: Path | None = None
    error: str | None = None
    ename: str | None = None
    evalue: str | None = None
    cell_index: int | None = None
    seconds: float = 0.0
    recorded: dict = field(default_factory=dict)
    generated_at: str | None = None
    pdf_path: Path | None = None
    pdf_error: str | None = None
    timings: dict = field(default_factory=dict)
    """Seconds by stage: ``kernel_start``, ``notebook`` (papermill, all cells), ``data_load`` and ``compute``
    (its cells, see :func:`cell_timings`), ``export`` (HTML)."""

    def describe_error(self) -> str:
        """One paragraph: which report, which cell, which error, where the executed notebook is."""
        if self.ok and self.pdf_error:
            return (f"{self.cluster_id} / {self.notebook}: PDF not written ({self.pdf_error}); "
                    f"the HTML report is {self.html_path}")
        where = f" in cell {self.cell_index}" if self.cell_index is not None else ""
        kept = f" (executed notebook kept: {self.failed_notebook})" if self.failed_notebook else ""
        return f"{self.cluster_id} / {self.notebook}: {self.ename or 'Error'}{where}: {self.evalue or self.error}{kept}"




def run_one(
    cluster_id: str,
    notebook: str,
    *,
    out_dir: str | os.PathLike[str],
    parameters: dict[str, Any],
    notebooks_path: str | os.PathLike[str],
    shared_assets: bool = False,
    timeout: float | None = None,
    data_dir: str | None = None,
    offline: bool = True,
) -> ReportResult:
    """Execute one notebook for one cluster and write its HTML; never raises for a notebook error.

    Example
    -------
    Needs imported population data and a Jupyter kernel (it runs a report notebook); not run as a doctest.
    >>> r = run_one("nordjylland-nord", "befolkningsdashboard", out_dir="reports",
    ...             parameters={"cluster": "nordjylland-nord"}, notebooks_path=notebook_dir())  # doctest: +SKIP
    """
    with settings.exported(**report_settings(data_dir, offline)):  # the kernels started inside inherit them
        return _run_one(cluster_id, notebook, out_dir=out_dir, parameters=parameters, notebooks_path=notebooks_path,
                        shared_assets=shared_assets, timeout=timeout)


def _run_one(cluster_id: str, notebook: str, *, out_dir: str | os.PathLike[str], parameters: dict[str, Any],
             notebooks_path: str | os.PathLike[str], shared_assets: bool, timeout: float | None) -> ReportResult:
    import nbformat
    import papermill as pm

    from klyngedata.reports.html import atomic_write_text, notebook_to_html, read_recorded

    logging.getLogger("papermill").setLevel(logging.ERROR)  # "unknown parameter" etc. are not report errors
    t0 = time.perf_counter()
    out = Path(out_dir)
    src = Path(notebooks_path) / f"{notebook}.ipynb"
    stem = f"{cluster_id}-{notebook}"
    result = ReportResult(cluster_id=cluster_id, notebook=notebook, ok=False)
    failed_dir = out / "_failed"
    with tempfile.TemporaryDirectory(prefix="klyngedata-report-") as tmp:
        executed = Path(tmp) / f"{stem}.ipynb"
        try:
            if not src.exists():
                raise ReportError(f"Notebook template {src} does not exist")
            t_nb = time.perf_counter()
            try:
                with _engine(src.parent, result.timings) as engine:
                    t_nb = time.perf_counter()  # a kernel started for this report is in "kernel_start"
                    nb = pm.execute_notebook(
                        str(src),
                        str(executed),
                        parameters=parameters,
                        kernel_name=KERNEL_NAME,
                        progress_bar=False,
                        log_output=False,
                        cwd=str(src.parent),
                        execution_timeout=timeout,
                        request_save_on_cell_execute=False,  # written once, at the end (or on failure)
                        **engine,
                    )
            finally:
                result.timings["notebook"] = time.perf_counter() - t_nb
            t_export = time.perf_counter()  # the executed notebook papermill returned is the one it wrote
            result.timings.update(cell_timings(nb))
            result.recorded = read_recorded(nb)
            _keep_sections(out, f"{stem}.html", cluster_id, result.recorded)  # raises: the previous report is kept
            title = f"{NOTEBOOK_TITLES.get(notebook, notebook)} – {result.recorded.get('cluster_name', cluster_id)}"
            html = notebook_to_html(nb, shared_assets=shared_assets, title=title)
            result.html_path = atomic_write_text(out / f"{stem}.html", html)
            result.timings["export"] = time.perf_counter() - t_export
            result.ok = True
            result.generated_at = clock.now().isoformat(timespec="seconds")
            stale = failed_dir / f"{stem}.ipynb"
            try:
                stale.unlink(missing_ok=True)
            except OSError:  # a read-only _failed/ keeps last run's notebook; the report itself was written
                pass
        except Exception as exc:  # noqa: BLE001 - collected per report, the batch goes on
            result.ename = getattr(exc, "ename", None) or type(exc).__name__
            result.evalue = getattr(exc, "evalue", None) or str(exc)
            cell_index = getattr(exc, "cell_index", None)
            result.cell_index = int(cell_index) if cell_index is not None else None
            result.error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            if isinstance(exc, OSError):  # the report was made but could not be saved (read-only, disk full)
                result.ename = "OSError"
                result.evalue = f"the report could not be saved: {exc}"
            if executed.exists():
                try:
                    result.cell_index = _failing_cell(nbformat.read(executed, as_version=4), result.cell_index)
                except Exception:  # noqa: BLE001
                    pass
                result.failed_notebook, kept_error = keep_failed_notebook(executed, failed_dir / f"{stem}.ipynb")
                if kept_error:
                    result.evalue = f"{result.evalue}; the executed notebook could not be kept ({kept_error})"
    result.seconds = time.perf_counter() - t0
    return result


def _keep_sections(out: Path, file: str, cluster_id: str, recorded: dict) -> None:
    """Raise :class:`~klyngedata.exceptions.ReportDataError` when the report would lose a section the unit's
    previous report in ``out`` showed with its data (:mod:`klyngedata.reports.coverage`)."""
    from klyngedata.exceptions import ReportDataError
    from klyngedata.reports.coverage import lost_sections, lost_sections_text
    from klyngedata.reports.index import read_manifest

    if not (out / file).exists():
        return
    previous = read_manifest(out).get(file) or {}
    lost = lost_sections(previous.get("sections"), recorded.get("sections"))
    if lost:
        raise ReportDataError(f"{cluster_id}: {lost_sections_text(lost, previous.get('generated_at'))}")


def report_settings(data_dir: str | None, offline: bool = True) -> dict[str, object]:
    """The settings report kernels run with: report mode, the data directory and, with ``offline``, no
    fetching (run() loaded the data into the cache once; notebooks read the cache)."""
    changes: dict[str, object] = {"report_mode": True}
    if offline:
        changes["offline"] = True
    if data_dir is not None:
        changes["data_dir"] = str(data_dir)
    return changes


def skip_iri_grammar() -> None:
    """Spare this process the 2 s that ``import nbformat`` spends building an IRI grammar it never uses.

    nbformat validates notebooks with jsonschema, whose format checkers import ``rfc3987_syntax`` when it is
    installed; that module compiles a grammar at import (jsonschema issue 1428). The notebook schema checks
    no IRI, so the processes that only run reports (batch workers, the ``klyngedata report`` command) mark
    it unavailable before jsonschema is imported, and jsonschema leaves the ``iri`` format unchecked. Not
    done in a user's own Python session (``run()`` from a notebook), where other code may want the check.
    """
    import sys

    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]


WORKER_NICENESS = 10
"""Scheduling priority lowered for a batch's workers and their kernels: while they start, the parent computes the
division-wide tables every report waits for; afterwards only the workers run, so it costs them nothing."""


def prepare_worker(notebooks_path: str, data_dir: str | None, offline: bool = True) -> None:
    """Initializer of a batch's worker processes: everything a report needs before its notebook runs —
    the export machinery and this worker's warm kernel (:mod:`klyngedata.reports.kernels`) — so that it is
    done while the parent computes the batch's shared tables. Never raises: a kernel that cannot start here
    is started (or replaced by a new kernel per report) when the first report runs."""
    skip_iri_grammar()
    settings.export(settings.current().replace(**report_settings(data_dir, offline)))  # for the worker's life
    try:  # the parent computes what the first reports wait for; the workers (and their kernels) yield to it
        os.nice(WORKER_NICENESS)
    except (AttributeError, OSError):  # no nice() on this system
        pass
    try:
        import papermill  # noqa: F401 - imported once, here

        from klyngedata.reports.html import _exporter
        from klyngedata.reports.kernels import cold, worker_kernel

        _exporter()
        if not cold():
            worker_kernel(KERNEL_NAME, notebooks_path)
            from klyngedata import registry

            registry.load_registry()
    except Exception as exc:  # noqa: BLE001 - the first report tries again and reports what fails
        log.info("batch worker: warm-up incomplete (%s: %s)", type(exc).__name__, exc)


def keep_failed_notebook(executed: Path, target: Path) -> tuple[Path | None, str | None]:
    """Copy a failed report's executed notebook to ``target`` atomically; (target, None), or (None, reason)
    when it cannot be written (read-only output, disk full): no partial file is left behind.

    Example
    -------
    Needs an executed report notebook; not run as a doctest.
    >>> keep_failed_notebook(Path("run.ipynb"), Path("reports/_failed/x-noegletalsrapport.ipynb"))  # doctest: +SKIP
    (PosixPath('reports/_failed/x-noegletalsrapport.ipynb'), None)
    """
    tmp_copy = target.with_name(f".{target.name}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(executed, tmp_copy)
        os.replace(tmp_copy, target)
        return target, None
    except OSError as exc:
        try:
            tmp_copy.unlink()
        except OSError:
            pass
        return None, str(exc)


@contextlib.contextmanager
def _engine(cwd: Path, timings: dict) -> Iterator[dict[str, Any]]:
    """papermill arguments for one notebook: this worker's warm kernel, reset (:mod:`klyngedata.reports.kernels`),
    or a new kernel when warm kernels are off or cannot be used. A warm kernel whose notebook failed is not
    reused. ``timings["kernel_start"]``: seconds spent starting the warm kernel for this report (0 when it ran)."""
    from klyngedata.reports.kernels import (
        WarmKernelError,
        cold,
        discard_worker_kernel,
        kernel_manager_class,
        worker_kernel,
    )

    timings["kernel_start"] = 0.0
    session = None
    if not cold():
        try:
            kernel = worker_kernel(KERNEL_NAME, cwd)
            timings["kernel_start"] = kernel.start_seconds if kernel.used == 0 else 0.0
            session = kernel.session(cwd)
            engine = session.__enter__()
        except WarmKernelError as exc:
            log.warning("warm kernel not available (%s); this report starts its own kernel", exc)
            discard_worker_kernel()
            session = None
    if session is None:
        km = kernel_manager_class()
        yield {"kernel_manager_class": km} if km is not None else {}
        return
    try:
        yield engine
    except BaseException:
        session.__exit__(None, None, None)
        discard_worker_kernel()  # a failed, timed-out or interrupted notebook's kernel is not reused
        raise
    session.__exit__(None, None, None)


def cell_timings(nb: Any) -> dict[str, float]:
    """Seconds spent in an executed notebook's cells, from the timestamps nbclient records in each cell:
    ``data_load`` (the first code cell after the parameters: it creates the report object and loads the
    unit's data) and ``compute`` (the other cells).

    Example
    -------
    Needs an executed report notebook; not run as a doctest.
    >>> cell_timings(nbformat.read("executed.ipynb", as_version=4))  # doctest: +SKIP
    {'data_load': 0.25, 'compute': 2.1}
    """
    from datetime import datetime

    spans = []
    for cell in nb.cells:
        meta = cell.get("metadata", {})
        if cell.get("cell_type") != "code" or {"parameters", "injected-parameters"} & set(meta.get("tags", [])):
            continue
        ex = meta.get("execution", {})
        try:
            start = datetime.fromisoformat(ex["iopub.execute_input"].replace("Z", "+00:00"))
            end = datetime.fromisoformat(ex["shell.execute_reply"].replace("Z", "+00:00"))
        except (KeyError, ValueError):
            continue
        spans.append((end - start).total_seconds())
    return {"data_load": spans[0], "compute": sum(spans[1:])} if spans else {}


def _failing_cell(nb, fallback: int | None) -> int | None:
    """Index (in the executed notebook, 0-based) of the first cell with an error output."""
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []) or []:
            if output.get("output_type") == "error":
                return i
    return fallback
