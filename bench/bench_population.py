"""Benchmark: load the population cache and aggregate the full available history to every cluster.

Imports the real files in ../shared/data/population into a temporary data dir (through the normal import),
then times (median of N runs): cache read, population() at municipality / cluster / region / country level
for period="all". Prints figures and ratios; no assertions.

    python bench/bench_population.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path

SHARED = Path(os.environ.get("KLYNGEDATA_SHARED_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" / "data"))


def timed(fn, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    os.environ["KLYNGEDATA_OFFLINE"] = "1"
    from klyngedata.cache import Cache
    from klyngedata.population import population
    from klyngedata.sources import import_file

    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        import_file(SHARED / "population", data_dir=d)
        print(f"import of {SHARED / 'population'}: {time.perf_counter() - t0:.3f} s")
        cache = Cache(d)
        t_read, df = timed(lambda: cache.read("population/FOLK1AM"), args.runs)
        print(f"cache read population/FOLK1AM ({len(df)} rows): {t_read * 1000:.1f} ms")
        results = {}
        for level in ("municipality", "cluster", "region", "country"):
            t, out = timed(lambda level=level: population(level, period="all", data_dir=d), args.runs)
            results[level] = t
            print(f"population({level!r}, period='all'): {len(out)} rows, {out['period'].nunique()} periods, "
                  f"{t * 1000:.1f} ms")
        print(f"ratio cluster / municipality: {results['cluster'] / results['municipality']:.2f}")
        print(f"ratio cluster / cache read: {results['cluster'] / t_read:.1f}")


if __name__ == "__main__":
    main()
