"""Disclosure control over the fetched health indicators, tested as an attacker would.

The data are CONSTRUCTED (``tests/health_figures_replay.py``) with small counts planted where an attack could
reach them: three deaths in Læsø in 2024, four psychologist consultations in Læsø in 2023, one home-nursing
recipient in each of Læsø's age bands in 2024 (so three aged 80+), and in Samsø two residents *without* a GP
contact in 2022 (a complement of a bounded share). The attacker is independent of klyngedata's engine: it knows
how every published row is defined (a municipality; a unit = its members with their weights, København split by
its bydele's population share; a region or Denmark = all its municipalities and Christiansø), reads every
published numerator of every level, division and period (counts and rates alike: a rate's numerator is published
with it), and asks a linear program for the largest (and, for complements, the smallest) value of every count of
1-4.
"""

from __future__ import annotations

from contextlib import ExitStack

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.optimize import linprog

from klyngedata import registry
from klyngedata.cli import main
from klyngedata.health import figures as health_module
from klyngedata.health import health_figures
from klyngedata.weights import division_weights
from tests.health_figures_replay import PUBLISHED, FiguresReplay
from tests.health_replay import expected_rows

LAESOE, SAMSOE = "825", "741"
# CONSTRUCTED small counts: (table, area id, period) -> the count of every cell of that area and period
SMALL = {("FOD207", LAESOE, "2024"): 3, ("SYGK1", LAESOE, "2023"): 4, ("HJEMSYG", LAESOE, "2024"): 1}
TABLES = ["FOLK1A", "KKBEF1", "FOD207", "SYGK1", "SYGP1", "HJEMSYG"]
YEARS = ["2022", "2023", "2024"]  # three years: enough for a trend, and fewer cells to check
PERIODS = {**PUBLISHED, **{t: YEARS for t in TABLES[2:]}}
GROUPS = {  # disclosure figure -> (the figures sharing its numerator, table, measure, bands)
    "deaths": (["doede", "doede_pr_1000"], "FOD207", "deaths", ["total"]),
    "psychologist": (["psykologbesoeg_pr_1000"], "SYGK1", "psychologist", ["total"]),
    "home_nursing_80": (["hjemmesygepleje_80_pr_1000"], "HJEMSYG", "home_nursing_recipients",
                        [(80, 84), (85, 89), (90, None)]),
    "gp_share": (["personer_laegekontakt_pct"], "SYGP1", "gp", ["total"]),
}


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """The tables fetched with the small counts planted; Samsø's GP contacts in 2022 set two below its population."""
    data_dir = tmp_path_factory.mktemp("health-disclosure")
    with ExitStack() as stack:
        replay = stack.enter_context(FiguresReplay())
        replay.published.update(PERIODS)
        replay.small.update(SMALL)
        samsoe_pop = replay.count("FOLK1A", "2022K1", OMRÅDE=SAMSOE, KØN="TOT", ALDER="IALT", CIVILSTAND="TOT")
        replay.small[("SYGP1", SAMSOE, "2022")] = samsoe_pop - 2  # CONSTRUCTED: 2 residents without a GP contact
        mp = stack.enter_context(pytest.MonkeyPatch.context())
        mp.setenv("KLYNGEDATA_STATBANK_URL", replay.url)
        mp.delenv("KLYNGEDATA_OFFLINE", raising=False)
        args = [a for t in TABLES for a in ("-t", t)]
        res = CliRunner().invoke(main, ["data", "fetch", *args, "--data-dir", str(data_dir)])
        assert res.exit_code == 0, res.output
        yield replay, data_dir


def published_everything(data_dir, divisions=None, levels=("municipality", "cluster", "region", "country")
                         ) -> list[tuple[str, pd.DataFrame]]:
    """Every row health_figures publishes: every level, the units and regions of every division, every period."""
    out = []
    for division in divisions or registry.divisions()["division"]:
        for level in levels:
            out.append((division, health_figures(level=level, division=division, period="all", data_dir=data_dir)))
    return out


def truth(replay: FiguresReplay, group: str) -> dict[tuple[str, str], float]:
    """Each municipality's true numerator per period, summed by hand from the CONSTRUCTED cells."""
    _, table, measure, bands = GROUPS[group]
    cells = expected_rows(replay, table, PERIODS[table])
    out: dict[tuple[str, str], float] = {}
    for (area, sex, age, m, period), v in cells.items():
        if m == measure and sex == "total" and age in bands and area not in ("DK",) and not area.startswith("10"):
            out[(area, period)] = out.get((area, period), 0) + v
    return out


def members(division: str, level: str, entity: str, codes: list[str]) -> dict[str, float]:
    if level == "municipality":
        return {entity: 1.0}
    if level == "cluster":
        uw = division_weights(division, use_unit_populations=True).get(entity)
        return dict(uw.weights) if uw and uw.computable else {}
    if level == "region":  # Christiansø counts in Region Hovedstaden (2027: Østdanmark) and Denmark
        region_of = registry.municipality_regions(division=division)
        out = {m: 1.0 for m in codes if region_of.get(m) == entity}
        return out | ({"0411": 1.0} if "0411" in codes and entity in ("1084", "oestdanmark") else {})
    return dict.fromkeys(codes, 1.0)


def attack(replay, published, group: str) -> list[tuple]:
    """The counts of 1-4 (numerators, and for the GP share the complements) an attacker can pin below 5."""
    figures = GROUPS[group][0]
    true = truth(replay, group)
    codes = sorted({a for a, _ in true})
    index = {m: i for i, m in enumerate(codes)}
    pinned = []
    for period in sorted({p for _, p in true}):
        x_true = np.array([true[(m, period)] for m in codes], dtype=float)
        eq, rhs, hidden = [], [], []
        for division, frame in published:
            rows = frame[frame["figure_id"].isin(figures) & (frame["period"].astype(str) == period)]
            for r in rows.itertuples():
                w = members(division, r.entity_level, r.entity_id, codes)
                if not w:
                    continue
                coef = np.zeros(len(codes))
                for m, weight in w.items():
                    coef[index[m]] = weight
                if r.suppressed:
                    hidden.append(coef)
                elif pd.notna(r.numerator):
                    eq.append(coef)
                    rhs.append(float(r.numerator))
        den = None
        if group == "gp_share":  # the population (public) bounds every numerator: persons with a contact <= residents
            den = np.array([sum(replay.count("FOLK1A", f"{period}K1", OMRÅDE=str(int(m)), KØN="TOT", ALDER="IALT",
                                             CIVILSTAND="TOT") for _ in [0]) for m in codes], dtype=float)
        bounds = [(0, None if den is None else d) for d in (den if den is not None else [None] * len(codes))]
        targets = [np.eye(len(codes))[i] for i in range(len(codes))] + hidden
        for coef in targets:
            t = float(coef @ x_true)
            checks = [("numerator", coef, t)]
            if den is not None:
                checks.append(("complement", -coef, float(coef @ (den - x_true))))
            for what, obj, value in checks:
                if not 1 <= value <= 4:
                    continue
                res = linprog(-obj, A_eq=np.array(eq) if eq else None, b_eq=np.array(rhs) if eq else None,
                              bounds=bounds, method="highs")
                assert res.status in (0, 3)  # 3: unbounded (nothing published bounds it from above)
                if res.status == 3:
                    continue
                high = -res.fun + (float(coef @ den) if what == "complement" else 0.0)
                if high < 5 - 1e-6:
                    names = [codes[i] for i in np.flatnonzero(coef)]
                    pinned.append((group, what, period, names[:3], value, round(high, 3)))
    return pinned


@pytest.fixture(scope="module")
def everything(planted):
    return published_everything(planted[1])


@pytest.mark.parametrize("group", list(GROUPS))
def test_no_small_count_can_be_pinned_from_everything_published(planted, everything, group):
    replay, _ = planted
    assert attack(replay, everything, group) == []


def test_the_planted_counts_are_hidden_with_their_rates(everything):
    rows = pd.concat([f for _, f in everything], ignore_index=True)
    laeso = rows[(rows["entity_id"] == "0825") & (rows["period"].astype(str) == "2024")
                 & rows["figure_id"].isin(["doede", "doede_pr_1000", "hjemmesygepleje_80_pr_1000"])]
    assert len(laeso) and laeso["suppressed"].all() and (laeso["display"] == "<5").all()
    assert laeso[["value", "numerator", "ci95_low", "ci95_high"]].isna().all().all()
    # a count and the rate with its numerator are shown or hidden together, everywhere
    deaths = rows[rows["figure_id"].isin(["doede", "doede_pr_1000"])]
    paired = deaths.pivot_table(index=["entity_level", "entity_id", "period"], columns="figure_id",
                                values="suppressed", aggfunc="first")
    assert (paired["doede"] == paired["doede_pr_1000"]).all()
    # something else is hidden so that Klynge Nord minus its other members does not give Læsø's 3
    nord = rows[(rows["period"].astype(str) == "2024") & (rows["figure_id"] == "doede")
                & rows["entity_id"].isin(["0810", "0813", "0860", "nordjylland-nord", "sundhedsraad-vendsyssel"])]
    assert nord["suppressed"].any()
    samsoe = rows[(rows["entity_id"] == "0741") & (rows["period"].astype(str) == "2022")
                  & (rows["figure_id"] == "personer_laegekontakt_pct")]
    assert samsoe["suppressed"].all()  # 2 residents without a contact: the complement of a bounded share


def test_the_attacker_finds_the_leak_without_disclosure_control(planted, monkeypatch):
    """The attacks are not vacuous: with the engine switched off, Klynge Nord minus its other members pins Læsø's
    three deaths."""
    replay, data_dir = planted

    def shown_as_pooled(table, **_kw):
        return table.assign(suppressed=False, display="")

    monkeypatch.setattr(health_module, "suppress_published", shown_as_pooled)
    monkeypatch.setattr(health_module, "_UNIVERSES", type(health_module._UNIVERSES)())
    pinned = attack(replay, published_everything(data_dir, ["sundhedsklynger-2022"], ("municipality", "cluster")),
                    "deaths")
    assert ("deaths", "numerator", "2024", ["0825"], 3.0, 3.0) in pinned


def two_releases(data_dir) -> tuple[FiguresReplay, list]:
    """Two successive fetches into ``data_dir`` and everything each release published. CONSTRUCTED: the first
    fetch has Læsø's deaths in 2024 as '..' (so Klynge Nord, the region and Denmark are missing, and Læsø's
    neighbours are shown); a week later Statistics Denmark publishes 3."""
    with ExitStack() as stack:
        replay = stack.enter_context(FiguresReplay())
        replay.published.update({**PERIODS, "FOD207": ["2024"]})
        mp = stack.enter_context(pytest.MonkeyPatch.context())
        mp.setenv("KLYNGEDATA_STATBANK_URL", replay.url)
        mp.delenv("KLYNGEDATA_OFFLINE", raising=False)
        releases = []
        for week in (1, 2):
            if week == 1:
                replay.missing.add(("FOD207", LAESOE, "2024"))
            else:
                replay.missing.clear()
                replay.small[("FOD207", LAESOE, "2024")] = 3
            res = CliRunner().invoke(main, ["data", "fetch", "-t", "FOLK1A", "-t", "FOD207", "--refresh",
                                            "--data-dir", str(data_dir)])
            assert res.exit_code == 0, res.output
            releases += published_everything(data_dir, ["sundhedsklynger-2022", "sundhedsraad-2027"])
    replay.published["FOD207"] = ["2024"]
    return replay, releases


def test_two_successive_fetches_reveal_nothing(tmp_path):
    """What an earlier release from the same data directory showed counts as published: the second release hides
    Læsø's 3 without hiding only a neighbour the first one showed; the attacker reads both releases."""
    from klyngedata.cache import Cache
    from klyngedata.publication_ledger import LEDGER_KEY

    replay, releases = two_releases(tmp_path)
    assert Cache(tmp_path).exists(LEDGER_KEY)  # what week 1 showed is recorded
    week2 = releases[-8][1]  # the 2022 municipalities of week 2
    laeso = week2[(week2["entity_id"] == "0825") & (week2["figure_id"] == "doede")]
    assert laeso["suppressed"].all()
    assert attack(replay, releases, "deaths") == []


def test_without_the_record_two_releases_give_the_count_away(tmp_path, monkeypatch):
    """The attack on two releases is not vacuous: with the record of earlier releases switched off, the second
    release hides a neighbour the first one showed, and the pair pins Læsø's 3."""
    from klyngedata import publication_ledger as ledger

    monkeypatch.setattr(ledger, "published_before", lambda table, _dir: np.zeros(len(table), dtype=bool))
    replay, releases = two_releases(tmp_path)
    assert ("deaths", "numerator", "2024", ["0825"], 3.0, 3.0) in attack(replay, releases, "deaths")
