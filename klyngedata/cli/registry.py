"""``klyngedata clusters | cluster | municipalities | divisions | crosswalk`` (the registry, issue 2)."""

from __future__ import annotations

import click
import pandas as pd

from klyngedata import registry


def _table(df: pd.DataFrame) -> str:
    with pd.option_context("display.max_colwidth", 60, "display.width", 200):
        return df.to_string(index=False)


def _yes(flag: bool) -> str:
    return "ja" if flag else "nej (ikke bekræftet af en officiel kilde)"


def _plural(division: str, n: int) -> str:
    """Danish count of a division's units: "22 sundhedsklynger", "17 sundhedsråd", "4 klyngestyregrupper"."""
    from klyngedata.registry.words import words

    w = words(division)
    return f"{n} {w.unit if n == 1 else w.units}"


@click.command("clusters")
@click.option("--division", "-d", default=None, help="Division id (default: the one valid today).")
@click.option("--date", default=None, help="Pick the division valid on this date (YYYY-MM-DD).")
@click.option("--region", "-r", default=None, help="Only clusters of this region (name, id or code).")
def clusters_cmd(division: str | None, date: str | None, region: str | None) -> None:
    """List the clusters (or, from 2027, the sundhedsråd) of a division with hospitals and municipalities."""
    df = registry.clusters(division=division, date=date, region=region)
    if df.empty:
        click.echo("No clusters.")
        return
    mem = registry.membership(df["division"].iloc[0])
    split = set(mem.loc[mem["allocation"] != "whole", "municipality_name"])
    out = pd.DataFrame({
        "id": df["cluster_id"],
        "navn": df["name"],
        "region": df["region_name"],
        "akutsygehus": df["hospitals"].map(", ".join),
        "kommuner": df["municipalities"].map(lambda names: ", ".join(f"{n} (delt)" if n in split else n
                                                                      for n in names)),
        "bekræftet": df["verified"].map({True: "ja", False: "nej"}),
    })
    div = registry.division(df["division"].iloc[0])
    click.echo(f"Division: {df['division'].iloc[0]} ({_plural(df['division'].iloc[0], len(df))}) – {div['name']}")
    click.echo(_validity(div) + "\n")
    click.echo(_table(out))
    if df["cluster_id"].map(registry.hospitals_inferred).any():
        click.echo("\nAkutsygehusene er udledt af de sundhedsklynger, rådene overtager (ikke bekræftet). "
                   "Medlemmerne er fra rådenes medlemslister 2026 (sekundær kilde); se 'klyngedata cluster ID'.")


def _validity(div) -> str:
    """'Gyldig fra 1. juli 2022 til 31. december 2026 (ophørt)' etc., from the clock."""
    import pandas as pd

    from klyngedata import clock
    from klyngedata.formatting import date_da

    def da(ts) -> str:
        return date_da(ts)

    text = f"Gyldig fra {da(div['valid_from'])}"
    if pd.notna(div["valid_to"]):
        text += f" til {da(div['valid_to'])}"
        if div["valid_to"] < pd.Timestamp(clock.today()):
            text += " (ophørt)"
    elif div["valid_from"] > pd.Timestamp(clock.today()):
        text += " (endnu ikke trådt i kraft)"
    return text


@click.command("cluster")
@click.argument("cluster_id")
@click.option("--region", "-r", default=None, help="Region, to disambiguate a short name like 'Klynge Nord'.")
@click.option("--division", "-d", default=None, help="Division id (default: the one valid today).")
@click.option("--date", default=None, help="Pick the division valid on this date (YYYY-MM-DD).")
def cluster_cmd(cluster_id: str, region: str | None, division: str | None, date: str | None) -> None:
    """Show one cluster: members, hospitals and the seats of each governance level."""
    c = registry.cluster(cluster_id, region=region, division=division, date=date)
    div = registry.division(c.division)
    click.echo(f"{c.name}  [{c.id}]")
    click.echo(f"Division: {c.division} ({_validity(div).lower()})   Region: {c.region_name}   "
               f"Bekræftet: {_yes(c.verified)}")
    if c.aliases:
        click.echo(f"Også kaldt: {', '.join(c.aliases)}")
    if c.note:
        click.echo(f"Note: {c.note}")
    click.echo(f"Kilde: {c.source}")
    for label, frame in (("Afløst af", registry.successors(c.id)), ("Overtager fra", registry.predecessors(c.id))):
        if not frame.empty:
            click.echo(f"{label}: " + ", ".join(f"{n} [{i}]" for i, n in zip(frame["cluster_id"], frame["name"],
                                                                           strict=True)))
    for r in registry.conflicts(c.division).to_dict("records"):
        if c.id in (r["cluster_id"], r["alternative"]):
            click.echo(f"Uenige kilder ({registry.municipality(r['municipality_code']).name}): {r['note_da']}")
    click.echo("")
    click.echo("Medlemskommuner:")
    m = c.members.copy()
    m["enhed"] = m["unit_name"].fillna("hele kommunen")
    click.echo(_table(m[["municipality_code", "municipality_name", "allocation", "enhed", "verified"]].rename(
        columns={"municipality_code": "kode", "municipality_name": "kommune", "allocation": "fordeling",
                 "verified": "bekræftet"})))
    click.echo("\nSygehuse:")
    if c.hospitals.empty:
        click.echo("  (ingen registreret)")
    else:
        click.echo(_table(c.hospitals[["hospital_id", "name", "town"]].rename(
            columns={"hospital_id": "id", "name": "navn", "town": "by"})))
    lev = c.levels
    if lev.empty:
        from klyngedata.registry.words import words

        click.echo(f"\nIngen kommissorier for {words(c).genitive} niveauer i registret.")
        return
    for r in lev.to_dict("records"):
        meetings = f"mindst {r['meetings_min_per_year']}" if pd.notna(r["meetings_min_per_year"]) else "?"
        if pd.notna(r["meetings_max_per_year"]):
            meetings = f"{r['meetings_min_per_year']}-{r['meetings_max_per_year']}"
        if pd.isna(r["meetings_min_per_year"]) and pd.isna(r["meetings_max_per_year"]):
            click.echo(f"\n{r['name_da']} ({r['level']}). Formandskab: {r['chair_da']}")
        else:
            click.echo(f"\n{r['name_da']} ({r['level']}): {meetings} møder om året. Formandskab: {r['chair_da']}")
        s = c.seats(r["level"])
        counts = s.apply(lambda x: _count(x["count_min"], x["count_max"]), axis=1)
        view = pd.DataFrame({
            "rolle": s["role_da"], "kommune": s["municipality_name"].fillna(""), "antal": counts,
            "observatør": s["observer"].map({True: "ja", False: ""}), "udpeget af": s["appointed_by"].fillna(""),
        })
        click.echo(_table(view))
        click.echo(f"Kilde: {s['source'].iloc[0]}")


def _count(lo, hi) -> str:
    if pd.isna(lo) and pd.isna(hi):
        return "ikke fastsat"
    if pd.isna(hi):
        return f"mindst {lo}"
    if lo == hi:
        return str(lo)
    return f"{lo}-{hi}"


@click.command("municipalities")
@click.option("--region", "-r", default=None, help="Only this region.")
def municipalities_cmd(region: str | None) -> None:
    """List the 98 municipalities with codes and regions."""
    click.echo(_table(registry.municipalities(region=region)))


@click.command("divisions")
def divisions_cmd() -> None:
    """List the cluster divisions and their validity periods."""
    d = registry.divisions().copy()
    d["valid_from"] = d["valid_from"].dt.date
    d["valid_to"] = d["valid_to"].dt.date
    click.echo(_table(d[["division", "name", "valid_from", "valid_to", "coverage"]]))


@click.command("crosswalk")
@click.argument("from_division")
@click.argument("to_division")
@click.option("--population", "with_population", is_flag=True,
              help="One row per pair of units sharing residents, with the shared population and its shares.")
@click.option("--period", default="latest", show_default=True, help='Population period, e.g. "2024M01".')
@click.option("--data-dir", default=None, type=click.Path(file_okay=False),
              help="Local data directory (default: $KLYNGEDATA_DATA_DIR or the user data directory).")
@click.option("--csv", "as_csv", is_flag=True, help="Write CSV to stdout instead of a table.")
def crosswalk_cmd(from_division: str, to_division: str, with_population: bool, period: str, data_dir: str | None,
                  as_csv: bool) -> None:
    """Units of two divisions side by side (e.g. sundhedsklynger-2022 -> sundhedsraad-2027).

    Without --population: each municipality's unit in both divisions. With --population: for every pair of
    units that share residents, the shared population and its share of each unit (København's bydel split is
    used when bydel populations were imported; otherwise its population is shown as not allocated).
    """
    from klyngedata.crosswalks import crosswalk

    cw = crosswalk(from_division, to_division, population=with_population, period=period, data_dir=data_dir)
    if as_csv:
        click.echo(cw.to_csv(index=False), nl=False)
        return
    if not with_population:
        click.echo(_table(cw[["municipality_code", "municipality_name", "unit_name", "from_cluster_id",
                              "to_cluster_id"]].fillna("")))
        return
    view = pd.DataFrame({
        "periode": cw["period"].astype(str), "fra": cw["from_cluster_name"], "til": cw["to_cluster_name"],
        "fælles befolkning": cw["population"].map(_count_da),
        "andel af fra": cw["share_of_from"].map(_pct), "andel af til": cw["share_of_to"].map(_pct),
    })
    click.echo(_table(view))
    notes = sorted(set(cw.loc[cw["note_da"] != "", "note_da"]))
    for note in notes:
        click.echo(f"\nBemærk: {note}.")


def _count_da(v) -> str:
    return "ukendt" if pd.isna(v) else f"{int(v):,}".replace(",", ".")


def _pct(v) -> str:
    return "ukendt" if pd.isna(v) else f"{100 * v:.1f} %".replace(".", ",")


COMMANDS = [clusters_cmd, cluster_cmd, municipalities_cmd, divisions_cmd, crosswalk_cmd]
