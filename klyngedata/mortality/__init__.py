"""Life expectancy and mortality for every unit, computed from deaths and population the way epidemiologists do
(issue 23): abridged life tables of the pooled deaths and person-years of a unit's municipalities (never an
average of its members' values), the age-standardised death rate, premature mortality and the standardised
mortality ratio, with intervals, outcomes against region and Denmark, trends and disclosure control.

Modules: :mod:`~klyngedata.mortality.bands` (frames: deaths and person-years per municipality, sex, year and
band from the cache), :mod:`~klyngedata.mortality.pooling` (frames: windows; units, regions, Denmark),
:mod:`~klyngedata.mortality.control` (keyfigures: disclosure control of the deaths),
:mod:`~klyngedata.mortality.figures` (keyfigures: :func:`life_expectancy`, :func:`mortality`) and
:mod:`~klyngedata.mortality.members` (keyfigures: the member municipalities' computed values beside Statistics
Denmark's published ones, HISBK). The methods: ``docs/mortality.md``.

Example
-------
Needs deaths (FOD207) and population by sex and age imported into the data directory; not run as a doctest.
>>> import klyngedata as kd
>>> kd.life_expectancy(level="cluster", sex="total")  # doctest: +SKIP
"""

from __future__ import annotations

from klyngedata.mortality.figures import LE_COLUMNS, MORTALITY_COLUMNS, life_expectancy, mortality, mortality_data
from klyngedata.mortality.members import MEMBER_COLUMNS, member_life_expectancy

__all__ = ["LE_COLUMNS", "MEMBER_COLUMNS", "MORTALITY_COLUMNS", "life_expectancy", "member_life_expectancy",
           "mortality", "mortality_data"]
