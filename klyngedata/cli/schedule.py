"""``klyngedata schedule``: unattended runs that work as written.

``klyngedata schedule`` prints a cron line and a systemd service and timer for *this* installation: absolute
paths to this virtualenv's ``klyngedata``, the data directory, the reports folder and the log file (whose
folder it creates), so the line runs under cron's bare environment (``PATH=/usr/bin:/bin``, no virtualenv).
The line runs ``klyngedata schedule run``: one dated header in the log, ``data fetch`` (its failure, e.g.
offline, is written and the cached data are used), ``report --all``, and a footer with both exit codes.

Examples
--------
::

    klyngedata schedule --data-dir /srv/klyngedata/data --out /srv/klyngedata/reports
    klyngedata schedule run --data-dir /srv/klyngedata/data --out /srv/klyngedata/reports \\
        --log /var/log/klyngedata/reports.log
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import IO

import click

from klyngedata import settings

WEEKDAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 0}
SYSTEMD_DAYS = {"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri", "sat": "Sat", "sun": "Sun"}
LOG_NAME = "reports.log"


def klyngedata_command() -> list[str]:
    """This installation's ``klyngedata`` by absolute path (the console script beside this Python, else
    ``python -m klyngedata``); the virtualenv's ``python`` is not resolved past its symlink.

    Example
    -------
    >>> Path(klyngedata_command()[0]).is_absolute()
    True
    """
    python = Path(sys.executable).absolute()
    script = python.parent / "klyngedata"
    return [str(script)] if script.is_file() else [str(python), "-m", "klyngedata"]


def default_log() -> Path:
    """``/var/log/klyngedata/reports.log`` for root, else the user's log folder (``~/.local/state/...``)."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/log/klyngedata") / LOG_NAME
    import platformdirs

    return Path(platformdirs.user_log_dir("klyngedata")) / LOG_NAME


def _quote(parts: list[str]) -> str:
    return " ".join(shlex.quote(p) for p in parts)


def run_command(data_dir: Path, out: Path, log: Path, jobs: int, report_args: tuple[str, ...]) -> list[str]:
    """The command a scheduled run executes (absolute paths only).

    Example
    -------
    >>> run_command(Path("/d"), Path("/r"), Path("/l/reports.log"), 2, ())[-10:]
    ['schedule', 'run', '--data-dir', '/d', '--out', '/r', '--log', '/l/reports.log', '--jobs', '2']
    """
    cmd = [*klyngedata_command(), "schedule", "run", "--data-dir", str(data_dir), "--out", str(out), "--log",
           str(log), "--jobs", str(jobs)]
    return cmd + (["--", *report_args] if report_args else [])


def cron_line(minute: int, hour: int, weekday: str, command: list[str]) -> str:
    """A crontab line (``%`` escaped: cron would end the command there).

    Example
    -------
    >>> cron_line(30, 5, "mon", ["/venv/bin/klyngedata", "schedule", "run"])
    '30 5 * * 1  /venv/bin/klyngedata schedule run'
    """
    return f"{minute} {hour} * * {WEEKDAYS[weekday]}  " + _quote(command).replace("%", "\\%")


def systemd_units(minute: int, hour: int, weekday: str, command: list[str], workdir: Path) -> str:
    """The service and timer units (``%`` doubled: systemd expands specifiers)."""
    user = ""
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        import getpass

        user = f"User={getpass.getuser()}\n"
    return (
        "# /etc/systemd/system/klyngedata-reports.service\n"
        "[Unit]\nDescription=klyngedata: refresh the data and make every report\n"
        "Wants=network-online.target\nAfter=network-online.target\n\n"
        f"[Service]\nType=oneshot\n{user}WorkingDirectory={workdir}\n"
        f"ExecStart={_quote(command).replace('%', '%%')}\nTimeoutStartSec=2h\n\n"
        "# /etc/systemd/system/klyngedata-reports.timer\n"
        "[Unit]\nDescription=klyngedata: weekly reports\n\n"
        f"[Timer]\nOnCalendar={SYSTEMD_DAYS[weekday]} *-*-* {hour:02d}:{minute:02d}:00\nPersistent=true\n\n"
        "[Install]\nWantedBy=timers.target\n"
    )


@click.group("schedule", invoke_without_command=True)
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Data directory of the runs (default: the one in force now).")
@click.option("--out", type=click.Path(file_okay=False), default="reports", show_default=True,
              help="Folder of the reports (made absolute).")
@click.option("--log", "log", type=click.Path(dir_okay=False), default=None,
              help="Log file (default: /var/log/klyngedata/reports.log as root, else the user's log folder).")
@click.option("--jobs", "-j", default=2, show_default=True, type=click.IntRange(1, 64), help="Reports in parallel.")
@click.option("--at", "at", default="05:30", show_default=True, help="Time of day, HH:MM.")
@click.option("--weekday", type=click.Choice(list(WEEKDAYS)), default="mon", show_default=True)
@click.option("--report-options", default="", metavar="OPTIONS",
              help="More options for `klyngedata report`, e.g. '--notebooks noegletalsrapport --pdf'.")
@click.pass_context
def schedule(ctx: click.Context, data_dir: str | None, out: str, log: str | None, jobs: int, at: str, weekday: str,
             report_options: str) -> None:
    """Print a cron line and a systemd service + timer that run every report of the division on a schedule.

    Every path in them is absolute (this virtualenv's klyngedata, the data directory, the reports folder, the
    log file), so they run as written under cron's bare environment; the log folder is created now. Each run
    (`klyngedata schedule run`) appends a dated header, the output of `data fetch` and `report --all`, and a
    footer with both exit codes to the log.
    """
    if ctx.invoked_subcommand is not None:
        return
    try:
        hour, minute = (int(x) for x in at.split(":"))
        if not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError
    except ValueError:
        raise click.BadParameter(f"{at!r}: give the time as HH:MM, e.g. 05:30", param_hint="--at") from None
    from klyngedata.config import data_dir as resolve_data_dir

    data = Path(resolve_data_dir(data_dir)).expanduser().absolute()
    reports = Path(out).expanduser().absolute()
    log_file = Path(log).expanduser().absolute() if log else default_log()
    log_file.parent.mkdir(parents=True, exist_ok=True)
    command = run_command(data, reports, log_file, jobs, tuple(shlex.split(report_options)))
    click.echo(f"# log folder {log_file.parent} is ready; every run appends a dated header and its summary to "
               f"{log_file.name}\n")
    click.echo("# crontab (crontab -e): every week at the time given")
    click.echo(cron_line(minute, hour, weekday, command))
    click.echo("\n# or systemd: write the two units below, then "
               "`systemctl daemon-reload && systemctl enable --now klyngedata-reports.timer`")
    click.echo(systemd_units(minute, hour, weekday, command, reports.parent))


def _stamp() -> str:
    from klyngedata import clock

    return clock.now().strftime("%Y-%m-%d %H:%M:%S %Z")


def _step(title: str, cmd: list[str], sink: IO[str]) -> int:
    """Run one step with its output in the log; its exit code."""
    sink.write(f"--- {title}: {_quote(cmd)}\n")
    sink.flush()
    env = settings.current().child_environ() | {"TQDM_DISABLE": "1"}  # no progress bars in a log
    code = subprocess.call(cmd, stdout=sink, stderr=subprocess.STDOUT, env=env)
    sink.write(f"--- {title}: exit code {code}\n")
    sink.flush()
    return code


@schedule.command("run", context_settings={"ignore_unknown_options": True})
@click.option("--data-dir", type=click.Path(file_okay=False), required=True, help="Data directory.")
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Folder of the reports.")
@click.option("--log", "log", type=click.Path(dir_okay=False), default=None,
              help="Append everything to this file (default: standard output).")
@click.option("--jobs", "-j", default=2, show_default=True, type=click.IntRange(1, 64))
@click.argument("report_args", nargs=-1, type=click.UNPROCESSED, metavar="[-- REPORT OPTIONS]")
def run(data_dir: str, out: str, log: str | None, jobs: int, report_args: tuple[str, ...]) -> None:
    """One scheduled run: a dated header, `data fetch`, `report --all`, a footer; exit code of the reports.

    A failed fetch (no internet, KLYNGEDATA_OFFLINE=1) is written to the log and the reports use the cached
    data, as the report batch does anyway.
    """
    import klyngedata

    base = klyngedata_command()
    if log:
        Path(log).parent.mkdir(parents=True, exist_ok=True)
    sink: IO[str] = open(log, "a", encoding="utf-8") if log else sys.stdout  # noqa: SIM115 - closed below
    try:
        sink.write(f"\n=== {_stamp()}  klyngedata {klyngedata.__version__}: scheduled run (data {data_dir}, "
                   f"reports {out}) ===\n")
        fetched = _step("data fetch", [*base, "data", "fetch", "--data-dir", data_dir], sink)
        made = _step("report", [*base, "report", "--all", "--jobs", str(jobs), "--shared-assets", "--no-progress",
                                "--out", out, "--data-dir", data_dir, *(a for a in report_args if a != "--")], sink)
        sink.write(f"=== {_stamp()}  finished: data fetch exit code {fetched}"
                   f"{' (the cached data were used)' if fetched else ''}, reports exit code {made} ===\n")
    finally:
        if sink is not sys.stdout:
            sink.close()
    sys.exit(made)


COMMANDS = [schedule]
