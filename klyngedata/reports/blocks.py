"""HTML building blocks for the report notebooks: tiles, tables, notes, provenance footer (Danish).

All functions return :class:`IPython.display.HTML` objects (displayed when they are a cell's last
expression). Numbers are formatted the Danish way. Numeric table cells carry ``class="kd-num"`` and
``data-figure-id`` / ``data-unit`` attributes; cells holding a count of persons also carry
``data-count="1"``, so tests (and readers' tools) can check that no count of 1–4 is shown.

Small counts: the key-figure tables show the ``display`` text produced by :mod:`klyngedata.disclosure`
for suppressed cells; as a last line of defence :func:`count_text` never prints a count of persons
between 1 and 4 (it prints ``"<5"``).

Example
-------
>>> html = note_da("Aldersfordelingen er ikke tilgængelig.")
>>> "kd-note" in html.data
True
"""

from __future__ import annotations

import html as _html
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from IPython.display import HTML

from klyngedata.figures import format_number
from klyngedata.formatting import figure_number
from klyngedata.vocabulary import period_text_da

CSS = """
.kd-tiles { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0 16px 0; }
.kd-tile { border: 1px solid #d0d7de; border-radius: 6px; padding: 10px 14px; min-width: 170px; background: #f6f8fa; }
.kd-tile .kd-tile-label { font-size: 0.85em; color: #57606a; }
.kd-tile .kd-tile-value { font-size: 1.6em; font-weight: 600; }
.kd-tile .kd-tile-sub { font-size: 0.8em; color: #57606a; }
table.kd-table { border-collapse: collapse; margin: 6px 0 12px 0; font-size: 0.92em; }
.jp-RenderedHTMLCommon table.kd-table th, .jp-RenderedHTMLCommon table.kd-table td {
  border-bottom: 1px solid #d0d7de; padding: 4px 10px; text-align: left; vertical-align: top; }
.jp-RenderedHTMLCommon table.kd-table td.kd-num { text-align: right; font-variant-numeric: tabular-nums; }
.jp-RenderedHTMLCommon table.kd-table { table-layout: auto; margin-left: 0; }
.kd-note { border-left: 4px solid #bf8700; background: #fff8c5; padding: 8px 12px; margin: 8px 0; }
.kd-caption { font-size: 0.8em; color: #57606a; margin: 2px 0 14px 0; }
.kd-download { margin: 2px 0 14px 0; font-size: 0.85em; }
@media print { .kd-download { display: none; } }
.kd-footer { font-size: 0.82em; color: #57606a; border-top: 1px solid #d0d7de; margin-top: 24px; padding-top: 8px; }
"""
"""Styles of the blocks; emitted once per notebook by :func:`style` (so JupyterLab shows them too)."""

SMALL_COUNT_MAX = 4
COUNT_UNITS = frozenset({"personer", "antal", "borgere", "indlæggelser", "kontakter"})
esc = _html.escape


def bare(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without its ``attrs`` (same columns and rows, no copy of the data): pandas deep-copies ``attrs``
    into every intermediate result, and a key-figure table carries large ones (the missing figures with their
    reasons), so the table builders work on the bare frame.

    Example
    -------
    >>> f = pd.DataFrame({"a": [1]}); f.attrs["missing"] = [{"figure_id": "x"}]
    >>> bare(f).attrs, f.attrs["missing"][0]["figure_id"]
    ({}, 'x')
    """
    return pd.DataFrame(frame, copy=False)


def style() -> HTML:
    """The ``<style>`` element for the blocks (the report header emits it once)."""
    return HTML(f"<style>{CSS}</style>")


def note_da(text: str, *, title: str = "Bemærk") -> HTML:
    """A Danish note box shown instead of a figure or table whose data are not available.

    Example
    -------
    >>> "Bemærk" in note_da("Ingen data").data
    True
    """
    return HTML(f'<div class="kd-note"><strong>{esc(title)}:</strong> {esc(text)}</div>')


def caption_da(text: str) -> HTML:
    """A small caption (e.g. the source under a table)."""
    return HTML(f'<p class="kd-caption">{esc(text)}</p>')


def count_text(value: Any, *, threshold: int = SMALL_COUNT_MAX) -> str:
    """Danish text for a count of persons; counts 1..``threshold`` are never shown (``"<5"``).

    Example
    -------
    >>> count_text(3), count_text(0), count_text(1234)
    ('<5', '0', '1.234')
    """
    if value is None or pd.isna(value):
        return "–"
    v = float(value)
    if 1 <= abs(v) <= threshold and float(v).is_integer():
        return f"<{threshold + 1}"
    return format_number(v, 0)


def value_text(value: Any, unit: str = "", decimals: int = 1, display: Any = None, suppressed: Any = False,
               sign: bool = False) -> str:
    """Text of one figure value: the disclosure ``display`` text if suppressed, else a Danish number; ``sign``: a
    change, written with its sign ("+0,4", "−892").

    Example
    -------
    >>> value_text(12.345, "%", 1), value_text(0.4, "%", 1, sign=True), value_text(-892, "personer", 0, sign=True)
    ('12,3', '+0,4', '−892')
    >>> value_text(None, "personer", 0, display="<5", suppressed=True)
    '<5'
    """
    if bool(suppressed) if not pd.isna(suppressed) else False:
        return str(display) if display is not None and not pd.isna(display) and str(display) else "<5"
    if unit in COUNT_UNITS:
        text = count_text(value)
        return "+" + text if sign and not text.startswith(("<", "–", "0")) and float(value) > 0 else text
    return figure_number(value, decimals, sign=sign)  # one rule with the summary: a non-zero value is never 0


def is_change(figure_id: str) -> bool:
    """Figures that are changes (growth, projected change): written with their sign.

    Example
    -------
    >>> is_change("growth_1y_pct"), is_change("population")
    (True, False)
    """
    return str(figure_id).startswith(("growth_", "proj_"))


def _decimals(figure_id: str, unit: str) -> int:
    try:
        from klyngedata import catalogue

        return catalogue.figure(figure_id).decimals
    except Exception:  # noqa: BLE001 - a figure outside the catalogue gets a sensible default
        return 0 if unit in COUNT_UNITS else 1


def _num_td(text: str, figure_id: str, unit: str) -> str:
    count = ' data-count="1"' if unit in COUNT_UNITS else ""
    return f'<td class="kd-num" data-figure-id="{esc(figure_id)}" data-unit="{esc(unit)}"{count}>{esc(text)}</td>'


def tiles(items: Iterable[tuple]) -> HTML:
    """Key-figure tiles: ``(label, value text, sub text[, unit])`` each (a count unit marks ``data-count``).

    Example
    -------
    >>> "kd-tile" in tiles([("Befolkning", "592.831", "1. april 2024")]).data
    True
    """
    parts = ['<div class="kd-tiles">']
    for label, value, sub, *rest in items:
        unit = rest[0] if rest else ""
        attrs = f' data-unit="{esc(unit)}"' + (' data-count="1"' if unit in COUNT_UNITS else "")
        parts.append(
            f'<div class="kd-tile"><div class="kd-tile-label">{esc(label)}</div>'
            f'<div class="kd-tile-value"{attrs}>{esc(value)}</div><div class="kd-tile-sub">{esc(sub)}</div></div>'
        )
    parts.append("</div>")
    return HTML("".join(parts))


def keyfigure_tiles(keyfigures: pd.DataFrame, figure_ids: Sequence[str]) -> HTML:
    """Tiles of the cluster-level value of each figure in ``figure_ids`` (those present), with the period.

    Example
    -------
    Needs population data (the key figures of a unit); not run as a doctest.
    >>> keyfigure_tiles(kf, ["population", "growth_1y_pct"])  # doctest: +SKIP
    """
    rows = bare(keyfigures)
    if "entity_level" in rows.columns:
        rows = rows[rows["entity_level"].astype(str) == "cluster"]
    items = []
    for fid in figure_ids:
        sel = rows[rows["figure_id"] == fid]
        if sel.empty:
            continue
        r = sel.iloc[0]
        unit = str(r.get("unit", ""))
        text = value_text(r["value"], unit, _decimals(fid, unit), r.get("display"), r.get("suppressed", False),
                          is_change(fid))
        if unit == "%" and not text.startswith("<"):
            text = f"{text} %"
        items.append((str(r["label_da"]), text, period_text_da(r["period"], stock=True), unit))
    if not items:
        return note_da("Ingen nøgletal kan vises for den valgte periode.")
    return tiles(items)


def benchmark_headers(keyfigures: pd.DataFrame) -> tuple[str, str]:
    """The column headers of the region and Denmark values: ``("Regionen", "Hele landet")``, or as the key
    figures name a benchmark summed without Christiansø (``attrs["benchmark_names_da"]``).

    >>> f = pd.DataFrame(); f.attrs["benchmark_names_da"] = {"country": "Hele landet (uden Christiansø)"}
    >>> benchmark_headers(f)
    ('Regionen', 'Hele landet (uden Christiansø)')
    """
    names = keyfigures.attrs.get("benchmark_names_da") or {}
    suffix = " (uden Christiansø)"
    region = "Regionen" + (suffix if str(names.get("region", "")).endswith(suffix) else "")
    return region, str(names.get("country", "Hele landet"))


def keyfigure_table(keyfigures: pd.DataFrame, *, level: str = "cluster", title: str | None = None) -> HTML:
    """Table of the figures of one entity level with region and Denmark alongside.

    Columns: Nøgletal, Værdi, Enhed, Regionen, Hele landet, Periode.

    Example
    -------
    Needs population data (the key figures of a unit); not run as a doctest.
    >>> keyfigure_table(kf)  # doctest: +SKIP
    """
    region, country = benchmark_headers(keyfigures)
    rows = bare(keyfigures)
    if "entity_level" in rows.columns:
        rows = rows[rows["entity_level"].astype(str) == level]
    if rows.empty:
        return note_da("Ingen nøgletal at vise.")
    head = "".join(f"<th>{esc(h)}</th>" for h in ("Nøgletal", "Værdi", "Enhed", region, country, "Periode"))
    body = []
    for _, r in rows.iterrows():
        fid, unit = str(r["figure_id"]), str(r.get("unit", ""))
        dec = _decimals(fid, unit)
        sign = is_change(fid)
        body.append(
            "<tr>"
            f"<td>{esc(str(r['label_da']))}</td>"
            + _num_td(value_text(r["value"], unit, dec, r.get("display"), r.get("suppressed", False), sign), fid, unit)
            + f"<td>{esc(unit)}</td>"
            + _num_td(value_text(r.get("region_value"), unit, dec, sign=sign), fid, unit)
            + _num_td(value_text(r.get("country_value"), unit, dec, sign=sign), fid, unit)
            + f"<td>{esc(period_text_da(r['period'], stock=True))}</td>"
            "</tr>"
        )
    caption = f"<caption>{esc(title)}</caption>" if title else ""
    return HTML(f'<table class="kd-table">{caption}<thead><tr>{head}</tr></thead>'
                f'<tbody>{"".join(body)}</tbody></table>')


def member_table(keyfigures: pd.DataFrame, figure_ids: Sequence[str] | None = None) -> HTML:
    """Member municipalities side by side: one row per municipality, one column per figure.

    Example
    -------
    Needs population data (the key figures of a unit); not run as a doctest.
    >>> member_table(kf, ["population", "growth_1y_pct"])  # doctest: +SKIP
    """
    rows = bare(keyfigures)
    if "entity_level" in rows.columns:
        rows = rows[rows["entity_level"].astype(str) == "municipality"]
    if rows.empty:
        return note_da("Der er ingen nøgletal for medlemskommunerne.")
    at: dict[str, int] = {}  # each figure's first row
    for i, f in enumerate(rows["figure_id"]):
        at.setdefault(f, i)
    ids = list(figure_ids) if figure_ids else list(at)
    ids = [f for f in ids if f in at]
    labels = {f: str(rows["label_da"].iloc[at[f]]) for f in ids}
    units = {f: str(rows["unit"].iloc[at[f]]) for f in ids}
    head = "<th>Kommune</th>" + "".join(
        f"<th>{esc(labels[f])}{' (' + esc(units[f]) + ')' if units[f] not in ('%', '') else ''}</th>" for f in ids
    )
    body = []
    for (_eid, name), grp in rows.groupby(["entity_id", "entity_name"], sort=False):
        first: dict[str, int] = {}  # each figure's first row (one pass, not a selection per figure)
        for i, f in enumerate(grp["figure_id"]):
            first.setdefault(f, i)
        cells = []
        for f in ids:
            if f not in first:
                cells.append("<td>–</td>")
                continue
            r = grp.iloc[first[f]]
            text = value_text(r["value"], units[f], _decimals(f, units[f]), r.get("display"),
                              r.get("suppressed", False), is_change(f))
            cells.append(_num_td(text, f, units[f]))
        body.append(f"<tr><td>{esc(str(name))}</td>{''.join(cells)}</tr>")
    return HTML(f'<table class="kd-table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>')


def frame_table(frame: pd.DataFrame, columns: dict[str, str], *, count_columns: Sequence[str] = (),
                css: str = "") -> HTML:
    """A plain Danish table of selected ``columns`` (``{column: Danish heading}``) of ``frame``.

    Columns listed in ``count_columns`` are counts of persons (small counts are never shown). ``css``: extra
    classes of the table (``kd-fixed``: many columns share the page width on paper).

    Example
    -------
    >>> frame_table(pd.DataFrame({"a": ["x"]}), {"a": "Navn"}).data.count("<td>")
    1
    """
    if frame is None or frame.empty:
        return note_da("Ingen oplysninger.")
    head = "".join(f"<th>{esc(h)}</th>" for h in columns.values())
    body = []
    for _, r in frame.iterrows():
        cells = []
        for col in columns:
            v = r.get(col)
            if col in count_columns:
                cells.append(_num_td(count_text(v), col, "personer"))
            elif isinstance(v, (list, tuple)):
                cells.append(f"<td>{esc(', '.join(map(str, v)))}</td>")
            elif v is None or (not isinstance(v, str) and pd.isna(v)):
                cells.append("<td>–</td>")
            else:
                cells.append(f"<td>{_breakable(str(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cls = f"kd-table {css}".strip()
    return HTML(f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>')


def members_indicator_table(rows: pd.DataFrame, names: dict[str, str], per_table: int = 5) -> HTML:
    """Health indicators of member municipalities side by side: one row per indicator, one column per member
    (``names``: code -> the name shown, e.g. "København (hele kommunen)"), then the region, Denmark and the year.

    A unit of many members gets several tables of at most ``per_table`` members each (the rows repeated), set
    compactly: one table of ten members and the region and country does not fit an A4 page, not even turned.

    Example
    -------
    >>> CONSTRUCTED = pd.DataFrame({"entity_id": ["0101"], "figure_id": ["x"], "label_da": ["X"], "unit": ["%"],
    ...                             "value": [1.5], "region_value": [2.0], "country_value": [2.5], "period": ["2024"]})
    >>> members_indicator_table(CONSTRUCTED, {"0101": "København (hele kommunen)"}).data.count("<table")
    1
    """
    rows = bare(rows)
    if rows.empty:
        return note_da("Der er ingen sundhedsindikatorer for medlemskommunerne.")
    codes = [c for c in names if c in set(rows["entity_id"].astype(str))]
    parts = max(1, -(-len(codes) // per_table))
    size = max(1, -(-len(codes) // parts))
    groups = [codes[i:i + size] for i in range(0, len(codes), size)] or [[]]
    css = "kd-table kd-members-indicators" + (" kd-fixed" if parts > 1 else "")
    return HTML("".join(f'<table class="{css}">{_members_indicator_rows(rows, names, group)}</table>'
                        for group in groups))


def _members_indicator_rows(rows: pd.DataFrame, names: dict[str, str], codes: list[str]) -> str:
    """The head and body of one table of :func:`members_indicator_table` (the members ``codes``)."""
    head = "<th>Nøgletal</th>" + "".join(f"<th>{esc(names[c])}</th>" for c in codes) + \
        "<th>Regionen</th><th>Hele landet</th><th>År</th>"
    body = []
    for fid, grp in rows.groupby("figure_id", sort=False):
        first = grp.iloc[0]
        unit = str(first.get("unit", ""))
        dec = _decimals(str(fid), unit)
        label = str(first["label_da"]) + (f" ({unit})" if unit and unit not in str(first["label_da"]) else "")
        by = grp.set_index(grp["entity_id"].astype(str))
        cells = []
        for c in codes:
            r = by.loc[c] if c in by.index else None
            text = "–" if r is None else value_text(r["value"], unit, dec, r.get("display"), r.get("suppressed", False))
            cells.append(_num_td(text, str(fid), unit))
        body.append(f"<tr><td>{esc(label)}</td>{''.join(cells)}"
                    + _num_td(value_text(first.get("region_value"), unit, dec), str(fid), unit)
                    + _num_td(value_text(first.get("country_value"), unit, dec), str(fid), unit)
                    + f"<td>{esc(period_text_da(first['period'], stock=True))}</td></tr>")
    return f'<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody>'


def _breakable(text: str) -> str:
    """Escaped text that may wrap after a slash ("hospitals-/virksomheds-/afdelingsdirektører" would otherwise
    make its column, and the table, wider than the page).

    Example
    -------
    >>> _breakable("a/b & c")
    'a/<wbr>b &amp; c'
    """
    return esc(text).replace("/", "/<wbr>")


def bullet_list(sentences: Iterable[str]) -> HTML:
    """A Danish bullet list (used for the generated summary text)."""
    items = "".join(f"<li>{esc(s)}</li>" for s in sentences)
    return HTML(f'<ul class="kd-summary">{items}</ul>')


def footer(lines: Iterable[str]) -> HTML:
    """Provenance footer: one line per source/fact."""
    items = "".join(f"<li>{esc(s)}</li>" for s in lines)
    return HTML(f'<div class="kd-footer"><strong>Kilder og dokumentation</strong><ul>{items}</ul></div>')
