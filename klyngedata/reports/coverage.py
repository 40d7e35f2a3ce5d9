"""Which sections a report showed with their data, and the guard that keeps a report that would lose one.

A section whose data are missing shows a Danish note instead (:func:`klyngedata.reports.blocks.note_da`); that
is right for a section the data never had, but a weekly report that loses a section it had last week (the
health indicators, after a damaged or wrong import) must not overwrite last week's report with a poorer one
and exit 0. So every section records whether it showed its data (``sections`` in the executed notebook, read
back by the runner and kept in the manifest), and the runner refuses to write a report that would lose a
section the unit's previous report had: the report fails (exit code 1, the reason in the summary) and the
previous one is kept. The overview keeps the same record in its page (:func:`page_sections`).

To accept a report without a section on purpose (the data are gone for good), delete the previous report (or
its manifest entry): the guard compares with the last report written.

Example
-------
>>> lost_sections({"sundhedsindikatorer": "", "kort": ""}, {"sundhedsindikatorer": "ikke tilgængelige", "kort": ""})
{'sundhedsindikatorer': 'ikke tilgængelige'}
"""

from __future__ import annotations

import functools
import html
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["SECTIONS", "lost_sections", "lost_sections_text", "page_sections", "section_meta", "tracked"]

SECTIONS = {
    "tiles": "noegletal", "keyfigure_table": "noegletal", "comparison_chart": "noegletal",
    "member_table": "medlemskommuner", "members_figure": "medlemskommuner",
    "trend": "befolkningsudvikling", "comparison": "sammenligning", "age_pyramid": "alderspyramide",
    "projection": "fremskrivning", "map": "kort", "indicator_table": "sundhedsindikatorer",
    "spine_chart": "barometer", "peers": "sammenlignelige", "transition": "overgang", "summary": "sammenfatning",
    "mortality": "doedelighed", "health": "sundhed_aeldre",
}
"""Report block (a :class:`~klyngedata.reports.context.ClusterReport` method) -> the section it belongs to."""

_NOTE = re.compile(r'^\s*<div class="kd-note">(.*)</div>\s*$', re.DOTALL)


def note_text(block: Any) -> str | None:
    """The text of a block that is a Danish note instead of its data (a section without its data), else None."""
    data = getattr(block, "data", None)
    if not isinstance(data, str):
        return None
    m = _NOTE.match(data)
    if not m:
        return None
    body = re.sub(r"^\s*<strong>.*?</strong>", "", m.group(1), count=1, flags=re.DOTALL)  # the title ("Bemærk:")
    return html.unescape(re.sub(r"<[^>]+>", "", body)).strip()


def tracked(method: Callable[..., Any], section: str) -> Callable[..., Any]:
    """``method`` that records on its report whether ``section`` showed its data (``""``) or the note instead."""

    @functools.wraps(method)
    def block(self: Any, *args: Any, **kwargs: Any) -> Any:
        out = method(self, *args, **kwargs)
        seen = self.__dict__.setdefault("_sections", {})
        note = note_text(out)
        if out is None:  # a block left out (issue 24): its reason, when it was left out for want of data
            note = (getattr(self, "_derived", None) or {}).get("omitted", {}).get(method.__name__) or note
        if note:
            seen[section] = seen.get(section) or note
        else:
            seen.setdefault(section, "")
        from klyngedata.reports.html import record

        record(sections=dict(seen))
        return out

    return block


def lost_sections(previous: Mapping[str, str] | None, current: Mapping[str, str] | None) -> dict[str, str]:
    """Sections the previous report showed with data and the current one shows as a note: section -> the note.

    A section the current report does not have at all (another notebook) is not lost."""
    if not previous or current is None:
        return {}
    return {s: str(current[s]) for s, why in previous.items() if why == "" and current.get(s)}


def lost_sections_text(lost: Mapping[str, str], when: str | None = None) -> str:
    """The runner's reason (English, for the summary and the log) naming the lost sections and their notes."""
    parts = "; ".join(f"{s} ({why})" for s, why in lost.items())
    since = f" of {when}" if when else ""
    return (f"the report would lose section(s) the previous report{since} had: {parts}. The previous report is "
            "kept; delete it to accept a report without them")


def section_meta(sections: Mapping[str, str]) -> str:
    """The ``<meta>`` element an HTML page (the overview) keeps its sections in."""
    return f'<meta name="klyngedata-sections" content="{html.escape(json.dumps(dict(sections)), quote=True)}">'


def page_sections(path: str | Path) -> dict[str, str] | None:
    """The sections recorded in a page written with :func:`section_meta` (None: no such page or record)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            head = fh.read(65536)
    except OSError:
        return None
    m = re.search(r'<meta name="klyngedata-sections" content="([^"]*)">', head)
    if not m:
        return None
    try:
        value = json.loads(html.unescape(m.group(1)))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
