"""``klyngedata data fetch | import | status`` (owned by the population/cache work, issue 3)."""

from __future__ import annotations

import datetime as dt
import sys

import click

from klyngedata.exceptions import DataFormatError, DstApiError, ImportRefused, KlyngedataError


@click.group()
def data() -> None:
    """Fetch, import and inspect the local data cache."""


@data.command("fetch")
@click.option("--tables", "-t", multiple=True,
              help="Tables to fetch (FOLK1A, FOLK1AM, FRKM, and KKBEF1: København by bydel from Københavns Kommune's "
                   "statbank). Default: all four.")
@click.option("--refresh", is_flag=True, help="Fetch even if the table is cached.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Data directory.")
def fetch(tables: tuple[str, ...], refresh: bool, data_dir: str | None) -> None:
    """Fetch population tables from Statistics Denmark's StatBank into the cache."""
    from tqdm import tqdm

    from klyngedata.cache import Cache
    from klyngedata.dst.kk_bydel import KK_TABLE
    from klyngedata.population import DEFAULT_FETCH, fetch_population
    from klyngedata.sources import population_key

    wanted = [t.upper() for t in tables] or [*DEFAULT_FETCH, KK_TABLE]
    wanted.sort(key=lambda t: t == KK_TABLE)  # København's bydele last: checked against DST's totals just fetched
    cache = Cache(data_dir)
    bars: dict[str, tqdm] = {}

    def progress(table: str, done: int, total: int) -> None:
        bar = bars.get(table)
        if bar is None:
            bar = bars[table] = tqdm(total=total, desc=table, unit="chunk")
        bar.update(done - bar.n)

    for table in wanted:
        if table == KK_TABLE:
            _fetch_bydele(cache, refresh, data_dir, progress, bars)
            continue
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


def _fetch_bydele(cache, refresh: bool, data_dir: str | None, progress, bars: dict) -> None:
    """København's population by bydel (:mod:`klyngedata.dst.kk_bydel`) into the unit populations."""
    from klyngedata.dst.kk_bydel import KK_TABLE, SOURCE, fetch_kk_bydel

    meta = cache.meta("population/units") or {}
    if not refresh and any(s.get("source") == SOURCE.format(table=KK_TABLE) for s in meta.get("sources", [])):
        click.echo(f"{KK_TABLE}: cached (use --refresh to fetch again)")
        return
    try:
        result = fetch_kk_bydel(data_dir, progress=lambda i, n: progress(KK_TABLE, i, n))
    except DstApiError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    finally:
        if KK_TABLE in bars:
            bars[KK_TABLE].close()
    click.echo(str(result))
    for period, why in result.refused.items():
        click.echo(f"  {period} not stored: {why}", err=True)
    for note in result.notes:
        click.echo(f"  note: {note}", err=True)


def _periods(meta: dict) -> str:
    p = meta.get("periods") or []
    return f"{min(p)}..{max(p)} ({len(p)})" if p else "-"


@data.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Data directory.")
@click.option("--replace", is_flag=True,
              help="Replace each cached table or layer by the file's contents instead of merging by key "
                   "(the output says what was dropped).")
def import_(paths: tuple[str, ...], data_dir: str | None, replace: bool) -> None:
    """Import downloaded files (StatBank CSV exports, unit populations, boundaries, indicators).

    Rows are merged into the cache by key: a file's rows replace cached rows with the same key, every other
    cached row is kept. An import that would drop cached data (e.g. a boundary file with 3 of the 98
    municipalities) is refused unless --replace is given.
    """
    from klyngedata.importing import import_file

    failed = refused = 0
    for path in paths:
        try:
            results = import_file(path, data_dir=data_dir, replace=replace)
        except ImportRefused as exc:
            click.echo(f"refused  {path}: {exc}", err=True)
            refused += 1
            continue
        except DataFormatError as exc:
            click.echo(f"failed   {path}: {exc}", err=True)
            failed += 1
            continue
        for r in results:
            line = f"{r.status:<8} {r.path}" + (f" -> {r.key} ({r.rows} rows)" if r.key else "")
            line += f"  {r.message}" if r.message else ""
            click.echo(line, err=r.status in ("failed", "refused"))
            failed += r.status == "failed"
            refused += r.status == "refused"
    problems = []
    if failed:
        problems.append(f"{failed} file(s) could not be imported")
    if refused:
        problems.append(f"{refused} file(s) refused because importing them would lose cached data "
                        "(use --replace to replace it)")
    if problems:
        raise KlyngedataError("; ".join(problems) + ". Other files were imported; the cache keeps what it had "
                              "for the files that were not.")


@data.command("status")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Data directory.")
def status(data_dir: str | None) -> None:
    """List what is cached: key, table, periods, fetched/imported at, age and state (ok or corrupt)."""
    from klyngedata.cache import Cache

    cache = Cache(data_dir)
    entries = cache.entries(include_corrupt=True)
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
    problems = entries.loc[entries["state"] != "ok", ["key", "state"]]
    shown = entries["state"].str.split(":").str[0].str.upper().where(entries["state"] != "ok", "ok")
    entries = entries.assign(age=ages, state=shown)
    click.echo(entries[["key", "table", "periods", "fetched_at", "age", "rows", "state"]].fillna("-")
               .to_string(index=False))
    for key, state in problems.itertuples(index=False):
        fix = "Import the data again with --replace (or fetch it)." if state.startswith("corrupt") else \
            "Import a complete file to replace it."
        click.echo(f"{key}: {state}. {fix}", err=True)


COMMANDS = [data]
