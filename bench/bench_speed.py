"""Benchmark of issue 26: where analysts wait, each goal beside its naive anchor, in one run (figures and ratios,
never assertions).

1. One notebook as an analyst runs it: the ``papermill`` CLI on ``befolkningsdashboard`` for one unit (no batch
   machinery; kernel start included), the time of its first cell (from the executed notebook), and
   ``import klyngedata.reports`` in a fresh interpreter. Anchor: ``papermill`` of an empty notebook (the kernel
   start and papermill alone) and ``import pandas``.
2. One unit's reports: ``klyngedata report UNIT`` (2 reports, HTML) and ``klyngedata report UNIT --pdf``. Anchor:
   per report the ``papermill`` CLI plus ``jupyter nbconvert --to html --no-input`` (and for the PDF,
   ``chromium --headless --print-to-pdf`` per report).
3. The test suite (only with ``--suite``: ~5-10 minutes): ``python -m pytest -q`` as the README runs it.
4. Big files: ``klyngedata data import`` of a CONSTRUCTED FOLK1A-shaped StatBank export of 2,000,250 rows
   (``bench/constructed_export.py``: the real table's areas, sexes, ages and quarters from its recorded tableinfo;
   the counts are made up), the same file again, and the next quarter's export on top of the previous one (49 of
   50 quarters already cached). Anchor: a plain pandas import (``read_csv``, then ``concat`` with the cached rows,
   ``drop_duplicates`` on the key, ``to_parquet``) of the same files. ``--before COMMIT`` also runs klyngedata's
   import as it was at that commit (its package extracted with ``git archive``).

Every command runs in its own process, timed from outside: wall time, CPU seconds (the process and the children
it waited for: kernels, the browser) and peak resident memory (``wait4``). klyngedata and its anchor run one after
the other in each of ``--runs`` rounds, so that both see the same load; medians are printed, with the load average
before and after. The machine is shared: compare ratios and CPU seconds, not single wall times.

    python bench/bench_speed.py [--runs 3] [--unit nordjylland-nord] [--only 1,2,4] [--suite] [--before COMMIT]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED_DATA = Path(os.environ.get("KLYNGEDATA_SHARED_DATA", ROOT / ".." / "shared" / "data"))
ENV = {**os.environ, "KLYNGEDATA_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
BIN = Path(sys.executable).parent


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def measure(cmd: list[str], *, env: dict | None = None, cwd: Path | None = None) -> dict:
    """Run ``cmd`` under ``/usr/bin/time``: wall seconds, CPU seconds (it and the children it waited for) and peak
    resident memory in MB, exit code and output. (``/usr/bin/time`` starts it from a small process: a child of
    this one would inherit this process's peak memory in ``ru_maxrss``.) The working directory is neutral, so
    that ``python -m klyngedata`` imports the package named by ``PYTHONPATH``."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as stats:
        t = time.perf_counter()
        r = subprocess.run(["/usr/bin/time", "-q", "-o", stats.name, "-f", "%U %S %M", *cmd], env=env or ENV,
                           cwd=cwd or tempfile.gettempdir(), capture_output=True, text=True, errors="replace")
        wall = time.perf_counter() - t
        user, system, rss = stats.read().split()[-3:]
    return {"wall": wall, "cpu": float(user) + float(system), "rss": int(rss) / 1024, "rc": r.returncode,
            "out": r.stdout, "err": r.stderr}


def med(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def line(label: str, runs: list[dict], goal: str = "") -> str:
    failed = sum(r["rc"] != 0 for r in runs)
    text = (f"  {label}: wall {med(runs, 'wall'):.2f} s (min {min(r['wall'] for r in runs):.2f}), "
            f"CPU {med(runs, 'cpu'):.2f} s, peak {med(runs, 'rss'):.0f} MB")
    if failed:
        text += f", {failed} of {len(runs)} FAILED: {runs[-1]['err'].strip()[-300:]}"
    return text + (f"  [{goal}]" if goal else "")


def ratio(label: str, naive: list[dict], ours: list[dict]) -> str:
    return (f"  {label}: wall {med(naive, 'wall') / med(ours, 'wall'):.2f}x, "
            f"CPU {med(naive, 'cpu') / max(med(ours, 'cpu'), 1e-9):.2f}x")


# ---------------------------------------------------------------------------------------------------------- goal 1
EMPTY_NOTEBOOK = {"cells": [{"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "cluster = ''",
                             "outputs": [], "execution_count": None}],
                  "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
                  "nbformat": 4, "nbformat_minor": 5}


def first_cell_seconds(executed: Path) -> float | None:
    from datetime import datetime

    nb = json.loads(executed.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell["cell_type"] != "code" or tags & {"parameters", "injected-parameters"}:
            continue
        ex = cell.get("metadata", {}).get("execution", {})
        try:
            a = datetime.fromisoformat(ex["iopub.execute_input"].replace("Z", "+00:00"))
            b = datetime.fromisoformat(ex["shell.execute_reply"].replace("Z", "+00:00"))
        except KeyError:
            return None
        return (b - a).total_seconds()
    return None


def import_seconds(module: str, runs: int) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    return statistics.median(float(measure([sys.executable, "-c", code])["out"].split()[-1]) for _ in range(runs))


def goal1(work: Path, data_dir: Path, unit: str, runs: int) -> None:
    print(f"\n[1] one notebook by plain papermill (befolkningsdashboard, {unit}); load {load()}")
    empty = work / "empty.ipynb"
    empty.write_text(json.dumps(EMPTY_NOTEBOOK), encoding="utf-8")
    nb = ROOT / "notebooks" / "befolkningsdashboard.ipynb"
    ours, anchor, first = [], [], []
    for i in range(runs):
        out = work / f"nb-{i}.ipynb"
        ours.append(measure([str(BIN / "papermill"), str(nb), str(out), "-k", "python3", "--cwd", str(nb.parent),
                             "-p", "cluster", unit, "-p", "data_dir", str(data_dir), "--no-progress-bar"]))
        if out.exists():
            first.append(first_cell_seconds(out))
        anchor.append(measure([str(BIN / "papermill"), str(empty), str(work / f"empty-{i}.ipynb"), "-k", "python3",
                               "--no-progress-bar"]))
    print(line("papermill befolkningsdashboard", ours, "goal <= 6 s"))
    print(line("anchor: papermill of an empty notebook", anchor))
    firsts = [f for f in first if f is not None]
    if firsts:
        print(f"  first cell (ClusterReport(...)): median {statistics.median(firsts):.2f} s  [goal <= 1 s]")
    t_rep, t_pd = import_seconds("klyngedata.reports", max(runs, 5)), import_seconds("pandas", max(runs, 5))
    print(f"  import klyngedata.reports {t_rep:.2f} s [goal <= 0.5 s] | anchor: import pandas {t_pd:.2f} s | "
          f"ratio {t_rep / t_pd:.2f}")


# ---------------------------------------------------------------------------------------------------------- goal 2
def naive_reports(unit: str, data_dir: Path, out: Path, pdf: bool) -> list[str]:
    """The commands an analyst would script: papermill + nbconvert (+ chromium --print-to-pdf) per report."""
    from klyngedata.reports import NOTEBOOKS

    nbdir = ROOT / "notebooks"
    cmds = []
    for name in NOTEBOOKS:
        executed = out / f"{unit}-{name}.ipynb"
        cmds.append(f"{BIN / 'papermill'} {nbdir / name}.ipynb {executed} -k python3 --cwd {nbdir} "
                    f"-p cluster {unit} -p data_dir {data_dir} --no-progress-bar")
        cmds.append(f"{BIN / 'jupyter'} nbconvert --to html --no-input --no-prompt {executed}")
        if pdf:
            cmds.append(f"chromium --headless --no-sandbox --disable-gpu --no-first-run "
                        f"--disable-background-networking --print-to-pdf={executed.with_suffix('.pdf')} "
                        f"{executed.with_suffix('.html')}")
    return cmds


def goal2(work: Path, data_dir: Path, unit: str, runs: int) -> None:
    print(f"\n[2] one unit's reports ({unit}: 2 reports); load {load()}")
    for pdf, goal in ((False, "goal <= 6 s"), (True, "goal <= 10 s")):
        ours, naive = [], []
        for i in range(runs):
            out = work / f"rep-{int(pdf)}-{i}"
            cmd = [sys.executable, "-m", "klyngedata", "report", unit, "--data-dir", str(data_dir), "--out", str(out),
                   "--no-progress"] + (["--pdf"] if pdf else [])
            ours.append(measure(cmd))
            nout = work / f"naive-{int(pdf)}-{i}"
            nout.mkdir(parents=True, exist_ok=True)
            naive.append(measure(["bash", "-ec", " && ".join(naive_reports(unit, data_dir, nout, pdf))]))
        what = "HTML and PDF" if pdf else "HTML"
        print(line(f"klyngedata report {unit}{' --pdf' if pdf else ''}", ours, goal))
        print(line(f"anchor: papermill + nbconvert{' + chromium --print-to-pdf' if pdf else ''} per report", naive))
        print(ratio(f"naive / klyngedata ({what})", naive, ours))
        summary = [ln for ln in ours[-1]["out"].splitlines() if "reports written" in ln]
        print(f"  klyngedata says: {summary[0] if summary else ours[-1]['err'].strip()[-200:]}")


# ---------------------------------------------------------------------------------------------------------- goal 3
def goal3() -> None:
    print(f"\n[3] the test suite (python -m pytest -q); load {load()}")
    r = measure([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=ROOT,
                env={k: v for k, v in ENV.items() if not k.startswith("KLYNGEDATA_")})
    tail = [ln for ln in r["out"].splitlines() if " passed" in ln or " failed" in ln]
    print(line("python -m pytest -q", [r], "goal <= 4 min") + f" | {tail[-1] if tail else r['err'][-200:]}")


# ---------------------------------------------------------------------------------------------------------- goal 4
NAIVE_IMPORT = r"""
import sys, pandas as pd, os
src, cache = sys.argv[1], sys.argv[2]
df = pd.read_csv(src, sep=";")
keys = ["OMRÅDE", "KØN", "ALDER", "CIVILSTAND", "TID"]
if os.path.exists(cache):
    df = pd.concat([pd.read_parquet(cache), df], ignore_index=True).drop_duplicates(keys, keep="last")
df.to_parquet(cache + ".tmp", index=False)
os.replace(cache + ".tmp", cache)
print(len(df))
"""


def extract_before(commit: str, work: Path) -> Path:
    """klyngedata as it was at ``commit`` (its package and notebooks), for the before figures."""
    target = work / f"before-{commit[:10]}"
    target.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "klyngedata"], capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def goal4(work: Path, runs: int, before: str | None) -> None:
    src, prev = work / "constructed_FOLK1A.csv", work / "constructed_FOLK1A_previous_quarter.csv"
    for path, older in ((src, 0), (prev, 1)):  # in a process of its own: this one stays small
        subprocess.run([sys.executable, str(HERE / "constructed_export.py"), str(path), "--older", str(older)],
                       check=True, capture_output=True)
    n = sum(1 for _ in open(src, "rb")) - 1
    print(f"\n[4] big files: a CONSTRUCTED FOLK1A-shaped export, {n:,} rows, {src.stat().st_size / 1e6:.0f} MB (counts "
          f"made up; areas, sexes, ages and quarters from FOLK1A's recorded tableinfo); load {load()}")
    variants = [("klyngedata data import", ENV)]
    if before:
        old = extract_before(before, work)
        variants.append((f"klyngedata at {before[:10]} (before)", {**ENV, "PYTHONPATH": str(old)}))
    rows: dict[str, dict[str, list[dict]]] = {}
    for i in range(runs):
        for label, env in variants:
            d = work / f"data-{label[:14].replace(' ', '_')}-{i}"
            imp = [sys.executable, "-m", "klyngedata", "data", "import"]
            r = rows.setdefault(label, {})
            r.setdefault("first", []).append(measure([*imp, str(src), "--data-dir", str(d)], env=env))
            r.setdefault("again", []).append(measure([*imp, str(src), "--data-dir", str(d)], env=env))
            d2 = d.with_name(d.name + "-next")
            measure([*imp, str(prev), "--data-dir", str(d2)], env=env)
            r.setdefault("next", []).append(measure([*imp, str(src), "--data-dir", str(d2)], env=env))
            shutil.rmtree(d, ignore_errors=True)
            shutil.rmtree(d2, ignore_errors=True)
        cache = work / f"naive-{i}.parquet"
        r = rows.setdefault("anchor: plain pandas read_csv + concat + drop_duplicates + to_parquet", {})
        r.setdefault("first", []).append(measure([sys.executable, "-c", NAIVE_IMPORT, str(src), str(cache)]))
        r.setdefault("again", []).append(measure([sys.executable, "-c", NAIVE_IMPORT, str(src), str(cache)]))
        cache.unlink(missing_ok=True)
        measure([sys.executable, "-c", NAIVE_IMPORT, str(prev), str(cache)])
        r.setdefault("next", []).append(measure([sys.executable, "-c", NAIVE_IMPORT, str(src), str(cache)]))
        cache.unlink(missing_ok=True)
    goals = {"first": "goal <= 5 s, <= 500 MB", "again": "goal: no slower than the first", "next": ""}
    what = {"first": "first import", "again": "the same file again", "next": "next quarter's export (49 of 50 quarters "
            "cached)"}
    ours = rows["klyngedata data import"]
    for step in ("first", "again", "next"):
        print(f"  {what[step]}:")
        for label, r in rows.items():
            print("  " + line(label, r[step], goals[step] if label == "klyngedata data import" else ""))
        naive = rows["anchor: plain pandas read_csv + concat + drop_duplicates + to_parquet"][step]
        print("  " + ratio("naive / klyngedata", naive, ours[step]))
        said = [ln for ln in ours[step][-1]["out"].splitlines() if "table FOLK1A" in ln]
        print(f"    klyngedata says: {said[-1].strip()[-160:] if said else ours[step][-1]['err'].strip()[-200:]}")
    print(f"  again / first (klyngedata): wall {med(ours['again'], 'wall') / med(ours['first'], 'wall'):.2f}, CPU "
          f"{med(ours['again'], 'cpu') / med(ours['first'], 'cpu'):.2f}")


# ---------------------------------------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--unit", default="nordjylland-nord")
    ap.add_argument("--only", default="1,2,4", help="goals to measure (comma-separated; 3 also with --suite)")
    ap.add_argument("--suite", action="store_true", help="also run the whole test suite (goal 3)")
    ap.add_argument("--before", default=None, help="also import with klyngedata at this commit (goal 4)")
    ap.add_argument("--keep", default=None, help="keep the work directory here")
    args = ap.parse_args()
    only = {int(x) for x in args.only.split(",") if x.strip()}
    print(f"cpus {os.cpu_count()}, load average {load()} (1, 5, 15 min); {args.runs} runs each, medians")
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-speed-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if only & {1, 2}:
            data_dir = work / "data"
            r = measure([sys.executable, "-m", "klyngedata", "data", "import", str(SHARED_DATA), "--data-dir",
                         str(data_dir)])
            if r["rc"]:
                sys.exit(f"import of {SHARED_DATA} failed: {r['err'][-500:]}")
            if 1 in only:
                goal1(work, data_dir, args.unit, args.runs)
            if 2 in only:
                goal2(work, data_dir, args.unit, args.runs)
        if args.suite:
            goal3()
        if 4 in only:
            goal4(work, args.runs, args.before)
    finally:
        print(f"\nload average at the end {load()}")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
