"""Benchmark report generation (issue 14): figures and ratios side by side in one run, never assertions.

Measures on the same notebooks and data:

1. ``import klyngedata`` versus ``import pandas`` (fresh interpreters, median of 7 each; ratio);
2. the selected units (default: the four Nordjylland clusters, two reports each = 8 reports) three ways:
   a naive loop of the ``papermill`` CLI plus ``jupyter nbconvert --to html --no-input`` per report, the
   batch the old way (``$KLYNGEDATA_COLD_BATCH=1``: a new kernel per report, everything computed in each
   notebook) and the batch the new way (warm kernels, tables computed once per batch), both with ``--jobs``;
   per-report time and the ratios naive/new and old/new;
3. the full batch of both divisions (every cluster of sundhedsklynger-2022 and every council of
   sundhedsraad-2027, two reports each, HTML only, the new way) with ``--jobs``;
4. report file sizes, self-contained versus ``--shared-assets``;
5. the breakdown of each batch: computed once (per kind of table, in the parent while the workers and their
   warm kernels start), kernel start, data load (the first data cell), compute (the other cells), HTML export,
   and the rest of papermill's work per report (summed over reports: with 2 workers the sum is about twice
   the wall time), and the CPU seconds of all processes;
6. PDFs, timed separately: the reports of step 2 printed by headless Chromium (one browser), as
   ``klyngedata report --pdf`` prints them after the HTML.

Data: the real shared files, imported into a temporary data directory with ``klyngedata data import``
(unless ``--data-dir`` is given). Network is never used.

Usage::

    python bench/bench_reports.py                          # everything (several minutes on 2 cores)
    python bench/bench_reports.py --skip-full --skip-naive # the 8 reports old way / new way only
    python bench/bench_reports.py --clusters nordjylland-nord,nordjylland-vest --jobs 2
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NORDJYLLAND = ["nordjylland-nord", "nordjylland-midt", "nordjylland-syd", "nordjylland-vest"]
DIVISIONS = ("sundhedsklynger-2022", "sundhedsraad-2027")
SHARED_DATA = Path(os.environ.get("KLYNGEDATA_SHARED_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" /
                                  "data"))
STAGES = ("kernel_start", "data_load", "compute", "export")


def _sizes(paths: list[Path]) -> str:
    if not paths:
        return "-"
    sizes = [p.stat().st_size for p in paths]
    return f"{len(sizes)} files, mean {sum(sizes) / len(sizes) / 1e6:.2f} MB, total {sum(sizes) / 1e6:.1f} MB"


def _import_time(module: str, runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        r = subprocess.run([sys.executable, "-c", f"import time; t = time.perf_counter(); import {module}; "
                            "print(time.perf_counter() - t)"], capture_output=True, text=True, check=True)
        times.append(float(r.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


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


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (workers, and the kernels they waited for)."""
    import resource

    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


def _batch(units, *, cold: bool, out: Path, data_dir: Path, jobs: int, **kw):
    from klyngedata.reports import run

    if cold:
        os.environ["KLYNGEDATA_COLD_BATCH"] = "1"
    else:
        os.environ.pop("KLYNGEDATA_COLD_BATCH", None)
    cpu = _cpu()
    try:
        result = run(units, out=out, data_dir=data_dir, jobs=jobs, progress=False, **kw)
    finally:
        os.environ.pop("KLYNGEDATA_COLD_BATCH", None)
    result.timings["cpu"] = _cpu() - cpu
    return result


def _breakdown(label: str, result) -> str:
    n = len(result.results) or 1
    sums = {s: sum(r.timings.get(s, 0.0) for r in result.results) for s in STAGES}
    rest = sum(r.timings.get("notebook", 0.0) - r.timings.get("data_load", 0.0) - r.timings.get("compute", 0.0)
               for r in result.results)
    once = result.timings.get("precompute", 0.0)
    kinds = ", ".join(f"{k.removeprefix('precompute ')} {v:.1f}" for k, v in result.timings.items()
                      if k.startswith("precompute "))
    cpu = result.timings.get("cpu", 0.0)
    parts = [f"CPU of all processes {cpu:.1f} s ({cpu / n:.2f}/report; {cpu / result.seconds:.2f} of the "
             f"{os.cpu_count()} cores busy on average)"]
    parts += [f"computed once {once:.1f} s" + (f" ({kinds})" if kinds else "")]
    parts += [f"{s.replace('_', ' ')} {sums[s]:.1f} s ({sums[s] / n:.2f}/report)" for s in STAGES]
    parts.append(f"papermill and kernel I/O {rest:.1f} s ({rest / n:.2f}/report)")
    return f"    breakdown {label}: " + " | ".join(parts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clusters", default=",".join(NORDJYLLAND),
                    help="comma-separated unit ids for part 2 (default: the four Nordjylland clusters)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--data-dir", default=None, help="data dir with imported data (default: import shared data)")
    ap.add_argument("--keep", default=None, help="keep outputs in this directory")
    ap.add_argument("--skip-naive", action="store_true", help="no naive papermill + nbconvert loop")
    ap.add_argument("--skip-full", action="store_true", help="no full batch of both divisions")
    ap.add_argument("--skip-pdf", action="store_true", help="no PDF step")
    args = ap.parse_args()

    os.environ["KLYNGEDATA_OFFLINE"] = "1"
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; cpus: {os.cpu_count()}")
    t_kd, t_pd, t_pop = _import_time("klyngedata"), _import_time("pandas"), _import_time("klyngedata.population")
    print(f"[1] import klyngedata {t_kd:.3f} s | import pandas {t_pd:.3f} s | ratio {t_kd / t_pd:.2f} (goal <= 1.2; "
          f"public names load on first use) | import klyngedata.population (what a first population() call "
          f"loads) {t_pop:.3f} s, ratio to pandas {t_pop / t_pd:.2f}")

    from klyngedata import registry
    from klyngedata.reports import NOTEBOOKS, notebook_dir

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-reports-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.data_dir:
        data_dir = Path(args.data_dir)
    else:
        data_dir = work / "data"
        t = time.perf_counter()
        r = subprocess.run([sys.executable, "-m", "klyngedata", "data", "import", str(SHARED_DATA),
                            "--data-dir", str(data_dir)], capture_output=True, text=True)
        if r.returncode:
            sys.exit(f"data import failed: {r.stderr[-500:]}")
        print(f"import shared data: {time.perf_counter() - t:.1f} s")
    clusters = [c.strip() for c in args.clusters.split(",") if c.strip()]
    notebooks = list(NOTEBOOKS)
    n = len(clusters) * len(notebooks)
    print(f"[2] {n} reports: {', '.join(clusters)} x {', '.join(notebooks)}; jobs {args.jobs}")

    new = _batch(clusters, cold=False, out=work / "new", data_dir=data_dir, jobs=args.jobs)
    old = _batch(clusters, cold=True, out=work / "old", data_dir=data_dir, jobs=args.jobs)
    line = (f"    new way (warm kernels, computed once) {new.seconds:.1f} s ({new.seconds / n:.2f} s/report, "
            f"{len(new.failures)} failed) | old way (kernel per report) {old.seconds:.1f} s "
            f"({old.seconds / n:.2f} s/report, {len(old.failures)} failed) | old/new {old.seconds / new.seconds:.2f}x")
    print(line)
    if not args.skip_naive:
        naive_s, naive_fail = _naive(clusters, notebooks, notebook_dir(), data_dir, work / "naive")
        print(f"    naive papermill CLI + nbconvert loop {naive_s:.1f} s ({naive_s / n:.2f} s/report, {naive_fail} "
              f"failed) | per-report ratio naive/new {naive_s / new.seconds:.2f}x (goal >= 8) | naive/old "
              f"{naive_s / old.seconds:.2f}x")
    print(_breakdown("new way", new))
    print(_breakdown("old way", old))

    if not args.skip_full:
        units = [uid for div in DIVISIONS for uid in registry.clusters(division=div)["cluster_id"]]
        full = _batch(units, cold=False, out=work / "full", data_dir=data_dir, jobs=args.jobs)
        nf = len(full.results)
        print(f"[3] both divisions ({len(units)} units: {', '.join(DIVISIONS)}), {nf} reports, HTML only, jobs "
              f"{args.jobs}: {full.seconds:.1f} s ({full.seconds / nf:.2f} s/report, {len(full.failures)} failed; "
              "goal: under 60 s)")
        print(_breakdown("both divisions", full))
        for f in full.failures[:5]:
            print(f"    failed: {f.describe_error()[:300]}")
    shared = _batch(clusters[:1], cold=False, out=work / "shared", data_dir=data_dir, jobs=1, shared_assets=True)
    embedded = [p for p in (work / "new").glob("*.html") if p.name != "index.html"]
    shared_html = [p for p in (work / "shared").glob("*.html") if p.name != "index.html"]
    js = work / "shared" / "plotly.min.js"
    print(f"[4] sizes: self-contained {_sizes(embedded)} | shared-assets {_sizes(shared_html)}"
          + (f" + plotly.min.js {js.stat().st_size / 1e6:.2f} MB" if js.exists() else "")
          + ("" if shared.ok else " (shared-assets batch failed)"))
    if not args.skip_pdf:  # reported separately from the HTML batch, as `klyngedata report --pdf` runs it after it
        from klyngedata.reports.pdf import print_reports

        t = time.perf_counter()
        print_reports(new.results)
        pdf_s = time.perf_counter() - t
        pdfs = [r.pdf_path for r in new.results if r.pdf_path is not None]
        print(f"[6] PDF (headless Chromium, one browser) of the {n} reports of [2]: {pdf_s:.1f} s "
              f"({pdf_s / max(len(pdfs), 1):.2f} s/report; {len(pdfs)} written, "
              f"{sum(r.pdf_error is not None for r in new.results)} failed) | {_sizes(pdfs)}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
