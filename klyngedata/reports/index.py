"""``reports/index.html``: one page linking every generated report with its cluster, period and date.

The runner keeps a manifest (``_manifest.json``) of the reports in an output directory; each batch merges
its successful reports into it (a report file that no longer exists is dropped), and the index page is
regenerated from the manifest. Both files are written atomically. The page is Danish and has no scripts.

Example
-------
>>> from klyngedata.reports.index import write_index
>>> write_index("reports")  # doctest: +SKIP
PosixPath('reports/index.html')
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from klyngedata.reports.html import atomic_write_text

MANIFEST_NAME = "_manifest.json"
INDEX_NAME = "index.html"


def read_manifest(out_dir: str | os.PathLike[str]) -> dict[str, dict]:
    """Entries of the manifest keyed by report file name (empty if there is none)."""
    path = Path(out_dir) / MANIFEST_NAME
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return {}
    return {e["file"]: e for e in data.get("reports", []) if "file" in e}


def update_index(
    out_dir: str | os.PathLike[str],
    results: Iterable,
    *,
    division: str | None = None,
    shared_assets: bool = False,
) -> Path:
    """Merge a batch's successful :class:`~klyngedata.reports.runner.ReportResult` s into the manifest and
    rewrite ``index.html``.

    Example
    -------
    >>> update_index("reports", [])  # doctest: +SKIP
    PosixPath('reports/index.html')
    """
    from klyngedata.reports.runner import NOTEBOOK_TITLES

    out = Path(out_dir)
    entries = read_manifest(out)
    for r in results:
        if not r.ok or r.html_path is None:
            continue
        rec = r.recorded or {}
        entries[r.html_path.name] = {
            "file": r.html_path.name,
            "cluster_id": r.cluster_id,
            "cluster_name": rec.get("cluster_name", r.cluster_id),
            "region_name": rec.get("region_name", ""),
            "notebook": r.notebook,
            "title": NOTEBOOK_TITLES.get(r.notebook, r.notebook),
            "period": rec.get("period", ""),
            "division": rec.get("division", division or ""),
            "generated_at": r.generated_at,
            "shared_assets": shared_assets,
        }
    entries = {k: v for k, v in entries.items() if (out / k).exists()}
    manifest = {"reports": sorted(entries.values(), key=lambda e: (e["cluster_id"], e["notebook"]))}
    atomic_write_text(out / MANIFEST_NAME, json.dumps(manifest, ensure_ascii=False, indent=1))
    return write_index(out, manifest["reports"])


def period_label(period: object) -> str:
    """Danish label of a report's period (``2024M04`` -> ``1. april 2024``); unknown text is shown as it is."""
    from klyngedata.figures import period_label as label_da

    try:
        return label_da(period)
    except (ValueError, TypeError):
        return str(period)


def _date_da(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(iso).strftime("%d.%m.%Y %H:%M")
    except ValueError:
        return iso


def write_index(out_dir: str | os.PathLike[str], entries: list[dict] | None = None) -> Path:
    """Write ``index.html`` (Danish) from ``entries`` (default: the manifest) and return its path.

    Example
    -------
    >>> write_index("reports", [])  # doctest: +SKIP
    PosixPath('reports/index.html')
    """
    out = Path(out_dir)
    if entries is None:
        entries = sorted(read_manifest(out).values(), key=lambda e: (e["cluster_id"], e["notebook"]))
    esc = html.escape
    rows = []
    for e in entries:
        rows.append(
            "<tr>"
            f"<td>{esc(e.get('cluster_name') or e['cluster_id'])}</td>"
            f"<td>{esc(e.get('region_name') or '')}</td>"
            f"<td><a href=\"{esc(e['file'])}\">{esc(e.get('title') or e['notebook'])}</a></td>"
            f"<td>{esc(period_label(e.get('period') or ''))}</td>"
            f"<td>{esc(_date_da(e.get('generated_at')))}</td>"
            "</tr>"
        )
    body = "\n".join(rows) if rows else '<tr><td colspan="5">Ingen rapporter endnu.</td></tr>'
    divisions = sorted({e.get("division") for e in entries if e.get("division")})
    page = f"""<!DOCTYPE html>
<html lang="da">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Rapporter for sundhedsklyngerne</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 1000px; margin: 2em auto;
       padding: 0 1em; color: #1f2328; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border-bottom: 1px solid #d0d7de; padding: 6px 10px; text-align: left; }}
th {{ background: #f6f8fa; }}
.meta {{ color: #57606a; font-size: 0.9em; }}
</style>
</head>
<body>
<h1>Rapporter for sundhedsklyngerne</h1>
<p class="meta">Inddeling: {esc(", ".join(divisions) or "–")}. {len(entries)} rapporter.
Hver rapport kan åbnes uden internetforbindelse.</p>
<table>
<thead><tr><th>Klynge</th><th>Region</th><th>Rapport</th><th>Periode</th><th>Dannet</th></tr></thead>
<tbody>
{body}
</tbody>
</table>
<p class="meta">Dannet med klyngedata.</p>
</body>
</html>
"""
    return atomic_write_text(out / INDEX_NAME, page)
