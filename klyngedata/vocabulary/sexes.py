"""Sex in every form the sources write it: one parser, one set of Danish labels.

Inside klyngedata a sex is ``"total"``, ``"male"`` or ``"female"``. Accepted on input: StatBank codes
(``TOT``, ``1``, ``2``, ``M``, ``K``), Danish and English texts (``I alt``, ``Køn i alt``, ``Begge køn``,
``Mænd og kvinder i alt``, ``Mænd``, ``Kvinder``, ``Drenge``, ``Piger``, ``Total``, ``Men``, ``Women``, ``Boys``,
``Girls``), the API names (``total``, ``male``, ``female``) and ``CodeAndValue`` cells (``1 Mænd``: code and
text must agree).

Codes a table defines for itself (e.g. ``100`` for both sexes) are not guessed here: a table's values are
resolved from its metadata by their texts.

Example
-------
>>> parse_sex("1 Mænd"), parse_sex("Kvinder"), parse_sex("TOT"), parse_sex("Piger"), SEX_DA["total"]
('male', 'female', 'total', 'female', 'I alt')
"""

from __future__ import annotations

from klyngedata.exceptions import UnknownValue

__all__ = ["SEXES", "SEX_DA", "parse_sex"]

SEXES = ("total", "male", "female")
SEX_DA = {"total": "I alt", "male": "Mænd", "female": "Kvinder"}

_CODES = {"TOT": "total", "T": "total", "1": "male", "2": "female", "M": "male", "K": "female", "F": "female"}
_TEXTS = {
    "total": "total", "i alt": "total", "ialt": "total", "køn i alt": "total", "begge køn": "total",
    "sex, total": "total", "both sexes": "total", "mænd og kvinder i alt": "total", "mænd og kvinder": "total",
    "men and women, total": "total", "men and women": "total",
    "male": "male", "males": "male", "men": "male", "man": "male", "mænd": "male", "mand": "male",
    "drenge": "male", "dreng": "male", "boys": "male", "boy": "male",
    "female": "female", "females": "female", "women": "female", "woman": "female", "kvinder": "female",
    "kvinde": "female", "piger": "female", "pige": "female", "girls": "female", "girl": "female",
}


def parse_sex(value: object) -> str:
    """``"total"``, ``"male"`` or ``"female"`` for a sex in any accepted form; else
    :class:`~klyngedata.exceptions.UnknownValue` naming the value.

    >>> parse_sex("K Kvinder"), parse_sex(" men "), parse_sex(2)
    ('female', 'male', 'female')
    """
    if value is None or isinstance(value, (bool, float)):
        raise UnknownValue(f"unknown sex {value!r} (expected e.g. I alt, Mænd, Kvinder, TOT, 1, 2)")
    s = str(value).strip()
    if s.upper() in _CODES:
        return _CODES[s.upper()]
    if s.lower() in _TEXTS:
        return _TEXTS[s.lower()]
    parts = s.split(" ", 1)
    if len(parts) == 2 and parts[0].upper() in _CODES and parts[1].strip().lower() in _TEXTS:
        by_code, by_text = _CODES[parts[0].upper()], _TEXTS[parts[1].strip().lower()]
        if by_code != by_text:
            raise UnknownValue(f"code {parts[0]!r} and text {parts[1]!r} disagree ({by_code} vs {by_text})")
        return by_code
    raise UnknownValue(f"unknown sex {value!r} (expected e.g. I alt, Mænd, Kvinder, TOT, 1, 2)")
