"""Benchmark report generation.

Measures, in one run and on the same notebooks and data:

1. one cluster's two reports (``klyngedata.reports.run``, one process);
2. the selected clusters with ``jobs=2`` (``run``) versus a naive loop of the ``papermill`` CLI plus
   ``jupyter nbconvert --to html --no-input`` per report (side by side, printed as a ratio);
3. report file sizes: self-contained (plotly.js embedded) versus ``--shared-assets``.

Data: the real shared files are imported into a temporary data directory with ``klyngedata data import``
(unless ``--data-dir`` is given). Network is never used (``KLYNGEDATA_OFFLINE=1``).

Usage::

    python bench/bench_reports.py                       # the four Nordjylland clusters
    python bench/bench_reports.py --clusters all        # all clusters of the division (slow)
    python bench/bench_reports.py --clusters nordjylland-nord,nordjylland-vest --jobs 2
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NORDJYLLAND = ["nordjylland-nord", "nordjylland-midt", "nordjylland-syd", "nordjylland-vest"]
SHARED_DATA = Path(os.environ.get("KLYNGEDATA_SHARED_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" /
                                  "data"))


def _sizes(paths: list[Path]) -> str:
    if not paths:
        return "-"
    sizes = [p.stat().st_size for p in paths]
    return f"{len(sizes)} files, mean {sum(sizes) / len(sizes) / 1e6:.2f} MB, total {sum(sizes) / 1e6:.1f} MB"


def _naive(clusters: list[str], notebooks: list[str], nb_dir: Path, data_dir: Path, out: Path) -> tuple[float, int]:
    """papermill CLI + jupyter nbconvert per report, one after the other (what one would script by hand)."""
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, KLYNGEDATA_REPORT="1", KLYNGEDATA_OFFLINE="1")
    failures = 0
    t0 = time.perf_counter()
    for cluster in clusters:
        for name in notebooks:
            executed = out / f"{cluster}-{name}.ipynb"
            r1 = subprocess.run(
                ["papermill", str(nb_dir / f"{name}.ipynb"), str(executed), "-k", "python3", "--cwd", str(nb_dir),
                 "-p", "cluster", cluster, "-p", "data_dir", str(data_dir), "--no-progress-bar"],
                env=env, capture_output=True, text=True)
            r2 = subprocess.run(["jupyter", "nbconvert", "--to", "html", "--no-input", "--no-prompt", str(executed)],
                                env=env, capture_output=True, text=True)
            if r1.returncode or r2.returncode:
                failures += 1
                print(f"  naive failure {cluster}/{name}: {(r1.stderr or r2.stderr)[-300:]}", file=sys.stderr)
    return time.perf_counter() - t0, failures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clusters", default=",".join(NORDJYLLAND),
                    help="comma-separated cluster ids, or 'all' (default: the four Nordjylland clusters)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--data-dir", default=None, help="data dir with imported data (default: import shared data)")
    ap.add_argument("--keep", default=None, help="keep outputs in this directory")
    args = ap.parse_args()

    from klyngedata import registry
    from klyngedata.reports import NOTEBOOKS, notebook_dir, run

    os.environ["KLYNGEDATA_OFFLINE"] = "1"
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-reports-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.data_dir:
        data_dir = Path(args.data_dir)
    else:
        data_dir = work / "data"
        t = time.perf_counter()
        r = subprocess.run(["klyngedata", "data", "import", str(SHARED_DATA), "--data-dir", str(data_dir)],
                           capture_output=True, text=True)
        if r.returncode:
            sys.exit(f"data import failed: {r.stderr[-500:]}")
        print(f"import shared data: {time.perf_counter() - t:.1f} s")
    clusters = (list(registry.clusters()["cluster_id"]) if args.clusters == "all"
                else [c.strip() for c in args.clusters.split(",") if c.strip()])
    notebooks = list(NOTEBOOKS)
    nb_dir = notebook_dir()
    print(f"clusters: {len(clusters)} ({', '.join(clusters)}); notebooks: {', '.join(notebooks)}; "
          f"jobs: {args.jobs}; cpus: {os.cpu_count()}")

    # 1. one cluster's two reports
    one = run([clusters[0]], out=work / "one", data_dir=data_dir, progress=False)
    print(f"[1] one cluster ({clusters[0]}), {len(notebooks)} reports, 1 process: {one.seconds:.1f} s "
          f"({one.seconds / len(notebooks):.1f} s per report); ok={one.ok}")
    for r in one.results:
        print(f"    {r.notebook}: {r.seconds:.1f} s, {r.html_path.stat().st_size / 1e6:.2f} MB" if r.ok
              else f"    {r.notebook}: FAILED {r.describe_error()}")

    # 2. batch with jobs vs naive loop, same run
    batch = run(clusters, out=work / "batch", data_dir=data_dir, jobs=args.jobs, progress=False)
    serial = run(clusters, out=work / "serial", data_dir=data_dir, jobs=1, progress=False)
    naive_s, naive_fail = _naive(clusters, notebooks, nb_dir, data_dir, work / "naive")
    n = len(clusters) * len(notebooks)
    print(f"[2a] {n} reports: klyngedata run(jobs=1) {serial.seconds:.1f} s ({serial.seconds / n:.1f} s/report) | "
          f"ratio naive/run(jobs=1) {naive_s / serial.seconds:.2f}x (one process, no parallelism)")
    print(f"[2b] {n} reports: klyngedata run(jobs={args.jobs}) {batch.seconds:.1f} s "
          f"({batch.seconds / n:.1f} s/report, {len(batch.failures)} failed) | naive papermill CLI + nbconvert loop "
          f"{naive_s:.1f} s ({naive_s / n:.1f} s/report, {naive_fail} failed) | ratio naive/klyngedata "
          f"{naive_s / batch.seconds:.2f}x")

    # 3. sizes
    shared = run(clusters[:1], out=work / "shared", data_dir=data_dir, shared_assets=True, progress=False)
    embedded = sorted((work / "batch").glob("*.html"))
    embedded = [p for p in embedded if p.name != "index.html"]
    shared_html = [p for p in (work / "shared").glob("*.html") if p.name != "index.html"]
    naive_html = sorted((work / "naive").glob("*.html"))
    print(f"[3] sizes: self-contained {_sizes(embedded)} | shared-assets {_sizes(shared_html)} "
          f"+ plotly.min.js {(work / 'shared' / 'plotly.min.js').stat().st_size / 1e6:.2f} MB | "
          f"naive nbconvert {_sizes(naive_html)} (no plotly.js in the page, so its figures do not draw; "
          f"it loads require.js/MathJax from a CDN)")
    if shared.failures or batch.failures:
        print(batch.summary())
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
