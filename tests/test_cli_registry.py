"""The registry commands of the CLI."""

from __future__ import annotations

from click.testing import CliRunner

from klyngedata.cli import main


def test_clusters_command_lists_the_22_clusters():
    result = CliRunner().invoke(main, ["clusters"])
    assert result.exit_code == 0, result.output
    assert "sundhedsklynger-2022 (22 sundhedsklynger)" in result.output
    assert "nordjylland-nord" in result.output and "Regionshospital Nordjylland" in result.output


def test_cluster_command_shows_members_hospitals_and_seats():
    result = CliRunner().invoke(main, ["cluster", "nordjylland-nord"])
    assert result.exit_code == 0, result.output
    for text in ("Hjørring", "Læsø", "Regionshospital Nordjylland", "Borgmester/rådmand", "PLO-Nordjylland",
                 "mindst 2 møder om året", "mindst 4 møder om året"):
        assert text in result.output


def test_unknown_cluster_exits_nonzero_with_closest_names():
    result = CliRunner().invoke(main, ["cluster", "nordjyland-nrd"])
    assert result.exit_code != 0
    assert "Unknown cluster" in result.output and "nordjylland-nord" in result.output


def test_older_division_by_date_and_crosswalk_csv():
    result = CliRunner().invoke(main, ["clusters", "--date", "2020-01-01"])
    assert result.exit_code == 0 and "klyngestyregrupper-2019 (4 klyngestyregrupper)" in result.output
    result = CliRunner().invoke(main, ["crosswalk", "sundhedsklynger-2022", "sundhedsraad-2027", "--csv"])
    assert result.exit_code == 0
    assert result.output.splitlines()[0].startswith("from_division,to_division,municipality_code")


def test_councils_are_listed_with_hospitals_and_council_wording():
    result = CliRunner().invoke(main, ["clusters", "--division", "sundhedsraad-2027"])
    assert result.exit_code == 0, result.output
    assert "sundhedsraad-2027 (17 sundhedsråd)" in result.output and "klynger" not in result.output.split("\n")[0]
    for text in ("sundhedsraad-limfjorden", "Aalborg Universitetshospital", "Region Østdanmark",
                 "Amager og Hvidovre Hospital", "Gyldig fra 1. januar 2027", "udledt"):
        assert text in result.output
    assert sum(line.strip().startswith("sundhedsraad-") for line in result.output.splitlines()) == 17


def test_cluster_command_shows_a_council_composition_and_the_clusters_it_takes_over():
    result = CliRunner().invoke(main, ["cluster", "Trekantsområdet"])
    assert result.exit_code == 0, result.output
    for text in ("Sundhedsråd Lillebælt", "Også kaldt: Trekantsområdet", "Regionsrådsmedlem", "Kommunalt medlem",
                 "Formand og næstformand er regionsrådsmedlemmer", "Overtager fra: Sundhedsklynge Lillebælt",
                 "Uenige kilder (Middelfart)"):
        assert text in result.output


def test_an_ended_cluster_says_so_and_names_its_successor(today_at):
    today_at("2027-01-02")
    result = CliRunner().invoke(main, ["cluster", "nordjylland-nord"])
    assert result.exit_code == 0, result.output
    assert "(ophørt)" in result.output and "Afløst af: Sundhedsråd Vendsyssel" in result.output
    result = CliRunner().invoke(main, ["clusters"])
    assert "sundhedsraad-2027 (17 sundhedsråd)" in result.output
