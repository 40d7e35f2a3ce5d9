"""Parsers in klyngedata.sources: real shared files and constructed examples in StatBank's exact format."""

from __future__ import annotations

import pandas as pd
import pytest

from klyngedata.cache import Cache
from klyngedata.exceptions import DataFormatError
from klyngedata.sources import (
    import_file,
    parse_age,
    parse_period,
    parse_statbank_csv,
    parse_tidy_municipality_csv,
    sniff,
)

FOLK1AM_FILE = "dst_FOLK1AM_area_2021M10-2024M04.csv"
DERIVED_FILE = "derived_municipality_population_monthly_2021M10-2024M04.csv"

# Constructed examples (invented counts) of one FOLK1A /data answer in three value presentations.
CONSTRUCTED_FOLK1A_CODE = (
    "\ufeffOMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD\r\n"
    "000;TOT;IALT;TOT;2024K1;100\r\n"
    "084;1;80;TOT;2024K1;7\r\n"
    "169;2;100-;TOT;2024K1;..\r\n"
    "773;1;0;TOT;2024K1;3\r\n"
)
CONSTRUCTED_FOLK1A_VALUE = (
    "\ufeffOMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD\r\n"
    "Hele landet;I alt;Alder i alt;I alt;2024K1;100\r\n"
    "Region Hovedstaden;Mænd;80 år;I alt;2024K1;7\r\n"
    "Høje-Taastrup;Kvinder;100 år og derover;I alt;2024K1;..\r\n"
    "Morsø;Mænd;0 år;I alt;2024K1;3\r\n"
)
CONSTRUCTED_FOLK1A_CODE_AND_VALUE = (
    "\ufeffOMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD\r\n"
    "000 Hele landet;TOT I alt;IALT Alder i alt;TOT I alt;2024K1;100\r\n"
    "084 Region Hovedstaden;1 Mænd;80 80 år;TOT I alt;2024K1;7\r\n"
    "169 Høje-Taastrup;2 Kvinder;100- 100 år og derover;TOT I alt;2024K1;..\r\n"
    "773 Morsø;1 Mænd;0 0 år;TOT I alt;2024K1;3\r\n"
)
CONSTRUCTED_FOLK1A_ENGLISH = (
    "\ufeffOMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD\r\n"
    "All Denmark;Total;Age, total;Total;2024Q1;100\r\n"
    "Region Hovedstaden;Men;80 years;Total;2024Q1;7\r\n"
    "Høje-Taastrup;Women;100 years and over;Total;2024Q1;..\r\n"
    "Morsø;Men;0 years;Total;2024Q1;3\r\n"
)


def test_presentations_give_identical_frames():
    frames = [parse_statbank_csv(t.encode(), file="constructed example") for t in (
        CONSTRUCTED_FOLK1A_CODE, CONSTRUCTED_FOLK1A_VALUE, CONSTRUCTED_FOLK1A_CODE_AND_VALUE,
        CONSTRUCTED_FOLK1A_ENGLISH)]
    for f in frames[1:]:
        pd.testing.assert_frame_equal(frames[0], f)
    df = frames[0]
    assert df["area_level"].tolist() == ["country", "region", "municipality", "municipality"]
    assert df["area_code"].tolist() == ["DK", "1084", "0169", "0773"]
    assert df["sex"].tolist() == ["total", "male", "female", "male"]
    assert df["age"].tolist()[1:] == [80, 100, 0] and df["age"].isna().iloc[0]
    assert df["age_open"].tolist() == [False, False, True, False]
    assert df["population"].isna().tolist() == [False, False, True, False]
    assert str(df["period"].dtype) == "period[Q-DEC]"
    assert [f.attrs["provenance"]["presentation"] for f in frames] == ["Code", "Value", "CodeAndValue", "Value"]


def test_civilstand_without_total_is_summed_only_over_all_four_statuses():
    header = "OMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD\n"  # constructed example
    text = header + "851;1;80;U;2024K1;2\n851;1;80;G;2024K1;5\n851;1;80;E;2024K1;1\n851;1;80;F;2024K1;0\n"
    df = parse_statbank_csv(text.encode(), file="constructed example")
    assert df["population"].tolist() == [8]
    with pytest.raises(DataFormatError, match="neither the total .* nor all four civil statuses"):
        parse_statbank_csv((header + "851;1;80;U;2024K1;2\n851;1;80;G;2024K1;5\n").encode(), file="partial")
    # one '..' status makes the sum missing, never a partial sum
    text = header + "851;1;80;U;2024K1;2\n851;1;80;G;2024K1;..\n851;1;80;E;2024K1;1\n851;1;80;F;2024K1;0\n"
    assert parse_statbank_csv(text.encode(), file="constructed example")["population"].isna().tolist() == [True]


def test_errors_name_file_row_and_column():
    bad = "OMRÅDE;TID;INDHOLD\n851;2024K1;12\n851;2024K9;3\n"  # constructed example
    with pytest.raises(DataFormatError, match=r"x.csv, row 3, column TID"):
        parse_statbank_csv(bad.encode(), file="x.csv")
    with pytest.raises(DataFormatError, match="row 2, column INDHOLD"):
        parse_statbank_csv("OMRÅDE;TID;INDHOLD\n851;2024K1;12.5\n".encode(), file="y.csv")
    with pytest.raises(DataFormatError, match="JSON"):
        parse_statbank_csv(b'{"errorTypeCode":"EXTRACT-NOTFOUND","message":"x"}', file="z")
    with pytest.raises(DataFormatError, match="unknown column"):
        parse_statbank_csv(b"FOO;INDHOLD\n1;2\n", file="w")


def test_value_parsers():
    assert parse_age("100-") == (100, True)
    assert parse_age("IALT Alder i alt") == (None, False)
    assert str(parse_period("2024M01")) == "2024-01"
    with pytest.raises(ValueError):
        parse_period("2024X1")


def test_real_folk1am_file(population_dir):
    df = parse_statbank_csv(population_dir / FOLK1AM_FILE)
    assert df.attrs["provenance"]["table"] == "FOLK1AM"
    assert df.attrs["provenance"]["presentation"] == "Value"
    assert len(df) == 3255
    assert df["area_level"].value_counts().to_dict() == {"municipality": 99 * 31, "region": 5 * 31, "country": 31}
    assert str(df["period"].dtype) == "period[M]"
    # README check totals, recomputed from the file through the parser
    dk = df[df["area_level"] == "country"].set_index("period")["population"]
    mun = df[df["area_level"] == "municipality"].groupby("period")["population"].sum()
    assert (dk == mun).all()
    reg = df[df["area_level"] == "region"].groupby("period")["population"].sum()
    assert (dk == reg).all()
    # every DST name resolved, incl. Høje-Taastrup and Vesthimmerlands
    codes = set(df["municipality_code"].dropna())
    assert len(codes) == 99 and {"0169", "0820", "0411"} <= codes


def test_derived_file_matches_folk1am_file(population_dir):
    area = parse_statbank_csv(population_dir / FOLK1AM_FILE)
    derived = parse_tidy_municipality_csv(population_dir / DERIVED_FILE)
    a = area[area["area_level"] == "municipality"].sort_values(["area_code", "period"], ignore_index=True)
    b = derived.sort_values(["area_code", "period"], ignore_index=True)
    pd.testing.assert_frame_equal(a, b)


def test_sniff_and_import_directory(population_dir, shared_data, tmp_path):
    assert sniff(population_dir / FOLK1AM_FILE) == "statbank_csv"
    assert sniff(population_dir / DERIVED_FILE) == "tidy_population"
    assert sniff(shared_data / "geo" / "kommuner.geojson") == "boundaries"
    results = import_file(population_dir, data_dir=tmp_path)
    assert [r.status for r in results] == ["imported", "imported"]
    cache = Cache(tmp_path)
    df = cache.read("population/FOLK1AM")
    assert len(df) == 3255  # the derived rows were replaced by identical rows from the area file
    meta = df.attrs["provenance"]
    assert meta["table"] == "FOLK1AM" and len(meta["periods"]) == 31 and len(meta["sources"]) == 2
    with pytest.raises(DataFormatError, match="not a recognised"):
        import_file(shared_data / "README.md", data_dir=tmp_path)


def test_import_unit_population(tmp_path):
    path = tmp_path / "bydele.csv"
    # constructed example in the documented unit-population import format
    path.write_text("municipality_code,unit_type,unit_code,unit_name,period,population\n"
                    "101,bydel,indre-by,Indre By,2024M01,10\n101,bydel,valby,Valby,2024M01,20\n")
    [r] = import_file(path, data_dir=tmp_path / "d")
    assert r.key == "population/units"
    u = Cache(tmp_path / "d").read("population/units")
    assert u["municipality_code"].tolist() == ["0101", "0101"]
    assert u["population"].tolist() == [10, 20]
