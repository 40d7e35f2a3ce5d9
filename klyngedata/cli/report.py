"""``klyngedata report`` and ``klyngedata lab`` (owned by the reports work, issue 6).

Examples
--------
::

    klyngedata report nordjylland-nord
    klyngedata report --all --jobs 2 --out reports/ --shared-assets
    klyngedata report nordjylland-nord --notebooks noegletalsrapport --period 2024M01
    klyngedata report nordjylland-nord --pdf
    klyngedata lab
    klyngedata lab -- --allow-root --port 8899
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import click

from klyngedata import settings
from klyngedata.exceptions import ReportError


@click.command("report")
@click.argument("clusters", nargs=-1)
@click.option("--all", "all_clusters", is_flag=True,
              help="Every unit of the division: the sundhedsklynger until 2026, the sundhedsråd from 2027.")
@click.option("--division", default=None, help="Division id (default: the one valid today).")
@click.option("--period", default=None, help='Period, e.g. "2024M01" or "2024K1" (default: latest).')
@click.option("--out", "out", default="reports", show_default=True, type=click.Path(file_okay=False),
              help="Output directory (reports, index.html, _failed/).")
@click.option("--jobs", "-j", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Reports executed in parallel (processes).")
@click.option("--data-dir", default=None, type=click.Path(file_okay=False),
              help="Local data directory (default: $KLYNGEDATA_DATA_DIR or the user data directory).")
@click.option("--shared-assets", is_flag=True,
              help="Write one plotly.min.js beside the reports and link it instead of embedding it in each file.")
@click.option("--notebooks", default=None,
              help="Comma-separated notebooks (default: befolkningsdashboard,noegletalsrapport).")
@click.option("--notebook-dir", default=None, type=click.Path(file_okay=False, exists=True),
              help="Use notebook templates from this directory instead of the package's.")
@click.option("--timeout", default=None, type=float, help="Per-cell timeout in seconds (default: none).")
@click.option("--no-progress", is_flag=True, help="No progress bar (for logs of scheduled runs).")
@click.option("--pdf", is_flag=True,
              help="Also print every report to an A4 PDF beside its HTML (headless Chromium, chromium-driver).")
def report(clusters: tuple[str, ...], all_clusters: bool, division: str | None, period: str | None, out: str,
           jobs: int, data_dir: str | None, shared_assets: bool, notebooks: str | None, notebook_dir: str | None,
           timeout: float | None, no_progress: bool, pdf: bool) -> None:
    """Generate HTML reports (population dashboard, key-figure report) for CLUSTERS or --all.

    CLUSTERS are unit ids or names: sundhedsklynger (e.g. nordjylland-nord, also after they ended on
    31 December 2026) or sundhedsråd (e.g. sundhedsraad-limfjorden); each id names its division, and the
    reports use its words (klyngen / rådet). Reports of different divisions never overwrite each other.

    With --pdf each report is also written as an A4 PDF (running header with the unit, the report title and
    the date of the figures; "Side X af Y" in the footer) for printing and meeting papers.

    Exit code 0 when every report was written, 1 when any failed (the others are still written; failing
    notebooks are kept in OUT/_failed/). A report whose population data are missing, damaged or lack the
    --period is not written and the previous one is kept; errors writing to OUT (read-only, disk full) are
    listed per report in the summary. --jobs above the number of CPUs is lowered to it (with a note).
    """
    from klyngedata.reports.execute import skip_iri_grammar

    skip_iri_grammar()  # this process only runs reports (see there)
    from klyngedata.reports.runner import run

    if all_clusters and clusters:
        raise click.UsageError("Give cluster ids or --all, not both")
    if not all_clusters and not clusters:
        raise click.UsageError("Give one or more ids of sundhedsklynger or sundhedsråd (see 'klyngedata clusters'), "
                               "or --all")
    result = run(
        list(clusters), all=all_clusters, division=division, period=period, out=out, jobs=jobs,
        data_dir=data_dir, shared_assets=shared_assets, notebooks=notebooks, notebook_path=notebook_dir,
        timeout=timeout, progress=not no_progress, pdf=pdf,
    )
    click.echo(result.summary())
    if not result.ok:
        sys.exit(1)


@click.command("lab", context_settings={"ignore_unknown_options": True})
@click.option("--data-dir", default=None, type=click.Path(file_okay=False),
              help="Local data directory the notebooks use (sets KLYNGEDATA_DATA_DIR).")
@click.option("--no-browser", is_flag=True, help="Start JupyterLab without opening a browser.")
@click.argument("args", nargs=-1, type=click.UNPROCESSED, metavar="[DIRECTORY] [JUPYTER OPTIONS]...")
def lab(data_dir: str | None, no_browser: bool, args: tuple[str, ...]) -> None:
    """Open JupyterLab on the klyngedata notebooks.

    With DIRECTORY, the notebooks are first copied there (existing files are kept), so your changes do
    not touch the package's templates. Every other option is passed on to JupyterLab, e.g.
    ``klyngedata lab analyse -- --allow-root --port 8899`` (the ``--`` may be left out).
    """
    from klyngedata.reports.runner import notebook_dir

    directory = args[0] if args and not args[0].startswith("-") else None
    jupyter_args = [a for a in (args[1:] if directory else args) if a != "--"]

    src = notebook_dir()
    target = Path(directory) if directory else src
    if directory:
        target.mkdir(parents=True, exist_ok=True)
        for nb in sorted(src.glob("*.ipynb")):
            if not (target / nb.name).exists():
                shutil.copyfile(nb, target / nb.name)
                click.echo(f"copied {nb.name} -> {target}")
    # the jupyter of the environment klyngedata runs in (e.g. .venv/bin, also when the venv is not activated)
    jupyter = shutil.which("jupyter", path=str(Path(sys.executable).parent)) or shutil.which("jupyter")
    if jupyter is None:
        raise ReportError("JupyterLab is not installed (the 'jupyter' command was not found); pip install jupyterlab")
    lab_settings = settings.current()
    if data_dir:
        lab_settings = lab_settings.replace(data_dir=str(Path(data_dir).expanduser().resolve()))
    env = lab_settings.child_environ()
    cmd = [jupyter, "lab", f"--notebook-dir={target}"] + (["--no-browser"] if no_browser else []) + jupyter_args
    click.echo(" ".join(cmd))
    sys.exit(subprocess.call(cmd, env=env))


COMMANDS = [report, lab]
