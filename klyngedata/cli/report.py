"""``klyngedata report`` and ``klyngedata lab`` (owned by the reports work, issue 6)."""

from __future__ import annotations

COMMANDS: list = []
