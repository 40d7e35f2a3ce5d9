"""``reports/index.html``: one row per unit (cluster) with links to its reports as HTML and PDF.

The runner keeps a manifest (``_manifest.json``) of the reports in an output directory (per report: unit,
period, files, and ``data_notes`` for analysts – which data were read, what to fetch); each batch merges
its successful reports into it (a report file that no longer exists is dropped), and the index page is
regenerated from the manifest. Both files are written atomically. The page is Danish and has no scripts.
A report's PDF is linked when it exists and is not older than its HTML (a PDF from an earlier run of a report
regenerated without ``--pdf`` would not match it).

Example
-------
>>> from klyngedata.reports.index import write_index
>>> write_index("reports")  # a folder without reports yet: an index that says so
PosixPath('reports/index.html')
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Iterable
from pathlib import Path

from klyngedata.formatting import datetime_da
from klyngedata.reports.html import atomic_write_text
from klyngedata.vocabulary import period_text_da

MANIFEST_NAME = "_manifest.json"
INDEX_NAME = "index.html"

NOTEBOOK_TITLES: dict[str, str] = {
    "befolkningsdashboard": "Befolkningsdashboard",
    "noegletalsrapport": "Nøgletalsrapport",
    "udforsk": "Kom godt i gang",
}
"""Danish titles of the report notebooks (index, page titles, the running header of PDFs)."""


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
    >>> update_index("reports", [])
    PosixPath('reports/index.html')
    """
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
            "unconfirmed_membership": bool(rec.get("unconfirmed", False)),
            "data_notes": list(rec.get("data_notes") or []),  # for analysts: data read, what to fetch
            "sections": dict(rec.get("sections") or {}),  # shown with data ("") or the note (reports.coverage)
        }
        pdf = getattr(r, "pdf_path", None)
        if pdf is not None:
            entries[r.html_path.name]["pdf"] = Path(pdf).name
    entries = {k: v for k, v in entries.items() if (out / k).exists()}
    manifest = {"reports": sorted(entries.values(), key=lambda e: (e["cluster_id"], e["notebook"]))}
    atomic_write_text(out / MANIFEST_NAME, json.dumps(manifest, ensure_ascii=False, indent=1))
    return write_index(out, manifest["reports"])


def period_label(period: object) -> str:
    """Danish label of a report's period (``2024M04`` -> ``1. april 2024``); unknown text is shown as it is."""
    return period_text_da(period, stock=True)


def _current_pdf(out: Path, entry: dict) -> str | None:
    """The report's PDF file name if it exists and is not older than its HTML."""
    name = entry.get("pdf") or str(entry["file"]).removesuffix(".html") + ".pdf"
    pdf, page = out / name, out / entry["file"]
    try:
        return name if pdf.stat().st_mtime >= page.stat().st_mtime - 1 else None
    except OSError:
        return None


def _division_of(entry: dict) -> str:
    """The entry's division (recorded by the report; older manifests: the division its unit id names)."""
    if entry.get("division"):
        return str(entry["division"])
    try:
        from klyngedata import registry

        return registry.division_of(entry["cluster_id"]) or ""
    except Exception:  # noqa: BLE001 - the index must not fail on the registry
        return ""


def _division_info(division_id: str) -> dict:
    """Danish name, validity, words and sort key of a division (never its id); empty texts if unknown."""
    info = {"name": "", "validity": "", "ended": "", "words": None, "order": (1, 0)}
    if not division_id:
        return info
    try:
        import pandas as pd

        from klyngedata import clock, registry
        from klyngedata.registry.words import division_name_da, division_validity_da, words

        d = registry.division(division_id)
        info.update(name=division_name_da(division_id), validity=division_validity_da(division_id),
                    words=words(division_id), order=(0, -pd.Timestamp(d["valid_from"]).value))
        if pd.notna(d["valid_to"]) and pd.Timestamp(d["valid_to"]) < pd.Timestamp(clock.today()):
            info["ended"] = "ophørt"
    except Exception:  # noqa: BLE001 - the index must not fail on the registry
        pass
    return info


def _units(entries: list[dict]) -> list[dict]:
    """Entries grouped to one row per unit (cluster), reports in notebook order."""
    order = list(NOTEBOOK_TITLES)
    units: dict[str, dict] = {}
    for e in entries:
        u = units.setdefault(e["cluster_id"], {"cluster_id": e["cluster_id"], "reports": []})
        u.setdefault("cluster_name", e.get("cluster_name") or e["cluster_id"])
        u.setdefault("region_name", e.get("region_name") or "")
        u["reports"].append(e)
    for u in units.values():
        u["reports"].sort(key=lambda e: order.index(e["notebook"]) if e["notebook"] in order else len(order))
        periods = [e.get("period") for e in u["reports"] if e.get("period")]
        u["period"] = max(periods) if periods else ""
        stamps = [e.get("generated_at") for e in u["reports"] if e.get("generated_at")]
        u["generated_at"] = max(stamps) if stamps else None
    return list(units.values())


COLUMNS = ('<colgroup><col style="width:27%"><col style="width:17%"><col style="width:29%">'
           '<col style="width:12%"><col style="width:15%"></colgroup>')
"""Fixed column widths, so the tables of all divisions line up."""


def _section(out: Path, division_id: str, units: list[dict]) -> str:
    """One division's part of the index: heading with its Danish name and validity, one row per unit."""
    esc = html.escape
    info = _division_info(division_id)
    w = info["words"]
    rows = []
    for u in units:
        links = []
        for e in u["reports"]:
            title = esc(e.get("title") or NOTEBOOK_TITLES.get(e["notebook"], e["notebook"]))
            pdf = _current_pdf(out, e)
            pdf_link = f' · <a href="{esc(pdf)}">PDF</a>' if pdf else ""
            links.append(f'<li>{title}: <a href="{esc(e["file"])}">HTML</a>{pdf_link}</li>')
        rows.append(
            "<tr>"
            f"<td>{esc(u['cluster_name'])}</td>"
            f"<td>{esc(u['region_name'])}</td>"
            f"<td><ul class=\"reports\">{''.join(links)}</ul></td>"
            f"<td>{esc(period_label(u['period']))}</td>"
            f"<td>{esc(datetime_da(u['generated_at']))}</td>"
            "</tr>"
        )
    unit_col = w.fill("{Sundhedsklynge}") if w else "Enhed"
    count = f"{len(units)} {(w.unit if len(units) == 1 else w.units) if w else 'enheder'}"
    meta = ""
    if info["validity"]:
        meta = f"gjaldt {info['validity']} (ophørt)" if info["ended"] else f"gælder {info['validity']}"
    heading = info["name"] or "Anden inddeling"
    return (f'<section class="division">\n<h2>{esc(heading)}</h2>\n'
            f'<p class="meta">{esc((meta[:1].upper() + meta[1:] + ". ") if meta else "")}{esc(count)}.</p>\n'
            f"<table>\n{COLUMNS}\n<thead><tr><th>{esc(unit_col)}</th><th>Region</th><th>Rapporter</th>"
            "<th>Tallene er fra</th><th>Dannet</th></tr></thead>\n<tbody>\n" + "\n".join(rows)
            + "\n</tbody>\n</table>\n</section>")


def write_index(out_dir: str | os.PathLike[str], entries: list[dict] | None = None) -> Path:
    """Write ``index.html`` (Danish) from ``entries`` (default: the manifest) and return its path.

    Example
    -------
    >>> write_index("reports", [])
    PosixPath('reports/index.html')
    """
    out = Path(out_dir)
    if entries is None:
        entries = sorted(read_manifest(out).values(), key=lambda e: (e["cluster_id"], e["notebook"]))
    esc = html.escape
    groups: dict[str, list[dict]] = {}
    for e in entries:
        groups.setdefault(_division_of(e), []).append(e)
    order = sorted(groups, key=lambda d: _division_info(d)["order"])
    sections = "\n".join(_section(out, d, _units(groups[d])) for d in order)
    if not sections:
        sections = '<p class="meta">Ingen rapporter endnu.</p>'
    plural = [info["words"].units_definite for info in map(_division_info, order) if info["words"]]
    if not plural:
        from klyngedata.registry.words import words

        plural = [words().units_definite]
    title = "Rapporter for " + (" og ".join(dict.fromkeys(plural)))
    count = f"{len(entries)} {'rapport' if len(entries) == 1 else 'rapporter'}"
    page = f"""<!DOCTYPE html>
<html lang="da">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{esc(title)}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 1000px; margin: 2em auto;
       padding: 0 1em; color: #1f2328; }}
table {{ border-collapse: collapse; width: 100%; table-layout: fixed; }}
th, td {{ border-bottom: 1px solid #d0d7de; padding: 6px 10px; text-align: left; vertical-align: top; }}
th {{ background: #f6f8fa; }}
.meta {{ color: #57606a; font-size: 0.9em; }}
section.division {{ margin-top: 2em; }}
h2 {{ margin-bottom: 0.2em; }}
ul.reports {{ margin: 0; padding-left: 1.1em; }}
</style>
</head>
<body>
<h1>{esc(title)}</h1>
<p class="meta">{count}{", ordnet efter inddeling" if len(order) > 1 else ""}.
Hver rapport kan åbnes uden internetforbindelse; PDF-udgaven er til print og mødemapper (A4).</p>
{sections}
<p class="meta">Dannet med klyngedata.</p>
</body>
</html>
"""
    return atomic_write_text(out / INDEX_NAME, page)
