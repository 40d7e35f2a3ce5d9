"""Facts a unit's own secretariat confirms or corrects: ``lokale_oplysninger.csv`` in the data directory.

Public compilations of the councils' composition are secondary sources; a council's secretariat knows its own
facts. It writes them, with their source, in one CSV file beside the cache (``<data dir>/lokale_oplysninger.csv``),
and every report of the unit then shows them as "oplyst af sekretariatet" — they beat every public compilation
in the registry. The file is read and validated whenever a report is made; an error names the file, the row and
the column, and nothing of the file is used until it is corrected.

Format (UTF-8, with or without BOM; ``;`` or ``,`` as separator; a header row with these columns):

=============  =====================================================================================================
``enhed``      the unit's id or name (``sundhedsraad-vendsyssel``, ``Sundhedsråd Vendsyssel``)
``oplysning``  ``formand``, ``næstformand`` (a name, e.g. "Anna Hansen (A), regionsrådsmedlem"), ``akutsygehus``
               (one row per hospital), ``pladser`` (seats of one appointing body), ``møder_pr_år`` (a whole
               number), ``sekretariat`` (who serves the unit)
``del``        for ``pladser`` only: ``regionsrådet`` or the name of a member municipality; else empty
``værdi``      the fact (``pladser`` and ``møder_pr_år``: a whole number of at least 1)
``kilde``      where the fact is from, as readers should see it ("Referat af rådets møde 19. januar 2026")
``dato``       the date of the source: ``2026-01-19`` or ``19.01.2026``
=============  =====================================================================================================

When ``pladser`` is given, it must be given for the regional council and for every member municipality (the
composition is then the secretariat's as a whole; a partial list would mix sources in one table).

Example
-------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / FILE_NAME).write_text("enhed;oplysning;del;værdi;kilde;dato\\n"
...     "sundhedsraad-vendsyssel;formand;;Anna Hansen (regionsrådsmedlem);KONSTRUERET eksempel;2026-01-19\\n",
...     encoding="utf-8")
>>> local_facts("sundhedsraad-vendsyssel", d).one("formand").value
'Anna Hansen (regionsrådsmedlem)'
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

from klyngedata.exceptions import DataFormatError

__all__ = ["FACTS", "FILE_NAME", "LocalFact", "LocalFacts", "local_facts", "read_local_facts"]

FILE_NAME = "lokale_oplysninger.csv"
COLUMNS = ("enhed", "oplysning", "del", "værdi", "kilde", "dato")
FACTS = {"formand": "one", "næstformand": "one", "akutsygehus": "many", "pladser": "per part",
         "møder_pr_år": "one", "sekretariat": "one"}
"""The facts a secretariat can give, and how many rows each may have per unit."""
REGIONAL = "regionsrådet"
_ALIASES = {"naestformand": "næstformand", "moeder_pr_aar": "møder_pr_år", "møder pr. år": "møder_pr_år",
            "vaerdi": "værdi", "akutsygehuse": "akutsygehus"}


@dataclass(frozen=True)
class LocalFact:
    """One fact given by a unit's secretariat (``row``: its line in the file, for messages)."""

    unit_id: str
    fact: str
    part: str
    value: str
    source: str
    date: dt.date
    row: int

    def cited_da(self) -> str:
        """The fact's source as readers see it: "oplyst af sekretariatet (kilde, 19. januar 2026)"."""
        from klyngedata.formatting import date_da

        return f"oplyst af sekretariatet ({self.source}, {date_da(self.date)})"


@dataclass
class LocalFacts:
    """The facts of one unit (empty when its secretariat has given none)."""

    unit_id: str
    facts: list[LocalFact] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.facts)

    def all(self, fact: str) -> list[LocalFact]:
        return [f for f in self.facts if f.fact == fact]

    def one(self, fact: str) -> LocalFact | None:
        found = self.all(fact)
        return found[0] if found else None

    def seats(self) -> dict[str, int]:
        """Seats per appointing body (``regionsrådet`` or a municipality name); empty when not given."""
        return {f.part: int(f.value) for f in self.all("pladser")}


def _date(text: str) -> dt.date:
    t = text.strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(t, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (write 2026-01-19 or 19.01.2026)")


def _error(path: Path, row: int, column: str, problem: str) -> DataFormatError:
    return DataFormatError(f"{path}: row {row}, column {column!r}: {problem}; nothing of the file is used until "
                           "it is corrected")


def read_local_facts(data_dir: str | os.PathLike[str] | None = None) -> dict[str, LocalFacts]:
    """Every unit's local facts from ``<data dir>/lokale_oplysninger.csv`` (an empty mapping without the file).

    Raises :class:`~klyngedata.exceptions.DataFormatError` naming the file, row and column of the first problem:
    an unknown unit or fact, a missing source or date, a seat count that is no whole number, seats of a body
    that is not the regional council or a member, a fact given twice, seats not given for every body.
    """
    from klyngedata import registry
    from klyngedata.config import data_dir as resolve

    path = resolve(data_dir) / FILE_NAME
    if not path.exists():
        return {}
    text = path.read_bytes().decode("utf-8-sig")
    dialect = ";" if text.split("\n", 1)[0].count(";") >= text.split("\n", 1)[0].count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=dialect)
    header = [_ALIASES.get(h.strip().lower(), h.strip().lower()) for h in next(reader, [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise _error(path, 1, missing[0], f"the header lacks the column(s) {', '.join(missing)}")
    out: dict[str, LocalFacts] = {}
    seen: set[tuple[str, str, str]] = set()
    for n, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise _error(path, n, header[len(cells)] if len(cells) < len(header) else header[-1],
                         f"{len(cells)} cells where the header has {len(header)}")
        rec = {h: c.strip() for h, c in zip(header, cells, strict=True)}
        try:
            unit = registry.cluster(rec["enhed"])
        except Exception as exc:  # noqa: BLE001 - any failed look-up is the same problem for the user
            raise _error(path, n, "enhed", f"no unit is called {rec['enhed']!r}") from exc
        fact = _ALIASES.get(rec["oplysning"].lower(), rec["oplysning"].lower())
        if fact not in FACTS:
            raise _error(path, n, "oplysning", f"{rec['oplysning']!r} is not one of {', '.join(FACTS)}")
        part = rec["del"]
        if fact == "pladser":
            members = {m.lower(): m for m in unit.municipality_names}
            if part.lower() == REGIONAL:
                part = REGIONAL
            elif part.lower() in members:
                part = members[part.lower()]
            else:
                raise _error(path, n, "del", f"seats of {part!r}: write {REGIONAL} or a member municipality of "
                                             f"{unit.name} ({', '.join(unit.municipality_names)})")
        elif part:
            raise _error(path, n, "del", f"only the fact pladser has a part, not {fact}")
        if not rec["værdi"]:
            raise _error(path, n, "værdi", "the value is empty")
        if fact in ("pladser", "møder_pr_år") and (not rec["værdi"].isdigit() or int(rec["værdi"]) < 1):
            raise _error(path, n, "værdi", f"{rec['værdi']!r} is not a whole number of at least 1")
        if not rec["kilde"]:
            raise _error(path, n, "kilde", "every fact needs its source")
        try:
            when = _date(rec["dato"])
        except ValueError as exc:
            raise _error(path, n, "dato", str(exc)) from exc
        key = (unit.id, fact, part if FACTS[fact] == "per part" else (rec["værdi"] if FACTS[fact] == "many" else ""))
        if key in seen:
            raise _error(path, n, "oplysning", f"{fact} of {unit.name} is given twice")
        seen.add(key)
        out.setdefault(unit.id, LocalFacts(unit.id)).facts.append(
            LocalFact(unit.id, fact, part, rec["værdi"], rec["kilde"], when, n))
    for unit_id, facts in out.items():
        given = facts.seats()
        if given:
            unit = registry.cluster(unit_id)
            lacking = [b for b in (REGIONAL, *unit.municipality_names) if b not in given]
            if lacking:
                raise _error(path, facts.all("pladser")[0].row, "del",
                             f"seats of {unit.name} are given for some bodies only; add {', '.join(lacking)}")
    return out


def local_facts(unit: str, data_dir: str | os.PathLike[str] | None = None) -> LocalFacts:
    """The local facts of ``unit`` (an id or name); empty when none are given.

    Example: see the module docstring.
    """
    from klyngedata import registry

    unit_id = registry.cluster(unit).id
    return read_local_facts(data_dir).get(unit_id, LocalFacts(unit_id))
