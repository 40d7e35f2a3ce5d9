"""Plotly charts for the notebooks and reports: Danish titles, axis labels and hover texts, with provenance.

Every function takes a tidy frame (the schemas of :mod:`klyngedata.population` and
:mod:`klyngedata.keyfigures`) and returns a :class:`plotly.graph_objects.Figure`; none of them loads data.
The source of the numbers is written under each figure as an annotation, built from the frame's
``attrs["provenance"]`` (a list of dicts with ``table``, ``file``, ``periods``, ``fetched_at``...) by
:func:`provenance_text`, or given explicitly with ``source_da``.

Numbers use Danish separators (decimal comma, thousands point).

Example
-------
>>> import pandas as pd
>>> from klyngedata import figures
>>> frame = pd.DataFrame({"entity_id": ["x", "x"], "entity_name": ["Klynge X", "Klynge X"],
...                       "period": pd.PeriodIndex(["2024-01", "2024-02"], freq="M"),
...                       "population": [100, 101]})
>>> fig = figures.population_trend(frame, source_da="Konstrueret eksempel")
>>> fig.layout.yaxis.title.text  # a narrow range: the axis does not start at 0 and says so
'Befolkning (personer)<br><sup>aksen starter ikke ved 0</sup>'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from klyngedata import chart_config, formatting
from klyngedata.exceptions import DataNotAvailable
from klyngedata.vocabulary import SEX_DA, period_axis_da, period_range_da, period_text_da

chart_config.apply()  # the one chart configuration (Danish, no logo, no cloud button) in every renderer

__all__ = [
    "age_pyramid",
    "comparison_bars",
    "format_number",
    "indexed_trend",
    "member_comparison",
    "population_trend",
    "projection_65_80",
    "provenance_text",
]

SEPARATORS = ",."  # decimal comma, thousands point (Danish)
COLORS = ["#1f5f8b", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d96a3", "#2e4057", "#a05195"]
ENTITY_COLORS = {"cluster": "#1f5f8b", "region": "#edae49", "country": "#8d96a3"}
ENTITY_DASHES = {"cluster": "solid", "region": "dash", "country": "dot"}
"""Line style of each level: the lines stay apart on a greyscale print, where the colours do not."""
LINE_DASHES = ("solid", "dash", "dot", "dashdot", "longdash")
CHART_HEIGHT = 300
"""Height (px) of a line or bar chart: two of them and their headings fit on one A4 page."""


def format_number(value: Any, decimals: int = 0) -> str:
    """Danish number format (:func:`klyngedata.formatting.number`): ``-1234567.5`` -> ``'−1.234.567,5'``.

    Example
    -------
    >>> format_number(592831)
    '592.831'
    >>> format_number(-1.25, 1)
    '−1,2'
    """
    return formatting.number(value, decimals)


TABLE_TITLES_DA: dict[str, str] = {
    # titles of Statistics Denmark's StatBank tables (as in the StatBank's /tables answer, in Danish)
    "FOLK1A": "Befolkningen den 1. i kvartalet",
    "FOLK1AM": "Befolkningen den 1. i måneden",
}


def table_title_da(table: str) -> str:
    """Danish StatBank title of a population table (``FRKM1yy``: "Befolkningsfremskrivning 20yy"); ``""`` if unknown.

    Example
    -------
    >>> table_title_da("FOLK1AM"), table_title_da("FRKM125")
    ('Befolkningen den 1. i måneden', 'Befolkningsfremskrivning 2025')
    """
    t = str(table).upper()
    if t in TABLE_TITLES_DA:
        return TABLE_TITLES_DA[t]
    if re.fullmatch(r"FRKM1\d\d", t):
        return f"Befolkningsfremskrivning 20{t[-2:]}"
    return ""


_FILE_PART = re.compile(r"\s*[;,]?\s*\(?\bfil(?:en)?:?\s+[^;,)]+\)?", re.IGNORECASE)


def readable_source(text: str) -> str:
    """A provenance string without file names (those go to the run log and the manifest, not to readers).

    Example
    -------
    >>> readable_source("Danmarks Statistik (SYGP1), 2024; fil: laegekontakt_scores.csv; befolkning: FOLK1AM 2024M01")
    'Danmarks Statistik (SYGP1), 2024; befolkning: FOLK1AM 2024M01'
    """
    return _FILE_PART.sub("", str(text)).strip(" ;,")


def provenance_text(source: Any = None, *, prefix: str = "Kilde") -> str:
    """Danish one-line provenance from a frame (``attrs["provenance"]``), a list of dicts, or a string.

    Readers see the publisher, the table with its title, the periods and when the data were fetched or
    imported – never file names or paths.

    Example
    -------
    >>> text = provenance_text([{"table": "FOLK1AM", "periods": "2021M10-2024M04", "file": "/x/FOLK1AM.csv",
    ...                          "imported_at": "2026-12-01T09:46:42+00:00"}])
    >>> text[:80]
    'Kilde: Danmarks Statistik, tabel FOLK1AM (Befolkningen den 1. i måneden), oktobe'
    >>> text[80:]
    'r 2021–april 2024, importeret 1. december 2026'
    """
    if source is None:
        return ""
    if isinstance(source, str):
        source = readable_source(source)
        return source if source.startswith(prefix) or not source else f"{prefix}: {source}"
    items = source.attrs.get("provenance") if isinstance(source, pd.DataFrame) else source
    if items is None:
        return ""
    if isinstance(items, dict):
        items = [items]
    parts: list[str] = []
    for item in items:
        if isinstance(item, str):
            text = readable_source(item)
            if text and text not in parts:
                parts.append(text)
            continue
        table = item.get("table")
        publisher = item.get("source_da") or item.get("publisher") or ("Danmarks Statistik" if table else None)
        table_text = None
        if table:
            title = table_title_da(table)
            table_text = f"tabel {table}" + (f" ({title})" if title else "")
        text = ", ".join(p for p in (publisher, table_text) if p) or readable_source(item.get("source") or "")
        text = text or "ukendt kilde"
        periods = item.get("periods")
        if periods:
            text += f", {period_range_da(periods)}"
        if item.get("fetched_at"):
            text += f", hentet {formatting.date_da(item['fetched_at'])}"
        elif item.get("imported_at"):
            text += f", importeret {formatting.date_da(item['imported_at'])}"
        if text not in parts:
            parts.append(text)
    return f"{prefix}: " + "; ".join(parts) if parts else ""


PRINT_PLOT_WIDTH_PX = 580
"""Plot-area width of a chart printed on A4 (680 px text area minus the side margins): legends are laid out
for it, so they are never cut on paper."""


def _legend_rows(fig: go.Figure, width: int = PRINT_PLOT_WIDTH_PX) -> int:
    """Rows a horizontal legend needs at ``width`` px (an estimate: 40 px per item plus 7 px per character)."""
    names = [str(t.name) for t in fig.data if t.name and t.showlegend is not False]
    if len(names) < 2 and not any(t.showlegend for t in fig.data):
        return 0
    rows, used = 1, 0
    for name in names:
        w = 40 + 7 * len(name)
        if used and used + w > width:
            rows, used = rows + 1, 0
        used += w
    return rows


_TEMPLATES: dict[str, tuple[Any, Any]] = {}


def set_template(fig: go.Figure, name: str) -> go.Figure:
    """``fig.update_layout(template=name)`` with the same result, without validating the registered template
    again for every figure (about 10 ms each): it is validated once per process, as plotly itself does for its
    default template, and each figure gets its own copy.

    Example
    -------
    >>> set_template(go.Figure(), "plotly_white").layout.template.layout.plot_bgcolor
    'white'
    """
    import copy

    import plotly.io as pio

    registered = pio.templates[name]
    kept = _TEMPLATES.get(name)
    if kept is None or kept[0] is not registered:  # (re-)registered under the name: validate the new one
        kept = _TEMPLATES[name] = (registered, copy.deepcopy(registered))  # what the template validator does
    layout = fig.layout
    layout._validate = False
    try:
        layout.template = kept[1]  # stored as a copy of its (validated) properties
    finally:
        layout._validate = fig._validate
    return fig


def _finish(fig: go.Figure, title: str, source_da: str | None, *, height: int = CHART_HEIGHT) -> go.Figure:
    """Common layout: title top left, the legend between title and plot (left-aligned, wrapping for the
    printed width, so no entry is cut), Danish separators, the source under the plot."""
    rows = _legend_rows(fig)
    fig.update_layout(
        title={"text": title, "x": 0.0, "xanchor": "left", "xref": "container", "y": 1.0, "yanchor": "top",
               "yref": "container", "pad": {"t": 14, "l": 8}})
    set_template(fig, "plotly_white")
    fig.update_layout(
        separators=SEPARATORS,
        height=height + 22 * max(rows - 1, 0),
        margin={"l": 70, "r": 30, "t": 46 + 24 * rows, "b": 92 if source_da else 56},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0.0, "xanchor": "left",
                "entrywidthmode": "pixels"},
        hoverlabel={"namelength": -1},
    )
    if source_da:
        if not source_da.startswith("Kilde"):
            source_da = f"Kilde: {source_da}"
        fig.add_annotation(
            text=source_da, showarrow=False, xref="paper", yref="paper", x=0.0, y=0.0, yshift=-58,
            xanchor="left", yanchor="top", font={"size": 10, "color": "#57606a"}, align="left",
        )
        fig.layout.meta = {"provenance": source_da}
    return fig


def _value_axis(fig: go.Figure, values: Sequence[float], title: str) -> None:
    """A value axis that need not start at 0 says so in its title (the chart shows change, not size)."""
    vals = [float(v) for v in values if v is not None and not pd.isna(v)]
    if not vals:
        fig.update_yaxes(title_text=title)
        return
    lo, hi = min(vals), max(vals)
    pad = (hi - lo) * 0.08 or abs(hi) * 0.01 or 1.0
    if lo > 0 and lo - pad > 0 and lo > hi - lo:  # starting at 0 would flatten the change into a line
        fig.update_yaxes(range=[lo - pad, hi + pad], title_text=f"{title}<br><sup>aksen starter ikke ved 0</sup>")
    else:
        fig.update_yaxes(rangemode="tozero", title_text=title)


def _totals(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows with total sex and all ages (the population frame also carries sex/age breakdowns)."""
    out = frame
    if "sex" in out.columns:
        out = out[out["sex"].astype(str) == "total"]
    for col in ("age", "age_group"):
        if col in out.columns:
            out = out[out[col].isna()]
    return out


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataNotAvailable(f"{what}: the frame lacks column(s) {missing}")
    if frame.empty:
        raise DataNotAvailable(f"{what}: no rows to plot")


def _x(periods: pd.Series) -> tuple[list, list[str]]:
    xs, labels = [], []
    for p in periods:
        xs.append(p.to_timestamp() if isinstance(p, pd.Period) else p)
        labels.append(period_text_da(p, stock=True))
    return xs, labels


def period_ticks(periods: Sequence[Any], most: int = 7) -> dict[str, list]:
    """Axis ticks for a time axis in the vocabulary's short Danish form (``jan. 2022``), at most ``most``: for
    monthly data January and July (or every January on a long axis), else evenly spaced periods.

    Example
    -------
    >>> ticks = period_ticks(pd.period_range("2021-10", "2024-04", freq="M"))
    >>> ticks["ticktext"]
    ['jan. 2022', 'jul. 2022', 'jan. 2023', 'jul. 2023', 'jan. 2024']
    """
    ps = sorted({p for p in periods if isinstance(p, pd.Period)})
    if not ps:
        return {}
    if ps[0].freqstr.startswith("M"):
        chosen = [p for p in ps if p.month in (1, 7)]
        if len(chosen) > most:
            chosen = [p for p in ps if p.month == 1]
    else:
        chosen = ps
    if len(chosen) > most or not chosen:
        step = -(-len(ps) // most)
        chosen = ps[::step]
    return {"tickvals": [p.to_timestamp() for p in chosen], "ticktext": [period_axis_da(p) for p in chosen]}


def _time_axis(fig: go.Figure, periods: Sequence[Any]) -> None:
    """The x axis of a chart over time: Danish period texts as ticks, no axis title (the ticks say it)."""
    fig.update_xaxes(title_text="", tickmode="array", **period_ticks(periods))


def population_trend(
    frame: pd.DataFrame,
    *,
    title: str = "Befolkningsudvikling",
    source_da: str | None = None,
) -> go.Figure:
    """Line chart of population over time, one line per entity (``entity_name``).

    ``frame``: tidy population rows with ``entity_id``, ``entity_name``, ``period``, ``population``
    (sex/age breakdown rows are ignored; the totals are plotted).

    Example
    -------
    Needs population data (a tidy population frame); not run as a doctest.
    >>> fig = population_trend(pop[pop["entity_id"] == "nordjylland-nord"])  # doctest: +SKIP
    """
    data = _totals(frame)
    _require(data, ["entity_id", "entity_name", "period", "population"], "population_trend")
    fig = go.Figure()
    for i, (_eid, grp) in enumerate(data.groupby("entity_id", sort=False)):
        grp = grp.sort_values("period")
        xs, labels = _x(grp["period"])
        fig.add_trace(dict(type="scatter",
            x=xs, y=grp["population"].astype("float64"), mode="lines+markers", name=str(grp["entity_name"].iloc[0]),
            customdata=labels, marker={"size": 4},
            line={"color": COLORS[i % len(COLORS)], "dash": LINE_DASHES[i % len(LINE_DASHES)]},
            hovertemplate="%{fullData.name}<br>%{customdata}: %{y:,.0f} personer<extra></extra>",
        ))
    _time_axis(fig, list(data["period"]))
    fig.update_yaxes(tickformat=",.0f")
    _value_axis(fig, data["population"].astype("float64").tolist(), "Befolkning (personer)")
    return _finish(fig, title, source_da if source_da is not None else provenance_text(frame))


def indexed_trend(
    frame: pd.DataFrame,
    *,
    base_period: Any = None,
    title: str = "Udvikling sammenlignet med region og hele landet (indeks)",
    source_da: str | None = None,
) -> go.Figure:
    """Population indexed to 100 in ``base_period`` (default: the first period) for each entity.

    Used to compare a cluster with its region and Denmark (``level`` cluster/region/country), whose sizes
    differ by orders of magnitude.

    Example
    -------
    Needs population data (a tidy population frame); not run as a doctest.
    >>> fig = indexed_trend(pd.concat([cluster_rows, region_rows, country_rows]))  # doctest: +SKIP
    """
    data = _totals(frame)
    _require(data, ["entity_id", "entity_name", "period", "population"], "indexed_trend")
    fig = go.Figure()
    base_label = None
    used_levels: set[str] = set()
    for i, (eid, grp) in enumerate(data.groupby("entity_id", sort=False)):
        grp = grp.sort_values("period")
        if base_period is None:
            base_row = grp.iloc[0]
        else:
            sel = grp[grp["period"].astype(str) == str(base_period)]
            if sel.empty:
                raise DataNotAvailable(f"indexed_trend: {eid} has no population in base period {base_period}")
            base_row = sel.iloc[0]
        if pd.isna(base_row["population"]):  # no index without its base: say why (the reason in the data)
            why = base_row.get("reason_da") if "reason_da" in grp.columns else None
            raise DataNotAvailable(f"indexed_trend: {grp['entity_name'].iloc[0]} has no population in "
                                   f"{base_row['period']}" + (f" ({why})" if isinstance(why, str) and why else ""))
        base = float(base_row["population"])
        base_label = period_text_da(base_row["period"], stock=True)
        idx = grp["population"].astype("float64") / base * 100.0
        xs, labels = _x(grp["period"])
        level = str(grp["level"].iloc[0]) if "level" in grp.columns else ""
        first = level not in used_levels
        color = ENTITY_COLORS.get(level, COLORS[i % len(COLORS)]) if first else COLORS[4]
        dash = ENTITY_DASHES.get(level, "solid") if first else "dashdot"
        used_levels.add(level)
        fig.add_trace(dict(type="scatter",
            x=xs, y=idx, mode="lines", name=str(grp["entity_name"].iloc[0]), customdata=labels,
            line={"color": color, "width": 3 if level == "cluster" else 2, "dash": dash},
            hovertemplate="%{fullData.name}<br>%{customdata}: indeks %{y:.2f}<extra></extra>",
        ))
    fig.add_hline(y=100, line={"color": "#d0d7de", "width": 1})  # plain: the dotted line is the country's
    _time_axis(fig, list(data["period"]))
    fig.update_yaxes(title_text=f"Indeks ({base_label} = 100)", tickformat=",.1f")
    return _finish(fig, title, source_da if source_da is not None else provenance_text(frame))


def member_comparison(
    frame: pd.DataFrame,
    *,
    value_col: str = "value",
    label_col: str = "entity_name",
    title: str = "Medlemskommunerne",
    axis_title_da: str = "Befolkning (personer)",
    decimals: int = 0,
    source_da: str | None = None,
) -> go.Figure:
    """Horizontal bars comparing the member municipalities on one value (largest at the top).

    Example
    -------
    Needs population data (a tidy population frame); not run as a doctest.
    >>> fig = member_comparison(latest_members, value_col="population")  # doctest: +SKIP
    """
    _require(frame, [value_col, label_col], "member_comparison")
    data = frame.dropna(subset=[value_col]).sort_values(value_col)
    text = [format_number(v, decimals) for v in data[value_col]]
    fig = go.Figure(go.Bar(
        x=data[value_col].astype("float64"), y=data[label_col].astype(str), orientation="h", text=text,
        textposition="auto", marker={"color": COLORS[0]},
        hovertemplate="%{y}: %{text}<extra></extra>",
    ))
    fig.update_xaxes(title_text=axis_title_da, tickformat=",.0f" if decimals == 0 else None)
    fig.update_yaxes(title_text="")
    height = max(200, 110 + 24 * len(data))
    return _finish(fig, title, source_da if source_da is not None else provenance_text(frame), height=height)


def comparison_bars(
    keyfigures: pd.DataFrame,
    figure_ids: Sequence[str],
    *,
    title: str = "Klyngen sammenlignet med regionen og hele landet",
    source_da: str | None = None,
) -> go.Figure:
    """Grouped bars: the cluster's value of each figure next to the region's and Denmark's.

    ``keyfigures``: rows of the key-figure schema (``figure_id``, ``label_da``, ``value``, ``unit``,
    ``region_value``, ``country_value``; suppressed values are not drawn). Figures of one unit belong
    together (e.g. shares in %).

    Example
    -------
    Needs population data (the key figures of a unit); not run as a doctest.
    >>> fig = comparison_bars(kf[kf["entity_level"] == "cluster"], ["growth_1y_pct", "growth_2y_pct"])  # doctest: +SKIP
    """
    _require(keyfigures, ["figure_id", "label_da", "value", "region_value", "country_value"], "comparison_bars")
    rows = keyfigures[keyfigures["figure_id"].isin(list(figure_ids))]
    if "suppressed" in rows.columns:
        rows = rows[~rows["suppressed"].fillna(False).astype(bool)]
    if rows.empty:
        raise DataNotAvailable(f"comparison_bars: none of {list(figure_ids)} in the key figures")
    rows = rows.set_index("figure_id").loc[[f for f in figure_ids if f in set(rows["figure_id"])]]
    labels = rows["label_da"].astype(str).tolist()
    unit = str(rows["unit"].iloc[0]) if "unit" in rows.columns else ""
    name = str(rows["entity_name"].iloc[0]) if "entity_name" in rows.columns else "Klyngen"
    names = keyfigures.attrs.get("benchmark_names_da") or {}  # summed without Christiansø: said in the legend
    fig = go.Figure()
    for col, series_name, color in (
        ("value", name, ENTITY_COLORS["cluster"]),
        ("region_value", "Regionen" + (" (uden Christiansø)" if "Christiansø" in names.get("region", "") else ""),
         ENTITY_COLORS["region"]),
        ("country_value", names.get("country", "Hele landet"), ENTITY_COLORS["country"]),
    ):
        vals = pd.to_numeric(rows[col], errors="coerce").astype("float64")
        fig.add_trace(dict(type="bar",
            x=labels, y=vals, name=series_name, marker={"color": color},
            text=[format_number(v, 1) for v in vals], textposition="outside",
            hovertemplate=f"{series_name}<br>%{{x}}: %{{text}} {unit}<extra></extra>",
        ))
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text=unit)
    src = source_da
    if src is None and keyfigures.attrs.get("provenance"):
        src = provenance_text(keyfigures)
    elif src is None and "provenance" in rows.columns:
        src = provenance_text([p for p in rows["provenance"] if isinstance(p, (dict, str))][:1] or None)
    return _finish(fig, title, src)


def age_pyramid(
    frame: pd.DataFrame,
    *,
    value_col: str = "population",
    title: str = "Alderspyramide",
    source_da: str | None = None,
) -> go.Figure:
    """Age pyramid: men to the left, women to the right, one bar per age group (``age_group``).

    ``frame``: rows with ``sex`` (``male``/``female``), ``age_group`` and ``value_col``; a frame
    without a sex breakdown raises :class:`~klyngedata.exceptions.DataNotAvailable`.

    Example
    -------
    Needs population data (a tidy population frame by sex and age); not run as a doctest.
    >>> fig = age_pyramid(pyramid_rows)  # doctest: +SKIP
    """
    _require(frame, ["sex", "age_group", value_col], "age_pyramid")
    data = frame[frame["sex"].isin(["male", "female"])]
    if data.empty:
        raise DataNotAvailable("age_pyramid: no rows by sex (male/female)")
    order = list(dict.fromkeys(data["age_group"].astype(str)))
    unit = "%" if "share" in value_col else "personer"
    fig = go.Figure()
    for sex, sign, color in (("male", -1, COLORS[0]), ("female", 1, COLORS[1])):
        part = data[data["sex"] == sex].set_index(data[data["sex"] == sex]["age_group"].astype(str))
        vals = pd.to_numeric(part[value_col].reindex(order), errors="coerce").astype("float64")
        fig.add_trace(dict(type="bar",
            y=order, x=sign * vals, orientation="h", name=SEX_DA[sex], marker={"color": color},
            customdata=[format_number(v, 1 if unit == "%" else 0) for v in vals],
            hovertemplate=f"{SEX_DA[sex]}, %{{y}} år: %{{customdata}} {unit}<extra></extra>",
        ))
    fig.update_layout(barmode="overlay", bargap=0.05)
    fig.update_xaxes(title_text=f"{'Andel' if unit == '%' else 'Antal'} ({unit}); mænd til venstre, kvinder til højre")
    fig.update_yaxes(title_text="Alder (år)", type="category")
    return _finish(fig, title, source_da if source_da is not None else provenance_text(frame), height=460)


def projection_65_80(
    frame: pd.DataFrame,
    *,
    title: str = "Fremskrivning af antallet af 65+ og 80+-årige",
    source_da: str | None = None,
) -> go.Figure:
    """Lines of the projected number of citizens aged 65+ and 80+ (``age_group`` ``"65+"``/``"80+"``).

    ``frame``: rows with ``period`` (years), ``age_group`` and ``population`` (totals over sex).

    Example
    -------
    Needs population data (the projection by age); not run as a doctest.
    >>> fig = projection_65_80(proj_rows)  # doctest: +SKIP
    """
    _require(frame, ["period", "age_group", "population"], "projection_65_80")
    fig = go.Figure()
    for i, group in enumerate(("65+", "80+")):
        part = frame[frame["age_group"].astype(str) == group].sort_values("period")
        if part.empty:
            raise DataNotAvailable(f"projection_65_80: no projected rows for age group {group}")
        years = [p.year if isinstance(p, pd.Period) else p for p in part["period"]]
        fig.add_trace(dict(type="scatter",
            x=years, y=part["population"].astype("float64"), mode="lines+markers", name=f"{group}-årige",
            line={"color": COLORS[i + 1], "dash": LINE_DASHES[i]},
            hovertemplate=f"{group}-årige<br>%{{x}}: %{{y:,.0f}} personer<extra></extra>",
        ))
    fig.update_xaxes(title_text="År", dtick=1 if len(frame) < 30 else None)
    fig.update_yaxes(title_text="Antal personer", tickformat=",.0f", rangemode="tozero")
    return _finish(fig, title, source_da if source_da is not None else provenance_text(frame))
