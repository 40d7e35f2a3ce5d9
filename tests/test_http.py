"""The shared retry policy (klyngedata.http)."""

from __future__ import annotations

import pytest
import requests

from klyngedata.http import TransportError, retry_after_seconds, send


def test_unresolvable_host_fails_at_once_without_retrying():
    sleeps: list[float] = []
    with pytest.raises(TransportError) as exc:
        send(requests.Session(), "GET", "http://klyngedata-test.invalid/", retries=4, backoff=1.0,
             sleep=sleeps.append, timeout=5)
    assert exc.value.offline and exc.value.attempts == 1
    assert sleeps == []  # no backoff spent when the machine is offline
    assert "no internet connection?" in str(exc.value)


def test_timeouts_are_retried_with_exponential_backoff_and_secrets_redacted():
    class Flaky:
        calls = 0

        def request(self, method, url, **kwargs):
            Flaky.calls += 1
            raise requests.Timeout(f"read timed out for {url}")

    sleeps: list[float] = []
    with pytest.raises(TransportError) as exc:
        send(Flaky(), "GET", "http://127.0.0.1:9/?apikey=SECRET", retries=3, backoff=0.5, max_backoff=1.5,
             sleep=sleeps.append, redact=lambda s: s.replace("SECRET", "***"))
    assert Flaky.calls == 4 and sleeps == [0.5, 1.0, 1.5]
    assert "SECRET" not in exc.value.last_problem and exc.value.attempts == 4


def test_retry_after_parsing():
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: no wait
    assert retry_after_seconds("soon") is None
