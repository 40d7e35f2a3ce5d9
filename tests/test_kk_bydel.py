"""København by bydel: Københavns Kommune's statbank (``/v1/s30/`` on the StatBank API).

Transport faults (503 before an answer) are constructed; nothing here touches the network.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from klyngedata.dst.client import KK_DATABASE, StatBankClient


class _PathServer:
    """A local server that records the paths asked and answers 503 to the first ``fail`` requests (constructed)."""

    def __init__(self, fail: int = 0) -> None:
        self.paths: list[str] = []
        self.fail = fail
        srv = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                srv.paths.append(self.path)
                status, body = (503, b"busy") if len(srv.paths) <= srv.fail else \
                    (200, json.dumps({"id": "KKBEF1", "variables": []}).encode())
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_client_talks_to_the_s30_statbank_with_the_same_retries():
    srv = _PathServer(fail=2)
    try:
        sleeps: list[float] = []
        client = StatBankClient(srv.url, database=KK_DATABASE, retries=3, backoff=0.01, sleep=sleeps.append)
        assert client.url == srv.url + "/s30" and client.base_url == srv.url
        assert client.tableinfo("KKBEF1")["id"] == "KKBEF1"
        assert srv.paths == ["/v1/s30/tableinfo"] * 3 and len(sleeps) == 2  # two 503s retried, then answered
        assert StatBankClient(srv.url).url == srv.url  # DST's own tables: no prefix
    finally:
        srv.close()
