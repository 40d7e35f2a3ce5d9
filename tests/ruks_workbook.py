"""CONSTRUCTED RUKS workbooks for the tests, written with openpyxl in the layout klyngedata.ruks documents
(sheet ``Hovedresultater``, title rows 1-2, header row 3, data from row 4; columns measure, disease, level,
region, municipality, unit, sex, age group, then one per year). Every number in them is constructed (made up
for the test, named so), never real data; a blank cell is written as an empty cell."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

HEADER = ["Opgørelse", "Sygdom", "Geografisk niveau", "Region", "Kommune", "Enhed", "Køn", "Aldersgruppe"]
SEX_TEXT = {"total": "I alt", "male": "Mænd", "female": "Kvinder"}
MEASURE_TEXT = {"prevalence": "Prævalens", "incidence": "Incidens"}
COUNT = "Antal"
CRUDE = "Pr. 100.000 borgere"
AGE_STD = "Aldersstandardiseret pr. 100.000 borgere"
SEX_AGE_STD = "Køns- og aldersstandardiseret pr. 100.000 borgere"
NORD = "Region Nordjylland"


def age_text(band: str) -> str:
    """``"0-4"`` -> ``"0-4 år"``, ``"85+"`` -> ``"85+ år"``, ``"total"`` -> ``"I alt"``."""
    return "I alt" if band == "total" else f"{band} år"


def write_workbook(path: Path, rows: list[list[object]], years: list[int], *,
                   title: str = "Udvalgte kroniske sygdomme og svære psykiske lidelser (CONSTRUCTED)",
                   release: str | None = "Opdateret 12. marts 2026 (CONSTRUCTED)", notes: list[str] = (),
                   header: list[object] | None = None, sheet: str = "Hovedresultater") -> Path:
    """Write rows (8 descriptive cells + one cell per year; ``None`` = blank) to ``path``."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.cell(row=1, column=1, value=title)
    if release:
        ws.cell(row=2, column=1, value=release)
    for j, head in enumerate(header if header is not None else [*HEADER, *map(str, years)], start=1):
        ws.cell(row=3, column=j, value=head)
    for i, row in enumerate(rows, start=4):
        for j, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(row=i, column=j, value=value)
    for k, note in enumerate(notes, start=len(rows) + 5):
        ws.cell(row=k, column=1, value=note)
    wb.create_sheet("Dokumentation").cell(row=1, column=1, value="CONSTRUCTED")
    wb.save(path)
    return path


def count_rows(cells: dict[tuple[str, str, str, str], list[int | None]], disease: str = "Type 2-diabetes",
               measure: str = "prevalence") -> list[list[object]]:
    """Rows of counts from ``{(level_text, region, municipality, sex, age): [per year]}``-like cells keyed by
    ``(area, sex, age)`` where area is ``"DK"``, a region name or a municipality name (in Region Nordjylland)."""
    rows = []
    for (area, sex, age, unit), values in cells.items():
        if area == "DK":
            level, region, muni = "Hele landet", None, None
        elif area.startswith("Region"):
            level, region, muni = "Region", area, None
        else:
            level, region, muni = "Kommune", NORD, area
        rows.append([MEASURE_TEXT[measure], disease, level, region, muni, unit, SEX_TEXT[sex], age_text(age),
                     *values])
    return rows
