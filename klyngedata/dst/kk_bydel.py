"""København's population by bydel from Københavns Kommune's own statbank (``/v1/s30/`` of the StatBank API).

In the 2022 division København (0101) is split by bydel between Sundhedsklynge Byen and Sundhedsklynge Syd
(``registry_data/memberships.csv``, ``unit_type = "bydel"``). :func:`fetch_kk_bydel` gets the bydel populations
the population module needs for that split and stores them where an imported unit-population file goes
(``population/units``, :data:`klyngedata.sources.UNIT_COLUMNS`), with the provenance "Københavns Kommune,
Statistikbanken, <table>".

How it works: ``/tables`` of the ``s30`` statbank (is the table listed and active?) -> its ``/tableinfo`` (the
variables and values, resolved as below) -> ``/data`` in CSV with value codes, a few periods per request (far
below the CSV cell limit), every variable selected explicitly -> checks -> the cache.

Resolved from the table's own metadata, never from guessed codes:

* the area variable is the one whose values are written "Bydel - <name>"; each name is matched to the registry's
  bydele of København with the registry's name folding (case, Danish letters, punctuation: "Vesterbro/Kongens
  Enghave" = "Vesterbro-Kongens Enghave"). A bydel the registry does not know, or a registry bydel the table
  lacks, is refused naming it. "Bydel - Uden for inddeling" (residents the kommune places in no bydel) is kept
  as the unit ``uden-for-inddeling``; "København i alt" is used to check the bydele's sum;
* sex and age are the variables with the id or text køn/alder, their values read by the vocabulary from their
  texts (``Køn i alt``, ``Mænd``, ``Kvinder``; ``Alder i alt``, ``0 år`` …, an open top group such as ``99+ år``);
  any other variable (civilstand) is held at its total (:func:`klyngedata.vocabulary.totals.is_total`);
* the periods are the time variable's ids read by the vocabulary; quarters and months are accepted.

Checks before anything is stored: every requested cell is in the answer exactly once (CSV, unlike BULK, writes
zero cells); the bydele incl. "Uden for inddeling" add up to "København i alt" (reported if not); and for each
period the bydele's sum must equal København's own total from Statistics Denmark in the cache (FOLK1A, else
FOLK1AM) within :data:`DST_TOLERANCE` (0.1 % of DST's figure) — a period outside it is not stored and a warning
names it, both totals and the difference; a period DST has no cached total for is stored unchecked and said so.
Periods are aligned by the day they count: a KK quarter is the population on the first day of the quarter, as
FOLK1A's quarter (``2024K1`` = 1 January 2024 = FOLK1AM's ``2024M01``); a KK month likewise. Other period types
are refused.

Never spliced: Københavns Kommune's projection (``KKFR<year>``) is a different run from DST's FRKM (public notes
put it 16,000 persons above DST's for 2040); this module refuses a projection table and nothing here feeds the
DST projection.

What is known about the s30 statbank (public sources, searched 2026-12-07; no live call was possible):

* **Confirmed** in working public code (``real-estate-war-lord/am-dashboard-dk``: ``scripts/fetch_statbank.py``,
  ``build_cph_forecast.py``, ``build_cph_backtest.py``, ``docs/FORECAST_SOURCES.md``) and an academic scraper of
  ``kk.statistikbank.dk``: the endpoints ``/v1/s30/tables``, ``/v1/s30/tableinfo`` (also as GET
  ``…/tableinfo/<id>?lang=en&format=JSON``) and ``/v1/s30/data`` (POST, ``format: CSV``, ``valuePresentation:
  Code``, ``delimiter: Semicolon``; the ``?database=s30`` query form is refused with EXTRACT-NOTFOUND); the
  answers have the StatBank shapes (tableinfo keys ``id, text, description, unit, suppressedDataValue, updated,
  active, contacts, documentation, footnote, variables``; CSV header = variable ids upper-cased + ``TID`` +
  ``INDHOLD``); KKBEF1 is "Population by district, sex, age and marital status" with variables ``OMRKK``,
  ``KON``, ``ALDER``, ``CIVILSTAND``, ``Tid``, all with the total ``TOT``, quarterly periods ``2026K3`` and a
  93-value OMRKK list identical to that of KKFR2026; KKFR2026's recorded tableinfo writes the city ``1000``
  "København i alt", the bydele ``1001``–``1010`` "Bydel - Indre By", "Bydel - Østerbro", "Bydel - Nørrebro",
  "Bydel - Vesterbro/Kongens Enghave", "Bydel - Valby", "Bydel - Vanløse", "Bydel - Brønshøj-Husum", "Bydel -
  Bispebjerg", "Bydel - Amager Øst", "Bydel - Amager Vest" and ``1099`` "Bydel - Uden for inddeling" (about 3,700
  persons, 0.55 % in 2026), then 12 lokaludvalg ``20xx`` and 67 kvarterer ``2xxxx``; ``KON`` ``TOT`` "Køn i
  alt", ``01`` "Mænd", ``02`` "Kvinder"; ``ALDER`` ``TOT`` "Alder i alt", ``00`` "0 år" … ``99`` "99+ år"; the
  bydele with "Uden for inddeling" add up to the city total (within rounding in the projection).
* **Assumed** (not seen in a KKBEF1 answer or tableinfo): that KKBEF1's value texts are those of KKFR2026 (one
  public note says the code lists are byte-identical; the texts were only seen for KKFR2026); that a KKBEF1
  quarter counts the first day of the quarter (the public backtest treats ``K1`` as 1 January); that KKBEF1's
  counts are not rounded, so the bydele add up to the city exactly; that KK's total for a quarter is
  within 0.1 % of DST's FOLK1A for København (no public comparison of KKBEF1 with FOLK1A was found — the
  tolerance allows for different extraction dates and says so when it is exceeded); that the s30 API follows
  the same rules as DST's (the replay in the tests enforces those).

Example
-------
Needs the network (Københavns Kommune's statbank); not run as a doctest.
>>> result = fetch_kk_bydel(data_dir="/tmp/kd")  # doctest: +SKIP
>>> result.key, result.table  # doctest: +SKIP
('population/units', 'KKBEF1')
"""

from __future__ import annotations

import datetime as dt
import os
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from klyngedata import settings
from klyngedata.cache import Cache
from klyngedata.dst.cells import read_records
from klyngedata.dst.client import KK_DATABASE, StatBankClient
from klyngedata.dst.errors import StatBankError
from klyngedata.dst.metadata import listing_entry, parse_updated, total_code
from klyngedata.dst.parse import parse_counts
from klyngedata.exceptions import UnknownValue
from klyngedata.sources import UNPLACED_UNIT, store_units
from klyngedata.vocabulary import AgeBand, parse_age, parse_period, parse_sex, period_code

__all__ = ["DST_TOLERANCE", "KK_TABLE", "BydelFetch", "KKBydelWarning", "fetch_kk_bydel", "resolve_table"]

KK_TABLE = "KKBEF1"
MUNICIPALITY = "0101"
UNIT_TYPE = "bydel"
DST_TOLERANCE = 0.001
"""How far the bydele's sum may be from DST's total for København in the same period: 0.1 % of DST's figure."""
CHUNK = 8
SOURCE = "Københavns Kommune, Statistikbanken, {table}"
ENV_OFFLINE = settings.VARIABLES["offline"]
_PUBLISHER = "Københavns Kommunes statistikbank"
_UNCHANGED = "bydelstallene i den lokale datamappe er uændrede"
_BYDEL = re.compile(r"^\s*bydel\s*[-–:]\s*(.+?)\s*$", re.IGNORECASE)
_CITY = re.compile(r"^\s*københavns?(\s+kommune)?\s+i\s*alt\s*$", re.IGNORECASE)


class KKBydelWarning(UserWarning):
    """A period of Københavns Kommune's bydel populations was not stored (its sum disagrees with DST's)."""


@dataclass
class Resolved:
    """A bydel population table resolved from its tableinfo: variable ids and what each value code means."""

    table: str
    area_var: str
    units: dict[str, tuple[str, str]]  # area code -> (unit code, unit name)
    city: str | None
    sex_var: str | None
    sexes: dict[str, str]  # code -> total/male/female
    age_var: str | None
    ages: dict[str, AgeBand | None]  # code -> band (None = all ages)
    time_var: str
    periods: dict[str, pd.Period]  # code -> period
    fixed: dict[str, str] = field(default_factory=dict)  # other variables -> their total code
    order: list[str] = field(default_factory=list)  # variable ids in tableinfo order

    def selection(self, periods: Sequence[str], by_sex_age: bool) -> dict[str, list[str]]:
        """The ``/data`` variables: every variable selected explicitly, in tableinfo order."""
        chosen = {self.area_var: list(self.units) + ([self.city] if self.city else []), self.time_var: list(periods)}
        if self.sex_var:
            chosen[self.sex_var] = list(self.sexes) if by_sex_age else [_total(self.sexes)]
        if self.age_var:
            chosen[self.age_var] = list(self.ages) if by_sex_age else [_total(self.ages)]
        chosen.update({k: [v] for k, v in self.fixed.items()})
        return {v: chosen[v] for v in self.order}


@dataclass
class BydelFetch:
    """What :func:`fetch_kk_bydel` stored and checked."""

    key: str | None
    table: str
    periods: list[str]
    checked: dict[str, str] = field(default_factory=dict)  # period -> the DST table it was checked against
    unchecked: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # period -> why it was not stored
    notes: list[str] = field(default_factory=list)
    rows: int = 0

    def __str__(self) -> str:
        span = f"{self.periods[0]}..{self.periods[-1]} ({len(self.periods)})" if self.periods else "-"
        return (f"{self.key}: {self.table} (Københavns Kommune), {self.rows} rows, periods {span}; "
                f"{len(self.checked)} checked against Statistics Denmark's total, {len(self.unchecked)} unchecked, "
                f"{len(self.refused)} not stored")


def _total(values: Mapping[str, Any]) -> str:
    return next(code for code, v in values.items() if v in (None, "total"))


def _refuse(table: str, text: str, problem: str) -> StatBankError:
    return StatBankError(f"{_PUBLISHER} (tabel {table}): {text}; {_UNCHANGED}.", table=table, endpoint="tableinfo",
                         request={"table": table}, problem=problem)


def resolve_table(listing: Sequence[Mapping[str, Any]], table: str = KK_TABLE) -> Mapping[str, Any]:
    """The ``/tables`` row of ``table`` in the s30 listing; refused (Danish) when absent or inactive.

    Example
    -------
    >>> resolve_table([{"id": "KKBEF1", "active": True}])["id"]
    'KKBEF1'
    """
    entry = listing_entry(listing, table)
    if entry is None or entry.get("active", True) is not True:
        state = "findes ikke i tabeloversigten" if entry is None else "er ikke længere aktiv"
        raise _refuse(table, f"tabellen {state} – kommunen kan have erstattet den", "not listed or inactive")
    return entry


def _bydele() -> dict[str, tuple[str, str]]:
    """Folded name -> (unit code, name) of København's bydele in every division of the registry."""
    from klyngedata import registry

    out: dict[str, tuple[str, str]] = {}
    for division in registry.divisions()["division"]:
        m = registry.membership(division)
        m = m[(m["municipality_code"] == MUNICIPALITY) & (m["unit_type"] == UNIT_TYPE)]
        for code, name in zip(m["unit_code"], m["unit_name"], strict=True):
            out[registry.fold_name(name)] = (str(code), str(name))
    return out


def _area(info: Mapping[str, Any], table: str) -> tuple[str, dict[str, tuple[str, str]], str | None]:
    """The area variable, its bydel codes -> (unit code, name), and the city total's code."""
    from klyngedata.registry import fold_name

    candidates = [v for v in info["variables"] if not v.get("time")
                  and any(_BYDEL.match(str(x.get("text", ""))) for x in v.get("values", []))]
    if not candidates:
        names = ", ".join(str(v.get("id")) for v in info["variables"])
        raise _refuse(table, f"ingen variabel har bydele som værdier (»Bydel - …«; tabellens variable er {names}) "
                      "– tabellen er lagt om", "no area variable with 'Bydel - ' values")
    var = candidates[0]
    known = _bydele()
    units: dict[str, tuple[str, str]] = {}
    unknown: list[str] = []
    city = None
    for value in var["values"]:
        text, code = str(value.get("text", "")), str(value["id"])
        if _CITY.match(text):
            city = code
        if not (m := _BYDEL.match(text)):
            continue
        name = m.group(1)
        if fold_name(name) == fold_name("Uden for inddeling"):
            units[code] = (UNPLACED_UNIT, name)
        elif fold_name(name) in known:
            units[code] = known[fold_name(name)]
        else:
            unknown.append(f"»{name}« (kode {code})")
    if unknown:
        raise _refuse(table, f"variablen {var['id']} har en bydel, som klyngedatas register ikke kender: "
                      f"{', '.join(unknown)}; registerets bydele er {', '.join(n for _, n in known.values())} – "
                      "bydelene kan være lagt om, og klyngerne kan ikke fordeles uden at gætte", f"unknown {unknown}")
    missing = sorted(n for c, n in known.values() if c not in {u for u, _ in units.values()})
    if missing:
        raise _refuse(table, f"variablen {var['id']} mangler {'bydelen' if len(missing) == 1 else 'bydelene'} "
                      f"{', '.join(missing)}, som klyngedatas register fordeler København efter – klyngerne kan "
                      "ikke fordeles uden at gætte", f"missing {missing}")
    return str(var["id"]), units, city


def _values(var: Mapping[str, Any], parse: Callable[[object], Any], table: str, what: str,
            by: str = "text") -> dict[str, Any]:
    """Each value code of ``var`` -> ``parse`` of its text (``by="id"``: of its id); refused naming the value."""
    out = {}
    for value in var.get("values", []):
        try:
            out[str(value["id"])] = parse(value.get(by, value["id"]))
        except UnknownValue as exc:
            raise _refuse(table, f"variablen {var['id']} ({what}) har værdien »{value.get('text')}« (kode "
                          f"{value['id']}), som klyngedata ikke kan læse – tabellen er lagt om",
                          f"{what}: {exc}") from None
    return out


def resolve(info: Mapping[str, Any], table: str | None = None) -> Resolved:
    """Resolve a bydel population table from its ``/tableinfo`` (see the module docstring); refuses in Danish
    naming table, variable and what was found when the shape is not one klyngedata can read.

    Example
    -------
    Needs the network (the table's metadata from Københavns Kommune's statbank); not run as a doctest.
    >>> resolve(client.tableinfo("KKBEF1")).area_var  # doctest: +SKIP
    'OMRKK'
    """
    table = str(table or info.get("id") or KK_TABLE).upper()
    about = f"{info.get('text', '')} {info.get('description', '')}".casefold()
    if "fremskrivning" in about or "prognose" in about:
        raise _refuse(table, "tabellen er en befolkningsfremskrivning; klyngedata henter kun kommunens opgjorte "
                      "befolkning efter bydel og blander aldrig kommunens fremskrivning med Danmarks Statistiks",
                      "projection table")
    area_var, units, city = _area(info, table)
    times = [v for v in info["variables"] if v.get("time")]
    if len(times) != 1:
        raise _refuse(table, "tabellen har ikke netop én tidsvariabel – tabellen er lagt om", "time variable")
    periods = _values(times[0], lambda code: parse_period(str(code)), table, "tid", by="id")
    kinds = {p.freqstr[0] for p in periods.values()}
    if not kinds <= {"Q", "M"}:
        raise _refuse(table, "perioderne er hverken kvartaler eller måneder (fx "
                      f"{next(iter(periods))}), så de kan ikke stilles over for Danmarks Statistiks opgørelse den "
                      "1. i kvartalet eller måneden", f"period kinds {sorted(kinds)}")
    res = Resolved(table, area_var, units, city, None, {}, None, {}, str(times[0]["id"]), periods,
                   order=[str(v["id"]) for v in info["variables"]])
    for var in info["variables"]:
        vid, text = str(var["id"]), str(var.get("text", "")).casefold()
        if vid in (area_var, res.time_var):
            continue
        if vid.upper() in {"KON", "KØN", "KOEN"} or text == "køn":
            res.sex_var, res.sexes = vid, _values(var, parse_sex, table, "køn")
        elif vid.upper() == "ALDER" or text == "alder":
            res.age_var, res.ages = vid, _values(var, parse_age, table, "alder")
        else:
            tot = total_code(info, vid)
            if tot is None:
                raise _refuse(table, f"variablen {vid} ({var.get('text')}) har ingen total (I alt), så den kan ikke "
                              "holdes fast – tabellen er lagt om", f"variable {vid} has no total")
            res.fixed[vid] = tot
    for var, values, what in ((res.sex_var, res.sexes, "køn"), (res.age_var, res.ages, "alder")):
        if var and not any(v in (None, "total") for v in values.values()):
            raise _refuse(table, f"variablen {var} ({what}) har ingen total (I alt) – tabellen er lagt om",
                          f"{var} has no total")
    return res


def _parse_answer(raw: bytes, res: Resolved, periods: Sequence[str], by_sex_age: bool, where: str) -> pd.DataFrame:
    """The answer's cells as unit rows (:data:`klyngedata.sources.UNIT_COLUMNS` plus ``_area``); every requested
    cell must be there exactly once."""
    frame, file, _ = read_records(raw, where)
    cols = {c.upper(): c for c in frame.columns}
    col = {}
    for v in res.order:
        c = cols.get(v.upper()) or (cols.get("TID") if v == res.time_var else None)
        if c is None:
            raise _refuse(res.table, f"svaret mangler kolonnen {v.upper()} (det har {', '.join(frame.columns)})",
                          f"answer without column {v}")
        col[v] = c
    if "INDHOLD" not in cols:
        raise _refuse(res.table, "svaret mangler kolonnen INDHOLD", "answer without INDHOLD")
    sel = res.selection(periods, by_sex_age)
    for v, allowed in sel.items():
        bad = ~frame[col[v]].isin(allowed)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise _refuse(res.table, f"svaret har værdien {frame[col[v]].iloc[i]} i kolonnen {v.upper()} (række "
                          f"{i + 2}), som ikke blev spurgt om", f"unasked value in {v}")
    keys = [col[v] for v in sel]
    dup = frame.duplicated(keys)
    expected = int(np.prod([len(x) for x in sel.values()]))
    if dup.any() or len(frame) != expected:
        raise _refuse(res.table, f"svaret har {len(frame)} celler, men der blev spurgt om {expected} (hver én gang)"
                      " – svaret er ufuldstændigt", f"{len(frame)} cells for {expected}")
    area = frame[col[res.area_var]]
    sexes = frame[col[res.sex_var]].map(res.sexes) if res.sex_var else pd.Series("total", index=frame.index)
    bands = frame[col[res.age_var]].map(res.ages) if res.age_var else pd.Series(None, index=frame.index)
    out = pd.DataFrame({
        "_area": area.astype(str),
        "municipality_code": MUNICIPALITY,
        "unit_type": UNIT_TYPE,
        "unit_code": area.map(lambda a: res.units[a][0] if a in res.units else pd.NA),
        "unit_name": area.map(lambda a: res.units[a][1] if a in res.units else pd.NA),
        "sex": sexes.astype(str),
        "age": pd.array([None if b is None else b.lo for b in bands], dtype="Int64"),
        "age_open": [bool(b is not None and b.is_open) for b in bands],
        "_single": [b is None or b.is_open or b.hi == b.lo for b in bands],
        "period": frame[col[res.time_var]].map(res.periods),
        "population": parse_counts(frame[cols["INDHOLD"]], file, "INDHOLD"),
    })
    for c in ("municipality_code", "unit_type", "unit_code", "unit_name", "sex"):
        out[c] = out[c].astype("string")
    return out


def _fetched(client: StatBankClient, res: Resolved, wanted: list[str], by_sex_age: bool,
             progress: Callable[[int, int], None] | None) -> pd.DataFrame:
    chunks = [wanted[i:i + CHUNK] for i in range(0, len(wanted), CHUNK)]
    frames = []
    for i, chunk in enumerate(chunks, 1):
        raw = client.data(res.table, res.selection(chunk, by_sex_age), format="CSV", value_presentation="Code")
        frames.append(_parse_answer(raw, res, chunk, by_sex_age,
                                    f"{_PUBLISHER} {res.table} {chunk[0]}..{chunk[-1]}"))
        if progress is not None:
            progress(i, len(chunks))
    return pd.concat(frames, ignore_index=True)


def _dst_totals(data_dir: Any, periods: Sequence[pd.Period]) -> tuple[dict[pd.Period, tuple[int, str]], list[str]]:
    """DST's total for København on the day each KK period counts: ``{kk period: (total, table)}`` and notes."""
    cache = Cache(data_dir)
    found: dict[pd.Period, tuple[int, str]] = {}
    notes: list[str] = []
    for table in ("FOLK1A", "FOLK1AM"):
        key = f"population/{table}"
        state, problem = cache.state(key)
        if state == "missing":
            continue
        if state != "ok":
            notes.append(f"the cached {table} is {state} ({problem}); not used to check the bydele")
            continue
        dst = cache.read(key, filters=[("area_code", "==", MUNICIPALITY), ("sex", "==", "total")])
        dst = dst[dst["age"].isna() & dst["population"].notna()]
        by_day = {p.start_time: int(n) for p, n in zip(dst["period"], dst["population"], strict=True)}
        for p in periods:
            if p not in found and p.start_time in by_day:
                found[p] = (by_day[p.start_time], table)
    return found, notes


def _check(frame: pd.DataFrame, res: Resolved, data_dir: Any, tolerance: float, result: BydelFetch) -> pd.DataFrame:
    """The checks of the module docstring; returns the rows to store (refused periods left out)."""
    tot = frame[(frame["sex"] == "total") & frame["age"].isna()]
    units = tot[tot["unit_code"].notna()].groupby("period")["population"].agg(lambda s: s.sum(skipna=False))
    if res.city:
        city = tot[tot["_area"] == res.city].set_index("period")["population"]
        for p, n in units.items():
            if pd.notna(n) and pd.notna(city.get(p)) and int(n) != int(city[p]):
                result.notes.append(f"{period_code(p)}: the bydele add up to {int(n)}, but {res.table}'s own total "
                                    f"for København is {int(city[p])}")
    dst, notes = _dst_totals(data_dir, list(units.index))
    result.notes += notes
    refused = set()
    for p, n in units.items():
        code = period_code(p)
        if p not in dst or pd.isna(n):
            result.unchecked.append(code)
            continue
        total, table = dst[p]
        allowed = int(tolerance * total)
        if abs(int(n) - total) > allowed:
            refused.add(p)
            result.refused[code] = (f"the bydele add up to {int(n)} but Statistics Denmark's {table} has "
                                    f"{total} for København on the same day ({int(n) - total:+d}; tolerance "
                                    f"±{allowed}, {tolerance:.1%})")
        else:
            result.checked[code] = table
    if refused:
        warnings.warn(f"{res.table} (Københavns Kommune): not stored for "
                      + "; ".join(f"{k}: {v}" for k, v in result.refused.items()), KKBydelWarning, stacklevel=3)
    keep = frame[~frame["period"].isin(refused) & frame["unit_code"].notna() & frame["_single"]]
    if not frame["_single"].all():
        result.notes.append(f"{res.table}'s ages come in bands wider than a year; only its totals are stored")
    return keep


def fetch_kk_bydel(data_dir: str | os.PathLike[str] | None = None, client: StatBankClient | None = None, *,
                   table: str = KK_TABLE, by_sex_age: bool = True, tolerance: float = DST_TOLERANCE,
                   progress: Callable[[int, int], None] | None = None) -> BydelFetch:
    """Fetch København's population by bydel (every period, total and by sex and single age) from Københavns
    Kommune's statbank into the unit populations of the cache (module docstring: resolution, checks, what is
    confirmed and assumed). Offline (``$KLYNGEDATA_OFFLINE``) it refuses and says so; the cache is unchanged.

    Example
    -------
    Needs the network (Københavns Kommune's statbank); not run as a doctest.
    >>> print(fetch_kk_bydel(data_dir="/tmp/kd"))  # doctest: +SKIP
    population/units: KKBEF1 (Københavns Kommune), … rows, periods 2008K1..2026K4 (76); 76 checked …
    """
    table = table.upper()
    if settings.current().offline:
        raise StatBankError(f"{_PUBLISHER} (tabel {table}) hentes ikke, fordi klyngedata arbejder offline "
                            f"(KLYNGEDATA_OFFLINE er sat); {_UNCHANGED}.", table=table, endpoint="tables",
                            problem="offline")
    client = client or StatBankClient(database=KK_DATABASE)
    entry = resolve_table(client.tables(), table)
    info = client.tableinfo(table)
    res = resolve(info, table)
    fetched_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    frame = _fetched(client, res, list(res.periods), by_sex_age, progress)
    result = BydelFetch(None, table, [])
    keep = _check(frame, res, data_dir, tolerance, result)
    result.periods = sorted({period_code(p) for p in keep["period"].unique()})
    if keep.empty:
        raise _refuse(table, "ingen periode kunne gemmes (" + "; ".join(f"{k}: {v}" for k, v in
                                                                      result.refused.items()) + ")", "nothing kept")
    updated = parse_updated(info.get("updated") or entry.get("updated"))
    origin = {"table": table, "source": SOURCE.format(table=table), "fetched_at": fetched_at,
              "updated": updated.isoformat() if updated else None, "statbank": client.url,
              "checked_against_dst": result.checked, "unchecked": result.unchecked, "refused": result.refused}
    result.key, _ = store_units(keep.drop(columns=["_area", "_single"]), data_dir, origin=origin)
    result.rows = len(keep)
    return result
