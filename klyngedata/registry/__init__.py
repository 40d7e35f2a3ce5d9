"""The registry: municipalities, regions, hospitals, cluster divisions, memberships and governance.

All facts live as CSV files in ``klyngedata/registry_data/`` with a ``source`` column on every row (see
``registry_data/SOURCES.md``). They are validated when loaded; a broken file stops with a
:class:`~klyngedata.exceptions.RegistryError` naming the file, the row and the problem. The registry is
the lowest layer above the core: it reads no data and imports nothing of io, frames or maps.

Divisions are versioned: ``klyngestyregrupper-2019`` (Region Nordjylland's steering groups),
``sundhedsklynger-2022`` (all 22 clusters from 2022-07-01) and ``sundhedsraad-2027`` (the councils from
2027-01-01, as far as published). The default division is the one valid today.

Modules: :mod:`~klyngedata.registry.load` (reading the CSV files), :mod:`~klyngedata.registry.validate`
(checking and typing each file),
:mod:`~klyngedata.registry.divisions`, :mod:`~klyngedata.registry.geography` (municipalities, regions,
hospitals), :mod:`~klyngedata.registry.units` (units, membership, successors, crosswalks) and
:mod:`~klyngedata.registry.governance` (levels, seats, a council's composition).

Example
-------
>>> import klyngedata as kd
>>> kd.cluster("nordjylland-nord").municipality_codes
['0810', '0813', '0825', '0860']
>>> kd.municipality("morso kommune").code
'0773'
"""

from __future__ import annotations

from klyngedata.registry.divisions import division, divisions, resolve_division
from klyngedata.registry.geography import (
    Municipality,
    hospitals,
    municipalities,
    municipality,
    municipality_regions,
    official_name,
    region,
    region_key_on,
    region_municipalities,
    region_parts,
    regions,
)
from klyngedata.registry.load import (
    DATA_DIR,
    LEVEL_ALIASES,
    Registry,
    fold_name,
    load_registry,
)
from klyngedata.registry.units import (
    CLUSTER_COLUMNS,
    Cluster,
    cluster,
    clusters,
    composition,
    conflicts,
    crosswalk,
    division_of,
    hospitals_inferred,
    levels,
    membership,
    predecessors,
    seats,
    successors,
)
from klyngedata.registry.validate import COUNCIL_ROLES, SHARE_TOLERANCE, TAGS

__all__ = [
    "CLUSTER_COLUMNS", "COUNCIL_ROLES", "Cluster", "DATA_DIR", "LEVEL_ALIASES", "Municipality", "Registry",
    "SHARE_TOLERANCE", "TAGS", "cluster", "clusters", "composition", "conflicts", "crosswalk", "division",
    "division_of", "divisions", "fold_name", "hospitals", "hospitals_inferred", "levels", "load_registry",
    "membership", "municipalities", "municipality", "municipality_regions", "official_name", "predecessors", "region",
    "region_key_on", "region_municipalities", "region_parts", "regions", "resolve_division", "seats", "successors",
]
