"""Results of :func:`klyngedata.population.population` (and of the frames built only from it and the registry, such
as the population crosswalk) kept for the same question on the same data, in a report batch only.

A report asks for the same population frames many times (the unit's rows, its region, Denmark, the member
municipalities; the two reports of a unit, and every report of a batch, the same region and country tables),
and each answer reads the cached parquet, checks its checksum and aggregates again. In a report batch (report
mode, ``$KLYNGEDATA_REPORT``, and offline, ``$KLYNGEDATA_OFFLINE``: the runner sets both for its notebooks) the
answer depends only on the arguments, the data directory, the population entries of its cache, the registry
and the day (the default division), so it is kept under exactly that key:

* the function and its arguments as given (for population ``level``, ``division``, ``period``, ``by``,
  ``age_groups``, ``kind``) and ``today``;
* the resolved data directory, and the state of every entry of the cache folders read (``population/*``;
  ``boundaries/*`` for the map layer): each metadata file's inode, size and modification time (every write
  or import replaces it, see :mod:`klyngedata.cache`);
* the registry object in use.

Outside a report batch (online, where a stale cache is re-checked, or interactively), with
``refresh``/``geometry``, or for large frames (full national detail), no answer is kept (the parsed table they
are computed from is, see :func:`klyngedata.population.load._read`). Every caller
gets its own copy, and the warnings the computation gave are given again; a :class:`DataNotAvailable` answer
("the data do not have it", e.g. no breakdown by sex and age) is kept too and raised again.
"""

from __future__ import annotations

import copy
import os
import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import pandas as pd

from klyngedata import settings
from klyngedata.exceptions import DataNotAvailable

MAX_ENTRIES = 48
MAX_ROWS = 200_000
"""Frames larger than this (population by single age at full detail) are not kept: memory, not time, is the
limit there."""

REPORT_ENV = settings.VARIABLES["report_mode"]
"""Set by the report runner for its notebooks (:data:`klyngedata.reports.html.REPORT_ENV`, a layer above)."""

_memo: OrderedDict[tuple, tuple[pd.DataFrame | None, DataNotAvailable | None, list[warnings.WarningMessage]]] = \
    OrderedDict()


def _state(root: Any, folder: str) -> tuple:
    """Inode, size and modification time of every metadata file of the cache ``folder``."""
    try:
        with os.scandir(os.path.join(root, folder)) as it:
            files = [(e.name, e.inode(), e.stat().st_size, e.stat().st_mtime_ns) for e in it
                     if e.name.endswith(".meta.json")]
    except OSError:
        return ()
    return tuple(sorted(files))


def _key(name: str, args: dict[str, Any], folders: tuple[str, ...]) -> tuple | None:
    from klyngedata import clock
    from klyngedata.cache import Cache
    from klyngedata.registry.load import _reg

    current = settings.current()
    in_batch = current.report_mode and current.offline
    if not in_batch or args.get("refresh") or args.get("geometry"):
        return None
    frozen = tuple((k, repr(v)) for k, v in sorted(args.items()) if k != "data_dir")
    root = Cache(args.get("data_dir")).root
    return (name, frozen, clock.today(), str(os.path.abspath(root)), tuple(_state(root, f) for f in folders),
            id(_reg()))


def remembered(name: str, compute: Callable[..., pd.DataFrame], args: dict[str, Any],
               folders: tuple[str, ...] = ("population",)) -> pd.DataFrame:
    """``compute(**args)``, or a copy of its earlier answer to the same question on the same data (``name``
    names the question: the function; ``args`` must hold ``data_dir``; ``folders``: the cache folders the
    answer is read from)."""
    key = _key(name, args, folders)
    if key is None:
        return compute(**args)
    hit = _memo.get(key)
    if hit is not None:
        _memo.move_to_end(key)
        frame, refused, caught = hit
        _warn_again(caught)
        if refused is not None:
            raise copy.copy(refused).with_traceback(None)
        return frame.copy()
    failed: BaseException | None = None
    frame, refused = None, None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = compute(**args)
        except DataNotAvailable as exc:  # "the data do not have it" is an answer too (asked again and again)
            refused = exc
        except BaseException as exc:  # noqa: BLE001 - raised again below, after the warnings
            failed = exc
    _warn_again(caught)
    if failed is not None:
        raise failed
    if frame is None or len(frame) <= MAX_ROWS:
        _memo[key] = (frame, refused, list(caught))
        while len(_memo) > MAX_ENTRIES:
            _memo.popitem(last=False)
    if refused is not None:
        raise refused
    return frame.copy()


def _warn_again(caught: list[warnings.WarningMessage]) -> None:
    """The warnings of the computation, through the caller's filters (shown once per place, as usual)."""
    registry = globals().setdefault("__warningregistry__", {})
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, registry=registry)


def forget() -> None:
    """Drop every kept answer and the population table kept in memory (tests; an analyst never needs it: the
    key follows the data)."""
    from klyngedata.population.load import forget_tables

    _memo.clear()
    forget_tables()
