"""Geography layer: DAGI boundaries, cluster catchment areas, tile-map fallback and plotly maps.

* :mod:`klyngedata.geo.boundaries` – load boundary files / the Datafordeler WFS into the cache;
* :mod:`klyngedata.geo.catchment` – cluster polygons, topology-preserving simplification, web layer,
  :func:`attach_geometry`;
* :mod:`klyngedata.geo.tiles` – tile map of the 98 municipalities (no boundaries needed);
* :mod:`klyngedata.geo.maps` – cluster map and choropleth (plotly, offline).

Example
-------
>>> from klyngedata.geo import attach_geometry, boundaries, cluster_polygons  # doctest: +SKIP
>>> cluster_polygons("sundhedsklynger-2022").plot(column="cluster_id")  # doctest: +SKIP
"""

from __future__ import annotations

from klyngedata.geo.boundaries import (
    LEVELS,
    boundaries,
    cached_boundaries,
    import_boundaries,
    is_boundary_file,
    read_boundaries,
)
from klyngedata.geo.catchment import (
    attach_geometry,
    cluster_polygons,
    cluster_web_layer,
    municipality_layer,
    region_polygons,
    simplify_coverage,
)

__all__ = [
    "LEVELS",
    "attach_geometry",
    "boundaries",
    "cached_boundaries",
    "cluster_map",
    "choropleth",
    "cluster_polygons",
    "cluster_web_layer",
    "import_boundaries",
    "is_boundary_file",
    "municipality_layer",
    "read_boundaries",
    "region_polygons",
    "simplify_coverage",
    "tile_layout",
]


def __getattr__(name: str):  # lazy: plotly and the tile layout are only imported when used
    if name in ("cluster_map", "choropleth"):
        from klyngedata.geo import maps

        return getattr(maps, name)
    if name == "tile_layout":
        from klyngedata.geo.tiles import tile_layout

        return tile_layout
    raise AttributeError(f"module 'klyngedata.geo' has no attribute {name!r}")
