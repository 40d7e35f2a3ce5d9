"""klyngedata: population, key figures, maps and reports for the Danish sundhedsklynger and, from
1 January 2027, the sundhedsråd that replace them.

The public functions are imported on first use (PEP 562): ``import klyngedata`` costs little more than
``import pandas`` would, and geopandas, plotly and scipy are only imported by the calls that need them.

Example
-------
>>> import klyngedata as kd
>>> kd.cluster("nordjylland-nord").name
'Klynge Nord'
"""

from __future__ import annotations

import importlib as _importlib
import sys as _sys
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from klyngedata import lazy as _lazy
from klyngedata import showing as _showing
from klyngedata.exceptions import (
    ArgumentError,
    CacheCorrupt,
    CacheWriteError,
    DataFormatError,
    DataNotAvailable,
    ImportRefused,
    KlyngedataError,
    KlyngedataWarning,
)
from klyngedata.logs import set_verbose

__version__ = "0.1.0"

_LAZY: dict[str, str] = {
    "crosswalk": "klyngedata.crosswalks",
    "boundaries": "klyngedata.geo",
    "choropleth": "klyngedata.geo",
    "cluster_map": "klyngedata.geo",
    "expected_counts": "klyngedata.indicators",
    "indicator_catalogue": "klyngedata.indicators",
    "indicator_figures": "klyngedata.api",
    "standardised_figures": "klyngedata.indicators",
    "age_pyramid": "klyngedata.keyfigures",
    "key_figures": "klyngedata.api",
    "missing_figures": "klyngedata.keyfigures",
    "municipality_ranking": "klyngedata.keyfigures",
    "peers": "klyngedata.api",
    "population": "klyngedata.population",
    "Cluster": "klyngedata.registry",
    "Municipality": "klyngedata.registry",
    "cluster": "klyngedata.registry",
    "clusters": "klyngedata.api",
    "conflicts": "klyngedata.registry",
    "divisions": "klyngedata.registry",
    "hospitals": "klyngedata.registry",
    "levels": "klyngedata.registry",
    "membership": "klyngedata.registry",
    "municipalities": "klyngedata.registry",
    "municipality": "klyngedata.registry",
    "predecessors": "klyngedata.api",
    "regions": "klyngedata.registry",
    "seats": "klyngedata.api",
    "successors": "klyngedata.api",
    "import_file": "klyngedata.importing",
    "ruks_figures": "klyngedata.ruks",
    "life_expectancy": "klyngedata.mortality",
    "mortality": "klyngedata.mortality",
    "member_life_expectancy": "klyngedata.mortality",
    "load_health_table": "klyngedata.dst.health_store",
    "health_status": "klyngedata.dst.health_store",
    "health_figures": "klyngedata.api",
    "health_figure_catalogue": "klyngedata.health",
    "health_data_age": "klyngedata.health",
}
"""Public name -> the module that defines it (imported when the name is first used)."""

if _TYPE_CHECKING:  # static analysers and IDEs see the real objects
    from klyngedata.api import clusters
    from klyngedata.crosswalks import crosswalk
    from klyngedata.dst.health_store import health_status, load_health_table
    from klyngedata.geo import boundaries, choropleth, cluster_map
    from klyngedata.health import health_data_age, health_figure_catalogue, health_figures
    from klyngedata.importing import import_file
    from klyngedata.indicators import expected_counts, indicator_catalogue, indicator_figures, standardised_figures
    from klyngedata.keyfigures import age_pyramid, key_figures, missing_figures, municipality_ranking
    from klyngedata.mortality import life_expectancy, member_life_expectancy, mortality
    from klyngedata.peers import peers
    from klyngedata.population import population
    from klyngedata.registry import (
        Cluster,
        Municipality,
        cluster,
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
    from klyngedata.ruks import ruks_figures

__all__ = [
    "ArgumentError",
    "CacheCorrupt",
    "CacheWriteError",
    "Cluster",
    "DataFormatError",
    "DataNotAvailable",
    "ImportRefused",
    "KlyngedataError",
    "KlyngedataWarning",
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
    "health_data_age",
    "health_figure_catalogue",
    "health_figures",
    "health_status",
    "hospitals",
    "import_file",
    "indicator_catalogue",
    "indicator_figures",
    "key_figures",
    "levels",
    "life_expectancy",
    "load_health_table",
    "member_life_expectancy",
    "membership",
    "missing_figures",
    "mortality",
    "municipalities",
    "municipality",
    "municipality_ranking",
    "peers",
    "population",
    "predecessors",
    "regions",
    "ruks_figures",
    "seats",
    "set_verbose",
    "standardised_figures",
    "successors",
]


def __getattr__(name: str) -> _Any:
    """``kd.reports`` / ``kd.run_reports`` import papermill/nbconvert only when used."""
    if name == "reports":
        return _importlib.import_module("klyngedata.reports")
    if name == "run_reports":
        from klyngedata.reports import run

        return run
    raise AttributeError(f"module 'klyngedata' has no attribute {name!r}")


_PUBLIC = sorted({*__all__, "reports", "run_reports"})
"""What ``dir(kd)`` and tab completion list: the public API (no imported helpers, no submodules)."""

_lazy.install(_sys.modules[__name__], _LAZY, public=_PUBLIC)
_showing.install()  # klyngedata's warnings about the data: the Danish message alone, where it matters
