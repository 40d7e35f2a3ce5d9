"""Exact parsing of StatBank CSV answers and exports (``/data`` CSV and BULK, files saved from statistikbanken.dk).

One tidy schema for every population source (documented in :mod:`klyngedata.sources`):
``area_level, area_code, municipality_code, sex, age, age_open, period, population``.

*Parse exactly or refuse*: a cell is accepted only in a form Statistics Denmark writes, and anything else
is a :class:`~klyngedata.exceptions.DataFormatError` naming the file, the row (line number in the file,
the header being row 1) and the column.

Accepted, as recorded from the real API (``shared/reference/statbank-recorded``):

* encodings: UTF-8 with BOM (``/data`` CSV), UTF-8 without BOM (BULK), Windows-1252 (older exports);
  any other encoding (e.g. UTF-16) is refused naming it;
* every value presentation in every dimension column: ``Code`` (``101``, ``TOT``, ``IALT``, ``2025K3``),
  ``Value``/``Default`` texts in Danish or English (``København``, ``I alt``, ``Alder i alt``, ``Men``,
  ``2026Q1``) and ``CodeAndValue`` (``101 København``, ``1 Mænd``, ``IALT Alder i alt``, and for the time
  ``2025K3 2025K3`` / ``2026K1 2026Q1``); in ``CodeAndValue`` the code and the text must agree;
* counts (``INDHOLD``): digits only; ``..`` = not published (missing, kept as NA and never summed as 0);
  ``-`` = 0. Negative, decimal, thousands-separated or empty counts are refused.

Refused besides: an empty or header-only file, a file that does not end in a complete record (a line
break after the last row), rows with a wrong number of fields, blank lines, duplicate cells (the same area,
sex, age, civil status and period twice, identical or not) and unknown areas.

Example
-------
>>> CONSTRUCTED = "OMRÅDE;KØN;ALDER;TID;INDHOLD\\n851 Aalborg;1 Mænd;80 80 år;2025K3 2025K3;3\\n".encode()
>>> parse_statbank_csv(CONSTRUCTED, file="constructed example")["population"].tolist()
[3]
"""

from __future__ import annotations

import functools
import io
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from klyngedata.codes import normalize_municipality_code, normalize_region_code
from klyngedata.exceptions import DataFormatError, LookupFailed

TIDY_COLUMNS = ["area_level", "area_code", "municipality_code", "sex", "age", "age_open", "period",
                "population"]
KEY_COLUMNS = ["area_level", "area_code", "sex", "age", "age_open", "period"]

CHRISTIANSOE = "0411"
MISSING_MARK = ".."  # StatBank: the figure is not available / not published
ZERO_MARK = "-"  # StatBank: nil

_COUNTRY_NAMES = {"hele landet", "all denmark", "denmark", "danmark"}
_REGION_NAMES = {
    "region hovedstaden": "1084", "capital region of denmark": "1084",
    "region sjælland": "1085", "region zealand": "1085",
    "region syddanmark": "1083", "region of southern denmark": "1083",
    "region midtjylland": "1082", "central denmark region": "1082",
    "region nordjylland": "1081", "north denmark region": "1081",
}
_SEX_CODES = {"TOT": "total", "1": "male", "2": "female", "M": "male", "K": "female"}
_SEX_TEXTS = {"i alt": "total", "køn i alt": "total", "total": "total", "sex, total": "total",
              "mænd": "male", "men": "male", "males": "male", "kvinder": "female", "women": "female",
              "females": "female"}
_AGE_TOTAL_CODES = {"IALT", "TOT"}
_AGE_TOTAL_TEXTS = {"alder i alt", "i alt", "age, total", "total", "alder, i alt"}
_AGE_CODE = re.compile(r"^(\d{1,3})(-)?$")
_AGE_TEXT = re.compile(r"^(\d{1,3}) (år|years?)$", re.IGNORECASE)
_AGE_TEXT_OPEN = re.compile(r"^(\d{1,3}) (år og derover|år og over|years and over|years or more)$", re.IGNORECASE)
_CIVIL_CODES = {"TOT": "TOT", "U": "U", "G": "G", "E": "E", "F": "F"}
_CIVIL_TEXTS = {"i alt": "TOT", "total": "TOT", "ugift": "U", "gift/separeret": "G", "enke/enkemand": "E",
                "fraskilt": "F", "never married": "U", "married/separated": "G", "widowed": "E",
                "divorced": "F"}
_CIVIL_PARTS = ("U", "G", "E", "F")
_PERIOD_Q = re.compile(r"^(\d{4})[KQ]([1-4])$", re.IGNORECASE)
_PERIOD_M = re.compile(r"^(\d{4})M(\d{2})$", re.IGNORECASE)
_PERIOD_Y = re.compile(r"^(\d{4})$")
_TABLE_RE = re.compile(r"(FOLK1AM|FOLK1A|FRKM1\d\d|FRDK1\d\d|BEF\w*)", re.IGNORECASE)

# header (upper-cased) -> role
_ROLE = {
    "OMRÅDE": "area", "OMRADE": "area", "KOMMUNEDK": "area", "KOMMUNE": "area", "REGION": "area",
    "AREA": "area", "MUNICIPALITY": "area",
    "KØN": "sex", "KON": "sex", "SEX": "sex",
    "ALDER": "age", "AGE": "age",
    "CIVILSTAND": "civil", "MARITAL STATUS": "civil", "MARITALSTATUS": "civil",
    "TID": "time", "TIME": "time",
    "INDHOLD": "value", "CONTENT": "value", "VALUE": "value",
}


# ---------------------------------------------------------------------------------------------
# bytes -> text
# ---------------------------------------------------------------------------------------------
def decode_export(raw: bytes, file: str) -> tuple[str, str]:
    """Decode a StatBank export: UTF-8 (with or without BOM) or Windows-1252; returns ``(text, encoding)``.

    Any other encoding is refused naming it (UTF-16 and UTF-32 are recognised by their BOM or NUL bytes).

    Example
    -------
    >>> decode_export("Mænd".encode("cp1252"), "constructed example")
    ('Mænd', 'Windows-1252')
    """
    for bom, name in ((b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe\x00\x00", "UTF-32"),
                      (b"\xfe\xff", "UTF-16"), (b"\xff\xfe", "UTF-16")):
        if raw.startswith(bom):
            raise DataFormatError(f"{file}: the file is encoded as {name}; klyngedata reads StatBank exports in "
                                  "UTF-8 or Windows-1252. Save or export the file again as UTF-8 (CSV).")
    if b"\x00" in raw[:4096]:
        raise DataFormatError(f"{file}: the file contains NUL bytes, so it looks UTF-16 encoded without a byte "
                              "order mark (or is not a text file); klyngedata reads StatBank exports in UTF-8 or "
                              "Windows-1252. Save or export the file again as UTF-8 (CSV).")
    try:
        text = raw.decode("utf-8-sig")
        return text, "UTF-8 with BOM" if raw.startswith(b"\xef\xbb\xbf") else "UTF-8"
    except UnicodeDecodeError as utf8_error:
        try:
            return raw.decode("cp1252"), "Windows-1252"
        except UnicodeDecodeError:
            pos = utf8_error.start
            raise DataFormatError(
                f"{file}: the file is neither UTF-8 nor Windows-1252 (byte 0x{raw[pos]:02x} at offset {pos}); "
                "save or export it again as UTF-8 (CSV)") from None


def read_records(source: str | os.PathLike[str] | bytes, file: str | None = None, *,
                 sep: str | None = ";", categorical: bool = False) -> tuple[pd.DataFrame, str, str]:
    """Read a delimited population file as strings, refusing what is not a complete, regular table.

    Returns ``(frame, file, encoding)``; row ``i`` of ``frame`` is line ``i + 2`` of the file. ``sep=None``
    picks ``;`` or ``,`` from the header line; ``categorical=True`` gives category columns (fast for the
    millions of rows of a StatBank answer).

    Example
    -------
    >>> read_records(b"A;B\\n1;2\\n", "constructed example")[0].to_dict("records")
    [{'A': '1', 'B': '2'}]
    """
    if isinstance(source, bytes):
        raw, file = source, file or "<bytes>"
    else:
        path = Path(source)
        raw, file = path.read_bytes(), file or str(path)
    text, encoding = decode_export(raw, file)
    if not text.strip():
        raise DataFormatError(f"{file}: the file is empty")
    if text.lstrip().startswith(("{", "[")):
        raise DataFormatError(f"{file}: expected a StatBank CSV but got a JSON body: {text.strip()[:200]!r}")
    body = text.rstrip("\r\n")
    if body == text:
        last = text.count("\n") + 1
        raise DataFormatError(f"{file}, row {last}: the file does not end with a line break, so its last row may "
                              "be cut off (an interrupted download or export). Download it again; if the file is "
                              "complete, add a line break after the last row.")
    first_line = body.split("\n", 1)[0]
    if "\n" not in body:
        raise DataFormatError(f"{file}: the file has a header ({first_line.strip()[:120]!r}) but no data rows")
    if blank := re.search(r"\n[ \t\r]*\n", body):
        row = body.count("\n", 0, blank.start()) + 2
        raise DataFormatError(f"{file}, row {row}: empty line inside the table")
    if sep is None:
        sep = ";" if first_line.count(";") >= first_line.count(",") else ","
    n_fields = first_line.count(sep) + 1
    fields = _fields_per_line(body, sep)
    if (fields != n_fields).any():
        i = int(np.flatnonzero(fields != n_fields)[0])
        what = "fewer" if fields[i] < n_fields else "more"
        raise DataFormatError(f"{file}, row {i + 1}: {what} fields than the header's {n_fields} (saw {fields[i]}); "
                              "the row is incomplete or malformed")
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype="category" if categorical else str,
                            keep_default_na=False, na_filter=False, skip_blank_lines=False, index_col=False)
    except (ValueError, UnicodeError) as exc:  # ParserError is a ValueError
        raise DataFormatError(f"{file}: not a '{sep}'-separated table: {exc}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame, file, encoding


# ---------------------------------------------------------------------------------------------
# cells
# ---------------------------------------------------------------------------------------------
def _fields_per_line(body: str, sep: str) -> np.ndarray:
    """The number of fields on each line (StatBank files never quote a separator)."""
    arr = np.frombuffer(body.encode("utf-8"), dtype=np.uint8)
    ends = np.append(np.flatnonzero(arr == 10), len(arr))
    starts = np.concatenate([[0], ends[:-1] + 1])
    cum = np.concatenate([[0], np.cumsum(arr == ord(sep))])
    return cum[ends] - cum[starts] + 1


def parse_period(value: object) -> pd.Period:
    """Parse a StatBank period cell: ``2024K1`` / ``2024Q1`` (quarter), ``2024M01`` (month), ``2035`` (year),
    also in ``CodeAndValue`` form (``2025K3 2025K3``, ``2026K1 2026Q1``: code and text must agree).

    Example
    -------
    >>> parse_period("2024K1"), parse_period("2026K1 2026Q1"), parse_period("2035")
    (Period('2024Q1', 'Q-DEC'), Period('2026Q1', 'Q-DEC'), Period('2035', 'Y-DEC'))
    """
    if isinstance(value, pd.Period):
        return value
    s = str(value).strip()
    parts = s.split(" ")
    if len(parts) == 2:
        code, text = (_one_period(p, value) for p in parts)
        if code != text:
            raise ValueError(f"code {parts[0]!r} and text {parts[1]!r} name different periods: {value!r}")
        return code
    return _one_period(s, value)


def _one_period(s: str, value: object) -> pd.Period:
    if m := _PERIOD_Q.match(s):
        return pd.Period(year=int(m.group(1)), quarter=int(m.group(2)), freq="Q")
    if m := _PERIOD_M.match(s):
        month = int(m.group(2))
        if not 1 <= month <= 12:
            raise ValueError(f"not a month: {value!r}")
        return pd.Period(year=int(m.group(1)), month=month, freq="M")
    if m := _PERIOD_Y.match(s):
        return pd.Period(year=int(m.group(1)), freq="Y")
    raise ValueError(f"not a StatBank period (expected 2024K1, 2024M01, 2024, or code and text as in "
                     f"'2025K3 2025K3'): {value!r}")


def format_period(period: pd.Period) -> str:
    """StatBank notation of a period (``2024K1``, ``2024M01``, ``2035``).

    Example
    -------
    >>> format_period(parse_period("2024Q2"))
    '2024K2'
    """
    code = period.freqstr[0]
    if code == "Q":
        return f"{period.year}K{period.quarter}"
    if code == "M":
        return f"{period.year}M{period.month:02d}"
    return f"{period.year}"


def _code_and_text(value: object, codes: dict, texts: dict, what: str):
    """Shared logic of the dimension cells: a code, a text, or ``code text`` that must agree."""
    s = str(value).strip()
    if s.upper() in codes:
        return codes[s.upper()]
    if s.lower() in texts:
        return texts[s.lower()]
    parts = s.split(" ", 1)
    if len(parts) == 2 and parts[0].upper() in codes and parts[1].strip().lower() in texts:
        by_code, by_text = codes[parts[0].upper()], texts[parts[1].strip().lower()]
        if by_code != by_text:
            raise ValueError(f"code {parts[0]!r} and text {parts[1]!r} disagree ({by_code} vs {by_text})")
        return by_code
    raise ValueError(f"unknown {what} value {value!r}")


def parse_sex(value: object) -> str:
    """``"TOT"``/``"I alt"``/``"1 Mænd"``/``"M"``/``"Women"`` ... -> ``"total"``/``"male"``/``"female"``.

    Example
    -------
    >>> parse_sex("1 Mænd"), parse_sex("Kvinder"), parse_sex("TOT"), parse_sex("K Kvinder")
    ('male', 'female', 'total', 'female')
    """
    return _code_and_text(value, _SEX_CODES, _SEX_TEXTS, "sex")


def _age_code(s: str) -> tuple[int | None, bool] | None:
    if s.upper() in _AGE_TOTAL_CODES:
        return None, False
    if m := _AGE_CODE.match(s):
        return int(m.group(1)), bool(m.group(2))
    return None


def _age_text(s: str) -> tuple[int | None, bool] | None:
    if s.lower() in _AGE_TOTAL_TEXTS:
        return None, False
    if m := _AGE_TEXT_OPEN.match(s):
        return int(m.group(1)), True
    if m := _AGE_TEXT.match(s):
        return int(m.group(1)), False
    return None


def parse_age(value: object) -> tuple[int | None, bool]:
    """Return ``(age, open)``; ``(None, False)`` for the all-ages total.

    Codes (``IALT``, ``TOT``, ``7``, ``100-``), texts (``Alder i alt``, ``7 år``, ``100 år og derover``,
    ``7 years``) and ``CodeAndValue`` (``IALT Alder i alt``, ``7 7 år``) are accepted; code and text must agree.

    Example
    -------
    >>> parse_age("IALT"), parse_age("0 år"), parse_age("100-"), parse_age("100- 100 år og derover")
    ((None, False), (0, False), (100, True), (100, True))
    """
    s = str(value).strip()
    if (code := _age_code(s)) is not None:
        return code
    if (text := _age_text(s)) is not None:
        return text
    parts = s.split(" ", 1)
    if len(parts) == 2:
        code, text = _age_code(parts[0]), _age_text(parts[1].strip())
        if code is not None and text is not None:
            if code != text:
                raise ValueError(f"code {parts[0]!r} and text {parts[1]!r} disagree: {value!r}")
            return code
    raise ValueError(f"unknown age value {value!r} (expected a single year, an open top group such as 100-, "
                     "or the total)")


def parse_civil(value: object) -> str:
    """A CIVILSTAND cell -> ``"TOT"``, ``"U"``, ``"G"``, ``"E"`` or ``"F"``.

    Example
    -------
    >>> parse_civil("TOT I alt"), parse_civil("Ugift"), parse_civil("G")
    ('TOT', 'U', 'G')
    """
    return _code_and_text(value, _CIVIL_CODES, _CIVIL_TEXTS, "civil status")


def _lookup_municipality(name: str) -> str:
    if name.strip().lower() in {"christiansø", "christiansoe", "ertholmene"}:
        return CHRISTIANSOE
    from klyngedata import registry

    return registry.municipality(name.strip()).code


@functools.lru_cache(maxsize=4096)
def _area_from_code(code: str) -> tuple[str, str]:
    n = int(code)
    if n == 0:
        return "country", "DK"
    if 81 <= n <= 85 or 1081 <= n <= 1085:
        return "region", normalize_region_code(code)
    mcode = normalize_municipality_code(code)
    if mcode != CHRISTIANSOE:
        from klyngedata import registry

        registry.municipality(mcode)  # raises LookupFailed for a code that is not a municipality
    return "municipality", mcode


@functools.lru_cache(maxsize=4096)
def _area_from_text(text: str) -> tuple[str, str]:
    low = text.strip().lower()
    if low in _COUNTRY_NAMES:
        return "country", "DK"
    if low in _REGION_NAMES:
        return "region", _REGION_NAMES[low]
    return "municipality", _lookup_municipality(text)


def parse_area(value: object) -> tuple[str, str, str]:
    """Return ``(area_level, area_code, presentation)`` for an OMRÅDE/KOMMUNEDK cell.

    Codes (``000``, ``084``, ``851``), CodeAndValue (``851 Aalborg``: a text naming another area is refused)
    and names (``Hele landet``, ``Region Nordjylland``, ``Høje-Taastrup``, ``Copenhagen``) are accepted.

    Example
    -------
    >>> parse_area("000"), parse_area("081 Region Nordjylland")
    (('country', 'DK', 'Code'), ('region', '1081', 'CodeAndValue'))
    """
    s = str(value).strip()
    if re.fullmatch(r"\d{1,4}", s):
        return (*_area_from_code(s), "Code")
    m = re.fullmatch(r"(\d{1,4}) (.+)", s)
    if m:
        level, code = _area_from_code(m.group(1))
        try:
            by_text = _area_from_text(m.group(2))
        except LookupFailed:
            by_text = None  # a text klyngedata does not know (e.g. an English name): the code decides
        if by_text is not None and by_text != (level, code):
            raise ValueError(f"code {m.group(1)!r} and text {m.group(2)!r} name different areas")
        return level, code, "CodeAndValue"
    return (*_area_from_text(s), "Value")


# ---------------------------------------------------------------------------------------------
# columns
# ---------------------------------------------------------------------------------------------
def map_unique(series: pd.Series, fn, what: str, file: str, column: str) -> dict:
    """Apply ``fn`` to the distinct values of ``series``; an error names file, row and column.

    Example
    -------
    >>> map_unique(pd.Series(["1", "2"]), int, "number", "constructed example", "A")
    {'1': 1, '2': 2}
    """
    out = {}
    for value in pd.unique(series):
        try:
            out[value] = fn(value)
        except (ValueError, LookupFailed) as exc:
            row = int((series == value).to_numpy().argmax()) + 2  # +1 header, +1 one-based
            raise DataFormatError(f"{file}, row {row}, column {column}: {what}: {exc}") from None
    return out


def period_column(values: pd.Series, per_map: dict, file: str, column: str) -> pd.Series:
    """The period column as one Period dtype (mixed frequencies are refused)."""
    freqs = {p.freqstr for p in per_map.values()}
    if len(freqs) > 1:
        raise DataFormatError(f"{file}, column {column}: mixed period types {sorted(freqs)}")
    dtype = pd.PeriodDtype(next(iter(per_map.values())).freq) if per_map else pd.PeriodDtype("Q")
    return values.map(per_map).astype(dtype)


def _count_problem(v: str) -> str:
    t = v.strip()
    if re.fullmatch(r"[-−]\s*\d+([.,]\d+)?", t):
        return f"negative count {v!r}"
    if re.fullmatch(r"\d+([.,]\d+)+", t):
        return f"{v!r} is not a whole count written as digits (a decimal or a thousands separator is ambiguous)"
    if t == "":
        return "empty cell (StatBank writes '..' for a figure that is not available)"
    return f"not a count: {v!r} (expected digits, '..' for not available or '-' for nil)"


def _counts(s: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(values, missing, bad)`` of a Series of count strings."""
    s = s.astype(str).str.strip()
    digits = (s.str.isdigit() & s.str.isascii()).to_numpy(dtype=bool)
    missing = (s == MISSING_MARK).to_numpy(dtype=bool)
    zero = (s == ZERO_MARK).to_numpy(dtype=bool)
    values = s.where(digits, "0").astype("int64").to_numpy()
    return values, missing, ~(digits | missing | zero)


def parse_counts(values: pd.Series, file: str, column: str) -> pd.Series:
    """Counts as StatBank writes them: digits; ``..`` -> NA (not published); ``-`` -> 0. Anything else
    (negative, decimal, thousands separators, empty) is refused naming file, row and column.

    Example
    -------
    >>> parse_counts(pd.Series(["12", "..", "-"]), "constructed example", "INDHOLD").tolist()
    [12, <NA>, 0]
    """
    if isinstance(values.dtype, pd.CategoricalDtype):  # parse each distinct cell once
        codes = values.cat.codes.to_numpy()
        cats = pd.Series(values.cat.categories, dtype=object)
        num, missing, bad = _counts(cats)
        if bad.any():
            i = int(np.flatnonzero(np.isin(codes, np.flatnonzero(bad)))[0])
            raise DataFormatError(f"{file}, row {i + 2}, column {column}: {_count_problem(str(values.iloc[i]))}")
        num, missing = num[codes], missing[codes]
    else:
        num, missing, bad = _counts(values)
        if bad.any():
            i = int(bad.argmax())
            raise DataFormatError(f"{file}, row {i + 2}, column {column}: {_count_problem(str(values.iloc[i]))}")
    return pd.Series(pd.arrays.IntegerArray(num, missing), index=values.index)


def check_unique(keys: pd.DataFrame, file: str, columns: list[str], describe=None) -> None:
    """Refuse two rows with the same key (identical or not), naming both rows and the key columns.

    Example
    -------
    >>> check_unique(pd.DataFrame({"a": [1, 1]}), "constructed example", ["A"])
    Traceback (most recent call last):
    ...
    klyngedata.exceptions.DataFormatError: constructed example, rows 2 and 3, columns A: the same cell twice (1)
    """
    dup = keys.duplicated(keep=False)
    if not dup.any():
        return
    idx = list(keys.index[dup.to_numpy()])
    first = idx[0]
    first_key = tuple(keys.loc[first])
    second = next(i for i in idx[1:] if tuple(keys.loc[i]) == first_key)
    pos = {k: i for i, k in enumerate(keys.index)}
    shown = describe(keys.loc[first]) if describe else ", ".join(str(v) for v in first_key)
    raise DataFormatError(f"{file}, rows {pos[first] + 2} and {pos[second] + 2}, columns {', '.join(columns)}: "
                          f"the same cell twice ({shown})")


def finish(df: pd.DataFrame) -> pd.DataFrame:
    """The tidy columns in their dtypes (``municipality_code`` from ``area_code``)."""
    df = df[TIDY_COLUMNS].copy()
    df["municipality_code"] = df["area_code"].where(df["area_level"] == "municipality").astype("string")
    df["area_level"] = df["area_level"].astype("string")
    df["area_code"] = df["area_code"].astype("string")
    df["sex"] = df["sex"].astype("string")
    df["age"] = df["age"].astype("Int64")
    df["age_open"] = df["age_open"].astype(bool)
    df["population"] = df["population"].astype("Int64")
    return df.reset_index(drop=True)


def _detect_table(name: str, header: list[str], periods: pd.Series) -> str:
    if m := _TABLE_RE.search(name):
        return m.group(1).upper()
    freq = periods.iloc[0].freqstr[0] if len(periods) else ""
    if freq == "M":
        return "FOLK1AM"
    if freq == "Q":
        return "FOLK1A"
    if "KOMMUNEDK" in header:
        return "FRKM"
    return "UNKNOWN"


def _roles(header: list[str], file: str) -> dict[str, str]:
    roles: dict[str, str] = {}
    for col in header:
        role = _ROLE.get(col.upper())
        if role is None:
            raise DataFormatError(f"{file}, row 1: unknown column {col!r} (expected OMRÅDE/KOMMUNEDK, KØN, ALDER, "
                                  "CIVILSTAND, TID, INDHOLD)")
        if role in roles:
            raise DataFormatError(f"{file}, row 1: two columns for {role}: {roles[role]!r} and {col!r}")
        roles[role] = col
    for needed in ("area", "time", "value"):
        if needed not in roles:
            raise DataFormatError(f"{file}, row 1: missing the {needed} column (header: {';'.join(header)})")
    return roles


def _describe_key(row: pd.Series) -> str:
    age = "all ages" if pd.isna(row.get("age")) else f"age {row['age']}{'+' if row.get('age_open') else ''}"
    parts = [str(row["area_code"]), str(row.get("sex", "total")), age]
    if "civil" in row.index:
        parts.append(str(row["civil"]))
    return ", ".join(parts + [format_period(row["period"])])


def _reduce_civil(out: pd.DataFrame, file: str, column: str) -> pd.DataFrame:
    """Keep the CIVILSTAND total; a cell without a total is summed only over all four statuses."""
    keys = KEY_COLUMNS
    is_total = out["civil"] == "TOT"
    if is_total.all():
        return out.drop(columns="civil")
    totals = out[is_total]
    parts = out[~is_total]
    if not totals.empty:
        have = totals[keys].drop_duplicates()
        parts = parts.merge(have, on=keys, how="left", indicator=True)
        parts = parts[parts["_merge"] == "left_only"].drop(columns="_merge")
    if parts.empty:
        return totals.drop(columns="civil")
    g = parts.groupby(keys, dropna=False, sort=False)
    n = g["civil"].nunique()
    if (n < len(_CIVIL_PARTS)).any():
        bad = n[n < len(_CIVIL_PARTS)].index[0]
        raise DataFormatError(
            f"{file}, column {column}: the cell {bad[1]} {format_period(bad[5])} has neither the total (I alt) nor "
            "all four civil statuses, so its population cannot be summed; export CIVILSTAND 'I alt'")
    summed = g["population"].sum(min_count=len(_CIVIL_PARTS)).reset_index()  # one '..' makes the sum missing
    summed["municipality_code"] = pd.NA
    return pd.concat([totals.drop(columns="civil"), summed], ignore_index=True)


def factor(series: pd.Series, fn, what: str, file: str, column: str) -> tuple[np.ndarray, list]:
    """``(codes, parsed)``: ``fn`` applied once per distinct cell; row ``i`` parses to ``parsed[codes[i]]``.
    An error names file, row and column.

    Example
    -------
    >>> factor(pd.Series(["1", "2", "1"]), int, "number", "constructed example", "A")
    (array([0, 1, 0]), [1, 2])
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes, uniques = series.cat.codes.to_numpy(), series.cat.categories
    else:
        codes, uniques = pd.factorize(series, sort=False)
    parsed = []
    for k, value in enumerate(uniques):
        try:
            parsed.append(fn(value))
        except (ValueError, LookupFailed) as exc:
            row = int(np.flatnonzero(codes == k)[0]) + 2
            raise DataFormatError(f"{file}, row {row}, column {column}: {what}: {exc}") from None
    return codes, parsed


def _canonical(codes: np.ndarray, parsed: list) -> tuple[np.ndarray, int]:
    """Codes of the *parsed* values (two spellings of one value get one code) and their number."""
    canon, uniq = pd.factorize(pd.Index(parsed, tupleize_cols=False), sort=False)
    return canon[codes], len(uniq)


def parse_statbank_csv(
    source: str | os.PathLike[str] | bytes,
    *,
    table: str | None = None,
    file: str | None = None,
) -> pd.DataFrame:
    """Parse a StatBank CSV/BULK answer or export (any presentation, da/en) into the tidy schema.

    Variables missing from the file (e.g. no ``KØN``) mean "total". A ``CIVILSTAND`` column is reduced to its
    total (or, for a cell without a total, summed over all four statuses). ``..`` counts become NA (missing),
    ``-`` becomes 0. ``attrs["provenance"]`` holds ``table``, ``presentation``, ``file``, ``periods`` and
    ``encoding``.

    Example
    -------
    >>> CONSTRUCTED = "OMRÅDE;KØN;ALDER;TID;INDHOLD\\n851;1;80;2024K1;3\\n".encode()
    >>> parse_statbank_csv(CONSTRUCTED, file="constructed example")["population"].tolist()
    [3]
    """
    frame, file, encoding = read_records(source, file, categorical=True)
    header = list(frame.columns)
    roles = _roles(header, file)
    n = len(frame)
    key = np.zeros(n, dtype=np.int64)

    def add_key(codes: np.ndarray, parsed: list) -> None:
        nonlocal key
        canon, size = _canonical(codes, parsed)
        key = key * size + canon

    a_codes, a_parsed = factor(frame[roles["area"]], parse_area, "unknown area", file, roles["area"])
    out = pd.DataFrame({"area_level": np.array([p[0] for p in a_parsed], dtype=object)[a_codes],
                        "area_code": np.array([p[1] for p in a_parsed], dtype=object)[a_codes]})
    add_key(a_codes, [p[:2] for p in a_parsed])
    presentations = {p[2] for p in a_parsed}
    presentation = presentations.pop() if len(presentations) == 1 else "mixed"
    if "sex" in roles:
        s_codes, s_parsed = factor(frame[roles["sex"]], parse_sex, "sex", file, roles["sex"])
        out["sex"] = np.array(s_parsed, dtype=object)[s_codes]
        add_key(s_codes, s_parsed)
    else:
        out["sex"] = "total"
    if "age" in roles:
        g_codes, g_parsed = factor(frame[roles["age"]], parse_age, "age", file, roles["age"])
        ages = np.array([-1 if a is None else a for a, _ in g_parsed], dtype=np.int64)[g_codes]
        out["age"] = pd.arrays.IntegerArray(ages, ages < 0)
        out["age_open"] = np.array([o for _, o in g_parsed], dtype=bool)[g_codes]
        add_key(g_codes, g_parsed)
    else:
        out["age"] = pd.array([pd.NA] * n, dtype="Int64")
        out["age_open"] = False
    t_codes, t_parsed = factor(frame[roles["time"]], parse_period, "period", file, roles["time"])
    freqs = {p.freqstr for p in t_parsed}
    if len(freqs) > 1:
        raise DataFormatError(f"{file}, column {roles['time']}: mixed period types {sorted(freqs)}")
    ordinals = np.array([p.ordinal for p in t_parsed], dtype=np.int64)[t_codes]
    dtype = pd.PeriodDtype(t_parsed[0].freq) if t_parsed else pd.PeriodDtype("Q")
    out["period"] = pd.arrays.PeriodArray(ordinals, dtype=dtype)
    add_key(t_codes, [p.ordinal for p in t_parsed])
    out["population"] = parse_counts(frame[roles["value"]], file, roles["value"]).to_numpy()
    out["municipality_code"] = pd.NA
    key_cols = [roles[r] for r in ("area", "sex", "age", "civil", "time") if r in roles]
    if "civil" in roles:
        c_codes, c_parsed = factor(frame[roles["civil"]], parse_civil, "civil status", file, roles["civil"])
        out["civil"] = np.array(c_parsed, dtype=object)[c_codes]
        add_key(c_codes, c_parsed)
    dup = pd.Series(key).duplicated(keep=False).to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        j = int(np.flatnonzero(dup & (key == key[i]))[1])
        row = out.iloc[i]
        raise DataFormatError(f"{file}, rows {i + 2} and {j + 2}, columns {', '.join(key_cols)}: the same cell twice "
                              f"({_describe_key(row)})")
    if "civil" in roles:
        out = _reduce_civil(out, file, roles["civil"])
    result = finish(out)
    tbl = table or _detect_table(Path(file).name, [h.upper() for h in header], result["period"])
    result.attrs["provenance"] = {
        "table": tbl,
        "presentation": presentation,
        "file": file,
        "encoding": encoding,
        "periods": sorted({format_period(p) for p in result["period"].unique()}),
    }
    return result
