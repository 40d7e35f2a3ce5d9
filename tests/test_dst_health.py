"""StatBank health tables (issue 22, first half): the catalogue resolved from metadata, `klyngedata data fetch`
against the replay, the Danish refusal of a changed table, and the cache.

The replay serves the recorded API (``tests/statbank_replay.py``); the health tables' metadata and every value
are CONSTRUCTED (``tests/health_replay.py`` says what is recorded and what is made up). The expected rows are
computed from the constructed metadata and values alone (``expected_rows``), never by the code under test.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from klyngedata.cache import Cache
from klyngedata.cli import main
from klyngedata.dst.health_parse import ABSENT_REASON, COLUMNS, MISSING_REASON, SUM_REASON
from klyngedata.dst.health_store import health_status, load_health_table
from klyngedata.dst.health_tables import TABLES
from klyngedata.exceptions import UnknownValue
from tests.health_replay import HealthReplay, expected_rows
from tests.kk_replay import KKReplay

# a few periods of each table keep the test fast (the replay lists only these; a recorded subset)
PUBLISHED = {"FOLK1A": ["2025K3"], "FOLK1AM": ["2025M07"], "FRKM125": ["2025", "2026"], "FOD207": ["2023", "2024"],
             "FOLK1B": ["2025K2", "2025K3"], "SYGP1": ["2024"], "SYGK1": ["2024"], "SBR01": ["2024"],
             "HJEMSYG": ["2023", "2024"], "AED21": ["2024"], "AED06": ["2024"], "AED07": ["2024"],
             "AED08": ["2024"], "HISBK": ["2019:2023", "2020:2024"], "FODIE": ["2024"]}


class FullReplay(HealthReplay, KKReplay):
    """The recorded DST API with the CONSTRUCTED health tables, and København's statbank under /v1/s30/."""


@pytest.fixture
def replay(monkeypatch):
    with FullReplay() as r:
        r.published.update(PUBLISHED)
        monkeypatch.setenv("KLYNGEDATA_STATBANK_URL", r.url)
        monkeypatch.delenv("KLYNGEDATA_OFFLINE", raising=False)
        yield r


def fetch(data_dir, *args):
    return CliRunner().invoke(main, ["data", "fetch", *args, "--data-dir", str(data_dir)])


def cached_rows(frame: pd.DataFrame) -> dict[tuple, object]:
    """The cached frame as ``(area_code, sex, age, measure, period) -> value`` (the form of expected_rows)."""
    out = {}
    for r in frame.itertuples(index=False):
        age = "total" if r.age_total else (int(r.age_lo), None if pd.isna(r.age_hi) else int(r.age_hi))
        value = None if pd.isna(r.value) else (float(r.value) if isinstance(r.value, float) else int(r.value))
        out[(r.area_code, r.sex, age, r.measure, r.period)] = value
    return out


def assert_api_rules(replay: HealthReplay) -> None:
    """Every request passed the API's rules: BULK selects every variable, no timeOrder with BULK, no cell limit
    broken (the replay enforces and logs each rule), and nothing the recordings cannot vouch for was asked."""
    assert replay.broken() == []
    for r in replay.log:
        if r.endpoint == "data":
            info = replay.tableinfos[(r.body["table"], "da")]
            assert r.body["format"] == "BULK" and "timeOrder" not in r.body
            assert {v["code"] for v in r.body["variables"]} == {v["id"] for v in info["variables"]}


# ---------------------------------------------------------------------------------------------
# the whole `klyngedata data fetch` against the replay
# ---------------------------------------------------------------------------------------------
def test_data_fetch_gets_population_and_every_health_table(replay, tmp_path):
    res = fetch(tmp_path)
    assert res.exit_code == 0, res.output
    assert_api_rules(replay)
    cache = Cache(tmp_path)
    assert {"population/FOLK1A", "population/FOLK1AM", "population/FRKM125", "population/units"} <= set(cache.keys())
    for table in TABLES:
        frame = load_health_table(table, data_dir=tmp_path)
        assert list(frame.columns) == COLUMNS and (frame["table"] == table).all()
        if table == "FODIE":  # derived totals are checked below
            frame = frame[(frame["sex"] != "total") & ~frame["age_total"]]
        assert cached_rows(frame) == expected_rows(replay, table, PUBLISHED[table]), table
        meta = cache.meta(f"health/{table}")
        assert meta["periods"] == PUBLISHED[table] and meta["newest"] == PUBLISHED[table][-1]
        assert meta["updated"].endswith(("+01:00", "+02:00")) and meta["fetched_at"]
        assert meta["title"] == next(r["text"] for r in replay.listing if r["id"] == table)
    # the /tables listing is asked once for the whole run
    assert [r.endpoint for r in replay.log].count("tables") == 1


def test_measures_areas_and_value_kinds(replay, tmp_path):
    assert fetch(tmp_path, "--table", "SYGP1", "--table", "SBR01", "--table", "HISBK").exit_code == 0
    sygp1 = load_health_table("SYGP1", data_dir=tmp_path)
    meta = sygp1.attrs["provenance"]
    assert meta["measures"] == {"gp": ["130", "ALMEN LÆGE I ALT"], "psychologist": ["300", "PSYKOLOGHJÆLP"]}
    assert meta["left_out"] == {"OMRÅDE": ["86 Uoplyst"]}  # an area klyngedata does not know: left out, named
    assert set(sygp1["measure_code"]) == {"130", "300"} and str(sygp1["value"].dtype) == "Int64"
    sbr = load_health_table("SBR01", data_dir=tmp_path)
    assert set(sbr["measure"]) == {"persons", "persons_with_stay", "stay_under_12h", "stay_12h_plus",
                                   "persons_without_stay"}
    assert set(sbr["sex"]) == {"total", "male", "female"}  # "00 Køn i alt" is the total
    open_band = sbr[(sbr["age_lo"] == 85)]
    assert open_band["age_hi"].isna().all() and not open_band["age_total"].any()
    hisbk = load_health_table("HISBK", data_dir=tmp_path)
    assert str(hisbk["value"].dtype) == "Float64" and set(hisbk["period"]) == {"2019:2023", "2020:2024"}
    assert "0825" not in set(hisbk["area_code"])  # not in the (constructed) table
    # a rate BULK leaves out (0.0) is missing with a reason, never 0
    absent = hisbk[hisbk["value"].isna()]
    assert len(absent) and (absent["reason_da"] == ABSENT_REASON).all()


def test_hjemsyg_codes_are_read_by_their_texts(replay, tmp_path):
    """HJEMSYG's own codes (ALDER1 100 = Under 65 år, KOEN 100 = both sexes) are never read as numbers."""
    assert fetch(tmp_path, "-t", "HJEMSYG").exit_code == 0
    df = load_health_table("HJEMSYG", data_dir=tmp_path)
    bands = df.drop_duplicates(["age_lo", "age_hi", "age_total"])
    got = [("total" if t else (int(lo), None if pd.isna(hi) else int(hi)))
           for lo, hi, t in zip(bands["age_lo"], bands["age_hi"], bands["age_total"], strict=True)]
    assert sorted(got, key=str) == sorted(["total", (0, 64), (65, 69), (70, 74), (75, 79), (80, 84), (85, 89),
                                           (90, None)], key=str)
    assert set(df["sex"]) == {"total", "male", "female"} and set(df["area_level"]) == {"municipality"}


def test_fodie_sums_the_mothers_variables_and_derives_totals(replay, tmp_path):
    assert fetch(tmp_path, "-t", "FODIE").exit_code == 0
    df = load_health_table("FODIE", data_dir=tmp_path)
    assert df.attrs["provenance"]["derived_totals"] == ["sex", "age"]
    exp = expected_rows(replay, "FODIE", ["2024"])
    got = cached_rows(df)
    for area in ("0851", "DK"):  # totals computed here by hand from the constructed parts
        parts = {k: v for k, v in exp.items() if k[0] == area}
        assert got[(area, "total", (30, 30), "live_births", "2024")] == \
            parts[(area, "male", (30, 30), "live_births", "2024")] + parts[(area, "female", (30, 30), "live_births",
                                                                            "2024")]
        assert got[(area, "total", "total", "live_births", "2024")] == sum(parts.values())


def test_missing_cells_stay_missing_with_a_danish_reason(replay, tmp_path):
    replay.missing.add(("FOD207", "751", "2024"))  # CONSTRUCTED '..' for Aarhus
    replay.missing.add(("FODIE", "751", "2024"))
    assert fetch(tmp_path, "-t", "FOD207", "-t", "FODIE").exit_code == 0
    deaths = load_health_table("FOD207", data_dir=tmp_path)
    aarhus = deaths[(deaths["area_code"] == "0751") & (deaths["period"] == "2024")]
    assert aarhus["value"].isna().all() and (aarhus["reason_da"] == MISSING_REASON).all()
    assert deaths[(deaths["area_code"] == "0751") & (deaths["period"] == "2023")]["value"].notna().all()
    births = load_health_table("FODIE", data_dir=tmp_path)
    total = births[(births["area_code"] == "0751") & (births["sex"] == "total") & births["age_total"]]
    assert total["value"].isna().all() and (total["reason_da"] == SUM_REASON).all()  # never a partial sum


# ---------------------------------------------------------------------------------------------
# a table whose shape changed: one Danish sentence, exit code 1, the cache unchanged
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("table, change, named", [
    ("FOD207", "rename_sex", "køn"),
    ("FOLK1B", "drop_extra_total", "statsborgerskab"),
    ("SBR01", "new_variable", "urbaniseringsgrad"),
    ("HJEMSYG", "drop_total", "alder"),
])
def test_a_changed_table_is_refused_in_danish_and_the_cache_kept(replay, tmp_path, table, change, named):
    assert fetch(tmp_path, "-t", table).exit_code == 0
    cache = Cache(tmp_path)
    before = json.dumps(cache.meta(f"health/{table}"), sort_keys=True)
    replay.shape_changed(table, change)
    res = fetch(tmp_path, "-t", table, "--refresh")
    assert res.exit_code != 0
    lines = [x for x in res.output.strip().splitlines() if x.strip()]
    assert len(lines) == 1, res.output  # one sentence
    msg = lines[0]
    assert msg.startswith(f"Tabel {table} i Statistikbanken er lagt om") and named in msg and msg.endswith(".")
    assert "{" not in msg and "Traceback" not in res.output
    assert json.dumps(cache.meta(f"health/{table}"), sort_keys=True) == before
    assert not [r for r in replay.log if r.endpoint == "data" and r.body["table"] == table][1:]  # no data asked


def test_a_measure_that_disappeared_is_refused(replay, tmp_path):
    info = replay.tableinfos[("SBR01", "da")]
    measure = next(v for v in info["variables"] if v["id"] == "OPHOLD")
    measure["values"] = [v for v in measure["values"] if v["id"] != "200230"]  # CONSTRUCTED change
    res = fetch(tmp_path, "-t", "SBR01")
    assert res.exit_code == 1
    assert "ophold på sygehus har ikke længere værdien »Ophold på sygehus på 12 timer eller derover" in res.output
    assert not Cache(tmp_path).exists("health/SBR01")


def test_a_confirmed_code_with_another_text_is_refused(replay, tmp_path):
    info = replay.tableinfos[("SYGP1", "da")]
    ydelse = next(v for v in info["variables"] if v["id"] == "YDELSESART")
    next(v for v in ydelse["values"] if v["id"] == "130")["text"] = "TANDLÆGE"  # CONSTRUCTED change
    res = fetch(tmp_path, "-t", "SYGP1")
    assert res.exit_code == 1 and "værdien 130 af variablen ydelsesart hedder nu »TANDLÆGE«" in res.output


def test_a_second_fetch_of_an_unchanged_table_asks_no_data(replay, tmp_path):
    assert fetch(tmp_path, "-t", "HISBK").exit_code == 0
    n = len(replay.log)
    res = fetch(tmp_path, "-t", "HISBK")
    assert res.exit_code == 0 and "up to date" in res.output
    assert [r.endpoint for r in replay.log[n:]] == ["tables", "tableinfo"]


def test_offline_fetch_says_so_plainly(tmp_path, monkeypatch):
    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    res = fetch(tmp_path, "--only", "health")
    assert res.exit_code == 1 and "Offline" in res.output and "klyngedata data import" in res.output


def test_unknown_table_option_is_refused(tmp_path):
    res = fetch(tmp_path, "--table", "NOPE1")
    assert res.exit_code == 2 and "NOPE1" in res.output and "FOD207" in res.output


def test_status_lists_each_health_table_with_its_newest_period(replay, tmp_path):
    assert fetch(tmp_path, "-t", "HISBK", "-t", "FOD207").exit_code == 0
    res = CliRunner().invoke(main, ["data", "status", "--data-dir", str(tmp_path)])
    assert res.exit_code == 0
    line = next(x for x in res.output.splitlines() if x.strip().startswith("health/HISBK"))
    assert "2020:2024" in line
    status = health_status(tmp_path).set_index("table")
    assert status.loc["FOD207", "newest"] == "2024" and status.loc["HISBK", "periods"] == 2
    assert status.loc["FOD207", "fetched_at"]


# ---------------------------------------------------------------------------------------------
# the vocabulary's new words (CONSTRUCTED labels)
# ---------------------------------------------------------------------------------------------
def test_the_both_sexes_text():
    from klyngedata import vocabulary as v
    from klyngedata.vocabulary.totals import is_total

    assert v.parse_sex("Mænd og kvinder i alt") == "total" and v.parse_sex("TOT Mænd og kvinder i alt") == "total"
    with pytest.raises(UnknownValue):  # a table's own code is read by its table, not guessed here
        v.parse_sex("100 Mænd og kvinder i alt")
    assert is_total("100", "Mænd og kvinder i alt") and not is_total("100", "Under 65 år")
