"""A local StatBank API for the tests: replays the real API's recorded answers and enforces its rules.

**Recorded** (read at test time from ``../shared/reference/statbank-recorded``, never copied into the repo;
``$KLYNGEDATA_STATBANK_RECORDED`` overrides the location; tests are skipped with a reason when it is absent):

* ``/tables`` (lang=da): ``tables_da.json`` served verbatim; ``/tableinfo``: ``tableinfo_FOLK1A_da.json``
  (da) and ``tableinfo_STRAF42_en.json`` (en) verbatim;
* refusals: the recorded error bodies in ``errors/`` (HTTP 400, 404 for an unknown path), with the table,
  variable, value or cell count of the request put where the recorded message has its own;
* the formats of ``/data`` answers: header = variable ids upper-cased + ``INDHOLD``, ``;``, CRLF; CSV with a
  UTF-8 BOM (``data_STRAF42_csv_default.csv``), BULK without (``FOLK1A_BULK_da_first200chars.txt``); cells per
  ``valuePresentation``: ``Code`` = id, ``Value``/``Default`` = text, ``CodeAndValue`` = "id text" in *every*
  column incl. the time (``KM1_CodeAndValue_fragment_en.txt``: ``2026K1 2026Q1``; in Danish the time text
  equals the id, so ``2025K3 2025K3``); row order as logged (``FOLK1A_BULK_da_rows_logged.txt``): the time
  outermost, then the variables in tableinfo order; a wildcard lists values in the order of their ids as
  strings (KØN ``*`` -> Mænd, Kvinder, I alt; CIVILSTAND ``*`` -> Enke/enkemand, Fraskilt, Gift/separeret,
  I alt, Ugift; ALDER ``1*`` -> 1, 10, 100, … 19); BULK leaves out cells that are 0 (request 11.1 gave 7,224
  lines for 9,525 cells, request 2.2 22 rows for 37 ages: the ages 111-125 nobody has).

**Rules enforced** (each answered with its recorded body, and logged as a broken rule): a body that is not
JSON (``REQUEST-EMPTY``), no or an unknown ``format`` (``REQUEST-MISSING``), no table (``REQUEST-MISSING``), an
unknown table, variable or value (``EXTRACT-NOTFOUND``, e.g. ``IALT`` on KØN), ``timeOrder`` with BULK
(``EXTRACT-STREAMINGTIMESORT``), BULK without a selection for every variable (``EXTRACT-NOTALLOWED``), over
1,000,000 cells in a non-streaming format (``REQUEST-LIMIT``; eliminated variables count at their full size,
as the recorded 14.201.775 = 105 x 3 x 127 x 5 x 71 shows). A request the recordings cannot vouch for (an
unknown body key, ``placement``, ``ValueAndCode``, English FOLK1A, …) is answered with HTTP 501 and logged
as *not recorded*. :meth:`StatBankReplay.broken` lists every logged request that broke a rule or was not
recorded: a test asserts it is empty.

**Constructed** (named so, because nothing was recorded): every count in a ``/data`` answer, generated
deterministically from the cell (area, sex, age, civil status, period) – the parts are made up, every
total (``I alt``, ``Alder i alt``, the regions, ``Hele landet``) is the sum of its parts; the tableinfo of
FOLK1AM and FRKM125 (built from the recorded FOLK1A tableinfo and the recorded ``/tables`` row: variables,
first and latest period); the inactive projection tables FRKM113–FRKM124 listed with ``includeInactive``;
``..`` cells where a test asks for them (:attr:`StatBankReplay.missing`).

Example
-------
>>> with StatBankReplay() as replay:  # doctest: +SKIP
...     StatBankClient(replay.url).tableinfo("FOLK1A")["id"]
'FOLK1A'
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import numpy as np

DEFAULT_RECORDED = Path(__file__).resolve().parents[1] / ".." / "shared" / "reference" / "statbank-recorded"
ENV_RECORDED = "KLYNGEDATA_STATBANK_RECORDED"
CELL_LIMIT = 1_000_000
STREAMING = {"BULK"}
WRITTEN_FORMATS = {"CSV", "BULK"}  # formats whose answers were recorded
KNOWN_FORMATS = WRITTEN_FORMATS | {"JSONSTAT", "JSON-STAT", "XLSX", "HTML", "DSTML", "PX", "SDMXCOMPACT",
                                   "SDMXGENERIC"}
DATA_KEYS = {"table", "format", "lang", "valuePresentation", "timeOrder", "delimiter", "variables"}
PRESENTATIONS = {"Code", "Value", "Default", "CodeAndValue"}


def recorded_dir() -> Path:
    """The folder of recorded answers; skips the calling test when it is absent."""
    import pytest

    path = Path(os.environ.get(ENV_RECORDED, DEFAULT_RECORDED)).resolve()
    if not (path / "tables_da.json").is_file():
        pytest.skip(f"recorded StatBank answers not found in {path} (set ${ENV_RECORDED} to their folder)")
    return path


class Refused(Exception):
    """The API would refuse the request: ``body`` is the recorded error body, ``rule`` names the rule."""

    def __init__(self, status: int, body: dict, rule: str) -> None:
        super().__init__(rule)
        self.status, self.body, self.rule = status, body, rule


class NotRecorded(Exception):
    """The replay cannot vouch for this request: nothing recorded shows how the API answers it."""


@dataclass
class Logged:
    method: str
    endpoint: str
    body: object
    status: int
    rule: str | None = None  # the API rule the request broke
    not_recorded: str | None = None

    @property
    def passed(self) -> bool:
        return self.rule is None and self.not_recorded is None


# ---------------------------------------------------------------------------------------------
# the replay
# ---------------------------------------------------------------------------------------------
class StatBankReplay:
    """Serve the recorded StatBank answers on ``127.0.0.1`` (see the module docstring)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or recorded_dir()
        self.listing = json.loads((self.root / "tables_da.json").read_text(encoding="utf-8"))
        self.errors = {p.stem: json.loads(p.read_text(encoding="utf-8"))
                       for p in sorted((self.root / "errors").glob("*.json"))}
        folk1a = json.loads((self.root / "tableinfo_FOLK1A_da.json").read_text(encoding="utf-8"))
        self.tableinfos: dict[tuple[str, str], dict] = {
            ("FOLK1A", "da"): folk1a,
            ("STRAF42", "en"): json.loads((self.root / "tableinfo_STRAF42_en.json").read_text(encoding="utf-8")),
            ("FOLK1AM", "da"): constructed_folk1am_tableinfo(folk1a, self._row("FOLK1AM")),
            ("FRKM125", "da"): constructed_frkm_tableinfo(folk1a, self._row("FRKM125")),
        }
        # constructed variations, set by tests (never recorded):
        self.missing: set[tuple[str, str, str]] = set()  # '..' cells: (table, area id, period id)
        self.published: dict[str, list[str]] = {}  # table -> the periods its tableinfo lists (a recorded subset)
        self.revisions: dict[tuple[str, str, str], int] = {}  # (table, area id, period id) -> a revised count
        self.fail: set[str] = set()  # endpoints answering 503 (an outage)
        self.log: list[Logged] = []
        self._counts: dict[tuple[str, int], np.ndarray] = {}
        self._server: ThreadingHTTPServer | None = None

    # -- life cycle --------------------------------------------------------------------------
    def start(self) -> StatBankReplay:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length", 0) or 0)
                raw = self.rfile.read(length) if length else b""
                status, ctype, payload = replay.handle(method, self.path, raw)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_POST(self):  # noqa: N802
                self._answer("POST")

            def do_GET(self):  # noqa: N802
                self._answer("GET")

            def do_PUT(self):  # noqa: N802
                self._answer("PUT")

            def do_DELETE(self):  # noqa: N802
                self._answer("DELETE")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> StatBankReplay:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the replay first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def broken(self) -> list[Logged]:
        """Logged requests that broke an API rule or that the recordings cannot vouch for."""
        return [r for r in self.log if not r.passed]

    # -- recorded bodies ---------------------------------------------------------------------
    def _row(self, table: str) -> dict:
        return next(t for t in self.listing if t["id"] == table)

    def _refuse(self, name: str, rule: str, old: str | None = None, new: str | None = None,
                status: int = 400) -> Refused:
        body = copy.deepcopy(self.errors[name])
        if old is not None:
            assert old in body["message"], (name, old)
            body["message"] = body["message"].replace(old, str(new))
        return Refused(status, body, rule)

    def _table_unknown(self, table: str) -> Refused:
        return self._refuse("invalid_table_id__HTTP400", "unknown table", "INVALIDTABLE999", table)

    # -- dispatch ----------------------------------------------------------------------------
    def handle(self, method: str, path: str, raw: bytes) -> tuple[int, str, bytes]:
        url = urlparse(path)
        parts = [p for p in url.path.split("/") if p]
        endpoint = parts[1] if len(parts) >= 2 and parts[0] == "v1" else "/".join(parts)
        entry = Logged(method, endpoint, None, 200)
        self.log.append(entry)
        try:
            if endpoint not in {"tables", "tableinfo", "data", "subjects"} or len(parts) > 4:
                raise self._refuse("nonexistent_endpoint__HTTP404", "unknown path", status=404)
            if method not in {"GET", "POST"}:
                raise self._refuse("wrong_http_method__HTTP400", f"HTTP method {method}")
            if method == "POST":
                try:
                    body = json.loads(raw.decode("utf-8")) if raw.strip() else {}
                except (UnicodeDecodeError, ValueError):
                    entry.body = raw[:200]
                    raise self._refuse("malformed_json__HTTP400", "body is not JSON") from None
                if not isinstance(body, dict):
                    raise self._refuse("malformed_json__HTTP400", "body is not a JSON object")
            else:
                body = {k: v[-1] for k, v in parse_qs(url.query).items()}
                if endpoint == "tableinfo" and len(parts) == 3:
                    body["table"] = parts[2]
                elif len(parts) > 2:
                    raise NotRecorded(f"GET /{url.path}")
            entry.body = body
            if endpoint in self.fail:
                entry.status = 503
                return 503, "text/html", b"<html><body>Service Unavailable</body></html>"
            if endpoint == "tables":
                status, ctype, payload = self._tables(body)
            elif endpoint == "tableinfo":
                status, ctype, payload = self._tableinfo(body)
            elif endpoint == "data":
                status, ctype, payload = self._data(body)
            else:
                raise NotRecorded("/subjects")
        except Refused as exc:
            entry.status, entry.rule = exc.status, exc.rule
            return exc.status, "application/json; charset=utf-8", json.dumps(exc.body, ensure_ascii=False).encode()
        except NotRecorded as exc:
            entry.status, entry.not_recorded = 501, str(exc)
            return 501, "text/plain; charset=utf-8", f"replay: not recorded: {exc}".encode()
        entry.status = status
        return status, ctype, payload

    # -- /tables and /tableinfo --------------------------------------------------------------
    def _tables(self, body: dict) -> tuple[int, str, bytes]:
        unknown = set(body) - {"lang", "format", "includeInactive"}
        if unknown:
            raise NotRecorded(f"/tables with {sorted(unknown)}")
        if str(body.get("lang", "da")).lower() != "da":
            raise NotRecorded("/tables in English")
        if str(body.get("format", "JSON")).upper() != "JSON":
            raise NotRecorded(f"/tables as {body.get('format')}")
        rows = list(self.listing)
        if str(body.get("includeInactive", False)).lower() in {"true", "1"}:
            rows += constructed_inactive_projections()
        return 200, "application/json; charset=utf-8", json.dumps(rows, ensure_ascii=False).encode()

    def _info(self, table: str, lang: str) -> dict:
        info = self.tableinfos.get((table.upper(), lang))
        if info is not None:
            listed = self.published.get(info["id"])
            if listed is not None:  # constructed: as if the table listed only these periods
                info = copy.deepcopy(info)
                tid = next(v for v in info["variables"] if v.get("time"))
                known = {x["id"] for x in tid["values"]}
                assert set(listed) <= known, f"not recorded periods {set(listed) - known}"
                tid["values"] = [x for x in tid["values"] if x["id"] in set(listed)]
            return info
        if any(t == table.upper() for t, _ in self.tableinfos) or any(t["id"] == table.upper() for t in self.listing):
            raise NotRecorded(f"tableinfo of {table} (lang={lang})")
        raise self._table_unknown(table)

    def _tableinfo(self, body: dict) -> tuple[int, str, bytes]:
        unknown = set(body) - {"table", "lang", "format"}
        if unknown:
            raise NotRecorded(f"/tableinfo with {sorted(unknown)}")
        if not body.get("table"):
            raise self._refuse("missing_table_param__HTTP400", "no table")
        if str(body.get("format", "JSON")).upper() != "JSON":
            raise NotRecorded(f"/tableinfo as {body.get('format')}")
        info = self._info(str(body["table"]), str(body.get("lang", "da")).lower())
        return 200, "application/json; charset=utf-8", json.dumps(info, ensure_ascii=False).encode()

    # -- /data -------------------------------------------------------------------------------
    def _data(self, body: dict) -> tuple[int, str, bytes]:
        fmt = str(body.get("format") or "").upper()
        if not fmt or fmt not in KNOWN_FORMATS:
            raise self._refuse("invalid_format__HTTP400" if body else "empty_post_body__HTTP400",
                               f"format {body.get('format')!r}")
        if not body.get("table"):
            raise self._refuse("missing_table_param__HTTP400", "no table")
        unknown = set(body) - DATA_KEYS
        if unknown:
            raise NotRecorded(f"/data with {sorted(unknown)}")
        lang = str(body.get("lang", "da")).lower()
        info = self._info(str(body["table"]), lang)
        if fmt in STREAMING and body.get("timeOrder"):
            raise self._refuse("EXTRACT-STREAMINGTIMESORT_bulk_timeOrder__HTTP400", "timeOrder with BULK")
        presentation = body.get("valuePresentation", "Default")
        if presentation not in PRESENTATIONS:
            raise NotRecorded(f"valuePresentation {presentation!r}")
        if body.get("delimiter", "Semicolon") != "Semicolon":
            raise NotRecorded(f"delimiter {body.get('delimiter')!r}")
        variables = info["variables"]
        by_id = {v["id"].upper(): v for v in variables}
        chosen: dict[str, list[int]] = {}
        for sel in body.get("variables") or []:
            if not isinstance(sel, dict) or set(sel) - {"code", "values"}:
                raise NotRecorded(f"variable selection {sel!r}")
            var = by_id.get(str(sel.get("code", "")).upper())
            if var is None:
                raise self._refuse("invalid_variable_code__HTTP400", "unknown variable", "INVALIDVAR", sel.get("code"))
            chosen[var["id"]] = self._expand(var, list(sel.get("values") or []))
        unselected = [v for v in variables if v["id"] not in chosen]
        if fmt in STREAMING and unselected:
            raise self._refuse("EXTRACT-NOTALLOWED_bulk_missing_variable__HTTP400", "BULK needs every variable",
                               "CIVILSTAND", unselected[0]["id"])
        cells = 1
        for v in variables:
            cells *= len(chosen[v["id"]]) if v["id"] in chosen else len(v["values"])
        if fmt not in STREAMING and cells > CELL_LIMIT:
            name = "REQUEST-LIMIT_csv_too_many_cells_da__HTTP400" if lang == "da" else \
                "REQUEST-LIMIT_en__quoted_in_notes__HTTP400"
            shown = f"{cells:,}".replace(",", ".") if lang == "da" else f"{cells:,}"
            raise self._refuse(name, "over 1,000,000 cells needs BULK",
                               "14.201.775" if lang == "da" else "1,598,856", shown)
        if fmt not in WRITTEN_FORMATS:
            raise NotRecorded(f"a {fmt} answer")
        if lang != "da":
            raise NotRecorded(f"a /data answer in {lang}")
        if body.get("timeOrder"):
            raise NotRecorded("timeOrder")
        for v in unselected:
            if not v.get("elimination"):
                raise NotRecorded(f"omitting {v['id']}, which cannot be eliminated")
            chosen[v["id"]] = [_total_index(v)]
        return 200, "text/csv; charset=utf-8", self._write(info, chosen, fmt, presentation)

    def _expand(self, var: dict, selectors: list[str]) -> list[int]:
        """Value indices selected by ``selectors`` (ids, ``*``, ``1*``, ``*K1``, ``(1)``, ``(-n+5)``, ranges)."""
        ids = [str(x["id"]) for x in var["values"]]
        pos = {v: i for i, v in enumerate(ids)}
        if not selectors:
            raise NotRecorded(f"an empty selection for {var['id']}")
        out: list[int] = []
        for sel in selectors:
            sel = str(sel)
            if "*" in sel:
                rx = re.compile("^" + ".*".join(re.escape(p) for p in sel.split("*")) + "$")
                hits = sorted(v for v in ids if rx.match(v))  # ids as strings, as logged
                if not hits:
                    raise self._not_found(sel, var)
                out += [pos[v] for v in hits]
            elif var.get("time") and (m := re.fullmatch(r"\((-n\+)?(\d+)\)", sel)):
                n = int(m.group(2))
                if not m.group(1) and n != 1:
                    raise NotRecorded(f"time selector {sel}")
                out += list(range(max(0, len(ids) - n), len(ids)))
            elif var.get("time") and (m := re.fullmatch(r"(>=([^<>=]+))?(<=([^<>=]+))?", sel)) and (m.group(2) or
                                                                                                   m.group(4)):
                lo, hi = m.group(2), m.group(4)
                for b in (lo, hi):
                    if b is not None and b not in pos:
                        raise self._not_found(b, var)
                out += [i for i, v in enumerate(ids) if (lo is None or i >= pos[lo]) and (hi is None or i <= pos[hi])]
            elif sel in pos:
                out.append(pos[sel])
            else:
                raise self._not_found(sel, var)
        return list(dict.fromkeys(out))

    def _not_found(self, value: str, var: dict) -> Refused:
        return self._refuse("invalid_value_code__HTTP400", "unknown value", "999999 (OMRÅDE)",
                            f"{value} ({var['id']})")

    # -- writing -----------------------------------------------------------------------------
    def _write(self, info: dict, chosen: dict[str, list[int]], fmt: str, presentation: str) -> bytes:
        variables = info["variables"]
        time_var = next(v for v in variables if v.get("time"))
        stub = [v for v in variables if not v.get("time")]

        def cell(var: dict, i: int) -> str:
            value = var["values"][i]
            if presentation == "Code":
                return str(value["id"])
            if presentation == "CodeAndValue":
                return f"{value['id']} {value['text']}"
            return str(value["text"])

        header = ";".join([v["id"].upper() for v in stub] + [time_var["id"].upper(), "INDHOLD"])
        labels = [[cell(v, i) for i in chosen[v["id"]]] for v in stub]
        prefixes = [";".join(c) for c in itertools.product(*labels)]
        areas = _area_var(info)
        area_ids = [str(areas["values"][i]["id"]) for i in chosen[areas["id"]]] if areas else []
        n_inner = len(prefixes) // max(1, len(area_ids)) if area_ids else len(prefixes)
        lines = [header]
        for t in chosen[time_var["id"]]:
            period = str(time_var["values"][t]["id"])
            full = self.values(info["id"], period)
            values = full[np.ix_(*[chosen[v["id"]] for v in stub])].ravel().tolist()
            gone = {j for j, a in enumerate(area_ids) if (info["id"], a, period) in self.missing}
            pcell = cell(time_var, t)
            if gone:
                values = [".." if k // n_inner in gone else n for k, n in enumerate(values)]
            if fmt == "BULK":  # BULK leaves out the cells that are 0
                lines += [f"{pre};{pcell};{n}" for pre, n in zip(prefixes, values, strict=True) if n != 0]
            else:
                lines += [f"{pre};{pcell};{n}" for pre, n in zip(prefixes, values, strict=True)]
        text = "\r\n".join(lines) + "\r\n"
        return (("\ufeff" if fmt == "CSV" else "") + text).encode("utf-8")

    def values(self, table: str, period: str) -> np.ndarray:
        """Constructed counts of every stub cell of ``period`` (totals = sums of parts); they depend on the period's
        place in the recorded tableinfo, not on what a test lets the table list."""
        info = self.tableinfos[(table, "da")]
        tid = next(v for v in info["variables"] if v.get("time"))
        t = [x["id"] for x in tid["values"]].index(period)
        revised = {area: n for (tb, area, p), n in self.revisions.items() if tb == table and p == period}
        if revised:
            return constructed_counts(info, t, revised)
        key = (table, t % 5)  # the counts depend on the period only through t % 5
        if key not in self._counts:
            self._counts[key] = constructed_counts(info, t)
        return self._counts[key]

    def count(self, table: str, period: str, **cell: str) -> int:
        """The constructed count of one cell, e.g. ``count("FOLK1A", "2024K1", OMRÅDE="851", KØN="TOT",
        ALDER="IALT", CIVILSTAND="TOT")``."""
        info = self.tableinfos[(table, "da")]
        stub = [v for v in info["variables"] if not v.get("time")]
        idx = tuple([x["id"] for x in v["values"]].index(cell[v["id"]]) for v in stub)
        return int(self.values(table, period)[idx])


# ---------------------------------------------------------------------------------------------
# constructed pieces
# ---------------------------------------------------------------------------------------------
def _area_var(info: dict) -> dict | None:
    return next((v for v in info["variables"] if v["id"].upper() in {"OMRÅDE", "KOMMUNEDK"}), None)


def _is_total(value: dict) -> bool:
    return str(value["id"]).upper() in {"TOT", "IALT", "000"}


def _total_index(var: dict) -> int:
    return next(i for i, v in enumerate(var["values"]) if _is_total(v))


def _leaves(var: dict) -> tuple[list[int], np.ndarray]:
    """The parts of a variable and the 0/1 matrix (values x parts) saying which parts each value sums.

    Areas: ``000`` = every municipality; a region (``081``-``085``) = the municipalities listed after it (the
    recorded FOLK1A tableinfo lists each region followed by its municipalities); a municipality = itself.
    Other variables: the total (``TOT``/``IALT``) = every other value.
    """
    values = var["values"]
    is_area = var["id"].upper() in {"OMRÅDE", "KOMMUNEDK"}
    region = (lambda v: re.fullmatch(r"08[1-5]", str(v["id"])) is not None) if is_area else (lambda v: False)
    leaves = [i for i, v in enumerate(values) if not _is_total(v) and not region(v)]
    col = {i: k for k, i in enumerate(leaves)}
    m = np.zeros((len(values), len(leaves)), dtype=np.int64)
    current = None
    for i, v in enumerate(values):
        if _is_total(v):
            m[i, :] = 1
        elif region(v):
            current = i
        else:
            m[i, col[i]] = 1
            if current is not None:
                m[current, col[i]] = 1
    return leaves, m


def constructed_counts(info: dict, t: int, revised: dict[str, int] | None = None) -> np.ndarray:
    """Constructed counts (not data) for every cell of the stub variables in period index ``t``.

    A part's count is a deterministic function of its position (area, sex, age, civil status) and the period;
    it is 0 for ages 105 and over and for the married, widowed and divorced under 18, so that BULK answers
    leave cells out as real ones do. Every total is the sum of its parts. ``revised`` (area id -> n) adds
    ``n`` persons to one part of that municipality (its first sex, age and civil status), as a revision would.
    """
    stub = [v for v in info["variables"] if not v.get("time")]
    mats, grids = [], []
    for k, var in enumerate(stub):
        leaves, m = _leaves(var)
        mats.append(m)
        grids.append((var, leaves, k))
    shape = [len(leaves) for _, leaves, _ in grids]
    base = np.full(shape, (t % 5) + 3, dtype=np.int64)
    age = None
    married = None
    for var, leaves, k in grids:
        idx = np.arange(len(leaves)).reshape([-1 if j == k else 1 for j in range(len(grids))])
        base = base + (idx + 1) * (7 + 4 * k) % (11 + 2 * k)
        vid = var["id"].upper()
        if vid == "ALDER":
            ages = np.array([int(str(var["values"][i]["id"]).rstrip("-")) for i in leaves])
            age = ages.reshape(idx.shape)
        if vid == "CIVILSTAND":
            married = np.array([str(var["values"][i]["id"]) != "U" for i in leaves]).reshape(idx.shape)
    if age is not None:
        base = np.where(age >= 105, 0, base)
        if married is not None:
            base = np.where((age < 18) & married, 0, base)
    area_var, area_leaves, _ = grids[0]
    for area, n in (revised or {}).items():
        ids = [str(area_var["values"][i]["id"]) for i in area_leaves]
        base[(ids.index(area),) + (0,) * (base.ndim - 1)] += n
    out = base.astype(np.float64)  # float matrix products are exact for these integer sums (< 2**53)
    for k, m in enumerate(mats):
        out = np.moveaxis(np.tensordot(m.astype(np.float64), out, axes=([1], [k])), 0, k)
    return np.rint(out).astype(np.int64)


def constructed_folk1am_tableinfo(folk1a: dict, row: dict) -> dict:
    """Constructed FOLK1AM tableinfo (never recorded): the recorded FOLK1A tableinfo's OMRÅDE, KØN and ALDER, and
    the months from the recorded ``/tables`` row (``firstPeriod`` .. ``latestPeriod``)."""
    info = copy.deepcopy(folk1a)
    info.update({"id": "FOLK1AM", "text": row["text"], "updated": row["updated"],
                 "description": "constructed example (FOLK1AM tableinfo was not recorded)"})
    info["variables"] = [v for v in info["variables"] if v["id"] in {"OMRÅDE", "KØN", "ALDER"}]
    first, last = row["firstPeriod"], row["latestPeriod"]
    months = []
    y, m = int(first[:4]), int(first[5:])
    while f"{y}M{m:02d}" <= last:
        months.append(f"{y}M{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    info["variables"].append({"id": "Tid", "text": "tid", "elimination": False, "time": True,
                              "values": [{"id": p, "text": p} for p in months]})
    return info


def constructed_frkm_tableinfo(folk1a: dict, row: dict) -> dict:
    """Constructed FRKM125 tableinfo (never recorded): variables in the order of the recorded ``/tables`` row
    (kommune, alder, køn, tid); KOMMUNEDK = the recorded FOLK1A municipalities (incl. Christiansø), ALDER = TOT,
    0..99 and the open group 100-, KØN = M, K (no both-sexes total, as public code reports), the years from the
    recorded row."""
    area = next(v for v in folk1a["variables"] if v["id"] == "OMRÅDE")
    municipalities = [v for v in area["values"] if v["id"] != "000" and not re.fullmatch(r"08[1-5]", v["id"])]
    years = [str(y) for y in range(int(row["firstPeriod"]), int(row["latestPeriod"]) + 1)]
    return {
        "id": row["id"], "text": row["text"], "unit": row["unit"], "updated": row["updated"], "active": True,
        "description": "constructed example (FRKM125 tableinfo was not recorded)", "footnote": None,
        "variables": [
            {"id": "KOMMUNEDK", "text": "kommune", "elimination": True, "time": False, "values": municipalities},
            {"id": "ALDER", "text": "alder", "elimination": True, "time": False,
             "values": [{"id": "TOT", "text": "I alt"}] + [{"id": str(a), "text": f"{a} år"} for a in range(100)]
             + [{"id": "100-", "text": "100 år og derover"}]},
            {"id": "KØN", "text": "køn", "elimination": True, "time": False,
             "values": [{"id": "M", "text": "Mænd"}, {"id": "K", "text": "Kvinder"}]},
            {"id": "Tid", "text": "tid", "elimination": False, "time": True,
             "values": [{"id": y, "text": y} for y in years]},
        ],
    }


def constructed_inactive_projections() -> list[dict]:
    """Constructed ``/tables`` rows for the inactive projections FRKM113–FRKM124 (``includeInactive`` was not
    recorded; the issue reports that it lists them as inactive)."""
    return [{"id": f"FRKM1{yy:02d}", "text": f"Befolkningsfremskrivning 20{yy:02d}", "unit": "Antal",
             "updated": f"20{yy:02d}-06-01T08:00:00", "firstPeriod": f"20{yy:02d}", "latestPeriod": "2050",
             "active": False, "variables": ["kommune", "alder", "køn", "tid"]} for yy in range(13, 25)]
