"""Parsers in klyngedata.sources: real shared files and constructed examples in StatBank's exact format."""

from __future__ import annotations

import pandas as pd
import pytest

from klyngedata.cache import Cache
from klyngedata.exceptions import DataFormatError
from klyngedata.importing import import_file, sniff
from klyngedata.sources import (
    parse_age,
    parse_period,
    parse_statbank_csv,
    parse_tidy_municipality_csv,
)

FOLK1AM_FILE = "dst_FOLK1AM_area_2021M10-2024M04.csv"
DERIVED_FILE = "derived_municipality_population_monthly_2021M10-2024M04.csv"

# Constructed examples (invented counts) of one FOLK1A /data answer in three value presentations.
CONSTRUCTED_FOLK1A_CODE = (
    "\ufeffOMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD\r\n"
    "000;TOT;IALT;TOT;2024K1;100\r\n"
    "084;1;80;TOT;2024K1;7\r\n"
    "169;2;100-;TOT;2024K1;..\r\n"
    "773;1;0;TOT;2024K1;3\r\n"
)
CONSTRUCTED_FOLK1A_VALUE = (
    "\ufeffOMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD\r\n"
    "Hele landet;I alt;Alder i alt;I alt;2024K1;100\r\n"
    "Region Hovedstaden;Mænd;80 år;I alt;2024K1;7\r\n"
    "Høje-Taastrup;Kvinder;100 år og derover;I alt;2024K1;..\r\n"
    "Morsø;Mænd;0 år;I alt;2024K1;3\r\n"
)
CONSTRUCTED_FOLK1A_CODE_AND_VALUE = (
    "\ufeffOMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD\r\n"
    "000 Hele landet;TOT I alt;IALT Alder i alt;TOT I alt;2024K1;100\r\n"
    "084 Region Hovedstaden;1 Mænd;80 80 år;TOT I alt;2024K1;7\r\n"
    "169 Høje-Taastrup;2 Kvinder;100- 100 år og derover;TOT I alt;2024K1;..\r\n"
    "773 Morsø;1 Mænd;0 0 år;TOT I alt;2024K1;3\r\n"
)
CONSTRUCTED_FOLK1A_ENGLISH = (
    "\ufeffOMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD\r\n"
    "All Denmark;Total;Age, total;Total;2024Q1;100\r\n"
    "Region Hovedstaden;Men;80 years;Total;2024Q1;7\r\n"
    "Høje-Taastrup;Women;100 years and over;Total;2024Q1;..\r\n"
    "Morsø;Men;0 years;Total;2024Q1;3\r\n"
)


def test_presentations_give_identical_frames():
    frames = [parse_statbank_csv(t.encode(), file="constructed example") for t in (
        CONSTRUCTED_FOLK1A_CODE, CONSTRUCTED_FOLK1A_VALUE, CONSTRUCTED_FOLK1A_CODE_AND_VALUE,
        CONSTRUCTED_FOLK1A_ENGLISH)]
    for f in frames[1:]:
        pd.testing.assert_frame_equal(frames[0], f)
    df = frames[0]
    assert df["area_level"].tolist() == ["country", "region", "municipality", "municipality"]
    assert df["area_code"].tolist() == ["DK", "1084", "0169", "0773"]
    assert df["sex"].tolist() == ["total", "male", "female", "male"]
    assert df["age"].tolist()[1:] == [80, 100, 0] and df["age"].isna().iloc[0]
    assert df["age_open"].tolist() == [False, False, True, False]
    assert df["population"].isna().tolist() == [False, False, True, False]
    assert str(df["period"].dtype) == "period[Q-DEC]"
    assert [f.attrs["provenance"]["presentation"] for f in frames] == ["Code", "Value", "CodeAndValue", "Value"]


def test_civilstand_without_total_is_summed_only_over_all_four_statuses():
    header = "OMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD\n"  # constructed example
    text = header + "851;1;80;U;2024K1;2\n851;1;80;G;2024K1;5\n851;1;80;E;2024K1;1\n851;1;80;F;2024K1;0\n"
    df = parse_statbank_csv(text.encode(), file="constructed example")
    assert df["population"].tolist() == [8]
    with pytest.raises(DataFormatError, match="neither the total .* nor all four civil statuses"):
        parse_statbank_csv((header + "851;1;80;U;2024K1;2\n851;1;80;G;2024K1;5\n").encode(), file="partial")
    # one '..' status makes the sum missing, never a partial sum
    text = header + "851;1;80;U;2024K1;2\n851;1;80;G;2024K1;..\n851;1;80;E;2024K1;1\n851;1;80;F;2024K1;0\n"
    assert parse_statbank_csv(text.encode(), file="constructed example")["population"].isna().tolist() == [True]


def test_errors_name_file_row_and_column():
    bad = "OMRÅDE;TID;INDHOLD\n851;2024K1;12\n851;2024K9;3\n"  # constructed example
    with pytest.raises(DataFormatError, match=r"x.csv, row 3, column TID"):
        parse_statbank_csv(bad.encode(), file="x.csv")
    with pytest.raises(DataFormatError, match="row 2, column INDHOLD"):
        parse_statbank_csv("OMRÅDE;TID;INDHOLD\n851;2024K1;12.5\n".encode(), file="y.csv")
    with pytest.raises(DataFormatError, match="JSON"):
        parse_statbank_csv(b'{"errorTypeCode":"EXTRACT-NOTFOUND","message":"x"}', file="z")
    with pytest.raises(DataFormatError, match="unknown column"):
        parse_statbank_csv(b"FOO;INDHOLD\n1;2\n", file="w")


def test_value_parsers():
    assert parse_age("100-") == (100, True)
    assert parse_age("IALT Alder i alt") == (None, False)
    assert str(parse_period("2024M01")) == "2024-01"
    with pytest.raises(ValueError):
        parse_period("2024X1")


def test_real_folk1am_file(population_dir):
    df = parse_statbank_csv(population_dir / FOLK1AM_FILE)
    assert df.attrs["provenance"]["table"] == "FOLK1AM"
    assert df.attrs["provenance"]["presentation"] == "Value"
    assert len(df) == 3255
    assert df["area_level"].value_counts().to_dict() == {"municipality": 99 * 31, "region": 5 * 31, "country": 31}
    assert str(df["period"].dtype) == "period[M]"
    # README check totals, recomputed from the file through the parser
    dk = df[df["area_level"] == "country"].set_index("period")["population"]
    mun = df[df["area_level"] == "municipality"].groupby("period")["population"].sum()
    assert (dk == mun).all()
    reg = df[df["area_level"] == "region"].groupby("period")["population"].sum()
    assert (dk == reg).all()
    # every DST name resolved, incl. Høje-Taastrup and Vesthimmerlands
    codes = set(df["municipality_code"].dropna())
    assert len(codes) == 99 and {"0169", "0820", "0411"} <= codes


def test_derived_file_matches_folk1am_file(population_dir):
    area = parse_statbank_csv(population_dir / FOLK1AM_FILE)
    derived = parse_tidy_municipality_csv(population_dir / DERIVED_FILE)
    a = area[area["area_level"] == "municipality"].sort_values(["area_code", "period"], ignore_index=True)
    b = derived.sort_values(["area_code", "period"], ignore_index=True)
    pd.testing.assert_frame_equal(a, b)


def test_sniff_and_import_directory(population_dir, shared_data, tmp_path):
    assert sniff(population_dir / FOLK1AM_FILE) == "statbank_csv"
    assert sniff(population_dir / DERIVED_FILE) == "tidy_population"
    assert sniff(shared_data / "geo" / "kommuner.geojson") == "boundaries"
    results = import_file(population_dir, data_dir=tmp_path)
    assert [r.status for r in results] == ["imported", "imported"]
    cache = Cache(tmp_path)
    df = cache.read("population/FOLK1AM")
    assert len(df) == 3255  # the derived rows were replaced by identical rows from the area file
    meta = df.attrs["provenance"]
    assert meta["table"] == "FOLK1AM" and len(meta["periods"]) == 31 and len(meta["sources"]) == 2
    with pytest.raises(DataFormatError, match="not a recognised"):
        import_file(shared_data / "README.md", data_dir=tmp_path)


def test_import_unit_population(tmp_path):
    path = tmp_path / "bydele.csv"
    # constructed example in the documented unit-population import format
    path.write_text("municipality_code,unit_type,unit_code,unit_name,period,population\n"
                    "101,bydel,indre-by,Indre By,2024M01,10\n101,bydel,valby,Valby,2024M01,20\n")
    [r] = import_file(path, data_dir=tmp_path / "d")
    assert r.key == "population/units"
    u = Cache(tmp_path / "d").read("population/units")
    assert u["municipality_code"].tolist() == ["0101", "0101"]
    assert u["population"].tolist() == [10, 20]


# ---------------------------------------------------------------------------------------------
# every cell format the real API was recorded writing (../shared/reference/statbank-recorded)
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def recorded():
    from tests.statbank_replay import recorded_dir

    return recorded_dir()


def test_recorded_bulk_prefix_no_bom_value_texts(recorded):
    """FOLK1A_BULK_da_first200chars.txt: a real BULK answer starts without BOM, CRLF, Danish texts."""
    from klyngedata.dst.checks import check_complete_answer

    raw = (recorded / "FOLK1A_BULK_da_first200chars.txt").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    with pytest.raises(DataFormatError, match=r"row 5: the file does not end with a line break"):
        parse_statbank_csv(raw, file="FOLK1A_BULK_da_first200chars.txt")  # the prefix stops inside row 5
    complete = raw[: raw.rindex(b"\r\n") + 2]
    df = parse_statbank_csv(complete, file="FOLK1A_BULK_da_first200chars.txt (complete rows)")
    assert df.attrs["provenance"]["encoding"] == "UTF-8" and df.attrs["provenance"]["presentation"] == "Value"
    assert df["area_code"].tolist() == ["DK"] * 3 and df["sex"].tolist() == ["male", "female", "total"]
    assert df["age"].isna().all() and str(df["period"].iloc[0]) == "2020Q1"
    assert df["population"].tolist() == [2896918, 2925845, 5822763]
    check_complete_answer(df, "recorded prefix")  # the real counts add up: men + women = total


def _logged_blocks(recorded) -> list[tuple[str, list[str]]]:
    blocks, header = [], "OMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD"
    for line in (recorded / "FOLK1A_BULK_da_rows_logged.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("# request"):
            blocks.append((line, []))
        elif line.endswith("INDHOLD"):
            header = line
        elif line and not line.startswith("#") and line != "..." and blocks:
            blocks[-1][1].append(line)
    return [(f"{title} | {header}", rows) for title, rows in blocks]


def test_recorded_bulk_rows_every_cell(recorded):
    """FOLK1A_BULK_da_rows_logged.txt: logged rows of real BULK answers (Danish texts): every cell parses."""
    from klyngedata.dst.parse import parse_area, parse_civil, parse_counts, parse_sex

    blocks = _logged_blocks(recorded)
    rows = [r for _, rs in blocks for r in rs]
    assert len(rows) >= 15
    for row in rows:
        area, sex, age, civil, tid, n = row.split(";")
        assert parse_area(area)[2] == "Value" and parse_sex(sex) in {"male", "female", "total"}
        parse_age(age), parse_civil(civil), parse_period(tid)
        assert parse_counts(pd.Series([n]), "logged", "INDHOLD").iloc[0] == int(n)
    assert parse_age("1 år") == (1, False) and parse_age("Alder i alt") == (None, False)
    assert [parse_civil(c) for c in ("Enke/enkemand", "Fraskilt", "Ugift", "I alt")] == ["E", "F", "U", "TOT"]
    # a block of rows with CIVILSTAND 'I alt' parses as a file
    title, first = blocks[0]
    df = parse_statbank_csv(("OMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD\r\n" + "\r\n".join(first) + "\r\n").encode(),
                            file=title)
    assert df[["area_code", "sex", "population"]].values.tolist()[:2] == [["DK", "male", 2963691],
                                                                         ["DK", "female", 2997558]]
    assert df["area_code"].iloc[-1] == "0147"  # Frederiksberg
    # placement 'head' changes the column order (request 6.2): columns are found by name
    moved = parse_statbank_csv(("OMRÅDE;ALDER;CIVILSTAND;KØN;TID;INDHOLD\r\n"
                                "Hele landet;Alder i alt;I alt;Mænd;2024K1;2963691\r\n").encode(), file="6.2")
    pd.testing.assert_frame_equal(moved[["area_code", "sex", "population"]],
                                  df[["area_code", "sex", "population"]].iloc[:1])


def test_recorded_code_and_value_cells_english(recorded):
    """KM1_CodeAndValue_fragment_en.txt: CodeAndValue writes every cell as 'code text', the time too."""
    from klyngedata.dst.parse import parse_area, parse_counts, parse_sex

    text = (recorded / "KM1_CodeAndValue_fragment_en.txt").read_text(encoding="utf-8")
    assert "2026K1 2026Q1" in text
    assert parse_period("2026K1 2026Q1") == pd.Period("2026Q1")  # code K, English text Q
    assert parse_period("2007Q1") == pd.Period("2007Q1")  # English Value presentation
    assert parse_sex("Men") == "male" and parse_sex("Women") == "female"
    assert parse_area("Copenhagen")[:2] == ("municipality", "0101")  # KM6 KOMK in English
    with pytest.raises(ValueError, match="name different periods"):
        parse_period("2026K1 2026Q2")
    with pytest.raises(ValueError, match="read by single year of age"):
        parse_age("0-4 years")  # an age band in a single-year population table: refused, not guessed
    with pytest.raises(ValueError, match="unknown age"):
        parse_age("Uoplyst alder")
    with pytest.raises(DataFormatError, match="row 3, column INDHOLD: '48.58' is not a whole count"):
        parse_counts(pd.Series(["2898", "48.58"]), "KM1 percentage", "INDHOLD")
    block = text[text.index("SOGN;FKMED;TID;CONTENT_TYPE;INDHOLD"):].split("\n\n")[0] + "\n"
    with pytest.raises(DataFormatError, match="row 1: unknown column 'SOGN'"):
        parse_statbank_csv(block.encode(), file="KM1 CodeAndValue")  # not a population table


def test_recorded_csv_answer_bytes(recorded):
    """data_STRAF42_csv_default.csv: a /data CSV answer is UTF-8 with BOM, ';', CRLF."""
    from klyngedata.dst.parse import decode_export, read_records

    raw = (recorded / "data_STRAF42_csv_default.csv").read_bytes()
    assert decode_export(raw, "STRAF42")[1] == "UTF-8 with BOM"
    frame, _, _ = read_records(raw, "STRAF42")
    assert frame.to_dict("records") == [{"HERKOMST1": "Total", "TID": "2023", "INDHOLD": "233454"}]


def test_recorded_tableinfo_values_in_every_presentation(recorded):
    """tableinfo_FOLK1A_da.json (Danish) and tableinfo_STRAF42_en.json (English): every value of the population
    variables parses alike as Code, Value and CodeAndValue."""
    import json

    from klyngedata.dst.parse import parse_area, parse_civil, parse_sex

    folk = json.loads((recorded / "tableinfo_FOLK1A_da.json").read_text(encoding="utf-8"))
    parsers = {"OMRÅDE": lambda v: parse_area(v)[:2], "KØN": parse_sex, "ALDER": parse_age,
               "CIVILSTAND": parse_civil, "Tid": parse_period}
    for var in folk["variables"]:
        fn = parsers[var["id"]]
        for value in var["values"]:
            code, text = value["id"], value["text"]
            assert fn(code) == fn(text) == fn(f"{code} {text}"), (var["id"], code, text)
    assert parse_period("2025K3 2025K3") == pd.Period("2025Q3")
    straf = json.loads((recorded / "tableinfo_STRAF42_en.json").read_text(encoding="utf-8"))
    sexes = {v["id"]: v["text"] for v in next(x for x in straf["variables"] if x["id"] == "KØN")["values"]}
    assert [parse_sex(f"{c} {sexes[c]}") for c in ("TOT", "M", "K")] == ["total", "male", "female"]
    ages = {v["id"]: v["text"] for v in next(x for x in straf["variables"] if x["id"] == "ALDER")["values"]}
    assert parse_age(f"TOT {ages['TOT']}") == (None, False) and parse_age(f"15 {ages['15']}") == (15, False)
    with pytest.raises(ValueError):
        parse_age(f"UA {ages['UA']}")  # "Age not stated" is no age
    with pytest.raises(ValueError):
        parse_sex(f"VIRKSOMHEDER {sexes['VIRKSOMHEDER']}")


# ---------------------------------------------------------------------------------------------
# issue 11, principle 1: a count is accepted only as the source writes counts
# ---------------------------------------------------------------------------------------------
HEADER = "OMRÅDE;KØN;ALDER;TID;INDHOLD\r\n"  # constructed examples in the StatBank export format


@pytest.mark.parametrize("body, message", [
    ("851;TOT;IALT;2024K1;-5\r\n", "x.csv, row 2, column INDHOLD: negative count '-5'"),
    ("851;TOT;IALT;2024K1;12.5\r\n", "x.csv, row 2, column INDHOLD: '12.5' is not a whole count"),
    ("851;TOT;IALT;2024K1;1.234\r\n", "a decimal or a thousands separator is ambiguous"),
    ("851;TOT;IALT;2024K1;12,0\r\n", "'12,0' is not a whole count"),
    ("860;TOT;IALT;2024K1;3\r\n851;TOT;IALT;2024K1;\r\n", "x.csv, row 3, column INDHOLD: empty cell"),
    ("851;TOT;IALT;2024K1;1 234\r\n", "not a count: '1 234'"),
    ("851;TOT;IALT;2024K1;12\r\n851;TOT;IALT;2024K1;12\r\n",
     "x.csv, rows 2 and 3, columns OMRÅDE, KØN, ALDER, TID: the same cell twice (0851, total, all ages, 2024K1)"),
    ("851;TOT;IALT;2024K1;12\r\n860;TOT;IALT;2024K1;9\r\nAalborg;I alt;Alder i alt;2024K1 2024K1;13\r\n",
     "x.csv, rows 2 and 4"),
    ("851;TOT;IALT;2024K1;12", "x.csv, row 2: the file does not end with a line break"),
    ("851;TOT;IALT;2024K1;12\r\n860;TOT;IALT;2024K1\r\n", "x.csv, row 3: fewer fields than the header's 5"),
    ("851;TOT;IALT;2024K1;12;3\r\n", "x.csv, row 2: more fields than the header's 5"),
    ("851;TOT;IALT;2024K1;12\r\n\r\n860;TOT;IALT;2024K1;3\r\n", "x.csv, row 3: empty line inside the table"),
    ("851;1 Kvinder;IALT;2024K1;3\r\n", "row 2, column KØN: sex: code '1' and text 'Kvinder' disagree"),
    ("851;TOT;IALT;2025K3 2025K4;3\r\n", "row 2, column TID: period: code '2025K3' and text '2025K4'"),
    ("851 København;TOT;IALT;2024K1;3\r\n", "row 2, column OMRÅDE: unknown area: code '851' and text"),
    ("999;TOT;IALT;2024K1;3\r\n", "row 2, column OMRÅDE: unknown area"),
    ("851;TOT;80 81 år;2024K1;3\r\n", "row 2, column ALDER: age: code '80' and text '81 år' disagree"),
])
def test_ambiguous_counts_and_cells_are_refused(body, message):
    with pytest.raises(DataFormatError) as err:
        parse_statbank_csv((HEADER + body).encode(), file="x.csv")
    assert message in str(err.value)


def test_empty_and_header_only_files_are_refused():
    with pytest.raises(DataFormatError, match="^x.csv: the file is empty$"):
        parse_statbank_csv(b"", file="x.csv")
    with pytest.raises(DataFormatError, match="x.csv: the file has a header .* but no data rows"):
        parse_statbank_csv(HEADER.encode(), file="x.csv")


def test_missing_and_nil_marks():
    df = parse_statbank_csv((HEADER + "851;TOT;IALT;2024K1;..\r\n860;TOT;IALT;2024K1;-\r\n").encode(), file="x")
    assert df["population"].isna().tolist() == [True, False] and int(df["population"].iloc[1]) == 0


def test_encodings_utf8_bom_and_windows_1252_read_utf16_refused():
    text = HEADER + "Høje-Taastrup;Mænd;Alder i alt;2024K1;7\r\nLæsø;Kvinder;0 år;2024K1;3\r\n"
    plain = parse_statbank_csv(text.encode("utf-8"), file="x")
    for raw, name in ((b"\xef\xbb\xbf" + text.encode("utf-8"), "UTF-8 with BOM"),
                      (text.encode("cp1252"), "Windows-1252")):
        df = parse_statbank_csv(raw, file="x")
        assert df.attrs["provenance"]["encoding"] == name
        pd.testing.assert_frame_equal(df, plain)
    with pytest.raises(DataFormatError, match="x: the file is encoded as UTF-16; .* UTF-8 or Windows-1252"):
        parse_statbank_csv(text.encode("utf-16"), file="x")
    with pytest.raises(DataFormatError, match="NUL bytes, so it looks UTF-16 encoded"):
        parse_statbank_csv(text.encode("utf-16-le"), file="x")


def test_tidy_and_unit_files_follow_the_same_rules(tmp_path):
    from klyngedata.sources import parse_unit_population_csv

    tidy = tmp_path / "tidy.csv"  # constructed example in the derived tidy format
    tidy.write_text("municipality_code,period,population\n0851,2024M01,10\n851,2024M01,11\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="tidy.csv, rows 2 and 3, columns municipality_code, period"):
        parse_tidy_municipality_csv(tidy)
    tidy.write_text("municipality_code,period,population\n0851,2024M01,-10\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="row 2, column population: negative count"):
        parse_tidy_municipality_csv(tidy)
    tidy.write_text("municipality_code,period,population\n0999,2024M01,10\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="row 2, column municipality_code: municipality code: Unknown"):
        parse_tidy_municipality_csv(tidy)
    units = tmp_path / "units.csv"
    units.write_text("municipality_code,unit_type,unit_code,period,population\n101,bydel,valby,2024M01,5\n"
                     "101,bydel,valby,2024M01,6\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="units.csv, rows 2 and 3"):
        parse_unit_population_csv(units)


GOOD_FOLK1A = (HEADER + "851;TOT;IALT;2024K1;100\r\n860;TOT;IALT;2024K1;50\r\n").encode()  # constructed example


@pytest.mark.parametrize("raw, message", [
    ((HEADER + "851;TOT;IALT;2024K2;-5\r\n").encode(), "negative count '-5'"),
    ((HEADER + "851;TOT;IALT;2024K2;5\r\n851;TOT;IALT;2024K2;6\r\n").encode(), "the same cell twice"),
    ((HEADER + "851;TOT;IALT;2024K2;5\r\n851;TOT;IALT;2024K2;5\r\n").encode(), "the same cell twice"),
    (HEADER.encode(), "but no data rows"),
    ((HEADER + "851;TOT;IALT;2024K2;51").encode(), "does not end with a line break"),
    ((HEADER + "Aalborg;Mænd;Alder i alt;2024K2;5\r\n").encode("utf-16"), "encoded as UTF-16"),
    ((HEADER + "851;TOT;IALT;2024K2;12.5\r\n").encode(), "not a whole count"),
])
def test_cli_import_refuses_and_leaves_the_cache_unchanged(tmp_path, raw, message):
    from click.testing import CliRunner

    from klyngedata.cli import main

    data = tmp_path / "data"
    good = tmp_path / "FOLK1A_good.csv"
    good.write_bytes(GOOD_FOLK1A)
    runner = CliRunner()
    assert runner.invoke(main, ["data", "import", str(good), "--data-dir", str(data)]).exit_code == 0
    before = {p: p.read_bytes() for p in sorted((data / "cache").rglob("*")) if p.is_file()}
    bad = tmp_path / "FOLK1A_bad.csv"
    bad.write_bytes(raw)
    res = runner.invoke(main, ["data", "import", str(bad), "--data-dir", str(data)])
    assert res.exit_code == 1
    assert message in res.output and "FOLK1A_bad.csv" in res.output
    after = {p: p.read_bytes() for p in sorted((data / "cache").rglob("*")) if p.is_file()}
    assert after == before


@pytest.mark.parametrize("day", ["2026-12-07", "2027-01-20"])
def test_regions_add_up_in_the_statbank_regions_also_from_2027(today_at, day):
    """The tables keep the five regions of 2007 after Region Østdanmark exists: a fetch in January 2027 checks the
    sums against them (it crashed on the registry's 2027 region key). CONSTRUCTED counts, not data."""
    from klyngedata.dst.checks import check_complete_answer
    from klyngedata.dst.errors import StatBankError

    today_at(day)
    rows = "Region Hovedstaden;2024K1;30\r\nKøbenhavn;2024K1;10\r\nFrederiksberg;2024K1;20\r\n"
    ok = parse_statbank_csv(f"OMRÅDE;TID;INDHOLD\r\n{rows}Region Sjælland;2024K1;7\r\nKøge;2024K1;7\r\n".encode(),
                            file="constructed.csv")
    check_complete_answer(ok, "constructed")
    bad = parse_statbank_csv(f"OMRÅDE;TID;INDHOLD\r\n{rows}Region Sjælland;2024K1;8\r\nKøge;2024K1;7\r\n".encode(),
                             file="constructed.csv")
    with pytest.raises(StatBankError, match="summen af kommunerne stemmer ikke med regionen"):
        check_complete_answer(bad, "constructed")
