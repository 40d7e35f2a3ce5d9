"""The public API's own additions on top of the layers: look-ups that join registry facts with data, and
tables that read well in a notebook.

The registry reads no data; ``geometry=True`` is served here, at the top, so that no lower layer has to
import the maps (see ARCHITECTURE.md, "Layers"). ``kd.key_figures``, ``kd.indicator_figures``,
``kd.health_figures``, ``kd.peers``, ``kd.seats``, ``kd.clusters``, ``kd.successors`` and ``kd.predecessors``
return the layers' frames as
:class:`klyngedata.readable.ReadableFrame`: the same data and columns, displayed with the readable columns first,
without scientific notation, and with ``peers``' municipality-group columns named (the layers' own functions,
used by the reports, return plain frames). Each wrapper is made on first use (module ``__getattr__``), so
``kd.seats`` does not import scipy.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import os
from collections.abc import Callable
from typing import Any

import pandas as pd

from klyngedata import registry
from klyngedata.readable import CLUSTER_COLUMNS, FIGURE_COLUMNS, PEER_COLUMNS, SEAT_COLUMNS, readable

_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "key_figures": ("klyngedata.keyfigures", FIGURE_COLUMNS),
    "indicator_figures": ("klyngedata.indicators", FIGURE_COLUMNS),
    "health_figures": ("klyngedata.health", FIGURE_COLUMNS),
    "peers": ("klyngedata.peers", PEER_COLUMNS),
    "seats": ("klyngedata.registry", SEAT_COLUMNS),
    "successors": ("klyngedata.registry", CLUSTER_COLUMNS),
    "predecessors": ("klyngedata.registry", CLUSTER_COLUMNS),
}
"""Public name -> (the module that computes it, the columns shown first)."""


def clusters(division: str | None = None, date: object = None, region: str | None = None,
             geometry: bool = False, data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """One row per unit (cluster or council) of a division (default: the division valid today).

    The columns are those of :func:`klyngedata.registry.clusters`. With ``geometry=True`` a GeoDataFrame
    with the catchment polygons (needs boundaries, see ``klyngedata data import``; ``data_dir`` is where
    they are cached).

    >>> len(clusters("sundhedsraad-2027"))
    17
    """
    out = registry.clusters(division, date=date, region=region)
    if not geometry:
        return readable(out, CLUSTER_COLUMNS)
    from klyngedata.geo.catchment import attach_geometry

    div = registry.resolve_division(division, date)
    return attach_geometry(out.rename(columns={"cluster_id": "entity_id"}), level="cluster", division=div,
                           data_dir=data_dir).rename(columns={"entity_id": "cluster_id"})


def _group_labels(data_dir: Any) -> dict[str, str]:
    """``group_1`` … ``group_5`` -> ``"group_1: Hovedstadskommuner (%)"`` from the cached municipality groups
    (their names come from the imported file; nothing is built in)."""
    from klyngedata.exceptions import KlyngedataError
    from klyngedata.municipality_groups import municipality_groups

    try:
        groups = municipality_groups(data_dir)
    except KlyngedataError:
        return {}
    names = dict(zip(groups["group"].astype(int), groups["group_name"].astype(str), strict=False))
    return {f"group_{g}": f"group_{g}: {name} (%)" for g, name in sorted(names.items())}


def _readable_table(name: str) -> Callable[..., pd.DataFrame]:
    module, first = _TABLES[name]
    compute = getattr(importlib.import_module(module), name)
    signature = inspect.signature(compute)

    @functools.wraps(compute)
    def table(*args: Any, **kwargs: Any) -> pd.DataFrame:
        out = compute(*args, **kwargs)
        labels = {}
        if name == "peers":
            labels = _group_labels(signature.bind(*args, **kwargs).arguments.get("data_dir"))
            out.attrs["group_names_da"] = {col: label.split(": ", 1)[1] for col, label in labels.items()}
        return readable(out, first, labels)

    return table


def __getattr__(name: str) -> Any:
    """``kd.key_figures`` etc.: the layer's function returning a readable frame (made on first use)."""
    if name not in _TABLES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    table = globals()[name] = _readable_table(name)
    return table
