"""``klyngedata overview``: one HTML page (and PDF) with every unit of a division side by side.

Example
-------
::

    klyngedata overview --division sundhedsklynger-2022 --out reports
    klyngedata overview --figure sundhedsprofil_svaer_overvaegt --pdf
"""

from __future__ import annotations

import click


@click.command("overview")
@click.option("--division", default=None, help="Division id (default: the one valid today).")
@click.option("--out", "out", default="reports", show_default=True, type=click.Path(file_okay=False),
              help="Output directory; write it where the unit reports are, so the links work.")
@click.option("--figure", "figure_id", default=None,
              help="Figure id shown on the map (default: share 65+, else 1-year growth, else population).")
@click.option("--period", default=None, help='Period, e.g. "2024M01" (default: latest).')
@click.option("--data-dir", default=None, type=click.Path(file_okay=False),
              help="Local data directory (default: $KLYNGEDATA_DATA_DIR or the user data directory).")
@click.option("--pdf", is_flag=True, help="Also print an A4 PDF with headless Chromium.")
@click.option("--shared-assets", is_flag=True, help="Link one plotly.min.js beside the page instead of embedding it.")
def overview(division: str | None, out: str, figure_id: str | None, period: str | None, data_dir: str | None,
             pdf: bool, shared_assets: bool) -> None:
    """Write oversigt-<division>.html: key figures, heat map of outcomes and a map for all units."""
    from klyngedata.reports.overview import write_overview

    path = write_overview(division, out, figure_id=figure_id, period=period or "latest", data_dir=data_dir,
                          pdf=pdf, shared_assets=shared_assets)
    click.echo(f"wrote {path}" + (f" and {path.with_suffix('.pdf')}" if pdf else ""))


COMMANDS = [overview]
