"""Diagnostics for analysts through Python logging, quiet by default.

klyngedata's modules log what an analyst may want to know (which data were read, what to fetch, why a block
is missing) to loggers below ``"klyngedata"``; they never print to stderr. Nothing is shown until asked for:
the package logger has a :class:`logging.NullHandler`, so Python's last-resort handler never writes
klyngedata's records into a notebook as error boxes. :func:`set_verbose` shows them (one handler on stderr);
an application that configures logging itself (``logging.basicConfig(level="INFO")``) gets them as usual.

Example
-------
>>> import logging
>>> set_verbose("DEBUG")
>>> logging.getLogger("klyngedata").level == logging.DEBUG
True
>>> set_verbose(False)
>>> logging.getLogger("klyngedata").level == logging.NOTSET
True
"""

from __future__ import annotations

import logging
import sys

LOGGER = "klyngedata"
_FORMAT = "klyngedata: %(message)s"

logging.getLogger(LOGGER).addHandler(logging.NullHandler())


class _Verbose(logging.StreamHandler):
    """The one handler :func:`set_verbose` installs (recognised when it is called again)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr  # the current stderr: a notebook replaces it per cell
        super().emit(record)


def set_verbose(on: bool | int | str = True) -> None:
    """Show klyngedata's diagnostics on stderr (``True``: INFO and above; a level such as ``"DEBUG"`` or
    ``logging.WARNING``), or hide them again (``False``). Calling it again replaces the previous setting.

    Example
    -------
    >>> import klyngedata as kd
    >>> kd.set_verbose()
    >>> kd.set_verbose(False)
    """
    logger = logging.getLogger(LOGGER)
    for handler in [h for h in logger.handlers if isinstance(h, _Verbose)]:
        logger.removeHandler(handler)
    if on is False or on is None:
        logger.setLevel(logging.NOTSET)
        return
    level = logging.INFO if on is True else (logging.getLevelName(on.upper()) if isinstance(on, str) else int(on))
    if not isinstance(level, int):
        raise ValueError(f"unknown log level {on!r}: use True, False, 'DEBUG', 'INFO', 'WARNING' or 'ERROR'")
    handler = _Verbose(sys.stderr)
    handler.setFormatter(logging.Formatter(_FORMAT))
    logger.addHandler(handler)
    logger.setLevel(level)

