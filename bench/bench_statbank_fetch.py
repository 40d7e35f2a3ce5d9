"""Benchmark: `data fetch` of FOLK1A by sex and age (71 quarters, ~2.4M rows) against the local replay of the
recorded StatBank answers (tests/statbank_replay.py; constructed counts, recorded formats).

Times each stage in one run, side by side: the replay writing the BULK answers, the client parsing them
(klyngedata.dst.parse), the completeness check (klyngedata.dst.checks), the whole fetch incl. HTTP and the
cache write, and population() on the result. Prints figures and ratios; no assertions.

    python bench/bench_statbank_fetch.py [--periods 71]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--periods", type=int, default=71, help="how many of FOLK1A's quarters to fetch")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    warnings.simplefilter("ignore")
    from klyngedata.dst.checks import check_complete_answer
    from klyngedata.dst.client import StatBankClient
    from klyngedata.dst.parse import parse_statbank_csv
    from klyngedata.dst.tables import FOLK1A, build_selection, time_values
    from klyngedata.population import fetch_population, population
    from tests.statbank_replay import StatBankReplay

    with StatBankReplay() as replay:
        info = replay.tableinfos[("FOLK1A", "da")]
        periods = time_values(info)[-args.periods:]
        replay.published["FOLK1A"] = periods
        client = StatBankClient(replay.url)
        # one chunk of 8 quarters, stage by stage
        sel = build_selection(info, FOLK1A, by_sex_age=True, periods=periods[:8])
        body = {"table": "FOLK1A", "format": "BULK", "lang": "da", "valuePresentation": "CodeAndValue",
                "delimiter": "Semicolon", "variables": [{"code": k, "values": v} for k, v in sel.items()]}
        t = time.perf_counter()
        raw = replay._data(body)[2]
        t_write = time.perf_counter() - t
        parse_statbank_csv(raw[: raw.index(b"\n", 200_000) + 1], table="FOLK1A", file="warm-up")  # registry, caches
        t = time.perf_counter()
        frame = parse_statbank_csv(raw, table="FOLK1A", file="bench")
        t_parse = time.perf_counter() - t
        t = time.perf_counter()
        check_complete_answer(frame, "bench", periods=periods[:8])
        t_check = time.perf_counter() - t
        print(f"one chunk of {min(8, len(periods))} quarters ({len(frame):,} rows, {len(raw) / 1e6:.1f} MB): "
              f"replay writes {t_write:.2f} s, client parses {t_parse:.2f} s, checks {t_check:.2f} s")
        print(f"ratio parse / replay write: {t_parse / t_write:.2f}; check / parse: {t_check / t_parse:.2f}")
        with tempfile.TemporaryDirectory() as d:
            os.environ.pop("KLYNGEDATA_OFFLINE", None)
            t, cpu = time.perf_counter(), time.process_time()
            fetch_population(["FOLK1A"], data_dir=d, client=client)
            t_fetch, cpu_fetch = time.perf_counter() - t, time.process_time() - cpu
            os.environ["KLYNGEDATA_OFFLINE"] = "1"
            t = time.perf_counter()
            mun = population("municipality", period="all", by=["sex", "age"], data_dir=d)
            t_mun = time.perf_counter() - t
            t = time.perf_counter()
            population("cluster", period="all", by=["sex", "age"], data_dir=d)
            t_cl = time.perf_counter() - t
        print(f"fetch {len(periods)} quarters (tables, tableinfo, BULK chunks, checks, cache): {t_fetch:.1f} s wall, "
              f"{cpu_fetch:.1f} s CPU (replay and client in one process)")
        print(f"population('municipality', by sex and age, all periods): {len(mun):,} rows, {t_mun:.1f} s; "
              f"cluster: {t_cl:.1f} s; ratio fetch / population(municipality): {t_fetch / t_mun:.1f}")
        assert not replay.broken(), replay.broken()


if __name__ == "__main__":
    main()
