"""The population table kept in memory (klyngedata.population.load._read): parsed once while its cache entry is
unchanged, never answered from memory after a new import or when the file is damaged, and callers cannot change
it. Data: the constructed FOLK1A answer of test_population (invented counts, named so)."""

from __future__ import annotations

import pandas as pd
import pytest

from klyngedata.cache import Cache
from klyngedata.exceptions import CacheCorrupt
from klyngedata.population import load, memo, population
from tests.test_population_memo import _import

QUESTIONS = [
    dict(level="municipality", by=["sex"], age_groups="broad"),
    dict(level="cluster", division="sundhedsklynger-2022", by=["sex"], age_groups="5y"),
    dict(level="cluster", division="sundhedsraad-2027", by=["sex"], age_groups="5y"),
    dict(level="region", division="sundhedsraad-2027", age_groups="broad"),
    dict(level="cluster", division="sundhedsklynger-2022", by=["sex", "age"]),
    dict(level="country", age_groups="broad"),
]


@pytest.fixture
def reads(monkeypatch):
    """Offline, nothing kept before or after; counts the parquet reads of the cache."""
    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    monkeypatch.delenv("KLYNGEDATA_REPORT", raising=False)  # not the batch memo: every call computes
    memo.forget()
    count = {"n": 0}
    original = Cache.read

    def counted(self, *args, **kwargs):
        count["n"] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Cache, "read", counted)
    yield count
    memo.forget()


def _ask(data_dir, q):
    return population(period="all", data_dir=data_dir, **q)


def test_each_answer_from_the_kept_table_equals_the_answer_from_a_fresh_read(tmp_path, reads):
    a = _import(tmp_path, "a")
    fresh = []
    for q in QUESTIONS:
        load.forget_tables()
        fresh.append(_ask(a, q))
    reads["n"] = 0
    for q, expected in zip(QUESTIONS + QUESTIONS, fresh + fresh, strict=True):  # twice round, in turn
        got = _ask(a, q)
        pd.testing.assert_frame_equal(got, expected)
        assert got.attrs == expected.attrs
    # by sex (the sex totals not read) and not by sex are two readings of the table; each is parsed again only
    # when the other was read in between
    changes = sum(1 for i, q in enumerate(QUESTIONS + QUESTIONS)
                  if i == 0 or ("sex" in q.get("by", [])) != ("sex" in (QUESTIONS + QUESTIONS)[i - 1].get("by", [])))
    assert reads["n"] == changes < 2 * len(QUESTIONS)


def test_the_same_question_twice_parses_the_table_once(tmp_path, reads):
    a = _import(tmp_path, "a")
    q = QUESTIONS[1]
    first = _ask(a, q)
    second = _ask(a, q)
    assert reads["n"] == 1
    pd.testing.assert_frame_equal(first, second)


def test_a_new_import_is_read_not_answered_from_memory(tmp_path, reads):
    a = _import(tmp_path, "a")
    q = QUESTIONS[0]
    before = _ask(a, q)
    _import(tmp_path, "a", factor=3, period="2024K2")  # a new quarter merged into a's cache
    reads["n"] = 0
    after = _ask(a, q)
    assert reads["n"] == 1
    assert sorted(map(str, after["period"].unique())) == ["2024Q1", "2024Q2"]
    q2 = after[after["period"].astype(str) == "2024Q2"]["population"].to_numpy()
    assert (q2 == 3 * before["population"].to_numpy()).all()


def test_another_data_dir_gets_its_own_table(tmp_path, reads):
    a, b = _import(tmp_path, "a"), _import(tmp_path, "b", factor=2)
    q = QUESTIONS[0]
    in_a, in_b = _ask(a, q), _ask(b, q)
    assert (in_b["population"] == 2 * in_a["population"]).all()
    assert (_ask(a, q)["population"] == in_a["population"]).all()


def test_a_file_damaged_after_it_was_read_is_reported_not_answered_from_memory(tmp_path, reads):
    a = _import(tmp_path, "a")
    q = QUESTIONS[0]
    _ask(a, q)
    cache = Cache(a)
    path = cache.meta_path("population/FOLK1A").parent / cache.meta("population/FOLK1A")["data_file"]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, other bytes: only the checksum can tell
    path.write_bytes(bytes(data))
    with pytest.raises(CacheCorrupt, match="checksum"):
        _ask(a, q)


def test_a_caller_changing_its_copy_never_changes_the_kept_table(tmp_path, reads):
    a = _import(tmp_path, "a")
    cache = Cache(a)
    first = load._read(cache, "population/FOLK1A", None)
    expected = first.copy(deep=True)
    first.loc[:, "population"] = 0
    first["sex"] = "changed"
    first.attrs["provenance"]["table"] = "changed"
    second = load._read(cache, "population/FOLK1A", None)
    assert reads["n"] == 1
    pd.testing.assert_frame_equal(second, expected)
    assert second.attrs["provenance"]["table"] == "FOLK1A"
