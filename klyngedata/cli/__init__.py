"""The ``klyngedata`` command line. One module per command group:

* :mod:`klyngedata.cli.registry` – ``clusters``, ``cluster``, ``municipalities``, ``divisions``, ``crosswalk``
* :mod:`klyngedata.cli.data` – ``data fetch | import | status``
* :mod:`klyngedata.cli.report` – ``report``
* :mod:`klyngedata.cli.lab` – ``lab``
* :mod:`klyngedata.cli.schedule` – ``schedule``, ``schedule run``
* :mod:`klyngedata.cli.overview` – ``overview``
"""

from __future__ import annotations

import logging
import sys

import click

from klyngedata import logs
from klyngedata.exceptions import KlyngedataError


class _Group(click.Group):
    """Turns :class:`KlyngedataError` into a one-line message and exit code 1 (no traceback)."""

    def invoke(self, ctx: click.Context):  # noqa: D401
        try:
            return super().invoke(ctx)
        except KlyngedataError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)


@click.group(cls=_Group)
@click.version_option(package_name="klyngedata")
def main() -> None:
    """klyngedata: data, maps and reports for the Danish sundhedsklynger."""
    logs.set_verbose(logging.WARNING)  # the command line shows warnings (retries, failed PDFs) on stderr


def _register() -> None:
    from klyngedata.cli import data, lab, overview, registry, report, schedule

    for module in (registry, data, report, overview, lab, schedule):
        for command in module.COMMANDS:
            main.add_command(command)


_register()
