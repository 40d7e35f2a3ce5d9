"""Importing big StatBank exports (issue 26, goal 4): the fast paths give the rows the straightforward ones give.

The import parses the file's bytes (no decoded copy), keeps the text columns as categories through parsing, totals,
merge and sort, merges and sorts on integer row codes, writes the parquet a row group at a time, and recognises a
file imported before by its fingerprint. Every test here compares such a path with a plain pandas computation of
the same thing (string keys, ``sort_values``, ``to_parquet``). All files and frames are CONSTRUCTED examples with
invented counts, in StatBank's export format; timings are in ``bench/bench_speed.py``, never asserted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from klyngedata.cache import Cache
from klyngedata.compact import as_string, write_parquet
from klyngedata.dst.parse import TEXT_COLUMNS, parse_statbank_csv
from klyngedata.dst.totals import complete_totals
from klyngedata.exceptions import DataFormatError
from klyngedata.importing import import_file
from klyngedata.merge import merge_by_key, row_codes, sort_rows
from klyngedata.sources import KEY_COLUMNS, TIDY_COLUMNS

HEADER = "OMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD\r\n"


def constructed_export(quarters: list[str], *, seed: int = 0, areas=("000", "081", "851", "825", "813"),
                       ages=range(0, 6), sexes=("TOT", "1", "2")) -> bytes:
    """A CONSTRUCTED FOLK1A export (code presentation, CRLF) with invented counts; ``..`` in a few cells."""
    rng = np.random.default_rng(seed)
    lines = []
    for area in areas:
        for sex in sexes:
            for age in ["IALT", *map(str, ages)]:
                for q in quarters:
                    n = int(rng.integers(0, 900))
                    lines.append(f"{area};{sex};{age};TOT;{q};{'..' if n % 97 == 0 else n}\r\n")
    return (HEADER + "".join(lines)).encode("utf-8")


def text_key(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """One string per row joining the key columns (NA written as '<NA>'): the plain key."""
    out = None
    for c in columns:
        if isinstance(frame[c].dtype, pd.PeriodDtype):  # (str() of a period is slow: its frequency and ordinal)
            text = str(frame[c].dtype) + pd.Series(frame[c].array.asi8, index=frame.index).astype(str)
        else:
            text = frame[c].astype(object).map(str)
        out = text if out is None else out + "|" + text
    return out


def reference_store(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The cached table as the import rule defines it, computed the plain way: every file's rows by key (a later
    file wins), sorted by area, sex, age, period with pandas."""
    out = None
    for frame in frames:
        frame = frame[TIDY_COLUMNS].copy()
        for c in TEXT_COLUMNS:
            frame[c] = frame[c].astype("string")
        if out is None:
            out = frame
            continue
        key_new, key_old = text_key(frame, KEY_COLUMNS), text_key(out, KEY_COLUMNS)
        out = pd.concat([out[~key_old.isin(set(key_new))], frame], ignore_index=True)
    return out.sort_values(["area_level", "area_code", "sex", "age", "period"], na_position="first",
                           ignore_index=True, kind="stable")


def test_compact_parse_gives_the_same_rows_as_the_plain_parse():
    raw = constructed_export(["2024K1", "2024K2"])
    plain = parse_statbank_csv(raw, file="FOLK1A.csv")
    compact = parse_statbank_csv(raw, file="FOLK1A.csv", compact=True)
    assert all(isinstance(compact[c].dtype, pd.CategoricalDtype) for c in TEXT_COLUMNS)
    assert all(plain[c].dtype == "string" for c in TEXT_COLUMNS)
    back = compact.copy()
    for c in TEXT_COLUMNS:
        back[c] = as_string(back[c])
    pd.testing.assert_frame_equal(back, plain)
    assert compact.attrs == plain.attrs


def test_imports_merge_and_sort_as_the_plain_computation(tmp_path):
    first = constructed_export(["2023K4", "2024K1", "2024K2"], seed=1)
    second = constructed_export(["2024K2", "2024K3"], seed=2)  # one quarter overlaps with other counts
    (tmp_path / "a_FOLK1A.csv").write_bytes(first)
    (tmp_path / "b_FOLK1A.csv").write_bytes(second)
    data = tmp_path / "data"
    r1 = import_file(tmp_path / "a_FOLK1A.csv", data_dir=data)[0]
    r2 = import_file(tmp_path / "b_FOLK1A.csv", data_dir=data)[0]
    assert r1.rows == 5 * 3 * 7 * 3 and r2.rows == 5 * 3 * 7 * 2
    n_overlap = 5 * 3 * 7
    plain = [complete_totals(parse_statbank_csv(raw, file="x_FOLK1A.csv")) for raw in (first, second)]
    old = plain[0].set_index(KEY_COLUMNS)["population"]
    new = plain[1].set_index(KEY_COLUMNS)["population"]
    both = old.index.intersection(new.index)
    differ = int(((old[both].isna() != new[both].isna()) | (old[both].fillna(-1) != new[both].fillna(-1))).sum())
    assert f"{r2.rows - n_overlap:,} rows added, {n_overlap:,} rows already cached ({differ:,} of them with a new " \
           f"value), {r1.rows - n_overlap:,} other cached rows kept" in r2.message
    cached = Cache(data).read("population/FOLK1A")
    pd.testing.assert_frame_equal(cached, reference_store(plain), check_like=False)


def test_the_same_file_again_is_recognised_and_not_parsed(tmp_path, monkeypatch):
    path = tmp_path / "FOLK1A.csv"
    path.write_bytes(constructed_export(["2024K1", "2024K2"], seed=3))
    data = tmp_path / "data"
    first = import_file(path, data_dir=data)[0]
    cache = Cache(data)
    meta = cache.meta("population/FOLK1A")
    import klyngedata.importing as importing

    def no_parse(*args, **kwargs):
        raise AssertionError("parsed again")

    monkeypatch.setattr(importing, "parse_statbank_csv", no_parse)
    again = import_file(path, data_dir=data)[0]
    assert again.rows == first.rows and again.key == first.key
    assert again.message == f"table FOLK1A: {first.rows:,} rows already cached (identical)"
    after = cache.meta("population/FOLK1A")
    assert after["data_sha256"] == meta["data_sha256"] and after["data_file"] == meta["data_file"]
    assert len(after["sources"]) == len(meta["sources"]) + 1 and after["sources"][-1]["file"] == str(path)


def test_a_file_imported_before_another_is_imported_again_in_full(tmp_path):
    a, b = tmp_path / "a_FOLK1A.csv", tmp_path / "b_FOLK1A.csv"
    a.write_bytes(constructed_export(["2024K1"], seed=4))
    b.write_bytes(constructed_export(["2024K1"], seed=5))  # the same cells, other counts
    data = tmp_path / "data"
    import_file(a, data_dir=data)
    import_file(b, data_dir=data)
    again = import_file(a, data_dir=data)[0]
    assert "already cached" in again.message and "of them with a new value" in again.message
    cached = Cache(data).read("population/FOLK1A")
    expected = reference_store([complete_totals(parse_statbank_csv(a.read_bytes(), file=str(a)))])
    pd.testing.assert_frame_equal(cached, expected)


def test_a_renamed_copy_or_a_replacing_import_is_not_taken_for_the_same_file(tmp_path):
    path, copy = tmp_path / "FOLK1A.csv", tmp_path / "FOLK1AM.csv"
    raw = constructed_export(["2024K1"], seed=6)
    path.write_bytes(raw)
    copy.write_bytes(raw)
    data = tmp_path / "data"
    import_file(path, data_dir=data)
    import_file(tmp_path / "FOLK1A.csv", data_dir=data)
    # the name decides the table: the same bytes under FOLK1AM's name are another table's file (refused there:
    # its periods are quarters, a new table FOLK1AM is made)
    res = import_file(copy, data_dir=data)[0]
    assert res.key == "population/FOLK1AM" and "added" in res.message
    replaced = import_file(path, data_dir=data, replace=True)[0]
    assert "replaced (no cached row dropped)" in replaced.message


@pytest.mark.parametrize("seed", range(4))
def test_row_codes_and_merge_equal_string_keys(seed):
    """CONSTRUCTED frames: categoricals with other categories, NA in every kind of column, periods, flags."""
    rng = np.random.default_rng(seed)

    def frame(n: int, cats: list[str]) -> pd.DataFrame:
        codes = pd.Series(rng.choice(cats + [None], n))
        return pd.DataFrame({
            "code": pd.Categorical(codes, categories=cats),
            "age": pd.array(rng.choice([0, 1, 2, None], n), dtype="Int64"),
            "open": rng.random(n) < 0.2,
            "period": pd.PeriodIndex(rng.choice(["2024Q1", "2024Q2", "2025Q1"], n), freq="Q"),
            "value": pd.array(rng.choice([1, 2, None], n), dtype="Int64"),
        }).drop_duplicates(["code", "age", "open", "period"], ignore_index=True)

    old, new = frame(200, ["0851", "0860", "0101"]), frame(150, ["0860", "0101", "0849", "0851"][::-1])
    keys = ["code", "age", "open", "period"]
    a, b = row_codes([old, new], keys)
    text_a, text_b = text_key(old, keys).to_numpy(), text_key(new, keys).to_numpy()
    assert ((a[:, None] == b[None, :]) == (text_a[:, None] == text_b[None, :])).all()
    merged, report = merge_by_key(old, new, keys, ["value"])
    assert merged["code"].dtype.name == "category"
    kept = old[~np.isin(text_a, text_b)]
    expected = pd.concat([kept.astype({"code": object}), new.astype({"code": object})], ignore_index=True)
    got = merged.astype({"code": object})
    pd.testing.assert_frame_equal(got, expected)
    assert report.kept == len(kept) and report.updated == int(np.isin(text_b, text_a).sum())


def test_sort_rows_equals_sort_values():
    rng = np.random.default_rng(7)
    n = 500
    f = pd.DataFrame({
        "level": pd.Categorical(rng.choice(["region", "country", "municipality"], n),
                                categories=["region", "municipality", "country"]),
        "code": pd.array(rng.choice(["0851", "1081", "DK", None], n), dtype="string"),
        "age": pd.array(rng.choice([5, 0, 100, None], n), dtype="Int64"),
        "period": pd.PeriodIndex(rng.choice(["2024Q3", "2024Q1", "2023Q4"], n), freq="Q"),
        "i": np.arange(n),
    })
    cols = ["level", "code", "age", "period"]
    expected = f.astype({"level": object}).sort_values(cols, na_position="first", ignore_index=True, kind="stable")
    pd.testing.assert_frame_equal(sort_rows(f, cols).astype({"level": object}), expected)


def test_parquet_written_by_row_groups_reads_back_as_to_parquet(tmp_path, monkeypatch):
    import klyngedata.compact as compact

    monkeypatch.setattr(compact, "ROW_GROUP", 7)  # several row groups
    f = parse_statbank_csv(constructed_export(["2024K1", "2024K2"], seed=8), file="FOLK1A.csv", compact=True)
    f.attrs = {}  # (the cache keeps provenance in its meta file)
    write_parquet(tmp_path / "a.parquet", f, TEXT_COLUMNS)
    plain = f.copy()
    for c in TEXT_COLUMNS:
        plain[c] = as_string(plain[c])
    plain.to_parquet(tmp_path / "b.parquet", index=False)
    a, b = pd.read_parquet(tmp_path / "a.parquet"), pd.read_parquet(tmp_path / "b.parquet")
    pd.testing.assert_frame_equal(a, b)
    import pyarrow.parquet as pq

    assert pq.read_schema(tmp_path / "a.parquet").equals(pq.read_schema(tmp_path / "b.parquet"), check_metadata=True)


@pytest.mark.parametrize("raw, message", [
    (b"  \r\n\t\r\n", "x.csv: the file is empty"),
    ("\u00a0\r\n".encode(), "x.csv: the file is empty"),
    (b"\r\n  {\"errorTypeCode\": \"EXTRACT-NOTFOUND\"}\r\n", "expected a StatBank CSV but got a JSON body"),
    (b"\xef\xbb\xbfOMR\xc3\x85DE;TID;INDHOLD\r\n851;2024K1;3\r\n\r\n851;2024K2;4\r\n", "row 3: empty line"),
    ((HEADER + "851;TOT;IALT;TOT;2024K1;3\r\n851;TOT;IALT;TOT;2024K2\r\n \r\n851;TOT;IALT;TOT;2024K3;3\r\n").encode(),
     "row 4: empty line"),
    ((HEADER + "851;TOT;IALT;TOT;2024K1;3\r\n851;TOT;IALT;TOT;2024K2\r\n").encode(), "row 3: fewer fields"),
])
def test_checks_on_the_bytes_refuse_as_before(raw, message):
    with pytest.raises(DataFormatError, match=message):
        parse_statbank_csv(raw, file="x.csv")


def test_a_one_column_file_with_a_blank_line_is_named():
    from klyngedata.dst.cells import read_records

    with pytest.raises(DataFormatError, match="x, row 3: empty line inside the table"):
        read_records(b"A\n1\n\n2\n", "x")


def test_export_encoding_does_not_decode_the_whole_file():
    from klyngedata.dst.cells import export_encoding

    raw = ("OMRÅDE;INDHOLD\r\n" + "Læsø;1\r\n" * 10).encode("utf-8")
    assert export_encoding(raw, "x") == ("utf-8", "UTF-8")
    assert export_encoding(b"\xef\xbb\xbf" + raw, "x") == ("utf-8", "UTF-8 with BOM")
    assert export_encoding(raw.decode().encode("cp1252"), "x") == ("cp1252", "Windows-1252")
    with pytest.raises(DataFormatError, match="neither UTF-8 nor Windows-1252 \\(byte 0x81"):
        export_encoding(b"A;B\r\n\x81;1\r\n", "x")


FOLK1AM_FILE = "dst_FOLK1AM_area_2021M10-2024M04.csv"


def plain_rows(path) -> pd.DataFrame:
    """The real export read the plain way: one row per line, each cell through the vocabulary one at a time."""
    from klyngedata.dst.cells import parse_area
    from klyngedata.vocabulary import parse_period

    lines = path.read_text(encoding="utf-8-sig").splitlines()
    header, rows = lines[0].split(";"), []
    assert header == ["OMRÅDE", "TID", "INDHOLD"]
    for line in lines[1:]:
        area, period, count = line.split(";")
        level, code, _ = parse_area(area)
        rows.append({"area_level": level, "area_code": code, "period": parse_period(period),
                     "population": None if count == ".." else int(count)})
    return pd.DataFrame(rows)


def test_a_real_export_imports_row_for_row_and_again_identically(population_dir, tmp_path):
    """The real FOLK1AM export (shared data, read through the import): every line of the file is one cached row
    with the file's count; importing it again, or replacing with it, changes no row."""
    path = population_dir / FOLK1AM_FILE
    data = tmp_path / "data"
    first = import_file(path, data_dir=data)[0]
    plain = plain_rows(path)
    assert first.rows == len(plain) == 3255
    cache = Cache(data)
    cached = cache.read("population/FOLK1AM")
    assert list(cached.columns) == TIDY_COLUMNS
    assert all(cached[c].dtype == "string" for c in TEXT_COLUMNS)
    assert (cached["sex"] == "total").all() and cached["age"].isna().all() and not cached["age_open"].any()
    is_muni = cached["area_level"] == "municipality"
    assert (cached["municipality_code"][is_muni] == cached["area_code"][is_muni]).all()
    assert cached["municipality_code"][~is_muni].isna().all()
    got = cached[["area_level", "area_code", "period", "population"]].astype(object)
    merged = plain.astype(object).merge(got, on=["area_level", "area_code", "period"], how="outer",
                                        suffixes=("_file", "_cached"), indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["population_file"] == merged["population_cached"]).all()
    data_file = cache.meta("population/FOLK1AM")["data_file"]
    again = import_file(path, data_dir=data)[0]
    assert again.message == f"table FOLK1AM: {len(plain):,} rows already cached (identical)"
    assert cache.meta("population/FOLK1AM")["data_file"] == data_file
    replaced = import_file(path, data_dir=data, replace=True)[0]
    assert "replaced (no cached row dropped)" in replaced.message
    pd.testing.assert_frame_equal(cache.read("population/FOLK1AM"), cached)


def test_constructed_statbank_exports_merge_as_the_plain_computation(tmp_path, monkeypatch):
    """CONSTRUCTED exports in the real table's shape (bench/constructed_export.py: FOLK1A's 105 areas, both sexes
    and their total, all ages, from the recorded tableinfo; invented counts), two quarters, then the export one
    quarter older (one quarter overlaps), with the big-file paths forced (parquet read a column at a time,
    written in row groups): the cached table is the plain computation of the import rule."""
    import importlib.util
    from pathlib import Path

    import klyngedata.compact as compact

    spec = importlib.util.spec_from_file_location(
        "constructed_export", Path(__file__).resolve().parents[1] / "bench" / "constructed_export.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(compact, "BIG", 1000)
    monkeypatch.setattr(compact, "ROW_GROUP", 5000)
    newer, older = tmp_path / "new" / "FOLK1A.csv", tmp_path / "old" / "FOLK1A.csv"
    newer.parent.mkdir()
    older.parent.mkdir()
    rows = module.write_constructed_folk1a_export(newer, quarters=2)
    module.write_constructed_folk1a_export(older, quarters=2, older=1)
    assert rows == 105 * 3 * 127 * 2
    data = tmp_path / "data"
    r1 = import_file(newer, data_dir=data)[0]
    r2 = import_file(older, data_dir=data)[0]
    overlap = 105 * 3 * 127
    assert r2.message == (f"table FOLK1A: {rows - overlap:,} rows added, {overlap:,} rows already cached "
                          f"(identical), {r1.rows - overlap:,} other cached rows kept")
    plain = [complete_totals(parse_statbank_csv(p.read_bytes(), file=str(p))) for p in (newer, older)]
    pd.testing.assert_frame_equal(Cache(data).read("population/FOLK1A"), reference_store(plain))
