"""One HTTP retry policy for every network loader (StatBank API, Datafordeler WFS).

:func:`send` performs a request with a timeout and retries it with exponential backoff on timeouts,
dropped connections, HTTP 429 and 5xx (``Retry-After`` is honoured, in seconds or as an HTTP date). Any
other answer, including 4xx, is returned for the caller to interpret. A host name that cannot be resolved
is not retried: it almost always means there is no internet connection, and waiting does not help.

Example
-------
Needs the network; not run as a doctest.
>>> import requests
>>> send(requests.Session(), "GET", "http://host.invalid/", retries=0)  # doctest: +SKIP
Traceback (most recent call last):
TransportError: GET http://host.invalid/: cannot resolve the host (no internet connection?) ...
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable
from typing import Any

import requests

from klyngedata import __version__

USER_AGENT = f"klyngedata/{__version__}"
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})

log = logging.getLogger(__name__)


class TransportError(Exception):
    """No usable answer: retries exhausted, or the host cannot be resolved (``offline`` is then True).

    Callers wrap it in their own :class:`~klyngedata.exceptions.KlyngedataError` subclass naming the
    table or layer and the request.
    """

    def __init__(self, message: str, *, last_problem: str, attempts: int, offline: bool = False) -> None:
        super().__init__(message)
        self.last_problem = last_problem
        self.attempts = attempts
        self.offline = offline


_BRIEF: dict[type, str] = {requests.Timeout: "no answer in time", requests.exceptions.ChunkedEncodingError:
                            "the answer broke off", requests.ConnectionError: "no connection"}
"""What a retry line in the log says about a failed attempt (the full exception goes to the debug log)."""


def retry_after_seconds(value: str | None) -> float | None:
    """Parse a ``Retry-After`` header (seconds or HTTP date) into seconds from now.

    >>> retry_after_seconds("7")
    7.0
    """
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _unresolvable(exc: Exception) -> bool:
    text = str(exc)
    return isinstance(exc, requests.ConnectionError) and (
        "NameResolutionError" in text or "Name or service not known" in text
        or "nodename nor servname" in text or "getaddrinfo failed" in text
    )


def send(session: requests.Session, method: str, url: str, *, timeout: float | tuple[float, float] = 60.0,
         retries: int = 4, backoff: float = 1.0, max_backoff: float = 60.0,
         sleep: Callable[[float], None] | None = None, describe: str | None = None,
         redact: Callable[[str], str] = lambda s: s, **kwargs: Any) -> requests.Response:
    """Send one request with retries; return the first response that is not retryable.

    ``describe`` names the request in log lines and errors; ``redact`` removes secrets (API keys) from
    anything this function writes. The whole body is read inside the retry loop, so a stream that drops
    half-way is retried too.
    """
    sleep = sleep or time.sleep
    what = describe or f"{method} {url}"
    last_problem = ""
    for attempt in range(retries + 1):
        wait = min(max_backoff, backoff * (2 ** attempt))
        try:
            resp = session.request(method, url, timeout=timeout, **kwargs)
            _ = resp.content
        except (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            last_problem = redact(f"{type(exc).__name__}: {exc}")
            log.debug("%s: %s", what, last_problem)
            brief = next((b for t, b in _BRIEF.items() if isinstance(exc, t)), "the connection failed")
            if _unresolvable(exc):
                raise TransportError(f"{what}: cannot resolve the host (no internet connection?): {last_problem}",
                                     last_problem=last_problem, attempts=attempt + 1, offline=True) from None
        else:
            if resp.status_code not in RETRY_STATUS:
                return resp
            last_problem = brief = f"HTTP {resp.status_code}"
            if resp.status_code == 429:
                ra = retry_after_seconds(resp.headers.get("Retry-After"))
                if ra is not None:
                    wait = ra  # the server's instruction wins over our backoff
        if attempt < retries:
            log.warning("%s: %s; retry %d of %d in %.1f s", what, brief, attempt + 1, retries, wait)
            sleep(wait)
    raise TransportError(f"{what}: no answer after {retries + 1} attempts (last problem: {last_problem})",
                         last_problem=last_problem, attempts=retries + 1)
