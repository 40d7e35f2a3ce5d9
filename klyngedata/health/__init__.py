"""Health indicators from the StatBank tables klyngedata fetches itself (issue 22): the catalogue is
:mod:`klyngedata.health_defs`; :mod:`~klyngedata.health.population` (the population 1 January by age group,
built exactly from bands), :mod:`~klyngedata.health.pooling` (municipalities → units, regions, Denmark),
:mod:`~klyngedata.health.figures` (:func:`health_figures`: disclosure control, intervals, outcomes, trends, data
year) and :mod:`~klyngedata.health.data_age` (:func:`data_age`: each table's newest period and fetch time, and
whether it is older than its publisher's usual lag). :func:`klyngedata.indicators.indicator_figures` includes
these figures beside the indicators of imported files.

Example
-------
Needs the health tables fetched into the data directory; not run as a doctest.
>>> health_figures("sundhedsraad-vendsyssel", figures=["doede_pr_1000"])  # doctest: +SKIP
"""

from __future__ import annotations

from klyngedata.health.data_age import data_age, measure_ids
from klyngedata.health.figures import HEALTH_COLUMNS, health_figures, health_universe
from klyngedata.health_defs import HEALTH_FIGURES, health_figure
from klyngedata.health_defs import health_figure_catalogue as _definitions

health_data_age = data_age
"""``kd.health_data_age()``: :func:`klyngedata.health.data_age.data_age`."""


def health_figure_catalogue(data_dir=None):  # noqa: ANN001, ANN201 - documented below
    """The definitions of the fetched health indicators (:func:`klyngedata.health_defs.health_figure_catalogue`)
    with each figure's StatBank measure id and text (:func:`klyngedata.health.data_age.measure_ids`: as the cached
    table was resolved, else the confirmed id).

    >>> import tempfile
    >>> health_figure_catalogue(tempfile.mkdtemp()).set_index("id").loc["doede", "table"]
    'FOD207'
    """
    return _definitions().merge(measure_ids(data_dir).drop(columns=["table", "measure"]), on="id", how="left")

__all__ = ["HEALTH_COLUMNS", "HEALTH_FIGURES", "data_age", "health_data_age", "health_figure",
           "health_figure_catalogue", "health_figures", "health_universe", "measure_ids"]
