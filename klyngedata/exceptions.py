"""One exception hierarchy for klyngedata.

Every error the package raises on purpose derives from :class:`KlyngedataError`, so a caller
(or the CLI) can catch one type and show its message.
"""

from __future__ import annotations


class KlyngedataError(Exception):
    """Base class of all klyngedata errors."""


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
