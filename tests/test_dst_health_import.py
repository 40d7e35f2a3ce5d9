"""StatBank CSV exports of the health tables imported offline with `klyngedata data import FILE`: the same parser
and checks as a fetch, every presentation, Danish and English, refusals naming file, row and column, merge by
key and the shape rule. Every file here is CONSTRUCTED (made-up counts, named so); the recorded CodeAndValue
fragment is read from ``../shared/reference/statbank-recorded``."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from klyngedata.cli import main
from klyngedata.dst.health_parse import MISSING_REASON, read_export
from klyngedata.dst.health_store import load_health_table
from klyngedata.dst.health_tables import table
from klyngedata.dst.parse import parse_statbank_csv
from klyngedata.exceptions import DataFormatError
from klyngedata.importing import import_file
from tests.statbank_replay import recorded_dir

# CONSTRUCTED: a FOD207 export as statistikbanken.dk writes it in Danish with texts (made-up counts; '..' where
# a figure is not published; the table's own irregular bands 0, 1-4, 85-89 and an open top band)
FOD207_DA = """OMRÅDE;ALDER;KØN;TID;INDHOLD
Hele landet;Alder i alt;I alt;2023;41
Aalborg;0 år;Mænd;2023;2
Aalborg;1-4 år;Mænd;2023;..
Aalborg;85-89 år;Kvinder;2023;7
Aalborg;90 år og derover;Kvinder;2023;9
Region Nordjylland;Alder i alt;I alt;2023;30
Christiansø;Alder i alt;I alt;2023;-
"""
# CONSTRUCTED: the same cells in the English text presentation
FOD207_EN = """OMRÅDE;ALDER;KØN;TID;INDHOLD
All Denmark;Age, total;Total;2023;41
Aalborg;0 years;Men;2023;2
Aalborg;1-4 years;Men;2023;..
Aalborg;85-89 years;Women;2023;7
Aalborg;90 years and over;Women;2023;9
North Denmark Region;Age, total;Total;2023;30
Christiansø;Age, total;Total;2023;-
"""


def write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    return path


def rows(frame: pd.DataFrame) -> list[tuple]:
    return sorted((r.area_code, r.sex, "total" if r.age_total else (r.age_lo, None if pd.isna(r.age_hi) else
                                                                     r.age_hi), r.period,
                   None if pd.isna(r.value) else r.value) for r in frame.itertuples())


def test_a_danish_text_export_of_fod207_imports_through_the_cli(tmp_path):
    path = write(tmp_path, "FOD207_2023.csv", FOD207_DA)
    res = CliRunner().invoke(main, ["data", "import", str(path), "--data-dir", str(tmp_path / "d")])
    assert res.exit_code == 0, res.output
    assert "health/FOD207 (7 rows)" in res.output and "7 rows added" in res.output
    df = load_health_table("FOD207", data_dir=tmp_path / "d")
    assert rows(df) == [("0411", "total", "total", "2023", 0), ("0851", "female", (85, 89), "2023", 7),
                        ("0851", "female", (90, None), "2023", 9), ("0851", "male", (0, 0), "2023", 2),
                        ("0851", "male", (1, 4), "2023", None), ("1081", "total", "total", "2023", 30),
                        ("DK", "total", "total", "2023", 41)]
    missing = df[df["value"].isna()]
    assert (missing["reason_da"] == MISSING_REASON).all() and df["reason_da"].notna().sum() == 1
    assert df.attrs["provenance"]["file"].endswith("FOD207_2023.csv")


def test_english_presentation_reads_the_same(tmp_path):
    da = read_export(write(tmp_path, "FOD207_da.csv", FOD207_DA))
    en = read_export(write(tmp_path, "FOD207_en.csv", FOD207_EN, "cp1252"))
    pd.testing.assert_frame_equal(da, en)


def test_english_quarters_copenhagen_and_men_in_folk1b(tmp_path):
    """CONSTRUCTED FOLK1B exports: English ``2008Q1``, "Copenhagen", "Men" read as Danish ``2008K1``, København,
    Mænd; ``100 år og derover`` (id ``100OV`` in CodeAndValue) is an open band."""
    da = ("OMRÅDE;KØN;ALDER;STATSBORGERSKAB;TID;INDHOLD\nKøbenhavn;Mænd;0-4 år;I alt;2008K1;12\n"
          "København;Mænd;100 år og derover;I alt;2008K1;3\n")
    en = ("OMRÅDE;KØN;ALDER;STATSBORGERSKAB;TID;INDHOLD\nCopenhagen;Men;0-4 years;Total;2008Q1;12\n"
          "Copenhagen;Men;100 years and over;Total;2008Q1;3\n")
    cav = ("OMRÅDE;KØN;ALDER;STATSB;TID;INDHOLD\n101 København;1 Mænd;0-4 0-4 år;0 I alt;2008K1 2008K1;12\n"
           "101 København;1 Mænd;100OV 100 år og derover;0 I alt;2008K1 2008K1;3\n")
    frames = [read_export(write(tmp_path, f"FOLK1B_{i}.csv", t)) for i, t in enumerate((da, en, cav))]
    for f in frames[1:]:
        pd.testing.assert_frame_equal(frames[0], f)
    assert rows(frames[0]) == [("0101", "male", (0, 4), "2008K1", 12), ("0101", "male", (100, None), "2008K1", 3)]


def test_hjemsyg_code_and_value_export_reads_its_own_codes_by_text(tmp_path):
    """CONSTRUCTED HJEMSYG export in CodeAndValue: ``050 Alder i alt``, ``100 Under 65 år``, ``100 Mænd og kvinder
    i alt`` – the codes are the table's own, the texts decide."""
    text = ("OMRÅDE;ALDER1;KOEN;TID;INDHOLD\n851 Aalborg;050 Alder i alt;100 Mænd og kvinder i alt;2024 2024;40\n"
            "851 Aalborg;100 Under 65 år;200 Mænd;2024 2024;5\n"
            "851 Aalborg;800 90 år og derover;300 Kvinder;2024 2024;6\n")
    df = read_export(write(tmp_path, "export.csv", text))  # recognised by its header (ALDER1, KOEN)
    assert rows(df) == [("0851", "female", (90, None), "2024", 6), ("0851", "male", (0, 64), "2024", 5),
                        ("0851", "total", "total", "2024", 40)]
    # the same in the Code presentation cannot be read: 100 would be an age, 375 is not one
    codes = "OMRÅDE;ALDER1;KOEN;TID;INDHOLD\n851;050;100;2024;40\n851;375;200;2024;5\n"
    with pytest.raises(DataFormatError, match=r"row \d, column ALDER1: '375' is not a value klyngedata understands"):
        read_export(write(tmp_path, "HJEMSYG.csv", codes))


def test_measure_tables_keep_the_wanted_figures_and_name_the_rest(tmp_path):
    """CONSTRUCTED SYGP1 export (Value presentation): the GP and psychologist rows are kept under klyngedata's
    keys, the physiotherapy rows left out; ``Uoplyst`` is an area klyngedata leaves out and names."""
    text = ("OMRÅDE;YDELSESART;ALDER;KØN;TID;INDHOLD\nAalborg;ALMEN LÆGE I ALT;Alder i alt;I alt;2024;100\n"
            "Aalborg;PSYKOLOGHJÆLP;Alder i alt;I alt;2024;9\nAalborg;FYSIOTERAPI;Alder i alt;I alt;2024;20\n"
            "Uoplyst;ALMEN LÆGE I ALT;Alder i alt;I alt;2024;4\n")
    df = read_export(write(tmp_path, "SYGP1.csv", text))
    assert sorted(zip(df["measure"], df["value"], strict=True)) == [("gp", 100), ("psychologist", 9)]
    assert df.attrs["provenance"]["left_out"] == {"OMRÅDE": ["Uoplyst"]}
    assert set(df["measure_da"]) == {"ALMEN LÆGE I ALT", "PSYKOLOGHJÆLP"}


def test_rates_read_with_either_decimal_mark(tmp_path):
    text = ("OMRÅDE;KØN;TID;INDHOLD\nHele landet;I alt;2020:2024;81,3\nAalborg;Mænd;2020:2024;79.1\n"
            "Læsø;I alt;2020:2024;..\n")
    df = read_export(write(tmp_path, "HISBK.csv", text))  # CONSTRUCTED life expectancies
    assert str(df["value"].dtype) == "Float64"
    assert rows(df) == [("0825", "total", "total", "2020:2024", None), ("0851", "male", "total", "2020:2024", 79.1),
                        ("DK", "total", "total", "2020:2024", 81.3)]
    for bad in ("1.081,3", "81.234", "-3,1"):  # two marks; a separator before exactly three digits; a sign
        with pytest.raises(DataFormatError, match=rf"HISBK.csv, row 2, column INDHOLD: not a rate: '{bad}'"):
            read_export(write(tmp_path, "HISBK.csv", f"OMRÅDE;KØN;TID;INDHOLD\nHele landet;I alt;2020:2024;{bad}\n"))


@pytest.mark.parametrize("name, text, message", [
    ("FOD207.csv", "OMRÅDE;ALDER;KØN;TID;INDHOLD\nAalborg;Alder i alt;I alt;2023;1,5\n",
     r"FOD207.csv, row 2, column INDHOLD: '1,5' is not a whole count"),
    ("FOD207.csv", "OMRÅDE;ALDER;KØN;TID;INDHOLD\nAalborg;Uoplyst alder;I alt;2023;1\n",
     r"FOD207.csv, row 2, column ALDER: 'Uoplyst alder' is not a value"),
    ("FOD207.csv", "OMRÅDE;ALDER;KØN;TID;INDHOLD\nAalborg;Alder i alt;I alt;2023;1\nAalborg;Alder i alt;I alt;2023;1\n",
     r"FOD207.csv, rows 2 and 3, columns OMRÅDE, ALDER, KØN, TID: the same cell twice"),
    ("FOD207.csv", "OMRÅDE;ALDER;KØN;CIVILSTAND;TID;INDHOLD\nAalborg;Alder i alt;I alt;Ugift;2023;1\n",
     r"FOD207.csv, row 1, column CIVILSTAND: not a variable of FOD207 that klyngedata knows .* not all the total"),
    ("FOLK1B.csv", "OMRÅDE;KØN;ALDER;STATSBORGERSKAB;TID;INDHOLD\nAalborg;I alt;0-4 år;Danmark;2024K1;1\n",
     r"FOLK1B.csv, row 2, column STATSBORGERSKAB: 'Danmark' is not the total of STATSBORGERSKAB"),
    ("export.csv", "OMRÅDE;YDELSESART;ALDER;KØN;TID;INDHOLD\nAalborg;ALMEN LÆGE I ALT;Alder i alt;I alt;2024;1\n",
     r"fits several StatBank health tables \(SYGP1, SYGK1\)"),
    ("FOD207.csv", "OMRÅDE;ALDER;KØN;INDHOLD\nAalborg;Alder i alt;I alt;1\n", r"has no column for tid"),
])
def test_exports_are_refused_naming_file_row_and_column(tmp_path, name, text, message):
    path = write(tmp_path, name, text)
    with pytest.raises(DataFormatError, match=message):
        import_file(path, data_dir=tmp_path / "d")
    assert not (tmp_path / "d" / "cache" / "health").exists()


def test_reimport_merges_by_key_and_a_rebanded_table_needs_replace(tmp_path):
    d = tmp_path / "d"
    import_file(write(tmp_path, "FOD207_a.csv", FOD207_DA), data_dir=d)
    later = "OMRÅDE;ALDER;KØN;TID;INDHOLD\nAalborg;85-89 år;Kvinder;2023;8\nAalborg;85-89 år;Kvinder;2024;6\n"
    [result] = import_file(write(tmp_path, "FOD207_b.csv", later), data_dir=d)
    assert "1 row added, 1 row already cached (1 of them with a new value), 6 other cached rows kept" in result.message
    df = load_health_table("FOD207", data_dir=d)
    assert len(df) == 8 and df.attrs["provenance"]["periods"] == ["2023", "2024"]
    rebanded = "OMRÅDE;ALDER;KØN;TID;INDHOLD\nAalborg;85 år og derover;Kvinder;2024;15\n"
    path = write(tmp_path, "FOD207_c.csv", rebanded)
    res = CliRunner().invoke(main, ["data", "import", str(path), "--data-dir", str(d)])
    assert res.exit_code == 1 and "re-banded" in res.output and "--replace" in res.output
    assert len(load_health_table("FOD207", data_dir=d)) == 8
    res = CliRunner().invoke(main, ["data", "import", str(path), "--replace", "--data-dir", str(d)])
    assert res.exit_code == 0 and "REPLACED: 8 cached rows dropped" in res.output
    assert rows(load_health_table("FOD207", data_dir=d)) == [("0851", "female", (85, None), "2024", 15)]


def test_population_exports_still_go_to_the_population_cache(tmp_path):
    text = "OMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD\nAalborg;I alt;Alder i alt;I alt;2024K1;5\n"  # CONSTRUCTED
    [result] = import_file(write(tmp_path, "export.csv", text), data_dir=tmp_path / "d")
    assert result.key == "population/FOLK1A"


def test_recorded_code_and_value_time_cells_are_read(tmp_path):
    """The recorded KM1 CodeAndValue fragment writes the period as code and text (``2026K1 2026Q1``); the README
    of the recordings said the population parser rejected such a cell. Now that periods go through the
    vocabulary, a FOLK1A answer (population) and a FOLK1B answer (health) with that very cell are read."""
    fragment = (recorded_dir() / "KM1_CodeAndValue_fragment_en.txt").read_text(encoding="utf-8")
    block = fragment[fragment.index("SOGN;FKMED;TID;CONTENT_TYPE;INDHOLD"):].split("\n\n")[0].splitlines()
    cell = block[1].split(";")[2]
    assert cell == "2026K1 2026Q1"
    population = f"OMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD\n101 København;1 Mænd;IALT Alder i alt;TOT I alt;{cell};5\n"
    df = parse_statbank_csv(population.encode(), file="constructed FOLK1A answer")
    assert df["period"].tolist() == [pd.Period("2026Q1")]
    health = f"OMRÅDE;KØN;ALDER;STATSB;TID;INDHOLD\n101 Copenhagen;1 Men;0-4 0-4 years;0 Total;{cell};5\n"
    df = read_export(health.encode(), table("FOLK1B"), file="constructed FOLK1B answer")
    assert df["period"].tolist() == ["2026K1"]
