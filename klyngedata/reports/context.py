"""One object per report that loads a cluster's data once and returns every block the notebooks show.

The report notebooks stay thin: each cell is one call on a :class:`ClusterReport` (a Danish heading in a
markdown cell above it). Every method returns something Jupyter displays: a plotly figure, or an HTML block
from :mod:`klyngedata.reports.blocks`. When the data a block needs are not available (e.g. the sex/age
breakdown when only total population is cached, or a population projection), the method returns a Danish
note saying what is missing and how to get it – never an invented figure.

Example
-------
Needs population data imported into the data directory; not run as a doctest.
>>> from klyngedata.reports import ClusterReport
>>> r = ClusterReport("nordjylland-nord")  # doctest: +SKIP
>>> r.trend()  # doctest: +SKIP
"""


from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from klyngedata import showing
from klyngedata.reports.coverage import SECTIONS, tracked
from klyngedata.reports.sections import Sections
from klyngedata.reports.unit_data import (  # noqa: F401  (re-exported: the constants' historical home)
    GROWTH_PCT_FIGURES,
    MEMBER_FIGURES,
    PEER_COUNT,
    SHARE_FIGURES,
    SPINE_POPULATION,
    TILE_FIGURES,
)


class ClusterReport(Sections):
    """Data and display blocks for one cluster's report.

    ``cluster``: id or name (resolved by :func:`klyngedata.registry.cluster`); ``division``: default is the
    division valid today; ``period``: ``"latest"`` or a period such as ``"2024M01"``; ``data_dir``: the
    local data directory (default: ``$KLYNGEDATA_DATA_DIR`` or the user data directory).
    ``report``: force (or disable) report rendering of plotly figures; default: detected.

    Example
    -------
    Needs population data imported into the data directory; not run as a doctest.
    >>> r = ClusterReport("nordjylland-nord", period="latest")  # doctest: +SKIP
    >>> r.keyfigure_table()  # doctest: +SKIP
    """


def _explained(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def block(*args: Any, **kwargs: Any) -> Any:
        with showing.explained():  # the report says it in its own words (e.g. the split in the header)
            return method(*args, **kwargs)

    return block


for _name, _method in inspect.getmembers(Sections, inspect.isfunction):
    if not _name.startswith("_"):  # every block a notebook cell shows: data warnings go to the log
        if _name in SECTIONS:  # and whether its section showed its data (a report never loses one silently)
            _method = tracked(_method, SECTIONS[_name])
        setattr(ClusterReport, _name, _explained(_method))
