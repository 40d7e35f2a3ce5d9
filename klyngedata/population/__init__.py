"""Population of municipalities, health clusters, regions and Denmark, by sex, age and period.

:func:`population` returns a tidy (long) DataFrame, one row per entity x period x sex x (age | age group):

================  ===========================================================================
column            meaning
================  ===========================================================================
level             ``"municipality"`` | ``"cluster"`` | ``"region"`` | ``"country"``
entity_id         municipality code ``"0851"`` | cluster id ``"nordjylland-nord"`` | region key
                  ``"1081"`` (``"oestdanmark"`` for Region Østdanmark, which has no official code) | ``"DK"``;
                  plus the explicit remainder rows described below
entity_name       Danish name (``"Aalborg"``, ``"Sundhedsklynge Nord"``, ``"Region Nordjylland"``,
                  ``"Hele landet"``)
region_code       the region key of the entity (NA for the country). Regions follow the division: for
                  ``sundhedsraad-2027`` (from 2027-01-01) Hovedstaden and Sjælland are Region Østdanmark,
                  computed as the sum of its municipalities
is_cluster        cluster level only: False for the remainder rows below
period            pandas Period (freq Q for FOLK1A, M for FOLK1AM, Y for projections)
sex               ``"total"`` unless ``"sex" in by`` (then ``"male"`` / ``"female"``)
age, age_open     only if ``"age" in by`` (single year, Int64; ``age_open`` marks an open top group)
age_group         only if ``age_groups`` is given (``"0-17"``, ``"80+"`` …; ordered categorical)
population        Int64 persons; NA where Statistics Denmark wrote ``..`` (not published) or a sum
                  covers such a cell (never a partial sum)
reason_da         the Danish reason a population is missing (NA where it is not)
================  ===========================================================================

``df.attrs["provenance"]`` is a list of dicts (``table``, ``presentation``, ``periods``, ``fetched_at``
or ``file``, ``source``); ``df.attrs["division"]`` names the cluster division used.

Sources: the local cache (:mod:`klyngedata.cache`): FOLK1A (quarterly) if cached, else FOLK1AM
(monthly; the real files in ``shared/data`` have totals only); projections from the newest cached
``FRKM1yy``. Missing tables are fetched from StatBank when online; fetched tables are re-checked once
a day and refetched when a newer period is published (``refresh=True`` forces it). Offline (no answer,
or ``$KLYNGEDATA_OFFLINE=1``) the cache is used and a warning says how old it is; offline with an empty
cache raises :class:`~klyngedata.exceptions.DataNotAvailable` saying how to get the data.

Aggregation to clusters uses :func:`klyngedata.registry.membership`:

* ``allocation == "whole"``: the whole municipality (share 1).
* ``allocation == "share"``: population x share, rounded per cell by the largest-remainder method, so
  the parts of a municipality add up **exactly** to its population; each part is within 1 person of
  population x share (the stated tolerance). Shares of a municipality must add up to 1 (±1e-6).
* ``allocation == "unit"`` (København 0101 by bydel): the population of the units, fetched from Københavns
  Kommune's statbank (:mod:`klyngedata.dst.kk_bydel`) or from a unit population file (import format in
  :mod:`klyngedata.sources`; cache key ``population/units``) for the same period (a unit quarter serves the
  month it starts: both count its first day) and sex/age if asked. No share is invented: whatever is not
  covered by unit data for a period (all of it, if there is none) is put in an explicit row
  ``entity_id = "0101:ikke-fordelt"``, ``entity_name = "København (ikke fordelt på klynger)"``,
  ``is_cluster = False``, and a warning says so. When the unit data also hold the residents the source places in
  no unit (``uden-for-inddeling``) the units account for the whole municipality: what it has beyond its member
  units is in no cluster, row ``"0101:ingen-klynge"`` (``is_cluster = False``), without a warning. By single
  age, the unit data's open top group (København's bydele: ``99+``) is the top group of every cluster of the
  division (ages above it summed), so the oldest are allocated exactly; an age group it would straddle (``5y``:
  95-99, 100+) is not allocated (``ikke-fordelt``).
* Christiansø (0411) is not a municipality and belongs to no cluster, but Statistics Denmark counts it
  in Region Hovedstaden and Hele landet. It appears at municipality level and as an explicit cluster-level
  row ``"0411:ingen-klynge"`` (``is_cluster = False``), so that conservation holds.

Conservation: for every period and group, the cluster-level rows of a region (including the remainder
rows) add up to the region, the regions to Denmark, and a cluster to its member municipalities.

Modules: :mod:`~klyngedata.population.load` (tables in the cache, fetching), :mod:`~klyngedata.population.shape`
(selection, age groups, names), :mod:`~klyngedata.population.pooling` (units, regions, Denmark),
:mod:`~klyngedata.population.groups` (grouping, joining and summing on integer codes) and
:mod:`~klyngedata.population.frame` (:func:`population`).

Example
-------
Needs population data imported into the data directory; not run as a doctest.
>>> import klyngedata.population as kp
>>> kp.population("cluster", period="2035", kind="projection", age_groups="broad")  # doctest: +SKIP
"""

from __future__ import annotations

from klyngedata.population.frame import (  # noqa: F401  (re-exported)
    population,
)
from klyngedata.population.load import (  # noqa: F401  (re-exported)
    AGE_GROUPS,
    DEFAULT_FETCH,
    ENV_OFFLINE,
    NO_CLUSTER_SUFFIX,
    RECHECK_AFTER,
    SHARE_TOLERANCE,
    UNALLOCATED_SUFFIX,
    PopulationWarning,
    fetch_population,
)
from klyngedata.population.pooling import (  # noqa: F401  (re-exported)
    ABSENT,
    MISSING_DA,
)
from klyngedata.vocabulary.levels import LEVELS  # noqa: F401  (re-exported)

__all__ = ["DEFAULT_FETCH", "PopulationWarning", "fetch_population", "population"]
