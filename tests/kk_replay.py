"""A local StatBank API that also serves Københavns Kommune's statbank under ``/v1/s30/`` (for the tests).

``/v1/...`` is :class:`tests.statbank_replay.StatBankReplay` (Statistics Denmark's recorded answers, constructed
counts). ``/v1/s30/tables``, ``/tableinfo`` and ``/data`` are answered by a second replay with the same rules
(unknown table, variable or value, BULK without every variable, the CSV cell limit, ``timeOrder`` with BULK …)
and the same answer formats, over tables that are **constructed** (no s30 answer was recorded):

* the ``/tables`` rows of KKBEF1 and KKFR2026 and the KKBEF1 tableinfo are shaped like the public KKFR2026
  tableinfo (``real-estate-war-lord/am-dashboard-dk``, ``data/raw/forecast/cph/tableinfo_KKFR2026.json``) and
  what public code says of KKBEF1: variables ``OMRKK`` ("distrikt": ``1000`` "København i alt", ``1001``-``1010``
  "Bydel - …", ``1099`` "Bydel - Uden for inddeling", here two of the lokaludvalg ``20xx``), ``KON`` (``TOT``
  "Køn i alt", ``01`` "Mænd", ``02`` "Kvinder"), ``ALDER`` (``TOT`` "Alder i alt", ``00`` "0 år" … ``98``,
  ``99`` "99+ år"), ``CIVILSTAND`` (``TOT`` and four statuses, as FOLK1A), ``Tid`` (quarters);
* every count is CONSTRUCTED: København's count in the DST replay's FOLK1A for the same quarter, sex, age and
  civil status (ages 99-125 summed into 99+; ``base = "FOLK1AM"``: the first month of the quarter) split over
  the ten bydele by fixed weights, a quarter of the rounding remainder to "Uden for inddeling" and the rest of it
  to Indre By; every total is the sum of its parts, so the bydele add up to DST's total for København exactly.
  ``extra[(bydel code, period)] = n`` adds ``n`` persons to one cell of a bydel (a constructed disagreement).

Example
-------
>>> with KKReplay() as replay:  # doctest: +SKIP
...     StatBankClient(replay.url, database="s30").tableinfo("KKBEF1")["id"]
'KKBEF1'
"""

from __future__ import annotations

import copy

import numpy as np

from tests.statbank_replay import StatBankReplay

BYDELE = ["Indre By", "Østerbro", "Nørrebro", "Vesterbro/Kongens Enghave", "Valby", "Vanløse", "Brønshøj-Husum",
          "Bispebjerg", "Amager Øst", "Amager Vest"]
WEIGHTS = [9, 13, 12, 13, 9, 6, 7, 8, 10, 13]  # CONSTRUCTED split of each cell over the bydele (parts of 100)
KK_PERIODS = ["2024K3", "2024K4", "2025K1", "2025K2", "2025K3"]


def constructed_kkbef1_tableinfo(periods: list[str] = KK_PERIODS) -> dict:
    """CONSTRUCTED tableinfo of KKBEF1 (module docstring)."""
    areas = [{"id": "1000", "text": "København i alt"}]
    areas += [{"id": str(1001 + i), "text": f"Bydel - {name}"} for i, name in enumerate(BYDELE)]
    areas += [{"id": "1099", "text": "Bydel - Uden for inddeling"},
              {"id": "2001", "text": "Lokaludvalg - Indre By"}, {"id": "2002", "text": "Lokaludvalg - Christianshavn"}]
    ages = [{"id": "TOT", "text": "Alder i alt"}] + [{"id": f"{a:02d}", "text": f"{a} år"} for a in range(99)]
    ages.append({"id": "99", "text": "99+ år"})
    return {
        "id": "KKBEF1", "text": "Befolkningen den 1. i kvartalet",
        "description": "Befolkningen den 1. i kvartalet efter distrikt, køn, alder, civilstand og tid (CONSTRUCTED)",
        "unit": "Antal", "suppressedDataValue": "0", "updated": "2025-08-11T08:00:00", "active": True,
        "contacts": [], "documentation": None, "footnote": None,
        "variables": [
            {"id": "OMRKK", "text": "distrikt", "elimination": True, "time": False, "map": "kk_lokaludvalg_21",
             "values": areas},
            {"id": "KON", "text": "køn", "elimination": True, "time": False,
             "values": [{"id": "TOT", "text": "Køn i alt"}, {"id": "01", "text": "Mænd"},
                        {"id": "02", "text": "Kvinder"}]},
            {"id": "ALDER", "text": "alder", "elimination": True, "time": False, "values": ages},
            {"id": "CIVILSTAND", "text": "civilstand", "elimination": True, "time": False,
             "values": [{"id": "TOT", "text": "I alt"}, {"id": "U", "text": "Ugift"},
                        {"id": "G", "text": "Gift/separeret"}, {"id": "E", "text": "Enke/enkemand"},
                        {"id": "F", "text": "Fraskilt"}]},
            {"id": "Tid", "text": "tid", "elimination": False, "time": True,
             "values": [{"id": p, "text": p} for p in periods]},
        ],
    }


def constructed_kkfr_tableinfo() -> dict:
    """CONSTRUCTED tableinfo of a KK projection (KKFR2026), to show that it is refused."""
    info = constructed_kkbef1_tableinfo(["2026", "2027"])
    info.update({"id": "KKFR2026", "text": "Befolkningsfremskrivning 2026",
                 "description": "Befolkningsfremskrivning 2026 efter distrikt, køn, alder og tid (CONSTRUCTED)"})
    info["variables"] = [v for v in info["variables"] if v["id"] != "CIVILSTAND"]
    return info


class _KKPart(StatBankReplay):
    """The s30 statbank: the parent's rules and formats over the constructed KK tables."""

    def __init__(self, dst: StatBankReplay) -> None:
        super().__init__(dst.root)
        self.dst = dst
        self.listing = [
            {"id": "KKBEF1", "text": "Befolkningen den 1. i kvartalet", "unit": "Antal",
             "updated": "2025-08-11T08:00:00", "firstPeriod": KK_PERIODS[0], "latestPeriod": KK_PERIODS[-1],
             "active": True, "variables": ["distrikt", "køn", "alder", "civilstand", "tid"]},
            {"id": "KKFR2026", "text": "Befolkningsfremskrivning 2026", "unit": "Antal",
             "updated": "2026-03-13T08:00:00", "firstPeriod": "2026", "latestPeriod": "2027", "active": True,
             "variables": ["distrikt", "køn", "alder", "tid"]},
        ]
        self.tableinfos = {("KKBEF1", "da"): constructed_kkbef1_tableinfo(),
                           ("KKFR2026", "da"): constructed_kkfr_tableinfo()}
        self.extra: dict[tuple[str, str], int] = {}
        self.base = "FOLK1A"  # the DST table the counts are split from ("FOLK1AM": the quarter's first month)

    def _tables(self, body: dict):
        if str(body.get("includeInactive", False)).lower() in {"true", "1"}:
            from tests.statbank_replay import NotRecorded

            raise NotRecorded("/tables with includeInactive on s30")
        return super()._tables(body)

    def values(self, table: str, period: str) -> np.ndarray:
        """CONSTRUCTED counts of every OMRKK x KON x ALDER (x CIVILSTAND) cell of ``period``."""
        info = self.tableinfos[(table, "da")]
        base = self.dst.tableinfos[(self.base, "da")]
        known = [x["id"] for x in next(v for v in base["variables"] if v.get("time"))["values"]]
        source = period if self.base == "FOLK1A" else f"{period[:4]}M{3 * int(period[5]) - 2:02d}"
        source = source if source in known else known[-6]
        dst = self.dst.values(self.base, source)
        areas = [x["id"] for x in base["variables"][0]["values"]]
        if dst.ndim == 4:
            kbh = dst[areas.index("101"), 1:, 1:, 1:]  # København: sexes 1, 2 x ages 0..125 x statuses U, G, E, F
        else:  # FOLK1AM has no civil status: all counted as the first status
            kbh = np.zeros(dst.shape[1:] + (4,), dtype=dst.dtype)[1:, 1:]
            kbh[..., 0] = dst[areas.index("101"), 1:, 1:]
        single = kbh[:, :99, :]
        top = kbh[:, 99:, :].sum(axis=1, keepdims=True)
        leaves = np.concatenate([single, top], axis=1)  # (2 sexes, 100 ages, 4 statuses)
        has_civil = any(v["id"] == "CIVILSTAND" for v in info["variables"])
        if not has_civil:
            leaves = leaves.sum(axis=2, keepdims=True)
        parts = [leaves * w // 100 for w in WEIGHTS]
        rest = leaves - sum(parts)
        unplaced = rest // 4
        parts[0] = parts[0] + rest - unplaced
        codes = [x["id"] for x in info["variables"][0]["values"]]
        for (code, per), n in self.extra.items():
            if per == period:
                parts[codes.index(code) - 1][0, 0, 0] += n
        bydel = np.stack(parts + [unplaced])  # (11, 2, 100, civil)
        city = bydel.sum(axis=0, keepdims=True)
        lokal = np.stack([bydel[0] * 6 // 10, bydel[0] - bydel[0] * 6 // 10])  # CONSTRUCTED split of Indre By
        areas_leaves = np.concatenate([city, bydel, lokal])  # in the tableinfo's OMRKK order
        out = areas_leaves
        out = np.concatenate([out.sum(axis=1, keepdims=True), out], axis=1)  # KON: TOT, 01, 02
        out = np.concatenate([out.sum(axis=2, keepdims=True), out], axis=2)  # ALDER: TOT, 00..99
        if has_civil:
            out = np.concatenate([out.sum(axis=3, keepdims=True), out], axis=3)  # CIVILSTAND: TOT, U, G, E, F
        else:
            out = out[:, :, :, 0]
        return out

    def count(self, table: str, period: str, **cell: str) -> int:
        info = self.tableinfos[(table, "da")]
        stub = [v for v in info["variables"] if not v.get("time")]
        idx = tuple([x["id"] for x in v["values"]].index(cell[v["id"]]) for v in stub)
        return int(self.values(table, period)[idx])


class KKReplay(StatBankReplay):
    """DST's recorded StatBank (``/v1/...``) and the constructed s30 statbank (``/v1/s30/...``) on one port."""

    def __init__(self) -> None:
        super().__init__()
        self.kk = _KKPart(self)

    def handle(self, method: str, path: str, raw: bytes):
        if path.startswith("/v1/s30/"):
            return self.kk.handle(method, "/v1/" + path[len("/v1/s30/"):], raw)
        return super().handle(method, path, raw)

    def kk_info(self, table: str = "KKBEF1") -> dict:
        """The s30 tableinfo of ``table`` (a copy; change it with :meth:`set_kk_info`)."""
        return copy.deepcopy(self.kk.tableinfos[(table, "da")])

    def set_kk_info(self, info: dict) -> None:
        self.kk.tableinfos[(info["id"], "da")] = info

    def broken(self):
        return super().broken() + self.kk.broken()
