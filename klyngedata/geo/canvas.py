"""What every map draws with: colours, Danish number labels, polygon paths on an equal-aspect canvas (offline,
no tiles), hover points, and the boundaries or None (tile fallback)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import shapely
from plotly.colors import qualitative

from klyngedata import chart_config
from klyngedata.exceptions import BoundaryError, KlyngedataError
from klyngedata.geo.catchment import (
    municipality_layer,
    web_geojson,
)
from klyngedata.vocabulary.codes import normalize_municipality_code, normalize_region_code

chart_config.apply()  # the one chart configuration (Danish, no logo, no cloud button) in every renderer

PALETTE = list(qualitative.Light24)
HIGHLIGHT_COLOUR = "#d62728"
OTHER_COLOUR = "#d9d9d9"
MUTED_PALETTE = ["#b3cde3", "#ccebc5", "#fed9a6", "#decbe4", "#e5d8bd", "#fddaec", "#d9d9d9", "#ffffcc", "#c7e9e4"]
"""Distinct muted colours for the other clusters of a map that highlights one (neighbours are told apart)."""
LABEL_COLOUR = "#1f2328"
BORNHOLM = "0400"
INSET_GAP_KM = 30.0
"""Bornholm is drawn as an inset (moved west, in a frame) when it lies further than this from the rest."""
SHARED_COLOUR = "#9e9e9e"
MISSING_COLOUR = "#f0f0f0"
OUTLINE_COLOUR = "#333333"
TILE_NOTE_DA = "Flisekort: hver kommune er en lige stor flise (kommunegrænser er ikke indlæst)."
_TRANSPARENT = [[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]]
_HALO = "0 0 2px #ffffff, 0 0 2px #ffffff, 0 0 3px #ffffff, 0 0 4px #ffffff"
"""White halo behind map labels (as :data:`klyngedata.geo.insets.HALO`)."""
_KM = 1000.0


# --- small helpers -----------------------------------------------------------------------------------


def format_number_da(value: Any, decimals: int = 0) -> str:
    """Danish number format: ``64123`` -> ``"64.123"``, ``12.5`` -> ``"12,5"``; missing -> ``"–"``.

    Example
    -------
    >>> format_number_da(64123), format_number_da(12.345, 1)
    ('64.123', '12,3')
    """
    from klyngedata.formatting import number

    return number(value, decimals)


def _population_lookup(population: Any) -> dict[str, float]:
    """Municipality population from a mapping/Series or a tidy population frame (latest period, total)."""
    if population is None:
        return {}
    if isinstance(population, Mapping | pd.Series):
        return {normalize_municipality_code(k): float(v) for k, v in population.items()}
    df = pd.DataFrame(population)
    if "level" in df.columns:
        df = df[df["level"].astype(str).isin(["municipality", "kommune"])]
    if "sex" in df.columns:
        df = df[df["sex"].astype(str) == "total"]
    if "period" in df.columns and len(df):
        df = df[df["period"] == df["period"].max()]
    key = "entity_id" if "entity_id" in df.columns else "municipality_code"
    if key not in df.columns or "population" not in df.columns:
        raise KlyngedataError("population must be a mapping code -> count or a frame with entity_id and population")
    sums = df.groupby(df[key].map(normalize_municipality_code))["population"].sum()
    return {k: float(v) for k, v in sums.items()}


def _registry():
    from klyngedata import registry

    return registry


def _resolve_region(region: Any) -> str:
    try:
        return normalize_region_code(region)
    except ValueError:
        pass
    key = str(region).strip().lower()
    for _, row in _registry().regions().iterrows():
        name = str(row["name"]).lower()
        if key in (name, name.replace("region ", ""), str(row["region_id"])):
            return str(row["region_key"])
    raise KlyngedataError(f"unknown region {region!r}")


def _boundaries_or_none(data_dir: Any, tolerance: float | None, municipalities: Any) -> Any:
    try:
        return municipality_layer(data_dir, tolerance, municipalities)
    except BoundaryError:
        return None


def _paths(geoms: Any) -> tuple[list, list]:
    """x/y lists (km, EPSG:25832) of all rings, separated by ``None``, for ``fill="toself"``."""
    xs: list = []
    ys: list = []
    for g in geoms:
        for poly in shapely.get_parts(g):
            if poly.geom_type != "Polygon":
                continue
            for ring in [poly.exterior, *poly.interiors]:
                c = np.round(np.asarray(ring.coords)[:, :2] / _KM, 2)
                xs += c[:, 0].tolist() + [None]
                ys += c[:, 1].tolist() + [None]
    return xs, ys


def _set_coordinates(trace: Any, xs: list, ys: list) -> None:
    """Put the path lists (plain floats and ``None``, from :func:`_paths`) into ``trace`` without plotly
    checking each of their thousands of values (as it does for the template of a figure, see
    :func:`klyngedata.figures.set_template`): validation would return the same lists. The trace was added with
    empty ``x``/``y``, so they keep their place in the figure's JSON."""
    trace._validate = False
    try:
        trace.x = xs
        trace.y = ys
    finally:
        trace._validate = True


def _has_holes(geoms: Any) -> bool:
    return any(len(p.interiors) for g in geoms for p in shapely.get_parts(g) if p.geom_type == "Polygon")


class _Canvas:
    """Adds polygon/point traces either as offline Cartesian paths or on a MapLibre tile background."""

    def __init__(self, background: str | None) -> None:
        self.background = background
        self.fig = go.Figure()

    def polygons(self, gdf: Any, ids: list[str], id_col: str, *, fill: str, line: str, width: float,
                 name: str, showlegend: bool = True, legendgroup: str | None = None) -> None:
        sub = gdf[gdf[id_col].isin(ids)]
        if self.background:
            fc = web_geojson(sub, id_col=id_col)
            filled = fill != "none"
            self.fig.add_trace(go.Choroplethmap(
                geojson=fc, locations=sub[id_col].tolist(), z=[1] * len(sub), showscale=False, name=name,
                colorscale=[[0, fill], [1, fill]] if filled else _TRANSPARENT, showlegend=showlegend,
                legendgroup=legendgroup, marker={"line": {"color": line, "width": width}}, hoverinfo="skip"))
            return
        xs, ys = _paths(sub.geometry.values)
        self.fig.add_trace(dict(
            type="scatter", x=[], y=[], mode="lines", fill="toself" if fill != "none" else None,
            fillcolor=fill if fill != "none" else None, line={"color": line, "width": width}, name=name,
            showlegend=showlegend, legendgroup=legendgroup, hoverinfo="skip"))
        _set_coordinates(self.fig.data[-1], xs, ys)

    def points(self, xy_m: np.ndarray, lonlat: np.ndarray, *, text: list[str], name: str, marker: dict,
               showlegend: bool, extra: str = "", labels: list[str] | None = None) -> None:
        if self.background:
            self.fig.add_trace(go.Scattermap(
                lon=lonlat[:, 0], lat=lonlat[:, 1], mode="markers", name=name, showlegend=showlegend,
                marker={k: v for k, v in marker.items() if k in ("size", "color", "opacity")}, text=text,
                hovertemplate=f"%{{text}}<extra>{extra}</extra>"))
            return
        labelled = {"mode": "markers"} if labels is None else {
            "mode": "markers+text", "texttemplate": labels, "textposition": "middle right",
            "textfont": {"size": 10, "color": LABEL_COLOUR, "shadow": _HALO}}
        self.fig.add_trace(dict(type="scatter",
            x=np.round(xy_m[:, 0] / _KM, 2), y=np.round(xy_m[:, 1] / _KM, 2), name=name,
            showlegend=showlegend, marker=marker, text=text, hovertemplate=f"%{{text}}<extra>{extra}</extra>",
            **labelled))

    def finish(self, title: str | None, legend_title: str) -> go.Figure:
        fig = self.fig
        if self.background:
            fig.update_layout(map_style=self.background, map_zoom=5.6, map_center={"lat": 56.1, "lon": 10.8})
        else:
            fig.update_xaxes(visible=False)
            fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1)
            fig.update_layout(plot_bgcolor="white", hoverdistance=-1)
        fig.update_layout(title=title, margin={"l": 0, "r": 0, "t": 50 if title else 10, "b": 0},
                          hovermode="closest", legend={"title": {"text": legend_title}, "itemsizing": "constant"})
        return fig

    def finish_print(self, title: str | None, *, height: int = 420, width_px: int = 660) -> go.Figure:
        """Like :meth:`finish`, with the legend in rows between title and map (the map keeps the page width;
        rows are estimated for the A4 text width, so no entry is cut). ``height`` (px) fits the map, its heading
        and a chart above it on one A4 page."""
        fig = self.finish(title, "")
        rows, used = 1, 0
        for name in (str(t.name) for t in fig.data if t.showlegend is not False and t.name):
            w = 36 + 6 * len(name)
            if used and used + w > width_px:
                rows, used = rows + 1, 0
            used += w
        top = (40 if title else 6) + 20 * rows
        fig.update_layout(
            height=height + 20 * max(rows - 1, 0), margin={"l": 0, "r": 0, "t": top, "b": 30},
            title={"text": title, "x": 0.0, "xanchor": "left", "xref": "container", "y": 1.0, "yanchor": "top",
                   "yref": "container", "pad": {"t": 12, "l": 8}},
            legend={"orientation": "h", "x": 0.0, "xanchor": "left", "y": 1.0, "yanchor": "bottom", "title": None,
                    "font": {"size": 10}})
        return fig


def _hover_points(canvas: _Canvas, gdf: Any, id_col: str, texts: Mapping[str, str]) -> None:
    keyed = gdf[gdf[id_col].isin(list(texts))]
    pts = keyed.geometry.representative_point()
    wgs84 = pts.to_crs(4326)
    lonlat = np.c_[wgs84.x, wgs84.y]
    canvas.points(np.c_[pts.x, pts.y], lonlat, text=[texts[k] for k in keyed[id_col]], name="Oplysninger",
                  marker={"size": 6, "color": "rgba(0,0,0,0)"}, showlegend=False)


def _hover_rows(codes: list[str], names: Mapping[str, str], cluster_label: str,
                pop: Mapping[str, float]) -> list[str]:
    out = []
    for c in codes:
        befolkning = format_number_da(pop[c]) if c in pop else "ikke indlæst"
        out.append(f"<b>{cluster_label}</b><br>Kommune: {names.get(c, c)}<br>Befolkning: {befolkning}")
    return out
