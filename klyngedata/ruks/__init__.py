"""RUKS: Sundhedsdatastyrelsen's Register for Udvalgte Kroniske Sygdomme og svære psykiske lidelser, read from
the release workbook (XLSX), pooled to units, regions and Denmark and disclosure-controlled.

The workbook (one per release; the download address changes with every release, so the user gives the file)
    Sheet ``Hovedresultater``; row 3 is the header, data from row 4. Columns A-H: measure, disease, geography
    level, region, municipality, unit label, sex, age group; then one column per year (2010-2025 in the
    release described). Counts and rates per 100,000 (crude, age-standardised, sex-and-age-standardised) for
    Denmark, the regions and the municipalities, by sex and age group.

What is confirmed and what is assumed (no real RUKS workbook was available when this was written, and no
public text describing its cells was found)
    *Confirmed from public sources* (Sundhedsdatastyrelsen's register documentation on esundhed.dk): the
    register's name and content (type 1 and type 2 diabetes, KOL, astma, osteoporose, leddegigt, skizofreni,
    demens), and that the register is recomputed for the whole period at every update — so a new release
    **replaces** the previous one, it is never merged with it.
    *From the project's reference notes* (``shared/reference/statbank-health.md``, not confirmed from a public
    source here): the sheet name, the header in row 3 with data from row 4, the column order, the years
    2010-2025, the three rate kinds, that a blank cell means suppression of a small count, and that the
    address changes with every release.
    *Assumed* (tested only on CONSTRUCTED workbooks in this layout): the cell texts — measure ``Prævalens`` /
    ``Incidens``; levels ``Hele landet`` / ``Region`` / ``Kommune``; regions by name (``Region Nordjylland``),
    municipalities by name (or code); units ``Antal``, ``Pr. 100.000 borgere``, ``Aldersstandardiseret pr.
    100.000 borgere``, ``Køns- og aldersstandardiseret pr. 100.000 borgere``; sexes ``I alt`` / ``Mænd`` /
    ``Kvinder``; age groups ``0-4 år`` … ``85+ år`` and ``I alt``; counts as whole numbers, rates as numbers;
    ``..`` for *not published*; a release stated in rows 1-2 by a text with ``Opdateret``, ``Udgivet``,
    ``Offentliggjort``, ``Version``, ``Udgivelse`` or ``Opgjort``; notes below the data only in column A.
    Every such text is read by :mod:`klyngedata.vocabulary`, which also accepts the usual variants (``85 år og
    derover``, ``Begge køn``, ``Kommuner``); a form it does not know is refused naming file, sheet, row and
    column, so a different real layout fails loudly instead of being misread.

Tidy schema (:func:`read_ruks`, :func:`load_ruks`), one row per figure x area x sex x age group x year
    ``measure`` (``prevalence``/``incidence``), ``disease`` (the file's text), ``area_level``
    (``country``/``region``/``municipality``), ``area_code`` (``DK``, ``1081``, ``0851``), ``region_code``,
    ``municipality_code`` (NA above municipality level), ``unit`` (``antal`` or ``pr. 100.000``),
    ``standardisation`` (``none``/``age``/``sex_age``), ``sex`` (``total``/``male``/``female``), ``age_group``
    (``total``, ``0-4``, ``85+``), ``age_lo``, ``age_hi`` (NA for the open top group and the total),
    ``age_total`` (bool), ``year`` (int), ``value`` (Float64), ``suppressed`` (bool: the cell was blank; value
    NA — never 0), ``source_row`` (the Excel row). *Not published* (``..``) is value NA with ``suppressed``
    False; a 0 is a 0.

Import (:func:`import_ruks`; ``klyngedata data import FILE.xlsx`` recognises the workbook by its sheet)
    Stored in the cache as ``ruks/hovedresultater`` with the file name, its checksum, the release the workbook
    states, the years and the import time; a new release replaces the cached one and the output says so
    (rows and years before and after).

Published figures (:func:`ruks_figures`)
    Counts pooled (:mod:`klyngedata.ruks.pooling`): units as the sum of their municipalities (a unit with
    København split by bydel gets no value, with a Danish reason), regions and Denmark from the file's own
    rows (Region Østdanmark as the sum of Hovedstaden's and Sjælland's rows), never a partial sum; crude rates
    per 100,000 from the file for its own rows and from pooled counts and the pooled population (the first
    period of the year, by sex and the RUKS age groups, :func:`klyngedata.population.population`) for the
    rest; the file's standardised rates only where every age-specific count behind them is shown.
    Disclosure control over everything (:mod:`klyngedata.ruks.control`).

Example
-------
Needs the RUKS workbook imported into the data directory; not run as a doctest.
>>> ruks_figures("cluster", disease="Type 2-diabetes", measure="prevalence")  # doctest: +SKIP
"""

from __future__ import annotations

from klyngedata.ruks.figures import FIGURE_COLUMNS, ruks_figures
from klyngedata.ruks.store import RUKS_KEY, RuksImport, import_ruks, load_ruks, ruks_meta
from klyngedata.ruks.workbook import RUKS_COLUMNS, is_ruks_workbook, read_ruks

__all__ = ["FIGURE_COLUMNS", "RUKS_COLUMNS", "RUKS_KEY", "RuksImport", "import_ruks", "is_ruks_workbook",
           "load_ruks", "read_ruks", "ruks_figures", "ruks_meta"]
