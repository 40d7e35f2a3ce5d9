"""``klyngedata lab`` (issue 28 item 3): the analyst's own folder with copies of the notebooks (never the templates),
JupyterLab of this Python (found without PATH), --allow-root as root (said so), the address printed.

The command tests replace ``subprocess.Popen`` with a stand-in that writes the server's runtime file as
JupyterLab does (hermetic: no jupyter on PATH needed); one test starts the real JupyterLab from cron's empty
environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from klyngedata.cli import lab as lab_module
from klyngedata.cli import main
from klyngedata.reports.runner import notebook_dir

NOTEBOOKS = ["befolkningsdashboard.ipynb", "noegletalsrapport.ipynb", "udforsk.ipynb"]


class _FakeServer:
    """Stands in for JupyterLab's process: records the command and writes the runtime file it would write."""

    calls: list[tuple[list[str], dict]] = []

    def __init__(self, cmd, env=None):
        from jupyter_core.paths import jupyter_runtime_dir

        type(self).calls.append((list(cmd), dict(env or {})))
        self.pid = 4242
        runtime = Path(jupyter_runtime_dir())
        runtime.mkdir(parents=True, exist_ok=True)
        (runtime / f"jpserver-{self.pid}.json").write_text(
            json.dumps({"url": "http://localhost:8899/", "token": "CONSTRUCTED"}), encoding="utf-8")

    def poll(self):
        return None

    def wait(self):
        return 0

    def terminate(self):
        pass


@pytest.fixture
def fake_server(monkeypatch, tmp_path):
    _FakeServer.calls = []
    monkeypatch.setattr(subprocess, "Popen", _FakeServer)
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setattr(lab_module.os, "geteuid", lambda: 1000)  # an ordinary user unless a test says otherwise
    monkeypatch.setattr(lab_module.signal, "signal", lambda *a: None)
    return _FakeServer


def test_lab_copies_notebooks_and_starts_this_pythons_jupyterlab(fake_server, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # the venv's bin is not on PATH
    target = tmp_path / "analyse"
    result = CliRunner().invoke(main, ["lab", str(target), "--no-browser", "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in target.glob("*.ipynb")) == NOTEBOOKS
    cmd, env = fake_server.calls[0]
    assert cmd == [sys.executable, "-m", "jupyterlab", f"--notebook-dir={target}", "--no-browser"]
    assert env["KLYNGEDATA_DATA_DIR"] == str((tmp_path / "d").resolve())
    assert "JupyterLab: http://localhost:8899/lab?token=CONSTRUCTED" in result.output.splitlines()


def test_lab_without_a_folder_uses_the_analysts_own_and_never_the_templates(fake_server, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    result = CliRunner().invoke(main, ["lab", "--no-browser"])
    assert result.exit_code == 0, result.output
    own = (tmp_path / "home" / "klyngedata").resolve()
    assert fake_server.calls[0][0][3] == f"--notebook-dir={own}"
    assert sorted(p.name for p in own.glob("*.ipynb")) == NOTEBOOKS
    refused = CliRunner().invoke(main, ["lab", str(notebook_dir())])
    assert refused.exit_code == 2 and "report templates" in refused.output and len(fake_server.calls) == 1


def test_lab_keeps_the_analysts_edits(fake_server, tmp_path):
    target = tmp_path / "analyse"
    CliRunner().invoke(main, ["lab", str(target), "--no-browser"])
    edited = target / "udforsk.ipynb"
    edited.write_text('{"cells": [], "CONSTRUCTED": "the analyst\'s edit"}', encoding="utf-8")
    result = CliRunner().invoke(main, ["lab", str(target), "--no-browser"])
    assert result.exit_code == 0 and "copied" not in result.output
    assert "the analyst's edit" in edited.read_text(encoding="utf-8")
    assert (notebook_dir() / "udforsk.ipynb").read_text(encoding="utf-8") != edited.read_text(encoding="utf-8")


@pytest.mark.parametrize("given", [[], ["--allow-root"]])
def test_lab_as_root_adds_allow_root_and_says_so(fake_server, tmp_path, monkeypatch, given):
    monkeypatch.setattr(lab_module.os, "geteuid", lambda: 0)
    result = CliRunner().invoke(main, ["lab", str(tmp_path / "a"), "--no-browser", "--", *given])
    assert result.exit_code == 0, result.output
    assert fake_server.calls[0][0].count("--allow-root") == 1
    assert ("running as root: JupyterLab is started with --allow-root" in result.output) == (not given)


@pytest.mark.parametrize("argv, directory, passed", [
    (["--", "--port", "8899"], None, ["--port", "8899"]),
    (["--port", "8899"], None, ["--port", "8899"]),
    (["analyse", "--no-browser", "--", "--ServerApp.token=x"], "analyse", ["--no-browser", "--ServerApp.token=x"]),
])
def test_lab_passes_other_options_to_jupyterlab(fake_server, tmp_path, monkeypatch, argv, directory, passed):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["lab", *argv])
    assert result.exit_code == 0, result.output
    cmd = fake_server.calls[0][0]
    assert cmd[4:] == passed
    folder = (tmp_path / directory) if directory else (tmp_path / "home" / "klyngedata")
    assert cmd[3] == f"--notebook-dir={folder.resolve()}" and (folder / "udforsk.ipynb").exists()


@pytest.mark.e2e  # starts a real JupyterLab server
def test_lab_starts_from_crons_empty_environment(tmp_path):
    """The real JupyterLab, started by the venv's `klyngedata` with PATH=/usr/bin:/bin (no venv on PATH)."""
    script = Path(sys.executable).parent / "klyngedata"
    if not script.exists():
        pytest.skip(f"no klyngedata console script beside {sys.executable}")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"), "PYTHONPATH": os.environ["PYTHONPATH"],
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"),
           "JUPYTER_DATA_DIR": str(tmp_path / "data"), "IPYTHONDIR": str(tmp_path / "ipython")}
    proc = subprocess.Popen([str(script), "lab", str(tmp_path / "ws"), "--no-browser", "--", "--ServerApp.port=0"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("JupyterLab: "):
                break
        url = lines[-1].removeprefix("JupyterLab: ")
        assert url.startswith("http://localhost:") and "/lab?token=" in url, lines
        base, token = url.split("/lab?token=")
        with urllib.request.urlopen(f"{base}/api/contents?token={token}", timeout=30) as resp:
            names = sorted(item["name"] for item in json.load(resp)["content"])
        assert names == NOTEBOOKS  # serving the analyst's folder
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        proc.stdout.close()
