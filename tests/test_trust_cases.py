"""Trustworthy data, third round (issue 25): every case of the issue as a test of the message, the exit code and
that the cache (and earlier reports) are unchanged.

Files here are CONSTRUCTED examples (invented counts) in StatBank's exact export format, the documented indicator
long format, or saved StatBank answers read from ``shared/reference/statbank-recorded`` at test time. The cases
and where each is tested are listed in ``docs/trust.md``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import klyngedata as kd
from klyngedata.cli import main
from klyngedata.exceptions import DataFormatError
from tests.test_import_rules import snapshot

RECORDED = Path(__file__).resolve().parents[1] / ".." / "shared" / "reference" / "statbank-recorded"
HEADER = "\ufeffOMRÅDE;TID;INDHOLD\r\n"


def cli(*args: str):
    return CliRunner().invoke(main, list(args))


def _good_cache(tmp_path: Path) -> Path:
    """A data directory holding one CONSTRUCTED FOLK1AM entry (the cache the refused imports must leave alone)."""
    data = tmp_path / "data"
    good = tmp_path / "CONSTRUCTED_FOLK1AM_good.csv"
    good.write_bytes((HEADER + "Aalborg;2024M01;120000\r\nLæsø;2024M01;1700\r\n").encode("utf-8"))
    assert cli("data", "import", str(good), "--data-dir", str(data)).exit_code == 0
    return data


def _refused(tmp_path: Path, name: str, raw: bytes) -> tuple[str, int, bool]:
    """Import ``raw`` as ``name`` into a cache holding one entry: (output, exit code, cache unchanged)."""
    data = _good_cache(tmp_path)
    before = snapshot(data)
    bad = tmp_path / name
    bad.write_bytes(raw)
    res = cli("data", "import", str(bad), "--data-dir", str(data))
    return res.output, res.exit_code, snapshot(data) == before


# --------------------------------------------------------------------------------------------------
# principle 5: messages that point to the right place
# --------------------------------------------------------------------------------------------------
def test_decimal_count_in_a_long_export_names_its_own_row_and_value(tmp_path):
    """pandas reads a column with one '5867412.0' as floats (every count then ends in '.0'): the message named
    row 2 and '200001.0', neither in the file. Now the row and the cell as the file writes them."""
    rows = "".join(f"Aalborg;{y}M{m:02d};{200000 + m}\r\n" for y in (2021, 2022) for m in range(1, 13))
    out, code, unchanged = _refused(tmp_path, "CONSTRUCTED_FOLK1AM_decimal.csv",
                                    (HEADER + rows + "Hele landet;2021M10;5867412.0\r\n").encode("utf-8"))
    assert code == 1 and unchanged
    assert ("CONSTRUCTED_FOLK1AM_decimal.csv, row 26, column INDHOLD: '5867412.0' is not a whole count written as "
            "digits") in out
    assert "200001.0" not in out


@pytest.mark.parametrize("cell, message", [
    ("5.867.412", "row 3, column INDHOLD: '5.867.412' is not a whole count written as digits"),
    ("+5", "row 3, column INDHOLD: not a count: '+5'"),
    ("99999999999999999999999", "row 3, column INDHOLD: count '99999999999999999999999' is too large"),
])
def test_thousands_separator_sign_and_a_count_beyond_64_bits_are_refused_by_row(tmp_path, cell, message):
    out, code, unchanged = _refused(tmp_path, "CONSTRUCTED_FOLK1AM_bad.csv",
                                    (HEADER + f"Aalborg;2021M10;12\r\nLæsø;2021M10;{cell}\r\n").encode("utf-8"))
    assert code == 1 and unchanged and message in out
    assert "Traceback" not in out


def test_count_beyond_64_bits_in_an_indicator_file_is_refused_by_row_and_column(tmp_path):
    bad = tmp_path / "CONSTRUCTED_indicator_big.csv"
    bad.write_text("municipality,period,indicator,numerator,denominator\n"
                   "0851,2024,genindlaeggelser_somatik_30d,5,99999999999999999999999\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"CONSTRUCTED_indicator_big.csv, row 2, column 'denominator': count "
                                              r"'99999999999999999999999' is too large"):
        kd.import_file(bad, data_dir=tmp_path / "d")


def test_empty_file_says_it_is_empty_and_what_is_expected(tmp_path):
    out, code, unchanged = _refused(tmp_path, "empty.csv", b"")
    assert code == 1 and unchanged
    assert "empty.csv: the file is empty (0 bytes); klyngedata imports StatBank CSV exports" in out


def test_wrong_headers_say_what_was_found_and_what_is_expected(tmp_path):
    out, code, unchanged = _refused(tmp_path, "CONSTRUCTED_wrong.csv", b"kommune;aar;antal\r\n101;2024;5\r\n")
    assert code == 1 and unchanged
    assert "found the header 'kommune;aar;antal'" in out
    assert "indicator files (municipality, period, indicator, numerator, denominator)" in out
    assert "StatBank CSV exports and answers (';'-separated, last column INDHOLD)" in out


@pytest.mark.parametrize("name", ["invalid_table_id__HTTP400.json",
                                  "REQUEST-LIMIT_csv_too_many_cells_da__HTTP400.json"])
@pytest.mark.parametrize("saved_as", [".json", ".csv"])
def test_saved_statbank_error_body_is_recognised_for_what_it_is(tmp_path, name, saved_as):
    recorded = RECORDED / "errors" / name
    if not recorded.is_file():
        pytest.skip(f"recorded StatBank answers not found in {RECORDED}")
    import json

    body = recorded.read_bytes()
    err = json.loads(body)
    out, code, unchanged = _refused(tmp_path, f"saved_answer{saved_as}", body)
    assert code == 1 and unchanged
    assert f"an error answer from Statistics Denmark's StatBank API, not data: {err['errorTypeCode']} " \
           f"»{err['message']}«" in out


def test_saved_statbank_error_body_in_a_folder_fails_too(tmp_path):
    recorded = RECORDED / "errors" / "invalid_table_id__HTTP400.json"
    if not recorded.is_file():
        pytest.skip(f"recorded StatBank answers not found in {RECORDED}")
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "FOLK1A.csv").write_bytes(recorded.read_bytes())
    (folder / "README.md").write_text("notes\n", encoding="utf-8")
    res = cli("data", "import", str(folder), "--data-dir", str(tmp_path / "d"))
    assert res.exit_code == 1
    assert "failed   " in res.output and "FOLK1A.csv" in res.output and "EXTRACT-NOTFOUND" in res.output
    assert "skipped  " in res.output and "README.md" in res.output  # a README stays a skipped file


def test_saved_jsonstat_answer_is_recognised_for_what_it_is(tmp_path):
    # CONSTRUCTED JSON-stat answer (the shape the StatBank API gives for format=JSONSTAT; one invented count)
    body = ('{"dataset":{"dimension":{"id":["OMRÅDE","Tid"],"size":[1,1],"OMRÅDE":{"category":{"index":{"000":0}}},'
            '"Tid":{"category":{"index":{"2024K1":0}}}},"label":"Befolkningen den 1. i kvartalet","value":[7]}}')
    out, code, unchanged = _refused(tmp_path, "FOLK1A.json", body.encode("utf-8"))
    assert code == 1 and unchanged
    assert "a JSON-stat answer from the StatBank API ('Befolkningen den 1. i kvartalet')" in out
    assert "save the CSV answer (format=CSV or BULK)" in out


def test_overview_with_an_unknown_figure_fails_and_keeps_the_previous_page(tmp_path, imported_data_dir):
    out = tmp_path / "reports"
    out.mkdir()
    previous = out / "oversigt-sundhedsklynger-2022.html"
    previous.write_text("last week's overview\n", encoding="utf-8")
    res = cli("overview", "--division", "sundhedsklynger-2022", "--figure", "NOSUCH", "--out", str(out),
              "--data-dir", str(imported_data_dir))
    assert res.exit_code == 1
    assert "--figure 'NOSUCH': unknown figure id 'NOSUCH' in the figure catalogue" in res.output
    assert previous.read_text(encoding="utf-8") == "last week's overview\n"


def test_overview_with_a_figure_the_data_lack_fails_and_keeps_the_previous_page(tmp_path, imported_data_dir):
    out = tmp_path / "reports"
    out.mkdir()
    previous = out / "oversigt-sundhedsklynger-2022.html"
    previous.write_text("last week's overview\n", encoding="utf-8")
    res = cli("overview", "--division", "sundhedsklynger-2022", "--figure", "proj_65_plus_change_5y", "--out",
              str(out), "--data-dir", str(imported_data_dir))  # the real files hold no projection
    assert res.exit_code == 1
    assert "--figure 'proj_65_plus_change_5y' has no values for the units of the division" in res.output
    assert previous.read_text(encoding="utf-8") == "last week's overview\n"


@pytest.mark.parametrize("n", [2.5, "3", True, 0])
def test_peers_with_a_number_of_units_that_is_no_whole_number_is_a_typed_error(n):
    with pytest.raises(kd.ArgumentError, match=rf"peers\(\): n must be a whole number of units, at least 1 "
                                                rf"\(got n={n!r}\)"):
        kd.peers("nordjylland-vest", n=n)
    assert issubclass(kd.ArgumentError, kd.KlyngedataError) and issubclass(kd.ArgumentError, ValueError)


# --------------------------------------------------------------------------------------------------
# principle 2: totals only from complete selections, on every path (a partial FOLK1A export)
# --------------------------------------------------------------------------------------------------
def _constructed_partial_folk1a(path: Path) -> Path:
    """CONSTRUCTED partial FOLK1A export in StatBank's exact format (UTF-8 with BOM, ';', CRLF, texts): all 98
    municipalities and Christiansø by sex and single year of age 0-100 ('100 år og derover') WITHOUT age 38 —
    as a user gets it by leaving one age out of the selection — first quarters 2019 and 2020; invented counts."""
    from klyngedata import registry

    m = registry.municipalities()
    lines = ["OMRÅDE;KØN;ALDER;TID;INDHOLD"]
    for name, code in [*zip(m["dst_name"], m["municipality_code"], strict=True), ("Christiansø", "0411")]:
        for year in (2019, 2020):
            for sex, k in (("Mænd", 0), ("Kvinder", 1)):
                lines += [f"{name};{sex};{'100 år og derover' if a == 100 else f'{a} år'};{year}K1;"
                          f"{int(code) % 97 + 10 + a % 7 + k + year - 2019}" for a in range(101) if a != 38]
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


@pytest.fixture(scope="module")
def partial_folk1a(tmp_path_factory) -> Path:
    """A data directory with the CONSTRUCTED partial FOLK1A export imported."""
    root = tmp_path_factory.mktemp("partial")
    kd.import_file(_constructed_partial_folk1a(root / "CONSTRUCTED_FOLK1A_partial.csv"), data_dir=root / "data")
    return root / "data"


def test_partial_export_key_figures_are_missing_not_a_sum_over_the_ages_there_are(partial_folk1a):
    """Bornholm's population was shown as the sum over ages 0-37 and 39-100 (and the age shares based on it);
    now no key figure is computed from an incomplete age distribution, and the reason names the age."""
    before = snapshot(partial_folk1a)
    with pytest.raises(kd.DataNotAvailable) as err:
        kd.key_figures("hovedstaden-bornholm", period="2020K1", data_dir=partial_folk1a)
    assert ("befolkningen findes i data kun fordelt på alder, og alder 38 år mangler, så tallet kan ikke beregnes "
            "uden at gætte") in str(err.value)
    # the same frame handed in by the caller (population by sex and single year): the same answer
    frame = kd.population("municipality", by=["sex", "age"], period="all", data_dir=partial_folk1a)
    assert 38 not in set(frame["age"]) and len(frame) == 99 * 2 * 2 * 100
    with pytest.raises(kd.DataNotAvailable, match="alder 38 år mangler"):
        kd.key_figures("hovedstaden-bornholm", period="2020K1", population=frame)
    assert snapshot(partial_folk1a) == before


def test_partial_export_totals_refusal_says_the_data_are_there_in_another_shape(partial_folk1a):
    with pytest.raises(kd.DataNotAvailable) as err:
        kd.population("municipality", data_dir=partial_folk1a)
    text = str(err.value)
    assert ("it holds the population for both sexes by single year of age (0-100+), but age 38 is not in it, so "
            "all-ages totals and age groups over them cannot be computed without guessing") in text
    assert "data fetch" not in text  # the data are not absent: they are there in another shape


def test_partial_export_age_groups_over_the_missing_age_are_missing_with_the_reason(partial_folk1a):
    df = kd.population("municipality", by=["sex"], age_groups="broad", period="2020K1", data_dir=partial_folk1a)
    born = df[(df["entity_id"] == "0400") & (df["sex"] == "male")].set_index("age_group")
    assert pd.isna(born.loc["18-64", "population"])
    assert born.loc["18-64", "reason_da"] == ("I data mangler alder 38 år for Bornholm, så aldersgruppen kan ikke "
                                              "beregnes uden at gætte")
    # 0-17 lacks nothing: the sum of the constructed counts, by hand (Bornholm 0400: 400 % 97 + 10 = 22, +1 in 2020)
    assert int(born.loc["0-17", "population"]) == sum(22 + a % 7 + 1 for a in range(18))
    from klyngedata.population.load import PopulationWarning

    with pytest.warns(PopulationWarning, match="København er delt"):  # (no bydel populations in this data)
        cl = kd.population("cluster", age_groups="broad", period="2020K1", data_dir=partial_folk1a)
    row = cl[(cl["entity_id"] == "hovedstaden-bornholm") & (cl["age_group"] == "18-64")].iloc[0]
    assert pd.isna(row["population"]) and "så tallet for Sundhedsklynge Bornholm kan ikke beregnes" in row["reason_da"]
    dk = kd.population("country", age_groups="broad", period="2020K1", data_dir=partial_folk1a)
    assert dk.set_index("age_group")["population"].isna().tolist() == [False, True, False, False]


def test_partial_export_peers_and_report_refuse_with_the_reason(partial_folk1a, monkeypatch):
    from klyngedata.exceptions import ReportDataError
    from klyngedata.peers import peer_features
    from klyngedata.reports.context import ClusterReport

    feats = peer_features("sundhedsklynger-2022", data_dir=partial_folk1a)
    assert feats["population"].isna().all()  # never the sum of the age groups there are
    assert feats.loc["hovedstaden-bornholm", "reason_da"] == (
        "I data mangler alder 38 år for Bornholm, så tallet for Sundhedsklynge Bornholm kan ikke beregnes uden at "
        "gætte")
    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    with pytest.raises(ReportDataError, match="hovedstaden-bornholm: the population data cannot be used, so the "
                                              "report is not written: .* but age 38 is not in it"):
        ClusterReport("hovedstaden-bornholm", data_dir=partial_folk1a, report=True).check_data()
