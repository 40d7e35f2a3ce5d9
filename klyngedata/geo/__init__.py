"""Geography layer: DAGI boundaries, cluster catchment areas, tile-map fallback and plotly maps.

* :mod:`klyngedata.geo.boundaries` – load boundary files / the Datafordeler WFS into the cache;
* :mod:`klyngedata.geo.catchment` – cluster polygons, topology-preserving simplification, web layer,
  :func:`attach_geometry`;
* :mod:`klyngedata.geo.tiles` – tile map of the 98 municipalities (no boundaries needed);
* :mod:`klyngedata.geo.maps` – cluster map and choropleth (plotly, offline).

Example
-------
Needs the municipality boundaries imported into the data directory; not run as a doctest.
>>> from klyngedata.geo import attach_geometry, boundaries, cluster_polygons  # doctest: +SKIP
>>> cluster_polygons("sundhedsklynger-2022").plot(column="cluster_id")  # doctest: +SKIP
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from klyngedata import lazy

_LAZY = {
    "LEVELS": "klyngedata.geo.boundaries",
    "boundaries": "klyngedata.geo.boundaries",
    "cached_boundaries": "klyngedata.geo.boundaries",
    "import_boundaries": "klyngedata.geo.boundaries",
    "is_boundary_file": "klyngedata.geo.boundaries",
    "read_boundaries": "klyngedata.geo.boundaries",
    "attach_geometry": "klyngedata.geo.catchment",
    "cluster_polygons": "klyngedata.geo.catchment",
    "cluster_web_layer": "klyngedata.geo.catchment",
    "municipality_layer": "klyngedata.geo.catchment",
    "region_polygons": "klyngedata.geo.catchment",
    "simplify_coverage": "klyngedata.geo.catchment",
    "cluster_map": "klyngedata.geo.maps",
    "choropleth": "klyngedata.geo.maps",
    "tile_layout": "klyngedata.geo.tiles",
}
"""Public name -> defining module; imported on first use (PEP 562), so ``klyngedata.geo.tiles`` does not pay for
geopandas and the boundary readers do not pay for plotly."""

if TYPE_CHECKING:
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
    from klyngedata.geo.maps import choropleth, cluster_map
    from klyngedata.geo.tiles import tile_layout

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


lazy.install(sys.modules[__name__], _LAZY)
