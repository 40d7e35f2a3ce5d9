"""How old the fetched health tables are, and whether a table is older than its publisher's usual lag.

For every table the health figures use (the cached health tables, and the newest cached population projection),
:func:`data_age` gives its newest period and fetch time and compares the newest period with the one Statistics
Denmark has normally published by ``today`` (:data:`klyngedata.health_defs.PUBLISHING`: the usual lag after a
period's end – or, for stock tables and the projection, after its reference day – plus
:data:`klyngedata.health_defs.GRACE_DAYS`). A report for a meeting in 2027 thus says plainly that, say, the
deaths of 2025 should have been published in February 2026 when the cache still ends in 2024.

Columns: ``table``, ``what_da``, ``newest`` (the StatBank period code or, for the projection, its first year),
``newest_da`` (Danish), ``fetched_at`` (ISO time, or the import time), ``fetched_da`` (Danish date),
``expected`` (the newest period expected by ``today``), ``expected_da``, ``usual_da`` (when Statistics Denmark
usually publishes it, in Danish), ``older_than_usual`` (bool),
``note_da`` (one Danish sentence for readers).

Example
-------
Needs the health tables fetched into a data directory; not run as a doctest.
>>> data_age("/tmp/kd", today="2027-01-15")  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import os

import pandas as pd

from klyngedata import clock
from klyngedata.cache import Cache
from klyngedata.formatting import date_da
from klyngedata.health_defs import GRACE_DAYS, HEALTH_FIGURES, PUBLISHING, TablePublishing
from klyngedata.vocabulary import parse_period, period_code, period_kind, period_text_da

__all__ = ["COLUMNS", "data_age", "expected_period", "reference_day"]

COLUMNS = ["table", "what_da", "newest", "newest_da", "fetched_at", "fetched_da", "expected", "expected_da",
           "usual_da", "older_than_usual", "note_da"]


def reference_day(period: str, pub: TablePublishing) -> dt.date:
    """The day a period's publication lag counts from: its last day (flows) or its first (stocks, projections).

    >>> reference_day("2024", PUBLISHING["FOD207"]), reference_day("2025K3", PUBLISHING["FOLK1B"])
    (datetime.date(2024, 12, 31), datetime.date(2025, 7, 1))
    """
    p = parse_period(period)
    return (p.start_time if pub.reference == "start" else p.end_time).date()


def _step(period: str, k: int) -> str:
    p = parse_period(period)
    if period_kind(p) == "window":
        a, b = (int(x) for x in period_code(p).split(":"))
        return f"{a + k}:{b + k}"
    return period_code(p + k)


def expected_period(newest: str, pub: TablePublishing, today: dt.date) -> str:
    """The newest period of the same kind as ``newest`` whose usual publication day (plus the grace) is not after
    ``today`` (it may be ``newest`` itself, or older when the cache is ahead of the usual lag).

    >>> expected_period("2024", PUBLISHING["FOD207"], dt.date(2027, 1, 15))
    '2025'
    >>> expected_period("2024", PUBLISHING["FOD207"], dt.date(2027, 4, 1))
    '2026'
    """
    lag = dt.timedelta(days=pub.lag_days + GRACE_DAYS)
    p = newest
    while reference_day(p, pub) + lag > today:
        p = _step(p, -1)
    while reference_day(_step(p, 1), pub) + lag <= today:
        p = _step(p, 1)
    return p


def _when_da(period: str, pub: TablePublishing) -> str:
    if pub.table == "FRKM":
        return f"fremskrivningen fra {period}"  # the projection's first year
    text = period_text_da(parse_period(period))
    return f"1. {text}" if pub.reference == "start" and period_kind(parse_period(period)) == "quarter" else text


def _row(table: str, newest: str, fetched: str | None, today: dt.date) -> dict:
    pub = PUBLISHING[table]
    expected = expected_period(newest, pub, today)
    older = reference_day(newest, pub) < reference_day(expected, pub)
    newest_da, expected_da = _when_da(newest, pub), _when_da(expected, pub)
    fetched_da = date_da(fetched) if fetched else ""
    if table == "FRKM":
        note = (f"Befolkningsfremskrivningen er {newest_da}" + (f" (hentet {fetched_da})." if fetched_da else ".")
                + (f" Danmarks Statistik offentliggør en ny fremskrivning {pub.usual_da}, så {expected_da} burde "
                   "findes; tallene bør opdateres." if older else ""))
    elif older:
        note = (f"Tallene for {pub.what_da} går til og med {newest_da}. Danmarks Statistik offentliggør dem normalt "
                f"{pub.usual_da}, så tal til og med {expected_da} burde findes; tallene bør opdateres.")
    else:
        note = f"Tallene for {pub.what_da} går til og med {newest_da}" + (
            f" (hentet {fetched_da})." if fetched_da else ".")
    return dict(table=table, what_da=pub.what_da, newest=newest, newest_da=newest_da, fetched_at=fetched or "",
                fetched_da=fetched_da, expected=expected, expected_da=expected_da, usual_da=pub.usual_da,
                older_than_usual=older,
                note_da=note)


def data_age(data_dir: str | os.PathLike[str] | None = None, today: object = None) -> pd.DataFrame:
    """One row per cached table the health figures use (see the module docstring); ``today`` defaults to
    :func:`klyngedata.clock.today`."""
    from klyngedata.dst.health_store import health_status

    day = pd.Timestamp(today).date() if today is not None else clock.today()
    used = list(dict.fromkeys(f.table for f in HEALTH_FIGURES.values()))
    rows = []
    status = health_status(data_dir)
    for r in status.itertuples(index=False):
        if r.table in used and r.table in PUBLISHING and r.newest and r.state == "ok":
            rows.append(_row(r.table, str(r.newest), r.fetched_at or r.imported_at, day))
    cache = Cache(data_dir)
    projections = sorted(k for k in cache.keys() if k.startswith("population/FRKM"))
    if projections:
        meta = cache.meta(projections[-1]) or {}
        first = (meta.get("periods") or [None])[0]
        if first:
            rows.append(_row("FRKM", str(first)[:4], meta.get("fetched_at") or meta.get("imported_at"), day))
    return pd.DataFrame(rows, columns=COLUMNS)


def measure_ids(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Each figure's source table and measure as Statistics Denmark identifies it: the value id and Danish text the
    cached table was resolved to (from its own metadata), else the id the catalogue knows as confirmed, else
    empty. Columns: ``id`` (figure), ``table``, ``measure``, ``measure_id``, ``measure_da``.

    >>> import tempfile
    >>> m = measure_ids(tempfile.mkdtemp()).set_index("id")
    >>> m.loc["personer_laegekontakt_pct", ["table", "measure", "measure_id"]].tolist()
    ['SYGP1', 'gp', '130']
    """
    from klyngedata.dst.health_store import cached_health_table, load_health_table
    from klyngedata.dst.health_tables import TABLES

    rows = []
    resolved: dict[str, dict] = {}
    for f in HEALTH_FIGURES.values():
        if f.table not in TABLES:
            rows.append(dict(id=f.id, table=f.table, measure=f.measure, measure_id="", measure_da=""))
            continue
        if f.table not in resolved:
            resolved[f.table] = (dict(load_health_table(f.table, data_dir).attrs.get("provenance") or {}).get(
                "measures") or {}) if cached_health_table(f.table, data_dir) else {}
        spec = TABLES[f.table]
        known = next((m for m in spec.measures if m.key == f.measure), spec.content)
        vid, text = resolved[f.table].get(f.measure) or [(known.ids or ("",))[0], known.label_da]
        rows.append(dict(id=f.id, table=f.table, measure=f.measure, measure_id=str(vid or ""), measure_da=text))
    return pd.DataFrame(rows, columns=["id", "table", "measure", "measure_id", "measure_da"])
