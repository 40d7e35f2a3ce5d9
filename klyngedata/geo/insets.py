"""An enlarged inset of a map where a highlighted unit's members are too small to read at page scale.

København and Frederiksberg are a few kilometres across: on an A4 map of Region Østdanmark they are a dot under
colliding labels. :func:`add_zoom_inset` draws the map a second time, enlarged to a window around the small
members, in a framed panel beside the main map (its own equal-aspect axes ``x2``/``y2``), marks the window on the
main map, names the members in the inset and moves the labels of hospitals inside the window from the main map
to the inset. Everything stays plotly traces on Cartesian axes (offline, no tiles).

Example
-------
>>> import shapely
>>> small_members({"0147": shapely.box(0, 0, 3000, 3000), "0851": shapely.box(0, 0, 60000, 40000)}, 2.0)
['0147']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import plotly.graph_objects as go
import shapely

__all__ = ["MIN_MEMBER_PX", "add_zoom_inset", "densest_small", "page_scale", "small_members"]

_KM = 1000.0
MIN_MEMBER_PX = 28.0
"""A member narrower than this (px on the printed map) is too small to read: the map gets an inset."""
HALO = "0 0 2px #ffffff, 0 0 2px #ffffff, 0 0 3px #ffffff, 0 0 4px #ffffff"
"""White halo behind map labels: readable over every fill and over the coast."""
MAIN_WIDTH = 0.6
"""Share of the figure's width the main map keeps when an inset is drawn beside it."""


def page_scale(bounds_m: tuple[float, float, float, float], width_px: float, height_px: float) -> float:
    """Pixels per km of an equal-aspect map of ``bounds_m`` (metres) drawn in ``width_px`` x ``height_px``.

    Example
    -------
    >>> page_scale((0, 0, 100_000, 200_000), 400, 400)
    2.0
    """
    x0, y0, x1, y1 = bounds_m
    return min(width_px / max((x1 - x0) / _KM, 1e-9), height_px / max((y1 - y0) / _KM, 1e-9))


def small_members(geoms: Mapping[str, Any], px_per_km: float, min_px: float = MIN_MEMBER_PX) -> list[str]:
    """Codes of the members whose smaller side is under ``min_px`` at ``px_per_km`` (see the module example)."""
    out = []
    for code, g in geoms.items():
        x0, y0, x1, y1 = shapely.bounds(g)
        if min(x1 - x0, y1 - y0) / _KM * px_per_km < min_px:
            out.append(code)
    return out


def densest_small(geoms: Mapping[str, Any], px_per_km: float, radius_km: float = 20.0) -> list[str]:
    """The small municipalities (see :func:`small_members`) around the one with most small neighbours within
    ``radius_km``: the capital area on a map of the whole country (islands far apart are left out).

    Example
    -------
    >>> import shapely
    >>> tiny = {c: shapely.box(x, 0, x + 2000, 2000) for c, x in (("a", 0), ("b", 5000), ("c", 300_000))}
    >>> densest_small(tiny, 1.0)
    ['a', 'b']
    """
    small = small_members(geoms, px_per_km)
    if len(small) < 2:
        return small
    pts = {c: shapely.centroid(geoms[c]) for c in small}
    near = {c: [d for d in small if shapely.distance(pts[c], pts[d]) <= radius_km * _KM] for c in small}
    best = max(small, key=lambda c: len(near[c]))
    return near[best]


def _window(geoms: list[Any], aspect: float) -> tuple[float, float, float, float]:
    """A window (km) around ``geoms`` with a margin, widened to the panel's ``aspect`` (width / height)."""
    x0, y0, x1, y1 = shapely.bounds(shapely.union_all(geoms)) / _KM
    pad = max(4.0, 0.35 * max(x1 - x0, y1 - y0))
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    w, h = x1 - x0, y1 - y0
    if w / h < aspect:
        cx = (x0 + x1) / 2
        x0, x1 = cx - h * aspect / 2, cx + h * aspect / 2
    else:
        cy = (y0 + y1) / 2
        y0, y1 = cy - w / aspect / 2, cy + w / aspect / 2
    return float(x0), float(y0), float(x1), float(y1)


def add_zoom_inset(fig: go.Figure, members: Mapping[str, Any], names: Mapping[str, str], *, width_px: float,
                   height_px: float, title: str, units: Mapping[str, Any] | None = None) -> bool:
    """Add an enlarged inset around ``members`` (code -> polygon in metres, the small members of the highlighted
    unit) to a map drawn on axes ``x``/``y``; ``names``: their names, written in the inset; ``units``: name ->
    polygon of the units, named in the inset where a good part of them lies in it. Returns False (and changes
    nothing) when there is nothing to enlarge."""
    if not members:
        return False
    panel_w, panel_h = (1 - MAIN_WIDTH - 0.03) * width_px, 0.72 * height_px
    x0, y0, x1, y1 = _window(list(members.values()), panel_w / panel_h)
    main = list(fig.data)
    for t in main:
        if getattr(t, "type", None) != "scatter" or t.name == "Navne":
            continue
        copy = go.Scatter(t)
        copy.update(xaxis="x2", yaxis="y2", showlegend=False, hoverinfo="skip", hovertemplate=None)
        if copy.mode == "markers+text":  # a label in the right part of the inset is written to the left
            xs, ys = np.asarray(copy.x, float), np.asarray(copy.y, float)
            right = xs > x0 + 0.55 * (x1 - x0)
            copy.textposition = ["middle left" if r else "middle right" for r in right]
            inside = (xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)
            if copy.texttemplate is not None and not isinstance(copy.texttemplate, str):  # only what the inset shows
                copy.texttemplate = [t if i else "" for t, i in zip(copy.texttemplate, inside, strict=True)]
        fig.add_trace(copy)
    _move_labels_inside(main, (x0, y0, x1, y1))
    texts = [names[c] for c in members if c in names]  # members without a name given are not written
    pts = [shapely.point_on_surface(g) for c, g in members.items() if c in names]
    box = shapely.box(x0 * _KM, y0 * _KM, x1 * _KM, y1 * _KM)
    inner = shapely.box(*(np.array([x0, y0, x1, y1]) * _KM + np.array([1, 1, -1, -1]) * 0.2 * (x1 - x0) * _KM))
    for name, g in (units or {}).items():
        part = shapely.intersection(g, inner)
        if not part.is_empty and part.area > 0.005 * box.area:
            largest = max(shapely.get_parts(part), key=lambda p: p.area)  # the label on its biggest piece
            texts.append(name)
            pts.append(shapely.point_on_surface(largest))
    fig.add_trace(go.Scatter(
        x=[round(p.x / _KM, 2) for p in pts], y=[round(p.y / _KM, 2) for p in pts], mode="text",
        text=texts, xaxis="x2", yaxis="y2", showlegend=False, hoverinfo="skip",
        name="Navne (forstørret)", textfont={"size": 10, "color": "#1f2328", "shadow": HALO}))
    fig.update_layout(
        xaxis={"domain": [0.0, MAIN_WIDTH]},
        xaxis2={"domain": [MAIN_WIDTH + 0.03, 1.0], "range": [x0, x1], "visible": False, "fixedrange": True},
        yaxis2={"domain": [1 - 0.72, 1.0], "range": [y0, y1], "visible": False, "scaleanchor": "x2",
                "scaleratio": 1, "fixedrange": True, "anchor": "x2"},
    )
    fig.add_shape(type="rect", xref="x2 domain", yref="y2 domain", x0=0, x1=1, y0=0, y1=1,
                  line={"color": "#57606a", "width": 1})
    fig.add_shape(type="rect", xref="x", yref="y", x0=x0, x1=x1, y0=y0, y1=y1,
                  line={"color": "#57606a", "width": 1, "dash": "dot"})
    fig.add_annotation(text=title, xref="x2 domain", yref="y2 domain", x=0.0, y=-0.02, xanchor="left",
                       yanchor="top", showarrow=False, font={"size": 10, "color": "#57606a"})
    return True


def _move_labels_inside(traces: list[Any], window: tuple[float, float, float, float]) -> None:
    """Labels of points inside the window are written in the inset only (on the main map they collide)."""
    x0, y0, x1, y1 = window
    for t in traces:
        if getattr(t, "type", None) == "scatter" and t.mode == "text" and t.name == "Navne":
            xs, ys = np.asarray(t.x, float), np.asarray(t.y, float)
            inside = (xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)
            t.text = ["" if i else s for s, i in zip(t.text, inside, strict=True)]
            continue
        template = getattr(t, "texttemplate", None)
        if getattr(t, "type", None) != "scatter" or t.mode != "markers+text" or template is None:
            continue
        if isinstance(template, str):
            continue
        xs, ys = np.asarray(t.x, float), np.asarray(t.y, float)
        inside = (xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)
        t.texttemplate = ["" if i else s for s, i in zip(template, inside, strict=True)]
