"""Benchmark: the fetched health indicators pooled for every division, disclosure-controlled and published.

A data directory is filled once by ``klyngedata data fetch`` against the local replay
(tests/health_figures_replay.py: the recorded API with the CONSTRUCTED health tables, five years each) – or
``--data-dir`` names one already fetched. Then, timed separately (wall and CPU):

* loading the cached tables and the population by age group (``load_tables``);
* pooling every figure to the municipalities, the units and regions of all three divisions and Denmark;
* disclosure control of every count of persons (``suppress_published``), then the whole published universe
  (``health_universe``, which does all of the above);
* ``health_figures`` at every level of both current divisions (intervals, outcomes, trends), and the
  ``indicator_figures`` of one unit from the universe kept in memory;
* with ``--shared-data`` (default ``../shared/data`` when it exists): the published indicator files there are
  imported into the same data directory through the package's loader, and ``indicator_figures`` – every
  indicator, imported and fetched – is timed for the units of both divisions.

Peak memory of the process is printed (the replay runs in the same process during the fetch). Figures only,
no assertions about times.

    python bench/bench_health_figures.py [--data-dir DIR] [--small N]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def timed(label: str, extra: str = ""):
    t, cpu = time.perf_counter(), time.process_time()
    yield
    print(f"{label:52s} {time.perf_counter() - t:7.1f} s wall {time.process_time() - cpu:7.1f} s CPU {extra}")


def fetch(data_dir: str, small: int) -> None:
    from click.testing import CliRunner

    from klyngedata.cli import main
    from tests.health_figures_replay import PUBLISHED, FiguresReplay

    with FiguresReplay() as replay:
        replay.published.update(PUBLISHED)
        if small:  # CONSTRUCTED small counts: every cell of N small municipalities in 2024 (disclosure has work)
            for area in ("825", "741", "563", "492", "411")[:small]:
                for table in ("FOD207", "SYGK1", "HJEMSYG", "AED07"):
                    replay.small[(table, area, "2024")] = 2
        os.environ["KLYNGEDATA_STATBANK_URL"] = replay.url
        os.environ.pop("KLYNGEDATA_OFFLINE", None)
        res = CliRunner().invoke(main, ["data", "fetch", "--data-dir", data_dir])
        if res.exit_code:
            raise SystemExit(res.output)


def main() -> None:
    sys.path.insert(0, str(ROOT))
    warnings.simplefilter("ignore")
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default=None, help="a data directory already fetched (default: fetch one)")
    ap.add_argument("--small", type=int, default=2, help="municipalities with planted small counts (0-5)")
    ap.add_argument("--shared-data", default=str(ROOT.parent / "shared" / "data"),
                    help="real public data whose indicator files are imported too ('' = none)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or tmp
        if not args.data_dir:
            with timed("data fetch (population + every health table)"):
                fetch(data_dir, args.small)
        os.environ["KLYNGEDATA_OFFLINE"] = "1"
        run(data_dir)
        indicators = Path(args.shared_data) / "indicators" if args.shared_data else None
        if indicators is not None and indicators.is_dir():
            every_indicator(data_dir, indicators)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:,.0f} MB")


def run(data_dir: str) -> None:
    import pandas as pd

    from klyngedata import registry
    from klyngedata.health import figures as hf
    from klyngedata.health.pooling import load_tables, municipality_rows, pooled
    from klyngedata.health_defs import HEALTH_FIGURES
    from klyngedata.indicators import indicator_figures

    with timed("load tables + population by age group"):
        data = load_tables(data_dir)
    with timed("municipality rows of every figure"):
        munis = {f.id: municipality_rows(f, data) for f in HEALTH_FIGURES.values()}
    parts = []
    for division in registry.divisions()["division"]:
        with timed(f"pool {len(HEALTH_FIGURES)} figures: {division}"):
            parts.append(pooled(list(HEALTH_FIGURES), division, data, data_dir, municipalities=munis)
                         .assign(_division=division))
    table = pd.concat(parts, ignore_index=True)
    with timed("disclosure control of every count (all divisions)", f"{len(table):,} rows"):
        controlled = hf._control(table, 5)
    print(f"{'':52s} {int(controlled['suppressed'].sum()):,} rows hidden")
    with timed("health_universe (all of the above, from scratch)"):
        hf.health_universe(data_dir)
    for division in ("sundhedsklynger-2022", "sundhedsraad-2027"):
        for level in ("municipality", "cluster", "region", "country"):
            with timed(f"health_figures {division} {level} (latest)"):
                hf.health_figures(level=level, division=division, data_dir=data_dir)
    with timed("health_figures sundhedsraad-2027 cluster, every period"):
        hf.health_figures(level="cluster", division="sundhedsraad-2027", period="all", data_dir=data_dir)
    with timed("indicator_figures of one unit (universe in memory)"):
        indicator_figures("sundhedsraad-vendsyssel", data_dir=data_dir)


def every_indicator(data_dir: str, folder: Path) -> None:
    from klyngedata.importing import import_file
    from klyngedata.indicators import indicator_figures

    for path in sorted(folder.glob("*.csv")):
        import_file(path, data_dir=data_dir)
    for division in ("sundhedsklynger-2022", "sundhedsraad-2027"):
        with timed(f"indicator_figures, every indicator: {division}"):
            out = indicator_figures(level="cluster", division=division, data_dir=data_dir)
        print(f"{'':52s} {out['figure_id'].nunique()} indicators, {len(out):,} rows")


if __name__ == "__main__":
    main()
