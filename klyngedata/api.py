"""The public API's own additions on top of the layers: look-ups that join registry facts with data.

The registry reads no data; ``geometry=True`` is served here, at the top, so that no lower layer has to
import the maps (see ARCHITECTURE.md, "Layers").

Example
-------
>>> import klyngedata as kd
>>> kd.clusters("sundhedsklynger-2022", region="Nordjylland")["cluster_id"].tolist()
['nordjylland-midt', 'nordjylland-nord', 'nordjylland-syd', 'nordjylland-vest']
"""

from __future__ import annotations

import os

import pandas as pd

from klyngedata import registry


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
        return out
    from klyngedata.geo.catchment import attach_geometry

    div = registry.resolve_division(division, date)
    return attach_geometry(out.rename(columns={"cluster_id": "entity_id"}), level="cluster", division=div,
                           data_dir=data_dir).rename(columns={"entity_id": "cluster_id"})
