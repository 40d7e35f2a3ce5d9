"""`klyngedata data import | status | fetch` through click's CliRunner (no network)."""

from __future__ import annotations

from click.testing import CliRunner

from klyngedata.cli import main


def test_import_and_status(population_dir, tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["data", "status", "--data-dir", str(tmp_path)])
    assert res.exit_code == 0 and "empty" in res.output
    res = runner.invoke(main, ["data", "import", str(population_dir), "--data-dir", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "population/FOLK1AM" in res.output
    res = runner.invoke(main, ["data", "status", "--data-dir", str(tmp_path)])
    assert res.exit_code == 0
    assert "FOLK1AM" in res.output and "2021M10..2024M04 (31)" in res.output


def test_import_unrecognised_file_fails(shared_data, tmp_path):
    res = CliRunner().invoke(main, ["data", "import", str(shared_data / "README.md"), "--data-dir", str(tmp_path)])
    assert res.exit_code == 1
    assert "not a recognised" in res.output


def test_fetch_failure_is_clear(tmp_path, monkeypatch):
    monkeypatch.setenv("KLYNGEDATA_STATBANK_URL", "http://127.0.0.1:1/v1")  # nothing listens on port 1
    import klyngedata.dst.client as client

    monkeypatch.setattr(client.time, "sleep", lambda s: None)
    res = CliRunner().invoke(main, ["data", "fetch", "-t", "FOLK1AM", "--data-dir", str(tmp_path)])
    assert res.exit_code == 1
    # one Danish sentence naming the table and what to do next, no raw request JSON
    assert "FOLK1AM" in res.output and "svarede ikke" in res.output and "klyngedata data import" in res.output
    assert "{" not in res.output and "Error" not in res.output
