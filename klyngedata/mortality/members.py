"""A unit's member municipalities: the life expectancy klyngedata computes beside the one Statistics Denmark
publishes (HISBK), labelled which is which (keyfigures layer).

Statistics Denmark publishes life expectancy at birth per municipality in 5-year windows (HISBK, ``2020:2024``),
never per unit. :func:`member_life_expectancy` puts, for every member municipality, sex and window that
klyngedata publishes, two rows side by side: ``kind = "computed"`` (klyngedata's life table of the
municipality's deaths and person-years, :func:`klyngedata.mortality.life_expectancy`, with its interval and
disclosure control) and ``kind = "published"`` (HISBK's value for the same window, where HISBK is cached;
without an interval, which HISBK does not give). The two differ a little because the methods differ (Statistics
Denmark's own life table method and population basis); the report says which is which. The unit's own value is
the life table of its pooled deaths and person-years, never an average of these rows.

Schema: ``entity_id`` (municipality code), ``entity_name``, ``sex``, ``period``, ``period_da``, ``kind``
(``computed`` / ``published``), ``kind_da`` (Danish label of the source), ``value``, ``ci95_low``,
``ci95_high``, ``display``, ``note_da`` (why there is no value).

Example
-------
Needs deaths (FOD207) and population by sex and age imported into the data directory; not run as a doctest.
>>> member_life_expectancy("nordjylland-nord", data_dir="/tmp/kd")  # doctest: +SKIP
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from klyngedata import registry
from klyngedata.disclosure import format_number_da
from klyngedata.exceptions import DataNotAvailable
from klyngedata.mortality.figures import life_expectancy

__all__ = ["COMPUTED_DA", "MEMBER_COLUMNS", "PUBLISHED_DA", "member_life_expectancy"]

MEMBER_COLUMNS = ["entity_id", "entity_name", "sex", "period", "period_da", "kind", "kind_da", "value", "ci95_low",
                  "ci95_high", "display", "note_da"]
COMPUTED_DA = "Beregnet af klyngedata (dødsfald FOD207 og befolkning, dødelighedstavle)"
PUBLISHED_DA = "Offentliggjort af Danmarks Statistik (HISBK)"
NOT_PUBLISHED_DA = "Danmarks Statistik har ikke offentliggjort middellevetiden for kommunen i perioden (HISBK)."
NO_HISBK_DA = ("Danmarks Statistiks offentliggjorte middellevetid (HISBK) er ikke hentet eller indlæst; hent den "
               "med datahentningen.")


def _published(hisbk: pd.DataFrame | None, data_dir) -> tuple[pd.DataFrame | None, str]:
    if hisbk is None:
        from klyngedata.dst.health_store import load_health_table

        try:
            hisbk = load_health_table("HISBK", data_dir)
        except DataNotAvailable:
            return None, NO_HISBK_DA
    h = hisbk[(hisbk["area_level"] == "municipality") & (hisbk["measure"] == "life_expectancy_0")]
    return pd.DataFrame({"entity_id": h["area_code"].astype(str), "sex": h["sex"].astype(str),
                         "period": h["period"].astype(str),
                         "value": pd.to_numeric(h["value"], errors="coerce").astype(float),
                         "reason": h["reason_da"].astype(object)}), ""


def member_life_expectancy(unit: str, *, period: object = "all", sex: object = None,
                           data_dir: str | os.PathLike[str] | None = None, deaths: pd.DataFrame | None = None,
                           population: pd.DataFrame | None = None, hisbk: pd.DataFrame | None = None
                           ) -> pd.DataFrame:
    """Life expectancy at birth of ``unit``'s member municipalities in 5-year windows: computed and published
    side by side (schema in the module docstring). ``hisbk``: HISBK in the health tables' schema instead of the
    cache.

    Example
    -------
    Needs deaths (FOD207) and population by sex and age imported into the data directory; not run as a doctest.
    >>> member_life_expectancy("sundhedsraad-vendsyssel", period="latest", sex="total")  # doctest: +SKIP
    """
    cl = registry.cluster(unit)
    codes = sorted(set(cl.members["municipality_code"]))
    le = life_expectancy("municipality", division=cl.division, period=period, sex=sex, window=5, ages=(0,),
                         data_dir=data_dir, deaths=deaths, population=population)
    le = le[le["entity_id"].isin(codes)]
    computed = le.assign(kind="computed", kind_da=COMPUTED_DA)[
        ["entity_id", "entity_name", "sex", "period", "period_da", "kind", "kind_da", "value", "ci95_low",
         "ci95_high", "display", "note_da"]]
    pub, why = _published(hisbk, data_dir)
    keys = computed[["entity_id", "entity_name", "sex", "period", "period_da"]]
    if pub is None:
        published = keys.assign(value=np.nan, note_da=why)
    else:
        published = keys.merge(pub, on=["entity_id", "sex", "period"], how="left")
        absent = published["value"].isna()
        published["note_da"] = np.where(absent, published["reason"].where(published["reason"].notna(),
                                                                          NOT_PUBLISHED_DA), "")
    published = published.assign(kind="published", kind_da=PUBLISHED_DA, ci95_low=np.nan, ci95_high=np.nan)
    published["display"] = [format_number_da(v, 1) for v in published["value"]]
    out = pd.concat([computed, published[MEMBER_COLUMNS]], ignore_index=True)
    order = {"total": 0, "male": 1, "female": 2}
    out = out.sort_values(["entity_name", "period", "sex", "kind"], key=lambda s: s.map(order) if s.name == "sex"
                          else s, kind="stable", ignore_index=True)
    out.attrs["provenance"] = le.attrs.get("provenance", {})
    return out[MEMBER_COLUMNS]
