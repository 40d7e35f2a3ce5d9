"""StatBank exports cell by cell: decoding the bytes (UTF-8 with or without BOM, Windows-1252; other encodings
refused by name), reading the records, and parsing one cell of each kind (period, sex, age, civil status, area)
exactly or refusing it.

>>> parse_age("100-"), parse_area("851 Aalborg")
((100, True), ('municipality', '0851', 'CodeAndValue'))"""

from __future__ import annotations

import codecs
import functools
import io
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from klyngedata import vocabulary
from klyngedata.exceptions import DataFormatError, LookupFailed, UnknownValue
from klyngedata.vocabulary.codes import (
    CHRISTIANSOE,
    area_from_text,
    normalize_municipality_code,
    normalize_region_code,
)

TIDY_COLUMNS = ["area_level", "area_code", "municipality_code", "sex", "age", "age_open", "period",
                "population"]
KEY_COLUMNS = ["area_level", "area_code", "sex", "age", "age_open", "period"]


_CIVIL_CODES = {"TOT": "TOT", "U": "U", "G": "G", "E": "E", "F": "F"}
_CIVIL_TEXTS = {"i alt": "TOT", "total": "TOT", "ugift": "U", "gift/separeret": "G", "enke/enkemand": "E",
                "fraskilt": "F", "never married": "U", "married/separated": "G", "widowed": "E",
                "divorced": "F"}
_CIVIL_PARTS = ("U", "G", "E", "F")
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
_CHUNK = 1 << 22  # bytes checked at a time (a 2-million-row export is ~80 MB: never a second copy of it)
_BOM = b"\xef\xbb\xbf"


def _decodes(raw: bytes, codec: str) -> bool:
    """Whether ``raw`` decodes as ``codec``, checked in chunks (no text of the whole file is built)."""
    if raw.isascii():
        return True
    decoder = codecs.getincrementaldecoder(codec)()
    view = memoryview(raw)
    try:
        for start in range(0, len(raw), _CHUNK):
            decoder.decode(view[start:start + _CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def export_encoding(raw: bytes, file: str) -> tuple[str, str]:
    """``(codec, name)`` of a StatBank export: UTF-8 (with or without BOM) or Windows-1252; any other encoding is
    refused naming it (UTF-16 and UTF-32 are recognised by their BOM or NUL bytes). Nothing is decoded whole.

    Example
    -------
    >>> export_encoding("Mænd".encode("cp1252"), "constructed example"), export_encoding(b"A;B", "constructed")
    (('cp1252', 'Windows-1252'), ('utf-8', 'UTF-8'))
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
    if _decodes(raw, "utf-8"):  # (pandas and the checks skip a byte order mark themselves)
        return "utf-8", "UTF-8 with BOM" if raw.startswith(_BOM) else "UTF-8"
    if _decodes(raw, "cp1252"):
        return "cp1252", "Windows-1252"
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        pos = utf8_error.start
        raise DataFormatError(f"{file}: the file is neither UTF-8 nor Windows-1252 (byte 0x{raw[pos]:02x} at offset "
                              f"{pos}); save or export it again as UTF-8 (CSV)") from None
    raise AssertionError("unreachable: the file decodes as UTF-8")  # pragma: no cover


def decode_export(raw: bytes, file: str) -> tuple[str, str]:
    """Decode a StatBank export: UTF-8 (with or without BOM) or Windows-1252; returns ``(text, encoding)``.

    Any other encoding is refused naming it (UTF-16 and UTF-32 are recognised by their BOM or NUL bytes).

    Example
    -------
    >>> decode_export("Mænd".encode("cp1252"), "constructed example")
    ('Mænd', 'Windows-1252')
    """
    codec, name = export_encoding(raw, file)
    return raw.decode("utf-8-sig" if codec == "utf-8" else codec), name


def _body_end(raw: bytes, start: int) -> int:
    """The end of the text without its trailing line breaks (``text.rstrip("\\r\\n")`` on the bytes)."""
    end = len(raw)
    while end > start and raw[end - 1] in b"\r\n":
        end -= 1
    return end


def _check_structure(raw: bytes, start: int, codec: str, file: str, sep: str | None) -> tuple[str, int]:
    """Refuse what is not a complete, regular table (on the bytes: every character checked is ASCII, the same
    byte in UTF-8 and Windows-1252); returns ``(sep, number of fields)``."""
    first = _first_text(raw, start, codec)
    if first is None:
        raise DataFormatError(f"{file}: the file is empty")
    if first[:1] in ("{", "["):
        raise DataFormatError(f"{file}: expected a StatBank CSV but got a JSON body: {first[:2000].strip()[:200]!r}")
    end = _body_end(raw, start)
    if end == len(raw):
        last = raw.count(b"\n", start) + 1
        raise DataFormatError(f"{file}, row {last}: the file does not end with a line break, so its last row may "
                              "be cut off (an interrupted download or export). Download it again; if the file is "
                              "complete, add a line break after the last row.")
    first_nl = raw.find(b"\n", start, end)
    first_line = raw[start:end if first_nl < 0 else first_nl].decode(codec)
    if first_nl < 0:
        raise DataFormatError(f"{file}: the file has a header ({first_line.strip()[:120]!r}) but no data rows")
    if sep is None:
        sep = ";" if first_line.count(";") >= first_line.count(",") else ","
    n_fields = first_line.count(sep) + 1
    fields = _fields_per_line(memoryview(raw)[start:end], sep)
    wrong = fields != n_fields
    # a blank line has one field: where every line has the header's fields (and it has several) there is none
    if (wrong.any() or n_fields == 1) and (blank := _BLANK_LINE.search(raw, start, end)):
        row = raw.count(b"\n", start, blank.start()) + 2
        raise DataFormatError(f"{file}, row {row}: empty line inside the table")
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        what = "fewer" if fields[i] < n_fields else "more"
        raise DataFormatError(f"{file}, row {i + 1}: {what} fields than the header's {n_fields} (saw {fields[i]}); "
                              "the row is incomplete or malformed")
    return sep, n_fields


_BLANK_LINE = re.compile(rb"\n[ \t\r]*\n")
_NOT_SPACE = re.compile(rb"[^\t\n\x0b\x0c\r\x1c-\x1f ]")  # what str.isspace() is not, among ASCII bytes


def _first_text(raw: bytes, start: int, codec: str) -> str | None:
    """The text from the first character that is not white space on (``text.lstrip()``, at least its first
    few thousand characters), ``None`` when the file holds white space only (``not text.strip()``)."""
    m = _NOT_SPACE.search(raw, start)
    if m is None:
        return None
    if raw[m.start()] < 0x80:
        return raw[m.start():m.start() + 8192].decode(codec, errors="replace")
    rest = raw[m.start():].decode(codec).lstrip()  # a non-ASCII character first (rare): decode the rest
    return rest or None


def read_records(source: str | os.PathLike[str] | bytes, file: str | None = None, *,
                 sep: str | None = ";", categorical: bool = False) -> tuple[pd.DataFrame, str, str]:
    """Read a delimited population file as strings, refusing what is not a complete, regular table.

    Returns ``(frame, file, encoding)``; row ``i`` of ``frame`` is line ``i + 2`` of the file. ``sep=None``
    picks ``;`` or ``,`` from the header line; ``categorical=True`` gives category columns (fast for the
    millions of rows of a StatBank answer). The checks run on the file's bytes and pandas parses the bytes: no
    text of the whole file is built.

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
    codec, encoding = export_encoding(raw, file)
    start = len(_BOM) if codec == "utf-8" and raw.startswith(_BOM) else 0
    sep, _ = _check_structure(raw, start, codec, file, sep)
    try:
        frame = pd.read_csv(io.BytesIO(raw), sep=sep, dtype="category" if categorical else str, encoding=codec,
                            keep_default_na=False, na_filter=False, skip_blank_lines=False, index_col=False)
    except (ValueError, UnicodeError) as exc:  # ParserError is a ValueError
        raise DataFormatError(f"{file}: not a '{sep}'-separated table: {exc}") from None
    if categorical:
        frame = _exact_text(frame, raw, codec, sep)
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame, file, encoding


def _exact_text(frame: pd.DataFrame, raw: bytes, codec: str, sep: str) -> pd.DataFrame:
    """Every cell as the file writes it. pandas infers the categories of a category column (``200001`` and
    ``5867412.0`` become the floats 200001.0 and 5867412.0), so a column whose categories are not text or
    whole numbers is read again as text: an error then names the cell the file has, in the row it is in.
    (Whole-number categories are the file's digits, unless the file writes a sign: ``+5`` is read again.)"""
    signed = b"+" in raw and re.search(rb"(^|" + re.escape(sep.encode()) + rb")[ \t]*\+", raw,
                                       re.MULTILINE) is not None
    inexact = [c for c in frame.columns
               if not pd.api.types.is_string_dtype(frame[c].cat.categories.dtype)
               and (frame[c].cat.categories.dtype.kind not in ("i", "u") or signed)]
    if not inexact:
        return frame
    again = pd.read_csv(io.BytesIO(raw), sep=sep, dtype=str, usecols=inexact, encoding=codec, keep_default_na=False,
                        na_filter=False, skip_blank_lines=False, index_col=False)
    for c in inexact:
        frame[c] = again[c].astype("category")
    return frame


# ---------------------------------------------------------------------------------------------
# cells
# ---------------------------------------------------------------------------------------------
def _fields_per_line(body: memoryview | bytes, sep: str) -> np.ndarray:
    """The number of fields on each line (StatBank files never quote a separator), from the positions of the
    separators and line breaks, a few MB at a time (no array the size of the file)."""
    arr = np.frombuffer(body, dtype=np.uint8)
    code = ord(sep)
    before_ends, seen = [], 0  # separators before each line break, and before the chunk
    for start in range(0, len(arr), _CHUNK):
        chunk = arr[start:start + _CHUNK]
        seps = np.flatnonzero(chunk == code)
        before_ends.append(np.searchsorted(seps, np.flatnonzero(chunk == 10)) + seen)
        seen += len(seps)
    before_ends.append(np.array([seen]))  # the last line ends with the body
    before_end = np.concatenate(before_ends)
    return np.diff(before_end, prepend=0) + 1


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


def parse_age(value: object) -> tuple[int | None, bool]:
    """A population table's age cell as ``(age, open)``; ``(None, False)`` for the all-ages total.

    Every form of :func:`klyngedata.vocabulary.parse_age` is read (codes, Danish and English texts,
    ``CodeAndValue``); population tables hold single years and an open top group, so a closed band of several
    years (``0-4``) is refused here.

    Example
    -------
    >>> parse_age("IALT"), parse_age("0 år"), parse_age("100-"), parse_age("100- 100 år og derover")
    ((None, False), (0, False), (100, True), (100, True))
    """
    band = vocabulary.parse_age(value)
    if band is None:
        return None, False
    if band.hi is None:
        return band.lo, True
    if band.hi != band.lo:
        raise UnknownValue(f"age band {value!r}: this table is read by single year of age (0, 1, 2, ..., 100-)")
    return band.lo, False


def parse_civil(value: object) -> str:
    """A CIVILSTAND cell -> ``"TOT"``, ``"U"``, ``"G"``, ``"E"`` or ``"F"``.

    Example
    -------
    >>> parse_civil("TOT I alt"), parse_civil("Ugift"), parse_civil("G")
    ('TOT', 'U', 'G')
    """
    return _code_and_text(value, _CIVIL_CODES, _CIVIL_TEXTS, "civil status")


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
    if (area := area_from_text(text)) is not None:
        return area
    from klyngedata import registry  # the io layer's cells name municipalities through the registry

    return "municipality", registry.municipality(text.strip()).code


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
