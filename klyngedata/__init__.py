"""klyngedata: population, key figures, maps and reports for the Danish sundhedsklynger."""

from __future__ import annotations

__version__ = "0.1.0"

from klyngedata.geo import boundaries, choropleth, cluster_map  # noqa: E402
from klyngedata.indicators import (  # noqa: E402
    expected_counts,
    indicator_catalogue,
    indicator_figures,
    standardised_figures,
)
from klyngedata.population import population  # noqa: E402
from klyngedata.registry import (  # noqa: E402
    Cluster,
    Municipality,
    cluster,
    clusters,
    crosswalk,
    divisions,
    hospitals,
    levels,
    membership,
    municipalities,
    municipality,
    regions,
    seats,
)

__all__ = [
    "Cluster",
    "Municipality",
    "__version__",
    "boundaries",
    "choropleth",
    "cluster",
    "cluster_map",
    "clusters",
    "crosswalk",
    "divisions",
    "expected_counts",
    "hospitals",
    "indicator_catalogue",
    "indicator_figures",
    "levels",
    "membership",
    "municipalities",
    "municipality",
    "population",
    "regions",
    "seats",
    "standardised_figures",
]
