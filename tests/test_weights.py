"""Membership → municipality weights in one place (issue 27): every unit of every division, the Danish reasons
in the division's words, unit-population shares, and a check that no other module turns allocations into
weights again."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from klyngedata import registry
from klyngedata.cache import Cache
from klyngedata.weights import (
    UNIT_POPULATION_KEY,
    country_weights,
    division_weights,
    region_weights,
    unit_weights,
)

PACKAGE = Path(__file__).resolve().parents[1] / "klyngedata"


@pytest.mark.parametrize("division", ["sundhedsklynger-2022", "sundhedsraad-2027", "klyngestyregrupper-2019"])
def test_every_unit_has_its_members_weights_from_the_registry(division):
    mem = registry.membership(division)
    ws = division_weights(division)
    assert set(ws) == set(mem["cluster_id"])
    for cid, w in ws.items():
        rows = mem[mem["cluster_id"] == cid]
        assert set(w.members) == set(rows["municipality_code"])
        for r in rows.drop_duplicates("municipality_code").itertuples(index=False):
            if r.allocation == "whole":
                assert w.members[r.municipality_code] == 1.0
            elif r.allocation == "share":
                expected = rows.loc[rows["municipality_code"] == r.municipality_code, "share"].astype(float).sum()
                assert w.members[r.municipality_code] == pytest.approx(expected)
            else:
                assert w.members[r.municipality_code] is None and not w.computable
        assert w.computable == (rows["allocation"] != "unit").all()


def test_each_municipality_is_shared_out_exactly_once_in_2027():
    total: dict[str, float] = {}
    for w in division_weights("sundhedsraad-2027").values():
        for code, weight in w.weights.items():
            total[code] = total.get(code, 0.0) + weight
    assert len(total) == 98 and all(v == pytest.approx(1.0) for v in total.values())


@pytest.mark.parametrize("division, words", [("sundhedsklynger-2022", ("klyngerne", "klyngens"))])
def test_a_split_unit_says_why_in_its_divisions_words(division, words):
    w = unit_weights("hovedstaden-byen")
    assert not w.computable and w.weights is None
    assert w.reason_da.startswith("København (0101) er delt mellem klyngerne efter bydel")
    assert all(word in w.reason_da for word in words)
    assert "råd" not in w.reason_da


def test_unit_population_shares_weight_a_split_member(tmp_path):
    """CONSTRUCTED bydel populations: each 2022 København unit gets its bydele's share of the total."""
    mem = registry.membership("sundhedsklynger-2022")
    units = mem[mem["allocation"] == "unit"]
    rows = [{"municipality_code": "0101", "unit_type": "bydel", "unit_code": code, "period": pd.Period("2024Q1"),
             "population": 1000 * (i + 1)} for i, code in enumerate(sorted(units["unit_code"].unique()))]
    Cache(tmp_path).write(UNIT_POPULATION_KEY, pd.DataFrame(rows), {"table": "constructed", "source": "test"})
    pops = {r["unit_code"]: r["population"] for r in rows}
    ws = division_weights("sundhedsklynger-2022", data_dir=tmp_path, use_unit_populations=True)
    shares = {}
    for cid, g in units.groupby("cluster_id"):
        expected = sum(pops[c] for c in g["unit_code"]) / sum(pops.values())
        assert ws[cid].computable and ws[cid].weights["0101"] == pytest.approx(expected)
        assert "tilnærmelse" in ws[cid].note_da
        shares[cid] = ws[cid].weights["0101"]
    assert sum(shares.values()) == pytest.approx(1.0)


def test_regions_and_denmark():
    assert len(country_weights()) == 99 and "0411" not in country_weights(with_christiansoe=False)
    east = region_weights("oestdanmark")
    assert set(east) == set(region_weights("1084")) | set(region_weights("1085")) and "0411" in east
    assert "0411" not in region_weights("1081")


_ALLOCATION_RULE = re.compile(r"""\balloc(?:ation)?\s*==\s*["']share["']\s+and""")


def test_no_other_module_turns_allocations_into_weights():
    found = [p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")
             if p.name != "weights.py" and _ALLOCATION_RULE.search(p.read_text(encoding="utf-8"))]
    assert found == []
    assert _ALLOCATION_RULE.search((PACKAGE / "weights.py").read_text(encoding="utf-8"))  # the rule finds it
