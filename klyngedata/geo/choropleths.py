"""Any key figure by municipality, unit or region in classes of a colour scale (:func:`choropleth`), with a
Danish legend; a tile map without boundaries."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from klyngedata.exceptions import BoundaryError, KlyngedataError
from klyngedata.geo.canvas import (
    MISSING_COLOUR,
    SHARED_COLOUR,
    _boundaries_or_none,
    _Canvas,
    _has_holes,
    _hover_points,
    _registry,
    format_number_da,
)
from klyngedata.geo.catchment import (
    WEB_TOLERANCE_M,
    cluster_polygons,
    region_polygons,
)
from klyngedata.geo.unit_map import _abbrev, _inset_shift, _move_bornholm, _tile_layout_fig
from klyngedata.vocabulary.codes import normalize_municipality_code, normalize_region_code

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
               title: str | None = None, names: bool = False) -> go.Figure:
    """Choropleth of ``value_col`` by municipality, cluster or region; ``title_da`` is the legend title.

    Values are shown in ``classes`` quantile classes of ``colorscale`` (legend: Danish value ranges).
    ``decimals`` default: 0 for counts (``unit_da`` "personer"/"antal"/... or whole-number values, whose
    class limits are then whole numbers too), else 1.
    Missing values (e.g. suppressed small counts, ``NaN``) are drawn light grey as "Ingen værdi / ikke
    vist"; a ``display`` column (e.g. ``"<5"``) is shown in the hover text when present.
    ``reverse=True`` flips the colour scale (for "lower is better" figures). ``names=True`` writes each unit's
    short name on the map (with a white halo; for units, not municipalities).

    Example
    -------
    Needs key figures and the boundaries imported into the data directory; not run as a doctest.
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
    names_of = dict(zip(layer["_id"], layer["name"].astype(str), strict=True))
    if name_col and name_col in df.columns:
        names_of.update({k: str(v) for k, v in df[name_col].dropna().items()})
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
    hover = {i: f"<b>{names_of.get(i, i)}</b><br>{title_da}: {shown(i)}{suffix}" for i in ids}
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
    if names and lvl != "kommune" and background is None:
        from klyngedata.geo.unit_map import _labels

        _labels(canvas, layer[layer["kind"] == "klynge"], ids, {i: names_of.get(i, i) for i in ids}, "_id")
    fig = canvas.finish(title or title_da, title_da)
    if names and lvl != "kommune" and background is None:
        _capital_inset(fig, muni, layer[layer["kind"] == "klynge"], names_of)
    return fig


def _capital_inset(fig: go.Figure, muni: Any, units: Any, names: dict[str, str], width_px: float = 1000.0,
                   height_px: float = 520.0) -> None:
    """An enlarged inset of the area where municipalities are too small to tell apart (the capital), with the
    units named in it; the legend moves above the map."""
    import shapely

    from klyngedata.geo.insets import MAIN_WIDTH, add_zoom_inset, densest_small, page_scale
    from klyngedata.geo.unit_map import short_name

    scale = page_scale(tuple(muni.total_bounds), width_px * MAIN_WIDTH, height_px)
    geoms = dict(zip(muni["code"], muni.geometry, strict=True))
    dense = densest_small(geoms, scale, radius_km=8.0)  # the capital itself: the councils around it legible
    if len(dense) < 2:
        return
    unit_geoms = {short_name(names.get(i, i)): shapely.union_all(g.geometry.values)
                  for i, g in units.groupby("_id")}
    if add_zoom_inset(fig, {c: geoms[c] for c in dense}, {}, width_px=width_px, height_px=height_px,
                      title="Forstørret udsnit", units=unit_geoms):
        fig.update_layout(legend={"orientation": "h", "x": 0.0, "xanchor": "left", "y": 1.0, "yanchor": "bottom"})


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
