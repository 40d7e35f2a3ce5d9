"""``klyngedata data fetch | import | status`` (owned by the population/cache work, issue 3)."""

from __future__ import annotations

import datetime as dt
import sys

import click

from klyngedata.exceptions import DataFormatError, DstApiError, KlyngedataError


@click.group()
def data() -> None:
    """Fetch, import and inspect the local data cache."""


@data.command("fetch")
@click.option("--tables", "-t", multiple=True, help="Tables to fetch (FOLK1A, FOLK1AM, FRKM). Default: all three.")
@click.option("--refresh", is_flag=True, help="Fetch even if the table is cached.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Data directory.")
def fetch(tables: tuple[str, ...], refresh: bool, data_dir: str | None) -> None:
    """Fetch population tables from Statistics Denmark's StatBank into the cache."""
    from tqdm import tqdm

    from klyngedata.cache import Cache
    from klyngedata.population import DEFAULT_FETCH, fetch_population
    from klyngedata.sources import population_key

    wanted = [t.upper() for t in tables] or list(DEFAULT_FETCH)
    cache = Cache(data_dir)
    bars: dict[str, tqdm] = {}

    def progress(table: str, done: int, total: int) -> None:
        bar = bars.get(table)
        if bar is None:
            bar = bars[table] = tqdm(total=total, desc=table, unit="chunk")
        bar.update(done - bar.n)

    for table in wanted:
        if not refresh and table != "FRKM" and cache.exists(population_key(table)):
            click.echo(f"{table}: cached (use --refresh to fetch again)")
            continue
        try:
            keys = fetch_population([table], data_dir=data_dir, progress=progress)
        except DstApiError as exc:  # one Danish sentence: the API's own message and what to do next
            click.echo(str(exc), err=True)
            sys.exit(1)
        finally:
            if table in bars:
                bars[table].close()
        for key in keys:
            meta = cache.meta(key) or {}
            click.echo(f"{key}: {meta.get('rows')} rows, periods {_periods(meta)}")


def _periods(meta: dict) -> str:
    p = meta.get("periods") or []
    return f"{min(p)}..{max(p)} ({len(p)})" if p else "-"


@data.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Data directory.")
def import_(paths: tuple[str, ...], data_dir: str | None) -> None:
    """Import downloaded files (StatBank CSV exports, unit populations, boundaries, indicators)."""
    from klyngedata.sources import import_file

    failed = 0
    for path in paths:
        try:
            results = import_file(path, data_dir=data_dir)
        except DataFormatError as exc:
            click.echo(f"failed   {path}: {exc}", err=True)
            failed += 1
            continue
        for r in results:
            line = f"{r.status:<8} {r.path}" + (f" -> {r.key} ({r.rows} rows)" if r.key else "")
            line += f"  {r.message}" if r.message else ""
            click.echo(line, err=r.status == "failed")
            failed += r.status == "failed"
    if failed:
        raise KlyngedataError(f"{failed} file(s) could not be imported")


@data.command("status")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Data directory.")
def status(data_dir: str | None) -> None:
    """List what is cached: key, table, periods, fetched/imported at and age."""
    from klyngedata.cache import Cache

    cache = Cache(data_dir)
    entries = cache.entries()
    click.echo(f"Data directory: {cache.data_dir}")
    if entries.empty:
        click.echo("The cache is empty. Use `klyngedata data import PATH` or `klyngedata data fetch`.")
        return
    now = dt.datetime.now(dt.UTC)
    ages = []
    for stamp in entries["fetched_at"].fillna(entries["written_at"]):
        try:
            ages.append(f"{(now - dt.datetime.fromisoformat(str(stamp))).total_seconds() / 86400:.1f} d")
        except ValueError:
            ages.append("?")
    entries = entries.assign(age=ages)
    click.echo(entries[["key", "table", "periods", "fetched_at", "age", "rows"]].to_string(index=False))


COMMANDS = [data]
