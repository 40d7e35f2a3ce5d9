"""How klyngedata's warnings about the data reach the analyst: the Danish message alone, without a file path
or a line of klyngedata's source.

Python shows a warning as ``/path/to/module.py:123: Category: message`` plus the source line, on stderr, which
JupyterLab draws as a pink error box. :func:`install` (run on ``import klyngedata``) puts a wrapper around
:func:`warnings.showwarning` that handles :class:`~klyngedata.exceptions.KlyngedataWarning` only (every other
warning goes to the previous handler unchanged; ``warnings.catch_warnings`` and pytest still record them):

* in a Jupyter kernel, a note in the cell's output (``Bemærk: …``; HTML and plain text), once per session;
* in a report run (``$KLYNGEDATA_REPORT``) and inside :func:`explained` (the blocks of a report object, also
  when an analyst runs a report notebook in JupyterLab), the log only: the report explains the same in its
  own words, and the reader is not told twice;
* elsewhere (a script, the terminal), one line ``Bemærk: …`` on stderr.

Example
-------
>>> install()
>>> warnings.showwarning.__name__
'show_warning'
"""

from __future__ import annotations

import contextlib
import contextvars
import html
import logging
import sys
import warnings
from collections.abc import Iterator
from typing import Any

from klyngedata import settings
from klyngedata.exceptions import KlyngedataWarning

log = logging.getLogger(__name__)

_NOTE_STYLE = ("border-left: 4px solid #d4a72c; background: #fff8e1; padding: 6px 10px; margin: 4px 0; "
               "color: #3d3d3d; font-family: sans-serif; font-size: 13px")


_EXPLAINED: contextvars.ContextVar[bool] = contextvars.ContextVar("klyngedata_explained", default=False)


@contextlib.contextmanager
def explained() -> Iterator[None]:
    """Within this block, warnings about the data go to the log: the caller explains them to its readers.

    Example
    -------
    >>> with explained():
    ...     note("København er delt mellem klyngerne.")  # logged, not shown
    """
    token = _EXPLAINED.set(True)
    try:
        yield
    finally:
        _EXPLAINED.reset(token)


def _report_mode() -> bool:
    return settings.current().report_mode


def _kernel() -> Any:
    """The running Jupyter kernel's shell, or None (IPython is never imported here)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    return shell if shell is not None and getattr(shell, "kernel", None) is not None else None


def note(text_da: str) -> None:
    """Show ``text_da`` as a note (see the module docstring for where).

    Example
    -------
    >>> note("København er delt mellem klyngerne.")  # outside Jupyter: one line on stderr
    """
    if _report_mode() or _EXPLAINED.get():
        log.warning("%s", text_da)
    elif _kernel() is not None:
        from IPython.display import display

        display({"text/plain": f"Bemærk: {text_da}",
                 "text/html": f'<div class="kd-warning" style="{_NOTE_STYLE}"><strong>Bemærk:</strong> '
                              f"{html.escape(text_da)}</div>"}, raw=True)
    else:
        print(f"Bemærk: {text_da}", file=sys.stderr)


def install() -> None:
    """Route :class:`KlyngedataWarning` through :func:`note` (idempotent; other warnings are untouched)."""
    previous = warnings.showwarning
    if getattr(previous, "_klyngedata", False):
        return

    def show_warning(message: Any, category: type[Warning], filename: str, lineno: int, file: Any = None,
                     line: str | None = None) -> None:
        if isinstance(category, type) and issubclass(category, KlyngedataWarning):
            note(str(message))
        else:
            previous(message, category, filename, lineno, file, line)

    show_warning._klyngedata = True  # type: ignore[attr-defined]
    warnings.showwarning = show_warning
    # once per session and message (not once per line of code): the same note in every cell would be noise;
    # appended, so that any filter the analyst (or a test runner) set wins
    warnings.filterwarnings("once", category=KlyngedataWarning, append=True)
