"""The words for "all of it" in a variable: ``I alt``, ``Total``, ``Alder i alt``, ``Begge køn`` …

A StatBank variable usually has one value that is the total of the others. Its id differs between tables
(``TOT``, ``IALT``, sometimes a number such as ``050``), so a table's total is found by these ids and, above
all, by its text, never by a guessed number. Only whole texts count: "Almen læge i alt" is a category of its
own, not the total of its variable.

Example
-------
>>> is_total("IALT", "Alder i alt"), is_total("130", "Almen læge i alt"), is_total("100", "Køn i alt")
(True, False, True)
"""

from __future__ import annotations

__all__ = ["TOTAL_IDS", "TOTAL_TEXTS", "is_total"]

TOTAL_IDS = frozenset({"TOT", "IALT", "I ALT"})
TOTAL_TEXTS = frozenset({
    "i alt", "ialt", "total", "totalt", "alle", "all", "alder i alt", "alder, i alt", "alle aldre", "age, total",
    "all ages", "køn i alt", "begge køn", "sex, total", "both sexes", "total, all ages", "mænd og kvinder i alt",
    "men and women, total",
})


def is_total(value_id: object = None, text: object = None) -> bool:
    """True when a variable's value is its total, by id (``TOT``, ``IALT``) or by whole text.

    >>> is_total(text="Total"), is_total("TOT"), is_total("1", "Mænd")
    (True, True, False)
    """
    if value_id is not None and str(value_id).strip().upper() in TOTAL_IDS:
        return True
    return text is not None and str(text).strip().lower() in TOTAL_TEXTS
