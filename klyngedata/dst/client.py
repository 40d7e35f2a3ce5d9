"""Client for Statistics Denmark's StatBank API (``https://api.statbank.dk/v1``).

* POST with a JSON body to ``/tables``, ``/tableinfo`` and ``/data``; User-Agent ``klyngedata/<version>``.
* Timeouts (connect, read) on every request; retries with exponential backoff on timeouts, connection
  errors, HTTP 5xx and 429 (``Retry-After`` is honoured, in seconds or as an HTTP date).
* API errors come back as JSON ``{"errorTypeCode": ..., "message": ...}`` (usually HTTP 400, sometimes
  with status 200 where CSV was expected); they raise :class:`~klyngedata.dst.errors.StatBankError` (a
  :class:`~klyngedata.exceptions.DstApiError`) whose message is one Danish sentence with the API's own
  message and what to do next; the table, the request and the API's fields are attributes.
* The cell limit (``REQUEST-LIMIT``) of non-streaming formats: :meth:`StatBankClient.data` uses the
  streaming ``BULK`` format by default; with another format a REQUEST-LIMIT answer makes it split the
  request on its longest explicit value list and retry the halves.
* The base URL is overridable by argument or ``$KLYNGEDATA_STATBANK_URL`` (tests point it at a local
  server); sleeping is injectable (``sleep=``) so tests run without waiting.
* ``database=`` talks to a statbank hosted on the same API under a path prefix, e.g. Københavns Kommune's
  ``s30`` (``https://api.statbank.dk/v1/s30/tables``, ``/tableinfo``, ``/data``; the ``?database=`` query form
  is refused by the API according to public notes): the same timeouts, retries and errors, with the requests
  sent to ``<base_url>/<database>/<endpoint>``.

Example
-------
Needs the network (Statistics Denmark's API); not run as a doctest.
>>> client = StatBankClient()  # doctest: +SKIP
>>> info = client.tableinfo("FOLK1A")  # doctest: +SKIP
>>> csv_bytes = client.data("FOLK1A", {"OMRÅDE": ["000"], "KØN": ["TOT"], "ALDER": ["IALT"],
...                                     "CIVILSTAND": ["TOT"], "Tid": ["(1)"]})  # doctest: +SKIP
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import requests

from klyngedata import settings
from klyngedata.dst.errors import StatBankError, api_error, http_error, malformed, no_answer, unreachable
from klyngedata.http import USER_AGENT, TransportError, send

__all__ = ["DEFAULT_BASE_URL", "ENV_BASE_URL", "KK_DATABASE", "USER_AGENT", "StatBankClient", "StatBankError"]

DEFAULT_BASE_URL = "https://api.statbank.dk/v1"
ENV_BASE_URL = settings.VARIABLES["statbank_url"]
KK_DATABASE = "s30"
"""Path prefix of Københavns Kommune's statbank on the StatBank API (``/v1/s30/...``)."""


class StatBankClient:
    """StatBank API client with timeouts, retries and clear errors.

    Parameters
    ----------
    base_url: API root incl. version (default ``$KLYNGEDATA_STATBANK_URL`` or ``https://api.statbank.dk/v1``).
    timeout: ``(connect, read)`` seconds per request.
    retries: retries after the first attempt (on timeouts, connection errors, 5xx, 429).
    backoff: first backoff in seconds; doubles per retry, capped at ``max_backoff``.
    sleep: the sleep function (inject a no-op in tests).
    database: a statbank hosted under a path prefix of the same API (``"s30"``: Københavns Kommune); None for
        Statistics Denmark's own tables.

    Example
    -------
    >>> StatBankClient("http://127.0.0.1:9/v1").base_url
    'http://127.0.0.1:9/v1'
    >>> StatBankClient("http://127.0.0.1:9/v1", database="s30").url
    'http://127.0.0.1:9/v1/s30'
    """

    def __init__(self, base_url: str | None = None, *, timeout: float | tuple[float, float] = (10.0, 300.0),
                 retries: int = 4, backoff: float = 1.0, max_backoff: float = 60.0, lang: str = "da",
                 sleep: Callable[[float], None] | None = None, session: requests.Session | None = None,
                 database: str | None = None) -> None:
        self.base_url = (base_url or settings.current().statbank_url or DEFAULT_BASE_URL).rstrip("/")
        self.database = (database or "").strip().strip("/") or None
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.lang = lang
        self.sleep = sleep or (lambda seconds: time.sleep(seconds))  # looked up at call time
        self.session = session or requests.Session()
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"})
        self.requests_made = 0

    @property
    def url(self) -> str:
        """Where the endpoints are: ``base_url``, or ``base_url/database`` for a hosted statbank."""
        return f"{self.base_url}/{self.database}" if self.database else self.base_url

    # -- low level -----------------------------------------------------------------------------
    def _post(self, endpoint: str, body: Mapping[str, Any], table: str | None = None) -> requests.Response:
        self.requests_made += 1
        try:
            resp = send(self.session, "POST", f"{self.url}/{endpoint}", json=dict(body), timeout=self.timeout,
                        retries=self.retries, backoff=self.backoff, max_backoff=self.max_backoff,
                        sleep=self.sleep, describe=f"StatBank {self.database + '/' if self.database else ''}{endpoint}"
                        + (f" ({table})" if table else ""))
        except TransportError as exc:
            if exc.offline:
                raise unreachable(self.url, exc.last_problem, table=table, endpoint=endpoint,
                                  request=body) from None
            raise no_answer(exc.attempts, exc.last_problem, table=table, endpoint=endpoint, request=body) from None
        if resp.status_code >= 400:
            payload = _error_payload(resp.content)
            if payload is not None:
                raise api_error(payload, table=table, endpoint=endpoint, request=body, status=resp.status_code)
            raise http_error(resp.status_code, resp.content, table=table, endpoint=endpoint, request=body)
        return resp

    def _json(self, endpoint: str, body: Mapping[str, Any], table: str | None = None) -> Any:
        resp = self._post(endpoint, body, table)
        try:
            payload = json.loads(resp.content.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):
            raise malformed("JSON", resp.content, table=table, endpoint=endpoint, request=body,
                            status=resp.status_code) from None
        if isinstance(payload, dict) and "errorTypeCode" in payload:
            raise api_error(payload, table=table, endpoint=endpoint, request=body, status=resp.status_code)
        return payload

    # -- endpoints -----------------------------------------------------------------------------
    def tables(self, subjects: Sequence[str] | None = None, *, include_inactive: bool = False) -> list[dict]:
        """``/tables``: list of tables (``id``, ``text``, ``updated``, ``firstPeriod``, ``latestPeriod`` …).

        Example
        -------
        Needs the network (Statistics Denmark's API); not run as a doctest.
        >>> [t["id"] for t in StatBankClient().tables()][:1]  # doctest: +SKIP
        ['FOLK1A']
        """
        body: dict[str, Any] = {"lang": self.lang, "format": "JSON", "includeInactive": include_inactive}
        if subjects:
            body["subjects"] = list(subjects)
        payload = self._json("tables", body)
        if not isinstance(payload, list):
            raise malformed("en JSON-liste over tabeller", json.dumps(payload).encode(), table=None,
                            endpoint="tables", request=body)
        return payload

    def tableinfo(self, table: str) -> dict:
        """``/tableinfo``: the table's metadata incl. ``variables[{id, text, values[{id, text}]}]``.

        Example
        -------
        Needs the network (Statistics Denmark's API); not run as a doctest.
        >>> [v["id"] for v in StatBankClient().tableinfo("FOLK1A")["variables"]]  # doctest: +SKIP
        ['OMRÅDE', 'KØN', 'ALDER', 'CIVILSTAND', 'Tid']
        """
        body = {"table": table, "lang": self.lang, "format": "JSON"}
        payload = self._json("tableinfo", body, table)
        if not isinstance(payload, dict) or not isinstance(payload.get("variables"), list):
            raise malformed("tabellens beskrivelse med en liste over variable", json.dumps(payload).encode(),
                            table=table, endpoint="tableinfo", request=body)
        return payload

    def data(self, table: str, variables: Mapping[str, Sequence[str]], *, format: str = "BULK",
             value_presentation: str = "CodeAndValue", lang: str | None = None) -> bytes:
        """``/data``: the raw CSV bytes (``;``-separated, UTF-8 BOM) for the selection ``variables``.

        With a non-streaming ``format`` a ``REQUEST-LIMIT`` error splits the request in two on the longest
        explicit value list and concatenates the answers (one header).

        Example
        -------
        Needs the network (Statistics Denmark's API); not run as a doctest.
        >>> StatBankClient().data("FOLK1A", {"OMRÅDE": ["000"], "KØN": ["TOT"], "ALDER": ["IALT"],
        ...                                  "CIVILSTAND": ["TOT"], "Tid": ["(1)"]})  # doctest: +SKIP
        """
        body = {
            "table": table,
            "format": format,
            "lang": lang or self.lang,
            "valuePresentation": value_presentation,
            "delimiter": "Semicolon",
            "variables": [{"code": code, "values": list(values)} for code, values in variables.items()],
        }
        try:
            resp = self._post("data", body, table)
        except StatBankError as exc:
            if exc.error_type == "REQUEST-LIMIT" and format.upper() != "BULK":
                return self._split_data(table, variables, format, value_presentation, lang, exc)
            raise
        content = resp.content
        head = content[:200].decode("utf-8-sig", errors="replace").lstrip()
        if head.startswith("{") or head.startswith("["):
            payload = _error_payload(content)
            if payload is not None:
                err = api_error(payload, table=table, endpoint="data", request=body, status=resp.status_code)
                if err.error_type == "REQUEST-LIMIT" and format.upper() != "BULK":
                    return self._split_data(table, variables, format, value_presentation, lang, err)
                raise err
            raise malformed("CSV", content, table=table, endpoint="data", request=body, status=resp.status_code)
        if format.upper() in {"CSV", "BULK"}:
            first = head.splitlines()[0] if head else ""
            if ";" not in first or "INDHOLD" not in first.upper():
                raise malformed("CSV med kolonnen INDHOLD", content, table=table, endpoint="data", request=body,
                                status=resp.status_code)
        return content

    def _split_data(self, table: str, variables: Mapping[str, Sequence[str]], format: str,
                    value_presentation: str, lang: str | None, exc: StatBankError) -> bytes:
        candidates = {k: list(v) for k, v in variables.items()
                      if len(v) > 1 and not any("*" in x or "(" in x or ">" in x or "<" in x for x in v)}
        if not candidates:
            raise StatBankError(
                f"Statistikbanken (tabel {table}) afviste forespørgslen: »{(exc.api_message or '').rstrip('.')}« "
                "(REQUEST-LIMIT), og den kan ikke deles i mindre dele, fordi den vælger med jokertegn – hent i "
                "formatet BULK eller med eksplicitte værdilister.", table=table, endpoint="data",
                request=exc.request, status=exc.status, error_type=exc.error_type,
                api_message=exc.api_message) from exc
        var = max(candidates, key=lambda k: len(candidates[k]))
        values = candidates[var]
        half = len(values) // 2
        parts = []
        for chunk in (values[:half], values[half:]):
            sel = dict(variables)
            sel[var] = chunk
            parts.append(self.data(table, sel, format=format, value_presentation=value_presentation, lang=lang))
        first, *rest = parts
        out = first.rstrip(b"\r\n") + b"\r\n"
        for p in rest:
            lines = p.split(b"\n", 1)
            if len(lines) == 2 and lines[1].strip():
                out += lines[1].rstrip(b"\r\n") + b"\r\n"
        return out


def _error_payload(content: bytes) -> dict | None:
    """The API's ``{"errorTypeCode", "message"}`` body, or None if ``content`` is something else."""
    try:
        payload = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return None
    if isinstance(payload, dict) and ("errorTypeCode" in payload or "message" in payload):
        return payload
    return None
