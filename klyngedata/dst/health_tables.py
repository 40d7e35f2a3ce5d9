"""The StatBank health tables klyngedata fetches, and which variable of each plays which role.

Statistics Denmark publishes by municipality, through the same keyless API as the population, most of what a
health cluster or council follows. This module is the *catalogue* of those tables: for each, the variables it
is expected to have (found by **id where the id is confirmed** – recorded from the real API or seen in working
public code – and otherwise by the variable's **text** as the recorded ``/tables`` listing writes it), the role
each plays, and the values wanted of its measure variable (again by confirmed id, else by whole text).
Everything else is resolved from the table's live ``/tableinfo`` by :mod:`klyngedata.dst.health_resolve`;
nothing here is a number.

Roles
-----
``area``    Denmark, regions and municipalities (values klyngedata does not know, e.g. "Uoplyst", are left out
            and named in the provenance);
``sex``     ``total``/``male``/``female`` from each value's text (a table's own codes such as ``100`` are
            never guessed);
``age``     :class:`~klyngedata.vocabulary.AgeBand` from each value's text: single years, 5-year and irregular
            bands (``1-4``, ``85-``, ``90 år og derover``, ``Under 65 år``) and the total;
``time``    the periods (years, quarters, 5-year windows ``2000:2004``);
``measure`` the variable whose values are different figures (GP contacts / psychologist, persons / stays …):
            only the values named in :attr:`HealthTable.measures` are fetched, each under klyngedata's own
            stable key;
``total``   an extra variable held at its total (FOLK1B's citizenship, AED06's hours per week);
``sum``     an extra variable held at its total when it has one, else summed over all its values after the
            fetch (FODIE's mother's origin, country of origin and citizenship: no totals [HINT]).

A table without a measure variable has one figure, :attr:`HealthTable.content` (``INDHOLD``). Sex and age
need their total value ("I alt", "Alder i alt") unless the table's totals are derived (FODIE); a variable that
is renamed (another text and no confirmed id) counts as missing.

Confirmation of ids and texts (see ``shared/reference/statbank-health.md``): variable texts are [RECORDED]
in the ``/tables`` listing (2025-09); the ids of SYGP1 and HJEMSYG (and SYGP1's ``130``, HJEMSYG's ``050``
and ``100``) are [CODE]; every value text here is a [HINT] from a public mirror's table documentation and is
therefore matched against the live ``/tableinfo`` – a text that is not found there makes the fetch refuse
with one Danish sentence naming the table, the variable and what the table has instead.

Example
-------
>>> table("fod207").content.key, [v.role for v in table("FOD207").variables]
('deaths', ['area', 'age', 'sex', 'time'])
>>> [m.key for m in table("SBR01").measures][:3]
['persons', 'persons_with_stay', 'stay_under_12h']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

ROLES = ("area", "sex", "age", "time", "measure", "total", "sum")
VALUE_KINDS = ("count", "rate")


@dataclass(frozen=True)
class Var:
    """A variable a table is expected to have: its role, confirmed ``ids`` and its ``texts`` (lower case,
    Danish as ``/tables`` lists them, and the English equivalents of an English export's header)."""

    role: str
    ids: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()
    total_texts: tuple[str, ...] = ()
    """Whole texts (lower case) that name this variable's total besides the vocabulary's ("Omfang i alt")."""
    codes: Mapping[str, str] = field(default_factory=dict)
    """Confirmed value codes with a meaning the vocabulary cannot read from the code: ``{"050": "total"}``."""

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}")


@dataclass(frozen=True)
class Measure:
    """One wanted figure of a table: klyngedata's stable ``key``, a Danish label, the confirmed value ``ids``
    and the whole ``texts`` (lower case) it is found by; ``required=False`` when the table may lack it."""

    key: str
    label_da: str
    ids: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()
    required: bool = True


@dataclass(frozen=True)
class HealthTable:
    """A StatBank table in the catalogue (see the module docstring)."""

    id: str
    title_da: str
    variables: tuple[Var, ...]
    value: str = "count"
    unit_da: str = "antal"
    measures: tuple[Measure, ...] = ()
    content: Measure | None = None
    age_of: str = "person"
    """Whose age the age variable is: ``"person"`` (the person counted) or ``"mother"`` (FODIE)."""
    derive_totals: bool = False
    """Add the all-ages and both-sexes rows the table lacks (as sums of its parts; FODIE)."""
    note: str = ""

    def __post_init__(self) -> None:
        if self.value not in VALUE_KINDS:
            raise ValueError(f"{self.id}: unknown value kind {self.value!r}")
        has_measure_var = any(v.role == "measure" for v in self.variables)
        if has_measure_var == (self.content is not None) or has_measure_var != bool(self.measures):
            raise ValueError(f"{self.id}: a table has a measure variable with measures, or one content figure")

    def role(self, role: str) -> Var | None:
        """The variable playing ``role`` (the first one), or None.

        >>> table("HJEMSYG").role("sex").codes["100"]
        'total'
        """
        return next((v for v in self.variables if v.role == role), None)

    @property
    def measure_keys(self) -> list[str]:
        """The keys of the figures this table gives (its measures, or its one content figure).

        >>> table("SYGP1").measure_keys, table("FOD207").measure_keys
        (['gp', 'psychologist'], ['deaths'])
        """
        return [m.key for m in self.measures] if self.measures else [self.content.key]  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------------
# the variables every table shares
# ---------------------------------------------------------------------------------------------
AREA_TEXTS = ("område", "kommune", "region", "area", "municipality")
AREA = Var("area", (), AREA_TEXTS)
AGE = Var("age", (), ("alder", "age"))
SEX = Var("sex", (), ("køn", "sex"))
TIME = Var("time", (), ("tid", "time"))  # the time variable is the one /tableinfo marks ``time``
HEADERS = {
    "area": ("OMRÅDE", "OMRADE", "KOMMUNEDK", "KOMMUNE", "REGION", "AREA", "MUNICIPALITY"),
    "sex": ("KØN", "KON", "KOEN", "SEX"),
    "age": ("ALDER", "ALDER1", "ALERAMS", "AGE"),
    "time": ("TID", "TIME"),
}
"""Column headers of an export that name a role's variable whatever the table (StatBank writes variable ids,
upper-cased, as headers; an id here is *not* taken as confirmed for reading a table's metadata)."""


def _table(*args, **kwargs) -> HealthTable:
    return HealthTable(*args, **kwargs)


TABLES: dict[str, HealthTable] = {t.id: t for t in (
    _table("FOD207", "Døde", (AREA, AGE, SEX, TIME), content=Measure("deaths", "Døde"),
           note="Deaths by municipality of residence, age and sex, per calendar year. No cause of death by "
                "municipality exists (DODA1/DODB1 are national)."),
    _table("FOLK1B", "Befolkningen den 1. i kvartalet", (
        AREA, SEX, AGE, Var("total", (), ("statsborgerskab", "citizenship")), TIME),
        content=Measure("population", "Befolkningen den 1. i kvartalet"),
        note="Population on the first day of the quarter by 5-year age band; citizenship held at its total."),
    _table("SYGP1", "Personer med kontakt til læge mv. med offentlig tilskud", (
        Var("area", ("OMRÅDE",), AREA_TEXTS),
        Var("measure", ("YDELSESART",), ("ydelsesart", "type of benefit")),
        Var("age", ("ALERAMS",), ("alder", "age")),
        Var("sex", ("KØN",), ("køn", "sex")),
        TIME),
        measures=(Measure("gp", "Almen læge i alt", ids=("130",), texts=("almen læge i alt",)),
                  Measure("psychologist", "Psykologhjælp", texts=("psykologhjælp",), required=False)),
        note="Persons with at least one contact in the year (a person counts once per service)."),
    _table("SYGK1", "Lægebesøg mv. med offentlig tilskud", (
        AREA, Var("measure", (), ("ydelsesart", "type of benefit")), AGE, SEX, TIME),
        measures=(Measure("gp", "Almen læge i alt", texts=("almen læge i alt",)),
                  Measure("psychologist", "Psykologhjælp", texts=("psykologhjælp",), required=False)),
        note="Contacts (visits, consultations) in the year."),
    _table("SBR01", "Sygehusbenyttelse i befolkningen", (
        AREA, Var("measure", (), ("ophold på sygehus", "hospital stays")), AGE, SEX, TIME),
        measures=(
            Measure("persons", "Personer i alt", texts=("personer i alt",)),
            Measure("persons_with_stay", "Personer med ophold på sygehus",
                    texts=("alle varigheder (antal personer med ophold på sygehus)",)),
            Measure("stay_under_12h", "Ophold på sygehus på under 12 timer (antal patienter)",
                    texts=("ophold på sygehus på under 12 timer (antal patienter)",), required=False),
            Measure("stay_12h_plus", "Ophold på sygehus på 12 timer eller derover (antal patienter)",
                    texts=("ophold på sygehus på 12 timer eller derover (antal patienter)",)),
            Measure("persons_without_stay", "Personer uden ophold på sygehus",
                    texts=("personer uden ophold på sygehus (antal)",), required=False)),
        note="Age, sex and municipality as of the end of the year (DST documentation)."),
    _table("HJEMSYG", "Modtagere af hjemmesygepleje (eget hjem)", (
        Var("area", ("OMRÅDE",), AREA_TEXTS),
        Var("age", ("ALDER1",), ("alder", "age"), codes={"050": "total"}),
        Var("sex", ("KOEN",), ("køn", "sex"), codes={"100": "total"}),
        TIME),
        content=Measure("home_nursing_recipients", "Modtagere af hjemmesygepleje"),
        note="Municipalities only (no region or country rows)."),
    _table("AED21", "Serviceindikatorer, andel af befolkning på 67 år og derover", (
        AREA, Var("measure", (), ("serviceydelser", "services")), TIME),
        value="rate", unit_da="pct.",
        measures=(
            Measure("home_help_granted_67", "Modtagere 67 år og derover af visiteret hjemmehjælp i eget hjem",
                    texts=("modtagere 67 år og derover af visiteret hjemmehjælp i eget hjem "
                           "(procent af befolkningen)",)),
            Measure("home_help_delivered_67", "Modtagere 67 år og derover af leveret hjemmehjælp i eget hjem",
                    texts=("modtagere 67 år og derover af leveret hjemmehjælp i eget hjem "
                           "(procent af befolkningen)",), required=False),
            Measure("care_home_67", "Plejehjemsbeboere 67 år og derover",
                    texts=("plejehjemsbeboere 67 år og derover (procent af befolkningen)",)),
            Measure("training_67", "Modtagere af træning 67 år og derover",
                    texts=("modtagere af træning 67 år og derover (procent af befolkningen)",)),
            Measure("preventive_visits_75", "Modtagere af forebyggende hjemmebesøg 75 år og derover",
                    texts=("modtagere af forebyggende hjemmebesøg 75 år og derover (procent af befolkningen)",),
                    required=False)),
        note="Percent of the population aged 67 and over (75 and over for preventive visits); not additive."),
    _table("AED06", "Hjemmehjælp, visiterede personer", (
        AREA, Var("measure", (), ("ydelsestype", "type of service")),
        Var("total", (), ("timer pr. uge", "hours per week"), total_texts=("omfang i alt",)), AGE, SEX, TIME),
        measures=(Measure("home_help", "Modtagere af hjemmehjælp i alt",
                          texts=("modtagere af hjemmehjælp i alt",)),),
        note="Persons granted home help (own home); hours per week held at its total."),
    _table("AED07", "Hjemmehjælp i plejebolig/plejehjem, visiterede personer", (AREA, AGE, SEX, TIME),
           content=Measure("care_home_residents", "Visiterede til hjemmehjælp i plejebolig/plejehjem")),
    _table("AED08", "Genoptræning/vedligeholdelsestræning, personer", (
        AREA, Var("measure", (), ("ydelsestype", "type of service")), AGE, SEX, TIME),
        measures=(Measure("training", "Genoptræning/vedligeholdelsestræning i alt", texts=("i alt",)),
                  Measure("rehabilitation", "Genoptræning", texts=("genoptræning",), required=False),
                  Measure("maintenance", "Vedligeholdelsestræning", texts=("vedligeholdelsestræning",),
                          required=False))),
    _table("HISBK", "Middellevetid for 0-årige", (AREA, SEX, TIME), value="rate", unit_da="år",
           content=Measure("life_expectancy_0", "Middellevetid for 0-årige"),
           note="Five-year windows (2000:2004 …); not additive: a unit's life expectancy needs a life table."),
    _table("FODIE", "Levendefødte", (
        AREA, Var("sum", (), ("moders herkomst", "mother's ancestry")),
        Var("sum", (), ("moders oprindelsesland", "mother's country of origin")),
        Var("sum", (), ("moders statsborgerskab", "mother's citizenship")),
        Var("age", (), ("moders alder", "mother's age")), Var("sex", (), ("barnets køn", "child's sex")), TIME),
        content=Measure("live_births", "Levendefødte"), age_of="mother", derive_totals=True,
        note="Age is the mother's age, sex the child's; the mother's origin, country of origin and citizenship "
             "are summed over (no totals [HINT]); all-ages and both-sexes rows are added as sums of their parts."),
)}

DEFAULT_TABLES = tuple(TABLES)
"""What ``klyngedata data fetch`` gets besides the population (FOLK1A, FOLK1AM, the newest FRKM1yy)."""


def table(table_id: str) -> HealthTable:
    """The catalogue entry of ``table_id`` (case-insensitive); :class:`KeyError` naming the known tables.

    >>> table("hisbk").value
    'rate'
    """
    try:
        return TABLES[str(table_id).strip().upper()]
    except KeyError:
        raise KeyError(f"{table_id!r} is not a health table klyngedata knows ({', '.join(TABLES)})") from None
