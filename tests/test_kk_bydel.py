"""København by bydel: Københavns Kommune's statbank (``/v1/s30/`` on the StatBank API).

A local replay (``tests/kk_replay.py``) serves Statistics Denmark's recorded answers under ``/v1/`` and a
CONSTRUCTED s30 statbank under ``/v1/s30/`` with the same API rules and answer formats: its KKBEF1 tableinfo is
shaped like the public KKFR2026 tableinfo and what public code says of KKBEF1, and every count is CONSTRUCTED
(København's constructed FOLK1A counts split over the bydele). Transport faults (503) are constructed too;
nothing here touches the network.
"""

from __future__ import annotations

import json
import threading
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from klyngedata import registry
from klyngedata.cache import Cache
from klyngedata.cli import main
from klyngedata.crosswalks import crosswalk
from klyngedata.dst.client import KK_DATABASE, StatBankClient, StatBankError
from klyngedata.dst.kk_bydel import KKBydelWarning, fetch_kk_bydel
from klyngedata.population import PopulationWarning, fetch_population, population
from tests.kk_replay import BYDELE, KK_PERIODS, KKReplay

DST_QUARTERS = ["2024K4", "2025K1", "2025K2", "2025K3"]  # FOLK1A published in the replay: KK's 2024K3 is unchecked
CODES = {name: str(1001 + i) for i, name in enumerate(BYDELE)}


class _PathServer:
    """A local server that records the paths asked and answers 503 to the first ``fail`` requests (constructed)."""

    def __init__(self, fail: int = 0) -> None:
        self.paths: list[str] = []
        self.fail = fail
        srv = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                srv.paths.append(self.path)
                status, body = (503, b"busy") if len(srv.paths) <= srv.fail else \
                    (200, json.dumps({"id": "KKBEF1", "variables": []}).encode())
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_client_talks_to_the_s30_statbank_with_the_same_retries():
    srv = _PathServer(fail=2)
    try:
        sleeps: list[float] = []
        client = StatBankClient(srv.url, database=KK_DATABASE, retries=3, backoff=0.01, sleep=sleeps.append)
        assert client.url == srv.url + "/s30" and client.base_url == srv.url
        assert client.tableinfo("KKBEF1")["id"] == "KKBEF1"
        assert srv.paths == ["/v1/s30/tableinfo"] * 3 and len(sleeps) == 2  # two 503s retried, then answered
        assert StatBankClient(srv.url).url == srv.url  # DST's own tables: no prefix
    finally:
        srv.close()


# ---------------------------------------------------------------------------------------------
# fetching into the cache
# ---------------------------------------------------------------------------------------------
def _dst(replay: KKReplay, data_dir: Path, tables: tuple[str, ...] = ("FOLK1A",)) -> None:
    replay.published["FOLK1A"] = DST_QUARTERS
    replay.published["FOLK1AM"] = ["2025M07"]
    fetch_population(list(tables), data_dir=data_dir, client=StatBankClient(replay.url, backoff=0))


def _kk(replay: KKReplay, data_dir: Path, **kw):
    return fetch_kk_bydel(data_dir, StatBankClient(replay.url, database=KK_DATABASE, backoff=0), **kw)


@pytest.fixture(scope="module")
def fetched(tmp_path_factory):
    """FOLK1A (4 quarters, by sex and age) from the DST replay, then KKBEF1 from the s30 replay."""
    d = tmp_path_factory.mktemp("kk")
    with KKReplay() as replay:
        _dst(replay, d)
        with warnings.catch_warnings():
            warnings.simplefilter("error", KKBydelWarning)  # every checked period agrees with DST
            result = _kk(replay, d)
        yield replay, d, result


def _unit_code_of(area: str) -> str:
    name = BYDELE[int(area) - 1001] if area != "1099" else None
    if name is None:
        return "uden-for-inddeling"
    m = registry.membership("sundhedsklynger-2022")
    folded = registry.fold_name(name)
    return next(c for c, n in zip(m["unit_code"], m["unit_name"], strict=True)
                if isinstance(n, str) and registry.fold_name(n) == folded)


def test_requests_obey_the_api_rules_and_are_resolved_from_metadata(fetched):
    replay, _, result = fetched
    assert not replay.broken()  # every request (DST's and s30's) passed the API's rules
    log = replay.kk.log
    assert [r.endpoint for r in log] == ["tables", "tableinfo", "data"]  # 5 quarters: one /data request
    body = log[2].body
    assert (body["table"], body["format"], body["valuePresentation"], body["lang"]) == ("KKBEF1", "CSV", "Code",
                                                                                     "da")
    assert "timeOrder" not in body
    chosen = {v["code"]: v["values"] for v in body["variables"]}
    assert list(chosen) == ["OMRKK", "KON", "ALDER", "CIVILSTAND", "Tid"]  # every variable, in tableinfo order
    assert chosen["OMRKK"] == [*CODES.values(), "1099", "1000"]  # the bydele, not the lokaludvalg
    assert chosen["KON"] == ["TOT", "01", "02"] and len(chosen["ALDER"]) == 101 and chosen["CIVILSTAND"] == ["TOT"]
    assert chosen["Tid"] == KK_PERIODS
    assert result.periods == KK_PERIODS and result.unchecked == ["2024K3"] and not result.refused
    assert result.checked == {p: "FOLK1A" for p in DST_QUARTERS} and not result.notes


def test_stored_unit_populations_equal_the_served_ones(fetched):
    replay, d, result = fetched
    units = Cache(d).read("population/units")
    meta = units.attrs["provenance"]
    assert meta["source"] == "Københavns Kommune, Statistikbanken, KKBEF1" and meta["table"] == "units"
    assert meta["checked_against_dst"] == result.checked and meta["unchecked"] == ["2024K3"]
    assert len(units) == result.rows == 11 * 3 * 101 * 5  # 10 bydele + uden for inddeling, sexes, ages, quarters
    assert set(units["unit_type"]) == {"bydel"} and set(units["municipality_code"]) == {"0101"}
    info = replay.kk_info()
    areas = [x["id"] for x in info["variables"][0]["values"]]
    for period in KK_PERIODS:
        served = replay.kk.values("KKBEF1", period)[..., 0]  # CIVILSTAND total
        rows = units[units["period"] == pd.Period(period.replace("K", "Q"))]
        for area in [*CODES.values(), "1099"]:
            u = rows[rows["unit_code"] == _unit_code_of(area)]
            for sex_i, sex in enumerate(("total", "male", "female")):
                by_age = u[u["sex"] == sex]
                expected = served[areas.index(area), sex_i]
                assert by_age.loc[by_age["age"].isna(), "population"].tolist() == [expected[0]]
                single = by_age[by_age["age"].notna()].sort_values("age")
                assert single["age"].tolist() == list(range(100))
                assert single["population"].astype(int).tolist() == expected[1:].tolist()
                assert single["age_open"].tolist() == [False] * 99 + [True]  # "99+ år"
    names = units.drop_duplicates("unit_code").set_index("unit_code")["unit_name"]
    assert names["vesterbro-kongens-enghave"] == "Vesterbro-Kongens Enghave"  # "Vesterbro/Kongens Enghave" folded


def _served_total(replay: KKReplay, period: str, area: str, sex: int = 0, age: int | None = 0) -> int:
    v = replay.kk.values("KKBEF1", period)[..., 0]
    areas = [x["id"] for x in replay.kk_info()["variables"][0]["values"]]
    return int(v[areas.index(area), sex, age])


def _dst_count(replay: KKReplay, period: str, code: str, sex: str = "TOT") -> int:
    return replay.count("FOLK1A", period, OMRÅDE=code, KØN=sex, ALDER="IALT", CIVILSTAND="TOT")


def _hand_sums(replay: KKReplay, period: str, sex: int = 0, dst_sex: str = "TOT") -> dict[str, int]:
    """Hand computation: each 2022 cluster of København = the served counts of its bydele + DST's counts of its
    whole member municipalities."""
    m = registry.membership("sundhedsklynger-2022")
    out = {}
    for cid in ("hovedstaden-byen", "hovedstaden-syd"):
        rows = m[m["cluster_id"] == cid]
        bydele = [CODES[next(b for b in BYDELE if registry.fold_name(b) == registry.fold_name(n))]
                  for n in rows.loc[rows["allocation"] == "unit", "unit_name"]]
        whole = rows.loc[rows["allocation"] == "whole", "municipality_code"]
        out[cid] = (sum(_served_total(replay, period, a, sex) for a in bydele)
                    + sum(_dst_count(replay, period, c[1:], dst_sex) for c in whole))
    return out


def test_split_clusters_get_real_populations(fetched, monkeypatch):
    replay, d, _ = fetched
    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    with warnings.catch_warnings():
        warnings.simplefilter("error", PopulationWarning)  # nothing left unallocated, nothing to warn about
        cl = population("cluster", division="sundhedsklynger-2022", period="2025K3", data_dir=d)
        by_sex = population("cluster", division="sundhedsklynger-2022", period="2025K3", by=["sex"], data_dir=d)
    cl = cl.set_index("entity_id")
    want = _hand_sums(replay, "2025K3")
    assert want["hovedstaden-byen"] > 0 and want["hovedstaden-syd"] > 0
    for cid, n in want.items():
        assert cl.loc[cid, "population"] == n and pd.isna(cl.loc[cid, "reason_da"])
    assert "0101:ikke-fordelt" not in cl.index
    rest = cl.loc["0101:ingen-klynge"]  # residents Københavns Kommune places in no bydel: in no cluster
    assert rest["population"] == _served_total(replay, "2025K3", "1099") and not rest["is_cluster"]
    assert rest["entity_name"] == "København (uden for bydelene, ikke i en sundhedsklynge)"
    region = population("region", division="sundhedsklynger-2022", period="2025K3", data_dir=d)
    assert cl.loc[cl["region_code"] == "1084", "population"].sum() == region.set_index("entity_id").loc["1084",
                                                                                                      "population"]
    for sex_i, sex, dst_sex in ((1, "male", "1"), (2, "female", "2")):
        got = by_sex[by_sex["sex"] == sex].set_index("entity_id")["population"]
        for cid, n in _hand_sums(replay, "2025K3", sex_i, dst_sex).items():
            assert got[cid] == n
    assert any(p.get("source") == "Københavns Kommune, Statistikbanken, KKBEF1" for p in cl.attrs["provenance"])


def test_ages_follow_the_bydel_table_up_to_its_open_top_group(fetched, monkeypatch):
    replay, d, _ = fetched
    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    with warnings.catch_warnings():
        warnings.simplefilter("error", PopulationWarning)
        ages = population("cluster", division="sundhedsklynger-2022", period="2025K3", by=["age"], data_dir=d)
        broad = population("cluster", division="sundhedsklynger-2022", period="2025K3", age_groups="broad",
                           data_dir=d)
    byen = ages[ages["entity_id"] == "hovedstaden-byen"].set_index("age")
    assert list(byen.index) == list(range(100)) and byen["age_open"].tolist() == [False] * 99 + [True]
    frb = {a: replay.count("FOLK1A", "2025K3", OMRÅDE="147", KØN="TOT", ALDER=str(a), CIVILSTAND="TOT")
           for a in range(126)}
    byen_areas = [CODES[b] for b in ("Bispebjerg", "Brønshøj-Husum", "Indre By", "Nørrebro", "Vanløse", "Østerbro")]
    kk = {a: sum(_served_total(replay, "2025K3", x, 0, a + 1) for x in byen_areas) for a in range(100)}
    assert byen.loc[40, "population"] == kk[40] + frb[40]
    assert byen.loc[99, "population"] == kk[99] + sum(frb[a] for a in range(99, 126))  # 99+ exactly
    b = broad[broad["entity_id"] == "hovedstaden-byen"].set_index("age_group")["population"]
    assert b["80+"] == sum(kk[a] for a in range(80, 100)) + sum(frb[a] for a in range(80, 126))
    assert b.sum() == _hand_sums(replay, "2025K3")["hovedstaden-byen"]
    with pytest.warns(PopulationWarning, match="ikke fordelt på"):  # 95-99 and 100+ straddle KK's 99+: not split
        five = population("cluster", division="sundhedsklynger-2022", period="2025K3", age_groups="5y", data_dir=d)
    rest = five[five["entity_id"] == "0101:ikke-fordelt"]
    assert set(rest.loc[rest["population"] > 0, "age_group"]) == {"95-99", "100+"}


def test_crosswalk_shares_real_populations(fetched, monkeypatch):
    replay, d, _ = fetched
    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    cw = crosswalk("sundhedsklynger-2022", "sundhedsraad-2027", population=True, period="2025K3", data_dir=d)
    hov = cw[cw["to_cluster_id"] == "sundhedsraad-hovedstaden"].set_index("from_cluster_id")
    want = _hand_sums(replay, "2025K3")
    for cid, n in want.items():
        if cid in hov.index and registry.crosswalk("sundhedsklynger-2022", "sundhedsraad-2027").query(
                "from_cluster_id == @cid")["to_cluster_id"].nunique() == 1:
            assert hov.loc[cid, "population"] == n and hov.loc[cid, "share_of_from"] == 1.0
    assert hov.loc["hovedstaden-byen", "population"] == want["hovedstaden-byen"]
    assert hov.loc["0101:ingen-klynge", "population"] == _served_total(replay, "2025K3", "1099")
    assert "placerer i en bydel" in hov.loc["0101:ingen-klynge", "note_da"]
    assert cw["population"].notna().all() and cw["complete"].all()
    assert not cw["from_cluster_id"].str.endswith("ikke-fordelt").any()
    assert abs(hov["share_of_to"].sum() - 1.0) < 1e-9


# ---------------------------------------------------------------------------------------------
# checks and refusals
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("change, named", [
    ("rename", "»Valby-Kongens Enghave« (kode 1005)"),
    ("drop", "mangler bydelen Amager Øst"),
])
def test_a_renamed_or_missing_bydel_is_refused_naming_it(tmp_path, change, named):
    with KKReplay() as replay:
        info = replay.kk_info()
        values = info["variables"][0]["values"]
        if change == "rename":  # CONSTRUCTED: a bydel the registry does not know
            next(v for v in values if v["id"] == "1005")["text"] = "Bydel - Valby-Kongens Enghave"
        else:
            values[:] = [v for v in values if v["id"] != "1009"]
        replay.set_kk_info(info)
        with pytest.raises(StatBankError) as err:
            _kk(replay, tmp_path)
        assert not replay.broken() and [r.endpoint for r in replay.kk.log] == ["tables", "tableinfo"]
    msg = str(err.value)
    assert named in msg and msg.startswith("Københavns Kommunes statistikbank (tabel KKBEF1)")
    assert "uændrede" in msg and not Cache(tmp_path).exists("population/units")


def test_a_sum_that_disagrees_with_dst_is_reported_and_not_stored(tmp_path, monkeypatch):
    with KKReplay() as replay:
        _dst(replay, tmp_path)
        dst = _dst_count(replay, "2025K1", "101")
        allowed = int(0.001 * dst)
        replay.kk.extra[("1003", "2025K1")] = allowed + 7  # CONSTRUCTED: Nørrebro too large in 2025K1
        replay.kk.extra[("1003", "2025K2")] = allowed  # ... and at the tolerance in 2025K2
        with pytest.warns(KKBydelWarning, match="2025K1") as caught:
            result = _kk(replay, tmp_path)
        assert not replay.broken()
    text = next(str(w.message) for w in caught if issubclass(w.category, KKBydelWarning))
    assert f"add up to {dst + allowed + 7} but Statistics Denmark's FOLK1A has {dst}" in text
    assert f"+{allowed + 7}; tolerance ±{allowed}, 0.1%" in text
    assert list(result.refused) == ["2025K1"] and "2025K2" in result.checked
    units = Cache(tmp_path).read("population/units")
    assert pd.Period("2025Q1") not in set(units["period"]) and pd.Period("2025Q2") in set(units["period"])
    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    with pytest.warns(PopulationWarning, match="ikke hele kommunen i 1 periode;"):
        cl = population("cluster", division="sundhedsklynger-2022", period=["2025K1", "2025K2"], data_dir=tmp_path)
    rest = cl[cl["entity_id"].str.startswith("0101:")].set_index(["entity_id", "period"])["population"]
    assert rest[("0101:ikke-fordelt", pd.Period("2025Q1"))] == dst  # not stored: nothing allocated that quarter
    unplaced = _served_total(replay, "2025K2", "1099")
    assert rest[("0101:ingen-klynge", pd.Period("2025Q2"))] == unplaced - allowed  # within tolerance: the rest


def test_offline_says_so_and_leaves_the_cache_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    with KKReplay() as replay:
        with pytest.raises(StatBankError) as err:
            _kk(replay, tmp_path)
        assert replay.kk.log == [] and replay.log == []
    assert "offline" in str(err.value) and "uændrede" in str(err.value)
    assert not Cache(tmp_path).exists("population/units")


def test_a_kk_projection_is_never_fetched(tmp_path):
    with KKReplay() as replay:
        with pytest.raises(StatBankError, match="befolkningsfremskrivning"):
            _kk(replay, tmp_path, table="KKFR2026")
        assert [r.endpoint for r in replay.kk.log] == ["tables", "tableinfo"]  # no /data of the projection


def test_months_are_aligned_with_the_quarter_they_start(tmp_path, monkeypatch):
    """Only FOLK1AM cached: KK's 2025K3 (1 July) serves FOLK1AM's 2025M07 (1 July)."""
    with KKReplay() as replay:
        replay.kk.base = "FOLK1AM"
        _dst(replay, tmp_path, ("FOLK1AM",))
        result = _kk(replay, tmp_path)
        assert not replay.broken()
        assert result.checked == {"2025K3": "FOLK1AM"}
        monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
        with warnings.catch_warnings():
            warnings.simplefilter("error", PopulationWarning)
            cl = population("cluster", division="sundhedsklynger-2022", period="2025M07",
                            data_dir=tmp_path).set_index("entity_id")
        byen = [CODES[b] for b in ("Bispebjerg", "Brønshøj-Husum", "Indre By", "Nørrebro", "Vanløse", "Østerbro")]
        frb = replay.count("FOLK1AM", "2025M07", OMRÅDE="147", KØN="TOT", ALDER="IALT")
        assert cl.loc["hovedstaden-byen", "population"] == sum(_served_total(replay, "2025K3", a) for a in byen) + frb


# ---------------------------------------------------------------------------------------------
# klyngedata data fetch
# ---------------------------------------------------------------------------------------------
def test_data_fetch_includes_the_bydele_by_default_and_an_option_limits_it(tmp_path, monkeypatch):
    with KKReplay() as replay:
        monkeypatch.setenv("KLYNGEDATA_STATBANK_URL", replay.url)
        replay.published.update({"FOLK1A": DST_QUARTERS, "FOLK1AM": ["2025M07"], "FRKM125": ["2025", "2026"]})
        # the population tables by default (the health tables are fetched too without --only: tests/test_dst_health)
        res = CliRunner().invoke(main, ["data", "fetch", "--only", "population", "--data-dir", str(tmp_path)])
        assert res.exit_code == 0, res.output
        assert "population/units: KKBEF1 (Københavns Kommune)" in res.output
        assert "4 checked against Statistics Denmark's total, 1 unchecked, 0 not stored" in res.output
        assert not replay.broken()
        assert not any("KKFR" in json.dumps(r.body) for r in replay.kk.log)  # KK's projection is never asked
        n_kk = len(replay.kk.log)
        again = CliRunner().invoke(main, ["data", "fetch", "-t", "KKBEF1", "--data-dir", str(tmp_path)])
        assert again.exit_code == 0 and "KKBEF1: cached" in again.output and len(replay.kk.log) == n_kk
        only = CliRunner().invoke(main, ["data", "fetch", "-t", "FOLK1A", "--refresh", "--data-dir", str(tmp_path)])
        assert only.exit_code == 0 and len(replay.kk.log) == n_kk  # the option limits it: s30 not asked
    meta = Cache(tmp_path).meta("population/FRKM125")
    assert meta["table"] == "FRKM125" and "Københavns" not in json.dumps(meta)  # DST's projection alone
