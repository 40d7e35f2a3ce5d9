"""The papermill engine of report batches: papermill's own nbclient engine, run in a kernel that is already
running (a warm kernel, :mod:`klyngedata.reports.kernels`).

Registered the way papermill documents for engines of other packages: the entry point ``klyngedata-warm`` in the
``papermill.engine`` group (``pyproject.toml``); :func:`engine_name` registers it through papermill's public
``register`` when the package runs from a checkout whose entry points are not installed. Use it with
``papermill.execute_notebook(..., engine_name="klyngedata-warm", km=<kernel manager>, kc=<kernel client>)``: the
notebook client is given the running kernel's manager and client, so nbclient neither starts nor stops a kernel.

Example
-------
>>> engine_name()
'klyngedata-warm'
"""

from __future__ import annotations

import functools
from typing import Any

ENGINE_NAME = "klyngedata-warm"


def __getattr__(name: str) -> Any:
    """``WarmClient`` and ``WarmKernelEngine``, defined when first asked for (PEP 562). papermill loads its
    engines' entry points while it is first imported, and this module is one of them: were the classes defined
    at import, a first import of this module (before papermill) would import papermill, which would ask this
    half-imported module for ``WarmKernelEngine`` (a circular import)."""
    if name in ("WarmClient", "WarmKernelEngine"):
        import papermill  # noqa: F401 - first: while it is imported it asks for the engine (this function again)

        return _classes()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _classes() -> dict[str, type]:
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    class WarmClient(PapermillNotebookClient):
        """papermill's notebook client with the client of a running kernel (``kc``)."""

        def __init__(self, nb_man: Any, km: Any = None, kc: Any = None, **kw: Any) -> None:
            super().__init__(nb_man, km=km, **kw)
            self.kc = kc

    class WarmKernelEngine(NBClientEngine):
        """:class:`papermill.engines.NBClientEngine` with the running kernel's client passed on (``kc=``)."""

        @classmethod
        def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, log_output: bool = False,
                                     stdout_file: Any = None, stderr_file: Any = None, start_timeout: float = 60,
                                     execution_timeout: float | None = None, **kwargs: Any) -> Any:
            """As papermill's ``NBClientEngine.execute_managed_notebook``, with :class:`WarmClient`."""
            kwargs = remove_args(["input_path"], **kwargs)
            safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
            final_kwargs = merge_kwargs(safe_kwargs, timeout=execution_timeout or kwargs.get("timeout"),
                                        startup_timeout=start_timeout, kernel_name=kernel_name, log=logger,
                                        log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
            return WarmClient(nb_man, **final_kwargs).execute()

    for cls in (WarmClient, WarmKernelEngine):
        cls.__module__, cls.__qualname__ = __name__, cls.__name__
    return {"WarmClient": WarmClient, "WarmKernelEngine": WarmKernelEngine}


def engine_name() -> str:
    """The engine's name, registered with papermill (by its entry point, or here when that is not installed)."""
    from papermill.engines import papermill_engines
    from papermill.exceptions import PapermillException

    try:
        papermill_engines.get_engine(ENGINE_NAME)
    except PapermillException:
        papermill_engines.register(ENGINE_NAME, _classes()["WarmKernelEngine"])
    return ENGINE_NAME
