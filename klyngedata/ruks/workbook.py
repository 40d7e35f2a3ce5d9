"""Reading one RUKS release workbook into the tidy long schema (io layer; the layout is in :mod:`klyngedata.ruks`).

Every cell is parsed with :mod:`klyngedata.vocabulary` (levels, regions, sexes, ages, years, counts, measures,
units, rates); municipalities are looked up in the registry by name or code. Anything unreadable raises
:class:`~klyngedata.exceptions.DataFormatError` naming the file, the sheet, the row (as Excel numbers it) and
the column (letter and header text).

Example
-------
Needs Sundhedsdatastyrelsen's RUKS workbook; not run as a doctest.
>>> frame = read_ruks("RUKS_2025.xlsx")  # doctest: +SKIP
>>> frame[["measure", "area_code", "sex", "age_group", "year", "value", "suppressed"]].head(1)  # doctest: +SKIP
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter

from klyngedata.exceptions import DataFormatError, LookupFailed, UnknownValue
from klyngedata.vocabulary import (
    COUNTRY_ID,
    area_from_text,
    is_age_total,
    parse_age,
    parse_count,
    parse_level,
    parse_measure,
    parse_period,
    parse_rate,
    parse_rate_unit,
    parse_sex,
    period_kind,
)

__all__ = ["HEADER_ROW", "ID_COLUMNS", "RUKS_COLUMNS", "SHEET", "is_ruks_workbook", "read_ruks"]

SHEET = "Hovedresultater"
HEADER_ROW = 3  # Excel row of the header; data from the next row
ID_COLUMNS = ("measure", "disease", "level", "region", "municipality", "unit", "sex", "age")
RUKS_COLUMNS = ["measure", "disease", "area_level", "area_code", "region_code", "municipality_code", "unit",
                "standardisation", "sex", "age_group", "age_lo", "age_hi", "age_total", "year", "value",
                "suppressed", "source_row"]
_SEX_ORDER = {"total": 0, "male": 1, "female": 2}


def is_ruks_workbook(path: str | os.PathLike[str]) -> bool:
    """True for an ``.xlsx`` file with a sheet named ``Hovedresultater`` (case and spaces ignored).

    >>> is_ruks_workbook("README.md")
    False
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx" or not path.is_file():
        return False
    try:
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True)
        try:
            return any(name.strip().lower() == SHEET.lower() for name in wb.sheetnames)
        finally:
            wb.close()
    except (OSError, zipfile.BadZipFile, KeyError, ValueError):
        return False


class _Where:
    """Builds the messages that name file, sheet, row and column."""

    def __init__(self, path: Path, header: list[object]) -> None:
        self.path, self.header = path, header

    def __call__(self, row: int, col: int, problem: str) -> DataFormatError:
        head = self.header[col] if col < len(self.header) else None
        label = f"column {get_column_letter(col + 1)}" + (f" ({str(head).strip()!r})" if _filled(head) else "")
        return DataFormatError(f"{self.path}: sheet {SHEET!r}, row {row}, {label}: {problem}")


def _filled(value: object) -> bool:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return False
    return not (isinstance(value, str) and value.strip() == "")


def _sheet(path: Path) -> tuple[str, pd.DataFrame]:
    try:
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True)
        names = list(wb.sheetnames)
        wb.close()
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DataFormatError(f"{path}: not a readable XLSX workbook ({exc})") from exc
    found = [n for n in names if n.strip().lower() == SHEET.lower()]
    if not found:
        raise DataFormatError(f"{path}: no sheet {SHEET!r} (sheets: {', '.join(names)})")
    raw = pd.read_excel(path, sheet_name=found[0], header=None, dtype=object, engine="openpyxl")
    return found[0], raw.astype(object).where(raw.notna(), None)


def _title(raw: pd.DataFrame) -> tuple[str, str | None]:
    """The text above the header (rows 1-2) and the release it states, if any (see the package docstring)."""
    texts = [str(v).strip() for r in range(min(HEADER_ROW - 1, len(raw))) for v in raw.iloc[r] if _filled(v)]
    words = ("opdateret", "udgivet", "offentliggjort", "version", "udgivelse", "opgjort")
    release = next((t for t in texts if any(w in t.lower() for w in words)), None)
    return " | ".join(texts), release


def _years(header: list[object], where: _Where) -> list[tuple[int, int]]:
    """``(column index, year)`` of the year columns (every column after the eighth with a header)."""
    out = []
    for col in range(len(ID_COLUMNS), len(header)):
        head = header[col]
        if not _filled(head):
            continue
        try:
            period = parse_period(int(head) if isinstance(head, float) and float(head).is_integer() else head)
        except (UnknownValue, ValueError):
            raise where(HEADER_ROW, col, f"expected a year as header, found {head!r}") from None
        if period_kind(period) != "year":
            raise where(HEADER_ROW, col, f"expected a year as header, found {head!r}")
        out.append((col, int(period.year)))
    if not out:
        raise where(HEADER_ROW, len(ID_COLUMNS), "no year columns after the eight descriptive columns")
    seen: dict[int, int] = {}
    for col, year in out:
        if year in seen:
            raise where(HEADER_ROW, col, f"year {year} also in column {get_column_letter(seen[year] + 1)}")
        seen[year] = col
    return out


def _area(level: str, region: object, municipality: object, row: int, where: _Where) -> tuple[str, str, str | None]:
    """``(area_code, region_code, municipality_code)`` of one row."""
    from klyngedata import registry

    if level == "country":
        if _filled(municipality):
            raise where(row, 4, f"a row for Denmark names a municipality ({municipality!r})")
        return COUNTRY_ID, pd.NA, None
    found = area_from_text(str(region)) if _filled(region) else None
    if found is None or found[0] != "region":
        raise where(row, 3, f"unknown region {region!r} (expected e.g. Region Nordjylland)")
    region_code = found[1]
    if level == "region":
        if _filled(municipality):
            raise where(row, 4, f"a region row names a municipality ({municipality!r})")
        return region_code, region_code, None
    if not _filled(municipality):
        raise where(row, 4, "a municipality row without a municipality")
    special = area_from_text(str(municipality))
    if special is not None and special[0] == "municipality":
        code = special[1]
    else:
        try:
            m = registry.municipality(str(municipality).strip())
        except LookupFailed as exc:
            raise where(row, 4, f"unknown municipality {municipality!r} ({exc})") from None
        code = m.code
        if m.region_code != region_code:
            raise where(row, 3, f"{m.name} is in {m.region_name}, not in {region!r}")
    return code, region_code, code


def _describe(raw: pd.DataFrame, where: _Where) -> tuple[pd.DataFrame, list[str]]:
    """One record per data row (descriptive columns parsed) and the note rows below the data."""
    records, notes = [], []
    parsers = {0: parse_measure, 5: parse_rate_unit, 6: parse_sex, 7: parse_age}
    for i in range(HEADER_ROW, len(raw)):
        row = i + 1
        cells = list(raw.iloc[i])
        if not any(_filled(v) for v in cells):
            continue
        if not any(_filled(v) for v in cells[1:]):
            notes.append(str(cells[0]).strip())  # a note or source line below the table
            continue
        if notes:
            raise where(row, 0, "a data row after the notes below the table")
        parsed = {}
        for col, parse in parsers.items():
            if not _filled(cells[col]):
                raise where(row, col, "empty cell")
            try:
                parsed[col] = parse(cells[col] if col != 7 else str(cells[col]).strip())
            except UnknownValue as exc:
                raise where(row, col, str(exc)) from None
        if not _filled(cells[1]):
            raise where(row, 1, "empty cell (the disease)")
        try:
            level = parse_level(cells[2])
        except UnknownValue as exc:
            raise where(row, 2, str(exc)) from None
        if level == "cluster":
            raise where(row, 2, f"unknown geography level {cells[2]!r} (expected Hele landet, Region or Kommune)")
        area, region_code, muni = _area(level, cells[3], cells[4], row, where)
        band = parsed[7]
        records.append({
            "measure": parsed[0], "disease": " ".join(str(cells[1]).split()), "area_level": level,
            "area_code": area, "region_code": region_code, "municipality_code": muni,
            "unit": parsed[5][0], "standardisation": parsed[5][1], "sex": parsed[6],
            "age_group": "total" if band is None else band.label, "age_lo": None if band is None else band.lo,
            "age_hi": None if band is None else band.hi, "age_total": is_age_total(str(cells[7]).strip()),
            "source_row": row,
        })
    if not records:
        raise where(HEADER_ROW + 1, 0, "no data rows below the header")
    return pd.DataFrame.from_records(records), notes


def _cell(value: object, unit: str) -> tuple[float | None, bool]:
    """``(value, suppressed)``; blank = suppressed, ``..`` = not published (``None``, False)."""
    if not _filled(value):
        return None, True
    if unit == "antal":
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # a whole number stored as a float by the workbook's writer
        count = parse_count(value)
        return (None if count is None else float(count)), False
    return parse_rate(value), False


def read_ruks(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The tidy long frame of one RUKS workbook (schema in :mod:`klyngedata.ruks`); ``attrs["provenance"]``
    holds ``file``, ``sheet``, ``title``, ``release`` (as the workbook states it, or ``None``), ``years``,
    ``header`` and ``notes``.

    Example
    -------
    Needs Sundhedsdatastyrelsen's RUKS workbook; not run as a doctest.
    >>> read_ruks("RUKS_2025.xlsx").attrs["provenance"]["years"]  # doctest: +SKIP
    [2010, 2025]
    """
    path = Path(path)
    sheet, raw = _sheet(path)
    if len(raw) < HEADER_ROW:
        raise DataFormatError(f"{path}: sheet {sheet!r} has no header in row {HEADER_ROW}")
    header = list(raw.iloc[HEADER_ROW - 1])
    where = _Where(path, header)
    for col in range(len(ID_COLUMNS)):
        if col >= len(header) or not _filled(header[col]):
            raise where(HEADER_ROW, col, f"empty header (expected the {ID_COLUMNS[col]} column)")
    years = _years(header, where)
    rows, notes = _describe(raw, where)
    key = ["measure", "disease", "area_code", "unit", "standardisation", "sex", "age_group"]
    dup = rows.duplicated(key, keep=False)
    if dup.any():
        first, second = rows.loc[dup, "source_row"].iloc[:2]
        raise where(int(second), 0, f"the same figure as row {first} (measure, disease, area, unit, sex and age)")
    values, suppressed = [], []
    for col, _year in years:
        column = raw.iloc[HEADER_ROW:, col] if col < raw.shape[1] else pd.Series([None] * (len(raw) - HEADER_ROW))
        for row, unit in zip(rows["source_row"], rows["unit"], strict=True):
            try:
                v, s = _cell(column.iloc[row - 1 - HEADER_ROW], unit)
            except UnknownValue as exc:
                raise where(int(row), col, str(exc)) from None
            values.append(np.nan if v is None else v)
            suppressed.append(s)
    n = len(rows)
    out = pd.concat([rows] * len(years), ignore_index=True)
    out["year"] = np.repeat([y for _c, y in years], n).astype("int16")
    out["value"] = pd.array(values, dtype="Float64")
    out["suppressed"] = np.array(suppressed, dtype=bool)
    for c in ("age_lo", "age_hi"):
        out[c] = out[c].astype("Int16")
    out["source_row"] = out["source_row"].astype("int32")
    out["age_total"] = out["age_total"].astype(bool)
    out["_sex"] = out["sex"].map(_SEX_ORDER)
    out = out.sort_values(["measure", "disease", "unit", "standardisation", "area_level", "area_code", "year",
                           "_sex", "age_lo"], kind="stable", na_position="first")[RUKS_COLUMNS]
    for c in ("measure", "disease", "area_level", "area_code", "region_code", "municipality_code", "unit",
              "standardisation", "sex", "age_group"):
        out[c] = out[c].astype("string")
    out = out.reset_index(drop=True)
    title, release = _title(raw)
    out.attrs["provenance"] = {"file": path.name, "sheet": sheet, "title": title, "release": release,
                               "years": [years[0][1], years[-1][1]] if years else [],
                               "header": [str(h).strip() for h in header if _filled(h)], "notes": notes}
    return out
