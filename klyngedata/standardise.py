"""Age (and sex) standardisation against Denmark's population from the cache (frames layer).

The arithmetic is pure and lives in :mod:`klyngedata.stats.standardise` (methods, intervals, formulas); this
module adds the default standard population: Denmark in a reference period, from
:func:`klyngedata.population.population` (``level="country"``) by the same strata (:func:`standard_population`).

Example
-------
>>> import pandas as pd
>>> d = pd.DataFrame({"age_group": ["0-64", "65+"], "numerator": [10, 40], "denominator": [10000, 5000]})
>>> std = pd.DataFrame({"age_group": ["0-64", "65+"], "population": [6000, 4000]})
>>> r = direct_standardise(d, std, strata=["age_group"], per=1000, method="normal")
>>> round(float(r["rate"].iloc[0]), 3), round(float(r["lower"].iloc[0]), 3)
(3.8, 2.741)
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from klyngedata.exceptions import DataFormatError, DataNotAvailable
from klyngedata.stats.standardise import (  # noqa: F401  (re-exported)
    INDIRECT_METHOD_DA,
    _check_columns,
    gamma_interval,
    indirect_standardise,
    poisson_interval,
)
from klyngedata.stats.standardise import direct_standardise as _direct_standardise

__all__ = [
    "direct_standardise",
    "indirect_standardise",
    "poisson_interval",
    "standard_population",
]


def standard_population(
    period: object = None,
    strata: Sequence[str] = ("sex", "age_group"),
    age_groups: object = None,
    data_dir: object = None,
) -> pd.DataFrame:
    """Denmark's population in ``period`` by ``strata`` as a standard population.

    Returns the ``strata`` columns and ``population``.

    Reads :func:`klyngedata.population.population` (``level="country"``). Raises
    :class:`~klyngedata.exceptions.DataNotAvailable` if the population by age/sex is not in the cache.

    Example
    -------
    Needs population data imported into the data directory; not run as a doctest.
    >>> standard_population("2024Q1", strata=["sex", "age_group"], age_groups=[(0, 64), (65, None)])
    ... # doctest: +SKIP
    """
    from klyngedata.population import population as population_fn

    by = [s for s in strata if s == "sex"]
    if "age_group" in strata and age_groups is None:
        by.append("age")
    kwargs: dict = {"level": "country", "by": by, "data_dir": data_dir}
    if period is not None:
        kwargs["period"] = period
    if age_groups is not None:
        kwargs["age_groups"] = age_groups
    frame = population_fn(**kwargs)
    if "age_group" in strata and "age_group" not in frame.columns and "age" in frame.columns:
        frame = frame.assign(age_group=frame["age"].astype("string"))
    missing = [c for c in strata if c not in frame.columns]
    if missing:
        raise DataFormatError(f"standard_population: the population has no {missing} breakdown")
    if frame["population"].isna().any():  # a stratum without its count: no standard from the others
        reason = frame.loc[frame["population"].isna(), "reason_da"].dropna() if "reason_da" in frame else []
        raise DataNotAvailable("standard_population: Denmark's population is missing in a stratum"
                               + (f": {reason.iloc[0]}" if len(reason) else ""))
    cols = list(strata)
    out = frame.groupby(cols, as_index=False, observed=True)["population"].sum()
    when = period if period is not None else "seneste periode"
    out.attrs["standard_da"] = f"Standardbefolkning: Danmark, {when}"
    return out


def direct_standardise(
    data: pd.DataFrame,
    standard: pd.DataFrame | None = None,
    *,
    strata: Sequence[str] = ("sex", "age_group"),
    standard_period: object = None,
    standard_age_groups: object = None,
    data_dir: object = None,
    **options,
) -> pd.DataFrame:
    """Directly standardised rates (:func:`klyngedata.stats.standardise.direct_standardise`, same options);
    ``standard`` defaults to Denmark in ``standard_period`` via :func:`standard_population` (age groups
    ``standard_age_groups``, e.g. ``[0, 65]``).

    >>> d = pd.DataFrame({"age_group": ["0-64", "65+"], "numerator": [10, 40], "denominator": [10000, 5000]})
    >>> std = pd.DataFrame({"age_group": ["0-64", "65+"], "population": [6000, 4000]})
    >>> round(float(direct_standardise(d, std, strata=["age_group"])["rate"].iloc[0]), 2)
    3.8
    """
    if standard is None:
        standard = standard_population(standard_period, list(strata), age_groups=standard_age_groups,
                                       data_dir=data_dir)
    return _direct_standardise(data, standard, strata=strata, **options)
