"""Warm kernels for report batches: one kernel per worker, started once, reset between notebooks.

A report notebook used to pay for a new Python process, ``ipykernel``, pandas, plotly and klyngedata before it
computed anything (about 2 s of a 4-5 s report). A batch instead keeps one kernel per worker process
(:class:`WarmKernel`): it is started once, imports what every report needs (:data:`PRELOAD`) and is handed to
papermill, which stays the notebook engine (``papermill.execute_notebook(..., km=, kc=)``: nbclient reuses a
kernel manager and client it did not create and leaves the kernel running). Before each notebook the kernel is
reset (:data:`RESET`): the user namespace is cleared (IPython's ``reset``, a new history session); the
working directory, the warning
filters (and which warnings were already shown) and the execution counter are set back, so a notebook sees
what it would see in a fresh kernel apart from modules already imported (and their caches of the registry,
which does not change within a batch). A kernel lives for one batch only.

A kernel that died, or a notebook that failed or timed out, is not reused: the next notebook gets a new kernel.
``$KLYNGEDATA_COLD_BATCH=1`` starts a new kernel per notebook (the old way; benchmarks and tests compare both).

Example
-------
Needs a Jupyter kernel and the report notebooks; not run as a doctest.
>>> with WarmKernel(cwd="notebooks") as kernel, kernel.session("notebooks") as engine:  # doctest: +SKIP
...     pm.execute_notebook("in.ipynb", "out.ipynb", **engine)
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from typing import Any

from klyngedata import settings

ENV_COLD = settings.VARIABLES["cold_batch"]
"""Set to ``1`` to run a batch the old way: a new kernel for every report and nothing computed once per batch
(:mod:`klyngedata.reports.precompute`); benchmarks and tests compare both ways."""

PRELOAD = """\
from klyngedata.reports.execute import skip_iri_grammar
skip_iri_grammar()  # plotly's notebook renderers import nbformat (and so jsonschema) in the first report
import nbformat
import klyngedata, klyngedata.registry, klyngedata.population, klyngedata.keyfigures, klyngedata.figures
import klyngedata.indicators
import klyngedata.reports.context, klyngedata.reports.blocks, klyngedata.reports.text, klyngedata.geo.maps
import plotly.graph_objects
klyngedata.registry.load_registry();  # (no output)
"""
"""Run once in a new warm kernel: what every report imports (nothing of a unit's data). A batch kernel only
runs reports, so it skips jsonschema's IRI grammar (:func:`~klyngedata.reports.execute.skip_iri_grammar`)."""

RESET = """\
__import__("klyngedata.reports.kernels", fromlist=["reset_kernel"]).reset_kernel(get_ipython(), {cwd!r})
"""
"""Run before every notebook (``cwd``: the notebook's directory)."""

BASELINE_CODE = """\
import warnings as _warnings, klyngedata.reports.kernels as _k
_k.BASELINE["filters"] = list(_warnings.filters)
del _warnings, _k
"""

BASELINE: dict[str, Any] = {}
"""In the kernel: state recorded right after the kernel started (the warning filters), restored by RESET."""


def reset_kernel(shell: Any, cwd: str) -> None:
    """In a warm kernel, before each notebook (:data:`RESET`): a new user namespace and history session,
    the notebook's working directory, and the warning filters the kernel started with (which warnings were
    already shown is forgotten). Binds no name in the user namespace."""
    import gc
    import sys
    import warnings

    collect = gc.collect
    gc.collect = lambda *args, **kwargs: 0  # reset's full collection costs ~0.3 s with pandas and plotly
    try:                                    # loaded; the automatic collector frees the rest as usual
        shell.reset(new_session=True)
    finally:
        gc.collect = collect
    os.chdir(cwd)
    warnings.resetwarnings()  # also invalidates every module's record of warnings already shown
    warnings.filters[:] = sys.modules[__name__].BASELINE["filters"]


def cold() -> bool:
    """True when the batch runs the old way (``$KLYNGEDATA_COLD_BATCH``, see :data:`ENV_COLD`)."""
    return settings.current().cold_batch


def kernel_manager_class():
    """Kernel manager talking to the kernel over local IPC sockets (POSIX) instead of TCP.

    Same behaviour, but the kernel does not print its "running over TCP without encryption" warning into the
    log of every report of a batch, and no TCP ports are opened; a finished kernel is shut down without the
    interrupt that makes it log a KeyboardInterrupt. ``None`` (papermill's default) elsewhere.
    """
    if os.name != "posix":
        return None
    from jupyter_client.manager import AsyncKernelManager

    class IpcKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.transport = "ipc"
            self.ip = os.path.join(tempfile.gettempdir(), f"klyngedata-kernel-{os.getpid()}-{uuid.uuid4().hex[:12]}")

        async def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
            # jupyter_client interrupts (SIGINT) every kernel before asking it to shut down; an idle kernel then
            # logs "KeyboardInterrupt caught in kernel." into the batch log although nothing failed. A report
            # kernel is idle when it is shut down: ask it politely (public API), and kill it if it does not go.
            if restart or not self.owns_kernel or not self.has_kernel:
                await super().shutdown_kernel(now=now, restart=restart)
                return
            self.shutting_down = True
            self.stop_restarter()
            await self.request_shutdown()
            await self.finish_shutdown()
            await self.cleanup_resources()

    return IpcKernelManager


class WarmKernelError(RuntimeError):
    """The warm kernel could not be started or reset; the caller runs the notebook in a new kernel."""


class WarmKernel:
    """One running kernel that has imported klyngedata, reused for a worker's notebooks (module docstring).

    ``start_seconds``: how long starting it and running :data:`PRELOAD` took (the batch's "kernel start").
    """

    def __init__(self, kernel_name: str = "python3", cwd: str | os.PathLike[str] | None = None,
                 startup_timeout: float = 120.0) -> None:
        self.kernel_name = kernel_name
        self.cwd = str(cwd or os.getcwd())
        self.startup_timeout = startup_timeout
        self.km: Any = None
        self.start_seconds = 0.0
        self.used = 0

    # ------------------------------------------------------------------ life cycle
    def start(self) -> WarmKernel:
        from jupyter_core.utils import run_sync

        t0 = time.perf_counter()
        cls = kernel_manager_class()
        if cls is None:
            from jupyter_client.manager import AsyncKernelManager as cls  # noqa: N813
        self.km = cls(kernel_name=self.kernel_name)
        try:
            run_sync(self.km.start_kernel)(cwd=self.cwd, extra_arguments=["--HistoryManager.hist_file=:memory:"])
            kc = self._client()
            try:
                self._run(kc, PRELOAD + BASELINE_CODE, timeout=self.startup_timeout)
            finally:
                kc.stop_channels()
        except Exception as exc:
            self.shutdown()
            raise WarmKernelError(f"the warm kernel did not start: {exc}") from exc
        self.start_seconds = time.perf_counter() - t0
        return self

    @property
    def alive(self) -> bool:
        from jupyter_core.utils import run_sync

        try:
            return self.km is not None and bool(run_sync(self.km.is_alive)())
        except Exception:  # noqa: BLE001
            return False

    def shutdown(self) -> None:
        """Stop the kernel (idempotent)."""
        from jupyter_core.utils import run_sync

        km, self.km = self.km, None
        if km is None:
            return
        for step in (lambda: run_sync(km.shutdown_kernel)(now=True), lambda: run_sync(km.cleanup_resources)()):
            try:
                step()
            except Exception:  # noqa: BLE001 - already gone
                pass

    def __enter__(self) -> WarmKernel:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # ------------------------------------------------------------------ use
    def _client(self) -> Any:
        """A new client with its own channels (nbclient leaves a client's channels in a state that a second
        execution cannot use, so every notebook gets its own client of the same kernel)."""
        from jupyter_core.utils import run_sync

        kc = self.km.client()
        kc.start_channels()
        try:
            run_sync(_connected)(kc, self.startup_timeout)
        except Exception:
            kc.stop_channels()
            raise
        return kc

    @staticmethod
    def _run(kc: Any, code: str, timeout: float = 60.0) -> None:
        from jupyter_core.utils import run_sync

        reply = run_sync(kc.execute_interactive)(code, store_history=False, timeout=timeout,
                                                 output_hook=lambda msg: None)
        content = reply.get("content", {})
        if content.get("status") != "ok":
            raise WarmKernelError(f"{content.get('ename')}: {content.get('evalue')}")

    @contextlib.contextmanager
    def session(self, cwd: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
        """Arguments for :func:`papermill.execute_notebook` that run one notebook in this kernel, reset first
        (:data:`RESET`); raises :class:`WarmKernelError` when the kernel cannot be used.

        Example: see the module docstring.
        """
        if not self.alive:
            raise WarmKernelError("the warm kernel is not running")
        try:
            kc = self._client()
        except Exception as exc:
            raise WarmKernelError(f"no connection to the warm kernel: {exc}") from exc
        try:
            try:
                self._run(kc, RESET.format(cwd=str(cwd)))
            except WarmKernelError:
                raise
            except Exception as exc:
                raise WarmKernelError(f"the warm kernel could not be reset: {exc}") from exc
            self.used += 1
            yield {"engine_name": register_engine(), "km": self.km, "kc": kc}
        finally:
            kc.stop_channels()


async def _connected(kc: Any, timeout: float) -> None:
    """Wait until a new client of the running kernel gets answers on its shell and IOPub channels.

    As jupyter_client's ``wait_for_ready`` (a kernel_info request answered on the shell channel and an IOPub
    message received, so that no output of the next execution is lost), without its final wait for 0.2 s of
    silence on IOPub (0.2 s of every report): the clients here and nbclient read only the messages of their
    own requests, so earlier messages left on the channel are ignored anyway.
    """
    from queue import Empty

    deadline = time.monotonic() + timeout
    while True:
        kc.kernel_info()
        try:
            msg = await kc.shell_channel.get_msg(timeout=1)
        except Empty:
            msg = None
        if msg is not None and msg["msg_type"] == "kernel_info_reply":
            try:
                await kc.iopub_channel.get_msg(timeout=0.2)
            except Empty:
                pass
            else:
                _adapt_protocol(kc, msg)
                return
        if not await kc.is_alive():
            raise RuntimeError("the kernel died before it answered kernel_info")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the kernel did not answer in {timeout:.0f} s")


def _adapt_protocol(kc: Any, msg: dict) -> None:
    """The protocol version the kernel speaks, as ``wait_for_ready`` sets it from the kernel_info reply."""
    from jupyter_client import protocol_version_info

    adapt = int(str(msg["content"]["protocol_version"]).split(".")[0])
    if adapt != protocol_version_info[0]:
        kc.session.adapt_version = adapt


# ---------------------------------------------------------------------- papermill engine
def register_engine() -> str:
    """The papermill engine that executes in a running kernel (:mod:`klyngedata.reports.engine`); its name."""
    from klyngedata.reports.engine import engine_name

    return engine_name()


# ---------------------------------------------------------------------- one warm kernel per worker process
_WORKER: dict[str, Any] = {"kernel": None, "env": None}


def worker_kernel(kernel_name: str, cwd: str | os.PathLike[str]) -> WarmKernel:
    """This process's warm kernel: started on first use (and again after :func:`discard_worker_kernel`, or when
    the environment the reports run in has changed). Raises :class:`WarmKernelError` if it cannot start."""
    env = (settings.current(), os.environ.get("PYTHONPATH"))  # what the kernel was started with
    kernel = _WORKER["kernel"]
    if kernel is not None and (_WORKER["env"] != env or kernel.kernel_name != kernel_name or not kernel.alive):
        discard_worker_kernel()
        kernel = None
    if kernel is None:
        kernel = WarmKernel(kernel_name, cwd=cwd).start()
        _WORKER["kernel"], _WORKER["env"] = kernel, env
        if not _WORKER.get("finalizer"):  # pool workers leave through multiprocessing, which skips atexit
            import atexit
            from multiprocessing import util

            _WORKER["finalizer"] = util.Finalize(None, discard_worker_kernel, exitpriority=10)
            atexit.register(discard_worker_kernel)
    return kernel


def discard_worker_kernel() -> None:
    """Shut this process's warm kernel down (after a failed notebook, and at the end of a batch)."""
    kernel, _WORKER["kernel"] = _WORKER["kernel"], None
    if kernel is not None:
        kernel.shutdown()
