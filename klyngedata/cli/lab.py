"""``klyngedata lab``: JupyterLab in the analyst's own working folder, started with this Python.

* **The analyst's folder, never the templates.** DIRECTORY (default ``~/klyngedata``) gets a copy of each
  notebook the first time; later starts keep the analyst's edits and outputs. The package's notebooks are the
  templates ``klyngedata report`` runs: they are never opened (JupyterLab's autosave would write into them).
* **Found through the running interpreter** (``python -m jupyterlab``), so it works when the virtualenv's
  ``bin`` is not on ``PATH`` (``.venv/bin/klyngedata lab``, cron, a desktop launcher).
* **Root included.** JupyterLab refuses to run as root without ``--allow-root``; as root it is added and the
  command says so.
* **The address is printed** (with its token) once the server is up, read from the server's own runtime file.

Examples
--------
::

    klyngedata lab                      # ~/klyngedata
    klyngedata lab ~/analyse --no-browser -- --port 8899
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import click

from klyngedata import settings
from klyngedata.exceptions import ReportError

DEFAULT_FOLDER = "klyngedata"
"""The working folder under the home directory when no DIRECTORY is given."""
URL_WAIT_SECONDS = 120.0


def working_folder(directory: str | None, templates: Path) -> Path:
    """The analyst's folder with a copy of every notebook in ``templates`` it does not have yet; refuses the
    template folder itself.

    Example
    -------
    >>> from klyngedata.reports.runner import notebook_dir
    >>> folder = working_folder("analyse", notebook_dir())  # doctest: +ELLIPSIS
    copied befolkningsdashboard.ipynb -> .../analyse
    ...
    >>> sorted(p.name for p in folder.glob("*.ipynb"))[-1]
    'udforsk.ipynb'
    >>> working_folder("analyse", notebook_dir()) == folder  # the second time: nothing to copy
    True
    """
    target = Path(directory).expanduser() if directory else Path.home() / DEFAULT_FOLDER
    target = target.resolve()
    if target == templates.resolve():
        raise click.UsageError(f"{target} holds the package's report templates; give a folder of your own "
                               "(the notebooks are copied there)")
    target.mkdir(parents=True, exist_ok=True)
    for nb in sorted(templates.glob("*.ipynb")):
        if not (target / nb.name).exists():
            shutil.copyfile(nb, target / nb.name)
            click.echo(f"copied {nb.name} -> {target}")
    return target


def jupyterlab_command(target: Path, no_browser: bool, extra: list[str]) -> list[str]:
    """JupyterLab of this Python on ``target`` (``--allow-root`` added as root, with a note).

    Example
    -------
    >>> jupyterlab_command(Path("/srv/analyse"), True, ["--port", "8899", "--allow-root"])[1:5]
    ['-m', 'jupyterlab', '--notebook-dir=/srv/analyse', '--no-browser']
    """
    if importlib.util.find_spec("jupyterlab") is None:
        raise ReportError(f"JupyterLab is not installed in {sys.prefix}; install it there "
                          "(e.g. `bash .ci/setup`, or `uv pip install jupyterlab`)")
    cmd = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={target}"]
    cmd += ["--no-browser"] if no_browser else []
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in extra:
        click.echo("running as root: JupyterLab is started with --allow-root")
        cmd.append("--allow-root")
    return cmd + extra


def _server_url(proc: subprocess.Popen, timeout: float = URL_WAIT_SECONDS) -> str | None:
    """The address of the JupyterLab server ``proc`` (with its token), from the runtime file it writes."""
    from jupyter_core.paths import jupyter_runtime_dir

    info = Path(jupyter_runtime_dir()) / f"jpserver-{proc.pid}.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            data = json.loads(info.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            time.sleep(0.2)
            continue
        token = data.get("token")
        return f"{data['url'].rstrip('/')}/lab" + (f"?token={token}" if token else "")
    return None


@click.command("lab", context_settings={"ignore_unknown_options": True})
@click.option("--data-dir", default=None, type=click.Path(file_okay=False),
              help="Local data directory the notebooks use (sets KLYNGEDATA_DATA_DIR).")
@click.option("--no-browser", is_flag=True, help="Start JupyterLab without opening a browser.")
@click.argument("args", nargs=-1, type=click.UNPROCESSED, metavar="[DIRECTORY] [JUPYTER OPTIONS]...")
def lab(data_dir: str | None, no_browser: bool, args: tuple[str, ...]) -> None:
    """Open JupyterLab on copies of the klyngedata notebooks in your own folder.

    DIRECTORY (default ~/klyngedata) gets a copy of each notebook the first time; later starts keep your
    edits and outputs, and the package's report templates are never opened. JupyterLab is the one installed
    with klyngedata (found through this Python, also when its bin folder is not on PATH); as root it is
    started with --allow-root. The address to open (with its token) is printed when JupyterLab is up. Every
    other option is passed on to JupyterLab, e.g. ``klyngedata lab analyse -- --port 8899`` (the ``--`` may
    be left out).
    """
    from klyngedata.reports.runner import notebook_dir

    directory = args[0] if args and not args[0].startswith("-") else None
    extra = [a for a in (args[1:] if directory else args) if a != "--"]
    target = working_folder(directory, notebook_dir())
    cmd = jupyterlab_command(target, no_browser, extra)
    lab_settings = settings.current()
    if data_dir:
        lab_settings = lab_settings.replace(data_dir=str(Path(data_dir).expanduser().resolve()))
    click.echo(f"starting JupyterLab in {target}")
    proc = subprocess.Popen(cmd, env=lab_settings.child_environ())
    signal.signal(signal.SIGTERM, lambda *_: proc.terminate())  # stopped (kill, systemd): JupyterLab stops too
    try:
        url = _server_url(proc)
        if url:
            click.echo(f"JupyterLab: {url}")
        while True:
            try:
                sys.exit(proc.wait())
            except KeyboardInterrupt:  # JupyterLab has the same Ctrl-C and asks whether to stop
                continue
    finally:
        if proc.poll() is None:
            proc.terminate()


COMMANDS = [lab]
