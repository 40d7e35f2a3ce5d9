"""The one vocabulary (issue 27): every form the sources write, parsed in one place; and a check that no other
module parses periods, sexes, ages or Christiansø's code again. All values here are CONSTRUCTED labels."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from klyngedata import vocabulary as v
from klyngedata.exceptions import DataFormatError, UnknownValue
from klyngedata.vocabulary import AgeBand, AgeGroupError

PACKAGE = Path(__file__).resolve().parents[1] / "klyngedata"


# -- periods -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("2024", pd.Period("2024", "Y")), (2024, pd.Period("2024", "Y")),
    ("2024K1", pd.Period("2024Q1")), ("2024Q1", pd.Period("2024Q1")), ("2024k1", pd.Period("2024Q1")),
    ("2025K3 2025K3", pd.Period("2025Q3")), ("2026K1 2026Q1", pd.Period("2026Q1")),  # CodeAndValue, da / en
    ("2024M01", pd.Period("2024-01", "M")), ("2024M1", pd.Period("2024-01", "M")),
    ("2024-01", pd.Period("2024-01", "M")), (" 2024M12 ", pd.Period("2024-12", "M")),
    ("2000:2004", pd.Period("2000", "5Y")), ("2023:2024", pd.Period("2023", "2Y")),
    ("2000-2004", pd.Period("2000", "5Y")), ("2020:2024 2020:2024", pd.Period("2020", "5Y")),
])
def test_every_period_form_parses_to_one_period(text, expected):
    assert v.parse_period(text) == expected
    assert v.parse_period(v.period_code(expected)) == expected  # the code reads back


def test_weeks_are_iso_weeks_and_windows_span_their_years():
    week = v.parse_period("2007U01")
    assert (week.start_time.date().isoformat(), week.end_time.date().isoformat()) == ("2007-01-01", "2007-01-07")
    assert v.period_code(week) == "2007U01" and v.period_text_da(week) == "uge 1 2007"
    assert v.period_code(v.parse_period("2021U53")) == "2021U53" if _has_week_53(2021) else True
    window = v.parse_period("2020:2024")
    assert (window.start_time.year, window.end_time.year) == (2020, 2024)
    assert v.period_kind(window) == "window" and v.period_text_da(window) == "2020–2024"


def _has_week_53(year: int) -> bool:
    import datetime as dt

    return dt.date(year, 12, 28).isocalendar()[1] == 53


@pytest.mark.parametrize("bad, message", [
    ("2024K5", "not a period"), ("2024M13", "not a month"), ("24K1", "not a period"), ("2024U60", "not a week"),
    ("2026K1 2026Q2", "name different periods"), ("2004:2000", "last year must follow"), (None, "not a period"),
    (True, "not a period"), ("Uoplyst", "not a period"),
])
def test_a_period_in_no_known_form_is_refused_naming_it(bad, message):
    with pytest.raises(UnknownValue, match=message) as err:
        v.parse_period(bad)
    assert isinstance(err.value, ValueError) and isinstance(err.value, DataFormatError)


def test_periods_written_back_in_danish():
    assert v.period_code("2024Q2") == "2024K2" and v.period_code(pd.Period("2024-04", "M")) == "2024M04"
    assert [v.period_text_da(p) for p in ("2024", "2024K1", "2024M04")] == ["2024", "1. kvt. 2024", "april 2024"]
    assert v.period_text_da("2024M04", stock=True) == "1. april 2024"
    assert [v.period_axis_da(p) for p in ("2022M01", "2022M05", "2022K3")] == ["jan. 2022", "maj 2022", "3. kvt. 2022"]
    assert v.period_range_da(["2021M10", "2022M01", "2024M04"]) == "oktober 2021–april 2024"
    assert v.periods_in_text_da("fra 2021M10 til 2024K1") == "fra oktober 2021 til 1. kvt. 2024"
    assert v.period_start_year("2024K3") == 2024.5 and v.periods_per_year("2024M03") == 12
    with pytest.raises(UnknownValue, match="window"):
        v.periods_per_year("2000:2004")


def test_parse_periods_is_vectorised_and_keeps_one_dtype():
    s = v.parse_periods(pd.Series(["2024K1", "2024Q2", "2024K1"], index=[5, 6, 7]))
    assert str(s.dtype) == "period[Q-DEC]" and list(s.index) == [5, 6, 7]
    assert s.tolist() == [pd.Period("2024Q1"), pd.Period("2024Q2"), pd.Period("2024Q1")]


# -- sexes ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("TOT", "total"), ("I alt", "total"), ("Køn i alt", "total"), ("Begge køn", "total"), ("Total", "total"),
    ("total", "total"), ("1", "male"), ("M", "male"), ("Mænd", "male"), ("Men", "male"), ("Drenge", "male"),
    ("2", "female"), ("K", "female"), ("Kvinder", "female"), ("Women", "female"), ("Piger", "female"),
    ("1 Mænd", "male"), ("K Kvinder", "female"), ("TOT I alt", "total"), (2, "female"),
])
def test_every_sex_form(text, expected):
    assert v.parse_sex(text) == expected


def test_sex_code_and_text_must_agree_and_unknown_is_refused():
    with pytest.raises(UnknownValue, match="disagree"):
        v.parse_sex("1 Kvinder")
    with pytest.raises(UnknownValue, match="unknown sex"):
        v.parse_sex("Uoplyst køn")


# -- ages ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    (7, AgeBand(7, 7)), (7.0, AgeBand(7, 7)), ("7", AgeBand(7, 7)), ("7 år", AgeBand(7, 7)),
    ("7 years", AgeBand(7, 7)), ("1 year", AgeBand(1, 1)), ("7 7 år", AgeBand(7, 7)),
    ("0-4", AgeBand(0, 4)), ("0-4 år", AgeBand(0, 4)), ("0-4 years", AgeBand(0, 4)), ("0 - 4", AgeBand(0, 4)),
    ("0–4 år", AgeBand(0, 4)), ("0 til 4 år", AgeBand(0, 4)), ("0-4 0-4 år", AgeBand(0, 4)),
    ("1-4", AgeBand(1, 4)), ("85-", AgeBand(85, None)), ("90+", AgeBand(90, None)),
    ("100 år og derover", AgeBand(100, None)), ("100- 100 år og derover", AgeBand(100, None)),
    ("85 år og over", AgeBand(85, None)), ("90 years and over", AgeBand(90, None)),
    ("95 years or more", AgeBand(95, None)), ("under 65", AgeBand(0, 64)), ("Under 65 år", AgeBand(0, 64)),
    ("Under 1 år", AgeBand(0, 0)), ("IALT", None), ("TOT", None), ("Alder i alt", None), ("Total", None),
    ("Age, total", None), ("IALT Alder i alt", None), ("alle aldre", None),
])
def test_every_age_form(text, expected):
    assert v.parse_age(text) == expected


@pytest.mark.parametrize("bad", ["Uoplyst alder", "voksne", "7 8 år", "4-0", "abc", None, True, -3])
def test_an_age_in_no_known_form_is_refused(bad):
    with pytest.raises(UnknownValue):
        v.parse_age(bad)


def test_age_labels_are_canonical():
    assert [AgeBand(7, 7).label, AgeBand(0, 4).label, AgeBand(85, None).label] == ["7", "0-4", "85+"]
    assert [AgeBand(7, 7).label_da, AgeBand(85, None).label_da] == ["7 år", "85 år og derover"]
    assert [v.parse_age_group(x) for x in ("I alt", "65 år og derover", "0 - 64", "")[:3]] == ["total", "65+", "0-64"]


# the bands of constructed tables as StatBank writes them
FIVE_YEAR = [AgeBand(lo, lo + 4) for lo in range(0, 95, 5)] + [AgeBand(95, None)]
IRREGULAR = [AgeBand(0, 0), AgeBand(1, 4), *[AgeBand(lo, lo + 4) for lo in range(5, 85, 5)], AgeBand(85, None)]
HJEMSYG_LIKE = [AgeBand(0, 64), *[AgeBand(lo, lo + 4) for lo in range(65, 90, 5)], AgeBand(90, None)]


@pytest.mark.parametrize("bands", [FIVE_YEAR, IRREGULAR, HJEMSYG_LIKE], ids=["5-year", "irregular", "under-65"])
def test_65_plus_and_80_plus_are_built_exactly_from_bands(bands):
    for lo in (65, 80):
        parts = v.compose(AgeBand(lo, None), bands)
        assert parts[0].lo == lo and parts[-1].is_open
        assert sum((b.hi or 200) - b.lo + 1 for b in parts[:-1]) == (parts[-1].lo - lo)


def test_a_group_whose_edge_falls_inside_a_band_is_refused_naming_the_edges():
    with pytest.raises(AgeGroupError, match=r"67\+ .*straddles age 67 .*band edges: .*65, 70"):
        v.compose(AgeBand(67, None), FIVE_YEAR)
    with pytest.raises(AgeGroupError, match="ages 0-64 are not covered"):
        v.compose(AgeBand(0, 79), HJEMSYG_LIKE[1:])
    assert v.edges(IRREGULAR)[:4] == [0, 1, 5, 10]


# -- levels, counts, totals, codes ---------------------------------------------------------------------------
def test_levels():
    assert [v.parse_level(x) for x in ("Kommune", "sundhedsråd", "klynge", "Region", "Hele landet")] == [
        "municipality", "cluster", "cluster", "region", "country"]
    assert v.parse_level("sogne", allowed=v.BOUNDARY_LEVELS) == "parish"
    with pytest.raises(UnknownValue, match="use one of municipality, cluster, region, country"):
        v.parse_level("sogn")


@pytest.mark.parametrize("bad, problem", [
    ("5.0", "not a whole count"), ("5,0", "not a whole count"), ("5.867.412", "not a whole count"),
    ("-3", "negative count"), ("", "empty cell"), ("12a", "not a count"), ("99999999999999999999", "too large"),
    ("１２", "not a count"),  # full-width digits are not ASCII digits
])
def test_counts_only_as_digits(bad, problem):
    with pytest.raises(v.CountError, match=problem):
        v.parse_count(bad)
    with pytest.raises(v.CountError, match=problem) as err:
        v.parse_counts(pd.Series(["1", "..", bad]))
    assert err.value.row == 2


def test_counts_missing_and_nil():
    assert v.parse_counts(pd.Series(["12", "..", "-"], dtype="category")).tolist() == [12, pd.NA, 0]
    assert v.parse_count(str(2**63 - 1)) == 2**63 - 1
    with pytest.raises(v.CountError):
        v.parse_count("..", allow_missing=False)


def test_totals_and_special_areas():
    from klyngedata.vocabulary.totals import is_total

    assert is_total("TOT") and is_total("050", "Alder i alt") and is_total(text="Begge køn")
    assert not is_total("130", "Almen læge i alt")  # a category of its own
    assert v.area_from_text("Hele landet") == ("country", "DK") and v.area_from_text("Christiansø") == (
        "municipality", v.CHRISTIANSOE)
    assert v.area_from_text("Region Zealand") == ("region", "1085")


# -- one definition ------------------------------------------------------------------------------------------
def _sources_outside_vocabulary():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith("vocabulary/") or rel == "codes.py":
            continue
        yield rel, path.read_text(encoding="utf-8")


_RULES = {
    "a period pattern (\\d{4} followed by K, Q, M or U)": re.compile(r"\\d\{4\}\)?\s*(?:\(\?:)?[\[\(]?[KQMU]"),
    "an age pattern (\\d{1,3})": re.compile(r"\\d\{1,3\}"),
    "a sex alias table": re.compile(r"[\"']kvinder[\"']\s*:", re.IGNORECASE),
    "Christiansø's code": re.compile(r"[\"']0411[\"']"),
    "the Danish month names": re.compile(r"[\"']oktober[\"']"),
    "an age-total table": re.compile(r"[\"']alder i alt[\"']"),
}


@pytest.mark.parametrize("what", list(_RULES))
def test_no_module_outside_the_vocabulary_defines_it_again(what):
    rule = _RULES[what]
    found = [f"{rel}:{text[:m.start()].count(chr(10)) + 1}" for rel, text in _sources_outside_vocabulary()
             for m in rule.finditer(text)]
    assert found == [], f"{what} outside klyngedata/vocabulary: {found}"


def test_the_rules_find_what_they_look_for():
    """The static checks are not vacuous: each finds its concept in the vocabulary's own sources."""
    own = "\n".join(p.read_text(encoding="utf-8") for p in (PACKAGE / "vocabulary").glob("*.py"))
    own += '\n_SEX = {"kvinder": "female"}\nX = re.compile(r"^(\\d{4})M(\\d{2})$")\n'
    missing = [what for what, rule in _RULES.items() if not rule.search(own)]
    assert missing == []
