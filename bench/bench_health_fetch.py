"""Benchmark: a full fetch of every StatBank health table (all periods) against the local replay
(tests/statbank_replay.py with the CONSTRUCTED health tables of tests/health_replay.py; recorded formats).

For each table: the rows cached and the wall and CPU time of ``fetch_and_store`` (``/tableinfo`` and the BULK
chunks, resolution, parsing, the cells BULK leaves out, sums, the cache write; the replay writing the answers
runs in the same process and is part of the time), and the peak memory of the process. Figures only, no
assertions about times.

    python bench/bench_health_fetch.py [--tables FOD207 SBR01 ...] [--periods N]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    sys.path.insert(0, str(ROOT))
    warnings.simplefilter("ignore")
    from klyngedata.dst.client import StatBankClient
    from klyngedata.dst.health_store import fetch_and_store, load_health_table
    from klyngedata.dst.health_tables import TABLES
    from tests.health_replay import HealthReplay

    ap = argparse.ArgumentParser()
    ap.add_argument("--tables", nargs="*", default=list(TABLES))
    ap.add_argument("--periods", type=int, default=0, help="fetch only the newest N periods of each (0 = all)")
    args = ap.parse_args()
    os.environ.pop("KLYNGEDATA_OFFLINE", None)
    with HealthReplay() as replay, tempfile.TemporaryDirectory() as d:
        client = StatBankClient(replay.url)
        listing = client.tables()
        total_wall = total_cpu = 0.0
        total_rows = 0
        for table in args.tables:
            info = replay.tableinfos[(table, "da")]
            periods = [v["id"] for v in info["variables"][-1]["values"]]
            if args.periods:
                replay.published[table] = periods[-args.periods:]
                periods = periods[-args.periods:]
            t, cpu = time.perf_counter(), time.process_time()
            fetch_and_store(table, data_dir=d, client=client, listing=listing, refresh=True)
            wall, used = time.perf_counter() - t, time.process_time() - cpu
            rows = len(load_health_table(table, data_dir=d))
            total_wall, total_cpu, total_rows = total_wall + wall, total_cpu + used, total_rows + rows
            print(f"{table:8s} {len(periods):3d} periods {rows:>9,} rows  fetch+store {wall:6.1f} s wall "
                  f"{used:6.1f} s CPU  ({rows / max(wall, 1e-9):,.0f} rows/s)")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"all      {total_rows:>22,} rows  fetch+store {total_wall:6.1f} s wall {total_cpu:6.1f} s CPU; "
              f"peak memory {peak:,.0f} MB (replay and client in one process)")
        assert not replay.broken(), replay.broken()


if __name__ == "__main__":
    main()
