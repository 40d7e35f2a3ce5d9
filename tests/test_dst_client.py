"""StatBank client and table fetching, tested against a local HTTP server on 127.0.0.1.

The server replays responses in the API's real format (CSV with UTF-8 BOM and ';', error JSON with
errorTypeCode/message). Every count in these responses is a constructed example, not data.
No test touches the network.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from klyngedata import __version__
from klyngedata.dst.client import StatBankClient, StatBankError
from klyngedata.dst.tables import build_selection, fetch_table, resolve_projection_table, spec_for
from klyngedata.exceptions import DstApiError

FIXTURES = Path(__file__).parent / "fixtures" / "dst"
BOM = "\ufeff"

# constructed example: FOLK1A /data answer with valuePresentation=CodeAndValue
CONSTRUCTED_FOLK1A_CSV = (
    BOM + "OMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD\r\n"
    "851 Aalborg;1 Mænd;80 80 år;TOT I alt;2024K1;11\r\n"
    "851 Aalborg;2 Kvinder;80 80 år;TOT I alt;2024K1;13\r\n"
).encode("utf-8")
# constructed example: FRKM126 answer (no both-sexes total; open top age group "100-")
CONSTRUCTED_FRKM_CSV = (
    BOM + "KOMMUNEDK;KØN;ALDER;TID;INDHOLD\r\n"
    "851 Aalborg;M Mænd;80 80 år;2035;21\r\n"
    "851 Aalborg;K Kvinder;80 80 år;2035;23\r\n"
    "851 Aalborg;M Mænd;100- 100 år og derover;2035;2\r\n"
    "851 Aalborg;K Kvinder;100- 100 år og derover;2035;5\r\n"
).encode("utf-8")
CONSTRUCTED_ERROR_NOTFOUND = {"errorTypeCode": "EXTRACT-NOTFOUND", "message": "Tabellen blev ikke fundet"}
CONSTRUCTED_ERROR_LIMIT = {
    "errorTypeCode": "REQUEST-LIMIT",
    "message": "Forespørgslen på op mod 2.000.000 celler er over begrænsningen på 1.000.000 celler for denne "
    "filtype. Anvend BULK eller andet streaming format i stedet.",
}


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output quiet
        pass

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        server = self.server
        endpoint = self.path.rsplit("/", 1)[-1]
        server.log.append({"endpoint": endpoint, "body": body, "headers": dict(self.headers)})
        script = server.script.get(endpoint)
        if callable(script):
            status, headers, payload, delay = script(body)
        else:
            status, headers, payload, delay = script.pop(0) if len(script) > 1 else script[0]
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
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.script = {}
    srv.log = []
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    srv.url = f"http://127.0.0.1:{srv.server_address[1]}/v1"
    yield srv
    srv.shutdown()
    srv.server_close()


def ok(payload: bytes, ctype="text/csv; charset=utf-8", delay=0.0):
    return (200, {"Content-Type": ctype}, payload, delay)


def js(status: int, obj, headers=None, delay=0.0):
    return (status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(obj).encode(), delay)


def make_client(url, sleeps=None, **kw):
    sleeps = sleeps if sleeps is not None else []
    return StatBankClient(url, timeout=(2.0, 0.5), retries=kw.pop("retries", 3), backoff=0.01,
                          sleep=sleeps.append, **kw)


def test_success_csv_with_bom_and_user_agent(server):
    server.script["data"] = [ok(CONSTRUCTED_FOLK1A_CSV)]
    client = make_client(server.url)
    raw = client.data("FOLK1A", {"OMRÅDE": ["851"], "KØN": ["1", "2"], "ALDER": ["80"], "CIVILSTAND": ["TOT"],
                                 "Tid": ["2024K1"]})
    assert raw == CONSTRUCTED_FOLK1A_CSV
    req = server.log[0]
    assert req["headers"]["User-Agent"] == f"klyngedata/{__version__}"
    assert req["body"]["table"] == "FOLK1A" and req["body"]["format"] == "BULK"
    assert req["body"]["variables"][0] == {"code": "OMRÅDE", "values": ["851"]}

    from klyngedata.sources import parse_statbank_csv

    df = parse_statbank_csv(raw, table="FOLK1A", file="constructed example")
    assert df["population"].tolist() == [11, 13]
    assert df["sex"].tolist() == ["male", "female"]
    assert df["age"].tolist() == [80, 80]
    assert df["municipality_code"].tolist() == ["0851", "0851"]
    assert df.attrs["provenance"]["presentation"] == "CodeAndValue"


def test_timeout_then_success_retries(server):
    server.script["data"] = [ok(b"", delay=1.5), ok(CONSTRUCTED_FOLK1A_CSV)]
    sleeps = []
    client = make_client(server.url, sleeps)
    assert client.data("FOLK1A", {"Tid": ["2024K1"]}) == CONSTRUCTED_FOLK1A_CSV
    assert len(server.log) == 2
    assert sleeps == [0.01]


def test_timeouts_exhausted_names_table_and_request(server):
    server.script["data"] = [ok(b"", delay=1.0)]
    sleeps = []
    client = make_client(server.url, sleeps, retries=1)
    with pytest.raises(StatBankError) as err:
        client.data("FOLK1A", {"Tid": ["2024K1"]})
    msg = str(err.value)
    assert "FOLK1A" in msg and "2024K1" in msg and "2 attempts" in msg and "Timeout" in msg
    assert isinstance(err.value, DstApiError)


def test_500_then_success_with_exponential_backoff(server):
    server.script["data"] = [js(500, {"error": "boom"}), js(503, {}), ok(CONSTRUCTED_FOLK1A_CSV)]
    sleeps = []
    client = make_client(server.url, sleeps)
    assert client.data("FOLK1A", {"Tid": ["2024K1"]}) == CONSTRUCTED_FOLK1A_CSV
    assert sleeps == [0.01, 0.02]


def test_429_honours_retry_after(server):
    server.script["data"] = [js(429, {}, {"Retry-After": "7"}), ok(CONSTRUCTED_FOLK1A_CSV)]
    sleeps = []
    client = make_client(server.url, sleeps)
    assert client.data("FOLK1A", {"Tid": ["2024K1"]}) == CONSTRUCTED_FOLK1A_CSV
    assert sleeps == [7.0]


def test_persistent_5xx_fails_clearly(server):
    server.script["data"] = [js(502, {})]
    client = make_client(server.url, retries=2)
    with pytest.raises(StatBankError, match="HTTP 502") as err:
        client.data("FOLK1AM", {"Tid": ["2024M01"]})
    assert err.value.table == "FOLK1AM"
    assert len(server.log) == 3


def test_malformed_body(server):
    server.script["data"] = [ok(b"<html><body>Service unavailable</body></html>", "text/html")]
    with pytest.raises(StatBankError, match="malformed") as err:
        make_client(server.url).data("FOLK1A", {"Tid": ["2024K1"]})
    assert "FOLK1A" in str(err.value)
    server.script["tableinfo"] = [ok(b'{"id": "FOLK1A", "variab', "application/json")]
    with pytest.raises(StatBankError, match="malformed JSON"):
        make_client(server.url).tableinfo("FOLK1A")


def test_error_json_is_parsed(server):
    server.script["data"] = [js(400, CONSTRUCTED_ERROR_NOTFOUND)]
    with pytest.raises(StatBankError) as err:
        make_client(server.url).data("FOLK9X", {"Tid": ["2024K1"]})
    e = err.value
    assert e.error_type == "EXTRACT-NOTFOUND"
    assert e.api_message == "Tabellen blev ikke fundet"
    assert e.status == 400
    assert "FOLK9X" in str(e) and "EXTRACT-NOTFOUND" in str(e)
    assert len(server.log) == 1  # a 400 is not retried


def test_error_json_with_status_200(server):
    server.script["data"] = [js(200, CONSTRUCTED_ERROR_NOTFOUND)]
    with pytest.raises(StatBankError, match="EXTRACT-NOTFOUND"):
        make_client(server.url).data("FOLK1A", {"Tid": ["2024K1"]})


def test_request_limit_splits_csv_request(server):
    def answer(body):
        tid = next(v["values"] for v in body["variables"] if v["code"] == "Tid")
        if len(tid) > 1:
            return js(400, CONSTRUCTED_ERROR_LIMIT)
        rows = {"2024K1": "851;1;80;TOT;2024K1;11", "2024K2": "851;1;80;TOT;2024K2;12"}
        return ok((BOM + "OMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD\r\n" + rows[tid[0]] + "\r\n").encode())

    server.script["data"] = answer
    client = make_client(server.url)
    raw = client.data("FOLK1A", {"OMRÅDE": ["851"], "KØN": ["1"], "ALDER": ["80"], "CIVILSTAND": ["TOT"],
                                 "Tid": ["2024K1", "2024K2"]}, format="CSV", value_presentation="Code")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines == ["OMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD", "851;1;80;TOT;2024K1;11", "851;1;80;TOT;2024K2;12"]
    # a selection that cannot be split reports the limit
    server.script["data"] = [js(400, CONSTRUCTED_ERROR_LIMIT)]
    with pytest.raises(StatBankError, match="cannot be split"):
        client.data("FOLK1A", {"OMRÅDE": ["*"], "Tid": ["*"]}, format="CSV")


def test_env_var_base_url(server, monkeypatch):
    monkeypatch.setenv("KLYNGEDATA_STATBANK_URL", server.url)
    assert StatBankClient().base_url == server.url


def test_resolve_projection_table(server):
    server.script["tables"] = [ok((FIXTURES / "constructed_tables.json").read_bytes(), "application/json")]
    assert resolve_projection_table(make_client(server.url)) == "FRKM126"


def test_build_selection_uses_tableinfo_totals():
    info = json.loads((FIXTURES / "constructed_tableinfo_FOLK1A.json").read_text())
    sel = build_selection(info, spec_for("FOLK1A"), by_sex_age=False, periods=["2024K1"])
    assert sel == {"OMRÅDE": ["*"], "KØN": ["TOT"], "ALDER": ["IALT"], "CIVILSTAND": ["TOT"], "Tid": ["2024K1"]}
    info = json.loads((FIXTURES / "constructed_tableinfo_FRKM126.json").read_text())
    sel = build_selection(info, spec_for("FRKM126"), by_sex_age=False)
    assert sel["KØN"] == ["*"]  # no both-sexes total in FRKM: fetch each sex
    assert sel["ALDER"] == ["TOT"]


def test_fetch_projection_adds_sexes(server):
    server.script["tables"] = [ok((FIXTURES / "constructed_tables.json").read_bytes(), "application/json")]
    server.script["tableinfo"] = [ok((FIXTURES / "constructed_tableinfo_FRKM126.json").read_bytes(),
                                     "application/json")]
    server.script["data"] = [ok(CONSTRUCTED_FRKM_CSV)]
    calls = []
    df = fetch_table("FRKM", make_client(server.url), progress=lambda i, n: calls.append((i, n)))
    assert df.attrs["provenance"]["table"] == "FRKM126"
    assert "fetched_at" in df.attrs["provenance"]
    assert calls == [(1, 1)]
    tot = df[df["sex"] == "total"].sort_values("age")
    assert tot["age"].tolist() == [80, 100]
    assert tot["population"].tolist() == [21 + 23, 2 + 5]
    assert tot["age_open"].tolist() == [False, True]
    assert str(tot["period"].iloc[0]) == "2035"
    data_req = [r for r in server.log if r["endpoint"] == "data"][0]["body"]
    assert data_req["table"] == "FRKM126" and data_req["format"] == "BULK"
    assert {v["code"] for v in data_req["variables"]} == {"KOMMUNEDK", "KØN", "ALDER", "Tid"}


def test_fetch_table_chunks_periods(server):
    server.script["tableinfo"] = [ok((FIXTURES / "constructed_tableinfo_FOLK1A.json").read_bytes(),
                                     "application/json")]

    def answer(body):
        tid = next(v["values"] for v in body["variables"] if v["code"] == "Tid")
        rows = "".join(f"851 Aalborg;TOT I alt;IALT Alder i alt;TOT I alt;{t};{10 + i}\r\n" for i, t in enumerate(tid))
        return ok((BOM + "OMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD\r\n" + rows).encode())

    server.script["data"] = answer
    calls = []
    df = fetch_table("FOLK1A", make_client(server.url), by_sex_age=False, chunk_size=2,
                     progress=lambda i, n: calls.append((i, n)))
    assert calls == [(1, 2), (2, 2)]
    assert [str(p) for p in df["period"]] == ["2024Q1", "2024Q2", "2024Q3"]
    with pytest.raises(StatBankError, match="not published"):
        fetch_table("FOLK1A", make_client(server.url), periods=["2030K1"])
