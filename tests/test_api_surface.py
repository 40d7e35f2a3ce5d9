"""``dir(kd)`` and tab completion list the public API only (issue 28 item 5)."""

from __future__ import annotations

import klyngedata as kd


def test_dir_lists_the_public_api_only():
    names = dir(kd)
    assert not {"sys", "Any", "TYPE_CHECKING", "importlib", "lazy", "annotations", "_LAZY"} & set(names)
    assert set(kd.__all__) <= set(names)
    assert {"population", "key_figures", "peers", "cluster_map", "set_verbose", "reports"} <= set(names)
    for name in names:
        assert getattr(kd, name) is not None  # every listed name resolves


def test_submodules_stay_importable():
    from klyngedata import figures, registry

    assert registry.cluster("nordjylland-nord").name == "Klynge Nord" and hasattr(figures, "population_trend")
