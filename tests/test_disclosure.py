"""Tests for klyngedata.disclosure (primary + secondary suppression).

All tables here are constructed examples (small invented counts in the exact tidy format), named as such.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from klyngedata.disclosure import format_number_da, protect, suppress, suppress_key_figures
from klyngedata.exceptions import KlyngedataError


def test_worked_example_primary_and_secondary():
    # Constructed example: cluster K = a + b + c = 3 + 7 + 10 = 20.
    # a = 3 is in 1..4 -> primary. Showing K, b, c would give a = 20 - 7 - 10 = 3, so the next smallest
    # member (b = 7) is hidden too. Then K - c = 10 = a + b: hidden sum 10 >= 5, nothing small derivable.
    constructed_table = pd.DataFrame(
        {"entity_id": ["K", "a", "b", "c"], "numerator": [20, 3, 7, 10], "denominator": [200, 50, 70, 80],
         "value": [10.0, 6.0, 10.0, 12.5]}
    )
    out = suppress(constructed_table, groups=[("K", ["a", "b", "c"])], key="entity_id")
    assert out["suppressed"].tolist() == [False, True, True, False]
    assert out["display"].tolist() == ["10", "<5", "x", "12"]  # 12.5 rounds half-even to 12 with 0 decimals
    for col in ("numerator", "denominator", "value"):
        assert out.loc[1:2, col].isna().all(), col
    assert out.loc[0, "numerator"] == 20 and out.loc[3, "value"] == 12.5


def test_zero_is_shown_and_hidden_sum_must_reach_threshold():
    # Constructed example: K = 6 = 1 + 0 + 2 + 3. Primary: 1, 2, 3 (0 is shown). Hidden members sum to 6,
    # so K - shown (0) = 6 >= 5: no further suppression needed.
    out = suppress(
        pd.DataFrame({"id": ["K", "a", "b", "c", "d"], "numerator": [6, 1, 0, 2, 3]}),
        groups={"K": ["a", "b", "c", "d"]}, key="id", denominator=None, value_columns=[],
    )
    assert out["display"].tolist() == ["6", "<5", "0", "<5", "<5"]
    # Constructed example: K = 13 = 1 + 2 + 10. Primary 1 and 2 -> two hidden, but K - 10 = 3 reveals that
    # a + b = 3 (both small). So 10 must be hidden too (then K - nothing shown = 13).
    out = suppress(
        pd.DataFrame({"id": ["K", "a", "b", "c"], "numerator": [13, 1, 2, 10]}),
        groups={"K": ["a", "b", "c"]}, key="id", denominator=None, value_columns=[],
    )
    assert out["display"].tolist() == ["13", "<5", "<5", "x"]


def test_rate_hidden_when_denominator_small():
    # Constructed example: readmission share 0 of 3 index admissions; the denominator 3 is a small count.
    out = suppress(
        pd.DataFrame({"id": ["K", "a", "b"], "numerator": [5, 0, 5], "denominator": [43, 3, 40],
                      "value": [11.6, 0.0, 12.5]}),
        groups={"K": ["a", "b"]}, key="id", decimals=1,
    )
    assert out["display"].tolist() == ["11,6", "<5", "x"]
    assert out["value"].isna().tolist() == [False, True, True]


def test_threshold_is_configurable():
    t = pd.DataFrame({"id": ["K", "a", "b"], "numerator": [7, 3, 4]})
    out = suppress(t, groups={"K": ["a", "b"]}, key="id", denominator=None, value_columns=[], threshold=3)
    assert out["display"].tolist() == ["7", "3", "4"]
    out = suppress(t, groups={"K": ["a", "b"]}, key="id", denominator=None, value_columns=[], threshold=10)
    assert out["display"].tolist() == ["<10", "<10", "<10"]


def test_propagation_between_levels():
    # Constructed example: R = C1 + C2 (30 = 12 + 18); C1 = a + b (12 = 2 + 10); C2 = c + d (18 = 8 + 10).
    # a = 2 primary -> b hidden (group C1). Nothing else needs hiding: C1 and R stay shown.
    num = [30, 12, 18, 2, 10, 8, 10]
    groups = [(0, [1, 2]), (1, [3, 4]), (2, [5, 6])]
    p, s = protect(num, groups)
    assert np.flatnonzero(p).tolist() == [3]
    assert np.flatnonzero(s).tolist() == [4]
    # Now C1 itself is small: R = 3 + 27, C1 = 1 + 2, C2 = 20 + 7.
    # C1, a, b primary; in R, C1 is the only hidden cell -> C2 (27) hidden; then C2 is the only hidden cell
    # of its group -> the smallest member d = 7 is hidden as well.
    p, s = protect([30, 3, 27, 1, 2, 20, 7], groups)
    assert np.flatnonzero(p).tolist() == [1, 3, 4]
    assert np.flatnonzero(s).tolist() == [2, 6]


def test_missing_counts_are_unknown_not_candidates():
    # Constructed example: a not-computable total (NA) is unknown to the reader, so a single hidden
    # member cannot be derived from it.
    p, s = protect([None, 3, 7, 10], [(0, [1, 2, 3])])
    assert p.tolist() == [False, True, False, False]
    assert not s.any()
    # A not-computable member is unknown to the reader too: 20 = 3 + ? + 10 only says that the hidden cell
    # and the unknown one hold 10 together, so the 3 can be anything in 0..10 -- no secondary cell needed.
    p, s = protect([20, 3, None, 10], [(0, [1, 2, 3])])
    assert p.tolist() == [False, True, False, False] and not s.any()


def test_negative_count_rejected():
    with pytest.raises(KlyngedataError, match="negative numerator in cell 1"):
        protect([5, -1], [])


def test_key_figures_comparison_values_follow_suppression():
    constructed = pd.DataFrame(
        {"entity_level": ["country", "region", "region", "cluster", "cluster"],
         "entity_id": ["DK", "1081", "1082", "k1", "k2"],
         "figure_id": "x", "period": "2024",
         "numerator": [40, 3, 37, 1, 2], "denominator": [1000, 100, 900, 40, 60],
         "value": [4.0, 3.0, 4.1, 2.5, 3.3],
         "region_code": [None, "1081", "1082", "1081", "1081"]}
    )
    hierarchy = pd.DataFrame(
        {"parent_level": ["country", "country", "region", "region"],
         "parent_id": ["DK", "DK", "1081", "1081"],
         "child_level": ["region", "region", "cluster", "cluster"],
         "child_id": ["1081", "1082", "k1", "k2"]}
    )
    out = suppress_key_figures(constructed, hierarchy, slice_columns=("figure_id", "period"), decimals=1)
    by_id = out.set_index("entity_id")
    assert by_id.loc["1081", "display"] == "<5" and by_id.loc["1082", "display"] == "x"
    assert by_id.loc["k1", "display"] == "<5"
    # the region comparison value of the clusters is the (hidden) region value -> missing, never 3.0
    assert pd.isna(by_id.loc["k1", "region_value"]) and pd.isna(by_id.loc["k2", "region_value"])
    assert (out["country_value"] == 4.0).all()
    assert not (out.drop(columns=["display"]) == 3.0).any().any()


def test_format_number_da():
    assert format_number_da(5932654) == "5.932.654"
    assert format_number_da(48.054, 2) == "48,05"


# ------------------------------------------------------------------------------------------------
# Property test: no count 1..4 can be read or derived
# ------------------------------------------------------------------------------------------------


@st.composite
def hierarchical_tables(draw):
    """Random constructed tables: country -> regions -> clusters -> municipalities, totals = sums."""
    small_biased = st.one_of(st.integers(0, 6), st.integers(0, 60))
    values: list[int] = []
    dens: list[int] = []
    groups: list[tuple[int, list[int]]] = []

    def add_leaf() -> int:
        values.append(draw(small_biased))
        dens.append(values[-1] + draw(st.integers(0, 30)))
        return len(values) - 1

    def add_total(children: list[int]) -> int:
        values.append(sum(values[c] for c in children))
        dens.append(sum(dens[c] for c in children))
        groups.append((len(values) - 1, children))
        return len(values) - 1

    regions = []
    for _ in range(draw(st.integers(1, 3))):
        clusters = []
        for _ in range(draw(st.integers(1, 3))):
            clusters.append(add_total([add_leaf() for _ in range(draw(st.integers(1, 4)))]))
        regions.append(add_total(clusters))
    add_total(regions)
    return values, dens, groups


def _determined(hidden: list[int], groups, n: int) -> list[int]:
    """Hidden cells whose value follows from the shown cells by linear algebra (row-space test)."""
    col = {c: j for j, c in enumerate(hidden)}
    rows = []
    for t, members in groups:
        row = np.zeros(len(hidden))
        touched = False
        for c, sign in [(t, 1.0), *[(m, -1.0) for m in members]]:
            if c in col:
                row[col[c]] += sign
                touched = True
        if touched:
            rows.append(row)
    if not rows:
        return list(hidden)
    a = np.array(rows)
    rank = np.linalg.matrix_rank(a)
    out = []
    for j, c in enumerate(hidden):
        e = np.zeros(len(hidden))
        e[j] = 1.0
        if np.linalg.matrix_rank(np.vstack([a, e])) == rank:
            out.append(c)
    return out


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hierarchical_tables(), st.integers(2, 10))
def test_property_no_small_count_readable_or_derivable(table, threshold):
    values, dens, groups = table
    n = len(values)
    for use_den in (False, True):
        p, s = protect(values, groups, dens if use_den else None, threshold)
        hidden = p | s
        # 1. nothing in 1..threshold-1 is shown (numerator nor, if used, denominator)
        for i in range(n):
            if not hidden[i]:
                assert not 0 < values[i] < threshold
                if use_den:
                    assert not 0 < dens[i] < threshold
        # 2. every single subtraction in every additive group: never exactly one hidden cell, and with a
        #    shown total, total - shown members (= sum of hidden members) is not a small count
        for t, members in groups:
            cells = [t, *members]
            n_hidden = sum(bool(hidden[c]) for c in cells)
            assert n_hidden != 1
            if not hidden[t]:
                derived = values[t] - sum(values[m] for m in members if not hidden[m])
                assert not 0 < derived < threshold
                for m in members:  # a single member derived from total minus the others
                    if hidden[m]:
                        others_shown = all(not hidden[o] for o in members if o != m)
                        assert not others_shown
        # 3. linear algebra over all groups jointly: no hidden cell is determined
        assert _determined([i for i in range(n) if hidden[i]], groups, n) == []
