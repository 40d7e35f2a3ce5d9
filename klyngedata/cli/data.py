"""``klyngedata data fetch | import | status`` (owned by the population/cache work, issue 3)."""

from __future__ import annotations

import datetime as dt
import sys

import click

from klyngedata.exceptions import DataFormatError, DstApiError, ImportRefused, KlyngedataError


@click.group()
def data() -> None:
    """Fetch, import and inspect the local data cache."""


POPULATION_TABLES = ("FOLK1A", "FOLK1AM", "FRKM", "KKBEF1")


def _wanted(tables: tuple[str, ...], only: str | None) -> tuple[list[str], list[str]]:
    """The population and the health tables to fetch (default: all of both, or those of ``--only``);
    København's bydele (KKBEF1) last among the population tables: they are checked against DST's totals."""
    from klyngedata.dst.health_tables import DEFAULT_TABLES, TABLES
    from klyngedata.dst.kk_bydel import KK_TABLE
    from klyngedata.population import DEFAULT_FETCH

    if not tables:
        return ([] if only == "health" else [*DEFAULT_FETCH, KK_TABLE]), ([] if only == "population" else
                                                                          list(DEFAULT_TABLES))
    names = [t.strip().upper() for t in tables]
    unknown = [t for t in names if t not in POPULATION_TABLES and t not in TABLES and not t.startswith("FRKM1")]
    if unknown:
        raise click.BadParameter(f"{', '.join(unknown)}: not a table klyngedata fetches (population: "
                                 f"{', '.join(POPULATION_TABLES)}; health: {', '.join(TABLES)})",
                                 param_hint="--table")
    population = sorted((t for t in names if t not in TABLES and only != "health"), key=lambda t: t == KK_TABLE)
    return population, [t for t in names if t in TABLES and only != "population"]


def _offline() -> bool:
    from klyngedata.settings import current

    return current().offline


@data.command("fetch")
@click.option("--tables", "--table", "-t", "tables", multiple=True,
              help="A table to fetch (repeatable): FOLK1A, FOLK1AM, FRKM, KKBEF1 (København by bydel from "
                   "Københavns Kommune's statbank) or a health table (FOD207, FOLK1B, SYGP1, SYGK1, SBR01, HJEMSYG, "
                   "AED21, AED06, AED07, AED08, HISBK, FODIE). Default: every one.")
@click.option("--only", type=click.Choice(["population", "health"]), default=None,
              help="Fetch only the population tables or only the health tables.")
@click.option("--refresh", is_flag=True, help="Fetch even if the table is cached (and up to date).")
@click.option("--replace", is_flag=True,
              help="Replace a cached health table whose shape changed between releases (other periods, "
                   "re-banded ages) instead of refusing.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Data directory.")
def fetch(tables: tuple[str, ...], only: str | None, refresh: bool, replace: bool, data_dir: str | None) -> None:
    """Fetch population and health tables from Statistics Denmark's StatBank into the cache."""
    from tqdm import tqdm

    from klyngedata.cache import Cache
    from klyngedata.dst.client import StatBankClient

    population, health = _wanted(tables, only)
    if _offline():
        click.echo("Offline ($KLYNGEDATA_OFFLINE is set): `klyngedata data fetch` needs Statistics Denmark's "
                   "StatBank API, so nothing was fetched. Unset KLYNGEDATA_OFFLINE, or import files you downloaded "
                   "with `klyngedata data import FILE`.", err=True)
        sys.exit(1)
    cache = Cache(data_dir)
    client = StatBankClient()
    try:
        listing = client.tables()
    except DstApiError as exc:  # one Danish sentence: the API's own message and what to do next
        if getattr(exc, "table", "") is None:
            exc.table = ", ".join(population + health)
        click.echo(str(exc), err=True)
        sys.exit(1)
    bars: dict[str, tqdm] = {}

    def progress(table: str, done: int, total: int) -> None:
        bar = bars.get(table)
        if bar is None:
            bar = bars[table] = tqdm(total=total, desc=table, unit="chunk")
        bar.update(done - bar.n)

    jobs = [(t, lambda t=t: _fetch_population(t, cache, client, listing, refresh, progress))
            for t in population]
    jobs += [(t, lambda t=t: _fetch_health(t, cache, client, listing, refresh, replace, progress)) for t in health]
    failed = 0
    for table, job in jobs:
        try:
            for line in job():
                click.echo(line)
        except KlyngedataError as exc:  # one sentence (a changed table: Danish); the cache is unchanged
            click.echo(str(exc), err=True)
            failed += 1
        finally:
            if table in bars:
                bars[table].close()
    if failed:
        sys.exit(1)


def _fetch_population(table: str, cache, client, listing, refresh: bool, progress) -> list[str]:
    from klyngedata.dst.kk_bydel import KK_TABLE
    from klyngedata.population import fetch_population
    from klyngedata.sources import population_key

    if table == KK_TABLE:
        return _fetch_bydele(cache, refresh, progress)
    if not refresh and table != "FRKM" and cache.exists(population_key(table)):
        return [f"{table}: cached (use --refresh to fetch again)"]
    keys = fetch_population([table], data_dir=cache.data_dir, client=client, listing=listing, progress=progress)
    return [f"{key}: {(cache.meta(key) or {}).get('rows')} rows, periods {_periods(cache.meta(key) or {})}"
            for key in keys]


def _fetch_health(table: str, cache, client, listing, refresh: bool, replace: bool, progress) -> list[str]:
    from klyngedata.dst.health_store import fetch_and_store

    key, report = fetch_and_store(table, data_dir=cache.data_dir, client=client, listing=listing, refresh=refresh,
                                  replace=replace, progress=lambda i, n: progress(table, i, n))
    meta = cache.meta(key) or {}
    if report is None:
        return [f"{key}: up to date (updated {meta.get('updated')}; use --refresh to fetch again)"]
    return [f"{key}: {meta.get('rows')} rows, periods {_periods(meta)}; {report}"]


def _fetch_bydele(cache, refresh: bool, progress) -> list[str]:
    """København's population by bydel (:mod:`klyngedata.dst.kk_bydel`) into the unit populations."""
    from klyngedata.dst.kk_bydel import KK_TABLE, SOURCE, fetch_kk_bydel

    meta = cache.meta("population/units") or {}
    if not refresh and any(s.get("source") == SOURCE.format(table=KK_TABLE) for s in meta.get("sources", [])):
        return [f"{KK_TABLE}: cached (use --refresh to fetch again)"]
    result = fetch_kk_bydel(cache.data_dir, progress=lambda i, n: progress(KK_TABLE, i, n))
    for period, why in result.refused.items():
        click.echo(f"  {period} not stored: {why}", err=True)
    for note in result.notes:
        click.echo(f"  note: {note}", err=True)
    return [str(result)]


def _periods(meta: dict) -> str:
    p = meta.get("periods") or []
    return f"{p[0]}..{p[-1]} ({len(p)})" if p else "-"


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
    """List what is cached: key, table, newest period, periods, fetched/imported at, age and state (ok or
    corrupt) – the population and boundary entries and every health table (``health/<TABLE>``)."""
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
    entries = entries.assign(age=ages, state=shown, newest=[_newest(cache, k) for k in entries["key"]])
    click.echo(entries[["key", "table", "newest", "periods", "fetched_at", "age", "rows", "state"]].fillna("-")
               .to_string(index=False))
    for key, state in problems.itertuples(index=False):
        fix = "Import the data again with --replace (or fetch it)." if state.startswith("corrupt") else \
            "Import a complete file to replace it."
        click.echo(f"{key}: {state}. {fix}", err=True)


def _newest(cache, key: str) -> str | None:
    """The newest period of a cache entry (periods in time order; a window such as 2020:2024 included)."""
    from klyngedata.vocabulary import parse_period

    meta = cache.meta(key) or {}
    if meta.get("newest"):
        return meta["newest"]
    try:
        return max(meta.get("periods") or [], key=lambda p: parse_period(p).end_time, default=None)
    except ValueError:
        return None


COMMANDS = [data]
