"""CONSTRUCTED StatBank metadata and counts for the health tables, served by the recorded-API replay.

Nothing of a health table's ``/tableinfo`` or ``/data`` was recorded, so the tests build them – named CONSTRUCTED
– in the shape of the recorded ones (``tableinfo_FOLK1A_da.json``, ``tableinfo_FRKM126_en.json``: keys ``id,
text, description, unit, suppressedDataValue, updated, active, contacts, documentation, footnote, variables``;
variables ``{id, text, elimination, time, values: [{id, text}]}``), from what *is* recorded or documented:

* each table's title, unit, ``updated``, first and latest period and variable texts: the recorded ``/tables``
  listing (``tables_da.json``);
* the areas: the recorded FOLK1A ``OMRÅDE`` values (Denmark, regions, municipalities incl. Christiansø);
* variable ids and value texts: ``statbank-health.md`` ([CODE] ids of SYGP1 and HJEMSYG) and the public
  mirror's table documentation it cites ([HINT]); where nothing is known, an id is made up and named so.

Every value carries, besides its id and text, what the test expects it to MEAN in the tidy frame (an area code,
a sex, an age band ``(lo, hi)`` with ``hi=None`` for an open band, a measure key, ``"total"``/``"part"``), written
here by hand: the tests compare the package's reading against this independent statement.

Counts are CONSTRUCTED: a deterministic function of the cell and the period (some are 0, so that BULK leaves them
out as real answers do); rates and life expectancies likewise, with one decimal. They are not data.
"""

from __future__ import annotations

import copy
import itertools
import json

import numpy as np

from tests.statbank_replay import StatBankReplay

TOTAL = "total"
PART = "part"


def _ages(*bands) -> list[tuple[str, str, object]]:
    return list(bands)


def _band(lo: int, hi: int | None, vid: str | None = None, text: str | None = None) -> tuple[str, str, object]:
    if hi is None:
        return (vid or f"{lo}-", text or f"{lo} år og derover", (lo, None))
    if hi == lo:
        return (vid or str(lo), text or f"{lo} år", (lo, lo))
    return (vid or f"{lo}-{hi}", text or f"{lo}-{hi} år", (lo, hi))


FIVE_YEAR = [_band(lo, lo + 4) for lo in range(0, 85, 5)]


class Constructed:
    """The constructed metadata of one table: ``variables`` = list of ``(id, text, values, role)`` with
    ``values`` = ``[(value id, text, meaning)]``; the time variable last, its values from the listing."""

    def __init__(self, table: str, variables: list[tuple[str, str, list, str]], periods: list[str] | None = None,
                 footnote: object = None) -> None:
        self.table, self.variables, self.periods, self.footnote = table, variables, periods, footnote


def _areas(folk1a: dict, *, country: str | None = "000", regions: bool = True, drop: tuple[str, ...] = (),
           extra: tuple[tuple[str, str], ...] = ()) -> list[tuple[str, str, object]]:
    """The recorded FOLK1A OMRÅDE values with the area code each means (written out here, not parsed)."""
    out = []
    for v in next(x for x in folk1a["variables"] if x["id"] == "OMRÅDE")["values"]:
        vid, text = v["id"], v["text"]
        if vid == "000":
            if country is not None:
                out.append((country, text, "DK"))
        elif vid in {"081", "082", "083", "084", "085"}:
            if regions:
                out.append((vid, text, "1" + vid))
        elif vid not in drop:
            out.append((vid, text, vid.zfill(4)))
    return out + [(vid, text, None) for vid, text in extra]  # None: an area klyngedata leaves out


SEX_TOT12 = [("TOT", "I alt", TOTAL), ("1", "Mænd", "male"), ("2", "Kvinder", "female")]
SEX_TOTMK = [("TOT", "I alt", TOTAL), ("M", "Mænd", "male"), ("K", "Kvinder", "female")]
SEX_100 = [("100", "Mænd og kvinder i alt", TOTAL), ("200", "Mænd", "male"), ("300", "Kvinder", "female")]
AED_AGES = [("50", "Alder i alt", TOTAL), _band(0, 64, "100", "Under 65 år"), _band(65, 66, "200"),
            _band(67, 69, "300"), _band(67, None, "850", "67 år og derover"), _band(70, 74, "400"),
            _band(75, 79, "500"), _band(80, 84, "600"), _band(85, 89, "700"),
            _band(90, None, "800", "90 år og derover")]


def constructed_tables(folk1a: dict) -> dict[str, Constructed]:
    """Every catalogue table's CONSTRUCTED metadata (see the module docstring for what is recorded)."""
    areas = _areas(folk1a)
    municipalities = _areas(folk1a, country=None, regions=False)
    gp = [("120", "I ALT", None), ("130", "ALMEN LÆGE I ALT", "gp"), ("140", "Almen læge, konsultation, dagtid", None),
          ("280", "FYSIOTERAPI", None), ("300", "PSYKOLOGHJÆLP", "psychologist")]
    gp_ages = [("IALT", "Alder i alt", TOTAL), *FIVE_YEAR, _band(85, 89), _band(90, None, "9099")]
    return {t.table: t for t in (
        Constructed("FOD207", [
            ("OMRÅDE", "område", areas, "area"),
            ("ALDER", "alder", [("IALT", "Alder i alt", TOTAL), _band(0, 0), _band(1, 4), *FIVE_YEAR[1:],
                                _band(85, 89), _band(90, 94), _band(95, None)], "age"),
            ("KØN", "køn", SEX_TOT12, "sex")]),
        Constructed("FOLK1B", [
            ("OMRÅDE", "område", areas, "area"), ("KØN", "køn", SEX_TOT12, "sex"),
            ("ALDER", "alder", [("IALT", "Alder i alt", TOTAL), *FIVE_YEAR, *[_band(lo, lo + 4) for lo in
                                                                           (85, 90, 95)],
                                _band(100, None, "100OV", "100 år og derover")], "age"),
            ("STATSB", "statsborgerskab", [("0", "I alt", TOTAL), ("5100", "Danmark", PART),
                                           ("5999", "Udlandet", PART)], "total")]),
        Constructed("SYGP1", [
            ("OMRÅDE", "område", _areas(folk1a, extra=(("86", "Uoplyst"),)), "area"),
            ("YDELSESART", "ydelsesart", gp, "measure"), ("ALERAMS", "alder", gp_ages, "age"),
            ("KØN", "køn", SEX_TOTMK, "sex")]),
        Constructed("SYGK1", [
            ("OMRÅDE", "område", _areas(folk1a, extra=(("86", "Uoplyst"),)), "area"),
            ("YDELSESART", "ydelsesart", gp, "measure"), ("ALERAMS", "alder", gp_ages, "age"),
            ("KØN", "køn", SEX_TOTMK, "sex")]),
        Constructed("SBR01", [
            ("KOMMUNEDK", "kommune", [("0", "Hele landet", "DK"), *municipalities], "area"),
            ("OPHOLD", "ophold på sygehus", [
                ("200100", "Personer i alt", "persons"),
                ("200110", "Alle varigheder (antal personer med ophold på sygehus)", "persons_with_stay"),
                ("200220", "Ophold på sygehus på under 12 timer (antal patienter)", "stay_under_12h"),
                ("200230", "Ophold på sygehus på 12 timer eller derover (antal patienter)", "stay_12h_plus"),
                ("200240", "Personer uden ophold på sygehus (antal)", "persons_without_stay")], "measure"),
            ("ALDER", "alder", [("TOT", "Alder i alt", TOTAL), _band(0, 0), _band(1, 4), *FIVE_YEAR[1:],
                                _band(85, None)], "age"),
            ("KØN", "køn", [("00", "Køn i alt", TOTAL), ("M", "Mænd", "male"), ("K", "Kvinder", "female")], "sex")]),
        Constructed("HJEMSYG", [
            ("OMRÅDE", "område", municipalities, "area"),
            ("ALDER1", "alder", [("050", "Alder i alt", TOTAL), _band(0, 64, "100", "Under 65 år"),
                                 _band(65, 69, "375"), _band(70, 74, "400"), _band(75, 79, "500"),
                                 _band(80, 84, "600"), _band(85, 89, "700"),
                                 _band(90, None, "800", "90 år og derover")], "age"),
            ("KOEN", "køn", SEX_100, "sex")]),
        Constructed("AED21", [
            ("OMRÅDE", "område", [("0", "Hele landet", "DK"), *municipalities], "area"),
            ("SERVYD", "serviceydelser", [
                ("130", "Modtagere 67 år og derover af leveret hjemmehjælp i eget hjem (procent af befolkningen)",
                 "home_help_delivered_67"),
                ("140", "Modtagere 67 år og derover af visiteret hjemmehjælp i eget hjem (procent af befolkningen)",
                 "home_help_granted_67"),
                ("150", "Plejehjemsbeboere 67 år og derover (procent af befolkningen)", "care_home_67"),
                ("160", "Modtagere af træning 67 år og derover (procent af befolkningen)", "training_67"),
                ("170", "Modtagere af forebyggende hjemmebesøg 75 år og derover (procent af befolkningen)",
                 "preventive_visits_75")], "measure")]),
        Constructed("AED06", [
            ("OMRÅDE", "område", areas, "area"),
            ("YDELSESTYPE", "ydelsestype", [("100", "Modtagere af hjemmehjælp i alt", "home_help"),
                                            ("200", "Modtagere der udelukkende modtager personlig pleje", None),
                                            ("300", "Modtagere der udelukkende modtager praktisk hjælp", None)],
             "measure"),
            ("TIMEUGE", "timer pr. uge", [("50", "Omfang i alt", TOTAL), ("100", "Under 2 timer", PART),
                                          ("200", "2 - 3,9 timer", PART)], "total"),
            ("ALDER", "alder", AED_AGES, "age"), ("KOEN", "køn", SEX_100, "sex")]),
        Constructed("AED07", [
            ("OMRÅDE", "område", areas, "area"), ("ALDER", "alder", AED_AGES, "age"),
            ("KØN", "køn", [("100", "Køn i alt", TOTAL), ("200", "Mænd", "male"), ("300", "Kvinder", "female")],
             "sex")]),
        Constructed("AED08", [
            ("OMRÅDE", "område", [("0", "Hele landet", "DK"), *municipalities], "area"),
            ("YDELSESTYPE", "ydelsestype", [("100", "I alt", "training"), ("200", "Genoptræning", "rehabilitation"),
                                            ("300", "Vedligeholdelsestræning", "maintenance"),
                                            ("400", "Genoptræning og vedligeholdelsestræning", None)], "measure"),
            ("ALDER", "alder", AED_AGES, "age"), ("KOEN", "køn", SEX_100, "sex")]),
        Constructed("HISBK", [
            ("OMRÅDE", "område", [("0", "Hele landet", "DK"),
                                  *[m for m in municipalities if m[0] not in ("825", "563", "741", "492")]], "area"),
            ("KØN", "køn", SEX_TOTMK, "sex")],
            periods=[f"{y}:{y + 4}" for y in range(2000, 2021)]),
        Constructed("FODIE", [
            ("OMRÅDE", "område", areas, "area"),
            ("MOHERK", "moders herkomst", [("5", "Personer med dansk oprindelse", PART), ("4", "Indvandrere", PART),
                                           ("3", "Efterkommere", PART), ("0", "Uoplyst herkomst", PART)], "sum"),
            ("MOOPRIND", "moders oprindelsesland", [("5100", "Danmark", PART), ("5180", "Tyskland", PART),
                                                    ("9999", "Uoplyst", PART)], "sum"),
            ("MOSTAT", "moders statsborgerskab", [("5100", "Danmark", PART), ("5180", "Tyskland", PART)], "sum"),
            ("MODERSALDER", "moders alder", [_band(a, a) for a in range(15, 50)], "age"),
            ("BARNKON", "barnets køn", [("D", "Drenge", "male"), ("P", "Piger", "female")], "sex")]),
    )}


def tableinfo(c: Constructed, row: dict) -> dict:
    """The CONSTRUCTED ``/tableinfo`` answer of ``c`` (Danish), its header fields from the recorded listing row."""
    first, last = row["firstPeriod"], row["latestPeriod"]
    if c.periods is not None:
        periods = c.periods
    elif "K" in first:
        periods = [f"{y}K{q}" for y in range(int(first[:4]), int(last[:4]) + 1) for q in range(1, 5)]
        periods = [p for p in periods if first <= p <= last]
    else:
        periods = [str(y) for y in range(int(first), int(last) + 1)]
    variables = [{"id": vid, "text": text, "elimination": True, "time": False,
                  "values": [{"id": i, "text": t} for i, t, _ in values]} for vid, text, values, _ in c.variables]
    variables.append({"id": "Tid", "text": "tid", "elimination": False, "time": True,
                      "values": [{"id": p, "text": p} for p in periods]})
    return {"id": c.table, "text": row["text"], "description": f"CONSTRUCTED tableinfo of {c.table}",
            "unit": row["unit"], "suppressedDataValue": "0", "updated": row["updated"], "active": True,
            "contacts": [], "documentation": None, "footnote": c.footnote, "variables": variables}


class HealthReplay(StatBankReplay):
    """The recorded-API replay serving the CONSTRUCTED health tables too (``constructed``: table → metadata)."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        folk1a = self.tableinfos[("FOLK1A", "da")]
        self.constructed = constructed_tables(folk1a)
        for tid, c in self.constructed.items():
            self.tableinfos[(tid, "da")] = tableinfo(c, self._row(tid))
        self.rates = {"AED21", "HISBK"}

    def values(self, table: str, period: str) -> np.ndarray:
        if table not in self.constructed:
            return super().values(table, period)
        info = self.tableinfos[(table, "da")]
        tid = next(v for v in info["variables"] if v.get("time"))
        t = [x["id"] for x in tid["values"]].index(period)
        key = (table, t)
        if key not in self._counts:
            self._counts[key] = constructed_values(info, t, rate=table in self.rates)
        return self._counts[key]

    def shape_changed(self, table: str, change: str) -> None:
        """CONSTRUCTED: the table's metadata as if Statistics Denmark had changed it (``rename_sex``: the sex
        variable gets another text; ``drop_total``: the age variable loses its total; ``drop_extra_total``:
        citizenship loses its total; ``new_variable``: a variable klyngedata does not know)."""
        info = copy.deepcopy(self.tableinfos[(table, "da")])
        if change == "rename_sex":
            next(v for v in info["variables"] if v["text"] == "køn")["text"] = "kønnet"
        elif change == "drop_total":
            age = next(v for v in info["variables"] if v["text"] == "alder")
            age["values"] = [v for v in age["values"] if v["text"] != "Alder i alt"]
        elif change == "drop_extra_total":
            stat = next(v for v in info["variables"] if v["text"] == "statsborgerskab")
            stat["values"] = [v for v in stat["values"] if v["text"] != "I alt"]
        elif change == "new_variable":
            info["variables"].insert(-1, {"id": "URBAN", "text": "urbaniseringsgrad", "elimination": True,
                                          "time": False, "values": [{"id": "1", "text": "By"},
                                                                    {"id": "2", "text": "Land"}]})
        self.tableinfos[(table, "da")] = info
        self._counts = {k: v for k, v in self._counts.items() if k[0] != table}


def constructed_values(info: dict, t: int, *, rate: bool = False) -> np.ndarray:
    """CONSTRUCTED values (not data) of every stub cell in period index ``t``: counts 0..22 (about one in
    twenty-three is 0), or rates with one decimal (0.0 … 99.9; about one in thirty-one is 0.0, which BULK leaves
    out)."""
    stub = [v for v in info["variables"] if not v.get("time")]
    shape = [len(v["values"]) for v in stub]
    acc = np.full(shape, t * 5 + 1, dtype=np.int64)
    for k, n in enumerate(shape):
        idx = np.arange(n).reshape([-1 if j == k else 1 for j in range(len(shape))])
        acc = acc + (idx + 1) * (3 + 2 * k) + idx * idx * (k + 1)
    if rate:
        return np.where(acc % 31 == 0, 0.0, (acc % 1000) / 10.0)
    return acc % 23


def expected_rows(replay: HealthReplay, table: str, periods: list[str] | None = None) -> dict[tuple, object]:
    """The rows a fetch of ``table`` must cache, computed from the CONSTRUCTED metadata and values alone:
    ``(area_code, sex, age, measure, period) -> value`` (age: ``"total"`` or ``(lo, hi)``), over the cells
    klyngedata selects (known areas, wanted measures, extra variables at their total, ``sum`` variables summed),
    with the cells BULK leaves out as 0 (counts) or None (rates: missing)."""
    c = replay.constructed[table]
    info = replay.tableinfos[(table, "da")]
    tid = next(v for v in info["variables"] if v.get("time"))
    periods = periods or [x["id"] for x in tid["values"]]
    wanted = []
    for _, _, values, role in c.variables:
        idx = []
        for i, (_, _, meaning) in enumerate(values):
            if role == "area" and meaning is None or role == "measure" and meaning is None:
                continue
            if role == "total" and meaning != TOTAL:
                continue
            idx.append(i)
        wanted.append(idx)
    out: dict[tuple, object] = {}
    roles = [r for _, _, _, r in c.variables]
    content = {"FOD207": "deaths", "FOLK1B": "population", "HJEMSYG": "home_nursing_recipients",
               "AED07": "care_home_residents", "HISBK": "life_expectancy_0", "FODIE": "live_births"}.get(table)
    for p in periods:
        full = replay.values(table, p)
        for combo in itertools.product(*wanted):
            key = {"area": None, "sex": TOTAL, "age": TOTAL, "measure": content}
            for (_, _, values, role), i in zip(c.variables, combo, strict=True):
                if role in ("area", "sex", "age", "measure"):
                    key[role] = values[i][2]
            k = (key["area"], key["sex"], key["age"], key["measure"], p)
            v = full[combo]
            value = None if (table in replay.rates and v == 0) else (float(v) if table in replay.rates else int(v))
            if "sum" in roles:
                out[k] = (out.get(k) or 0) + value
            else:
                out[k] = value
    return out


def recorded_listing(replay: StatBankReplay) -> list[dict]:
    """The recorded ``/tables`` rows of the catalogue tables (for checks on titles and periods)."""
    return json.loads(json.dumps([r for r in replay.listing if r["id"] in replay.constructed]))
