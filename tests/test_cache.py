"""Tests for klyngedata.cache (atomic parquet cache with metadata). Frames here are constructed examples."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

from klyngedata.cache import Cache
from klyngedata.exceptions import CacheCorrupt, CacheWriteError, DataNotAvailable, KlyngedataError

CONSTRUCTED_FRAME = pd.DataFrame(
    {
        "municipality_code": ["0851", "0860"],
        "period": pd.PeriodIndex(["2024Q1", "2024Q1"], freq="Q"),
        "population": pd.array([10, 20], dtype="Int64"),
    }
)


def test_read_only_some_columns_and_rows(tmp_path):
    """``columns`` reads those of the named columns the entry has; ``filters`` and ``categorical`` still apply."""
    c = Cache(tmp_path)
    c.write("population/demo", CONSTRUCTED_FRAME, {"source": "constructed"})
    out = c.read("population/demo", columns=["municipality_code", "population", "not_there"],
                 categorical=["municipality_code"], filters=[("population", ">=", 15)])
    assert list(out.columns) == ["municipality_code", "population"]
    assert out["municipality_code"].astype(str).tolist() == ["0860"]
    assert isinstance(out["municipality_code"].dtype, pd.CategoricalDtype)
    assert out.attrs["provenance"]["rows"] == 2


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
    data_file = c.data_path("population/demo")
    assert data_file.is_file() and data_file.parent == tmp_path / "cache" / "population"
    assert data_file.name.startswith("demo~") and data_file.suffix == ".parquet"
    assert c.exists("population/demo")
    assert c.meta("population/demo")["data_sha256"] == prov["data_sha256"]


def test_env_var_sets_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("KLYNGEDATA_DATA_DIR", str(tmp_path / "envdir"))
    c = Cache()
    c.write("x", CONSTRUCTED_FRAME, {})
    assert c.data_path("x").parent == tmp_path / "envdir" / "cache" and c.data_path("x").is_file()


def test_missing_entry_raises_with_how_to(tmp_path):
    with pytest.raises(DataNotAvailable) as err:
        Cache(tmp_path).read("population/FOLK1A")
    msg = str(err.value)
    assert "klyngedata data import" in msg and "KLYNGEDATA_DATA_DIR" in msg and "not cached" in msg


def test_invalid_key(tmp_path):
    with pytest.raises(KlyngedataError):
        Cache(tmp_path).write("../evil", CONSTRUCTED_FRAME, {})


def test_crash_before_meta_of_a_first_write_leaves_no_entry(tmp_path, monkeypatch):
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
    assert not c.exists("a")
    with pytest.raises(DataNotAvailable, match="not cached"):
        c.read("a")
    assert c.entries(include_corrupt=True).empty
    leftovers = sorted(p.name for p in c.root.iterdir() if p.name != ".lock")
    assert leftovers and all(n.startswith(("a~", ".a.meta.json.")) for n in leftovers)
    c.write("b", CONSTRUCTED_FRAME, {})  # the next write into the folder removes what the crash left
    assert sorted(p.name for p in c.root.iterdir() if p.name != ".lock") == ["b.meta.json", c.data_path("b").name]


def test_crash_during_rewrite_keeps_the_old_entry(tmp_path, monkeypatch):
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
    out = c.read("a")  # the old meta still names the old, untouched data file
    assert out.attrs["provenance"]["version"] == 1
    pd.testing.assert_frame_equal(out, CONSTRUCTED_FRAME)


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
        "key", "kind", "table", "periods", "fetched_at", "source", "rows", "written_at", "path", "state",
    ]
    row = e.iloc[0]
    assert row["key"] == "population/FOLK1AM"
    assert row["periods"] == "2024M01..2024M02 (2)"
    assert row["fetched_at"] == "2024-05-01T00:00:00+00:00"
    assert row["rows"] == 2
    assert row["state"] == "ok"


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


# -- atomic replacement: a crash at any instant leaves the old or the new entry ----------------------
class SimulatedCrash(BaseException):
    """Stands for kill -9: raised at one file-system step and at every later one (nothing runs after)."""


def _crash_at(monkeypatch, k: int) -> dict:
    """Make the k-th file-system step of a write (and every step after it) die with SimulatedCrash."""
    import tempfile

    state = {"calls": 0, "crashed": False}
    originals = {"replace": os.replace, "fsync": os.fsync, "unlink": os.unlink}
    real_mkstemp = tempfile.mkstemp

    def step(real):
        def wrapped(*args, **kwargs):
            state["calls"] += 1
            if state["calls"] >= k:
                state["crashed"] = True
                raise SimulatedCrash(f"simulated crash at step {state['calls']}")
            return real(*args, **kwargs)

        return wrapped

    for name, real in originals.items():
        monkeypatch.setattr(os, name, step(real))
    monkeypatch.setattr(tempfile, "mkstemp", step(real_mkstemp))
    monkeypatch.setattr(pd.DataFrame, "to_parquet", step(pd.DataFrame.to_parquet))
    return state


OLD = CONSTRUCTED_FRAME
NEW = pd.concat([CONSTRUCTED_FRAME] * 3, ignore_index=True)


@pytest.mark.parametrize("first_write", [False, True], ids=["replace", "first-write"])
def test_crash_at_every_instant_leaves_old_or_new(tmp_path, monkeypatch, first_write):
    k, seen = 1, set()
    while True:
        data_dir = tmp_path / f"crash{k}"
        c = Cache(data_dir)
        if not first_write:
            c.write("population/X", OLD, {"version": "old"})
        with monkeypatch.context() as m:
            state = _crash_at(m, k)
            try:
                c.write("population/X", NEW, {"version": "new"})
            except SimulatedCrash:
                pass
        fresh = Cache(data_dir)  # a new process looking at what the crash left
        if first_write and not fresh.exists("population/X"):
            version = "none"
            assert fresh.state("population/X")[0] == "missing"
        else:
            out = fresh.read("population/X")
            version = out.attrs["provenance"]["version"]
            pd.testing.assert_frame_equal(out, OLD if version == "old" else NEW)
        seen.add(version)
        # the next write cleans what the crash left: only the entry's two files remain
        fresh.write("population/Y", OLD, {})
        names = sorted(p.name for p in (data_dir / "cache" / "population").iterdir())
        assert len(names) == (2 if version == "none" else 4), (k, names)
        assert not [n for n in names if n.endswith(".tmp")], (k, names)
        if not state["crashed"]:
            break
        k += 1
    assert k > 6  # every step of a write was a crash point
    assert seen == ({"none", "new"} if first_write else {"old", "new"})


@pytest.mark.e2e  # starts and races or kills real processes
def test_kill_9_during_writes_leaves_a_readable_entry_and_stale_files_are_cleaned(tmp_path):
    """A real process killed with SIGKILL while it rewrites an entry in a loop."""
    import signal
    import subprocess
    import sys
    import time

    script = (
        "import sys, pandas as pd\n"
        "from klyngedata.cache import Cache\n"
        "c = Cache(sys.argv[1])\n"
        "i = 1\n"
        "c.write('population/X', pd.DataFrame({'v': range(200_000 + i)}), {'version': i})\n"
        "print('ready', flush=True)\n"  # one version is written: the kill lands in a rewrite, however slow
        "while True:\n"
        "    i += 1\n"
        "    c.write('population/X', pd.DataFrame({'v': range(200_000 + i)}), {'version': i})\n"
    )
    for trial in range(3):
        data_dir = tmp_path / f"kill{trial}"
        with subprocess.Popen([sys.executable, "-c", script, str(data_dir)], stdout=subprocess.PIPE,
                              text=True) as proc:
            assert proc.stdout.readline().strip() == "ready"
            time.sleep(0.3 + 0.37 * trial)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        c = Cache(data_dir)
        out = c.read("population/X")
        assert len(out) == 200_000 + out.attrs["provenance"]["version"]
        c.write("population/Y", OLD, {})
        names = [p.name for p in (data_dir / "cache" / "population").iterdir()]
        assert len(names) == 4 and not [n for n in names if n.endswith(".tmp")], names


# -- serialised writers ----------------------------------------------------------------------------
def test_concurrent_read_merge_write_under_the_lock_keeps_every_row(tmp_path):
    import threading

    c = Cache(tmp_path)
    c.write("t", pd.DataFrame({"v": pd.array([], dtype="Int64")}), {})

    def add(values):
        for v in values:
            cache = Cache(tmp_path)
            with cache.lock():
                old = cache.read("t")
                cache.write("t", pd.concat([old, pd.DataFrame({"v": pd.array([v], dtype="Int64")})]), {})

    threads = [threading.Thread(target=add, args=(range(i * 15, i * 15 + 15),)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(c.read("t")["v"].tolist()) == list(range(60))


def test_readers_never_fail_while_a_writer_replaces_the_entry(tmp_path):
    import threading

    c = Cache(tmp_path)
    c.write("t", OLD, {"version": 0})
    stop = threading.Event()
    errors: list[BaseException] = []

    def reader():
        while not stop.is_set():
            try:
                out = Cache(tmp_path).read("t")
                assert len(out) == (2 if out.attrs["provenance"]["version"] % 2 == 0 else 6)
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
                return

    t = threading.Thread(target=reader)
    t.start()
    for i in range(1, 40):
        c.write("t", NEW if i % 2 else OLD, {"version": i})
    stop.set()
    t.join()
    assert not errors, errors


# -- corrupt entries and unwritable directories ----------------------------------------------------
def test_corrupt_entry_is_named_and_listed(tmp_path):
    c = Cache(tmp_path)
    c.write("population/FOLK1AM", OLD, {"table": "FOLK1AM", "periods": ["2024M01"]})
    c.data_path("population/FOLK1AM").write_bytes(b"not parquet at all")
    state, problem = c.state("population/FOLK1AM")
    assert state == "corrupt" and problem.startswith("its data file has 18 bytes instead of ")
    with pytest.raises(CacheCorrupt) as err:
        c.read("population/FOLK1AM")
    assert "'population/FOLK1AM'" in str(err.value) and "corrupt" in str(err.value)
    assert isinstance(err.value, DataNotAvailable)
    assert c.entries().empty
    listed = c.entries(include_corrupt=True)
    assert listed["key"].tolist() == ["population/FOLK1AM"]
    assert listed["state"].iloc[0].startswith("corrupt: its data file has 18 bytes")
    # a damaged meta file is corrupt too
    c.meta_path("population/FOLK1AM").write_text("{trunc")
    assert c.state("population/FOLK1AM") == ("corrupt", "its metadata file is damaged (not valid JSON)")
    # re-writing the entry repairs it
    c.write("population/FOLK1AM", NEW, {"table": "FOLK1AM"})
    assert len(c.read("population/FOLK1AM")) == 6


def test_read_only_data_dir_is_a_clear_error_and_changes_nothing(tmp_path, make_read_only):
    c = Cache(tmp_path)
    c.write("population/X", OLD, {"version": 1})
    before = sorted((p.name, p.stat().st_size) for p in tmp_path.rglob("*"))
    make_read_only(tmp_path)
    with pytest.raises(CacheWriteError) as err:
        c.write("population/X", NEW, {"version": 2})
    msg = str(err.value)
    assert str(tmp_path) in msg
    assert "not permitted" in msg.lower() or "permission denied" in msg.lower()
    assert "The cache is unchanged" in msg
    assert isinstance(err.value, OSError) and isinstance(err.value, KlyngedataError)
    assert sorted((p.name, p.stat().st_size) for p in tmp_path.rglob("*")) == before
    assert c.read("population/X").attrs["provenance"]["version"] == 1  # reading needs no lock


def test_lock_timeout_is_a_clear_error(tmp_path):
    import subprocess
    import sys

    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\nfrom klyngedata.cache import Cache\n"
         "with Cache(sys.argv[1]).lock():\n    print('held', flush=True)\n    time.sleep(30)\n", str(tmp_path)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(CacheWriteError, match="another klyngedata process"):
            with Cache(tmp_path).lock(timeout=0.3):
                pass
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    with Cache(tmp_path).lock(timeout=5):  # released when its holder died
        pass


def test_update_meta_changes_only_the_metadata(tmp_path):
    c = Cache(tmp_path)
    c.write("population/X", OLD, {"table": "X", "fetched_at": "2024-05-01T00:00:00+00:00"})
    data_file = c.data_path("population/X")
    c.update_meta("population/X", checked_at="2024-05-02T00:00:00+00:00")
    meta = c.meta("population/X")
    assert meta["checked_at"] == "2024-05-02T00:00:00+00:00" and meta["fetched_at"] == "2024-05-01T00:00:00+00:00"
    assert c.data_path("population/X") == data_file  # the same data file: rows an import merged stay
    pd.testing.assert_frame_equal(c.read("population/X"), OLD)
    with pytest.raises(KlyngedataError, match="cannot change"):
        c.update_meta("population/X", rows=99)
    with pytest.raises(DataNotAvailable, match="not cached"):
        c.update_meta("population/Y", checked_at="x")


def test_entry_written_by_the_earlier_layout_is_read_and_replaced(tmp_path):
    """Caches written before the versioned data files (<key>.parquet named by the meta) keep working."""
    c = Cache(tmp_path)
    c.write("population/X", OLD, {"version": 1})
    meta = json.loads(c.meta_path("population/X").read_text())
    legacy = c.meta_path("population/X").parent / "X.parquet"
    c.data_path("population/X").rename(legacy)
    meta["data_file"] = "X.parquet"
    c.meta_path("population/X").write_text(json.dumps(meta))
    assert c.data_path("population/X") == legacy
    pd.testing.assert_frame_equal(c.read("population/X"), OLD)
    c.write("population/X", NEW, {"version": 2})
    assert not legacy.exists() and len(c.read("population/X")) == 6
