"""The map of a division's units (:func:`cluster_map`): units coloured and named, member municipalities
outlined, acute hospitals, Bornholm as an inset, a tile map without boundaries."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import shapely

from klyngedata.exceptions import KlyngedataError
from klyngedata.geo.canvas import (
    _KM,
    BORNHOLM,
    HIGHLIGHT_COLOUR,
    INSET_GAP_KM,
    LABEL_COLOUR,
    MUTED_PALETTE,
    OUTLINE_COLOUR,
    PALETTE,
    SHARED_COLOUR,
    TILE_NOTE_DA,
    _boundaries_or_none,
    _Canvas,
    _has_holes,
    _hover_points,
    _hover_rows,
    _population_lookup,
    _registry,
    _resolve_region,
)
from klyngedata.geo.catchment import (
    WEB_TOLERANCE_M,
    cluster_polygons,
)
from klyngedata.geo.insets import HALO, MAIN_WIDTH, add_zoom_inset, page_scale, small_members
from klyngedata.vocabulary.codes import normalize_municipality_code, normalize_region_code

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
    """The Danish words for the units of the membership rows' division (:mod:`klyngedata.registry.words`)."""
    from klyngedata.registry.words import words

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
    canvas.fig.add_trace(dict(type="scatter", x=xs, y=ys, mode="lines",
                              line={"color": "#8c959f", "width": 1, "dash": "dot"},
                              name="Bornholm (flyttet tættere på)", showlegend=False, hoverinfo="skip"))


def _labels(canvas: _Canvas, polygons: Any, ids: list[str], names: Mapping[str, str], id_col: str) -> None:
    """Names of the units at a point inside each (readable on every fill colour)."""
    sub = polygons[polygons[id_col].isin(ids)]
    if sub.empty:
        return
    pts = sub.geometry.representative_point()
    canvas.fig.add_trace(dict(type="scatter",
        x=np.round(pts.x.to_numpy(float) / _KM, 2), y=np.round(pts.y.to_numpy(float) / _KM, 2), mode="text",
        text=[short_name(names.get(i, i)) for i in sub[id_col]], name="Navne", showlegend=False, hoverinfo="skip",
        textfont={"size": 11, "color": LABEL_COLOUR, "shadow": HALO}))


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
    Needs the municipality boundaries imported into the data directory; not run as a doctest.
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
                        legendgroup=cid, showlegend=True)  # every colour in the legend, the neighbours' too
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
    hosp_labels = [f"<b>{_wrap(_hospital_short(n))}</b>" if n in own else str(t or _hospital_short(n))
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
        fig = canvas.finish_print(title)
        _zoom_if_small(fig, shown, m, hl_id, names)
        return fig
    return canvas.finish(title, unit_words.fill("{Sundhedsklynger}"))


def _zoom_if_small(fig: go.Figure, shown: Any, m: pd.DataFrame, hl_id: str | None, names: Mapping[str, str]) -> None:
    """An enlarged inset when members of the highlighted unit are too small to read on the printed map."""
    if hl_id is None or shown.empty:
        return
    codes = set(m.loc[m["cluster_id"] == hl_id, "municipality_code"])
    mine = shown[shown["code"].isin(codes)]
    margin = fig.layout.margin
    width = 660.0
    height = float(fig.layout.height or 470) - float(margin.t or 0) - float(margin.b or 0)
    scale = page_scale(tuple(shown.total_bounds), width, height)
    geoms = dict(zip(mine["code"], mine.geometry, strict=True))
    small = small_members(geoms, scale)
    if not small:
        return
    scale = page_scale(tuple(shown.total_bounds), width * MAIN_WIDTH, height)  # the main map narrows
    small = small_members(geoms, scale)
    units = {}
    for cid, grp in shown.assign(_cl=shown["code"].map(dict(zip(m["municipality_code"], m["cluster_id"],
                                                                strict=False)))).groupby("_cl"):
        if cid != hl_id:
            units[short_name(str(m.loc[m["cluster_id"] == cid, "cluster_name"].iloc[0]))] = shapely.union_all(
                grp.geometry.values)
    add_zoom_inset(fig, {c: geoms[c] for c in small}, {c: names.get(c, c) for c in small}, width_px=width,
                   height_px=height, title="Forstørret udsnit", units=units)


def _real_isle(moved_muni: Any, shift: tuple[float, float]) -> Any:
    """Bornholm's polygon where it really lies (the layer holds it moved by ``shift``), buffered by 2 km."""
    sel = moved_muni[moved_muni["code"] == BORNHOLM]
    if sel.empty:
        return None
    return shapely.buffer(shapely.union_all(sel.geometry.translate(-shift[0], -shift[1]).values), 2 * _KM)


def _hospital_short(name: str) -> str:
    return str(name).split(" (")[0]


def _wrap(label: str, width: int = 22) -> str:
    """A long label on two lines (at the word nearest the middle), so it stays on the map."""
    if len(label) <= width:
        return label
    words = label.split()
    cut = min(range(1, len(words)), key=lambda i: abs(len(" ".join(words[:i])) - len(label) / 2))
    return " ".join(words[:cut]) + "<br>" + " ".join(words[cut:])


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
