"""CONSTRUCTED deaths and population for the mortality tests, on real-shaped municipalities.

* **Real**: each municipality's total population on 1 January (Statistics Denmark's FOLK1AM in
  ``../shared/data``, read through the package's loaders at test time, never copied), when a test asks for it;
* **CONSTRUCTED** (not data): the split of each total by sex and age band (the shape of a stationary population
  under the constructed death rates), the death rates (a Gompertz curve with an infant rate, times a factor per
  municipality), and the deaths (rate x person-years, rounded, with a small deterministic wobble).

Frames are returned in the health tables' tidy schema (:mod:`klyngedata.dst.health_parse`): deaths as FOD207
with the table's irregular bands ``0``, ``1-4``, ``5-9`` … ``90-94``, ``95+``; the population on 1 January as a
FOLK1B-like table with ``0``, ``1-4``, ``5-9`` … ``95-99``, ``100+`` (so that a life table has its infant band).
The same numbers are also given as plain arrays (``truth``), so a test can pool and compute by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DEATH_BANDS = [(0, 0), (1, 4)] + [(a, a + 4) for a in range(5, 95, 5)] + [(95, None)]
POP_BANDS = [(0, 0), (1, 4)] + [(a, a + 4) for a in range(5, 100, 5)] + [(100, None)]
SEXES = ("male", "female")


def rate(lo: int, sex: str) -> float:
    """CONSTRUCTED death rate of a band (per person-year): an infant rate, then a Gompertz curve."""
    if lo == 0:
        return 0.0035 if sex == "male" else 0.0029
    mid = lo + 2.0 if lo < 95 else 97.0
    a = 3.6e-5 if sex == "male" else 2.2e-5
    return 0.00015 + a * float(np.exp(0.0965 * mid))


def _shares(sex: str) -> np.ndarray:
    """CONSTRUCTED share of each population band (stationary population under :func:`rate`)."""
    alive, out = 1.0, []
    for lo, hi in POP_BANDS:
        width = (hi - lo + 1) if hi is not None else 10
        m = rate(min(lo, 95), sex)
        out.append(alive * width * float(np.exp(-m * width / 2)))
        alive *= float(np.exp(-m * width))
    s = np.array(out)
    return s / s.sum()


def factor(code: str) -> float:
    """CONSTRUCTED mortality factor of a municipality (0.85 … 1.20, from its code)."""
    return 0.85 + (int(code) * 37 % 36) / 100.0


@dataclass
class Constructed:
    """The CONSTRUCTED tables (tidy frames) and the same numbers as dictionaries for hand computations."""

    deaths: pd.DataFrame
    population: pd.DataFrame
    deaths_of: dict  # (code, sex, year, band lo) -> deaths
    stock_of: dict  # (code, sex, year, pop band lo) -> population on 1 January


def construct(totals: dict[tuple[str, int], int], years: list[int], *, small: dict | None = None) -> Constructed:
    """CONSTRUCTED deaths for ``years`` and population on 1 January of ``years`` and the year after, from the
    municipality totals ``{(code, year): population}`` (a total may be given for every 1 January needed).

    ``small``: ``{(code, sex, year): deaths}`` forces a municipality's deaths at all ages in a year (spread over
    its oldest bands), to make small counts on purpose.
    """
    small = small or {}
    codes = sorted({c for c, _ in totals})
    stock_of: dict = {}
    for (code, year), n in totals.items():
        for sex in SEXES:
            counts = np.floor(n * 0.5 * _shares(sex) + 0.5).astype(int)
            for (lo, _hi), v in zip(POP_BANDS, counts, strict=True):
                stock_of[(code, sex, year, lo)] = int(v)
    deaths_of: dict = {}
    for code in codes:
        for sex in SEXES:
            for year in years:
                py = {}
                for lo, hi in DEATH_BANDS:  # person-years of the deaths' band: sums of population bands
                    inside = [b for b, h in POP_BANDS if b >= lo and (hi is None or (h is not None and h <= hi))]
                    py[lo] = sum((stock_of[(code, sex, year, b)] + stock_of[(code, sex, year + 1, b)]) / 2
                                 for b in inside)
                for lo, _hi in DEATH_BANDS:
                    expected = rate(lo, sex) * factor(code) * py[lo]
                    wobble = (int(code) + lo + year) % 3 - 1
                    deaths_of[(code, sex, year, lo)] = max(0, int(round(expected)) + (wobble if expected > 3 else 0))
                if (code, sex, year) in small:
                    target = small[(code, sex, year)]
                    for lo, _hi in DEATH_BANDS:
                        deaths_of[(code, sex, year, lo)] = 0
                    deaths_of[(code, sex, year, 95)] = target - target // 2
                    deaths_of[(code, sex, year, 85)] = target // 2
    return Constructed(_deaths_frame(deaths_of), _population_frame(stock_of), deaths_of, stock_of)


def _tidy(rows: list[tuple], table: str, measure: str) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["area_code", "sex", "age_lo", "age_hi", "period", "value"])
    out = pd.DataFrame({
        "table": table, "area_level": "municipality", "area_code": df["area_code"],
        "municipality_code": df["area_code"], "sex": df["sex"],
        "age_lo": pd.array(df["age_lo"], dtype="Int64"), "age_hi": pd.array(df["age_hi"], dtype="Int64"),
        "age_total": False, "measure": measure, "measure_code": pd.NA, "measure_da": table,
        "period": df["period"].astype(str), "value": pd.array(df["value"], dtype="Int64"), "reason_da": pd.NA,
    })
    for c in ("table", "area_level", "area_code", "municipality_code", "sex", "measure", "measure_code",
              "measure_da", "period", "reason_da"):
        out[c] = out[c].astype("string")
    out.attrs["provenance"] = {"table": table, "file": "CONSTRUCTED"}
    return out


def _deaths_frame(deaths_of: dict) -> pd.DataFrame:
    his = dict(DEATH_BANDS)
    return _tidy([(c, s, lo, his[lo], str(y), v) for (c, s, y, lo), v in deaths_of.items()], "FOD207", "deaths")


def _population_frame(stock_of: dict) -> pd.DataFrame:
    his = dict(POP_BANDS)
    return _tidy([(c, s, lo, his[lo], f"{y}K1", v) for (c, s, y, lo), v in stock_of.items()], "FOLK1B",
                  "population")


def real_totals(data_dir, years: list[int]) -> dict[tuple[str, int], int]:
    """The real municipality totals on 1 January of ``years`` (FOLK1AM from the shared data, via the loader)."""
    from klyngedata.population import population

    p = population("municipality", period=[f"{y}M01" for y in years], data_dir=data_dir)
    return {(str(c), int(per.year)): int(n) for c, per, n in zip(p["entity_id"], p["period"], p["population"],
                                                                 strict=True)}


def _names() -> dict[str, str]:
    from klyngedata import registry

    m = registry.municipalities()
    return dict(zip(m["municipality_code"], m["dst_name"], strict=True)) | {"0411": "Christiansø"}


def _band_da(lo: int, hi: int | None) -> str:
    return f"{lo} år og derover" if hi is None else (f"{lo} år" if lo == hi else f"{lo}-{hi} år")


SEX_DA = {"male": "Mænd", "female": "Kvinder", "total": "I alt"}


def fod207_export(data: Constructed, missing: tuple = ()) -> str:
    """The CONSTRUCTED deaths as a StatBank CSV export of FOD207 (Danish, text presentation; ``..`` in the cells
    ``missing`` = ``(code, sex, year, band lo)``)."""
    names, his = _names(), dict(DEATH_BANDS)
    lines = ["OMRÅDE;ALDER;KØN;TID;INDHOLD"]
    for (code, sex, year, lo), v in sorted(data.deaths_of.items()):
        cell = ".." if (code, sex, year, lo) in missing else str(v)
        lines.append(f"{names[code]};{_band_da(lo, his[lo])};{SEX_DA[sex]};{year};{cell}")
    return "\r\n".join(lines) + "\r\n"


def folk1b_export(data: Constructed) -> str:
    """The CONSTRUCTED population on 1 January as a FOLK1B-shaped export (Danish text, its bands ``0 år``,
    ``1-4 år`` … ``100 år og derover``; citizenship at its total)."""
    names, his = _names(), dict(POP_BANDS)
    lines = ["OMRÅDE;KØN;ALDER;STATSBORGERSKAB;TID;INDHOLD"]
    for (code, sex, year, lo), v in sorted(data.stock_of.items()):
        lines.append(f"{names[code]};{SEX_DA[sex]};{_band_da(lo, his[lo])};I alt;{year}K1;{v}")
    return "\r\n".join(lines) + "\r\n"


def hisbk_export(values: dict[tuple[str, str, str], float]) -> str:
    """CONSTRUCTED published life expectancies ``{(code, sex, window): years}`` as a HISBK export."""
    names = _names()
    lines = ["OMRÅDE;KØN;TID;INDHOLD"]
    for (code, sex, window), v in sorted(values.items()):
        lines.append(f"{names[code]};{SEX_DA[sex]};{window};{v:.1f}".replace(".", ","))
    return "\r\n".join(lines) + "\r\n"
