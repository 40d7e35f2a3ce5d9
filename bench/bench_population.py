"""Benchmark: population aggregation, on the real shared files and at full national detail.

Part 1 (real data): imports ../shared/data/population into a temporary data dir (the normal import) and times
(median of N runs) the cache read and population() at municipality / cluster / region / country level for
period="all".

Part 2 (full national detail, CONSTRUCTED counts): a StatBank FOLK1A export in code presentation with the real
shape — 98 municipalities x 2 sexes x single ages 0-125 x the quarters 2008K1-2026K4 (1,876,896 rows) — is
written and imported through the normal import (the counts are constructed, not data). Then, each in a fresh
process (so peak memory is that of the step alone), it times population() to the 2022 clusters and to the 2027
councils by sex and 5-year age group for all periods — the first call (registry load and cache read included),
repeated calls (the parsed table kept in memory, as klyngedata does) and repeated calls with the table read
from the cache every time — then both divisions one after the other in one fresh process, and reports the peak
resident memory of each process and the peak Python/numpy allocation (tracemalloc) of one call. Prints figures
and ratios; no assertions.

    python bench/bench_population.py [--runs 5] [--skip-real] [--skip-full]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

SHARED = Path(os.environ.get("KLYNGEDATA_SHARED_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" / "data"))
DIVISIONS = {"clusters": "sundhedsklynger-2022", "councils": "sundhedsraad-2027"}
FIRST_YEAR, LAST_YEAR, TOP_AGE = 2008, 2026, 125


def timed(fn, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def real_data(runs: int) -> None:
    from klyngedata.cache import Cache
    from klyngedata.importing import import_file
    from klyngedata.population import population

    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        import_file(SHARED / "population", data_dir=d)
        print(f"import of {SHARED / 'population'}: {time.perf_counter() - t0:.3f} s")
        cache = Cache(d)
        t_read, df = timed(lambda: cache.read("population/FOLK1AM"), runs)
        print(f"cache read population/FOLK1AM ({len(df)} rows): {t_read * 1000:.1f} ms")
        results = {}
        for level in ("municipality", "cluster", "region", "country"):
            t, out = timed(lambda level=level: population(level, period="all", data_dir=d), runs)
            results[level] = t
            print(f"population({level!r}, period='all'): {len(out)} rows, {out['period'].nunique()} periods, "
                  f"{t * 1000:.1f} ms")
        print(f"ratio cluster / municipality: {results['cluster'] / results['municipality']:.2f}")
        print(f"ratio cluster / cache read: {results['cluster'] / t_read:.1f}")


def write_constructed_folk1a(path: Path) -> int:
    """A CONSTRUCTED FOLK1A export (code presentation) with the real shape; the counts are made up.

    Count of a cell: a smooth function of age, sex, municipality and quarter (never 0, no '..'), so that every
    group sums to a plausible number; nothing here is data.
    """
    import numpy as np

    from klyngedata import registry

    codes = [str(int(c)) for c in registry.municipalities()["municipality_code"]]  # StatBank codes: "101", "851"
    quarters = [f"{y}K{q}" for y in range(FIRST_YEAR, LAST_YEAR + 1) for q in range(1, 5)]
    ages = np.arange(TOP_AGE + 1)
    n_m, n_q = len(codes), len(quarters)
    m_idx, s_idx, a_idx, q_idx = (g.ravel() for g in np.meshgrid(np.arange(n_m), np.arange(2), ages,
                                                                    np.arange(n_q), indexing="ij"))
    counts = (1 + (400 + 37 * (m_idx % 11)) * np.exp(-((a_idx - 38.0) / 45.0) ** 2)
              * (1.0 + 0.02 * s_idx) * (1.0 + 0.001 * q_idx)).astype(np.int64)
    area = np.array(codes, dtype=object)[m_idx]
    sex = np.array(["1", "2"], dtype=object)[s_idx]
    age = ages.astype(str).astype(object)[a_idx]
    period = np.array(quarters, dtype=object)[q_idx]
    lines = area + ";" + sex + ";" + age + ";" + period + ";" + counts.astype(str).astype(object)
    with open(path, "w", encoding="utf-8") as f:
        f.write("OMRÅDE;KØN;ALDER;TID;INDHOLD\n")
        f.write("\n".join(lines.tolist()))
        f.write("\n")
    return len(lines)


_STEP = r"""
import json, resource, statistics, sys, time, tracemalloc, warnings
warnings.simplefilter("ignore")


def peak_rss_mb():
    # VmHWM: this process's own high-water mark (ru_maxrss is inherited from the parent across fork + exec on
    # Linux, so it would report the benchmark's construction step, not this step)
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


t0 = time.perf_counter()
from klyngedata.population import population
from klyngedata.population.load import forget_tables
t_import = time.perf_counter() - t0
data_dir, divisions, runs = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3])


def call(division):
    return population("cluster", division=division, period="all", by=("sex",), age_groups="5y", data_dir=data_dir)


def timed(forget=False):
    # one call per division, one after the other: seconds per division and in all
    out = []
    for division in divisions:
        if forget:
            forget_tables()
        t = time.perf_counter()
        call(division)
        out.append(time.perf_counter() - t)
    return out


out = {"import_s": t_import, "rss_after_import_mb": peak_rss_mb()}
out["first_s"] = timed()
out["max_rss_first_mb"] = peak_rss_mb()
out["kept_s"] = [timed() for _ in range(runs)]  # the table parsed once in this process (kept in memory)
out["reread_s"] = [timed(forget=True) for _ in range(runs)]  # the table read from the cache every call
out["max_rss_mb"] = peak_rss_mb()
forget_tables()
tracemalloc.start()  # last: tracing slows allocation down and uses memory itself
frame = call(divisions[0])
out["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
tracemalloc.stop()
out["rows"] = len(frame)
out["units"] = int(frame.loc[frame["is_cluster"], "entity_id"].nunique())
out["periods"] = int(frame["period"].nunique())
print(json.dumps(out))
"""


def _step(data_dir: Path, divisions: list[str], runs: int) -> dict | None:
    env = dict(os.environ, KLYNGEDATA_OFFLINE="1")
    r = subprocess.run([sys.executable, "-c", _STEP, str(data_dir), ",".join(divisions), str(runs)], env=env,
                       capture_output=True, text=True)
    if r.returncode:
        print(f"{'+'.join(divisions)}: FAILED\n{r.stderr[-2000:]}")
        return None
    return json.loads(r.stdout.strip().splitlines()[-1])


def _med(rows: list[list[float]], i: int | None = None) -> float:
    return statistics.median(sum(r) if i is None else r[i] for r in rows)


def full_detail(runs: int) -> None:
    from klyngedata.importing import import_file

    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "constructed_FOLK1A_full_detail_2008K1-2026K4.csv"
        t = time.perf_counter()
        n = write_constructed_folk1a(src)
        print(f"\nconstructed FOLK1A export (counts are CONSTRUCTED, shape is real): {n:,} rows, "
              f"{src.stat().st_size / 1e6:.0f} MB, written in {time.perf_counter() - t:.1f} s")
        data_dir = Path(d) / "data"
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import_file(src, data_dir=data_dir)
        print(f"import (klyngedata data import): {time.perf_counter() - t:.1f} s")
        src.unlink()
        peak, each = 0.0, {}
        print("population('cluster', division=..., by=('sex',), age_groups='5y', period='all'), each division in "
              "a fresh process:")
        for what, division in DIVISIONS.items():
            res = _step(data_dir, [division], runs)
            if res is None:
                continue
            first, kept, reread = res["first_s"][0], _med(res["kept_s"]), _med(res["reread_s"])
            peak = max(peak, res["max_rss_mb"])
            each[what] = (first, kept, reread)
            print(f"  {what} ({division}): {res['units']} units, {res['periods']} periods, {res['rows']:,} rows | "
                  f"first call {first:.3f} s (cache read and registry load included) | then median {kept:.3f} s "
                  f"(min {min(sum(r) for r in res['kept_s']):.3f}; the table parsed once, kept in memory) | "
                  f"median {reread:.3f} s with the table read from the cache every call | peak RSS "
                  f"{res['max_rss_mb']:.0f} MB ({res['rss_after_import_mb']:.0f} MB after the imports), peak "
                  f"traced allocation of one call {res['traced_peak_mb']:.0f} MB")
        both = _step(data_dir, list(DIVISIONS.values()), runs)
        if both is not None:
            peak = max(peak, both["max_rss_mb"])
            pair_first, pair_kept, pair_reread = sum(both["first_s"]), _med(both["kept_s"]), _med(both["reread_s"])
            print(f"both divisions, one after the other in one fresh process: first time {pair_first:.3f} s "
                  f"({' + '.join(f'{x:.3f}' for x in both['first_s'])}) | then median {pair_kept:.3f} s "
                  f"(clusters {_med(both['kept_s'], 0):.3f} + councils {_med(both['kept_s'], 1):.3f}) | median "
                  f"{pair_reread:.3f} s with the table read every call | peak RSS {both['max_rss_mb']:.0f} MB")
        print("goal of issue 14: to clusters and councils by sex and 5-year age group in under 1 s, peak memory "
              "under 500 MB:")
        for what, (first, kept, reread) in each.items():
            print(f"  {what}: first call {first:.3f} s, then {kept:.3f} s (read every call: {reread:.3f} s) -> "
                  f"{'met' if max(first, kept, reread) < 1 else 'NOT met'} (every call under 1 s)")
        if both is not None:
            print(f"  both divisions in one process: {pair_first:.3f} s the first time, {pair_kept:.3f} s after "
                  f"-> {'met' if pair_first < 1 else 'NOT met'} the first time, "
                  f"{'met' if pair_kept < 1 else 'NOT met'} after")
        print(f"  peak RSS {peak:.0f} MB -> {'met' if 0 < peak < 500 else 'NOT met'} (under 500 MB)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--skip-real", action="store_true")
    ap.add_argument("--skip-full", action="store_true")
    args = ap.parse_args()
    os.environ["KLYNGEDATA_OFFLINE"] = "1"
    warnings.simplefilter("ignore")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; cpus: {os.cpu_count()}")
    if not args.skip_real:
        real_data(args.runs)
    if not args.skip_full:
        full_detail(args.runs)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
