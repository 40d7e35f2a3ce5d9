"""Spine chart ("barometer"): a unit's figures against the spread of all units of its division and Denmark.

One row per figure (as in the English Fingertips profiles and FHI's barometer): a light grey bar spans the
lowest to the highest value among the units of the division, a darker bar the middle half (25th–75th
percentile), the vertical centre line is the value for the whole country, and the unit's own value is a
dot coloured by its outcome against the country (:mod:`klyngedata.stats.compare`). Each row is scaled so
that Denmark sits in the middle and the unit and the spread fit. Figures with a polarity come first, under a
header "← dårligere … bedre →": *better is always to the right* (the axis of a "lower is better" figure is
flipped); figures without a good direction follow under their own header "← lavere … højere →" and are
coloured blue (higher) or orange (lower). A dot names a difference only when it is significant and at least
the figure's threshold of relevance (:mod:`klyngedata.relevance`), as the report's sentences do.

Colours (Okabe–Ito, readable with colour-vision deficiencies; the outcome is also written out in words in each
row's label – value, the country's value, outcome – and in the hover text, and each outcome has its own marker
for greyscale prints): better ``#009E73``, similar ``#F0E442``, worse ``#D55E00``, higher ``#0072B2``, lower
``#E69F00``, not compared white.

Input: a key-figure table (schema in ARCHITECTURE.md) holding the rows of *every* unit of the division for
the figures to show, with ``polarity``, ``vs_country`` and ``country_value`` (as from
:func:`klyngedata.indicators.indicator_figures` with ``level="cluster"``).

Example
-------
>>> import pandas as pd
>>> CONSTRUCTED = pd.DataFrame({"entity_id": ["a", "b", "c"], "entity_name": ["A", "B", "C"],
...     "figure_id": "x", "label_da": "Daglig rygning", "unit": "%", "value": [10.0, 12.0, 15.0],
...     "country_value": 11.0, "polarity": "low_is_good", "vs_country": ["better", "similar", "worse"]})
>>> row = spine_data(CONSTRUCTED, "a").iloc[0]
>>> row["label_da"], float(row["min"]), float(row["max"]), row["outcome_da"]
('Daglig rygning', 10.0, 15.0, 'bedre')
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from klyngedata.exceptions import DataNotAvailable
from klyngedata.figures import SEPARATORS, format_number, set_template
from klyngedata.formatting import figure_number

__all__ = ["OUTCOME_COLORS", "OUTCOME_LABELS_DA", "spine_chart", "spine_data"]

OUTCOME_COLORS = {
    "better": "#009E73", "similar": "#F0E442", "worse": "#D55E00",
    "higher": "#0072B2", "lower": "#E69F00", "not_compared": "#FFFFFF",
}
"""Colour of each outcome (Okabe–Ito palette; blue/orange for figures without a good direction)."""

OUTCOME_LABELS_DA = {
    "better": "Bedre end landet", "similar": "På niveau med landet", "worse": "Dårligere end landet",
    "higher": "Højere end landet", "lower": "Lavere end landet", "not_compared": "Ikke sammenlignet",
}
_SHORT_DA = {"better": "bedre", "similar": "på niveau", "worse": "dårligere", "higher": "højere",
             "lower": "lavere", "not_compared": "ikke sammenlignet"}
_RANGE = "#e4e7eb"
_IQR = "#aeb6bf"


def _decimals(figure_id: str, unit: str) -> int:
    try:
        from klyngedata import catalogue

        return catalogue.figure(figure_id).decimals
    except Exception:  # noqa: BLE001 - a figure outside the catalogue gets a sensible default
        return 0 if unit == "personer" else 1


def _hidden(row: pd.Series) -> bool:
    v = row.get("suppressed", False)
    return bool(v) if v is not None and not (isinstance(v, float) and np.isnan(v)) and v is not pd.NA else False


_SPINE_COLUMNS = ("entity_id", "figure_id", "value", "suppressed", "unit", "label_da", "period", "display",
                  "ci95_low", "ci95_high", "polarity", "trend_da")
"""The columns :func:`spine_data` reads (besides the benchmark's value and outcome)."""


def spine_data(table: pd.DataFrame, unit_id: str, *, benchmark: str = "country",
               figure_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """The numbers a spine chart of ``unit_id`` shows, one row per figure (also what its CSV download holds).

    Columns: ``figure_id, label_da, unit, period, value, display, ci95_low, ci95_high, country_value,
    n_units, min, q25, q75, max, polarity, outcome, outcome_da, trend_da``. The spread is taken over the
    units with a shown value (suppressed and missing values are left out of it). ``outcome`` is the one a report
    names (:func:`klyngedata.outcomes.shown_outcome`: significant and at least the threshold of relevance).

    Example: see the module docstring.
    """
    from klyngedata.outcomes import shown_outcome

    need = ["entity_id", "figure_id", "value", f"{benchmark}_value", "polarity", f"vs_{benchmark}"]
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise DataNotAvailable(f"spine chart: the table lacks column(s) {missing}")
    rows = []
    ids = list(figure_ids) if figure_ids is not None else list(dict.fromkeys(table["figure_id"]))
    narrow = table[[c for c in table.columns if c in _SPINE_COLUMNS or c in need]]
    at = narrow.groupby("figure_id", sort=False, dropna=True).indices  # one pass, not a selection per figure
    entity = narrow["entity_id"].astype(str).to_numpy()
    number = pd.to_numeric(narrow["value"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    hidden = (narrow["suppressed"].astype("boolean").fillna(False).astype(bool).to_numpy()
              if "suppressed" in narrow.columns else np.zeros(len(narrow), bool))
    for fid in ids:
        pos = at.get(fid)
        own = pos[entity[pos] == str(unit_id)] if pos is not None else ()
        if not len(own):
            continue
        r = narrow.iloc[own[0]]
        vals = number[pos[~hidden[pos]]]
        vals = vals[~np.isnan(vals)]  # the spread: the units with a shown value
        unit = str(r.get("unit", ""))
        value = float(pd.to_numeric(pd.Series([r["value"]]), errors="coerce").astype(float).iloc[0])
        bench = float(pd.to_numeric(pd.Series([r[f"{benchmark}_value"]]), errors="coerce").astype(float).iloc[0])
        outcome = shown_outcome(r.get(f"vs_{benchmark}", "not_compared"), value, bench, fid)
        rows.append({
            "figure_id": fid, "label_da": str(r.get("label_da", fid)), "unit": unit,
            "period": r.get("period", ""), "value": value,
            "display": (str(r.get("display")) if _hidden(r) and pd.notna(r.get("display"))
                        else figure_number(value, _decimals(fid, unit)) if np.isfinite(value) else "–"),
            "ci95_low": float(r.get("ci95_low", np.nan)), "ci95_high": float(r.get("ci95_high", np.nan)),
            "country_value": bench,
            "n_units": len(vals), "min": vals.min() if len(vals) else np.nan,
            "q25": np.percentile(vals, 25.0) if len(vals) else np.nan,  # as pandas' Series.quantile(0.25)
            "q75": np.percentile(vals, 75.0) if len(vals) else np.nan,
            "max": vals.max() if len(vals) else np.nan, "polarity": str(r.get("polarity", "neutral")),
            "outcome": outcome, "outcome_da": _SHORT_DA.get(outcome, outcome),
            "trend_da": str(r.get("trend_da", "")) if pd.notna(r.get("trend_da", "")) else "",
        })
    out = pd.DataFrame(rows)
    out.attrs["unit_id"] = unit_id
    out.attrs["benchmark"] = benchmark
    return out


def _wrap(text: str, width: int = 40) -> str:
    """Break a long label into lines of at most ``width`` characters (plotly tick labels do not wrap)."""
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "<br>".join(lines)


def _scale(v: float, centre: float, half: float, flip: bool) -> float:
    if not np.isfinite(v):
        return np.nan
    x = (v - centre) / (2 * half)
    return 0.5 - x if flip else 0.5 + x


OUTCOME_SYMBOLS = {"better": "circle", "similar": "square", "worse": "diamond", "higher": "triangle-up",
                   "lower": "triangle-down", "not_compared": "circle"}
"""Marker of each outcome: the outcomes stay apart on a greyscale print, where the colours do not."""

GROUPS_DA = (("direction", "Nøgletal med en god retning", "← dårligere", "bedre →"),
             ("neutral", "Nøgletal uden en god retning", "← lavere", "højere →"))
"""The barometer's two groups: what the ends of the axis mean differs (better, or only higher)."""


def _ordered(data: pd.DataFrame) -> pd.DataFrame:
    """Figures with a good direction first, then the neutral ones (each group keeps its order)."""
    neutral = data["polarity"].astype(str).eq("neutral")
    return pd.concat([data[~neutral], data[neutral]]).reset_index(drop=True)


def _rows(data: pd.DataFrame) -> tuple[list[tuple[str, str, str, str]], list[float], list[float], float]:
    """The groups present, the y of each figure row and of each group's header row (a header above each group;
    plotly's y grows upwards), and the number of rows in all."""
    neutral = data["polarity"].astype(str).eq("neutral")
    groups = [g for g in GROUPS_DA if (neutral == (g[0] == "neutral")).any()]
    ys, headers, y = [], [], 0.0
    for key, *_ in groups:
        headers.append(y)
        y += 1.0
        for is_neutral in neutral:
            if is_neutral == (key == "neutral"):
                ys.append(y)
                y += 1.0
    return groups, [y - 1 - v for v in ys], [y - 1 - v for v in headers], y


def _positions(data: pd.DataFrame) -> tuple[list[float], list[float], list[float], list[float], list[float]]:
    """Each row's spread (lowest–highest, the middle half) and the unit's value on a 0..1 scale with the country
    in the middle (flipped for "lower is better": right is better)."""
    lo_r, hi_r, lo_q, hi_q, xs = [], [], [], [], []
    for r in data.itertuples(index=False):
        c = r.country_value
        flip = r.polarity == "low_is_good"
        cand = [abs(v - c) for v in (r.min, r.max, r.value) if np.isfinite(v) and np.isfinite(c)]
        half = max(cand) * 1.08 if cand and max(cand) > 0 else 1.0
        a, b = _scale(r.min, c, half, flip), _scale(r.max, c, half, flip)
        qa, qb = _scale(r.q25, c, half, flip), _scale(r.q75, c, half, flip)
        lo_r.append(min(a, b))
        hi_r.append(max(a, b))
        lo_q.append(min(qa, qb))
        hi_q.append(max(qa, qb))
        xs.append(_scale(r.value, c, half, flip) if np.isfinite(c) else np.nan)
    return lo_r, hi_r, lo_q, hi_q, xs


def _hover(data: pd.DataFrame, name: str, spread_name: str) -> list[str]:
    out = []
    for r in data.itertuples(index=False):
        dec = _decimals(r.figure_id, r.unit)
        unit = f" {r.unit}" if r.unit and r.unit != "%" else (" %" if r.unit == "%" else "")
        ci = (f"<br>95 %-konfidensinterval: {format_number(r.ci95_low, dec)}–{format_number(r.ci95_high, dec)}"
              if np.isfinite(r.ci95_low) and np.isfinite(r.ci95_high) else "")
        trend = f"<br>Udvikling: {r.trend_da}" if r.trend_da else ""
        out.append(f"<b>{r.label_da}</b><br>{name}: {r.display}{unit}{ci}<br>Hele landet: "
                   f"{format_number(r.country_value, dec)}{unit}<br>{OUTCOME_LABELS_DA.get(r.outcome, '')}"
                   f"{trend}<br>Spredning blandt {spread_name}: {format_number(r.min, dec)}–"
                   f"{format_number(r.max, dec)}")
    return out


def _row_labels(data: pd.DataFrame) -> list[str]:
    """Each row's label says the value, the country's value and the outcome in words (not only as colour)."""
    labels = []
    for r in data.itertuples(index=False):
        dec = _decimals(r.figure_id, r.unit)
        unit = "" if not r.unit or r.unit in r.label_da else f" {r.unit}"  # in the value line: one line a label
        shown = f"{r.display}" + (unit if not str(r.display).startswith("<") else "")
        country = format_number(r.country_value, dec) + (" %" if r.unit.startswith("%") else "")
        labels.append(f"{_wrap(r.label_da, 58)}<br><span style='color:#57606a'>{shown} · landet {country} · "
                      f"{r.outcome_da}</span>")
    return labels


def spine_chart(table: pd.DataFrame, unit_id: str, *, title: str | None = None, unit_name: str | None = None,
                spread_name: str = "klyngerne", source_da: str | None = None,
                figure_ids: Sequence[str] | None = None, data: pd.DataFrame | None = None) -> go.Figure:
    """Spine chart of ``unit_id`` against all units in ``table`` and the country (see the module docstring).

    ``spread_name`` names the units of the spread in Danish ("klyngerne", "sundhedsrådene"). Figures with a good
    direction come first (right is better), then those without (right is higher), each group under a header
    that says so. A dot's colour and marker show the outcome a report names (:func:`klyngedata.outcomes
    .shown_outcome`: significant *and* at least the figure's threshold of relevance). A unit without a single
    value has nothing to draw: :class:`~klyngedata.exceptions.DataNotAvailable`.
    ``data``: :func:`spine_data` of the same arguments, when the caller has it already (it is not computed again).

    Example
    -------
    Needs indicator files imported into the data directory; not run as a doctest.
    >>> fig = spine_chart(indicator_figures(level="cluster"), "nordjylland-vest")  # doctest: +SKIP
    """
    if data is None:
        data = spine_data(table, unit_id, figure_ids=figure_ids)
    if data.empty or not np.isfinite(pd.to_numeric(data["value"], errors="coerce").astype(float)).any():
        raise DataNotAvailable(f"spine chart: no values for {unit_id}")
    data = _ordered(data)
    name = unit_name or unit_id
    groups, ys, headers, total = _rows(data)
    lo_r, hi_r, lo_q, hi_q, xs = _positions(data)
    fig = go.Figure()
    fig.add_trace(dict(type="bar", y=ys, x=np.array(hi_r) - np.array(lo_r), base=lo_r, orientation="h",
                       marker={"color": _RANGE}, width=0.6, hoverinfo="skip",
                       name=f"Spredning blandt {spread_name} (laveste–højeste)"))
    fig.add_trace(dict(type="bar", y=ys, x=np.array(hi_q) - np.array(lo_q), base=lo_q, orientation="h",
                       marker={"color": _IQR}, width=0.6, hoverinfo="skip",
                       name=f"Den midterste halvdel af {spread_name}"))
    hover = _hover(data, name, spread_name)
    for outcome, label in OUTCOME_LABELS_DA.items():
        sel = [i for i, o in enumerate(data["outcome"]) if o == outcome]
        if not sel:
            continue
        fig.add_trace(dict(type="scatter",
            y=[ys[i] for i in sel], x=[xs[i] if np.isfinite(xs[i]) else 0.5 for i in sel], mode="markers",
            name=label, marker={"color": OUTCOME_COLORS[outcome], "size": 12, "symbol": OUTCOME_SYMBOLS[outcome],
                                "line": {"color": "#24292f", "width": 1.2}},
            hovertext=[hover[i] for i in sel], hoverinfo="text",
            customdata=[data["figure_id"].iloc[i] for i in sel],
        ))
    for (_key, _head, _l, _r), hy in zip(groups, headers, strict=True):
        rows = [v for v in ys if v < hy and (not [h for h in headers if v < h < hy])]
        fig.add_shape(type="line", x0=0.5, x1=0.5, y0=min(rows) - 0.5, y1=hy - 0.3,
                      line={"color": "#24292f", "width": 2})
    labels = _row_labels(data)
    for (_key, head, _l, _r), hy in zip(groups, headers, strict=True):
        labels.append(f"<b>{head}</b>")
        ys.append(hy)
    lines = max(str(t).count("<br>") + 1 for t in labels)
    row_px = max(24, 11 * lines + 4)
    legend_items = 2 + int(data["outcome"].nunique())
    legend_px = 14 + 19 * legend_items  # the legend under the chart, one entry a line on paper
    top, bottom = 44, legend_px + (34 if source_da else 10)
    plot_px = row_px * int(total)
    fig.update_layout(
        title={"text": title or f"{name} sammenlignet med {spread_name} og hele landet", "x": 0.0,
               "xanchor": "left"})
    set_template(fig, "plotly_white")
    fig.update_layout(
        separators=SEPARATORS, barmode="overlay",
        height=top + bottom + plot_px, margin={"l": 10, "r": 10, "t": top, "b": bottom},
        xaxis={"range": [-0.02, 1.02], "showticklabels": False, "showgrid": False, "zeroline": False,
               "fixedrange": True},
        yaxis={"tickvals": ys, "ticktext": labels, "automargin": True, "showgrid": False, "fixedrange": True,
               "range": [-0.6, total - 0.4], "tickfont": {"size": 9}},
        # the legend under the chart: it may wrap over several rows on paper without covering the title
        legend={"orientation": "h", "yref": "paper", "y": -8 / plot_px, "yanchor": "top", "x": 0.0,
                "xanchor": "left", "font": {"size": 10}},
        hoverlabel={"namelength": -1},
    )
    for (_key, _head, left, right), hy in zip(groups, headers, strict=True):
        for x, anchor, text in ((0.0, "left", left), (0.5, "center", "Hele landet"), (1.0, "right", right)):
            fig.add_annotation(text=text, showarrow=False, xref="x domain", yref="y", x=x, y=hy, xanchor=anchor,
                               yanchor="middle", font={"size": 10, "color": "#24292f"})
    if source_da:
        text = source_da if source_da.startswith("Kilde") else f"Kilde: {source_da}"
        fig.add_annotation(text=text, showarrow=False, xref="paper", yref="paper", x=0.0, y=0.0,
                           yshift=-(legend_px + 6), xanchor="left", yanchor="top",
                           font={"size": 9, "color": "#57606a"}, align="left")
        fig.layout.meta = {"provenance": text}
    return fig
