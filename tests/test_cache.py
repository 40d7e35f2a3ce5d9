"""Tests for klyngedata.cache (atomic parquet cache with metadata). Frames here are constructed examples."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

from klyngedata.cache import Cache
from klyngedata.exceptions import DataNotAvailable, KlyngedataError

CONSTRUCTED_FRAME = pd.DataFrame(
    {
        "municipality_code": ["0851", "0860"],
        "period": pd.PeriodIndex(["2024Q1", "2024Q1"], freq="Q"),
        "population": pd.array([10, 20], dtype="Int64"),
    }
)


def test_roundtrip_preserves_dtypes_and_provenance(tmp_path):
    c = Cache(tmp_path)
    meta = {"table": "DEMO", "periods": ["2024K1"], "source": "constructed"}
    c.write("population/demo", CONSTRUCTED_FRAME, meta)
    out = c.read("population/demo")
    pd.testing.assert_frame_equal(out, CONSTRUCTED_FRAME)
    prov = out.attrs["provenance"]
    assert prov["key"] == "population/demo"
    assert prov["kind"] == "dataframe"
    assert prov["rows"] == 2
    assert prov["table"] == "DEMO"
    assert "written_at" in prov
    assert (tmp_path / "cache" / "population" / "demo.parquet").is_file()
    assert c.exists("population/demo")
    assert c.meta("population/demo")["data_sha256"] == prov["data_sha256"]


def test_env_var_sets_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("KLYNGEDATA_DATA_DIR", str(tmp_path / "envdir"))
    c = Cache()
    c.write("x", CONSTRUCTED_FRAME, {})
    assert (tmp_path / "envdir" / "cache" / "x.parquet").is_file()


def test_missing_entry_raises_with_how_to(tmp_path):
    with pytest.raises(DataNotAvailable) as err:
        Cache(tmp_path).read("population/FOLK1A")
    msg = str(err.value)
    assert "klyngedata data import" in msg and "KLYNGEDATA_DATA_DIR" in msg and "not cached" in msg


def test_invalid_key(tmp_path):
    with pytest.raises(KlyngedataError):
        Cache(tmp_path).write("../evil", CONSTRUCTED_FRAME, {})


def test_crash_before_meta_leaves_incomplete_entry(tmp_path, monkeypatch):
    """Simulated crash: the process dies after the data file is in place but before the meta file."""
    c = Cache(tmp_path)
    real_replace = os.replace

    def dying_replace(src, dst):
        if str(dst).endswith(".meta.json"):
            raise KeyboardInterrupt("simulated crash")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", dying_replace)
    with pytest.raises(KeyboardInterrupt):
        c.write("a", CONSTRUCTED_FRAME, {})
    monkeypatch.setattr(os, "replace", real_replace)
    assert c.data_path("a").exists()
    assert not c.exists("a")
    with pytest.raises(DataNotAvailable, match="incomplete"):
        c.read("a")
    assert c.entries().empty
    assert not [p for p in c.root.iterdir() if p.name.endswith(".tmp")]  # temp file cleaned up


def test_crash_during_rewrite_never_mixes_old_meta_and_new_data(tmp_path, monkeypatch):
    c = Cache(tmp_path)
    c.write("a", CONSTRUCTED_FRAME, {"version": 1})
    real_replace = os.replace

    def dying_replace(src, dst):
        if str(dst).endswith(".meta.json"):
            raise KeyboardInterrupt("simulated crash")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", dying_replace)
    bigger = pd.concat([CONSTRUCTED_FRAME] * 3, ignore_index=True)
    with pytest.raises(KeyboardInterrupt):
        c.write("a", bigger, {"version": 2})
    monkeypatch.setattr(os, "replace", real_replace)
    assert not c.exists("a")  # old meta removed before the new data was swapped in


def test_crash_while_writing_data_keeps_old_entry(tmp_path, monkeypatch):
    c = Cache(tmp_path)
    c.write("a", CONSTRUCTED_FRAME, {"version": 1})

    def failing_to_parquet(self, *args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", failing_to_parquet)
    with pytest.raises(OSError):
        c.write("a", CONSTRUCTED_FRAME.iloc[:1], {"version": 2})
    monkeypatch.undo()
    assert c.read("a").attrs["provenance"]["version"] == 1
    assert len(c.read("a")) == 2


def test_stale_meta_with_other_data_is_not_complete(tmp_path):
    """A meta file from an older write next to a different data file (e.g. a torn copy) is rejected."""
    c = Cache(tmp_path)
    c.write("a", CONSTRUCTED_FRAME, {})
    old_meta = c.meta_path("a").read_text()
    c.write("a", CONSTRUCTED_FRAME.iloc[:1], {})
    c.meta_path("a").write_text(old_meta)
    assert not c.exists("a")
    # a truncated data file is rejected as well
    c.write("b", CONSTRUCTED_FRAME, {})
    raw = c.data_path("b").read_bytes()
    c.data_path("b").write_bytes(raw[: len(raw) // 2])
    assert not c.exists("b")
    json.loads(c.meta_path("b").read_text())  # the meta file itself is intact


def test_entries_lists_complete_entries(tmp_path):
    c = Cache(tmp_path)
    c.write(
        "population/FOLK1AM",
        CONSTRUCTED_FRAME,
        {"table": "FOLK1AM", "periods": ["2024M02", "2024M01"], "imported_at": "2024-05-01T00:00:00+00:00"},
    )
    e = c.entries()
    assert list(e.columns) == [
        "key", "kind", "table", "periods", "fetched_at", "source", "rows", "written_at", "path",
    ]
    row = e.iloc[0]
    assert row["key"] == "population/FOLK1AM"
    assert row["periods"] == "2024M01..2024M02 (2)"
    assert row["fetched_at"] == "2024-05-01T00:00:00+00:00"
    assert row["rows"] == 2


def test_geodataframe_roundtrip(tmp_path):
    geopandas = pytest.importorskip("geopandas")
    from shapely.geometry import box

    gdf = geopandas.GeoDataFrame(
        {"code": ["0851", "0860"]}, geometry=[box(0, 0, 1, 1), box(1, 1, 2, 3)], crs="EPSG:4326"
    )
    c = Cache(tmp_path)
    c.write("boundaries/demo", gdf, {"source": "constructed example"})
    out = c.read("boundaries/demo")
    assert isinstance(out, geopandas.GeoDataFrame)
    assert out.crs.to_epsg() == 4326
    assert out.attrs["provenance"]["kind"] == "geodataframe"
    assert out.geometry.bounds["maxy"].tolist() == [1.0, 3.0]
