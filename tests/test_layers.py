"""The package's layers (issue 10): no import cycle, no import up a layer, every module in a layer, no module
over 600 lines, no function over 120 lines (issue 27). The layer order is the ``layers`` block of
ARCHITECTURE.md; the graph is in tests/import_graph.py. The last tests show that the checks fail on a
reintroduced cycle and upward import and find a long function."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest
from import_graph import cycles, import_edges, layer_of, read_layers, upward_imports

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "klyngedata"
MAX_LINES = 600
MAX_FUNCTION_LINES = 120

# Known debts, each to be paid off (a test below fails when an entry is no longer true, so the lists only
# shrink).
KNOWN_UPWARD: set[tuple[str, str]] = set()
KNOWN_LONG: set[str] = set()


@pytest.fixture(scope="module")
def layers():
    return read_layers(ROOT / "ARCHITECTURE.md")


@pytest.fixture(scope="module")
def edges():
    return import_edges(PACKAGE)


def _lines(module: str) -> int:
    rel = Path(*module.split(".")[1:])
    path = PACKAGE / rel / "__init__.py" if (PACKAGE / rel).is_dir() else (PACKAGE / rel).with_suffix(".py")
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_import_cycles(edges):
    assert cycles(edges) == []


def test_every_module_has_a_layer(edges, layers):
    unassigned = sorted(m for m in edges if layer_of(m, layers) is None)
    assert unassigned == [], f"add these modules to the layers block of ARCHITECTURE.md: {unassigned}"


def test_no_import_goes_up_a_layer(edges, layers):
    names = [name for name, _ in layers]
    up = set(upward_imports(edges, layers))
    new = sorted(up - KNOWN_UPWARD)
    assert new == [], "imports up a layer: " + "; ".join(
        f"{a} ({names[layer_of(a, layers)]}) imports {b} ({names[layer_of(b, layers)]})" for a, b in new)
    assert sorted(KNOWN_UPWARD - up) == [], "no longer true: remove from KNOWN_UPWARD"


def test_modules_are_short(edges):
    long = {m for m in edges if _lines(m) > MAX_LINES}
    assert sorted(long - KNOWN_LONG) == [], f"modules over {MAX_LINES} lines"
    assert sorted(KNOWN_LONG - long) == [], "no longer over the limit: remove from KNOWN_LONG"


def long_functions(package_dir: Path, limit: int = MAX_FUNCTION_LINES) -> list[str]:
    """``module.py:line name (n lines)`` for every function, method or nested function under ``package_dir``
    longer than ``limit`` lines, counted from its ``def`` line to its last line (decorators not counted)."""
    found = []
    for path in sorted(package_dir.rglob("*.py")):
        functions = [node for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                     if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
        for node in sorted(functions, key=lambda f: f.lineno):
            n = node.end_lineno - node.lineno + 1
            if n > limit:
                found.append(f"{path.relative_to(package_dir).as_posix()}:{node.lineno} {node.name} ({n} lines)")
    return found


def test_functions_are_short():
    assert long_functions(PACKAGE) == [], f"functions over {MAX_FUNCTION_LINES} lines: split them by concern"


def test_layers_block_names_the_layers_in_order(layers):
    assert [name for name, _ in layers] == ["core", "stats", "registry", "io", "frames", "keyfigures",
                                            "figures", "reports", "cli", "api"]


# -- the checks themselves ----------------------------------------------------------------------------------
def test_checks_find_a_reintroduced_cycle_and_upward_import(tmp_path, layers):
    """A copy of the real package with one lazy import added low down (the registry importing the reports)
    has a cycle and an upward import; the untouched copy has neither."""
    copy = tmp_path / "klyngedata"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.csv", "data", "templates"))
    assert cycles(import_edges(copy)) == []
    target = copy / "registry" / "load.py"
    target.write_text(target.read_text(encoding="utf-8")
                      + "\n\ndef _report():\n    from klyngedata.reports import runner  # noqa\n", encoding="utf-8")
    edges = import_edges(copy)
    assert any("klyngedata.registry.load" in c and "klyngedata.reports.runner" in c for c in cycles(edges))
    assert ("klyngedata.registry.load", "klyngedata.reports.runner") in upward_imports(edges, layers)


def test_checks_on_a_constructed_package(tmp_path):
    """A constructed three-module package: relative imports, ``from pkg import sub`` and imports inside
    functions are all edges; a module importing its own package face is not."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from pkg.top import run\n")
    (pkg / "low.py").write_text("def f():\n    from . import top\n")
    (pkg / "top.py").write_text("from pkg.sub import helper\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "helper.py").write_text("import pkg\nfrom pkg import low\n")
    (tmp_path / "A.md").write_text("```layers\nlow: pkg.low pkg.sub.*\nhigh: pkg pkg.top pkg.sub\n```\n")
    edges = import_edges(pkg)
    assert edges["pkg.low"] == {"pkg.top"} and edges["pkg.top"] == {"pkg.sub.helper"}
    assert edges["pkg.sub.helper"] == {"pkg.low"}  # "import pkg" (its own package face) is no edge
    assert cycles(edges) == [["pkg.low", "pkg.sub.helper", "pkg.top"]]
    lay = read_layers(tmp_path / "A.md")
    assert layer_of("pkg.sub.helper", lay) == 0 and layer_of("pkg.sub", lay) == 1
    assert upward_imports(edges, lay) == [("pkg.low", "pkg.top")]


def test_function_length_check_finds_long_functions(tmp_path):
    """A CONSTRUCTED module: a function of exactly 120 lines passes; a method of 121 lines, an async function
    and a function nested in a short one over the limit are found, with their first lines."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)

    def body(n: int, indent: str) -> str:
        return "".join(f"{indent}x{i} = {i}\n" for i in range(n))

    (pkg / "sub" / "mod.py").write_text(
        "import functools\n\n\n"                                       # lines 1-3
        "@functools.cache\ndef fits():\n" + body(119, "    ")            # 4: decorator, 5-124: 120 lines
        + "\n\nclass C:\n    def method(self):\n" + body(120, "        ")  # 127 class, 128-248: 121 lines
        + "\n\nasync def waits():\n" + body(121, "    ")                 # 251-372: 122 lines
        + "\n\ndef outer():\n    def inner():\n" + body(121, "        ")  # 375 outer (123), 376 inner (122)
        + "    return inner\n",
        encoding="utf-8")
    assert long_functions(pkg) == ["sub/mod.py:128 method (121 lines)", "sub/mod.py:251 waits (122 lines)",
                                   "sub/mod.py:375 outer (124 lines)", "sub/mod.py:376 inner (122 lines)"]
    assert long_functions(pkg, limit=200) == []
