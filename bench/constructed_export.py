"""A CONSTRUCTED FOLK1A-shaped StatBank export of about 2 million rows, for the import benchmark (issue 26).

The *shape* is the real table's, read at run time from the recorded FOLK1A tableinfo
(``../shared/reference/statbank-recorded/tableinfo_FOLK1A_da.json``, ``$KLYNGEDATA_STATBANK_RECORDED``): its 105
areas (Hele landet, the 5 regions, the 98 municipalities and Christiansø) with their Danish texts, ``KØN`` (I alt,
Mænd, Kvinder), ``ALDER`` (Alder i alt, 0 år .. 125 år), ``CIVILSTAND`` I alt, and the newest quarters. The file is
written as a BULK answer writes it by default (Danish texts, ``;``, CRLF, no BOM) or in code presentation.

The COUNTS ARE CONSTRUCTED (a smooth function of age, sex, area and quarter), never data: nothing here is copied
from or derived from a real figure. They add up as a real table does (a region is the sum of its municipalities,
Denmark of its regions, ``I alt`` of the two sexes, ``Alder i alt`` of the ages), so an import has nothing to
report about them.

    python bench/constructed_export.py OUT.csv [--quarters 50] [--presentation Value|Code]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

RECORDED = Path(os.environ.get("KLYNGEDATA_STATBANK_RECORDED",
                               Path(__file__).resolve().parents[1] / ".." / "shared" / "reference" /
                               "statbank-recorded"))
QUARTERS = 50  # 105 areas x 3 sexes x 127 ages x 50 quarters = 2,000,250 rows


def _tableinfo() -> dict:
    return json.loads((RECORDED / "tableinfo_FOLK1A_da.json").read_text(encoding="utf-8"))


def _areas(values: list[dict]) -> tuple[list[dict], np.ndarray, np.ndarray]:
    """The areas, the region (index into the areas) of each municipality (-1 for Denmark and the regions) and
    whether an area is a region. The tableinfo lists each region followed by its municipalities."""
    region = np.full(len(values), -1)
    is_region = np.zeros(len(values), dtype=bool)
    current = -1
    for i, v in enumerate(values):
        if v["id"] == "000":
            continue
        if v["text"].startswith("Region "):
            current, is_region[i] = i, True
        else:
            region[i] = current
    return values, region, is_region


def constructed_counts(n_areas: int, region: np.ndarray, is_region: np.ndarray, n_ages: int,
                       n_quarters: int, first_quarter: int = 0) -> np.ndarray:
    """CONSTRUCTED counts, shape (area, sex [total, male, female], age [total, 0, 1, ...], quarter): made-up
    single-year counts per municipality, and every total the sum of its parts."""
    muni = region >= 0
    a = np.arange(n_ages - 1, dtype=np.float64)
    m = np.arange(n_areas, dtype=np.float64)[:, None, None, None]
    s = np.arange(2, dtype=np.float64)[None, :, None, None]
    q = np.arange(first_quarter, first_quarter + n_quarters, dtype=np.float64)[None, None, None, :]
    shape = np.exp(-((a[None, None, :, None] - 38.0) / 45.0) ** 2)
    single = np.floor(3 + (40 + 37 * (m % 11)) * shape * (1.0 + 0.02 * s) * (1.0 + 0.001 * q)
                       * np.where(a[None, None, :, None] > 105, 0.0, 1.0)).astype(np.int64)
    single[~muni] = 0
    for r in np.flatnonzero(is_region):
        single[r] = single[region == r].sum(axis=0)
    single[~muni & ~is_region] = single[is_region].sum(axis=0)
    counts = np.empty((n_areas, 3, n_ages, n_quarters), dtype=np.int64)
    counts[:, 1:, 1:, :] = single
    counts[:, 0, 1:, :] = single.sum(axis=1)
    counts[:, :, 0, :] = counts[:, :, 1:, :].sum(axis=2)
    return counts


def write_constructed_folk1a_export(path: str | os.PathLike[str], quarters: int = QUARTERS,
                                   presentation: str = "Value", older: int = 0) -> int:
    """Write the CONSTRUCTED export to ``path``; returns its number of data rows (2,000,250 for 50 quarters).
    ``older``: end that many quarters before the newest (the export of an earlier quarter)."""
    info = {v["id"]: v["values"] for v in _tableinfo()["variables"]}
    areas, region, is_region = _areas(info["OMRÅDE"])
    end = len(info["Tid"]) - older
    sexes, ages, periods = info["KØN"], info["ALDER"], info["Tid"][end - quarters:end]
    first = end - quarters  # a quarter has the same counts in every file it is in
    counts = constructed_counts(len(areas), region, is_region, len(ages), len(periods), first)
    label = "text" if presentation == "Value" else "id"
    cols = [np.array([v[label] for v in vals], dtype=object) for vals in (areas, sexes, ages)]
    civil = info["CIVILSTAND"][0][label]  # "I alt" / "TOT"
    per = np.array([v["id"] for v in periods], dtype=object)
    # rows in the order StatBank writes them: area, sex, age, then time fastest
    i_a, i_s, i_g, i_t = (g.ravel() for g in np.indices(counts.shape))
    prefix = (cols[0][:, None, None] + ";" + cols[1][None, :, None] + ";" + cols[2][None, None, :]
              + f";{civil};").ravel()
    lines = prefix[(i_a * len(sexes) + i_s) * len(ages) + i_g] + per[i_t] + ";" + \
        counts.ravel().astype(str).astype(object) + "\r\n"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("OMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD\r\n")
        for start in range(0, len(lines), 200_000):
            fh.write("".join(lines[start:start + 200_000]))
    return len(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--quarters", type=int, default=QUARTERS)
    ap.add_argument("--presentation", choices=("Value", "Code"), default="Value")
    ap.add_argument("--older", type=int, default=0, help="end this many quarters before the newest")
    args = ap.parse_args()
    n = write_constructed_folk1a_export(args.out, args.quarters, args.presentation, args.older)
    print(f"{args.out}: {n:,} rows (CONSTRUCTED counts)")


if __name__ == "__main__":
    main()
