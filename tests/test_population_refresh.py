"""Re-checking a cache entry fetched from StatBank, end to end through ``population()``.

The StatBank API is the local replay of its recorded answers (``tests/statbank_replay.py``: the recorded
``/tables`` listing and FOLK1A tableinfo, ``/data`` answers in the recorded BULK format, the API's rules
enforced); the client is pointed at it with ``$KLYNGEDATA_STATBANK_URL``. Constructed (named so): every
count (the replay's deterministic counts, totals = sums of parts), the periods the table lists at a time
(``replay.published``: as if only 2024K1 and 2024K2 were out), a revised count (``replay.revisions``) and an
outage (``replay.fail``). No test touches the network.
"""

from __future__ import annotations

import datetime as dt
import json
import socket

import pytest

import klyngedata.dst.client
from klyngedata.cache import Cache
from klyngedata.formatting import datetime_da
from klyngedata.population import PopulationWarning, population
from tests.statbank_replay import StatBankReplay

KEY = "population/FOLK1A"
AREAS = {"851": "0851", "860": "0860"}  # Aalborg, Hjørring


@pytest.fixture
def statbank(monkeypatch):
    replay = StatBankReplay()
    replay.published["FOLK1A"] = ["2024K1", "2024K2"]
    replay.start()
    replay.sleeps = []
    monkeypatch.setenv("KLYNGEDATA_STATBANK_URL", replay.url)
    monkeypatch.delenv("KLYNGEDATA_OFFLINE", raising=False)
    # the client looks sleep up at call time: record the backoff instead of waiting
    monkeypatch.setattr(klyngedata.dst.client.time, "sleep", replay.sleeps.append)
    yield replay
    replay.stop()
    assert not replay.broken(), replay.broken()  # every request the client sent passed the API's rules


def _endpoints(srv, since: int = 0) -> list[str]:
    return [r.endpoint for r in srv.log[since:]]


def _values(df) -> dict[tuple[str, str], int]:
    """(period, municipality) -> count, for Aalborg and Hjørring."""
    return {(str(r.period), r.entity_id): int(r.population) for r in df.itertuples()
            if r.entity_id in AREAS.values()}


def _expected(srv, periods: list[str]) -> dict[tuple[str, str], int]:
    """The replay's constructed totals (KØN TOT, ALDER IALT, CIVILSTAND TOT) of Aalborg and Hjørring."""
    out = {}
    for p in periods:
        for dst, code in AREAS.items():
            q = f"{p[:4]}Q{p[-1]}"
            out[(q, code)] = srv.count("FOLK1A", p, OMRÅDE=dst, KØN="TOT", ALDER="IALT", CIVILSTAND="TOT")
    return out


def _first_fetch(srv, data_dir) -> dict:
    """Empty cache, online: population() fetches FOLK1A (tables, tableinfo, data) and caches it."""
    df = population("municipality", period="all", data_dir=data_dir)
    assert _endpoints(srv) == ["tables", "tableinfo", "data"]
    assert _values(df) == _expected(srv, ["2024K1", "2024K2"])
    assert df["entity_id"].nunique() == 99  # 98 municipalities and Christiansø
    meta = Cache(data_dir).meta(KEY)
    assert meta["periods"] == ["2024K1", "2024K2"]
    assert meta["updated"] == "2025-08-11T08:00:00+02:00"  # recorded "2025-08-11T08:00:00", Danish summer time
    return meta


def _age_cache(data_dir, days: float) -> str:
    """Make the cached entry look fetched ``days`` ago by editing ``fetched_at`` in its meta file."""
    cache = Cache(data_dir)
    path = cache.meta_path(KEY)
    meta = json.loads(path.read_text(encoding="utf-8"))
    stamp = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).replace(microsecond=0).isoformat()
    meta["fetched_at"] = stamp
    path.write_text(json.dumps(meta), encoding="utf-8")
    assert cache.meta(KEY)["fetched_at"] == stamp  # still a complete entry
    return stamp


def test_fresh_fetched_cache_is_used_without_asking_statbank(statbank, tmp_path):
    _first_fetch(statbank, tmp_path)
    df = population("municipality", period="2024K2", data_dir=tmp_path)
    assert _endpoints(statbank) == ["tables", "tableinfo", "data"]  # no new request
    assert _values(df) == _expected(statbank, ["2024K2"])


def test_stale_cache_is_refetched_when_a_newer_period_is_published(statbank, tmp_path):
    first = _first_fetch(statbank, tmp_path)
    _age_cache(tmp_path, days=2)
    statbank.published["FOLK1A"] = ["2024K1", "2024K2", "2024K3"]
    df = population("municipality", period="latest", data_dir=tmp_path)
    # re-check (tableinfo), then the refetch itself (tables, tableinfo, data of every period)
    assert _endpoints(statbank, 3) == ["tableinfo", "tables", "tableinfo", "data"]
    tid = next(v["values"] for v in statbank.log[-1].body["variables"] if v["code"] == "Tid")
    assert tid == ["2024K1", "2024K2", "2024K3"]
    assert _values(df) == _expected(statbank, ["2024K3"])
    meta = Cache(tmp_path).meta(KEY)
    assert meta["periods"] == ["2024K1", "2024K2", "2024K3"]
    assert meta["fetched_at"] >= first["fetched_at"]
    assert df.attrs["provenance"][0]["fetched_at"] == meta["fetched_at"]
    # the refetched entry is fresh again: the next call asks nothing
    population("municipality", period="latest", data_dir=tmp_path)
    assert len(statbank.log) == 7


def test_stale_cache_is_kept_when_no_newer_period_is_published(statbank, tmp_path):
    _first_fetch(statbank, tmp_path)
    stamp = _age_cache(tmp_path, days=2)
    statbank.revisions[("FOLK1A", "851", "2024K2")] = 9999  # would show up if the table were refetched
    df = population("municipality", period="latest", data_dir=tmp_path)
    assert _endpoints(statbank, 3) == ["tableinfo"]  # re-checked, not refetched
    assert statbank.log[-1].body["table"] == "FOLK1A"
    statbank.revisions.clear()
    assert _values(df) == _expected(statbank, ["2024K2"])
    meta = Cache(tmp_path).meta(KEY)
    assert meta["fetched_at"] == stamp and meta["checked_at"] > stamp  # provenance keeps the fetch time
    # re-checked once a day, not on every call
    df = population("municipality", period="latest", data_dir=tmp_path)
    assert _endpoints(statbank, 3) == ["tableinfo"]
    assert _values(df) == _expected(statbank, ["2024K2"])


def test_unreachable_statbank_warns_and_uses_the_cache(statbank, tmp_path):
    _first_fetch(statbank, tmp_path)
    stamp = _age_cache(tmp_path, days=3)
    statbank.published["FOLK1A"] = ["2024K1", "2024K2", "2024K3"]
    statbank.fail = {"tableinfo"}
    with pytest.warns(PopulationWarning) as rec:
        df = population("municipality", period="latest", data_dir=tmp_path)
    assert _endpoints(statbank, 3) == ["tableinfo", "tableinfo"]  # the re-check: 1 try + 1 retry on 503
    assert statbank.sleeps == [1.0]
    assert _values(df) == _expected(statbank, ["2024K2"])
    msg = str(rec[0].message)
    assert msg == (f"Statistikbanken kunne ikke nås, så de gemte tal bruges: FOLK1A hentet {datetime_da(stamp)} "
                   "(3,0 dage gammel; nyeste periode 2. kvt. 2024).")
    assert rec[0].filename == __file__  # at the caller's line, not inside klyngedata


def test_statbank_refusing_connections_warns_and_uses_the_cache(statbank, tmp_path, monkeypatch):
    _first_fetch(statbank, tmp_path)
    _age_cache(tmp_path, days=2)
    with socket.socket() as s:  # a port on 127.0.0.1 that nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("KLYNGEDATA_STATBANK_URL", f"http://127.0.0.1:{port}/v1")
    with pytest.warns(PopulationWarning, match=r"^Statistikbanken kunne ikke nås, .*periode 2\. kvt\. 2024\)\.$"):
        df = population("municipality", period="all", data_dir=tmp_path)
    assert len(df) == 2 * 99 and _values(df) == _expected(statbank, ["2024K1", "2024K2"])
    assert statbank.sleeps == [1.0]  # connection refused is retried once, with backoff


def test_refresh_forces_a_refetch_of_a_fresh_cache(statbank, tmp_path):
    _first_fetch(statbank, tmp_path)
    before = _expected(statbank, ["2024K2"])[("2024Q2", "0851")]
    statbank.revisions[("FOLK1A", "851", "2024K2")] = 100  # constructed example: a revised count
    df = population("municipality", period="2024K2", data_dir=tmp_path, refresh=True)
    assert _endpoints(statbank, 3) == ["tables", "tableinfo", "data"]
    assert _values(df) == _expected(statbank, ["2024K2"])
    assert _values(df)[("2024Q2", "0851")] == before + 100
    # without refresh the (now fresh) cache holds the refetched count
    df = population("municipality", period="2024K2", data_dir=tmp_path)
    assert len(statbank.log) == 6 and _values(df)[("2024Q2", "0851")] == before + 100


def test_offline_never_touches_the_network(statbank, tmp_path, monkeypatch):
    _first_fetch(statbank, tmp_path)
    stamp = _age_cache(tmp_path, days=5)
    statbank.published["FOLK1A"] = ["2024K1", "2024K2", "2024K3"]
    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    df = population("municipality", period="latest", data_dir=tmp_path)
    assert _values(df) == _expected(statbank, ["2024K2"])
    assert df.attrs["provenance"][0]["fetched_at"] == stamp
    # refresh=True offline: the cache is used with a warning saying how old it is
    with pytest.warns(PopulationWarning, match=r"KLYNGEDATA_OFFLINE=1 er sat .*FOLK1A hentet .*\(5,0 dage gammel; "
                                               r"nyeste periode 2\. kvt\. 2024\)"):
        df = population("municipality", period="latest", data_dir=tmp_path, refresh=True)
    assert _values(df) == _expected(statbank, ["2024K2"])
    assert len(statbank.log) == 3  # only the first fetch, made online
