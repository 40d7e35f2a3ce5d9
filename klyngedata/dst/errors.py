"""StatBank errors as the user reads them: one Danish sentence with the API's own message and what to do next.

The API answers a refused request with JSON ``{"errorTypeCode": ..., "message": ...}`` (recorded bodies in
``shared/reference/statbank-recorded/errors``). :class:`StatBankError` keeps those fields as attributes and the
technical details (endpoint, HTTP status, the request as JSON) in :attr:`StatBankError.detail`, which goes to
the log; ``str(error)`` is the Danish sentence, never raw JSON.

Example
-------
>>> err = api_error({"errorTypeCode": "EXTRACT-NOTFOUND", "message": "Kan ikke finde værdien: IALT (KØN)"},
...                 table="FOLK1A", endpoint="data", request={"table": "FOLK1A"}, status=400)
>>> str(err).startswith("Statistikbanken (tabel FOLK1A) afviste forespørgslen: »Kan ikke finde værdien: IALT (KØN)«")
True
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import Any

from klyngedata.exceptions import DstApiError

log = logging.getLogger(__name__)

IMPORT_INSTEAD = ("eller hent tallene som fil på statistikbanken.dk og indlæs dem med "
                  "`klyngedata data import FIL`")
_NEXT_STEP = {
    # the table, a variable or a value does not exist (any longer)
    "EXTRACT-NOTFOUND": "tabellen eller en af dens variable eller værdier findes ikke (længere) i Statistikbanken, "
                        "måske fordi Danmarks Statistik har lagt tabellen om – opdatér klyngedata, "
                        + IMPORT_INSTEAD,
    # the request broke an API rule: a defect in klyngedata, not something the user did
    "EXTRACT-NOTALLOWED": "klyngedata sendte en forespørgsel, som Statistikbanken ikke tillader (en fejl i "
                          "klyngedata) – opdatér klyngedata, " + IMPORT_INSTEAD,
    "EXTRACT-STREAMINGTIMESORT": "klyngedata sendte en forespørgsel, som Statistikbanken ikke tillader (en fejl i "
                                 "klyngedata) – opdatér klyngedata, " + IMPORT_INSTEAD,
    "REQUEST-LIMIT": "forespørgslen var for stor til det valgte format (en fejl i klyngedata, som henter i BULK) – "
                     "opdatér klyngedata, " + IMPORT_INSTEAD,
    "REQUEST-MISSING": "forespørgslen manglede en oplysning (en fejl i klyngedata) – opdatér klyngedata, "
                       + IMPORT_INSTEAD,
    "REQUEST-EMPTY": "forespørgslen var ikke gyldig JSON (en fejl i klyngedata) – opdatér klyngedata, "
                     + IMPORT_INSTEAD,
    "REQUEST-NOTFOUND": "adressen findes ikke – kontrollér, at KLYNGEDATA_STATBANK_URL (hvis den er sat) peger på "
                        "https://api.statbank.dk/v1",
}
_DEFAULT_NEXT = "prøv igen senere, " + IMPORT_INSTEAD
ON_TABLE = "\x00on-table\x00"  # where " på tabel X" goes; filled in when the message is shown


class StatBankError(DstApiError):
    """A StatBank request failed. ``str()`` is one Danish sentence; attributes name the table, the endpoint, the
    request, the HTTP status and the API's ``errorTypeCode`` (``error_type``) and ``message`` (``api_message``);
    :attr:`detail` holds the technical account for the log."""

    def __init__(self, message: str, *, table: str | None = None, endpoint: str | None = None,
                 request: Mapping[str, Any] | None = None, status: int | None = None,
                 error_type: str | None = None, api_message: str | None = None, problem: str | None = None) -> None:
        self.table = table
        self.endpoint = endpoint
        self.request = dict(request or {})
        self.status = status
        self.error_type = error_type
        self.api_message = api_message
        req = json.dumps(self.request, ensure_ascii=False)
        if len(req) > 600:
            req = req[:600] + "…"
        self.detail = (f"StatBank /{endpoint or ''} (table {table or '-'}, HTTP {status or '-'}"
                       + (f", {error_type}: {api_message}" if error_type or api_message else "")
                       + (f", {problem}" if problem else "") + f"), request {req}")
        log.info("%s", self.detail)
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        """The Danish sentence; the table is named even if it was set after the error was raised (a failed
        ``/tables`` call during the fetch of a table)."""
        return self.message.replace(ON_TABLE, f" (tabel {self.table})" if self.table else "")


def _on_table(table: str | None) -> str:
    return ON_TABLE


def api_error(payload: Mapping[str, Any], *, table: str | None, endpoint: str, request: Mapping[str, Any],
              status: int | None) -> StatBankError:
    """The error for a refusal the API explained (its JSON body).

    Example
    -------
    >>> api_error({"errorTypeCode": "REQUEST-LIMIT", "message": "For mange celler."}, table="FOLK1A",
    ...           endpoint="data", request={}, status=400).error_type
    'REQUEST-LIMIT'
    """
    error_type = payload.get("errorTypeCode")
    api_message = str(payload.get("message") or "").strip()
    nxt = _NEXT_STEP.get(str(error_type), _DEFAULT_NEXT)
    quoted = f"»{api_message.rstrip('.')}«" if api_message else "uden forklaring"
    msg = f"Statistikbanken{_on_table(table)} afviste forespørgslen: {quoted} ({error_type or 'ukendt fejl'}); {nxt}."
    return StatBankError(msg, table=table, endpoint=endpoint, request=request, status=status,
                         error_type=error_type, api_message=api_message or None)


def unreachable(base_url: str, problem: str, *, table: str | None, endpoint: str,
                request: Mapping[str, Any]) -> StatBankError:
    """The error when the host cannot be reached at all (no internet connection, usually).

    Example
    -------
    >>> "internettet" in str(unreachable("https://api.statbank.dk/v1", "DNS", table=None, endpoint="tables",
    ...                                  request={}))
    True
    """
    msg = (f"Statistikbanken ({base_url}){_on_table(table)} kunne ikke nås – er der forbindelse til internettet? "
           f"Prøv igen, når der er forbindelse, {IMPORT_INSTEAD}.")
    return StatBankError(msg, table=table, endpoint=endpoint, request=request, problem=problem)


def _problem_da(problem: str) -> str:
    if "Timeout" in problem:
        return "svaret kom ikke inden for tidsgrænsen"
    if m := re.match(r"HTTP (\d+)", problem):
        return f"serveren svarede med fejlen HTTP {m.group(1)}"
    if "Connection" in problem:
        return "forbindelsen blev afvist eller afbrudt"
    return "ukendt netværksfejl"


def no_answer(attempts: int, problem: str, *, table: str | None, endpoint: str,
              request: Mapping[str, Any]) -> StatBankError:
    """The error when every attempt timed out or failed with a server error (the raw problem is in ``detail``).

    Example
    -------
    >>> str(no_answer(3, "ReadTimeout: x", table="FOLK1A", endpoint="data", request={}))[:94]
    'Statistikbanken (tabel FOLK1A) svarede ikke efter 3 forsøg (sidste gang: svaret kom ikke inden'
    """
    msg = (f"Statistikbanken{_on_table(table)} svarede ikke efter {attempts} forsøg (sidste gang: "
           f"{_problem_da(problem)}) – prøv igen senere, {IMPORT_INSTEAD}.")
    return StatBankError(msg, table=table, endpoint=endpoint, request=request, problem=problem)


def http_error(status: int, body: bytes, *, table: str | None, endpoint: str,
               request: Mapping[str, Any]) -> StatBankError:
    """The error for an HTTP error status without the API's JSON explanation.

    Example
    -------
    >>> "HTTP 502" in str(http_error(502, b"", table="FOLK1A", endpoint="data", request={}))
    True
    """
    msg = f"Statistikbanken{_on_table(table)} svarede med fejlen HTTP {status} – {_DEFAULT_NEXT}."
    return StatBankError(msg, table=table, endpoint=endpoint, request=request, status=status,
                         problem=f"body {body[:300]!r}")


def malformed(what: str, body: bytes, *, table: str | None, endpoint: str, request: Mapping[str, Any],
              status: int | None = None) -> StatBankError:
    """The error for an answer klyngedata cannot read (``what`` says what was expected, in Danish).

    Example
    -------
    >>> "ikke kan læse" in str(malformed("CSV", b"<html>", table="FOLK1A", endpoint="data", request={}))
    True
    """
    msg = (f"Statistikbanken{_on_table(table)} sendte et svar, som klyngedata ikke kan læse (forventede {what}) "
           f"– {_DEFAULT_NEXT}.")
    return StatBankError(msg, table=table, endpoint=endpoint, request=request, status=status,
                         problem=f"malformed answer, expected {what}: {body[:200]!r}")
