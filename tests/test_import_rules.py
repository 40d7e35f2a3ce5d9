"""Import rules (issue 11, principles 2, 3 and 6): merge by key, --replace, refusals that leave the cache unchanged,
plausible boundary layers, collision-free indicator keys, typed errors through the CLI.

Population and indicator files here are constructed examples (invented counts) in StatBank's exact export format
and in the documented indicator long format; boundary files are cut from the real DAGI layer in shared/data at
test time (never stored in the repository).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

import klyngedata as kd
from klyngedata.cache import Cache
from klyngedata.cli import main
from klyngedata.exceptions import BoundaryError, CacheCorrupt, DataFormatError, ImportRefused
from klyngedata.geo.boundaries import IncompleteLayerWarning, import_boundaries
from klyngedata.importing import import_file
from klyngedata.indicators import load_indicators

# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------


def snapshot(data_dir: Path) -> dict[str, str]:
    """Every file of the cache with its SHA-256 (the lock file aside): equal snapshots = unchanged cache."""
    root = Path(data_dir)
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != ".lock"}


def constructed_folk1am(path: Path, rows: list[tuple[str, str, int]]) -> Path:
    """A constructed FOLK1AM area export (OMRÅDE;TID;INDHOLD, UTF-8 with BOM, CRLF) with invented counts."""
    body = "".join(f"{area};{period};{value}\r\n" for area, period, value in rows)
    path.write_bytes(("\ufeffOMRÅDE;TID;INDHOLD\r\n" + body).encode("utf-8"))
    return path


def constructed_indicator(path: Path, rows: list[tuple[str, str, str, int, int]]) -> Path:
    """A constructed indicator file in the documented long format (invented counts)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["municipality,period,indicator,numerator,denominator"]
    lines += [f"{m},{p},{i},{n},{d}" for m, p, i, n, d in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cli(*args: str):
    return CliRunner().invoke(main, list(args))


READM = "genindlaeggelser_somatik_30d"  # a counts indicator of the catalogue


# --------------------------------------------------------------------------------------------------
# population: merge by key, --replace says what is dropped
# --------------------------------------------------------------------------------------------------


def test_population_import_merges_by_key_and_replace_reports_what_is_dropped(tmp_path):
    jan = constructed_folk1am(tmp_path / "constructed_FOLK1AM_jan.csv",
                              [("851", "2024M01", 1000), ("773", "2024M01", 200)])
    feb = constructed_folk1am(tmp_path / "constructed_FOLK1AM_feb.csv",
                              [("851", "2024M02", 1001), ("773", "2024M02", 201)])
    dd = tmp_path / "data"
    [r] = import_file(jan, dd)
    assert r.message == "table FOLK1AM: 2 rows added"
    [r] = import_file(feb, dd)
    assert r.message == "table FOLK1AM: 2 rows added, 2 other cached rows kept"
    cached = Cache(dd).read("population/FOLK1AM")
    assert len(cached) == 4 and cached.attrs["provenance"]["periods"] == ["2024M01", "2024M02"]
    # a revised January for one municipality: that value is replaced, nothing else is touched
    rev = constructed_folk1am(tmp_path / "constructed_FOLK1AM_rev.csv", [("851", "2024M01", 1005)])
    [r] = import_file(rev, dd)
    assert r.message == "table FOLK1AM: 1 row already cached (1 of them with a new value), 3 other cached rows kept"
    cached = Cache(dd).read("population/FOLK1AM").set_index(["area_code", "period"])["population"]
    assert cached.to_dict() == {("0773", pd.Period("2024-01", "M")): 200, ("0773", pd.Period("2024-02", "M")): 201,
                                ("0851", pd.Period("2024-01", "M")): 1005, ("0851", pd.Period("2024-02", "M")): 1001}
    # --replace: the file replaces the table whole, and the message says what was lost
    [r] = import_file(feb, dd, replace=True)
    assert r.message == ("table FOLK1AM: 2 rows already cached (identical), REPLACED: 2 cached rows dropped "
                         "(periods 2024M01; units 0773, 0851)")
    assert Cache(dd).read("population/FOLK1AM").attrs["provenance"]["periods"] == ["2024M02"]


def test_population_file_with_other_period_type_is_refused(tmp_path):
    dd = tmp_path / "data"
    import_file(constructed_folk1am(tmp_path / "constructed_FOLK1AM_a.csv", [("851", "2024M01", 1000)]), dd)
    before = snapshot(dd)
    quarterly = constructed_folk1am(tmp_path / "constructed_FOLK1AM_q.csv", [("851", "2024K1", 1000)])
    with pytest.raises(ImportRefused) as err:
        import_file(quarterly, dd)
    msg = str(err.value)
    assert str(quarterly) in msg and "quarterly (2024K1)" in msg and "monthly periods" in msg and "--replace" in msg
    assert snapshot(dd) == before


def test_header_only_file_is_refused_and_the_cache_is_unchanged(tmp_path):
    dd = tmp_path / "data"
    import_file(constructed_folk1am(tmp_path / "constructed_FOLK1AM_a.csv", [("851", "2024M01", 1000)]), dd)
    before = snapshot(dd)
    empty = constructed_folk1am(tmp_path / "constructed_FOLK1AM_empty.csv", [])
    res = cli("data", "import", str(empty), "--data-dir", str(dd))
    assert res.exit_code == 1
    assert str(empty) in res.output and "Traceback" not in res.output
    assert snapshot(dd) == before


# --------------------------------------------------------------------------------------------------
# concurrency: five real `klyngedata data import` processes, ten trials
# --------------------------------------------------------------------------------------------------


# Runs `klyngedata data import FILE --data-dir DIR` in N forked processes at once, per trial (the CLI's own entry
# point in each child; forking a process that has imported klyngedata starts them within milliseconds, so they
# race harder than processes started one by one, and ten trials of five cost one interpreter start).
RACE_SCRIPT = """
import json, os, sys
from klyngedata.cli import main
import klyngedata.importing, klyngedata.sources, klyngedata.merge, klyngedata.cache, pyarrow.parquet  # before the
# forks: each child then only imports the file (the race is between the writers, not between module imports)
files, trials, base = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
codes = []
for trial in range(trials):
    pids = []
    for f in files:
        pid = os.fork()
        if pid == 0:
            try:
                main(["data", "import", f, "--data-dir", os.path.join(base, f"trial{trial}")], standalone_mode=False)
                os._exit(0)
            except BaseException as exc:
                print(repr(exc), file=sys.stderr)
                os._exit(1)
        pids.append(pid)
    codes.append([os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids])
print(json.dumps(codes))
"""


def _five_disjoint_files(tmp_path: Path) -> tuple[list[Path], list[str]]:
    codes = ["101", "147", "851", "773", "860", "849", "461", "751"]
    files = []
    for i in range(5):  # disjoint: one month each
        rows = [(c, f"2024M{i + 1:02d}", 1000 + 10 * i + j) for j, c in enumerate(codes)]
        files.append(constructed_folk1am(tmp_path / f"constructed_FOLK1AM_m{i + 1}.csv", rows))
    return files, codes


@pytest.mark.e2e  # starts and races or kills real processes
def test_five_concurrent_imports_keep_every_row_in_ten_of_ten_trials(tmp_path):
    import subprocess
    import sys

    files, codes = _five_disjoint_files(tmp_path)
    proc = subprocess.run([sys.executable, "-c", RACE_SCRIPT, json.dumps([str(f) for f in files]), "10",
                           str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == [[0] * 5] * 10, proc.stderr
    assert proc.stdout.count("imported ") == 50
    kept = 0
    for trial in range(10):
        frame = Cache(tmp_path / f"trial{trial}").read("population/FOLK1AM")
        kept += len(frame) == 5 * len(codes) and frame["period"].nunique() == 5
    assert kept == 10


@pytest.mark.e2e  # starts and races or kills real processes
def test_five_concurrent_klyngedata_data_import_commands(tmp_path):
    """The same race with five separately started `python -m klyngedata data import` commands."""
    import subprocess
    import sys

    files, codes = _five_disjoint_files(tmp_path)
    dd = tmp_path / "data"
    procs = [subprocess.Popen([sys.executable, "-m", "klyngedata", "data", "import", str(f), "--data-dir", str(dd)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for f in files]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * 5, outs
    frame = Cache(dd).read("population/FOLK1AM")
    assert len(frame) == 5 * len(codes)
    assert sorted(frame.attrs["provenance"]["periods"]) == [f"2024M0{i}" for i in range(1, 6)]


# --------------------------------------------------------------------------------------------------
# indicators: keys cannot collide, one period type per indicator
# --------------------------------------------------------------------------------------------------


def test_two_indicator_files_with_the_same_name_do_not_overwrite_each_other(tmp_path):
    dd = tmp_path / "data"
    a = constructed_indicator(tmp_path / "nord" / "data.csv", [("851", "2023", READM, 100, 1000)])
    b = constructed_indicator(tmp_path / "midt" / "data.csv", [("751", "2023", READM, 90, 900)])
    import_file(a, dd)
    [r] = import_file(b, dd)
    assert r.key == f"indicators/{READM}" and "1 row added, 1 other cached row kept" in r.message
    rows = load_indicators(dd)
    assert sorted(rows["municipality_code"]) == ["0751", "0851"]
    meta = Cache(dd).meta(f"indicators/{READM}")
    assert [Path(f["file"]).parent.name for f in meta["files"]] == ["nord", "midt"]


def test_indicator_file_mixing_annual_and_quarterly_periods_is_refused(tmp_path):
    dd = tmp_path / "data"
    mixed = constructed_indicator(tmp_path / "mixed.csv", [("851", "2023", READM, 100, 1000),
                                                           ("851", "2024K1", READM, 30, 300)])
    res = cli("data", "import", str(mixed), "--data-dir", str(dd))
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert (f"{mixed}, column 'period': indicator '{READM}' mixes period types: '2023' (row 2, annual), "
            "'2024K1' (row 3, quarterly)") in res.output
    assert snapshot(dd) == {}


def test_indicator_with_other_period_type_than_cached_is_refused_unless_replace(tmp_path):
    dd = tmp_path / "data"
    import_file(constructed_indicator(tmp_path / "y.csv", [("851", "2023", READM, 100, 1000)]), dd)
    before = snapshot(dd)
    q = constructed_indicator(tmp_path / "q.csv", [("851", "2024K1", READM, 30, 300)])
    res = cli("data", "import", str(q), "--data-dir", str(dd))
    assert res.exit_code == 1
    assert f"refused  {q}" in res.output and "has quarterly periods ('2024K1', row 2)" in res.output
    assert "cached with annual periods (2023)" in res.output and "--replace" in res.output
    assert snapshot(dd) == before
    res = cli("data", "import", str(q), "--replace", "--data-dir", str(dd))
    assert res.exit_code == 0, res.output
    assert "REPLACED: 1 cached row dropped (periods 2023; units 0851)" in res.output


def test_indicator_figures_all_periods_with_annual_and_quarterly_indicators(tmp_path, population_dir):
    """Different indicators may have different period types; period='all' sorts them by date."""
    dd = tmp_path / "data"
    import_file(population_dir, dd)
    codes = ["851", "773", "860", "849", "813", "787", "810", "820", "825", "840", "846"]
    import_file(constructed_indicator(tmp_path / "y.csv", [(c, "2023", READM, 100, 1000) for c in codes]), dd)
    import_file(constructed_indicator(tmp_path / "q.csv", [(c, "2024K1", "genindlaeggelser_psykiatri_30d", 30, 300)
                                                           for c in codes]), dd)
    out = kd.indicator_figures(level="municipality", period="all", data_dir=dd)
    got = {(f, str(p)) for f, p in zip(out["figure_id"], out["period"], strict=True)}
    assert got == {(READM, "2023"), ("genindlaeggelser_psykiatri_30d", "2024Q1")}
    row = out[(out["figure_id"] == READM) & (out["entity_id"] == "0851")].iloc[0]
    assert row["value"] == pytest.approx(10.0)


# --------------------------------------------------------------------------------------------------
# boundaries: plausible before cached
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def raw_kommuner(geo_dir: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(geo_dir / "kommuner.geojson")


def test_boundary_file_with_3_of_98_municipalities_is_refused(raw_kommuner, geo_dir, tmp_path):
    dd = tmp_path / "data"
    import_boundaries(geo_dir / "kommuner.geojson", dd)
    before = snapshot(dd)
    part = tmp_path / "kommuner_3.geojson"
    raw_kommuner[raw_kommuner["KOMKODE"].isin(["0851", "0773", "0860"])].to_file(part, driver="GeoJSON")
    res = cli("data", "import", str(part), "--data-dir", str(dd))
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert f"refused  {part}: {part}: a partial kommune layer: it has 3 of the 98 kommune units; missing 0101" \
        in res.output
    assert "would drop 95 of the 98 units of the cached layer" in res.output
    assert snapshot(dd) == before
    assert len(kd.boundaries("kommune", data_dir=dd)) == 98
    # --replace caches it, flagged
    res = cli("data", "import", str(part), "--replace", "--data-dir", str(dd))
    assert res.exit_code == 0, res.output
    assert "WARNING: partial layer cached on request (--replace): it has 3 of the 98 kommune units" in res.output
    meta = Cache(dd).meta("boundaries/kommune")
    assert meta["incomplete"] is True and len(meta["missing_units"]) == 95
    # ... and stays flagged: in data status and whenever the layer is used
    res = cli("data", "status", "--data-dir", str(dd))
    assert "INCOMPLETE" in res.output and "boundaries/kommune: incomplete: 95 units missing" in res.output
    with pytest.warns(IncompleteLayerWarning, match=r"incomplete \(imported with --replace\): 95 units are missing"):
        assert len(kd.boundaries("kommune", data_dir=dd)) == 3


def test_partial_layer_without_cache_and_parish_layer_dropping_cached_units(geo_dir, tmp_path):
    dd = tmp_path / "data"
    raw = gpd.read_file(geo_dir / "regioner.geojson")
    four = tmp_path / "regioner_4.geojson"
    raw[raw["REGIONKODE"] != "1081"].to_file(four, driver="GeoJSON")
    with pytest.raises(ImportRefused, match=r"has 4 of the 5 region units; missing 1081"):
        import_boundaries(four, dd)
    assert snapshot(dd) == {}
    # a level without a known unit list (postal codes): the cached layer's units must all come again
    import_boundaries(geo_dir / "postnumre.geojson", dd)
    before = snapshot(dd)
    raw = gpd.read_file(geo_dir / "postnumre.geojson")
    fewer = tmp_path / "postnumre_part.geojson"
    raw[~raw["POSTNR_TXT"].astype(str).isin(["9000", "8000"])].to_file(fewer, driver="GeoJSON")
    with pytest.raises(ImportRefused, match=r"would drop 2 of the 592 units of the cached layer \(8000, 9000\)"):
        import_file(fewer, dd)
    assert snapshot(dd) == before


def test_projected_coordinates_declared_as_crs84_are_refused(raw_kommuner, tmp_path):
    utm = raw_kommuner.head(5).to_crs(25832)
    doc = json.loads(utm.to_json())
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    path = tmp_path / "projected_as_crs84.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(BoundaryError) as err:
        import_boundaries(path, tmp_path / "data")
    msg = str(err.value)
    assert msg.startswith(f"{path}: the file declares the geographic CRS")
    assert "are not degrees. They look like ETRS89 / UTM zone 32N (EPSG:25832)" in msg
    assert snapshot(tmp_path / "data") == {}


def test_shapefile_without_prj_is_refused(raw_kommuner, tmp_path):
    path = tmp_path / "kommuner.shp"
    raw_kommuner.head(5).to_crs(25832).to_file(path)
    path.with_suffix(".prj").unlink()
    res = cli("data", "import", str(path), "--data-dir", str(tmp_path / "data"))
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert f"{path}: no coordinate reference system is declared (a shapefile needs its .prj file beside it)" \
        in res.output
    assert "They look like ETRS89 / UTM zone 32N (EPSG:25832)" in res.output
    assert snapshot(tmp_path / "data") == {}


def test_empty_feature_collection_and_features_outside_denmark(tmp_path):
    empty = tmp_path / "empty.geojson"
    empty.write_text(json.dumps({"type": "FeatureCollection", "features": []}), encoding="utf-8")
    with pytest.raises(BoundaryError, match=r"empty\.geojson: the layer has no features \(an empty FeatureCollection"):
        import_boundaries(empty, tmp_path / "data")
    far = gpd.GeoDataFrame({"KOMKODE": ["0851"], "KOMNAVN": ["Aalborg"]},  # constructed: a square in Sweden
                           geometry=[shapely.box(18.0, 59.0, 18.1, 59.1)], crs=4326)
    path = tmp_path / "far.geojson"
    far.to_file(path, driver="GeoJSON")
    with pytest.raises(BoundaryError, match=r"far\.geojson: feature 0 \(KOMKODE '0851'\) lies outside Denmark"):
        import_boundaries(path, tmp_path / "data")
    assert snapshot(tmp_path / "data") == {}


# --------------------------------------------------------------------------------------------------
# corrupt entries, read-only directory, typed errors
# --------------------------------------------------------------------------------------------------


def test_corrupt_folk1am_is_named_shown_by_status_and_repaired_by_replace(tmp_path, population_dir, monkeypatch):
    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    dd = tmp_path / "data"
    import_file(population_dir, dd)
    path = Cache(dd).data_path("population/FOLK1AM")
    raw = bytearray(path.read_bytes())
    raw[200:260] = b"X" * 60
    path.write_bytes(bytes(raw))
    with pytest.raises(CacheCorrupt) as err:
        kd.population("cluster", data_dir=dd)
    assert "'population/FOLK1AM'" in str(err.value) and "FOLK1A " not in str(err.value)
    assert "does not match its checksum" in str(err.value)
    res = cli("data", "status", "--data-dir", str(dd))
    assert res.exit_code == 0
    assert "population/FOLK1AM" in res.output and "CORRUPT" in res.output
    before = snapshot(dd)
    res = cli("data", "import", str(population_dir / "dst_FOLK1AM_area_2021M10-2024M04.csv"), "--data-dir", str(dd))
    assert res.exit_code == 1 and "is corrupt" in res.output and "--replace" in res.output
    assert snapshot(dd) == before
    res = cli("data", "import", str(population_dir / "dst_FOLK1AM_area_2021M10-2024M04.csv"), "--replace",
              "--data-dir", str(dd))
    assert res.exit_code == 0, res.output
    repaired = kd.population("municipality", data_dir=dd, period="2024M04").set_index("entity_id")["population"]
    line = next(ln for ln in (population_dir / "dst_FOLK1AM_area_2021M10-2024M04.csv").read_text("utf-8-sig")
                .splitlines() if ln.startswith("Aalborg;2024M04;"))
    assert len(repaired) == 99 and repaired["0851"] == int(line.split(";")[2])  # 98 + Christiansø


def test_read_only_data_directory_is_one_clear_line(tmp_path, make_read_only):
    import subprocess
    import sys

    dd = tmp_path / "data"
    first = constructed_folk1am(tmp_path / "constructed_FOLK1AM_a.csv", [("851", "2024M01", 1000)])
    import_file(first, dd)
    before = snapshot(dd)
    make_read_only(dd)
    second = constructed_folk1am(tmp_path / "constructed_FOLK1AM_b.csv", [("851", "2024M02", 1001)])
    proc = subprocess.run([sys.executable, "-m", "klyngedata", "data", "import", str(second), "--data-dir", str(dd)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: cannot lock the cache in the data directory ")
    assert str(dd) in lines[0] and "The cache is unchanged" in lines[0]
    assert snapshot(dd) == before


def test_klyngedata_errors_are_exported_and_typed():
    assert issubclass(kd.DataFormatError, kd.KlyngedataError)
    assert issubclass(kd.ImportRefused, kd.KlyngedataError)
    assert issubclass(kd.CacheCorrupt, kd.DataNotAvailable)
    assert issubclass(kd.CacheWriteError, OSError)
    with pytest.raises(kd.KlyngedataError):
        kd.import_file("/nonexistent/file.csv")
    assert DataFormatError is kd.DataFormatError
