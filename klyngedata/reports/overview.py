"""National overview: every unit of a division side by side on one self-contained HTML page (and PDF).

``klyngedata overview --division sundhedsklynger-2022 --out reports`` writes ``oversigt-<division>.html``:

* a key-figure table with one row per unit (every unit is named; a unit whose figures cannot be computed
  says why), linking to the unit's own reports (``<unit>-befolkningsdashboard.html`` and
  ``<unit>-noegletalsrapport.html`` in the same folder, as ``klyngedata report`` names them);
* a heat map of the figures x units, each cell coloured by the unit's outcome against the whole country
  (better / similar / worse, or higher / similar / lower for figures without a good direction; the colours
  of :mod:`klyngedata.spine`), with the value written in the cell;
* a choropleth of one chosen figure by unit (:func:`klyngedata.geo.choropleth`);
* a CSV download behind every table and chart (:mod:`klyngedata.reports.download`);
* how outcomes are computed, and the sources.

plotly.js is embedded once (the page opens offline). Nothing here computes figures: the numbers come from
:func:`klyngedata.division_figures.division_key_figures` and :func:`klyngedata.indicators.indicator_figures`.

Example
-------
Needs population data imported into the data directory; not run as a doctest.
>>> write_overview("sundhedsklynger-2022", "reports", data_dir="/tmp/kd")  # doctest: +SKIP
PosixPath('reports/oversigt-sundhedsklynger-2022.html')
"""

from __future__ import annotations

import html as _html
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from klyngedata import clock
from klyngedata.exceptions import KlyngedataError, ReportError
from klyngedata.registry.words import words
from klyngedata.reports.coverage import lost_sections, lost_sections_text, page_sections, section_meta
from klyngedata.reports.download import download_link, safe_filename
from klyngedata.vocabulary import period_text_da

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_FIGURES", "overview_html", "write_overview"]

esc = _html.escape

DEFAULT_FIGURES = ("population", "growth_1y_pct", "growth_5y_pct", "share_65_plus", "share_80_plus",
                   "old_age_dependency", "median_age")
"""Population key figures in the overview's table (those the data allow)."""
HEAT_POPULATION = ("share_0_17", "share_65_plus", "share_80_plus", "old_age_dependency")
"""Population figures added to the heat map when they can be computed (they have intervals)."""
MAP_DEFAULTS = ("share_65_plus", "growth_1y_pct", "population")
REPORT_NOTEBOOKS = (("befolkningsdashboard", "Befolkningsdashboard"), ("noegletalsrapport", "Nøgletalsrapport"))
_OUTCOME_CODE = {"missing": 0, "not_compared": 1, "worse": 2, "lower": 3, "similar": 4, "higher": 5, "better": 6}

PAGE_CSS = """
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; margin: 24px 32px; color: #24292f;
       max-width: 1500px; }
h1 { font-size: 1.7em; margin-bottom: 4px; } h2 { margin-top: 34px; font-size: 1.3em; }
.kd-lead { color: #57606a; margin-top: 0; }
table.kd-table th, table.kd-table td { border-bottom: 1px solid #d0d7de; padding: 4px 10px; text-align: left;
       vertical-align: top; }
table.kd-table td.kd-num { text-align: right; font-variant-numeric: tabular-nums; }
table.kd-table th { background: #f6f8fa; }
.kd-download a { font-size: 0.88em; color: #0969da; }
.kd-methods { font-size: 0.9em; color: #57606a; }
.kd-heat-legend { font-size: 0.8em; margin: 4px 0 6px 0; }
#kd-map g.textpoint text { paint-order: stroke; stroke: #ffffff; stroke-width: 3px; stroke-linejoin: round; }
.kd-legend-item { display: inline-block; margin-right: 14px; white-space: nowrap; }
.kd-swatch { display: inline-block; min-width: 26px; height: 1.2em; line-height: 1.2em; padding: 0 3px;
             margin-right: 4px; text-align: center; vertical-align: middle; border: 1px solid #8c959f;
             font-size: 0.9em; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  .kd-download, .kd-screen-only { display: none !important; } .modebar { display: none !important; }
  a, a:visited { color: inherit !important; text-decoration: none !important; }
  h2 { break-after: avoid; margin-top: 0.6em; } .kd-chart { break-inside: avoid; }
  .kd-page { break-before: page; }
  .kd-heat p, .kd-map-section p { margin: 2px 0 4px 0; }
}
"""

PRINT_WIDTH_LANDSCAPE_PX = 1000
"""Width of the charts on paper (A4 landscape text area, about 267 mm at 96 dpi)."""


def _print_css_js() -> tuple[str, str]:
    """The page's paper format (A4 landscape: the heat map has a column per unit) and the chart resizing the
    PDF printer calls before printing (:mod:`klyngedata.reports.pdf`)."""
    from klyngedata.reports.html import PAGE_MARGINS_MM

    margin = " ".join(f"{m:g}mm" for m in PAGE_MARGINS_MM)
    css = f"@page {{ size: A4 landscape; margin: {margin}; }}"
    js = ("window.klyngedataPrint = { prepare: function () { if (!window.Plotly) { return Promise.resolve(); }"
          " return Promise.all(Array.prototype.slice.call(document.querySelectorAll('.plotly-graph-div'))"
          f".map(function (g) {{ return Plotly.relayout(g, {{width: {PRINT_WIDTH_LANDSCAPE_PX}}}); }})); }} }};")
    return css, js


def _unit_label(row: Any) -> str:
    region = str(row.region_name or "").replace("Region ", "")
    short = str(row.short_name or row.name)
    return f"{short} ({region})" if region else short


def _technical(exc: BaseException) -> None:
    log.warning("overview: %s: %s", type(exc).__name__, exc)


def _note(text: str) -> str:
    return f'<div class="kd-note"><strong>Bemærk:</strong> {esc(text)}</div>'


def _fig_html(fig: Any, div_id: str) -> str:
    import plotly.io as pio

    from klyngedata.reports.html import PLOTLY_CONFIG

    return pio.to_html(fig, full_html=False, include_plotlyjs=False, config=PLOTLY_CONFIG, div_id=div_id)


_IND_NOTE = "Sundhedsindikatorerne kan ikke vises, fordi indikatordata ikke er tilgængelige."


def _load(division: str, period: Any, data_dir: Any) -> tuple[pd.DataFrame | None, pd.DataFrame | None,
                                                              list[str]]:
    from klyngedata.division_figures import division_key_figures
    from klyngedata.indicators import indicator_figures

    notes: list[str] = []
    try:
        kf = division_key_figures(division, period, data_dir)
    except (KlyngedataError, ImportError) as exc:
        _technical(exc)
        kf = None
        notes.append("Befolkningstallene kan ikke vises, fordi de nødvendige data ikke er tilgængelige.")
    try:
        ind = indicator_figures(level="cluster", division=division, data_dir=data_dir)
    except (KlyngedataError, ImportError) as exc:
        _technical(exc)
        ind = None
        notes.append(_IND_NOTE)
    return kf, ind, notes


def _key_table(units: pd.DataFrame, kf: pd.DataFrame | None, reports: bool,
               unit_word: str = "Enhed") -> tuple[str, pd.DataFrame]:

    ids = [f for f in DEFAULT_FIGURES if kf is not None and f in set(kf["figure_id"])]
    labels = {}
    for f in ids:
        r = kf[kf["figure_id"] == f].iloc[0]
        labels[f] = str(r["label_da"]) + (" (%)" if r["unit"] == "%" and "%" not in str(r["label_da"]) else "")
    reasons = {}
    if kf is not None:
        for m in kf.attrs.get("missing", []):
            if m.get("figure_id") == "population":
                reasons[m["entity_id"]] = m["reason_da"]
    head = "".join(f"<th>{esc(h)}</th>" for h in [unit_word, "Region", *labels.values()]) + (
        '<th class="kd-screen-only">Rapporter</th>' if reports else "")
    body, csv_rows, notes = [], [], []
    for u in units.itertuples(index=False):
        rows = kf[kf["entity_id"] == u.cluster_id].set_index("figure_id") if kf is not None else pd.DataFrame()
        cells, rec = [], {unit_word: u.name, "Region": u.region_name}
        for f in ids:
            if f in rows.index and pd.notna(rows.loc[f, "value"]):
                text = str(rows.loc[f, "display"])
                cells.append(f'<td class="kd-num" data-figure-id="{esc(f)}">{esc(text)}</td>')
                rec[labels[f]] = float(rows.loc[f, "value"])
            else:
                cells.append("<td>–</td>")
                rec[labels[f]] = None
        name = esc(str(u.name))
        if u.cluster_id in reasons:
            notes.append(f"{u.name}: {reasons[u.cluster_id]}.")
            name += "<sup>*</sup>"
        links = ""
        if reports:
            links = '<td class="kd-screen-only">' + " · ".join(f'<a href="{esc(u.cluster_id)}-{nb}.html">{esc(t)}</a>'
                                        for nb, t in REPORT_NOTEBOOKS) + "</td>"
        body.append(f'<tr data-unit="{esc(u.cluster_id)}"><td>{name}</td><td>{esc(str(u.region_name))}</td>'
                    f'{"".join(cells)}{links}</tr>')
        csv_rows.append(rec)
    period = ""
    if kf is not None and kf.attrs.get("period"):
        period = f"<caption>Befolkningstal pr. {esc(period_text_da(kf.attrs['period'], stock=True))}</caption>"
    table = (f'<table class="kd-table kd-overview-table">{period}<thead><tr>{head}</tr></thead>'
             f'<tbody>{"".join(body)}</tbody></table>')
    if notes:
        table += "".join(f'<p class="kd-caption"><sup>*</sup> {esc(n)}</p>' for n in dict.fromkeys(notes))
    return table, pd.DataFrame(csv_rows)


def _heat_rows(units: pd.DataFrame, kf: pd.DataFrame | None, ind: pd.DataFrame | None) -> pd.DataFrame:
    parts = []
    if ind is not None:
        from klyngedata.indicators import headline_rows

        parts.append(headline_rows(ind))  # one row per unit and figure (strata by sex or age are not cells)
    if kf is not None:
        parts.append(kf[kf["figure_id"].isin(HEAT_POPULATION)])
    if not parts:
        return pd.DataFrame()
    rows = pd.concat(parts, ignore_index=True)
    return rows[rows["entity_id"].isin(set(units["cluster_id"]))]


HEAT_COLOURS = {"better": "#66C2A5", "similar": "#FFF2AE", "worse": "#B2182B", "higher": "#2166AC",
                "lower": "#F4A582", "not_compared": "#FFFFFF", "missing": "#D9D9D9"}
"""Heat-map classes: colour-blind safe and apart in greyscale (worse dark, better mid-light, similar pale); the
cells also carry ▲/▼ for a difference the page names, so a greyscale print keeps the direction."""
_DARK = {"worse", "higher"}


def _heat_map(units: pd.DataFrame, rows: pd.DataFrame, title: str,
              names: dict[str, str]) -> tuple[Any, pd.DataFrame]:
    """The heat map (figures x units) drawn for one A4 landscape page, every column named (``names``: short
    unit names); cells coloured by the outcome the page names (significant *and* at least the figure's threshold
    of relevance, :func:`klyngedata.outcomes.shown_outcome`), with ▲/▼ when a difference is named."""
    import plotly.graph_objects as go

    from klyngedata.figures import SEPARATORS, format_number
    from klyngedata.outcomes import shown_outcome
    from klyngedata.spine import OUTCOME_LABELS_DA, _decimals

    pol = rows.drop_duplicates("figure_id").set_index("figure_id")["polarity"].astype(str) \
        if "polarity" in rows.columns else pd.Series(dtype=str)
    fids = sorted(dict.fromkeys(rows["figure_id"]), key=lambda f: pol.get(f, "neutral") == "neutral")
    labels = [str(rows.loc[rows["figure_id"] == f, "label_da"].iloc[0]) for f in fids]
    cols = [names.get(u, n) for u, n in zip(units["cluster_id"], units["name"], strict=True)]
    order = ["missing", "not_compared", "worse", "lower", "similar", "higher", "better"]
    z = np.zeros((len(fids), len(units)))
    text = [["–"] * len(units) for _ in fids]
    hover = [[""] * len(units) for _ in fids]
    colour_of = [["#000000"] * len(units) for _ in fids]
    csv = []
    for i, f in enumerate(fids):
        part = rows[rows["figure_id"] == f].set_index("entity_id")
        unit_ = str(part["unit"].iloc[0]) if "unit" in part.columns and len(part) else ""
        dec = _decimals(f, unit_)
        for j, u in enumerate(units.itertuples(index=False)):
            if u.cluster_id not in part.index:
                z[i, j] = order.index("missing")
                hover[i][j] = f"{u.name}<br>{labels[i]}: ingen værdi"
                continue
            r = part.loc[u.cluster_id]
            value = pd.to_numeric(pd.Series([r["value"]]), errors="coerce").iloc[0]
            outcome = shown_outcome(r.get("vs_country", "not_compared"), value, r.get("country_value"), f) \
                if pd.notna(value) else "missing"
            z[i, j] = order.index(outcome if outcome in order else "not_compared")
            shown = str(r.get("display")) if r.get("suppressed") and pd.notna(r.get("display")) \
                else format_number(value, dec)
            arrow = ""
            if outcome in ("better", "worse", "higher", "lower") and pd.notna(r.get("country_value")):
                arrow = " ▲" if float(value) > float(r.get("country_value")) else " ▼"
            text[i][j] = (shown if pd.notna(value) or r.get("suppressed") else "–") + arrow
            colour_of[i][j] = "#FFFFFF" if outcome in _DARK else "#1f2328"
            bench = format_number(r.get("country_value"), dec)
            verdict = OUTCOME_LABELS_DA.get(outcome, "Ingen værdi")
            trend = f"<br>Udvikling: {r.get('trend_da')}" if pd.notna(r.get("trend_da")) else ""
            hover[i][j] = f"<b>{u.name}</b><br>{labels[i]}: {text[i][j]}<br>Hele landet: {bench}<br>{verdict}{trend}"
            csv.append({"Navn": u.name, "Nøgletal": labels[i], "Enhed for tallet": r.get("unit", ""),
                        "Værdi": None if pd.isna(value) else float(value), "Vist som": text[i][j].rstrip(" ▲▼"),
                        "Hele landet": r.get("country_value"), "Vurdering": verdict,
                        "Udvikling": r.get("trend_da", ""), "Periode": str(r.get("period", ""))})
    n = len(order)
    scale = []
    for k, o in enumerate(order):
        scale += [[k / n, HEAT_COLOURS[o]], [(k + 1) / n, HEAT_COLOURS[o]]]
    fig = go.Figure(go.Heatmap(z=z, x=list(range(len(cols))), y=labels, zmin=-0.5, zmax=n - 0.5, colorscale=scale,
                               showscale=False, hovertext=hover, hoverinfo="text", xgap=2, ygap=2))
    xs, ys, ts, cs = [], [], [], []
    for i in range(len(fids)):
        for j in range(len(cols)):
            xs.append(j)
            ys.append(labels[i])
            ts.append(text[i][j])
            cs.append(colour_of[i][j])
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="text", text=ts, textfont={"size": 9, "color": cs},
                             hoverinfo="skip", showlegend=False))
    row_px = 24
    label_px = 12 + 5.6 * max(len(c) for c in cols) * 0.87  # names at -60°
    fig.update_layout(title=None, template="plotly_white", separators=SEPARATORS,
                      height=int(row_px * len(fids) + label_px + 20), width=PRINT_WIDTH_LANDSCAPE_PX,
                      margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      xaxis={"side": "bottom", "tickangle": -60, "showgrid": False, "tickmode": "array",
                             "tickvals": list(range(len(cols))), "ticktext": cols, "automargin": True,
                             "tickfont": {"size": 10}, "fixedrange": True},
                      yaxis={"autorange": "reversed", "automargin": True, "showgrid": False, "tickfont": {"size": 10},
                             "fixedrange": True},
                      plot_bgcolor="#ffffff", hoverlabel={"namelength": -1}, showlegend=False)
    return fig, pd.DataFrame(csv)


def _heat_legend(word: str) -> str:
    """The heat map's legend as text beside colour swatches (it prints in greyscale too)."""
    from klyngedata.spine import OUTCOME_LABELS_DA

    items = []
    for o in ("better", "similar", "worse", "higher", "lower", "not_compared", "missing"):
        label = OUTCOME_LABELS_DA.get(o, "Ingen værdi")
        sample = {"better": "▲/▼", "worse": "▲/▼", "higher": "▲", "lower": "▼"}.get(o, "")
        colour = "#FFFFFF" if o in _DARK else "#1f2328"
        items.append(f'<span class="kd-legend-item"><span class="kd-swatch" style="background:{HEAT_COLOURS[o]};'
                     f'color:{colour}">{sample or "&nbsp;"}</span>{esc(label)}</span>')
    return f'<div class="kd-heat-legend">{"".join(items)}</div>'


def _thresholds(figure_ids: list[str]) -> str:
    from klyngedata.reports.about import _thresholds as table

    return table(figure_ids)


def _map_section(figure_id: str | None, kf: pd.DataFrame | None, ind: pd.DataFrame | None, units: pd.DataFrame,
                 division: str, data_dir: Any) -> list[str]:
    """The map of one figure by unit, with the units named (or a note why it cannot be drawn); a figure asked for
    by name that has no values: :class:`~klyngedata.exceptions.ReportError` (no page)."""
    picked = _pick_map_figure(figure_id, kf, ind)
    if picked is None:
        return []
    fid, mrows = picked
    mrows = mrows[mrows["entity_id"].isin(set(units["cluster_id"]))]
    if "sex" in mrows.columns:
        from klyngedata.indicators import headline_rows

        mrows = headline_rows(mrows)
    label, unit = str(mrows["label_da"].iloc[0]), str(mrows["unit"].iloc[0])
    try:
        from klyngedata.geo import choropleth
        from klyngedata.spine import _decimals

        pol = str(mrows["polarity"].iloc[0]) if "polarity" in mrows.columns else "neutral"
        fig = choropleth(mrows, "value", "cluster", label + (f" ({unit})" if unit and unit not in label else ""),
                         division=division, data_dir=data_dir, reverse=pol == "low_is_good",
                         decimals=_decimals(fid, unit), unit_da=unit, title="", names=True)
        fig.update_layout(height=560, title=None, margin={"t": 40})  # the heading above names the map
    except (KlyngedataError, ImportError) as exc:
        _technical(exc)
        return [_note("Kortet kan ikke vises, fordi kommunegrænserne ikke er tilgængelige.")]
    csv = mrows[["entity_name", "value", "display", "period"]].rename(columns={
        "entity_name": "Navn", "value": label, "display": "Vist som", "period": "Periode"})
    return [f'<div class="kd-chart kd-map-section kd-page"><h2>Kort: {esc(label)}</h2>{_fig_html(fig, "kd-map")}'
            "</div>", download_link(csv, f"kort-{safe_filename(label)}.csv")]


def _check_figure(figure_id: str) -> None:
    """An ``--figure`` that is no figure id of the catalogue is refused before anything is computed."""
    from klyngedata import catalogue
    from klyngedata.exceptions import ArgumentError, LookupFailed

    try:
        catalogue.figure(figure_id)
    except LookupFailed as exc:
        raise ArgumentError(f"--figure {figure_id!r}: {exc}; see `klyngedata.catalogue.figure_ids()` for the ids"
                            ) from None


def _pick_map_figure(figure_id: str | None, kf: pd.DataFrame | None,
                     ind: pd.DataFrame | None) -> tuple[str, pd.DataFrame] | None:
    tables = [t for t in (kf, ind) if t is not None]
    if figure_id:
        for t in tables:
            rows = t[t["figure_id"] == figure_id]
            if len(rows):
                return figure_id, rows
        raise ReportError(f"--figure {figure_id!r} has no values for the units of the division in the data, so "
                          "the overview is not written (a previous one is kept)")
    for f in MAP_DEFAULTS:
        for t in tables:
            rows = t[t["figure_id"] == f]
            if rows["value"].notna().sum() >= 2:
                return f, rows
    return None


def _sources(kf: pd.DataFrame | None, ind: pd.DataFrame | None, data_dir: Any = None) -> list[str]:
    """Danish source lines (publisher, table, periods in words; no file names)."""
    from klyngedata import catalogue

    out: list[str] = []
    for p in (kf.attrs.get("provenance") or []) if kf is not None else []:
        periods = p.get("periods") or []
        span = ""
        if isinstance(periods, (list, tuple)) and periods:
            first, last = period_text_da(periods[0]), period_text_da(periods[-1])
            span = f", {first}–{last}" if first != last else f", {first}"
        out.append(f"Befolkning: Danmarks Statistik, {p.get('table') or 'befolkningstabel'}{span}")
    if ind is not None:
        for fid in dict.fromkeys(ind["figure_id"]):
            try:
                src = catalogue.figure(fid).source_da
            except KlyngedataError:
                continue
            if src:
                out.append(src)
    out.append("Klynger, sundhedsråd og medlemskommuner: de kilder, der står i hver enheds nøgletalsrapport")
    out.append(f"Kommunegrænser: Danmarks Administrative Geografiske Inddeling (DAGI), {_vintage(data_dir)}")
    return list(dict.fromkeys(out))


def _vintage(data_dir: Any) -> str:
    from klyngedata.cache import Cache
    from klyngedata.geo.vintages import vintage_da

    try:
        return vintage_da(Cache(data_dir).meta("boundaries/kommune"))
    except Exception as exc:  # noqa: BLE001 - a source line must not break the page
        _technical(exc)
        return "grænsernes årgang er ikke oplyst"


def overview_html(division: str | None = None, *, figure_id: str | None = None, period: object = "latest",
                  data_dir: str | os.PathLike[str] | None = None, reports: bool = True,
                  shared_assets: bool = False) -> str:
    """The overview page as HTML text (see the module docstring).

    Example
    -------
    Needs population data imported into the data directory; not run as a doctest.
    >>> html = overview_html("sundhedsklynger-2022", data_dir="/tmp/kd")  # doctest: +SKIP
    """
    return _build(division, figure_id, period, data_dir, reports, shared_assets)[0]


def _build(division: str | None, figure_id: str | None, period: object, data_dir: Any, reports: bool,
           shared_assets: bool) -> tuple[str, str | None, dict[str, str]]:
    """(page HTML, population period of the page, its sections: ``""`` shown with data, else the note)."""
    from klyngedata import registry
    from klyngedata.formatting import datetime_da
    from klyngedata.reports.blocks import CSS
    from klyngedata.reports.html import PLOTLY_ASSET_NAME, plotly_js, plotly_locale_js

    division = registry.resolve_division(division)
    if figure_id:
        _check_figure(figure_id)
    generated = clock.now()
    div_name = _division_name(division)
    units = registry.clusters(division=division).sort_values(["region_name", "name"], kind="stable")
    kf, ind, notes = _load(division, period, data_dir)
    w = words(division)
    plural = w.plural_definite  # "klyngerne", "rådene" (klyngedata.registry.words)
    parts = [f"<h1>Oversigt: {esc(div_name)}</h1>",
             f'<p class="kd-lead">Alle {len(units)} {esc(w.units)} side om side. Dannet '
             f"{esc(datetime_da(generated))}.</p>"]
    parts += [_note(n) for n in notes]
    if kf is not None and kf.attrs.get("benchmark_note_da"):
        parts.append(_note(str(kf.attrs["benchmark_note_da"])))
    table, table_csv = _key_table(units, kf, reports, w.unit.capitalize())
    parts += [f"<h2>Nøgletal for {esc(plural)}</h2>", table, download_link(table_csv, f"noegletal-{division}.csv")]
    rows = _heat_rows(units, kf, ind)
    sections = {"noegletal": "" if kf is not None else notes[0],
                "sundhedsindikatorer": "" if ind is not None and len(ind) else _IND_NOTE,
                "varmekort": "" if not rows.empty else "ingen nøgletal med sammenligning",
                "kort": "ingen nøgletal til kortet"}
    if rows.empty:
        parts.append(_note("Varmekortet kan ikke vises, fordi der ikke er nøgletal med sammenligning."))
    else:
        from klyngedata.reports.unit_data import _short_names

        fig, heat_csv = _heat_map(units, rows, "", _short_names(division))
        parts += [f'<div class="kd-chart kd-heat kd-page"><h2>Varmekort: {esc(plural)} sammenlignet med hele '
                  "landet</h2>",
                  "<p>Hver celle er værdien. Farven og ▲/▼ viser en forskel fra hele landet, når den både er "
                  "statistisk sikker og større end grænsen for nøgletallet (se »Sådan læses sammenligningerne«). "
                  "Hvid: tallet sammenlignes ikke statistisk (spørgeskemaandele uden antal svarpersoner).</p>",
                  _heat_legend(w.unit), f'{_fig_html(fig, "kd-heatmap")}</div>',
                  download_link(heat_csv, f"varmekort-{division}.csv")]
    shown = _map_section(figure_id, kf, ind, units, division, data_dir)
    if shown:
        sections["kort"] = "" if any("kd-map" in p for p in shown) else "kommunegrænserne er ikke tilgængelige"
    parts += shown
    parts.append(
        '<div class="kd-page"><h2>Sådan læses sammenligningerne</h2><div class="kd-methods"><p>'
        + esc(w.fill("En værdi kaldes bedre eller dårligere (for tal uden en god retning: højere eller lavere) end "
                     "hele landet, når to ting gælder: forskellen er statistisk sikker – landets værdi ligger uden for "
                     "{klyngens} 95 %-konfidensinterval, beregnet af tæller og nævner (Wilsons metode for andele, et "
                     "eksakt Poisson-interval for rater) – og den er mindst så stor som grænsen for nøgletallet "
                     "nedenfor. Registertal dækker hele befolkningen, så næsten enhver forskel er statistisk sikker; "
                     "grænserne skiller de forskelle fra, der er for små til at betyde noget for planlægningen. De "
                     "er fastsat til det brug og er ikke en officiel norm. Tal, der bygger på færre end 5 personer, "
                     "vises ikke.")) + "</p>" + (_thresholds(list(dict.fromkeys(rows["figure_id"])))
                                                 if not rows.empty else "") + "</div>")
    sources = _sources(kf, ind, data_dir)
    if sources:
        items = "".join(f"<li>{esc(s)}</li>" for s in sources)
        parts.append(f'<div class="kd-footer"><strong>Kilder</strong><ul>{items}</ul></div>')
    parts.append("</div>")
    plotly = (f'<script src="{PLOTLY_ASSET_NAME}"></script>' if shared_assets
              else f"<script>{plotly_js()}</script>")
    title = f"Oversigt: {div_name}"
    page_period = str(kf.attrs["period"]) if kf is not None and kf.attrs.get("period") else None
    print_css, print_js = _print_css_js()
    return ("<!DOCTYPE html>\n<html lang=\"da\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">{section_meta(sections)}"
            f"<title>{esc(title)}</title>"
            f"<style>{CSS}{PAGE_CSS}{print_css}</style>{plotly}<script>{plotly_locale_js()}</script>"
            f"<script>{print_js}</script></head>"
            f"<body>{''.join(parts)}</body></html>\n"), page_period, sections


def write_overview(division: str | None = None, out: str | os.PathLike[str] = "reports", *,
                   figure_id: str | None = None, period: object = "latest",
                   data_dir: str | os.PathLike[str] | None = None, pdf: bool = False,
                   shared_assets: bool = False) -> Path:
    """Write ``<out>/oversigt-<division>.html`` (and ``.pdf`` with ``pdf=True``); returns the HTML path.

    Example: see the module docstring.
    """
    from klyngedata import registry
    from klyngedata.reports.html import atomic_write_text, write_plotly_asset

    division = registry.resolve_division(division)
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    page, page_period, sections = _build(division, figure_id, period, data_dir, True, shared_assets)
    path = target / f"oversigt-{division}.html"
    lost = lost_sections(page_sections(path), sections)
    if lost:  # an overview that would lose a section the previous one had is not written
        raise ReportError(f"overview of {division}: {lost_sections_text(lost)}")
    if shared_assets:
        write_plotly_asset(target)
    path = atomic_write_text(path, page)
    if pdf:
        _print_pdf(path, division, page_period)
    return path


def _division_name(division: str) -> str:
    from klyngedata import registry

    divisions = registry.divisions().set_index("division")
    return str(divisions.loc[division, "name"]) if division in divisions.index else division


def _print_pdf(path: Path, division: str, period: str | None) -> Path:
    """Print the page to an A4 PDF beside it with the reports' printer (headless Chromium)."""
    from klyngedata.formatting import datetime_da
    from klyngedata.reports.pdf import PrintHeader, html_to_pdf

    header = PrintHeader(_division_name(division), "Oversigt", period_text_da(period, stock=True) if period else "",
                         datetime_da(clock.now()))
    return html_to_pdf(path, header=header)
