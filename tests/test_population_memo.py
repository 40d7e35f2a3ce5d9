"""Population answers kept within a report batch (klyngedata.population.memo): the same question on the same data
gives the same frame, a changed cache or another data directory never gets an old answer, and nothing is kept
outside a batch. Data: the constructed FOLK1A answer of test_population (invented counts, named so)."""

from __future__ import annotations

import pandas as pd
import pytest

from klyngedata.importing import import_file
from klyngedata.population import memo, population
from tests.test_population import _constructed_folk1a_nord


@pytest.fixture
def batch(monkeypatch):
    """Report mode and offline, as the runner runs its notebooks; an empty memo before and after."""
    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    monkeypatch.setenv("KLYNGEDATA_REPORT", "1")
    memo.forget()
    yield
    memo.forget()


def _import(tmp_path, name: str, factor: int = 1, period: str = "2024K1"):
    """The constructed FOLK1A answer (counts times ``factor``, for ``period``) imported into ``tmp_path/name``."""
    lines = _constructed_folk1a_nord().split("\r\n")
    rows = [lines[0]] + [";".join([*f.split(";")[:4], period, str(int(f.split(";")[5]) * factor)])
                         for f in lines[1:] if f]
    path = tmp_path / f"FOLK1A_constructed_{name}_{factor}_{period}.csv"
    path.write_text("\r\n".join(rows) + "\r\n", encoding="utf-8")
    import_file(path, data_dir=tmp_path / name)
    return tmp_path / name


def _ask(data_dir):
    return population("municipality", by=["sex"], age_groups="broad", period="all", data_dir=data_dir)


def test_the_same_question_on_the_same_data_is_answered_once_and_each_caller_gets_a_copy(tmp_path, batch):
    a = _import(tmp_path, "a")
    first = _ask(a)
    assert len(memo._memo) == 1
    second = _ask(a)
    pd.testing.assert_frame_equal(first, second)
    assert second.attrs == first.attrs and len(memo._memo) == 1
    second["population"] = 0  # a caller's change never reaches the next caller
    pd.testing.assert_frame_equal(_ask(a), first)


def test_another_data_dir_or_new_data_never_get_an_old_answer(tmp_path, batch):
    a = _import(tmp_path, "a")
    b = _import(tmp_path, "b", factor=2)
    in_a, in_b = _ask(a), _ask(b)
    assert (in_b["population"] == 2 * in_a["population"]).all()  # b's own (doubled) counts
    _import(tmp_path, "a", factor=3, period="2024K2")  # a new quarter merged into a's cache
    newer = _ask(a)
    assert sorted(map(str, newer["period"].unique())) == ["2024Q1", "2024Q2"]
    q2 = newer[newer["period"].astype(str) == "2024Q2"]["population"].to_numpy()
    assert (q2 == 3 * in_a["population"].to_numpy()).all()


def test_nothing_is_kept_outside_a_batch(tmp_path, monkeypatch):
    memo.forget()
    a = _import(tmp_path, "a")
    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    monkeypatch.delenv("KLYNGEDATA_REPORT", raising=False)
    _ask(a)
    assert not memo._memo
    monkeypatch.setenv("KLYNGEDATA_REPORT", "1")
    monkeypatch.delenv("KLYNGEDATA_OFFLINE")
    _ask(a)
    assert not memo._memo


def test_data_that_do_not_have_it_are_told_so_every_time(tmp_path, batch):
    from klyngedata.exceptions import DataNotAvailable

    a = _import(tmp_path, "a")
    messages = []
    for _ in range(2):
        with pytest.raises(DataNotAvailable) as err:
            population("cluster", kind="projection", period="all", data_dir=a)
        messages.append(str(err.value))
    assert messages[0] == messages[1] and "FRKM" in messages[0]
    assert len(memo._memo) == 1
