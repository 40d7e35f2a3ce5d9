"""The StatBank client against a local replay of the real API's recorded answers (``tests/statbank_replay.py``).

Recorded (``../shared/reference/statbank-recorded``, read at test time): the ``/tables`` listing, the FOLK1A and
STRAF42 tableinfo, the error bodies, and the formats of ``/data`` answers. The replay enforces the API rules the
recorded errors show, and every test asserts that the client's requests passed them (``replay.broken()``).

Constructed (named so): every count in a ``/data`` answer (the replay's deterministic counts, whose totals are
the sums of their parts – the *formats and metadata* are recorded, the *values* are not), the FRKM125 and
FOLK1AM tableinfo, inactive projection tables, ``..`` cells, and the transport faults (timeouts, 5xx, 429,
HTML bodies), which nobody recorded. No test touches the network.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest
import requests
from click.testing import CliRunner

from klyngedata import __version__
from klyngedata.cache import Cache
from klyngedata.cli import main
from klyngedata.dst.client import StatBankClient, StatBankError
from klyngedata.dst.metadata import footnote_text, newest_projection, parse_updated, time_values
from klyngedata.dst.parse import parse_statbank_csv
from klyngedata.dst.tables import build_selection, fetch_table, resolve_projection_table, spec_for
from klyngedata.exceptions import DstApiError
from klyngedata.population import PopulationWarning, population
from tests.statbank_replay import StatBankReplay


@pytest.fixture
def replay():
    with StatBankReplay() as r:
        yield r


def client_for(url: str, sleeps: list | None = None, **kw) -> StatBankClient:
    sleeps = sleeps if sleeps is not None else []
    return StatBankClient(url, timeout=kw.pop("timeout", (2.0, 60.0)), retries=kw.pop("retries", 3), backoff=0.01,
                          sleep=sleeps.append, **kw)


def _assert_danish_sentence(err: Exception) -> str:
    msg = str(err)
    assert msg.startswith("Statistikbanken") and msg.endswith(".")
    assert "{" not in msg and "request" not in msg  # never raw JSON
    return msg


# ---------------------------------------------------------------------------------------------
# recorded metadata
# ---------------------------------------------------------------------------------------------
def test_tables_and_tableinfo_are_the_recorded_answers(replay):
    client = client_for(replay.url)
    tables = client.tables()
    assert len(tables) == 2234 and all(t["active"] for t in tables)  # recorded: tables_da.json
    folk = next(t for t in tables if t["id"] == "FOLK1A")
    assert (folk["firstPeriod"], folk["latestPeriod"]) == ("2008K1", "2025K3")
    info = client.tableinfo("FOLK1A")  # recorded: tableinfo_FOLK1A_da.json
    assert [v["id"] for v in info["variables"]] == ["OMRÅDE", "KØN", "ALDER", "CIVILSTAND", "Tid"]
    periods = time_values(info)
    assert len(periods) == 71 and periods[0] == "2008K1" and periods[-1] == "2025K3"
    sel = build_selection(info, spec_for("FOLK1A"), by_sex_age=False, periods=["2024K1"])
    assert sel == {"OMRÅDE": ["*"], "KØN": ["TOT"], "ALDER": ["IALT"], "CIVILSTAND": ["TOT"], "Tid": ["2024K1"]}
    req = replay.log[0]
    assert req.method == "POST" and req.body["lang"] == "da"
    assert not replay.broken()


def test_newest_projection_is_the_newest_active_table(replay):
    client = client_for(replay.url)
    assert resolve_projection_table(client) == "FRKM125"  # the active one in the recorded listing
    listing = client.tables(include_inactive=True)  # + constructed FRKM113-FRKM124, inactive
    inactive = sorted(t["id"] for t in listing if t["id"].startswith("FRKM1") and not t["active"])
    assert inactive == [f"FRKM1{yy}" for yy in range(13, 25)]
    assert newest_projection(listing) == "FRKM125"
    # constructed: a higher id that is not active is never picked
    assert newest_projection(listing + [{"id": "FRKM126", "active": False}]) == "FRKM125"
    with pytest.raises(StatBankError, match="ingen aktiv tabel"):
        newest_projection([t for t in listing if not t["active"]])
    assert not replay.broken()


def test_updated_is_danish_local_time_and_footnote_null_or_object(replay):
    client = client_for(replay.url)
    folk = client.tableinfo("FOLK1A")
    straf = client_for(replay.url, lang="en").tableinfo("STRAF42")  # recorded in English
    # recorded "2025-08-11T08:00:00" without zone = Danish summer time; "2025-03-25T08:00:00" = winter time
    assert parse_updated(folk["updated"]).isoformat() == "2025-08-11T08:00:00+02:00"
    assert parse_updated(straf["updated"]).isoformat() == "2025-03-25T08:00:00+01:00"
    assert parse_updated("2025-08-11T06:00:00Z").isoformat() == "2025-08-11T06:00:00+00:00"  # a zone is kept
    assert footnote_text(folk) is None  # recorded "footnote": null
    assert footnote_text(straf).startswith("The number of convictions")  # recorded {"text", "mandatory"}
    assert not replay.broken()


# ---------------------------------------------------------------------------------------------
# the API's rules, answered with the recorded error bodies, reach the user as one Danish sentence
# ---------------------------------------------------------------------------------------------
def test_unknown_value_is_refused_with_the_recorded_body(replay):
    client = client_for(replay.url)
    with pytest.raises(StatBankError) as err:
        client.data("FOLK1A", {"OMRÅDE": ["000"], "KØN": ["IALT"], "ALDER": ["IALT"], "CIVILSTAND": ["TOT"],
                               "Tid": ["2024K1"]})
    e = err.value
    assert (e.status, e.error_type, e.api_message) == (400, "EXTRACT-NOTFOUND", "Kan ikke finde værdien: IALT (KØN)")
    msg = _assert_danish_sentence(e)
    assert "FOLK1A" in msg and "»Kan ikke finde værdien: IALT (KØN)«" in msg and "klyngedata data import" in msg
    assert isinstance(e, DstApiError) and '"IALT"' in e.detail  # the request goes to the log, not the message
    assert [r.rule for r in replay.log] == ["unknown value"] and len(replay.log) == 1  # a 400 is not retried


def test_bulk_needs_every_variable(replay):
    with pytest.raises(StatBankError) as err:
        client_for(replay.url).data("FOLK1A", {"OMRÅDE": ["000"], "KØN": ["TOT"], "ALDER": ["IALT"],
                                               "Tid": ["2024K1"]})
    assert err.value.error_type == "EXTRACT-NOTALLOWED"
    assert "»Der skal vælges værdier for variabel: CIVILSTAND«" in _assert_danish_sentence(err.value)


def test_unknown_table_and_variable(replay):
    client = client_for(replay.url)
    with pytest.raises(StatBankError, match="»Tabel findes ikke: FOLK9X«"):
        client.tableinfo("FOLK9X")
    with pytest.raises(StatBankError, match="»Kan ikke finde variablen: KOMMUNE«"):
        client.data("FOLK1A", {"KOMMUNE": ["101"]})


def test_replay_enforces_the_recorded_rules_on_raw_requests(replay):
    """The replay itself: each rule answers with its recorded body (errors/*.json)."""
    base = replay.url
    ok = {"table": "FOLK1A", "format": "BULK", "variables": [
        {"code": "OMRÅDE", "values": ["000"]}, {"code": "KØN", "values": ["TOT"]},
        {"code": "ALDER", "values": ["IALT"]}, {"code": "CIVILSTAND", "values": ["TOT"]},
        {"code": "Tid", "values": ["(1)"]}]}
    r = requests.post(f"{base}/data", json=ok, timeout=10)
    assert r.status_code == 200 and not r.content.startswith(b"\xef\xbb\xbf")  # BULK: no BOM
    assert r.text.splitlines()[1].split(";")[:4] == ["Hele landet", "I alt", "Alder i alt", "I alt"]
    cases = [
        ({**ok, "timeOrder": "Ascending"}, "EXTRACT-STREAMINGTIMESORT_bulk_timeOrder__HTTP400"),
        ({**ok, "format": "CSV", "variables": [{"code": "OMRÅDE", "values": ["*"]}, {"code": "Tid", "values": ["*"]}]},
         "REQUEST-LIMIT_csv_too_many_cells_da__HTTP400"),
        ({}, "empty_post_body__HTTP400"),
        ({**ok, "format": "JSONX"}, "invalid_format__HTTP400"),
        ({"format": "BULK"}, "missing_table_param__HTTP400"),
    ]
    for body, name in cases:
        r = requests.post(f"{base}/data", json=body, timeout=10)
        recorded = json.loads((replay.root / "errors" / f"{name}.json").read_text(encoding="utf-8"))
        assert (r.status_code, r.json()) == (400, recorded), name
    r = requests.post(f"{base}/data", data=b"{not json", timeout=10)
    assert r.json()["errorTypeCode"] == "REQUEST-EMPTY"
    assert requests.get(f"{base}/nosuchthing", timeout=10).status_code == 404
    assert requests.put(f"{base}/data", timeout=10).json()["errorTypeCode"] == "REQUEST-MISSING"
    assert [x.passed for x in replay.log] == [True] + [False] * 8


def test_request_limit_splits_a_csv_request_on_explicit_values(replay):
    client = client_for(replay.url)
    areas = [v["id"] for v in client.tableinfo("FOLK1A")["variables"][0]["values"]]
    sel = {"OMRÅDE": areas, "KØN": ["*"], "ALDER": ["*"], "CIVILSTAND": ["*"], "Tid": ["2024K1", "2024K2", "2024K3",
                                                                                         "2024K4", "2025K1"]}
    raw = client.data("FOLK1A", sel, format="CSV", value_presentation="Code")  # 105*3*127*5*5 = 1,000,125 cells
    limited = [r for r in replay.log if r.rule]
    assert [r.rule for r in limited] == ["over 1,000,000 cells needs BULK"]  # the first try, then two halves
    assert len(replay.log) == 4 and all(r.passed for r in replay.log[2:])
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == "OMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD" and len(lines) == 1 + 1_000_125
    # a wildcard selection cannot be split: the Danish sentence says so
    with pytest.raises(StatBankError, match="kan ikke deles"):
        client.data("FOLK1A", {"OMRÅDE": ["*"], "Tid": ["*"]}, format="CSV")


# ---------------------------------------------------------------------------------------------
# answers in every presentation, and the fetch
# ---------------------------------------------------------------------------------------------
def test_every_presentation_parses_to_the_same_frame(replay):
    client = client_for(replay.url)
    sel = {"OMRÅDE": ["000", "081", "851", "411"], "KØN": ["*"], "ALDER": ["IALT", "0", "99", "125"],
           "CIVILSTAND": ["TOT"], "Tid": ["2025K3"]}
    frames = {}
    for presentation in ("Code", "Value", "CodeAndValue", "Default"):
        for fmt in ("BULK", "CSV"):
            raw = client.data("FOLK1A", sel, format=fmt, value_presentation=presentation)
            assert raw.startswith(b"\xef\xbb\xbf") == (fmt == "CSV")  # CSV with BOM, BULK without
            df = parse_statbank_csv(raw, table="FOLK1A", file=f"{presentation} {fmt}")
            frames[(presentation, fmt)] = df
    cav = frames[("CodeAndValue", "BULK")]
    assert cav.attrs["provenance"]["presentation"] == "CodeAndValue"
    for key, df in frames.items():
        # BULK leaves out the cells that are 0 (age 125), CSV writes them
        cmp = df[df["population"] != 0].reset_index(drop=True) if key[1] == "CSV" else df
        pd.testing.assert_frame_equal(cmp, cav, check_like=True, obj=str(key))
    assert sorted(cav["area_code"].unique()) == ["0411", "0851", "1081", "DK"]
    assert list(cav["sex"].unique()) == ["male", "female", "total"]  # KØN * in the recorded row order
    assert not replay.broken()


def test_fetch_folk1a_totals_checks_and_provenance(replay):
    client = client_for(replay.url)
    df = fetch_table("FOLK1A", client, periods=["2024K4", "2025K1", "2025K2"], by_sex_age=False, chunk_size=2)
    assert [r.endpoint for r in replay.log] == ["tables", "tableinfo", "data", "data"]
    assert not replay.broken()
    prov = df.attrs["provenance"]
    assert prov["updated"] == "2025-08-11T08:00:00+02:00" and prov["footnote"] is None
    assert prov["periods"] == ["2024K4", "2025K1", "2025K2"]
    tot = df[df["period"] == pd.Period("2025Q1")]
    dk = int(tot.loc[tot["area_level"] == "country", "population"].iloc[0])
    assert dk == replay.count("FOLK1A", "2025K1", OMRÅDE="000", KØN="TOT", ALDER="IALT", CIVILSTAND="TOT")
    assert dk == int(tot.loc[tot["area_level"] == "municipality", "population"].sum())
    with pytest.raises(StatBankError, match="har ikke offentliggjort 2030K1"):
        fetch_table("FOLK1A", client, periods=["2030K1"])


def test_fetch_refuses_an_answer_whose_totals_do_not_add_up(replay, monkeypatch):
    """Constructed fault: an answer that lost rows (a stream cut at a record boundary) is not cached."""
    real = replay._write

    def lose_rows(*args, **kwargs):
        body = real(*args, **kwargs)
        lines = body.split(b"\r\n")
        return b"\r\n".join(lines[:2] + lines[40:])  # drop 38 rows after the first

    monkeypatch.setattr(replay, "_write", lose_rows)
    with pytest.raises(StatBankError, match="ufuldstændigt eller hænger ikke sammen") as err:
        fetch_table("FOLK1A", client_for(replay.url), periods=["2025K3"])
    assert "det er ikke gemt" in str(err.value)


def test_fetch_projection_resolves_frkm125_and_adds_the_sexes(replay):
    calls = []
    df = fetch_table("FRKM", client_for(replay.url), periods=["2025", "2035"],
                     progress=lambda i, n: calls.append((i, n)))
    assert df.attrs["provenance"]["table"] == "FRKM125" and calls == [(1, 1)]
    assert not replay.broken()
    data = [r for r in replay.log if r.endpoint == "data"][0].body
    assert data["format"] == "BULK" and [v["code"] for v in data["variables"]] == ["KOMMUNEDK", "ALDER", "KØN", "Tid"]
    aal = df[(df["area_code"] == "0851") & (df["period"] == pd.Period("2035", "Y"))].set_index(["sex", "age"])
    for age in (80, 100):
        assert aal.loc[("total", age), "population"] == aal.loc[("male", age), "population"] + \
            aal.loc[("female", age), "population"]
    assert bool(df.loc[df["age"] == 100, "age_open"].all())  # "100- 100 år og derover"


@pytest.mark.e2e  # the whole data fetch of a full-size table (1.5 million cells) against a local server
def test_data_fetch_end_to_end_folk1a_by_sex_and_age(replay, tmp_path, monkeypatch):
    """The whole `klyngedata data fetch` path against the replay: /tables -> /tableinfo -> 9 chunks of BULK
    data -> cache -> population(). Formats and metadata are recorded; the counts are the replay's constructed
    values (totals = sums of parts)."""
    monkeypatch.setenv("KLYNGEDATA_STATBANK_URL", replay.url)
    monkeypatch.delenv("KLYNGEDATA_OFFLINE", raising=False)
    start, cpu = time.perf_counter(), time.process_time()
    res = CliRunner().invoke(main, ["data", "fetch", "--tables", "FOLK1A", "--data-dir", str(tmp_path)])
    fetched = time.perf_counter() - start
    assert res.exit_code == 0, res.output
    assert not replay.broken()  # every request passed the API's rules
    assert [r.endpoint for r in replay.log] == ["tables", "tableinfo"] + ["data"] * 9
    for r in replay.log[2:]:
        assert r.body["format"] == "BULK" and "timeOrder" not in r.body
        assert {v["code"] for v in r.body["variables"]} == {"OMRÅDE", "KØN", "ALDER", "CIVILSTAND", "Tid"}
    info = json.loads((replay.root / "tableinfo_FOLK1A_da.json").read_text(encoding="utf-8"))
    meta = Cache(tmp_path).meta("population/FOLK1A")
    assert meta["periods"] == time_values(info) and len(meta["periods"]) == 71
    assert meta["updated"] == "2025-08-11T08:00:00+02:00" and meta["by_sex_age"] is True
    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    mun = population("municipality", period="all", by=["sex", "age"], data_dir=tmp_path)
    dk = population("country", period="all", by=["sex", "age"], data_dir=tmp_path)
    assert mun["entity_id"].nunique() == 99 and mun["period"].nunique() == 71
    keys = ["period", "sex", "age"]
    summed = mun.groupby(keys)["population"].sum()
    own = dk.set_index(keys)["population"]
    assert len(own) == 71 * 2 * 105  # ages 105+ are 0 in every municipality: BULK leaves them out
    pd.testing.assert_series_equal(own.sort_index(), summed.reindex(own.index).sort_index(), check_names=False)
    total = population("country", period="2025K3", data_dir=tmp_path)["population"].iloc[0]
    assert total == replay.count("FOLK1A", "2025K3", OMRÅDE="000", KØN="TOT", ALDER="IALT", CIVILSTAND="TOT")
    print(f"\ndata fetch FOLK1A by sex and age (71 quarters, {len(mun):,} municipality rows): {fetched:.1f} s; "
          f"whole test {time.perf_counter() - start:.1f} s wall, {time.process_time() - cpu:.1f} s CPU "
          "(replay server and client in one process)")


def test_missing_cells_propagate_through_fetch_and_aggregation(replay, tmp_path, monkeypatch):
    """Constructed '..' for Aarhus in 2025K3: the municipality, its cluster and every sum over it are missing
    with a Danish reason; the region and Denmark come from the answer's own rows."""
    from klyngedata import registry

    replay.published["FOLK1A"] = ["2025K2", "2025K3"]
    replay.missing.add(("FOLK1A", "751", "2025K3"))
    monkeypatch.setenv("KLYNGEDATA_STATBANK_URL", replay.url)
    res = CliRunner().invoke(main, ["data", "fetch", "--tables", "FOLK1A", "--data-dir", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert not replay.broken()
    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    mun = population("municipality", period="2025K3", data_dir=tmp_path).set_index("entity_id")
    assert pd.isna(mun.loc["0751", "population"])
    assert mun.loc["0751", "reason_da"] == ("Danmarks Statistik har ikke offentliggjort befolkningstallet for "
                                            "Aarhus (markeret '..' i kilden)")
    with pytest.warns(Warning):
        cl = population("cluster", period="2025K3", data_dir=tmp_path).set_index("entity_id")
    aarhus_cluster = registry.membership(cl.attrs["division"]).set_index("municipality_code").loc["0751", "cluster_id"]
    assert pd.isna(cl.loc[aarhus_cluster, "population"])
    assert "Aarhus" in cl.loc[aarhus_cluster, "reason_da"] and "uden at gætte" in cl.loc[aarhus_cluster, "reason_da"]
    reg = population("region", period="2025K3", data_dir=tmp_path).set_index("entity_id")
    assert reg.loc["1082", "population"] == replay.count("FOLK1A", "2025K3", OMRÅDE="082", KØN="TOT",
                                                         ALDER="IALT", CIVILSTAND="TOT")
    assert pd.isna(reg.loc["1082", "reason_da"])
    with pytest.warns(PopulationWarning, match="delt mellem sundhedsklyngerne"):  # no bydel populations here
        prev = population("cluster", period="2025K2", data_dir=tmp_path)
    assert prev["population"].notna().all()  # the quarter before is complete


# ---------------------------------------------------------------------------------------------
# transport faults (constructed: never recorded)
# ---------------------------------------------------------------------------------------------
CONSTRUCTED_CSV = ("\ufeffOMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD\r\n"
                   "851 Aalborg;1 Mænd;80 80 år;TOT I alt;2024K1 2024K1;11\r\n").encode()


class _Scripted(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        self.server.log.append({"body": body, "headers": dict(self.headers)})
        status, headers, payload, delay = (self.server.script.pop(0) if len(self.server.script) > 1
                                           else self.server.script[0])
        if delay:
            time.sleep(delay)
        try:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture
def scripted():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Scripted)
    srv.script, srv.log = [], []
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    srv.url = f"http://127.0.0.1:{srv.server_address[1]}/v1"
    yield srv
    srv.shutdown()
    srv.server_close()


def ok(payload: bytes = CONSTRUCTED_CSV, ctype="text/csv; charset=utf-8", delay=0.0):
    return (200, {"Content-Type": ctype}, payload, delay)


def js(status: int, obj, headers=None):
    return (status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(obj).encode(), 0.0)


def test_user_agent_and_timeout_then_success(scripted):
    scripted.script = [ok(b"", delay=1.5), ok()]
    sleeps = []
    raw = client_for(scripted.url, sleeps, timeout=(2.0, 0.5)).data("FOLK1A", {"Tid": ["2024K1"]})
    assert raw == CONSTRUCTED_CSV and len(scripted.log) == 2 and sleeps == [0.01]
    assert scripted.log[0]["headers"]["User-Agent"] == f"klyngedata/{__version__}"


def test_timeouts_exhausted_give_one_danish_sentence(scripted):
    scripted.script = [ok(b"", delay=1.0)]
    with pytest.raises(StatBankError) as err:
        client_for(scripted.url, retries=1, timeout=(2.0, 0.5)).data("FOLK1A", {"Tid": ["2024K1"]})
    msg = _assert_danish_sentence(err.value)
    assert "tabel FOLK1A" in msg and "efter 2 forsøg" in msg and "tidsgrænsen" in msg
    assert "Timeout" in err.value.detail and "2024K1" in err.value.detail


def test_5xx_backoff_429_retry_after_and_persistent_5xx(scripted):
    scripted.script = [js(500, {"error": "boom"}), js(503, {}), ok()]
    sleeps = []
    assert client_for(scripted.url, sleeps).data("FOLK1A", {"Tid": ["2024K1"]}) == CONSTRUCTED_CSV
    assert sleeps == [0.01, 0.02]
    scripted.script, sleeps = [js(429, {}, {"Retry-After": "7"}), ok()], []
    assert client_for(scripted.url, sleeps).data("FOLK1A", {"Tid": ["2024K1"]}) == CONSTRUCTED_CSV
    assert sleeps == [7.0]
    scripted.script = [js(502, {})]
    with pytest.raises(StatBankError, match="HTTP 502") as err:
        client_for(scripted.url, retries=2).data("FOLK1AM", {"Tid": ["2024M01"]})
    assert err.value.table == "FOLK1AM"


def test_malformed_bodies_and_error_json_with_status_200(scripted):
    scripted.script = [ok(b"<html><body>Service unavailable</body></html>", "text/html")]
    with pytest.raises(StatBankError, match="ikke kan læse") as err:
        client_for(scripted.url).data("FOLK1A", {"Tid": ["2024K1"]})
    assert "FOLK1A" in str(err.value)
    scripted.script = [ok(b'{"id": "FOLK1A", "variab', "application/json")]
    with pytest.raises(StatBankError, match="ikke kan læse"):
        client_for(scripted.url).tableinfo("FOLK1A")
    scripted.script = [js(200, {"errorTypeCode": "EXTRACT-NOTFOUND", "message": "Tabel findes ikke: FOLK1A"})]
    with pytest.raises(StatBankError, match="EXTRACT-NOTFOUND"):
        client_for(scripted.url).data("FOLK1A", {"Tid": ["2024K1"]})


def test_env_var_base_url(monkeypatch):
    monkeypatch.setenv("KLYNGEDATA_STATBANK_URL", "http://127.0.0.1:9/v1")
    assert StatBankClient().base_url == "http://127.0.0.1:9/v1"


def test_data_fetch_monthly_totals_and_the_newest_active_projection(replay, tmp_path, monkeypatch):
    """`klyngedata data fetch -t FOLK1AM -t FRKM`: the /tables listing resolves FRKM125 (the newest active projection);
    FOLK1AM and FRKM125 tableinfo are constructed (never recorded), formats and rules are the recorded ones."""
    monkeypatch.setenv("KLYNGEDATA_STATBANK_URL", replay.url)
    monkeypatch.delenv("KLYNGEDATA_OFFLINE", raising=False)
    res = CliRunner().invoke(main, ["data", "fetch", "-t", "FOLK1AM", "-t", "FRKM", "--data-dir", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert not replay.broken()
    assert "population/FRKM125" in res.output
    tables = [r.body.get("table") for r in replay.log if r.endpoint == "tableinfo"]
    assert tables == ["FOLK1AM", "FRKM125"]
    cache = Cache(tmp_path)
    months = cache.meta("population/FOLK1AM")["periods"]
    assert (months[0], months[-1], len(months)) == ("2021M10", "2025M07", 46)  # the recorded /tables row
    proj = cache.read("population/FRKM125")
    assert sorted(proj["period"].astype(str).unique())[:2] == ["2025", "2026"]
    cell = proj[(proj["area_code"] == "0851") & (proj["period"] == pd.Period("2035", "Y")) & (proj["age"] == 100)]
    by_sex = cell.set_index("sex")["population"]
    assert by_sex["total"] == by_sex["male"] + by_sex["female"]  # FRKM has no both-sexes total: added
