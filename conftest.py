"""Configuration of the package's doctests: pytest runs the examples in the docstrings of ``klyngedata/``
(``--doctest-modules`` in ``pyproject.toml``); the test suite's own configuration is ``tests/conftest.py``.

Doctests are hermetic (:func:`_hermetic_doctest`): each runs in an empty temporary working directory, with the
package's settings of an empty environment whatever ``KLYNGEDATA_*`` variables the user has set ("today" fixed
at :data:`DOCTEST_TODAY`, an empty temporary data directory, offline), with the network closed (opening a
connection fails) and plotly's default renderer restored afterwards (``setup_notebook``'s examples choose the
report renderer, as a notebook's first cell does). An example that needs data or the network is marked
``# doctest: +SKIP`` and its docstring says so (``tests/test_doctests.py``).
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from _pytest.doctest import DoctestItem  # pytest exports no public name for a doctest item

#: "Today" in every doctest: tests/conftest.py's TEST_TODAY, the last month of the sundhedsklynger.
DOCTEST_TODAY = "2026-12-15"


def _no_network(*args: object, **kwargs: object) -> None:
    raise OSError("doctests do not use the network")


@pytest.fixture(autouse=True)
def _hermetic_doctest(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Settings, working directory, network and plotly renderer of a doctest (other tests are left alone)."""
    if not isinstance(request.node, DoctestItem):
        yield
        return
    import plotly.io as pio

    from klyngedata import settings

    for variable in settings.VARIABLES.values():
        monkeypatch.delenv(variable, raising=False)
    (tmp_path / "data").mkdir()
    (tmp_path / "work").mkdir()
    monkeypatch.setenv(settings.VARIABLES["today"], DOCTEST_TODAY)
    monkeypatch.setenv(settings.VARIABLES["data_dir"], str(tmp_path / "data"))
    monkeypatch.setenv(settings.VARIABLES["offline"], "1")
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setattr(socket.socket, "connect", _no_network)
    monkeypatch.setattr(socket.socket, "connect_ex", _no_network)
    renderer = pio.renderers.default
    yield
    pio.renderers.default = renderer
