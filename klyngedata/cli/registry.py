"""``klyngedata clusters | cluster | municipalities | divisions | crosswalk`` (the registry, issue 2)."""

from __future__ import annotations

import click
import pandas as pd

from klyngedata import registry


def _table(df: pd.DataFrame) -> str:
    with pd.option_context("display.max_colwidth", 60, "display.width", 200):
        return df.to_string(index=False)


def _yes(flag: bool) -> str:
    return "ja" if flag else "nej (ikke bekræftet af en 2022-kilde)"


@click.command("clusters")
@click.option("--division", "-d", default=None, help="Division id (default: the one valid today).")
@click.option("--date", default=None, help="Pick the division valid on this date (YYYY-MM-DD).")
@click.option("--region", "-r", default=None, help="Only clusters of this region (name, id or code).")
def clusters_cmd(division: str | None, date: str | None, region: str | None) -> None:
    """List the clusters of a division with hospitals and member municipalities."""
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
    click.echo(f"Division: {df['division'].iloc[0]} ({len(df)} klynger)\n")
    click.echo(_table(out))


@click.command("cluster")
@click.argument("cluster_id")
@click.option("--region", "-r", default=None, help="Region, to disambiguate a short name like 'Klynge Nord'.")
@click.option("--division", "-d", default=None, help="Division id (default: the one valid today).")
@click.option("--date", default=None, help="Pick the division valid on this date (YYYY-MM-DD).")
def cluster_cmd(cluster_id: str, region: str | None, division: str | None, date: str | None) -> None:
    """Show one cluster: members, hospitals and the seats of each governance level."""
    c = registry.cluster(cluster_id, region=region, division=division, date=date)
    click.echo(f"{c.name}  [{c.id}]")
    click.echo(f"Division: {c.division}   Region: {c.region_name}   Bekræftet: {_yes(c.verified)}")
    if c.note:
        click.echo(f"Note: {c.note}")
    click.echo(f"Kilde: {c.source}\n")
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
        click.echo("\nIngen kommissorier for denne klynges niveauer i registret.")
        return
    for r in lev.to_dict("records"):
        meetings = f"mindst {r['meetings_min_per_year']}" if pd.notna(r["meetings_min_per_year"]) else "?"
        if pd.notna(r["meetings_max_per_year"]):
            meetings = f"{r['meetings_min_per_year']}-{r['meetings_max_per_year']}"
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
@click.option("--csv", "as_csv", is_flag=True, help="Write CSV to stdout instead of a table.")
def crosswalk_cmd(from_division: str, to_division: str, as_csv: bool) -> None:
    """Each municipality's cluster in two divisions (e.g. sundhedsklynger-2022 -> sundhedsraad-2027)."""
    cw = registry.crosswalk(from_division, to_division)
    if as_csv:
        click.echo(cw.to_csv(index=False), nl=False)
        return
    click.echo(_table(cw[["municipality_code", "municipality_name", "unit_name", "from_cluster_id",
                          "to_cluster_id"]].fillna("")))


COMMANDS = [clusters_cmd, cluster_cmd, municipalities_cmd, divisions_cmd, crosswalk_cmd]
