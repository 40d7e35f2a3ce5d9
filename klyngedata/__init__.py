"""klyngedata: population, key figures, maps and reports for the Danish sundhedsklynger and, from
1 January 2027, the sundhedsråd that replace them."""

from __future__ import annotations

__version__ = "0.1.0"

from klyngedata.crosswalks import crosswalk  # noqa: E402
from klyngedata.exceptions import (  # noqa: E402
    CacheCorrupt,
    CacheWriteError,
    DataFormatError,
    DataNotAvailable,
    ImportRefused,
    KlyngedataError,
)
from klyngedata.geo import boundaries, choropleth, cluster_map  # noqa: E402
from klyngedata.indicators import (  # noqa: E402
    expected_counts,
    indicator_catalogue,
    indicator_figures,
    standardised_figures,
)
from klyngedata.keyfigures import age_pyramid, key_figures, missing_figures, municipality_ranking  # noqa: E402
from klyngedata.peers import peers  # noqa: E402
from klyngedata.population import population  # noqa: E402
from klyngedata.registry import (  # noqa: E402
    Cluster,
    Municipality,
    cluster,
    clusters,
    conflicts,
    divisions,
    hospitals,
    levels,
    membership,
    municipalities,
    municipality,
    predecessors,
    regions,
    seats,
    successors,
)
from klyngedata.sources import import_file  # noqa: E402

__all__ = [
    "CacheCorrupt",
    "CacheWriteError",
    "Cluster",
    "DataFormatError",
    "DataNotAvailable",
    "ImportRefused",
    "KlyngedataError",
    "Municipality",
    "__version__",
    "age_pyramid",
    "boundaries",
    "choropleth",
    "cluster",
    "cluster_map",
    "clusters",
    "conflicts",
    "crosswalk",
    "divisions",
    "expected_counts",
    "hospitals",
    "import_file",
    "indicator_catalogue",
    "indicator_figures",
    "key_figures",
    "levels",
    "membership",
    "missing_figures",
    "municipalities",
    "municipality",
    "municipality_ranking",
    "peers",
    "population",
    "predecessors",
    "regions",
    "seats",
    "standardised_figures",
    "successors",
]


def __getattr__(name: str):
    """Lazy attributes: ``kd.reports`` and ``kd.run_reports`` import papermill/nbconvert only when used."""
    if name == "reports":
        import importlib

        return importlib.import_module("klyngedata.reports")
    if name == "run_reports":
        from klyngedata.reports import run

        return run
    raise AttributeError(f"module 'klyngedata' has no attribute {name!r}")
