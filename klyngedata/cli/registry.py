"""``klyngedata clusters | cluster | municipalities | divisions | crosswalk`` (registry, issue 2)."""

from __future__ import annotations

COMMANDS: list = []
