"""Benchmark of the geography layer on the real DAGI files.

Times: loading the municipality boundaries (file -> normalised, dissolved layer), importing into and
reading from the cache, dissolving all clusters, simplifying the coverage, building the web GeoJSON and
the plotly cluster map; prints the web layer size against the 300 KB target.

Usage::

    python bench/bench_geo.py [--shared-data ../shared/data] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import shapely


def _time(fn, repeat: int):
    times = []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return result, statistics.median(times), min(times)


def main() -> None:
    here = Path(__file__).resolve().parents[1]
    default = os.environ.get("KLYNGEDATA_SHARED_DATA", str(here / ".." / "shared" / "data"))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared-data", default=default)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    geo = Path(args.shared_data) / "geo"
    kommuner_file = geo / "kommuner.geojson"
    if not kommuner_file.is_file():
        raise SystemExit(f"{kommuner_file} not found (set --shared-data or KLYNGEDATA_SHARED_DATA)")

    from klyngedata.geo.boundaries import boundaries, import_boundaries, read_boundaries
    from klyngedata.geo.catchment import (
        WEB_DECIMALS,
        WEB_TOLERANCE_M,
        cluster_polygons,
        cluster_web_layer,
        simplify_coverage,
    )
    from klyngedata.geo.maps import cluster_map

    r = args.repeat
    rows = []
    kommuner, med, best = _time(lambda: read_boundaries(kommuner_file), r)
    rows.append(("load kommuner.geojson (311 parts -> 98 units)", med, best))
    with tempfile.TemporaryDirectory() as tmp:
        _, med, best = _time(lambda: import_boundaries(kommuner_file, data_dir=tmp), r)
        rows.append(("import into cache (GeoParquet, atomic)", med, best))
        _, med, best = _time(lambda: boundaries("kommune", data_dir=tmp), r)
        rows.append(("read cached layer", med, best))
        _, med, best = _time(lambda: cluster_map(data_dir=tmp), max(1, r // 2))
        rows.append(("cluster_map, whole country (plotly figure)", med, best))
    full, med, best = _time(lambda: cluster_polygons(municipalities=kommuner), r)
    rows.append(("dissolve all clusters (full resolution)", med, best))
    simple_muni, med, best = _time(lambda: simplify_coverage(kommuner, WEB_TOLERANCE_M), r)
    rows.append((f"coverage_simplify municipalities ({WEB_TOLERANCE_M:.0f} m)", med, best))
    simple, med, best = _time(lambda: cluster_polygons(municipalities=kommuner, tolerance=WEB_TOLERANCE_M), r)
    rows.append(("simplify + dissolve all clusters", med, best))
    text, med, best = _time(lambda: cluster_web_layer(municipalities=kommuner), r)
    rows.append(("web GeoJSON of the cluster layer", med, best))
    sogne_file = geo / "sogne.topojson"
    if sogne_file.is_file():
        _, med, best = _time(lambda: read_boundaries(sogne_file), max(1, r // 2))
        rows.append(("load sogne.topojson (2468 parts -> 2148 parishes)", med, best))

    print(f"{'step':55s} {'median s':>9s} {'best s':>9s}")
    for name, med, best in rows:
        print(f"{name:55s} {med:9.3f} {best:9.3f}")
    n_full = int(shapely.get_num_coordinates(full.geometry.values).sum())
    n_simple = int(shapely.get_num_coordinates(simple.geometry.values).sum())
    n_muni = int(shapely.get_num_coordinates(kommuner.geometry.values).sum())
    n_muni_s = int(shapely.get_num_coordinates(simple_muni.geometry.values).sum())
    size = len(text.encode("utf-8"))
    print()
    print(f"municipality vertices: {n_muni} -> {n_muni_s} simplified (ratio {n_muni_s / n_muni:.2f})")
    print(f"cluster layer vertices: {n_full} -> {n_simple} simplified (ratio {n_simple / n_full:.2f})")
    print(f"web cluster layer: {size} bytes = {size / 1000:.1f} KB (target <= 300 KB: "
          f"{'OK' if size <= 300_000 else 'TOO BIG'}; tolerance {WEB_TOLERANCE_M:.0f} m, {WEB_DECIMALS} decimals)")
    for tol in (100, 150, 250, 500):
        s = len(cluster_web_layer(municipalities=kommuner, tolerance=tol).encode("utf-8"))
        print(f"  tolerance {tol:4d} m -> {s / 1000:7.1f} KB")


if __name__ == "__main__":
    main()
