""""Today" in one place: every date-dependent default of klyngedata reads :func:`today` or :func:`now`.

The default division (sundhedsklynger until 31 December 2026, sundhedsråd from 1 January 2027), the regions
valid by default (Region Østdanmark from 2027) and the dates written into reports all follow this clock.
It is the wall clock unless ``$KLYNGEDATA_TODAY`` names a day (``YYYY-MM-DD``); :func:`frozen` sets it for a
block of code (and for the subprocesses and notebook kernels started inside it, which inherit the variable).
Tests never depend on the wall clock: ``tests/conftest.py`` fixes it for the whole session.

Example
-------
>>> from klyngedata import clock
>>> with clock.frozen("2027-01-02"):
...     clock.today().isoformat()
'2027-01-02'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from klyngedata import settings
from klyngedata.exceptions import KlyngedataError

ENV_TODAY = settings.VARIABLES["today"]


def _parse(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise KlyngedataError(f"${ENV_TODAY} / clock.frozen needs a date YYYY-MM-DD, got {value!r}") from None


def today() -> dt.date:
    """The current day: ``$KLYNGEDATA_TODAY`` if set, else the wall clock.

    >>> isinstance(today(), dt.date)
    True
    """
    value = settings.current().today
    return _parse(value) if value else dt.date.today()


def now() -> dt.datetime:
    """The current local time (timezone-aware); with ``$KLYNGEDATA_TODAY`` set, that day at the wall-clock time.

    >>> now().tzinfo is not None
    True
    """
    wall = dt.datetime.now().astimezone()
    value = settings.current().today
    if not value:
        return wall
    day = _parse(value)
    return wall.replace(year=day.year, month=day.month, day=day.day)


def is_frozen() -> bool:
    """True when ``$KLYNGEDATA_TODAY`` overrides the wall clock."""
    return settings.current().today is not None


@contextmanager
def frozen(day: object) -> Iterator[dt.date]:
    """Set "today" to ``day`` (``"2027-01-02"``, a date or datetime) inside the block, then restore it.

    Sets ``$KLYNGEDATA_TODAY``, so CLI subprocesses and report kernels started inside see the same day.

    >>> with frozen("2026-12-15") as d:
    ...     d.isoformat()
    '2026-12-15'
    """
    d = _parse(day)
    with settings.exported(today=d.isoformat()):
        yield d
