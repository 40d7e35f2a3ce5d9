"""Plotly maps of clusters and key figures, fully offline, with a tile-map fallback.

* :func:`cluster_map` – clusters coloured and named on the map, member municipalities outlined, acute
  hospitals as labelled markers, Danish hover labels (kommune, klynge, befolkning); ``highlight=`` shows one
  cluster in red against the other clusters of its region in distinct muted colours (for a cluster's own
  report). Bornholm is drawn as an inset (moved next to the rest, in a dotted frame) when it would otherwise
  leave the map mostly sea.
* :func:`choropleth` – any key figure by municipality, cluster or region in classes of a colour scale,
  with a Danish legend title and value ranges in Danish number format.

Rendering: by default the polygons (simplified as a coverage, EPSG:25832, km) are drawn as filled
``go.Scatter`` paths on equal-aspect axes. This needs nothing from the network. (``go.Choropleth`` /
``go.Scattergeo`` were tried first: plotly.js then downloads ``https://cdn.plot.ly/un/world_110m.json``
even with ``geo.visible=False`` and draws nothing offline – checked in headless Chromium.) With
``background="open-street-map"`` (or another MapLibre style) the maps use ``go.Choroplethmap`` /
``go.Scattermap`` on that tile background instead (needs the tile server). Without boundaries both
functions draw the tile map (:mod:`klyngedata.geo.tiles`) and say so in the figure.

Trace counts (what the tests check):

* cluster map with boundaries: one trace per cluster shown + one per shared municipality ("delt") +
  one trace of cluster outlines + (one frame when Bornholm is drawn as an inset) + one of hospitals (labelled:
  the highlighted cluster's by name, the others by town) + one of cluster names + one of hover points;
* cluster map on tiles: one trace per cluster + one per shared municipality + one label trace;
* choropleth with boundaries: one trace per non-empty class + (one "ingen værdi" trace if values are
  missing) + (one per shared municipality at cluster level) + one of hover points;
  on tiles: one heatmap + one label trace.

Example
-------
>>> from klyngedata.geo.maps import cluster_map
>>> fig = cluster_map(highlight="nordjylland-nord")  # doctest: +SKIP
>>> fig.write_html("klynge_nord.html", include_plotlyjs=True)  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import shapely
from plotly.colors import qualitative, sample_colorscale

from klyngedata.codes import normalize_municipality_code, normalize_region_code
from klyngedata.exceptions import BoundaryError, KlyngedataError
from klyngedata.geo.catchment import (
    WEB_TOLERANCE_M,
    cluster_polygons,
    municipality_layer,
    region_polygons,
    web_geojson,
)

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
        self.fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="lines", fill="toself" if fill != "none" else None,
            fillcolor=fill if fill != "none" else None, line={"color": line, "width": width}, name=name,
            showlegend=showlegend, legendgroup=legendgroup, hoverinfo="skip"))

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
            "textfont": {"size": 10, "color": LABEL_COLOUR, "shadow": "1px 1px 2px white, -1px -1px 2px white"}}
        self.fig.add_trace(go.Scatter(
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

    def finish_print(self, title: str | None, *, height: int = 560, width_px: int = 660) -> go.Figure:
        """Like :meth:`finish`, with the legend in rows between title and map (the map keeps the page width;
        rows are estimated for the A4 text width, so no entry is cut)."""
        fig = self.finish(title, "")
        rows, used = 1, 0
        for name in (str(t.name) for t in fig.data if t.showlegend is not False and t.name):
            w = 40 + 7 * len(name)
            if used and used + w > width_px:
                rows, used = rows + 1, 0
            used += w
        top = (46 if title else 6) + 24 * rows
        fig.update_layout(
            height=height, margin={"l": 0, "r": 0, "t": top, "b": 30},
            title={"text": title, "x": 0.0, "xanchor": "left", "xref": "container", "y": 1.0, "yanchor": "top",
                   "yref": "container", "pad": {"t": 14, "l": 8}},
            legend={"orientation": "h", "x": 0.0, "xanchor": "left", "y": 1.0, "yanchor": "bottom", "title": None})
        return fig


def _hover_points(canvas: _Canvas, gdf: Any, id_col: str, texts: Mapping[str, str]) -> None:
    keyed = gdf[gdf[id_col].isin(list(texts))]
    pts = keyed.geometry.representative_point()
    lonlat = np.c_[pts.to_crs(4326).x, pts.to_crs(4326).y]
    canvas.points(np.c_[pts.x, pts.y], lonlat, text=[texts[k] for k in keyed[id_col]], name="Oplysninger",
                  marker={"size": 6, "color": "rgba(0,0,0,0)"}, showlegend=False)


def _hover_rows(codes: list[str], names: Mapping[str, str], cluster_label: str,
                pop: Mapping[str, float]) -> list[str]:
    out = []
    for c in codes:
        befolkning = format_number_da(pop[c]) if c in pop else "ikke indlæst"
        out.append(f"<b>{cluster_label}</b><br>Kommune: {names.get(c, c)}<br>Befolkning: {befolkning}")
    return out


# --- cluster map -------------------------------------------------------------------------------------


def _scope(division: str | None, date: Any, highlight: str | None, region: Any,
           membership: pd.DataFrame | None) -> tuple[pd.DataFrame, str | None, str | None]:
    reg = _registry()
    if membership is None and highlight is not None and division is None and date is None:
        division = reg.cluster(highlight).division  # an id names its division: show that division's map
    m = membership if membership is not None else reg.membership(division=division, date=date)
    m = m.assign(municipality_code=m["municipality_code"].map(normalize_municipality_code),
                 region_code=m["region_code"].map(normalize_region_code))
    hl_id = None
    if highlight is not None:
        ids = set(m["cluster_id"])
        hl_id = highlight if highlight in ids else reg.cluster(highlight, division=division, date=date).id
        if hl_id not in ids:
            raise KlyngedataError(f"cluster {highlight!r} is not in the division shown")
        region = m.loc[m["cluster_id"] == hl_id, "region_code"].iloc[0]
    region_code = _resolve_region(region) if region is not None else None
    if region_code is not None:
        m = m[m["region_code"] == region_code]
    return m, hl_id, region_code


def _unit_words(m: pd.DataFrame) -> Any:
    """The Danish words for the units of the membership rows' division (:mod:`klyngedata.vocabulary`)."""
    from klyngedata.vocabulary import words

    try:
        return words(str(m["division"].iloc[0]) if "division" in m.columns and len(m) else None)
    except KlyngedataError:
        return words("sundhedsklynger-2022")


def _colours(cluster_ids: list[str], hl_id: str | None) -> dict[str, str]:
    if hl_id is not None:
        others = [c for c in cluster_ids if c != hl_id]
        colours = {c: MUTED_PALETTE[i % len(MUTED_PALETTE)] for i, c in enumerate(others)}
        colours[hl_id] = HIGHLIGHT_COLOUR
        return colours
    return {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(cluster_ids)}


_NAME_PREFIXES = ("Sundhedsklynge ", "Sundhedsrådet ", "Sundhedsråd ", "Klynge ")


def short_name(name: str) -> str:
    """A unit's name without the common prefix, for labels on a map: ``"Klynge Nord"`` -> ``"Nord"``.

    Example
    -------
    >>> short_name("Sundhedsklynge Byen"), short_name("Klynge Nord"), short_name("Bornholm")
    ('Byen', 'Nord', 'Bornholm')
    """
    for prefix in _NAME_PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix):
            return name[len(prefix):]
    return name


def _inset_shift(muni: Any, codes: set[str]) -> tuple[float, float] | None:
    """Offset (m) that moves Bornholm next to the rest of the map when it is shown with far-away units."""
    if BORNHOLM not in codes or len(codes) < 2:
        return None
    rest = muni[muni["code"].isin(codes - {BORNHOLM})].total_bounds
    isle = muni[muni["code"] == BORNHOLM].total_bounds
    if len(rest) < 4 or len(isle) < 4 or isle[0] - rest[2] < INSET_GAP_KM * _KM:
        return None
    return float(rest[2] + 12 * _KM - isle[0]), float(rest[3] - isle[3])


def _move_bornholm(muni: Any, shift: tuple[float, float]) -> Any:
    moved = muni.copy()
    sel = moved["code"] == BORNHOLM
    moved.loc[sel, "geometry"] = moved.loc[sel].geometry.translate(*shift)
    return moved


def _inset_frame(canvas: _Canvas, muni: Any) -> None:
    x0, y0, x1, y1 = muni[muni["code"] == BORNHOLM].total_bounds / _KM
    pad = 4.0
    xs = [x0 - pad, x1 + pad, x1 + pad, x0 - pad, x0 - pad]
    ys = [y0 - pad, y0 - pad, y1 + pad, y1 + pad, y0 - pad]
    canvas.fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"color": "#8c959f", "width": 1, "dash": "dot"},
                                    name="Bornholm (flyttet tættere på)", showlegend=False, hoverinfo="skip"))


def _labels(canvas: _Canvas, polygons: Any, ids: list[str], names: Mapping[str, str], id_col: str) -> None:
    """Names of the units at a point inside each (readable on every fill colour)."""
    sub = polygons[polygons[id_col].isin(ids)]
    if sub.empty:
        return
    pts = sub.geometry.representative_point()
    canvas.fig.add_trace(go.Scatter(
        x=np.round(pts.x.to_numpy(float) / _KM, 2), y=np.round(pts.y.to_numpy(float) / _KM, 2), mode="text",
        text=[short_name(names.get(i, i)) for i in sub[id_col]], name="Navne", showlegend=False, hoverinfo="skip",
        textfont={"size": 11, "color": LABEL_COLOUR, "shadow": "1px 1px 2px white, -1px -1px 2px white"}))


def cluster_map(division: str | None = None, highlight: str | None = None, region: Any = None,
                data_dir: str | os.PathLike[str] | None = None, population: Any = None, *, date: Any = None,
                tolerance: float | None = WEB_TOLERANCE_M, background: str | None = None,
                municipalities: Any = None, membership: pd.DataFrame | None = None,
                tile_shape: str = "square", title: str | None = None) -> go.Figure:
    """Map of the clusters of a division (whole country, one region, or one cluster highlighted).

    ``population``: municipality population for the hover labels (a tidy frame from
    :func:`klyngedata.population` at municipality level, or a mapping code -> count). ``highlight``:
    a cluster id/name; the map then shows its region with the cluster in colour and the others grey.
    Falls back to the tile map when no boundaries are cached.

    Example
    -------
    >>> fig = cluster_map(region="1081")  # doctest: +SKIP
    >>> len(fig.data)  # 4 clusters + outlines + hospitals + hover points  # doctest: +SKIP
    7
    """
    m, hl_id, region_code = _scope(division, date, highlight, region, membership)
    pop = _population_lookup(population)
    muni = _boundaries_or_none(data_dir, tolerance, municipalities)
    unit_words = _unit_words(m)
    if title is None:
        title = unit_words.fill("{Sundhedsklynger}")
        if hl_id is not None:
            title = f"{m.loc[m['cluster_id'] == hl_id, 'cluster_name'].iloc[0]} og regionens øvrige {unit_words.units}"
    if muni is None:
        return _cluster_tile_map(m, hl_id, pop, tile_shape, title)

    shift = None if background else _inset_shift(muni, set(m["municipality_code"]))
    if shift is not None:
        muni = _move_bornholm(muni, shift)
    names = dict(zip(muni["code"], muni["name"].astype(str), strict=True))
    shown = muni[muni["code"].isin(set(m["municipality_code"]))]
    clusters = cluster_polygons(membership=m, municipalities=muni)
    cluster_ids = list(dict.fromkeys(m["cluster_id"]))
    colours = _colours(cluster_ids, hl_id)
    klynger = clusters[clusters["kind"] == "klynge"].set_index("cluster_id")
    delt = clusters[clusters["kind"] == "delt"]
    canvas = _Canvas(background)
    hover: dict[str, str] = {}
    # shared municipalities first: a municipality with a hole (København around Frederiksberg) must lie
    # below the polygons that fill its hole
    for _, row in delt.iterrows():
        code = row["municipality_codes"]
        shared_names = [klynger.loc[c, "name"] for c in row["shared_with"].split(",") if c in klynger.index]
        label = f"{names.get(code, code)}: delt mellem {' og '.join(shared_names)} (ingen grænse tegnet)"
        canvas.polygons(shown, [code], "code", fill=SHARED_COLOUR, line="white", width=0.8, name=label)
        hover[code] = _hover_rows([code], names, "Delt mellem " + " og ".join(shared_names), pop)[0]
    order = sorted(cluster_ids, key=lambda c: not _has_holes(
        shown[shown["code"].isin(klynger.loc[c, "municipality_codes"].split(","))].geometry.values))
    for cid in order:
        codes = [c for c in klynger.loc[cid, "municipality_codes"].split(",") if c]
        label = str(klynger.loc[cid, "name"])
        canvas.polygons(shown, codes, "code", fill=colours[cid], line="white", width=0.8, name=label,
                        legendgroup=cid, showlegend=background is not None or cid == hl_id)
        hover.update(dict(zip(codes, _hover_rows(codes, names, label, pop), strict=True)))
    kl = clusters[clusters["kind"] == "klynge"]
    canvas.polygons(kl, kl["cluster_id"].tolist(), "cluster_id", fill="none", line=OUTLINE_COLOUR, width=2.0,
                    name="Klyngegrænser", showlegend=False)
    if shift is not None:
        _inset_frame(canvas, shown)
    hosp = _registry().hospitals()
    hosp = hosp[(hosp["kind"] == "acute") & hosp["lat"].notna() & hosp["lon"].notna()]
    if region_code is not None:
        parts = set(_registry().region_parts(region_code))  # Region Østdanmark: Hovedstaden + Sjælland
        hosp = hosp[hosp["region_code"].map(normalize_region_code).isin(parts)]
    from pyproj import Transformer

    tr = Transformer.from_crs(4326, 25832, always_xy=True)
    hx, hy = tr.transform(hosp["lon"].to_numpy(float), hosp["lat"].to_numpy(float))
    if shift is not None:  # the hospital on Bornholm moves with the island
        isle = _real_isle(muni, shift)
        on_isle = shapely.contains_xy(isle, hx, hy) if isle is not None else np.zeros(len(hx), bool)
        hx, hy = np.where(on_isle, hx + shift[0], hx), np.where(on_isle, hy + shift[1], hy)
    own = set(_cluster_hospitals(hl_id, division, date)) if hl_id is not None else set()
    hosp_labels = [f"<b>{_hospital_short(n)}</b>" if n in own else str(t or _hospital_short(n))
                   for n, t in zip(hosp["name"], hosp["town"], strict=True)]
    canvas.points(np.c_[hx, hy], np.c_[hosp["lon"].to_numpy(float), hosp["lat"].to_numpy(float)],
                  text=[f"<b>{n}</b><br>{t}" for n, t in zip(hosp["name"], hosp["town"].fillna(""), strict=True)],
                  name="Akutsygehus", extra="Akutsygehus", showlegend=True,
                  marker={"size": 11, "color": "black", "symbol": "cross", "line": {"color": "white", "width": 1}},
                  labels=None if background else hosp_labels)
    if background is None:
        _labels(canvas, kl, list(klynger.index), dict(zip(kl["cluster_id"], kl["name"].astype(str), strict=True)),
                "cluster_id")
    _hover_points(canvas, shown, "code", hover)
    if background is None:
        return canvas.finish_print(title)
    return canvas.finish(title, unit_words.fill("{Sundhedsklynger}"))


def _real_isle(moved_muni: Any, shift: tuple[float, float]) -> Any:
    """Bornholm's polygon where it really lies (the layer holds it moved by ``shift``), buffered by 2 km."""
    sel = moved_muni[moved_muni["code"] == BORNHOLM]
    if sel.empty:
        return None
    return shapely.buffer(shapely.union_all(sel.geometry.translate(-shift[0], -shift[1]).values), 2 * _KM)


def _hospital_short(name: str) -> str:
    return str(name).split(" (")[0]


def _cluster_hospitals(cluster_id: str, division: str | None, date: Any) -> list[str]:
    try:
        c = _registry().cluster(cluster_id, division=division, date=date)
        return [str(n) for n in c.hospitals["name"]] if len(c.hospitals) else []
    except KlyngedataError:
        return []


def _tile_polygon(x: float, y: float, shape: str, size: float = 0.92) -> tuple[list[float], list[float]]:
    if shape == "hex":
        ang = np.deg2rad(np.arange(30, 391, 60))
        r = size / np.sqrt(3)
        return list(x + r * np.cos(ang)), list(y + r * np.sin(ang))
    h = size / 2
    return [x - h, x + h, x + h, x - h, x - h], [y - h, y - h, y + h, y + h, y - h]


def _tile_layout_fig(fig: go.Figure, title: str | None, legend_title: str = "Sundhedsklynger") -> None:
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1)
    fig.update_layout(title=title, plot_bgcolor="white", margin={"l": 10, "r": 10, "t": 60, "b": 40},
                      legend={"title": {"text": legend_title}},
                      annotations=[{"text": TILE_NOTE_DA, "xref": "paper", "yref": "paper", "x": 0, "y": -0.04,
                                    "showarrow": False, "font": {"size": 11}, "xanchor": "left"}])


def _abbrev(name: str) -> str:
    return name[:4] if len(name) > 5 else name


def _cluster_tile_map(m: pd.DataFrame, hl_id: str | None, pop: Mapping[str, float], shape: str,
                      title: str | None) -> go.Figure:
    from klyngedata.geo.tiles import tile_layout

    tiles = tile_layout(shape=shape).set_index("municipality_code")
    tiles = tiles[tiles.index.isin(set(m["municipality_code"]))]
    cluster_ids = list(dict.fromkeys(m["cluster_id"]))
    colours = _colours(cluster_ids, hl_id)
    cname = dict(zip(m["cluster_id"], m["cluster_name"], strict=False))
    fig = go.Figure()
    whole = m[m["allocation"] == "whole"]
    for cid in cluster_ids:
        codes = whole.loc[whole["cluster_id"] == cid, "municipality_code"].tolist()
        xs: list[Any] = []
        ys: list[Any] = []
        for c in codes:
            px, py = _tile_polygon(tiles.loc[c, "x"], tiles.loc[c, "y"], shape)
            xs += px + [None]
            ys += py + [None]
        fig.add_trace(go.Scatter(x=xs, y=ys, fill="toself", mode="lines", fillcolor=colours[cid],
                                 line={"color": "white", "width": 1}, name=cname[cid], hoverinfo="skip"))
    split = m[m["allocation"] != "whole"]
    shared_label: dict[str, str] = {}
    for code, rows in split.groupby("municipality_code"):
        names = list(dict.fromkeys(cname[c] for c in rows["cluster_id"]))
        shared_label[code] = "Delt mellem " + " og ".join(names)
        px, py = _tile_polygon(tiles.loc[code, "x"], tiles.loc[code, "y"], shape)
        fig.add_trace(go.Scatter(x=px, y=py, fill="toself", mode="lines", fillcolor=SHARED_COLOUR,
                                 line={"color": "white", "width": 1}, hoverinfo="skip",
                                 name=f"{tiles.loc[code, 'name']}: {shared_label[code]}"))
    of = dict(zip(whole["municipality_code"], whole["cluster_id"].map(cname), strict=False))
    hover = []
    for c in tiles.index:
        hover += _hover_rows([c], {c: tiles.loc[c, "name"]}, shared_label.get(c, of.get(c, "")), pop)
    fig.add_trace(go.Scatter(x=tiles["x"], y=tiles["y"], mode="text", text=[_abbrev(n) for n in tiles["name"]],
                             textfont={"size": 9}, hovertext=hover, hovertemplate="%{hovertext}<extra></extra>",
                             showlegend=False, name="Kommuner"))
    _tile_layout_fig(fig, title)
    return fig


# --- choropleth --------------------------------------------------------------------------------------

_LEVELS = {"kommune": "kommune", "municipality": "kommune", "cluster": "cluster", "klynge": "cluster",
           "region": "region"}


COUNT_UNITS_DA = frozenset({"personer", "antal", "borgere", "indbyggere", "indlæggelser", "kontakter"})


def _is_count(values: pd.Series, unit_da: str) -> bool:
    """Counts of persons (by unit) or whole numbers only: shown without decimals."""
    if unit_da.strip().lower() in COUNT_UNITS_DA:
        return True
    v = pd.to_numeric(values, errors="coerce").dropna()
    return bool(len(v)) and bool(np.all(np.isclose(v.to_numpy(float), np.round(v.to_numpy(float)))))


def class_breaks(values: pd.Series, classes: int = 5, *, integers: bool = False) -> list[float]:
    """Quantile class breaks (``classes + 1`` edges, duplicates removed) of the non-missing values.

    ``integers=True`` (counts): the limits are values that occur, so a legend never shows "12.345,5 personer".

    Example
    -------
    >>> class_breaks(pd.Series([1.0, 2, 3, 4, 5]), 2)
    [1.0, 3.0, 5.0]
    >>> class_breaks(pd.Series([1750, 36595, 58330, 63570]), 2, integers=True)
    [1750.0, 36595.0, 63570.0]
    """
    v = pd.to_numeric(values, errors="coerce").dropna()
    if v.empty:
        return []
    method = "lower" if integers else "linear"
    edges = np.unique(np.quantile(v.to_numpy(float), np.linspace(0, 1, classes + 1), method=method))
    return [float(e) for e in edges] if len(edges) > 1 else [float(edges[0]), float(edges[0])]


def choropleth(frame: pd.DataFrame, value_col: str, level: str, title_da: str, *,
               entity_col: str = "entity_id", name_col: str | None = "entity_name", division: str | None = None,
               data_dir: str | os.PathLike[str] | None = None, colorscale: str = "Blues", reverse: bool = False,
               classes: int = 5, decimals: int | None = None, unit_da: str = "", display_col: str | None = "display",
               tolerance: float | None = WEB_TOLERANCE_M, background: str | None = None,
               municipalities: Any = None, membership: pd.DataFrame | None = None,
               title: str | None = None) -> go.Figure:
    """Choropleth of ``value_col`` by municipality, cluster or region; ``title_da`` is the legend title.

    Values are shown in ``classes`` quantile classes of ``colorscale`` (legend: Danish value ranges).
    ``decimals`` default: 0 for counts (``unit_da`` "personer"/"antal"/... or whole-number values, whose
    class limits are then whole numbers too), else 1.
    Missing values (e.g. suppressed small counts, ``NaN``) are drawn light grey as "Ingen værdi / ikke
    vist"; a ``display`` column (e.g. ``"<5"``) is shown in the hover text when present.
    ``reverse=True`` flips the colour scale (for "lower is better" figures).

    Example
    -------
    >>> fig = choropleth(keyfig, "value", "kommune", "Andel 65+ (%)")  # doctest: +SKIP
    """
    lvl = _LEVELS.get(str(level).lower())
    if lvl is None:
        raise KlyngedataError(f"choropleth level must be kommune, cluster or region, not {level!r}")
    if value_col not in frame.columns or entity_col not in frame.columns:
        raise KlyngedataError(f"choropleth: frame needs columns {entity_col!r} and {value_col!r}")
    df = frame.copy()
    norm = {"kommune": normalize_municipality_code, "region": normalize_region_code}.get(lvl, str)
    df["_key"] = df[entity_col].map(norm)
    df = df.drop_duplicates("_key", keep="last").set_index("_key")
    values = pd.to_numeric(df[value_col], errors="coerce")
    integral = _is_count(values, unit_da)
    if decimals is None:
        decimals = 0 if integral else 1
    muni = _boundaries_or_none(data_dir, tolerance, municipalities)
    if muni is None:
        if lvl == "region":
            raise BoundaryError("a region choropleth needs boundaries; the tile map shows municipalities/clusters")
        return _choropleth_tiles(df, values, lvl, title_da, colorscale, reverse, decimals, unit_da,
                                 display_col, division, membership, title)
    if background is None:
        shift = _inset_shift(muni, set(muni["code"]))  # a choropleth draws the whole country
        if shift is not None:
            muni = _move_bornholm(muni, shift)
    if lvl == "kommune":
        layer = muni.assign(_id=muni["code"], kind="klynge", label_da="")
    elif lvl == "region":
        layer = region_polygons(municipalities=muni, division=division).assign(kind="klynge", label_da="")
        layer["_id"] = layer["code"]
    else:
        layer = cluster_polygons(division, membership=membership, municipalities=muni)
        layer["_id"] = layer["cluster_id"]
    names = dict(zip(layer["_id"], layer["name"].astype(str), strict=True))
    if name_col and name_col in df.columns:
        names.update({k: str(v) for k, v in df[name_col].dropna().items()})
    ids = layer.loc[layer["kind"] == "klynge", "_id"].tolist()
    have = [i for i in ids if i in values.index and pd.notna(values.get(i))]
    missing = [i for i in ids if i not in have]
    suffix = f" {unit_da}" if unit_da else ""

    def shown(i: str) -> str:
        if display_col and display_col in df.columns and i in df.index and pd.notna(df.loc[i, display_col]):
            return str(df.loc[i, display_col])
        v = values.get(i)
        return "ingen værdi" if v is None or pd.isna(v) else format_number_da(v, decimals)

    canvas = _Canvas(background)
    hover = {i: f"<b>{names.get(i, i)}</b><br>{title_da}: {shown(i)}{suffix}" for i in ids}
    for _, row in layer[layer["kind"] == "delt"].iterrows():
        label = str(row["label_da"])
        canvas.polygons(layer, [row["_id"]], "_id", fill=SHARED_COLOUR, line="white", width=0.6, name=label)
        hover[row["_id"]] = f"<b>{label}</b>"
    if missing:
        canvas.polygons(layer, missing, "_id", fill=MISSING_COLOUR, line="#bbbbbb", width=0.6,
                        name="Ingen værdi / ikke vist")
    edges = class_breaks(values[values.index.isin(have)], classes, integers=integral)
    if have:
        n_cls = max(len(edges) - 1, 1)
        scale = sample_colorscale(colorscale, [0.15 + 0.85 * (k / max(n_cls - 1, 1)) for k in range(n_cls)])
        if reverse:
            scale = scale[::-1]
        cls = np.clip(np.searchsorted(edges, [float(values[i]) for i in have], side="right") - 1, 0, n_cls - 1)
        groups = [[i for i, c in zip(have, cls, strict=True) if c == k] for k in range(n_cls)]
        order = sorted(range(n_cls), key=lambda k: not _has_holes(layer[layer["_id"].isin(groups[k])].geometry))
        for k in order:
            if not groups[k]:
                continue
            lo, hi = edges[k], edges[min(k + 1, len(edges) - 1)]
            name = f"{format_number_da(lo, decimals)}–{format_number_da(hi, decimals)}{suffix}"
            canvas.polygons(layer, groups[k], "_id", fill=scale[k], line="white", width=0.6, name=name,
                            legendgroup=f"k{k}")
        canvas.fig.data = tuple(sorted(canvas.fig.data, key=lambda t: t.legendgroup or ""))  # legend low -> high
    _hover_points(canvas, layer, "_id", hover)
    fig = canvas.finish(title or title_da, title_da)
    return fig


def _choropleth_tiles(df: pd.DataFrame, values: pd.Series, lvl: str, title_da: str, colorscale: str,
                      reverse: bool, decimals: int, unit_da: str, display_col: str | None,
                      division: str | None, membership: pd.DataFrame | None, title: str | None) -> go.Figure:
    from klyngedata.geo.tiles import tile_layout

    tiles = tile_layout(shape="square").set_index("municipality_code")
    tile_value = pd.Series(np.nan, index=tiles.index)
    label = pd.Series(tiles["name"], index=tiles.index).astype(str)
    if lvl == "kommune":
        tile_value = values.reindex(tiles.index).astype(float)
    else:
        m = membership if membership is not None else _registry().membership(division=division)
        m = m.assign(municipality_code=m["municipality_code"].map(normalize_municipality_code))
        whole = m[m["allocation"] == "whole"]
        cl_of = dict(zip(whole["municipality_code"], whole["cluster_id"], strict=False))
        cname = dict(zip(m["cluster_id"], m["cluster_name"], strict=False))
        for c in tiles.index:
            if c in cl_of:
                tile_value[c] = values.get(cl_of[c], np.nan)
                label[c] = f"{tiles.loc[c, 'name']} ({cname[cl_of[c]]})"
            else:
                shared = m.loc[m["municipality_code"] == c, "cluster_id"].map(cname).unique()
                label[c] = f"{tiles.loc[c, 'name']}: delt mellem {' og '.join(shared)}"
    ncol, nrow = int(tiles["col"].max()) + 1, int(tiles["row"].max()) + 1
    z = np.full((nrow, ncol), np.nan)
    text = np.full((nrow, ncol), "", dtype=object)
    suffix = f" {unit_da}" if unit_da else ""
    for c, t in tiles.iterrows():
        v = tile_value[c]
        shown = None
        if lvl == "kommune" and display_col and display_col in df.columns and c in df.index:
            d = df.loc[c, display_col]
            shown = None if pd.isna(d) else str(d)
        if shown is None:
            shown = "ingen værdi" if pd.isna(v) else format_number_da(v, decimals)
        z[int(t["row"]), int(t["col"])] = v
        text[int(t["row"]), int(t["col"])] = f"<b>{label[c]}</b><br>{title_da}: {shown}{suffix}"
    fig = go.Figure(go.Heatmap(z=z, text=text, hovertemplate="%{text}<extra></extra>", colorscale=colorscale,
                               reversescale=reverse, xgap=3, ygap=3, colorbar={"title": {"text": title_da}},
                               hoverongaps=False, name=title_da))
    fig.add_trace(go.Scatter(x=tiles["col"], y=tiles["row"], mode="text", text=[_abbrev(n) for n in tiles["name"]],
                             textfont={"size": 9}, hoverinfo="skip", showlegend=False))
    _tile_layout_fig(fig, title or title_da, title_da)
    return fig
