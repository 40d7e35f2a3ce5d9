"""Benchmark: disclosure control of everything indicator_figures publishes, on constructed data.

Constructed indicator frames for all 98 municipalities (invented counts, a share of them small), from totals
only up to sex x age groups x year + quarters. For each: the time of the pooling alone (all periods, three
divisions) and of the whole call (pooling + disclosure control of the universe), the share the control
takes, the rows published and hidden. Prints figures and ratios; no assertions.

    python bench/bench_disclosure.py [--small 0.2]
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
import pandas as pd


def constructed(design: str, small: float, seed: int = 1) -> pd.DataFrame:
    """Constructed long-format indicator rows (names say so): invented counts, a share ``small`` of 0-4."""
    from klyngedata import registry

    rng = np.random.default_rng(seed)
    codes = registry.municipalities()["municipality_code"].tolist()
    sexes = ["total"] if design == "total" else ["male", "female", "total"]
    ages = ["65-74", "75+", "total"] if "age" in design else ["total"]
    periods = ["2024", "2024K1", "2024K2", "2024K3", "2024K4"] if "quarters" in design else ["2024"]
    finest_s = [s for s in sexes if s != "total"] or ["total"]
    finest_a = [a for a in ages if a != "total"] or ["total"]
    finest_p = [p for p in periods if "K" in p] or periods
    rows = []
    for m in codes:
        cell = {}
        for s, a, p in itertools.product(finest_s, finest_a, finest_p):
            n = int(rng.integers(0, 5)) if rng.random() < small else int(rng.integers(5, 400))
            cell[(s, a, p)] = (n, n + int(rng.integers(50, 3000)))
        for s, a, p in itertools.product(sexes, ages, periods):
            sel = [v for (cs, ca, cp), v in cell.items() if s in ("total", cs) and a in ("total", ca)
                   and (p == cp or (len(p) == 4 and cp.startswith(p)))]
            num, den = sum(v[0] for v in sel), sum(v[1] for v in sel)
            rows.append(dict(municipality_code=m, period=p, indicator="forebyggelige_indlaeggelser_65", sex=s,
                             age_group=a, numerator=float(num), denominator=float(den),
                             value=num / den * 1000 if den else np.nan, source_file="constructed",
                             source_row=pd.NA))
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", type=float, default=0.2, help="share of finest cells with 0-4")
    args = ap.parse_args()
    import klyngedata.indicators.figures as ind
    import klyngedata.indicators.pooling as pool
    from klyngedata import registry

    print(f"{'design':<22}{'rows':>7}{'hidden':>8}{'pooling s':>11}{'total s':>9}{'control share':>15}")
    for design in ("total", "sex", "sex_age", "sex_age_quarters"):
        data = constructed(design, args.small)
        ind._PUBLISHED.clear()
        t = time.perf_counter()
        universe = pool._fill_totals(data)
        for div in registry.divisions()["division"]:
            pool._long_table(universe, div, None, None)
        pooling = time.perf_counter() - t
        ind._PUBLISHED.clear()
        t = time.perf_counter()
        out = ind.indicator_figures(level="municipality", data=data, division="sundhedsklynger-2022",
                                    period="all")
        total = time.perf_counter() - t
        print(f"{design:<22}{len(out):>7}{int(out['suppressed'].sum()):>8}{pooling:>11.2f}{total:>9.2f}"
              f"{(total - pooling) / total:>14.0%}")


if __name__ == "__main__":
    main()
