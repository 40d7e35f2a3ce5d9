"""One exception hierarchy for klyngedata, and its warnings about the data.

Every error the package raises on purpose derives from :class:`KlyngedataError`, so a caller
(or the CLI) can catch one type and show its message. In IPython and JupyterLab such an error is shown as
its message alone (``_render_traceback_``, IPython's hook for exceptions that render themselves): the traceback
through klyngedata's internals says nothing to an analyst (``%tb`` still shows it; so do reports and
``kd.set_verbose("DEBUG")``). Warnings about the data are :class:`KlyngedataWarning` with a Danish message,
raised by :func:`warn` at the analyst's own line of code.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
import warnings

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


class KlyngedataError(Exception):
    """Base class of all klyngedata errors.

    Example
    -------
    >>> KlyngedataError("no such cluster")._render_traceback_()
    ['KlyngedataError: no such cluster']
    """

    def _render_traceback_(self) -> list[str]:
        """What IPython shows for this error: ``Type: message`` (the full traceback in report runs, where the
        executed notebook is the record of a failure, and with ``kd.set_verbose("DEBUG")``)."""
        from klyngedata import settings

        full = settings.current().report_mode or logging.getLogger("klyngedata").getEffectiveLevel() <= logging.DEBUG
        if full:
            return "".join(traceback.format_exception(type(self), self, self.__traceback__)).splitlines()
        return [f"{type(self).__name__}: {self}"]


class KlyngedataWarning(UserWarning):
    """A warning about the data (a split municipality not allocated, a source that disagrees with itself),
    with a Danish message; see :func:`warn`."""


def warn(message: str, category: type[Warning] = KlyngedataWarning) -> None:
    """Warn at the analyst's line of code: the line that called into klyngedata (the caller of the outermost
    klyngedata frame), not an internal line, so the warning is shown once per place it matters (Python's
    default filter) and names the analyst's own code.

    Example
    -------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn("København er delt")
    >>> str(caught[0].message), caught[0].category.__name__
    ('København er delt', 'KlyngedataWarning')
    """
    frame = sys._getframe(1)
    outermost = None
    while frame is not None:
        if frame.f_code.co_filename.startswith(_PACKAGE):
            outermost = frame
        frame = frame.f_back
    caller = outermost.f_back if outermost is not None else None
    if caller is None:
        warnings.warn(message, category, stacklevel=2)
        return
    module_globals = caller.f_globals
    # no module_globals: their loader may have no source (``python -c``: BuiltinImporter raises ImportError)
    warnings.warn_explicit(message, category, caller.f_code.co_filename, caller.f_lineno,
                           module=module_globals.get("__name__"),
                           registry=module_globals.setdefault("__warningregistry__", {}))


class RegistryError(KlyngedataError):
    """A registry data file is malformed. The message names the file, the row and the problem."""

    def __init__(self, file: str, row: int | None, problem: str) -> None:
        self.file = file
        self.row = row
        self.problem = problem
        where = f"{file}, row {row}" if row is not None else file
        super().__init__(f"{where}: {problem}")


class LookupFailed(KlyngedataError, LookupError):
    """A municipality, region, cluster or division could not be found (or was ambiguous).

    ``candidates`` lists the closest valid names/ids for the user.
    """

    def __init__(self, message: str, candidates: list[str] | None = None) -> None:
        self.candidates = list(candidates or [])
        if self.candidates:
            message = f"{message}. Closest matches: {', '.join(self.candidates)}"
        super().__init__(message)


class DataNotAvailable(KlyngedataError):
    """Data needed for a request is neither cached nor reachable; the message says how to get it."""


class DataFormatError(KlyngedataError):
    """An input file or API response does not have the expected format (names file/row/column)."""


class ArgumentError(KlyngedataError, ValueError):
    """An argument of a public function or command is not one it accepts; the message names the argument, the
    value given and what is accepted (also a :class:`ValueError`)."""


class UnknownValue(DataFormatError, ValueError):
    """A cell or argument is in no form the vocabulary knows (a period, sex, age, level or code).

    Also a :class:`ValueError`, so a caller that reads many cells can add the file, row and column.
    """


class CacheCorrupt(DataNotAvailable):
    """A cache entry exists but its data file is missing, damaged or unreadable (names key, table and file).

    It is a :class:`DataNotAvailable` (the data cannot be used) that says what is wrong and how to repair it.
    """


class CacheWriteError(KlyngedataError, OSError):
    """The cache could not be written (read-only or full data directory, lock held too long).

    Also an :class:`OSError`, so code that tolerates an unwritable cache keeps working. The previous cache
    entry is always left intact.
    """


class ImportRefused(KlyngedataError):
    """An import would drop or replace cached data that the file does not bring again.

    ``lost`` describes what would be lost; ``klyngedata data import --replace`` (``replace=True``) overrides.
    """

    def __init__(self, message: str, lost: str = "") -> None:
        self.lost = lost
        super().__init__(message)


class DstApiError(KlyngedataError):
    """Statistics Denmark's StatBank API failed or refused a request (names table and request)."""


class BoundaryError(KlyngedataError):
    """Boundary data could not be loaded or is inconsistent."""


class ReportError(KlyngedataError):
    """Report generation failed for one or more clusters."""


class ReportDataError(ReportError):
    """A report cannot be written from the data: they are missing or unreadable, or lack the requested period.

    Raised by the report notebooks' first data cell; the batch then keeps the previous report of the unit."""
