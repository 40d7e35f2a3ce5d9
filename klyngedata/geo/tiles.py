"""Tile map of the 98 municipalities: one equal tile each, no boundaries needed.

The approximate location of each municipality is a *fact* written down with its source in
``klyngedata/geo/data/municipality_locations.csv`` (columns ``municipality_code``, ``name``, ``lat``,
``lon``, ``location_kind``, ``source_entry``, ``source``). The layout is *computed*:

1. project lon/lat to ETRS89 / UTM 32N (metres);
2. blend the scaled coordinates with their ranks (``alpha`` · position + (1 − ``alpha``) · rank), which
   spreads the crowded Copenhagen area over more tiles without changing the order of places;
3. pull isolated places (Bornholm) to at most ``max_gap`` tiles from their nearest neighbour;
4. assign every municipality to one grid cell (square or hexagonal grid) so that the total squared
   distance between places and cell centres is minimal (Hungarian algorithm,
   :func:`scipy.optimize.linear_sum_assignment`; a greedy nearest-free-cell fallback without scipy).

Neighbours thus stay near each other: on the real boundaries about three quarters of the pairs of
municipalities that share a border end up on adjacent tiles (tests/test_geo_tiles.py measures it).

Example
-------
>>> from klyngedata.geo.tiles import tile_layout
>>> tiles = tile_layout()
>>> len(tiles), tiles[["col", "row"]].duplicated().any()
(98, np.False_)
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from klyngedata.exceptions import DataFormatError
from klyngedata.vocabulary.codes import normalize_municipality_code

LOCATIONS_FILE = "municipality_locations.csv"
SHAPES = ("square", "hex")
_HEX_DY = float(np.sqrt(3) / 2)


@lru_cache(maxsize=1)
def _read_locations() -> pd.DataFrame:
    ref = resources.files("klyngedata.geo").joinpath("data", LOCATIONS_FILE)
    with ref.open("r", encoding="utf-8") as fh:
        df = pd.read_csv(fh, dtype={"municipality_code": str})
    required = ["municipality_code", "name", "lat", "lon", "source"]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataFormatError(f"{LOCATIONS_FILE}: missing columns {missing}")
    for i, row in enumerate(df.itertuples(index=False), start=2):
        if not (54.4 < row.lat < 57.9 and 7.9 < row.lon < 15.3):
            raise DataFormatError(f"{LOCATIONS_FILE}, row {i}: location {row.lat}, {row.lon} is outside Denmark")
        if not isinstance(row.source, str) or not row.source.strip():
            raise DataFormatError(f"{LOCATIONS_FILE}, row {i}: no source")
    df["municipality_code"] = df["municipality_code"].map(normalize_municipality_code)
    if df["municipality_code"].duplicated().any():
        raise DataFormatError(f"{LOCATIONS_FILE}: duplicate municipality codes")
    return df


def municipality_locations() -> pd.DataFrame:
    """The sourced approximate location (lat/lon, WGS84) of each of the 98 municipalities.

    Example
    -------
    >>> municipality_locations().set_index("municipality_code").loc["0851", "name"]
    'Aalborg'
    """
    return _read_locations().copy()


def _cell_centres(width: int, height: int, shape: str) -> np.ndarray:
    cells = []
    for r in range(-1, height + 1):
        for c in range(-1, width + 1):
            cx = c + (0.5 if shape == "hex" and r % 2 else 0.0)
            cy = r * (_HEX_DY if shape == "hex" else 1.0)
            cells.append((cx, cy, c, r))
    return np.asarray(cells, dtype=float)


def _assign(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    cost = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    try:
        from scipy.optimize import linear_sum_assignment
    except ImportError:  # greedy fallback: most constrained (crowded) places first
        order = np.argsort(np.sort(cost, axis=1)[:, 1])
        taken: set[int] = set()
        result = np.empty(len(points), dtype=int)
        for i in order:
            for j in np.argsort(cost[i]):
                if j not in taken:
                    taken.add(int(j))
                    result[i] = j
                    break
        return result
    rows, cols = linear_sum_assignment(cost)
    result = np.empty(len(points), dtype=int)
    result[rows] = cols
    return result


def tile_layout(shape: str = "square", columns: int = 12, alpha: float = 0.5, max_gap: float = 3.0,
                locations: pd.DataFrame | None = None) -> pd.DataFrame:
    """Compute the tile position of each municipality.

    Returns ``municipality_code``, ``name``, ``col``, ``row`` (integer grid cell; row 0 is the
    southernmost), ``x``, ``y`` (tile centre for plotting; hex rows are offset by half a tile) and
    ``lat``, ``lon`` (the input location). ``columns`` sets the scale: the country's east–west extent
    spans about that many tiles.

    Example
    -------
    >>> t = tile_layout(shape="hex").set_index("municipality_code")
    >>> bool(t.loc["0400", "x"] == t["x"].max())  # Bornholm is the easternmost tile
    True
    """
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {SHAPES}, not {shape!r}")
    from pyproj import Transformer

    loc = (locations if locations is not None else municipality_locations()).reset_index(drop=True)
    tr = Transformer.from_crs(4326, 25832, always_xy=True)
    x, y = tr.transform(loc["lon"].to_numpy(float), loc["lat"].to_numpy(float))
    span = float(np.ptp(x)) or 1.0
    n = len(loc)
    sx, sy = (x - x.min()) / span, (y - y.min()) / span
    rx = pd.Series(x).rank().to_numpy() / n
    ry = pd.Series(y).rank().to_numpy() / n * (float(np.ptp(y)) / span)
    pts = np.c_[alpha * sx + (1 - alpha) * rx, alpha * sy + (1 - alpha) * ry] * columns
    for i in range(n):  # pull isolated places towards their nearest neighbour
        d = np.linalg.norm(pts - pts[i], axis=1)
        d[i] = np.inf
        j = int(d.argmin())
        if d[j] > max_gap:
            pts[i] = pts[j] + (pts[i] - pts[j]) / d[j] * max_gap
    pts -= pts.min(axis=0)
    width = int(np.ceil(pts[:, 0].max())) + 2
    height = int(np.ceil(pts[:, 1].max() / (_HEX_DY if shape == "hex" else 1.0))) + 2
    centres = _cell_centres(width, height, shape)
    chosen = centres[_assign(pts, centres[:, :2])]
    out = pd.DataFrame({
        "municipality_code": loc["municipality_code"].to_numpy(),
        "name": loc["name"].to_numpy(),
        "col": chosen[:, 2].astype(int), "row": chosen[:, 3].astype(int),
        "x": chosen[:, 0], "y": chosen[:, 1],
        "lat": loc["lat"].to_numpy(), "lon": loc["lon"].to_numpy(),
    })
    out[["col", "row"]] -= out[["col", "row"]].min()
    out["x"] -= out["x"].min()
    out["y"] -= out["y"].min()
    out.attrs["shape"] = shape
    return out.sort_values("municipality_code", ignore_index=True)
