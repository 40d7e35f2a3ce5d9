"""population() gives exactly the frames it gave before its aggregation was made fast (issue 14).

A CONSTRUCTED FOLK1A export in StatBank's code presentation (invented counts, the real shape: Hele landet, the
five regions, the 98 municipalities and Christiansø x TOT/1/2 x IALT/0-125 x three quarters) with '..' cells
(a single age, a municipality's age total and a region's own row), one municipality absent in one quarter, and
constructed København unit (bydel) populations (by sex and age in one quarter, totals in another, one '..') is
imported through the normal import. Every call in ``CALLS`` (all levels, both divisions, by sex, by sex and age,
by age, 5-year, broad and custom age groups; with share-split municipalities in a patched membership) is
compared with ``fixtures/population_same.json``: columns, dtypes (with categories), row count, attrs (provenance,
division, own rows; the temporary import path normalised), the warnings given, and a SHA-256 of every column's
values. The fixture was written by the implementation before the change (``python tests/test_population_same.py
--write``; only rewrite it when a change of the results is intended).
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from klyngedata import registry
from klyngedata.importing import import_file
from klyngedata.population import PopulationWarning, population

FIXTURE = Path(__file__).parent / "fixtures" / "population_same.json"
QUARTERS = ("2023K4", "2024K1", "2024K2")
DST_REGIONS = {"1081": "081", "1082": "082", "1083": "083", "1084": "084", "1085": "085"}
DIVISIONS = ("sundhedsklynger-2022", "sundhedsraad-2027")
VARIANTS: dict[str, dict[str, Any]] = {
    "all": {"period": "all"},
    "all-sex": {"period": "all", "by": ("sex",)},
    "all-sex-age": {"period": "all", "by": ("sex", "age")},
    "all-age": {"period": "all", "by": ("age",)},
    "all-5y": {"period": "all", "age_groups": "5y"},
    "all-sex-5y": {"period": "all", "by": ("sex",), "age_groups": "5y"},
    "all-sex-custom": {"period": "all", "by": ("sex",), "age_groups": [0, 18, 67, 85]},
    "latest-broad": {"period": "latest", "age_groups": "broad"},
    "one-sex": {"period": ["2024K1"], "by": ("sex",)},
    "two-sex-age": {"period": ["2023K4", "2024K2"], "by": ("sex", "age")},
    "age-and-groups": {"period": "all", "by": ("age",), "age_groups": "5y"},
    "missing-period": {"period": "2030K1"},
}
CALLS: dict[str, dict[str, Any]] = {
    f"{level}:{division}:{variant}": {"level": level, "division": division, **kw}
    for level in ("municipality", "cluster", "region", "country")
    for division in (DIVISIONS if level != "country" else DIVISIONS[:1])
    for variant, kw in VARIANTS.items()
}
SHARE_CALLS: dict[str, dict[str, Any]] = {
    f"shares:{division}:{variant}": {"level": "cluster", "division": division, **VARIANTS[variant]}
    for division in DIVISIONS for variant in ("all", "all-sex-5y", "all-sex-age", "latest-broad")
}


def _count(m: int, sex: int, age: int, q: int) -> int:
    """Invented count of one municipality cell (never 0)."""
    return 1 + (37 * m + 11 * age + 5 * sex + 3 * q) % 97 + (200 if age < 60 else 0)


def write_scenario(folder: Path) -> Path:
    """Write and import the constructed export and unit files; returns the data dir."""
    mun = registry.municipalities()
    regions = registry.municipality_regions(division="sundhedsklynger-2022")  # Statistics Denmark's five regions
    codes = [*mun["municipality_code"], "0411"]
    region_of = {c: regions.get(c, "1084") for c in codes}
    cells: dict[tuple[str, str, str, str], int | None] = {}
    for q, quarter in enumerate(QUARTERS):
        for m, code in enumerate(codes):
            if code == "0825" and quarter == "2024K2":  # Læsø absent from the last quarter
                continue
            for sex in (1, 2):
                for age in range(126):
                    n = 0 if code == "0411" and age > 90 else _count(m, sex, age, q)
                    cells[(code, str(sex), str(age), quarter)] = n
    area_rows: dict[tuple[str, str, str, str], int] = {}
    for (code, sex, age, quarter), n in cells.items():
        for area in (code, DST_REGIONS[region_of[code]], "000"):
            for s in (sex, "TOT"):
                for a in (age, "IALT"):
                    area_rows[(area, s, a, quarter)] = area_rows.get((area, s, a, quarter), 0) + n
    area_rows[("085", "TOT", "IALT", "2023K4")] += 1  # a region's own row that differs from its municipalities
    dots = {("0860", "2", "85", "2024K1"), ("0101", "1", "30", "2024K2"), ("0813", "TOT", "IALT", "2024K1"),
            ("081", "TOT", "IALT", "2024K2")}
    lines = ["\ufeffOMRÅDE;KØN;ALDER;TID;INDHOLD"]
    for (area, sex, age, quarter), n in area_rows.items():
        code = area if len(area) == 3 else str(int(area))
        lines.append(f"{code};{sex};{age};{quarter};{'..' if (area, sex, age, quarter) in dots else n}")
    src = folder / "FOLK1A_constructed_same.csv"
    src.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    data = folder / "data"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import_file(src, data_dir=data)
        units = registry.membership("sundhedsklynger-2022")
        units = units.loc[units["allocation"] == "unit", "unit_code"].tolist()
        rows = ["municipality_code,unit_type,unit_code,sex,age,period,population"]
        for i, unit in enumerate(units):
            for sex in ("1", "2"):
                for age in range(100):  # ages 100+ are not covered by the unit data
                    n = ".." if (i, sex, age) == (3, "2", 40) else str(1 + (i + age) % 7)
                    rows.append(f"0101,bydel,{unit},{sex},{age},2024K1,{n}")
        (folder / "units_by_sex_age.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        import_file(folder / "units_by_sex_age.csv", data_dir=data)
        rows = ["municipality_code,unit_type,unit_code,period,population"]
        rows += [f"0101,bydel,{unit},2023K4,{1000 + 13 * i}" for i, unit in enumerate(units)]
        (folder / "units_total.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        import_file(folder / "units_total.csv", data_dir=data)
    return data


def share_membership(real: Any) -> Any:
    """The registry's membership with municipalities split by shares (constructed: 1/3 + 2/3; and three equal
    parts, whose remainders tie)."""
    def patched(division: str | None = None, date: Any = None) -> pd.DataFrame:
        mem = real(division, date) if date is not None else real(division)
        mem = mem.copy()
        parts = []
        for code, shares in (("0851", (1 / 3, 2 / 3)), ("0751", (1 / 3, 1 / 3, 1 / 3))):
            row = mem[mem["municipality_code"] == code].iloc[0]
            others = mem[(mem["region_code"] == row["region_code"]) & (mem["cluster_id"] != row["cluster_id"])]
            targets = [row, *(r for _, r in others.drop_duplicates("cluster_id").iterrows())][:len(shares)]
            for target, share in zip(targets, shares, strict=True):
                part = row.copy()
                part["allocation"], part["share"] = "share", share
                part["cluster_id"], part["cluster_name"] = target["cluster_id"], target["cluster_name"]
                parts.append(part)
        mem = mem[~mem["municipality_code"].isin(["0851", "0751"])]
        return pd.concat([mem, pd.DataFrame(parts)], ignore_index=True)
    return patched


def _text(value: Any) -> str | None:
    return None if value is None or value is pd.NA or (not isinstance(value, str) and pd.isna(value)) \
        else str(value)


def describe(frame: pd.DataFrame, root: str) -> dict[str, Any]:
    """Everything compared: columns, dtypes (categories), rows, attrs, and each column's values as a digest."""
    dtypes = {}
    for c in frame.columns:
        dt = frame[c].dtype
        dtypes[c] = str(dt) if not isinstance(dt, pd.CategoricalDtype) else \
            {"categories": [str(x) for x in dt.categories], "ordered": bool(dt.ordered),
             "categories_dtype": str(dt.categories.dtype)}
    values = {}
    for c in frame.columns:
        text = json.dumps([_text(v) for v in frame[c].astype(object)], ensure_ascii=False)
        values[c] = hashlib.sha256(text.encode()).hexdigest()
    attrs = json.loads(json.dumps(frame.attrs, default=str, ensure_ascii=False).replace(root, "<tmp>"))
    return {"columns": list(frame.columns), "dtypes": dtypes, "rows": len(frame), "attrs_order": list(frame.attrs),
            "index": f"{type(frame.index).__name__}({frame.index.min() if len(frame) else ''}..)",
            "attrs": attrs, "values_sha256": values,
            "population_total": int(frame["population"].sum()) if "population" in frame else None}


def run_call(kw: dict[str, Any], data: Path) -> dict[str, Any]:
    """One call's description (or the error it raised) and the warnings it gave."""
    root = str(data.parent)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out: dict[str, Any] = describe(population(**kw, data_dir=data), root)
        except Exception as exc:  # noqa: BLE001 - the error is part of the behaviour compared
            out = {"error": f"{type(exc).__name__}: {exc}".replace(root, "<tmp>")}
    out["warnings"] = [f"{w.category.__name__}: {w.message}".replace(root, "<tmp>") for w in caught
                       if w.category.__module__.startswith("klyngedata")]  # not the libraries' deprecations
    return out


def run_all(data: Path, monkeypatch: Any) -> dict[str, Any]:
    results = {name: run_call(kw, data) for name, kw in CALLS.items()}
    monkeypatch.setattr(registry, "membership", share_membership(registry.membership))
    results.update({name: run_call(kw, data) for name, kw in SHARE_CALLS.items()})
    return results


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_scenario(tmp_path_factory.mktemp("population_same"))


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", [*CALLS, *SHARE_CALLS])  # one test per call: each is short
def test_population_frames_are_the_same_as_before(scenario, expected, monkeypatch, name):
    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    if name in SHARE_CALLS:
        monkeypatch.setattr(registry, "membership", share_membership(registry.membership))
    got = run_call(SHARE_CALLS[name] if name in SHARE_CALLS else CALLS[name], scenario)
    want = expected[name]
    for part in ("error", "columns", "dtypes", "rows", "index", "attrs", "attrs_order", "population_total",
                 "warnings"):
        assert got.get(part) == want.get(part), f"{name}: {part} differs"
    for col, digest in (want.get("values_sha256") or {}).items():
        assert got["values_sha256"][col] == digest, f"{name}: values of column {col!r} differ"


def test_scenario_covers_what_it_claims(scenario, monkeypatch):
    """The fixture's calls did meet '..', absent members, unit allocation, Christiansø and the own rows."""
    expected = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert any("ikke fordelt på klynger" in w for v in expected.values() for w in v["warnings"])
    assert any("afviger fra kildens egen række" in w for v in expected.values() for w in v["warnings"])
    assert expected["cluster:sundhedsklynger-2022:missing-period"]["error"].startswith("DataNotAvailable")
    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    with pytest.warns(PopulationWarning, match="delt mellem sundhedsklyngerne"):  # the scenario's bydel data
        cl = population("cluster", division="sundhedsklynger-2022", period="all", by=("sex",), age_groups="5y",
                        data_dir=scenario)  # cover one quarter
    assert {"0101:ikke-fordelt", "0411:ingen-klynge"} <= set(cl["entity_id"])
    assert cl["population"].isna().any() and cl["reason_da"].str.contains("Læsø", na=False).any()
    assert cl["reason_da"].str.contains("Hjørring", na=False).any()


if __name__ == "__main__":  # (re)write the fixture with the implementation in the working tree
    if sys.argv[1:] != ["--write"]:
        raise SystemExit("usage: python tests/test_population_same.py --write")
    import os

    os.environ["KLYNGEDATA_OFFLINE"] = "1"
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        result = run_all(write_scenario(Path(tmp)), mp)
    FIXTURE.write_text(json.dumps(result, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {FIXTURE} ({len(result)} calls)")
