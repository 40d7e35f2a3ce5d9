"""The registry commands of the CLI."""

from __future__ import annotations

from click.testing import CliRunner

from klyngedata.cli import main


def test_clusters_command_lists_the_22_clusters():
    result = CliRunner().invoke(main, ["clusters"])
    assert result.exit_code == 0, result.output
    assert "sundhedsklynger-2022 (22 klynger)" in result.output
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
    assert result.exit_code == 0 and "klyngestyregrupper-2019 (4 klynger)" in result.output
    result = CliRunner().invoke(main, ["crosswalk", "sundhedsklynger-2022", "sundhedsraad-2027", "--csv"])
    assert result.exit_code == 0
    assert result.output.splitlines()[0].startswith("from_division,to_division,municipality_code")
