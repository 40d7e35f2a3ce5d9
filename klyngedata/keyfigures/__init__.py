"""Population key figures (nøgletal) for a cluster, its municipalities, its region and Denmark.

Everything here is a pure function of a tidy population frame (schema in ARCHITECTURE.md / the
docstring of :func:`klyngedata.population.population`)::

    level, entity_id, entity_name, period, sex, age | age_group, population

``level`` is ``"municipality"``, ``"cluster"``, ``"region"`` or ``"country"`` (the Danish ``"kommune"``,
``"klynge"``, ``"land"`` are accepted), ``sex`` is ``"total"``, ``"male"`` or ``"female"`` (missing column =
total), ``age`` holds single years (0 … 125), ``age_group`` labels such as ``"0-4"``, ``"65+"`` or
``"100 år og derover"``; a frame with neither holds totals only. ``period`` is a :class:`pandas.Period`
(or a StatBank label such as ``"2024M01"``, ``"2024K1"``, ``"2024"``).

Figures (ids, Danish labels, units and definitions are in :mod:`klyngedata.catalogue`):

* ``population``; ``growth_{1,5,10}y`` and ``growth_{1,5,10}y_pct`` (the same month/quarter/year 1, 5 and 10
  years earlier; when the data do not go back that far the figure is left out and listed in
  ``attrs["missing"]`` – never extrapolated);
* ``share_0_17``, ``share_18_64``, ``share_65_plus``, ``share_80_plus``, ``pop_65_plus``, ``pop_80_plus``;
* ``old_age_dependency`` = 100 x (65+) / (18-64);
* ``median_age`` (single-year ages, linear interpolation inside the median year, see :func:`median_age`);
* ``proj_{65,80}_plus_change_{5,10}y[_pct]`` from a projection frame (``kind="projection"``, yearly), from the
  projection's first year (base year) to 5 and 10 years later.

Aggregation: when a frame holds only municipalities, clusters are summed from their member municipalities
(``registry.membership``; ``"share"`` allocations are multiplied by the share; a ``"unit"`` split without
unit population – København 0101 split by bydel – cannot be computed and is reported as missing), regions
from all their municipalities (Christiansø 0411 counted in Region Hovedstaden, as Statistics Denmark does)
and Denmark from all municipalities present. Rows already present for a cluster/region/country in the
frame are used as they are. A cell is only summed when *every* member has it (no partial sums), and the
population or an age figure only from every age (0 to an open top group, or to at least 100): a frame that
lacks an age gives no total from the ages it has, and the reason names the ages not there.

Population figures are public Statistics Denmark counts, not health data, so no small-count suppression is
applied (``suppressed`` is always ``False``); the column is there so that the key-figure schema is the same
for health indicators.

Example
-------
>>> import pandas as pd
>>> CONSTRUCTED = pd.DataFrame({"level": "municipality", "entity_id": "0001", "entity_name": "Eksempel",
...     "period": pd.Period("2024Q1"), "sex": "total", "age_group": ["0-17", "18-64", "65-79", "80+"],
...     "population": [2, 4, 3, 1]})
>>> figs = compute_figures(CONSTRUCTED)
>>> figs.set_index("figure_id").loc[["population", "share_65_plus", "old_age_dependency"], "value"].tolist()
[10.0, 40.0, 100.0]

Modules: :mod:`~klyngedata.keyfigures.frame` (periods, normalising the input frame),
:mod:`~klyngedata.keyfigures.compute` (figures per entity), :mod:`~klyngedata.keyfigures.pooling` (units,
regions and Denmark from municipalities), :mod:`~klyngedata.keyfigures.unit` (a unit against its region
and Denmark, ranking, age pyramid), :mod:`~klyngedata.keyfigures.many` (many units at once) and
:mod:`~klyngedata.keyfigures.profiles` (an entity's population in one period); the age arithmetic is in
:mod:`klyngedata.stats.ages`.
"""

from __future__ import annotations

from klyngedata.keyfigures.compute import compute_figures, growth, missing_figures
from klyngedata.keyfigures.frame import normalize_population_frame
from klyngedata.keyfigures.many import key_figures_many
from klyngedata.keyfigures.pooling import comparison_frame, format_value
from klyngedata.keyfigures.unit import age_pyramid, key_figures, municipality_ranking
from klyngedata.stats.ages import age_range_sum, median_age, old_age_dependency_ratio

__all__ = [
    "age_pyramid",
    "age_range_sum",
    "comparison_frame",
    "compute_figures",
    "format_value",
    "growth",
    "key_figures",
    "key_figures_many",
    "median_age",
    "municipality_ranking",
    "missing_figures",
    "normalize_population_frame",
    "old_age_dependency_ratio",
]
