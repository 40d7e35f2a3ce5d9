"""Saved StatBank answers that are not data: an error body, a JSON-stat answer, table metadata, the table list.

A user who saves what the StatBank API answered and imports it should hear what the file is, not only that it is
"not recognised". :func:`describe_saved_answer` names it (the error's own code and message, the JSON-stat table's
title) and says what klyngedata reads instead; ``None`` when the text is none of these.

Example
-------
>>> print(describe_saved_answer('{"errorTypeCode":"EXTRACT-NOTFOUND","message":"Tabel findes ikke: X"}'))
an error answer from Statistics Denmark's StatBank API, not data: EXTRACT-NOTFOUND »Tabel findes ikke: X« \
(the request was refused, so nothing was saved but the reason). Ask for the table again and save the CSV answer \
(format=CSV or BULK), or let `klyngedata data fetch` get it
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["describe_saved_answer"]

_AGAIN = ("Ask for the table again and save the CSV answer (format=CSV or BULK), or let `klyngedata data fetch` "
          "get it")


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def describe_saved_answer(text: str) -> str | None:
    """What a saved StatBank answer that is not data is (in English, for the import's message), or ``None``.

    >>> describe_saved_answer('{"dataset": {"label": "Befolkningen", "dimension": {}, "value": [1]}}')[:40]
    'a JSON-stat answer from the StatBank API'
    >>> describe_saved_answer("OMRÅDE;TID;INDHOLD") is None
    True
    """
    body = text.strip()
    if body[:1] not in ("{", "["):
        if body[:200].lower().startswith(("<!doctype html", "<html")):
            return ("a web page (HTML), not a StatBank export: the page was saved instead of the file it offers. "
                    "Download the table as CSV (semicolon-separated) from statistikbanken.dk")
        return None
    payload = _json(body)
    if isinstance(payload, dict) and "errorTypeCode" in payload:
        code = str(payload.get("errorTypeCode") or "").strip() or "no error code"
        message = str(payload.get("message") or "").strip()
        quoted = f" »{message}«" if message else ""
        return (f"an error answer from Statistics Denmark's StatBank API, not data: {code}{quoted} (the request "
                f"was refused, so nothing was saved but the reason). {_AGAIN}")
    if isinstance(payload, dict) and (_is_jsonstat(payload) or _is_jsonstat(payload.get("dataset"))):
        data = payload.get("dataset") if isinstance(payload.get("dataset"), dict) else payload
        label = str(data.get("label") or "").strip()
        named = f" ({label!r})" if label else ""
        return (f"a JSON-stat answer from the StatBank API{named}: klyngedata imports StatBank's CSV answers and "
                f"exports, whose counts it reads cell by cell. {_AGAIN}")
    if isinstance(payload, dict) and "variables" in payload and "id" in payload:
        return (f"the description of StatBank table {payload.get('id')} (/tableinfo), not its data. {_AGAIN}")
    if isinstance(payload, list) and payload and isinstance(payload[0], dict) and {"id", "text"} <= set(payload[0]):
        return f"StatBank's list of tables (/tables), not data. {_AGAIN}"
    return None


def _is_jsonstat(obj: Any) -> bool:
    return isinstance(obj, dict) and ("dimension" in obj and "value" in obj or obj.get("class") == "dataset")
