"""Trustworthy data, third round (issue 25): every case of the issue as a test of the message, the exit code and
that the cache (and earlier reports) are unchanged.

Files here are CONSTRUCTED examples (invented counts) in StatBank's exact export format, the documented indicator
long format, or saved StatBank answers read from ``shared/reference/statbank-recorded`` at test time. The cases
and where each is tested are listed in ``docs/trust.md``.
"""

from __future__ import annotations

import re
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


# --------------------------------------------------------------------------------------------------
# principle 4: degrade only what is touched; a report or overview that would lose a section fails
# --------------------------------------------------------------------------------------------------
def _uoplyst_file(path: Path) -> Path:
    """CONSTRUCTED indicator file in the documented long format with an age group that cannot be placed on the
    age axis ('Uoplyst') beside 0-64 and 65+, for all 98 municipalities."""
    from klyngedata import registry

    lines = ["municipality,period,indicator,numerator,denominator,age_group"]
    for i, code in enumerate(registry.municipalities()["municipality_code"]):
        for age, num, den in (("0-64", 400 + i, 9000 + i), ("65+", 300 + i, 2000 + i), ("Uoplyst", 5, 50)):
            lines.append(f"{code},2024,genindlaeggelser_somatik_30d,{num},{den},{age}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_an_age_group_that_cannot_be_placed_is_refused_and_the_cache_kept(tmp_path):
    """The file used to import; the report then lost its health indicators with exit 0. Parse exactly or
    refuse: the import fails naming file, row and column, and the cache (and so every report) is unchanged."""
    data = _good_cache(tmp_path)
    before = snapshot(data)
    res = cli("data", "import", str(_uoplyst_file(tmp_path / "CONSTRUCTED_uoplyst.csv")), "--data-dir", str(data))
    assert res.exit_code == 1
    assert ("CONSTRUCTED_uoplyst.csv, row 4, column 'age_group': unknown age group 'Uoplyst': an age group must be "
            "placed on the age axis") in res.output
    assert snapshot(data) == before


SECTION_NOTEBOOK = [  # a constructed report notebook: the header and the health-indicator section
    ('cluster = "x"\ndivision = None\nperiod = "latest"\ndata_dir = None', ["parameters"]),
    ("from klyngedata.reports import ClusterReport\n"
     "rapport = ClusterReport(cluster, division=division, period=period, data_dir=data_dir)\nrapport.header()", []),
    ("rapport.indicator_table()", []),
]


@pytest.fixture
def data_with_indicators(imported_data_dir, shared_data, tmp_path) -> Path:
    """A private copy of the imported real population with the real home-nursing indicator file imported."""
    import shutil

    target = tmp_path / "data"
    shutil.copytree(imported_data_dir, target, ignore=shutil.ignore_patterns(".lock"))
    kd.import_file(shared_data / "indicators" / "hjemsyg_scores.csv", data_dir=target)
    return target


def _damage(data_dir: Path, key: str) -> None:
    from klyngedata.cache import Cache

    path = Cache(data_dir).data_path(key)
    raw = bytearray(path.read_bytes())
    raw[100:160] = b"X" * 60
    path.write_bytes(bytes(raw))


def test_a_report_that_would_lose_a_section_fails_and_keeps_last_weeks(data_with_indicators, tmp_path,
                                                                        monkeypatch):
    from tests.test_reports import _write_constructed_notebook

    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    nb_dir = tmp_path / "templates"
    _write_constructed_notebook(nb_dir / "noegletalsrapport.ipynb", cells=SECTION_NOTEBOOK)
    out = tmp_path / "reports"
    args = ["report", "nordjylland-vest", "--notebook-dir", str(nb_dir), "--notebooks", "noegletalsrapport",
            "--out", str(out), "--data-dir", str(data_with_indicators), "--no-progress"]
    first = cli(*args)
    assert first.exit_code == 0, first.output
    report = out / "nordjylland-vest-noegletalsrapport.html"
    last_week = report.read_bytes()
    import json

    entry = json.loads((out / "_manifest.json").read_text(encoding="utf-8"))["reports"][0]
    assert entry["sections"] == {"sundhedsindikatorer": ""}
    _damage(data_with_indicators, "indicators/hjemmesygepleje_pr_1000")  # a damaged cache entry (or a bad import)
    before = snapshot(data_with_indicators)
    second = cli(*args)
    assert second.exit_code == 1
    assert "0 of 1 reports written" in second.output
    assert ("nordjylland-vest / noegletalsrapport: ReportDataError: nordjylland-vest: the report would lose "
            "section(s) the previous report of ") in second.output
    assert "sundhedsindikatorer (Sundhedsindikatorerne kan ikke vises" in second.output
    assert "The previous report is kept; delete it to accept a report without them" in second.output
    assert report.read_bytes() == last_week and snapshot(data_with_indicators) == before


def test_an_overview_that_would_lose_a_section_fails_and_keeps_the_previous_page(data_with_indicators, tmp_path,
                                                                                  monkeypatch):
    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    out = tmp_path / "reports"
    args = ["overview", "--division", "sundhedsklynger-2022", "--out", str(out), "--data-dir",
            str(data_with_indicators)]
    assert cli(*args).exit_code == 0
    page = out / "oversigt-sundhedsklynger-2022.html"
    previous = page.read_bytes()
    from klyngedata.reports.coverage import page_sections

    assert page_sections(page) == {"noegletal": "", "sundhedsindikatorer": "", "varmekort": "", "kort": ""}
    _damage(data_with_indicators, "indicators/hjemmesygepleje_pr_1000")
    res = cli(*args)
    assert res.exit_code == 1
    assert ("overview of sundhedsklynger-2022: the report would lose section(s) the previous report had: "
            "sundhedsindikatorer (Sundhedsindikatorerne kan ikke vises") in res.output
    assert page.read_bytes() == previous


def test_documented_age_breakdown_in_peers_barometer_table_and_overview(imported_data_dir, tmp_path, monkeypatch):
    """The long format's optional age_group column (0-64, 65+, total; large counts, CONSTRUCTED for all 98
    municipalities) made the key-figure report fail in the peers cell ('The truth value of a Series is
    ambiguous': a row per unit and age group) and the overview die with a traceback. Tables and charts with a
    row per unit and figure now take the figure's headline rows (both sexes, all ages)."""
    import shutil

    from klyngedata import registry
    from klyngedata.reports.context import ClusterReport
    from klyngedata.reports.coverage import note_text
    from klyngedata.reports.overview import overview_html

    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    data = tmp_path / "data"
    shutil.copytree(imported_data_dir, data, ignore=shutil.ignore_patterns(".lock"))
    lines = ["municipality,period,indicator,numerator,denominator,age_group"]
    for i, code in enumerate(registry.municipalities()["municipality_code"]):
        for year in (2022, 2023, 2024):
            young, old = (400 + i + year % 10, 9000 + 13 * i), (300 + i, 2000 + 7 * i)
            for age, (num, den) in (("0-64", young), ("65+", old), ("total", (young[0] + old[0], young[1] + old[1]))):
                lines.append(f"{code},{year},genindlaeggelser_somatik_30d,{num},{den},{age}")
    path = tmp_path / "CONSTRUCTED_age_groups.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    kd.import_file(path, data_dir=data)
    rep = ClusterReport("nordjylland-vest", data_dir=data, report=True)
    for block in (rep.peers(), rep.spine_chart(), rep.indicator_table()):
        assert note_text(block) is None  # shown, not a note (and no exception)
    table = rep._division_table()
    fig = table[table["figure_id"] == "genindlaeggelser_somatik_30d"]
    assert not fig.duplicated(["entity_level", "entity_id", "period"]).any()
    vest = fig[(fig["entity_id"] == "nordjylland-vest") & (fig["period"].astype(str) == "2024")].iloc[0]
    # Klynge Vest = Morsø (0773) + Thisted (0787): the 'total' rows, summed (counts by hand from the construction)
    codes = list(registry.municipalities()["municipality_code"])
    i, j = codes.index("0773"), codes.index("0787")
    num = sum(400 + k + 4 + 300 + k for k in (i, j))
    den = sum(9000 + 13 * k + 2000 + 7 * k for k in (i, j))
    assert vest["numerator"] == num and vest["denominator"] == den
    page = overview_html("sundhedsklynger-2022", data_dir=data)
    assert "Akutte somatiske genindlæggelser" in page or "Akutte somatiske genindl\\u00e6ggelser" in page


# --------------------------------------------------------------------------------------------------
# a real file in Denmark's shape: the 98 municipalities without Christiansø
# --------------------------------------------------------------------------------------------------
def _constructed_98(path: Path, *, christiansoe: tuple[str, ...] = ()) -> Path:
    """CONSTRUCTED FOLK1AM export in StatBank's exact format: the 98 municipalities by name (no region, no
    'Hele landet'), 2024M03 and 2024M04, invented counts (1000 + the code); Christiansø in the months given."""
    from klyngedata import registry

    m = registry.municipalities()
    rows = [f"{name};{p};{1000 + int(code)}" for name, code in zip(m["dst_name"], m["municipality_code"], strict=True)
            for p in ("2024M03", "2024M04")]
    rows += [f"Christiansø;{p};7" for p in christiansoe]
    path.write_bytes((HEADER + "".join(r + "\r\n" for r in rows)).encode("utf-8"))
    return path


def test_denmark_without_christiansoe_is_computed_named_and_explained_never_the_official_total(tmp_path,
                                                                                               monkeypatch):
    """The 98 municipalities without Christiansø (which StatBank's 'Hele landet' includes): the key figures
    show Denmark and Region Hovedstaden as 'Hele landet (uden Christiansø)' / 'Region Hovedstaden (uden
    Christiansø)' with a note and provenance saying so (they were called 'Hele landet', 'Tallet er landets eget',
    a sum passed off as the official total); the report says so in its header and column headers, the overview
    in a note; population() itself still refuses the totals (naming Christiansø)."""
    from klyngedata import registry
    from klyngedata.reports.context import ClusterReport
    from klyngedata.reports.overview import overview_html

    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    data = tmp_path / "data"
    kd.import_file(_constructed_98(tmp_path / "CONSTRUCTED_FOLK1AM_98.csv"), data_dir=data)
    codes = [int(c) for c in registry.municipalities()["municipality_code"]]
    hovedstaden = [int(c) for c in registry.region_municipalities("1084")]
    kf = kd.key_figures("hovedstaden-bornholm", period="2024M04", data_dir=data)
    pop = kf[kf["figure_id"] == "population"].set_index("entity_level")
    assert pop.loc["country", "entity_name"] == "Hele landet (uden Christiansø)"
    assert pop.loc["country", "value"] == sum(1000 + c for c in codes)  # the 98, by hand
    assert pop.loc["region", "entity_name"] == "Region Hovedstaden (uden Christiansø)"
    assert pop.loc["region", "value"] == sum(1000 + c for c in hovedstaden)
    assert pop.loc["cluster", "country_value"] == pop.loc["country", "value"]
    for level in ("region", "country"):
        assert "De er ikke Danmarks Statistiks officielle tal, som også omfatter Christiansø" in pop.loc[level,
                                                                                                         "note_da"]
        assert pop.loc[level, "provenance"].endswith("(summeret fra kommunetal uden Christiansø)")
    # a unit outside Region Hovedstaden: its region is whole, Denmark is not
    vest = kd.key_figures("nordjylland-vest", period="2024M04", data_dir=data)
    names = dict(zip(vest["entity_level"], vest["entity_name"], strict=False))
    assert names["region"] == "Region Nordjylland" and names["country"] == "Hele landet (uden Christiansø)"
    # the report: a note in the header, the columns named; the overview: a note
    from klyngedata.population.load import PopulationWarning

    rep = ClusterReport("hovedstaden-bornholm", data_dir=data, report=True)
    with pytest.warns(PopulationWarning, match="København er delt"):  # (no bydel populations in this data)
        header, table = rep.header().data, rep.keyfigure_table().data
        chart = rep.comparison()  # failed with a TypeError (Denmark's rows without figures): now the named sums
        page = overview_html("sundhedsklynger-2022", data_dir=data)
    assert "Sammenligningstal uden Christiansø" in header
    assert "<th>Regionen (uden Christiansø)</th><th>Hele landet (uden Christiansø)</th>" in table
    assert [t.name for t in chart.data] == ["Sundhedsklynge Bornholm", "Region Hovedstaden (uden Christiansø)",
                                            "Hele landet (uden Christiansø)"]
    dk = chart.data[2]  # indexed to the first month: the sums of the 98 by hand (both months equal here)
    assert list(dk.y) == [100.0, 100.0]
    assert "Christiansø findes ikke i de indlæste befolkningstal, så tallene for Region Hovedstaden (uden " in page
    # the data layer's own totals stay strict: missing with the reason
    dk = kd.population("country", period="2024M04", data_dir=data).iloc[0]
    assert pd.isna(dk["population"]) and dk["reason_da"] == ("Befolkningstallet for Christiansø findes ikke i de "
                                                             "indlæste data, så tallet for Hele landet kan ikke "
                                                             "beregnes uden at gætte")


def test_christiansoe_in_the_data_makes_the_official_total_and_a_month_without_it_is_missing(tmp_path):
    """With Christiansø in the data, Denmark is 'Hele landet' including it; a month in which it lacks is
    missing with the reason (never silently 'uden Christiansø' for that month only)."""
    from klyngedata import registry

    data = tmp_path / "data"
    kd.import_file(_constructed_98(tmp_path / "CONSTRUCTED_FOLK1AM_99.csv", christiansoe=("2024M04",)),
                   data_dir=data)
    codes = [int(c) for c in registry.municipalities()["municipality_code"]]
    kf = kd.key_figures("nordjylland-vest", period="2024M04", data_dir=data)
    dk = kf[(kf["figure_id"] == "population") & (kf["entity_level"] == "country")].iloc[0]
    assert dk["entity_name"] == "Hele landet" and dk["value"] == sum(1000 + c for c in codes) + 7
    assert "benchmark_note_da" not in kf.attrs
    march = kd.key_figures("nordjylland-vest", period="2024M03", data_dir=data)
    assert not (march["entity_level"] == "country").any()
    assert any(m["entity_level"] == "country" and m["figure_id"] == "population" for m in march.attrs["missing"])


# --------------------------------------------------------------------------------------------------
# principle 1: a value outside its definition's domain is refused, indicator files too
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("column, value", [("laegekontakt_raw", "100.01"), ("hospital_use_pct", "150.5"),
                                           ("rygning_pct", "101")])
def test_a_share_above_100_percent_is_refused_naming_file_row_and_column(tmp_path, column, value):
    """A share of citizens in % above 100 imported (only the surveys' were bounded): now refused."""
    out, code, unchanged = _refused(tmp_path, "CONSTRUCTED_share.csv",
                                    f"kommune_kode,{column}\n101,42.5\n825,{value}\n".encode())
    assert code == 1 and unchanged
    assert f"CONSTRUCTED_share.csv, row 3, column '{column}': value '{value}' out of range (0.0..100.0)" in out


def test_a_share_of_exactly_100_and_a_rate_per_100_above_100_import(tmp_path):
    data = tmp_path / "data"
    ok = tmp_path / "CONSTRUCTED_rates.csv"
    ok.write_text("kommune_kode,laegekontakt_raw,medicin_raw\n825,100,250.5\n", encoding="utf-8")
    res = cli("data", "import", str(ok), "--data-dir", str(data))
    assert res.exit_code == 0, res.output
    from klyngedata.indicators import load_indicators

    got = load_indicators(data_dir=data).set_index("indicator")["value"]
    assert got.to_dict() == {"laegekontakt_pct": 100.0, "recepter_pr_100": 250.5}


def test_a_denominator_larger_than_the_municipalitys_population_is_refused(imported_data_dir, tmp_path):
    """A count larger than the population it is about: 'citizens 65+' of Læsø above Læsø's whole population in
    the cached (real) population of that year is refused naming file, row and column; exactly the population
    imports (the bound is the largest month of the year, all ages: never refuses a true count)."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(imported_data_dir, data, ignore=shutil.ignore_patterns(".lock"))
    pop = kd.population("municipality", period="all", data_dir=data)
    laesoe = pop[(pop["entity_id"] == "0825") & (pop["period"].astype(str).str.startswith("2024"))]
    most = int(laesoe["population"].max())
    before = snapshot(data)

    def attempt(den: int):
        path = tmp_path / "CONSTRUCTED_denominator.csv"
        path.write_text("municipality,period,indicator,numerator,denominator\n"
                        f"0851,2024,forebyggelige_indlaeggelser_65,40,2000\n"
                        f"0825,2024,forebyggelige_indlaeggelser_65,5,{den}\n", encoding="utf-8")
        return cli("data", "import", str(path), "--data-dir", str(data))

    res = attempt(most + 1)
    assert res.exit_code == 1
    assert (f"CONSTRUCTED_denominator.csv, row 3, column 'denominator': {most + 1} (borgere på 65 år og derover) "
            f"is more than the whole population of municipality 0825 in 2024 ({most} at most in the cached "
            "population): a count larger than the population it is about") in res.output
    assert snapshot(data) == before
    assert attempt(most).exit_code == 0


def test_a_negative_published_rate_is_refused_naming_file_row_and_column(tmp_path):
    out, code, unchanged = _refused(tmp_path, "CONSTRUCTED_rate.csv", b"kommune_kode,hjemsyg_raw\n101,-0.5\n")
    assert code == 1 and unchanged
    assert "CONSTRUCTED_rate.csv, row 2, column 'hjemsyg_raw': value '-0.5' out of range (>= 0.0)" in out


def test_indexed_trend_without_a_base_value_says_why_instead_of_a_type_error():
    """CONSTRUCTED: Denmark's rows without a figure (missing, with the reason) made the comparison chart fail
    with 'float() argument must be ... not NAType'; now a DataNotAvailable naming the entity and the reason."""
    from klyngedata.figures import indexed_trend

    frame = pd.DataFrame({"level": ["cluster", "cluster", "country", "country"], "entity_id": ["x", "x", "DK", "DK"],
                          "entity_name": ["X", "X", "Hele landet", "Hele landet"],
                          "period": pd.PeriodIndex(["2024-03", "2024-04"] * 2, freq="M"), "sex": "total",
                          "population": pd.array([100, 101, None, None], dtype="Int64"),
                          "reason_da": [None, None, "Befolkningstallet for Christiansø findes ikke i de indlæste "
                                                    "data", "(samme)"]})
    with pytest.raises(kd.DataNotAvailable, match=r"indexed_trend: Hele landet has no population in 2024-03 "
                                                  r"\(Befolkningstallet for Christiansø findes ikke"):
        indexed_trend(frame)


@pytest.mark.parametrize("groups, problem", [
    (["0-17", "18+"], "'0-17' is not a whole age"), ([0, -5], "-5 is not a whole age"), ([0, 18.5], "18.5 is not a "
     "whole age"), ([0, 18, 18], "the edges must be distinct ages"), ("decades", "use 'broad', '5y' or a list"),
    (18, "use 'broad', '5y' or a list")])
def test_age_groups_that_are_no_ages_are_a_typed_error_naming_the_argument(partial_folk1a, groups, problem):
    """A list of labels (['0-17', '18+']) raised a bare ValueError from int()."""
    with pytest.raises(kd.ArgumentError, match=rf"^age_groups {re.escape(repr(groups))}: {re.escape(problem)}"):
        kd.population("municipality", by=["sex"], age_groups=groups, data_dir=partial_folk1a)


@pytest.mark.parametrize("kwargs, message", [
    ({"age_groups": "decades"}, "age_groups 'decades': use 'broad', '5y' or a list"),
    ({"by": ["junk"]}, "by must be a subset of ('sex', 'age'), not ['junk']")])
def test_a_wrong_argument_is_named_before_what_the_data_hold(imported_data_dir, kwargs, message):
    """On the real FOLK1AM totals (no breakdown by sex and age) age_groups='decades' was answered with 'the
    cached FOLK1AM has no breakdown by sex and age': the argument is named first."""
    with pytest.raises(kd.ArgumentError) as err:
        kd.population("municipality", data_dir=imported_data_dir, **kwargs)
    assert str(err.value).startswith(message) and "breakdown" not in str(err.value)


@pytest.mark.e2e  # runs the real key-figure notebook in a Jupyter kernel
def test_the_real_key_figure_report_on_the_98_municipalities_without_christiansoe(tmp_path, monkeypatch):
    """The whole report on a file in Denmark's shape without Christiansø (CONSTRUCTED counts): written (exit 0),
    its comparisons named "(uden Christiansø)" and explained (before: the sum of the 98 shown as 'Hele landet',
    no word of Christiansø; fails on 57eb4df)."""
    import re as _re

    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    data = tmp_path / "data"
    kd.import_file(_constructed_98(tmp_path / "CONSTRUCTED_FOLK1AM_98.csv"), data_dir=data)
    out = tmp_path / "reports"
    res = cli("report", "hovedstaden-bornholm", "--notebooks", "noegletalsrapport", "--out", str(out),
              "--data-dir", str(data), "--no-progress")
    assert res.exit_code == 0, res.output
    page = (out / "hovedstaden-bornholm-noegletalsrapport.html").read_text(encoding="utf-8")
    text = _re.sub(r"<[^>]+>", " ", page)
    assert "Sammenligningstal uden Christiansø" in text
    assert "Hele landet (uden Christiansø)" in text and "Traceback" not in page
