"""Resolving a health table's variables and values from its own metadata – or refusing with one Danish sentence.

:func:`resolve` reads a ``/tableinfo`` document against the table's catalogue entry
(:mod:`klyngedata.dst.health_tables`) and returns a :class:`Resolution`: for every variable of the table its
role, the value ids to request, and what each value *means* (an area, a sex, an
:class:`~klyngedata.vocabulary.AgeBand`, a period, a measure key, "total" or "part"). Meanings come from the
vocabulary applied to each value's **text** (a table's own codes such as HJEMSYG's ``100`` = both sexes are
never read as numbers), or from an id the catalogue marks confirmed. :func:`resolve_columns` does the same for
the columns of a StatBank CSV export that comes without metadata (presentation ``Code``, ``Value`` or
``CodeAndValue`` recognised per column).

A table whose shape changed is refused with :class:`TableShapeChanged` – one Danish sentence naming the table,
the variable and what was found: a variable missing, a new variable, a needed value missing (a total, a wanted
measure), a value whose text the vocabulary does not understand. Area values klyngedata does not know ("Uoplyst",
landsdele) are not refused: they are left out and named in :attr:`Resolution.left_out`.

Example
-------
>>> from klyngedata.dst.health_tables import table
>>> INFO = {"id": "HISBK", "variables": [  # constructed example, shaped like a /tableinfo answer
...     {"id": "OMRÅDE", "text": "område", "values": [{"id": "0", "text": "Hele landet"},
...                                                  {"id": "851", "text": "Aalborg"}]},
...     {"id": "KØN", "text": "køn", "values": [{"id": "TOT", "text": "I alt"}]},
...     {"id": "Tid", "text": "tid", "time": True, "values": [{"id": "2020:2024", "text": "2020:2024"}]}]}
>>> r = resolve(table("HISBK"), INFO)
>>> [(c.id, c.role, c.select) for c in r.columns]
[('OMRÅDE', 'area', ['0', '851']), ('KØN', 'sex', ['TOT']), ('Tid', 'time', ['2020:2024'])]
>>> resolve(table("FOD207"), INFO)
Traceback (most recent call last):
...
klyngedata.dst.health_resolve.TableShapeChanged: Tabel FOD207 i Statistikbanken er lagt om: den har ikke \
længere variablen alder (den har område, køn, tid) – klyngedata henter den derfor ikke; opdatér klyngedata, eller \
hent tallene som fil på statistikbanken.dk og indlæs dem med `klyngedata data import FIL`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from klyngedata import vocabulary
from klyngedata.dst.cells import parse_area
from klyngedata.dst.errors import IMPORT_INSTEAD, StatBankError
from klyngedata.dst.health_tables import HealthTable, Measure, Var
from klyngedata.exceptions import LookupFailed, UnknownValue
from klyngedata.vocabulary.totals import is_total

OLDEST_AGE = 125
"""No age band starts above this (a parsed "age" over it is a code, not an age: HJEMSYG's ``375`` = 65-69)."""


class TableShapeChanged(StatBankError):
    """A table's variables or values are not what its catalogue entry expects (one Danish sentence)."""


def refuse(table: str, what: str) -> TableShapeChanged:
    """The refusal for a changed table: ``what`` says which variable and what was found (Danish).

    >>> str(refuse("SBR01", "variablen køn har ingen værdi for i alt eller for begge køn"))[:40]
    'Tabel SBR01 i Statistikbanken er lagt om'
    """
    return TableShapeChanged(f"Tabel {table} i Statistikbanken er lagt om: {what} – klyngedata henter den derfor "
                             f"ikke; opdatér klyngedata, {IMPORT_INSTEAD}.", table=table, endpoint="tableinfo",
                             problem=what)


@dataclass
class Column:
    """One variable of a table (or column of an export) with its role and the meaning of each value."""

    id: str
    text: str
    role: str
    spec: Var
    values: list[tuple[str, str, Any]] = field(default_factory=list)
    """``(id, text, meaning)`` of each value klyngedata uses (areas it does not know are not listed)."""
    left_out: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    """The text (or id) of every value the variable has, for messages."""
    left_out_cells: set[str] = field(default_factory=set)
    """Cells of an export that name a left-out value."""

    @property
    def select(self) -> list[str]:
        """The value ids to request: every value used (for ``total``: only the total)."""
        if self.role == "total" or (self.role == "sum" and any(m == "total" for _, _, m in self.values)):
            return [i for i, _, m in self.values if m == "total"]
        return [i for i, _, _ in self.values]

    def cells(self) -> dict[str, Any]:
        """Every form a cell of this variable takes in an answer (``id``, ``text``, ``id text``) → meaning;
        a form shared by two values with different meanings is left out (only the unambiguous ones map)."""
        out: dict[str, Any] = {}
        clash: set[str] = set()
        for vid, text, meaning in self.values:
            for form in {vid, text, f"{vid} {text}".strip()}:
                if form in out and out[form] != meaning:
                    clash.add(form)
                out.setdefault(form, meaning)
        for form in clash:
            del out[form]
        return out


@dataclass
class Resolution:
    """A table resolved against its catalogue entry: columns in the table's order, the measures found."""

    table: HealthTable
    columns: list[Column]
    measures: dict[str, tuple[str, str]] = field(default_factory=dict)
    """measure key → ``(value id, text)`` as the table writes it (a table without a measure variable: empty)."""
    missing_optional: list[str] = field(default_factory=list)

    def column(self, role: str) -> Column | None:
        """The (first) column playing ``role``."""
        return next((c for c in self.columns if c.role == role), None)

    @property
    def left_out(self) -> dict[str, list[str]]:
        """Values of each variable that are not fetched (areas klyngedata does not know)."""
        return {c.id: c.left_out for c in self.columns if c.left_out}

    @property
    def shape(self) -> dict[str, Any]:
        """What must stay the same between releases for cached rows to be merged: the roles present (with the
        variable's text), the kind of value and the measures. ``period_kind`` is added by the reader."""
        return {"roles": sorted(f"{c.role}:{c.spec.texts[0] if c.spec.texts else c.id.lower()}"
                                for c in self.columns),
                "value": self.table.value}


# ---------------------------------------------------------------------------------------------
# one value: what does it mean?
# ---------------------------------------------------------------------------------------------
def _sex(spec: Var, vid: str | None, text: str | None) -> str:
    by_code = spec.codes.get(vid or "")
    if text:
        meaning = vocabulary.parse_sex(text)
        if by_code is not None and by_code != meaning:
            raise UnknownValue(f"code {vid!r} means {by_code} but the text {text!r} says {meaning}")
        return meaning
    return by_code or vocabulary.parse_sex(vid)


def _age(spec: Var, vid: str | None, text: str | None) -> vocabulary.AgeBand | None:
    if vid and spec.codes.get(vid) == "total":
        if text and not vocabulary.is_age_total(text):
            raise UnknownValue(f"code {vid!r} is the total but the text says {text!r}")
        return None
    band = vocabulary.parse_age(text if text else vid)
    if band is not None and band.lo > OLDEST_AGE:
        raise UnknownValue(f"{text or vid!r} is not an age")
    return band


def _total_or_part(spec: Var, vid: str | None, text: str | None) -> str:
    if (vid and spec.codes.get(vid) == "total") or is_total(vid, text) \
            or (text or "").strip().lower() in spec.total_texts:
        return "total"
    return "part"


def _measure(measures: Sequence[Measure], vid: str | None, text: str | None, table: str, var: str) -> str | None:
    low = (text or "").strip().lower()
    for m in measures:
        if vid and vid in m.ids:
            if text and low not in m.texts:
                raise refuse(table, f"værdien {vid} af variablen {var} hedder nu »{text}« (klyngedata venter "
                                    f"»{m.label_da}«)")
            return m.key
    return next((m.key for m in measures if low and low in m.texts), None)


def meaning(table: HealthTable, spec: Var, vid: str | None, text: str | None) -> Any:
    """What one value means for a variable of ``spec``'s role (raises UnknownValue or LookupFailed).

    >>> from klyngedata.dst.health_tables import table
    >>> t = table("HJEMSYG")
    >>> meaning(t, t.role("sex"), "100", "Mænd og kvinder i alt"), meaning(t, t.role("age"), "100", "Under 65 år")
    ('total', AgeBand(lo=0, hi=64))
    """
    role = spec.role
    if role == "area":
        return parse_area(f"{vid} {text}" if vid and text else (vid or text))[:2]
    if role == "time":
        return vocabulary.parse_period(f"{vid} {text}" if vid and text and vid != text else (vid or text))
    if role == "sex":
        return _sex(spec, vid, text)
    if role == "age":
        return _age(spec, vid, text)
    if role == "measure":
        return _measure(table.measures, vid, text, table.id, spec.texts[0] if spec.texts else "?")
    return _total_or_part(spec, vid, text)


# ---------------------------------------------------------------------------------------------
# a whole table
# ---------------------------------------------------------------------------------------------
def _label(v: Mapping[str, Any]) -> str:
    return str(v.get("text") or v.get("id"))


def _match(spec: Var, variables: Sequence[Mapping[str, Any]], taken: set[int]) -> int | None:
    """Index of the variable ``spec`` describes: by confirmed id first, then by whole text (time: ``time``)."""
    for by in ("id", "text"):
        for i, v in enumerate(variables):
            if i in taken:
                continue
            if by == "id" and (str(v.get("id", "")).upper() in spec.ids or (spec.role == "time" and v.get("time"))):
                return i
            if by == "text" and str(v.get("text", "")).strip().lower() in spec.texts:
                return i
    return None


def _values(table: HealthTable, spec: Var, var: Mapping[str, Any]) -> Column:
    vid_var, text_var = str(var.get("id")), str(var.get("text") or var.get("id"))
    col = Column(vid_var, text_var, spec.role, spec)
    for v in var.get("values") or []:
        vid, text = str(v.get("id", "")).strip(), str(v.get("text", "")).strip()
        col.labels.append(text or vid)
        try:
            m = meaning(table, spec, vid, text)
        except LookupFailed:
            col.left_out.append(f"{vid} {text}".strip())  # an area klyngedata does not know
            continue
        except ValueError as exc:
            raise refuse(table.id, f"variablen {text_var} har værdien »{_label(v)}«, som klyngedata ikke forstår "
                                   f"({exc})") from None
        if spec.role == "measure" and m is None:
            continue  # a figure of the table klyngedata does not fetch
        col.values.append((vid, text, m))
    return col


def resolve(table: HealthTable, info: Mapping[str, Any]) -> Resolution:
    """Resolve ``info`` (a ``/tableinfo`` answer) against ``table``'s catalogue entry, or raise
    :class:`TableShapeChanged` (see the module docstring).

    Example
    -------
    >>> from klyngedata.dst.health_tables import table
    >>> resolve(table("HISBK"), {"variables": []})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    klyngedata.dst.health_resolve.TableShapeChanged: Tabel HISBK i Statistikbanken er lagt om: den har ikke ...
    """
    variables = list(info.get("variables") or [])
    taken: dict[int, Var] = {}
    for spec in table.variables:
        i = _match(spec, variables, set(taken))
        if i is None:
            have = ", ".join(_label({"id": v.get("id"), "text": v.get("text")}) for v in variables) or "ingen"
            raise refuse(table.id, f"den har ikke længere variablen {spec.texts[0] if spec.texts else spec.ids[0]} "
                                   f"(den har {have})")
        taken[i] = spec
    extra = [v for i, v in enumerate(variables) if i not in taken]
    if extra:
        raise refuse(table.id, f"den har fået variablen {_label(extra[0])} ({extra[0].get('id')}), som klyngedata "
                               "ikke kender")
    columns = [_values(table, taken[i], variables[i]) for i in sorted(taken)]
    return check(table, columns)


def _found(col: Column) -> str:
    shown = [f"»{x}«" for x in col.labels[:8]] + (["…"] if len(col.labels) > 8 else [])
    return ", ".join(shown) or "ingen værdier"


def check(table: HealthTable, columns: list[Column], *, export: bool = False) -> Resolution:
    """The checks shared by tables and exports: every role has the values it needs.

    A total variable needs its total; sex and age their total (a table whose totals are derived: both sexes);
    an area variable at least one municipality; time some value; a measure variable every required measure
    (once). An export
    (``export=True``) may hold a part of a table: it needs some known area and some wanted measure.
    """
    res = Resolution(table, columns)
    for col in columns:
        meanings = [m for _, _, m in col.values]
        found = _found(col)
        if col.role == "total" and not export and "total" not in meanings:
            raise refuse(table.id, f"variablen {col.text} har ingen værdi for i alt (den har {found})")
        if col.role == "sex" and not export and not table.derive_totals and "total" not in meanings:
            raise refuse(table.id, f"variablen {col.text} har ingen værdi for i alt (den har {found})")
        if col.role == "sex" and not export and table.derive_totals and not {"male", "female"} <= set(meanings):
            raise refuse(table.id, f"variablen {col.text} har ikke begge køn (den har {found})")
        if col.role == "age" and not export and not table.derive_totals and None not in meanings:
            raise refuse(table.id, f"variablen {col.text} har ingen værdi for alder i alt (den har {found})")
        if col.role == "area" and not any(m[0] == "municipality" or export for m in meanings):
            raise refuse(table.id, f"variablen {col.text} har ingen kommuner (den har {found})")
        if col.role in ("age", "time") and not meanings:
            raise refuse(table.id, f"variablen {col.text} har ingen værdier")
        if col.role == "measure":
            for m in table.measures:
                hits = [(i, t) for i, t, k in col.values if k == m.key]
                if len(hits) > 1:
                    raise refuse(table.id, f"variablen {col.text} har {len(hits)} værdier for »{m.label_da}«")
                if hits:
                    res.measures[m.key] = hits[0]
                elif m.required and not export:
                    raise refuse(table.id, f"variablen {col.text} har ikke længere værdien »{m.label_da}« "
                                           f"(den har {found})")
                else:
                    res.missing_optional.append(m.key)
            if not res.measures:
                raise refuse(table.id, f"variablen {col.text} har ingen af de tal, klyngedata henter (den har {found})")
    return res
