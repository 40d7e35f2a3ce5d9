"""``klyngedata report`` (owned by the reports work, issue 6; ``klyngedata lab`` is :mod:`klyngedata.cli.lab`).

Examples
--------
::

    klyngedata report nordjylland-nord
    klyngedata report --all --jobs 2 --out reports/ --shared-assets
    klyngedata report nordjylland-nord --notebooks noegletalsrapport --period 2024M01
    klyngedata report nordjylland-nord --pdf
"""

from __future__ import annotations

import sys

import click


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


COMMANDS = [report]
