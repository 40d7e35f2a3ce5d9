"""The one vocabulary: every value the sources and users write, parsed in one place, written back in one place.

==============  ==========================================  ===============================================
concept         module                                      inside klyngedata
==============  ==========================================  ===============================================
codes, areas    :mod:`klyngedata.vocabulary.codes`          ``"0851"``, ``"1081"``, ``"oestdanmark"``, ``"DK"``,
                                                            Christiansø ``"0411"``
levels          :mod:`klyngedata.vocabulary.levels`         ``municipality``, ``cluster``, ``region``, ``country``
sexes           :mod:`klyngedata.vocabulary.sexes`          ``total``, ``male``, ``female``
ages            :mod:`klyngedata.vocabulary.ages`           :class:`AgeBand` ``(lo, hi)``, ``None`` = all ages
periods         :mod:`klyngedata.vocabulary.periods`        :class:`pandas.Period` (year, quarter, month, week,
                                                            window of years)
counts          :mod:`klyngedata.vocabulary.counts`         ``int``; ``..`` missing, ``-`` nil
measures        :mod:`klyngedata.vocabulary.measures`       ``prevalence``/``incidence``; units ``antal``,
                                                            ``pr. 100.000`` (crude/age/sex_age); rates
==============  ==========================================  ===============================================

Every reader (StatBank answers and exports, indicator files, boundary files, API arguments) uses these parsers,
so a form accepted in one kind of file is accepted in all, and a rule (counts only as digits, code and text
must agree) holds everywhere. A value in no known form raises :class:`~klyngedata.exceptions.UnknownValue`
(a ``ValueError``), which the readers turn into a message naming file, row and column.

The Danish words for a division's units (sundhedsklynge / sundhedsråd and their inflections) are facts of the
registry: :mod:`klyngedata.registry.words`.

Example
-------
>>> from klyngedata import vocabulary as v
>>> v.parse_period("2024Q1") == v.parse_period("2024K1"), v.parse_sex("Kvinder"), v.parse_age("85-").label
(True, 'female', '85+')
"""

from __future__ import annotations

from klyngedata.vocabulary.ages import (
    AgeBand,
    AgeGroupError,
    ages_da,
    compose,
    edges,
    is_age_total,
    parse_age,
    parse_age_group,
)
from klyngedata.vocabulary.codes import (
    CHRISTIANSOE,
    CHRISTIANSOE_REGION,
    COUNTRY_ID,
    COUNTRY_NAME,
    area_from_text,
    normalize_municipality_code,
    normalize_region_code,
)
from klyngedata.vocabulary.counts import MISSING_MARK, ZERO_MARK, CountError, parse_count, parse_counts
from klyngedata.vocabulary.levels import BOUNDARY_LEVELS, LEVEL_DA, LEVELS, parse_level
from klyngedata.vocabulary.measures import MEASURE_DA, MEASURES, parse_measure, parse_rate, parse_rate_unit
from klyngedata.vocabulary.periods import (
    MONTHS_DA,
    parse_period,
    parse_periods,
    period_axis_da,
    period_code,
    period_kind,
    period_range_da,
    period_start_year,
    period_text_da,
    periods_in_text_da,
    periods_per_year,
)
from klyngedata.vocabulary.sexes import SEX_DA, SEXES, parse_sex

__all__ = [
    "BOUNDARY_LEVELS", "CHRISTIANSOE", "CHRISTIANSOE_REGION", "COUNTRY_ID", "COUNTRY_NAME", "LEVELS", "LEVEL_DA",
    "MEASURES", "MEASURE_DA", "MISSING_MARK", "MONTHS_DA", "SEXES", "SEX_DA", "ZERO_MARK", "AgeBand", "AgeGroupError",
    "ages_da",
    "CountError", "area_from_text", "compose", "edges", "is_age_total", "normalize_municipality_code",
    "normalize_region_code", "parse_age", "parse_age_group", "parse_count", "parse_counts", "parse_level",
    "parse_measure", "parse_period", "parse_periods", "parse_rate", "parse_rate_unit", "parse_sex", "period_axis_da",
    "period_code", "period_kind", "period_range_da", "period_start_year", "period_text_da", "periods_in_text_da",
    "periods_per_year",
]
