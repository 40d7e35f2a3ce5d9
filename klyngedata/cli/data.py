"""``klyngedata data fetch | import | status`` (owned by the population/cache work, issue 3)."""

from __future__ import annotations

import click


@click.group()
def data() -> None:
    """Fetch, import and inspect the local data cache."""


COMMANDS = [data]
