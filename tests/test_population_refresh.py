"""Re-checking a cache entry fetched from StatBank, end to end through ``population()``.

A local HTTP server on 127.0.0.1 replays StatBank ``/tableinfo`` (JSON) and ``/data`` (BULK CSV with
UTF-8 BOM and ``;``) answers; the client is pointed at it with ``$KLYNGEDATA_STATBANK_URL``. Every
count the server hands out is a **constructed example** (``CONSTRUCTED_FOLK1A_COUNTS``), not data.
The ``/data`` answer holds the total rows (KØN=TOT, ALDER=IALT, CIVILSTAND=TOT) of each requested
period, in the ``CodeAndValue`` presentation. No test touches the network.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import klyngedata.dst.client
from klyngedata.cache import Cache
from klyngedata.population import PopulationWarning, population

BOM = "\ufeff"
TABLEINFO_FILE = Path(__file__).parent / "fixtures" / "dst" / "constructed_tableinfo_FOLK1A.json"
KEY = "population/FOLK1A"

# constructed example: invented FOLK1A totals (period -> StatBank municipality code -> persons)
CONSTRUCTED_FOLK1A_COUNTS = {
    "2024K1": {"851": 1101, "860": 2101},
    "2024K2": {"851": 1102, "860": 2102},
    "2024K3": {"851": 1103, "860": 2103},
}
NAMES = {"851": "Aalborg", "860": "Hjørring"}


class _StatBank(BaseHTTPRequestHandler):
    """Answers like StatBank: /tableinfo from ``server.published``, /data from ``server.counts``."""

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        srv = self.server
        endpoint = self.path.rsplit("/", 1)[-1]
        srv.log.append({"endpoint": endpoint, "body": body})
        if endpoint in srv.fail:
            status, ctype = 503, "text/html"
            payload = b"<html><body>Service Unavailable</body></html>"
        elif endpoint == "tableinfo":
            info = copy.deepcopy(srv.tableinfo)
            tid = next(v for v in info["variables"] if v["id"] == "Tid")
            tid["values"] = [{"id": p, "text": p} for p in srv.published]
            status, ctype, payload = 200, "application/json; charset=utf-8", json.dumps(info).encode()
        elif endpoint == "data":
            periods = next(v["values"] for v in body["variables"] if v["code"] == "Tid")
            rows = "".join(f"{code} {NAMES[code]};TOT I alt;IALT Alder i alt;TOT I alt;{p};{n}\r\n"
                           for p in periods for code, n in srv.counts[p].items())
            status, ctype = 200, "text/csv; charset=utf-8"
            payload = (BOM + "OMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD\r\n" + rows).encode("utf-8")
        else:
            status, ctype = 404, "application/json"
            payload = json.dumps({"errorTypeCode": "EXTRACT-NOTFOUND", "message": "ukendt endpoint"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def statbank(monkeypatch):
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _StatBank)
    srv.tableinfo = json.loads(TABLEINFO_FILE.read_text(encoding="utf-8"))
    srv.published = ["2024K1", "2024K2"]
    srv.counts = copy.deepcopy(CONSTRUCTED_FOLK1A_COUNTS)
    srv.fail = set()
    srv.log = []
    srv.sleeps = []
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    monkeypatch.setenv("KLYNGEDATA_STATBANK_URL", f"http://127.0.0.1:{srv.server_address[1]}/v1")
    monkeypatch.delenv("KLYNGEDATA_OFFLINE", raising=False)
    # the client looks sleep up at call time: record the backoff instead of waiting
    monkeypatch.setattr(klyngedata.dst.client.time, "sleep", srv.sleeps.append)
    yield srv
    srv.shutdown()
    srv.server_close()


def _endpoints(srv, since: int = 0) -> list[str]:
    return [r["endpoint"] for r in srv.log[since:]]


def _values(df) -> dict[tuple[str, str], int]:
    return {(str(r.period), r.entity_id): int(r.population) for r in df.itertuples()}


def _first_fetch(srv, data_dir) -> dict:
    """Empty cache, online: population() fetches FOLK1A (tableinfo + data) and caches it."""
    df = population("municipality", period="all", data_dir=data_dir)
    assert _endpoints(srv) == ["tableinfo", "data"]
    assert _values(df) == {("2024Q1", "0851"): 1101, ("2024Q1", "0860"): 2101,
                           ("2024Q2", "0851"): 1102, ("2024Q2", "0860"): 2102}
    meta = Cache(data_dir).meta(KEY)
    assert meta["periods"] == ["2024K1", "2024K2"]
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
    assert _endpoints(statbank) == ["tableinfo", "data"]  # no new request
    assert _values(df) == {("2024Q2", "0851"): 1102, ("2024Q2", "0860"): 2102}


def test_stale_cache_is_refetched_when_a_newer_period_is_published(statbank, tmp_path):
    first = _first_fetch(statbank, tmp_path)
    _age_cache(tmp_path, days=2)
    statbank.published = ["2024K1", "2024K2", "2024K3"]
    df = population("municipality", period="latest", data_dir=tmp_path)
    # re-check (tableinfo), then the refetch itself (tableinfo + data of every period)
    assert _endpoints(statbank, 2) == ["tableinfo", "tableinfo", "data"]
    tid = next(v["values"] for v in statbank.log[-1]["body"]["variables"] if v["code"] == "Tid")
    assert tid == ["2024K1", "2024K2", "2024K3"]
    assert _values(df) == {("2024Q3", "0851"): 1103, ("2024Q3", "0860"): 2103}
    meta = Cache(tmp_path).meta(KEY)
    assert meta["periods"] == ["2024K1", "2024K2", "2024K3"]
    assert meta["fetched_at"] >= first["fetched_at"]
    assert df.attrs["provenance"][0]["fetched_at"] == meta["fetched_at"]
    # the refetched entry is fresh again: the next call asks nothing
    population("municipality", period="latest", data_dir=tmp_path)
    assert len(statbank.log) == 5


def test_stale_cache_is_kept_when_no_newer_period_is_published(statbank, tmp_path):
    _first_fetch(statbank, tmp_path)
    stamp = _age_cache(tmp_path, days=2)
    statbank.counts["2024K2"]["851"] = 9999  # would show up if the table were refetched
    df = population("municipality", period="latest", data_dir=tmp_path)
    assert _endpoints(statbank, 2) == ["tableinfo"]  # re-checked, not refetched
    assert statbank.log[-1]["body"]["table"] == "FOLK1A"
    assert _values(df) == {("2024Q2", "0851"): 1102, ("2024Q2", "0860"): 2102}
    meta = Cache(tmp_path).meta(KEY)
    assert meta["fetched_at"] == stamp and meta["checked_at"] > stamp  # provenance keeps the fetch time
    # re-checked once a day, not on every call
    df = population("municipality", period="latest", data_dir=tmp_path)
    assert _endpoints(statbank, 2) == ["tableinfo"]
    assert _values(df)[("2024Q2", "0851")] == 1102


def test_unreachable_statbank_warns_and_uses_the_cache(statbank, tmp_path):
    _first_fetch(statbank, tmp_path)
    stamp = _age_cache(tmp_path, days=3)
    statbank.published = ["2024K1", "2024K2", "2024K3"]
    statbank.fail = {"tableinfo"}
    with pytest.warns(PopulationWarning) as rec:
        df = population("municipality", period="latest", data_dir=tmp_path)
    assert _endpoints(statbank, 2) == ["tableinfo", "tableinfo"]  # the re-check: 1 try + 1 retry on 503
    assert statbank.sleeps == [1.0]
    assert _values(df) == {("2024Q2", "0851"): 1102, ("2024Q2", "0860"): 2102}
    msg = str(rec[0].message)
    assert msg == (f"StatBank not reachable (StatBankError); using FOLK1A cached {stamp} "
                   "(3.0 days old; newest period 2024K2)")


def test_statbank_refusing_connections_warns_and_uses_the_cache(statbank, tmp_path, monkeypatch):
    _first_fetch(statbank, tmp_path)
    _age_cache(tmp_path, days=2)
    with socket.socket() as s:  # a port on 127.0.0.1 that nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("KLYNGEDATA_STATBANK_URL", f"http://127.0.0.1:{port}/v1")
    with pytest.warns(PopulationWarning, match=r"^StatBank not reachable .*newest period 2024K2\)$"):
        df = population("municipality", period="all", data_dir=tmp_path)
    assert len(df) == 4 and _values(df)[("2024Q2", "0860")] == 2102
    assert statbank.sleeps == [1.0]  # connection refused is retried once, with backoff


def test_refresh_forces_a_refetch_of_a_fresh_cache(statbank, tmp_path):
    _first_fetch(statbank, tmp_path)
    statbank.counts["2024K2"]["851"] = 1202  # constructed example: a revised count
    df = population("municipality", period="2024K2", data_dir=tmp_path, refresh=True)
    assert _endpoints(statbank, 2) == ["tableinfo", "data"]
    assert _values(df) == {("2024Q2", "0851"): 1202, ("2024Q2", "0860"): 2102}
    # without refresh the (now fresh) cache holds the refetched count
    df = population("municipality", period="2024K2", data_dir=tmp_path)
    assert len(statbank.log) == 4 and _values(df)[("2024Q2", "0851")] == 1202


def test_offline_never_touches_the_network(statbank, tmp_path, monkeypatch):
    _first_fetch(statbank, tmp_path)
    stamp = _age_cache(tmp_path, days=5)
    statbank.published = ["2024K1", "2024K2", "2024K3"]
    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    df = population("municipality", period="latest", data_dir=tmp_path)
    assert _values(df) == {("2024Q2", "0851"): 1102, ("2024Q2", "0860"): 2102}
    assert df.attrs["provenance"][0]["fetched_at"] == stamp
    # refresh=True offline: the cache is used with a warning saying how old it is
    with pytest.warns(PopulationWarning, match=r"offline .*FOLK1A cached .*\(5\.0 days old; newest period 2024K2\)"):
        df = population("municipality", period="latest", data_dir=tmp_path, refresh=True)
    assert _values(df) == {("2024Q2", "0851"): 1102, ("2024Q2", "0860"): 2102}
    assert len(statbank.log) == 2  # only the first fetch, made online
