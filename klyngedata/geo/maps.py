"""Plotly maps of clusters and key figures, fully offline, with a tile-map fallback.

* :func:`cluster_map` – clusters coloured and named on the map, member municipalities outlined, acute
  hospitals as labelled markers, Danish hover labels (kommune, klynge, befolkning); ``highlight=`` shows one
  cluster in red against the other clusters of its region in distinct muted colours (for a cluster's own
  report). Bornholm is drawn as an inset (moved next to the rest, in a dotted frame) when it would otherwise
  leave the map mostly sea.
* :func:`choropleth` – any key figure by municipality, cluster or region in classes of a colour scale,
  with a Danish legend title and value ranges in Danish number format.

Rendering: by default the polygons (simplified as a coverage, EPSG:25832, km) are drawn as filled
``go.Scatter`` paths on equal-aspect axes. This needs nothing from the network. (``go.Choropleth`` /
``go.Scattergeo`` were tried first: plotly.js then downloads ``https://cdn.plot.ly/un/world_110m.json``
even with ``geo.visible=False`` and draws nothing offline – checked in headless Chromium.) With
``background="open-street-map"`` (or another MapLibre style) the maps use ``go.Choroplethmap`` /
``go.Scattermap`` on that tile background instead (needs the tile server). Without boundaries both
functions draw the tile map (:mod:`klyngedata.geo.tiles`) and say so in the figure.

Trace counts (what the tests check):

* cluster map with boundaries: one trace per cluster shown + one per shared municipality ("delt") +
  one trace of cluster outlines + (one frame when Bornholm is drawn as an inset) + one of hospitals (labelled:
  the highlighted cluster's by name, the others by town) + one of cluster names + one of hover points;
* cluster map on tiles: one trace per cluster + one per shared municipality + one label trace;
* choropleth with boundaries: one trace per non-empty class + (one "ingen værdi" trace if values are
  missing) + (one per shared municipality at cluster level) + one of hover points;
  on tiles: one heatmap + one label trace.

Modules: :mod:`klyngedata.geo.canvas` (colours, paths, hover), :mod:`klyngedata.geo.unit_map`
(:func:`cluster_map`) and :mod:`klyngedata.geo.choropleths` (:func:`choropleth`); this module is their one
home for users (names re-exported).

Example
-------
Needs the municipality boundaries imported into the data directory; not run as a doctest.
>>> from klyngedata.geo.maps import cluster_map
>>> fig = cluster_map(highlight="nordjylland-nord")  # doctest: +SKIP
>>> fig.write_html("klynge_nord.html", include_plotlyjs=True)  # doctest: +SKIP
"""

from __future__ import annotations

from klyngedata.geo.canvas import (  # noqa: F401  (re-exported)
    BORNHOLM,
    HIGHLIGHT_COLOUR,
    LABEL_COLOUR,
    MISSING_COLOUR,
    MUTED_PALETTE,
    OTHER_COLOUR,
    OUTLINE_COLOUR,
    PALETTE,
    SHARED_COLOUR,
    TILE_NOTE_DA,
    format_number_da,
)
from klyngedata.geo.choropleths import COUNT_UNITS_DA, choropleth, class_breaks  # noqa: F401
from klyngedata.geo.unit_map import cluster_map, short_name  # noqa: F401
