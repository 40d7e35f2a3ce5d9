"""The package's import graph and its layers, for tests/test_layers.py (no test functions here).

Every ``import`` and ``from … import`` counts, also inside functions and ``if TYPE_CHECKING`` blocks: a lazy
import that hides a cycle is still a cycle of design. The layer order is written once, in ARCHITECTURE.md
(the fenced ``layers`` block), and read from there.
"""

from __future__ import annotations

import ast
import fnmatch
import re
from pathlib import Path


def module_files(package_dir: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file under ``package_dir`` (``__init__`` = the package)."""
    out = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _owner(name: str, modules: dict[str, Path]) -> str | None:
    """The module a dotted import target lives in (``pkg.mod.func`` -> ``pkg.mod``)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_edges(package_dir: Path) -> dict[str, set[str]]:
    """Module -> the package modules it imports (a package importing its own ancestors is not an edge:
    ``from klyngedata import registry`` inside ``klyngedata.registry.units`` reaches a sibling through the
    package face and is resolved to that sibling)."""
    modules = module_files(package_dir)
    top = package_dir.name
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for mod, path in modules.items():
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
                    base = base[: len(base) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                # ``from pkg import name``: the submodule ``pkg.name`` if there is one, else ``pkg`` itself
                targets = [f"{source}.{a.name}" for a in node.names]
            for target in targets:
                if target.split(".")[0] != top:
                    continue
                owner = _owner(target, modules)
                if owner and owner != mod and not mod.startswith(owner + "."):
                    edges[mod].add(owner)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (each is an import cycle)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan's algorithm; the graph is small enough for recursion
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def read_layers(architecture_md: Path) -> list[tuple[str, list[str]]]:
    """The ``layers`` block of ARCHITECTURE.md: ``[(layer name, [module patterns]), …]``, lowest first.

    Each line is ``name: pattern pattern …``; a pattern is a dotted module name, ``pkg.*`` for everything
    below ``pkg`` (not ``pkg`` itself).
    """
    text = architecture_md.read_text(encoding="utf-8")
    block = re.search(r"```layers\n(.*?)```", text, re.S)
    if block is None:
        raise ValueError(f"{architecture_md.name} has no ```layers block")
    layers = []
    for line in block.group(1).splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, patterns = line.partition(":")
            layers.append((name.strip(), patterns.split()))
    return layers


def layer_of(module: str, layers: list[tuple[str, list[str]]]) -> int | None:
    """Index of the layer whose most specific pattern matches ``module`` (an exact name beats a wildcard,
    a longer wildcard beats a shorter one), or None."""
    best: tuple[int, int] | None = None
    for i, (_, patterns) in enumerate(layers):
        for p in patterns:
            if p == module:
                score = 10_000
            elif p.endswith(".*") and fnmatch.fnmatchcase(module, p):
                score = len(p)
            else:
                continue
            if best is None or score > best[0]:
                best = (score, i)
    return None if best is None else best[1]


def upward_imports(edges: dict[str, set[str]], layers: list[tuple[str, list[str]]]) -> list[tuple[str, str]]:
    """Imports from a module to a module of a higher layer, as ``(importer, imported)`` pairs."""
    return sorted((m, t) for m, targets in edges.items() for t in targets
                  if (layer_of(m, layers) or 0) < (layer_of(t, layers) or 0))
