"""Lazy public attributes for package ``__init__`` files (PEP 562), so that importing a package is cheap and
heavy dependencies (geopandas, plotly, scipy) are imported by the calls that need them.

:func:`install` gives a package a module ``__getattr__``/``__dir__`` that import ``mapping[name]`` on first use.
It also keeps a public *function* as the package attribute when a submodule of the same name is imported
(``klyngedata.population`` is a module and ``klyngedata.population()`` the package's function; Python would
otherwise replace the function by the module when the submodule is imported).

Example
-------
>>> import types
>>> pkg = types.ModuleType("demo")
>>> install(pkg, {"dumps": "json"})
>>> pkg.dumps([1])
'[1]'
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from collections.abc import Iterable, Mapping
from typing import Any


class _LazyPackage(types.ModuleType):
    _lazy: Mapping[str, str] = {}
    _public: tuple[str, ...] | None = None

    def __getattr__(self, name: str) -> Any:
        lazy = type(self)._lazy
        if name in lazy:
            value = getattr(importlib.import_module(lazy[name]), name)
            super().__setattr__(name, value)
            return value
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")

    def __dir__(self) -> list[str]:
        if type(self)._public is not None:
            return list(type(self)._public)
        return sorted({*self.__dict__, *type(self)._lazy})

    def __setattr__(self, name: str, value: Any) -> None:
        lazy = type(self)._lazy
        if isinstance(value, types.ModuleType) and name in lazy and value.__name__ == f"{self.__name__}.{name}":
            if lazy[name] != value.__name__:
                return  # the public name comes from another module (``__getattr__`` resolves it), not this one
            if hasattr(value, name):
                value = getattr(value, name)  # the public function, not the submodule of the same name
        super().__setattr__(name, value)


def install(module: types.ModuleType, mapping: Mapping[str, str], public: Iterable[str] | None = None) -> None:
    """Make ``module`` resolve ``mapping``'s names lazily (see the module docstring); with ``public``,
    ``dir(module)`` (and so tab completion) lists those names only.

    Example
    -------
    >>> pkg = types.ModuleType("demo")
    >>> install(pkg, {"dumps": "json"}, public=["dumps"])
    >>> dir(pkg)
    ['dumps']
    """
    attrs = {"_lazy": dict(mapping), "_public": None if public is None else tuple(sorted(public))}
    module.__class__ = type(f"Lazy_{module.__name__.replace('.', '_')}", (_LazyPackage,), attrs)


class _LazyModule:
    """A module imported when one of its attributes is first used (see :func:`module`)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self) -> str:
        return f"<module {self._name!r}, imported on first use>"


def module(name: str) -> Any:
    """``name`` as a module-level stand-in that imports it on first attribute use (``sp = module("scipy.sparse")``;
    ``sp.csr_matrix(...)`` imports scipy.sparse then): modules that only sometimes need a heavy dependency
    (scipy: ~0.7 s a process) do not make every importer pay for it.

    Example
    -------
    >>> json = module("json")
    >>> json.dumps([1])
    '[1]'
    """
    return _LazyModule(name)


class _Deferred(types.ModuleType):
    """Stands in ``sys.modules`` for a module not imported yet (see :func:`defer`)."""

    def __getattr__(self, attr: str) -> Any:
        if attr == "__version__":  # what a version check reads: the installed distribution's, without importing
            from importlib import metadata

            try:
                return metadata.version(self.__name__)
            except metadata.PackageNotFoundError:
                pass
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]  # the real module takes its place
        return getattr(importlib.import_module(self.__name__), attr)

    def __repr__(self) -> str:
        return f"<module {self.__name__!r}, imported on first use>"


def defer(name: str) -> None:
    """Let ``import name`` (by any library) give a stand-in that imports the module on first attribute use,
    unless it is imported already or not installed; its ``__version__`` is the installed distribution's, read
    without importing the module. For a top-level module a library imports only to check its version: plotly's
    renderers import nbformat when they load and check its version in ``show()``, which displays every chart of a
    notebook; nbformat imports jsonschema, whose format checkers compile a grammar at import (~2 s in every
    notebook kernel that shows a chart). ``import name.sub`` and any other attribute import it, as usual.

    Example
    -------
    >>> defer("colorsys")  # (unless something imported it already)
    >>> import colorsys
    >>> colorsys.rgb_to_hsv(1.0, 0.0, 0.0)
    (0.0, 1.0, 1.0)
    """
    if name in sys.modules or "." in name or importlib.util.find_spec(name) is None:
        return
    sys.modules[name] = _Deferred(name)
