"""The replay for the health-figure tests and the bench: the recorded StatBank API with the CONSTRUCTED health
tables of :mod:`tests.health_replay` and København's statbank (:mod:`tests.kk_replay`), with one change so that
the constructed counts are consistent with the shares they make (named CONSTRUCTED, not data):

* every count is ``20 + 7 x`` the generated count of :func:`tests.health_replay.constructed_values` (so 20-174
  per cell: few counts below 5 unless a test asks for them, as in real municipal data);
* SBR01's ``Personer i alt`` (the denominator of its shares) is ``4000 + 37 x`` the generated count, so that the
  persons with a stay never outnumber the persons;
* :attr:`FiguresReplay.small`: ``{(table, area id, period): n}`` gives every selected cell of that area and
  period the count ``n`` (a test's small count, e.g. three deaths in Læsø in every age band).

The population is the recorded-API replay's constructed FOLK1A (about 50 persons per single age and
municipality), so shares of all ages are small and shares of the 65+ moderate; they are not data.

``YEARS``/``PUBLISHED``: the periods each table lists (five years, as the figures publish).
"""

from __future__ import annotations

import numpy as np

from tests.health_replay import HealthReplay
from tests.kk_replay import KKReplay

YEARS = ["2020", "2021", "2022", "2023", "2024"]
PUBLISHED = {"FOLK1A": [*(f"{y}K1" for y in (*YEARS, "2025")), "2025K3"], "FOLK1AM": ["2025M07"],
             "FRKM125": ["2025", "2030", "2035"], "FOD207": YEARS,
             "FOLK1B": [f"{y}K1" for y in YEARS], "SYGP1": YEARS, "SYGK1": YEARS, "SBR01": YEARS,
             "HJEMSYG": YEARS, "AED21": YEARS, "AED06": YEARS, "AED07": YEARS, "AED08": YEARS,
             "HISBK": ["2018:2022", "2019:2023", "2020:2024"], "FODIE": YEARS}


class FiguresReplay(HealthReplay, KKReplay):
    """The recorded DST API, the CONSTRUCTED health tables (SBR01's persons made consistent, see the module
    docstring) and København's statbank under /v1/s30/."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.small: dict[tuple[str, str, str], int] = {}

    def values(self, table: str, period: str) -> np.ndarray:
        out = super().values(table, period)
        if table not in self.constructed or table in self.rates:
            return out
        generated = out
        out = 20 + 7 * generated
        if table == "SBR01":
            out[:, 0] = 4000 + 37 * generated[:, 0]  # axis 1 is OPHOLD; its first value is "Personer i alt"
        info = self.tableinfos[(table, "da")]
        areas = [v["id"] for v in info["variables"][0]["values"]]
        for (tb, area, p), n in self.small.items():
            if tb == table and p == period:
                out[areas.index(area)] = n
        return out
