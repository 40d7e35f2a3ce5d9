"""The package's doctests run in the suite (issue 27 item 7): ``--doctest-modules`` over ``klyngedata/``, hermetic
(the root ``conftest.py``), and an example skipped with ``+SKIP`` says in its docstring what it needs (data or
the network)."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "klyngedata"
NOTE = re.compile(r"Needs [^.;]+; not run as a doctest\.")


def unexplained_skips(package_dir: Path) -> list[str]:
    """``module.py:line name`` of every docstring with a ``+SKIP`` example and no "Needs …; not run as a doctest."
    sentence."""
    found = []
    for path in sorted(package_dir.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in [tree, *ast.walk(tree)]:
            if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            doc = ast.get_docstring(node, clean=False)
            if doc and "+SKIP" in doc and not NOTE.search(" ".join(doc.split())):
                line = node.body[0].lineno
                found.append(f"{path.relative_to(package_dir).as_posix()}:{line} {getattr(node, 'name', '<module>')}")
    return sorted(set(found))


def test_doctests_run_in_the_suite():
    pytest_config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]
    options = pytest_config["ini_options"]
    assert "--doctest-modules" in options["addopts"].split()
    assert "klyngedata" in options["testpaths"]


def test_every_skipped_example_says_what_it_needs():
    assert unexplained_skips(PACKAGE) == [], 'say why in the docstring: "Needs <what>; not run as a doctest."'


def test_skip_check_finds_an_unexplained_skip(tmp_path):
    """CONSTRUCTED modules: a skipped example without the sentence is found (module and method docstrings), one
    with it is not."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text(
        '"""Module.\n\n>>> fetch()  # doctest: +SKIP\n"""\n\n\nclass C:\n    def m(self):\n'
        '        """Method.\n\n        Needs the network; not run as a doctest.\n'
        '        >>> fetch()  # doctest: +SKIP\n        """\n\n    def n(self):\n'
        '        """Method.\n\n        >>> x = 1\n        >>> fetch(x)  # doctest: +SKIP\n        """\n',
        encoding="utf-8")
    assert unexplained_skips(tmp_path / "pkg") == ["a.py:1 <module>", "a.py:16 n"]


HERMETIC = '''"""CONSTRUCTED doctests of the doctest environment.

>>> import pathlib, socket
>>> from klyngedata import clock, settings
>>> clock.today().isoformat()
'2026-12-15'
>>> settings.current().offline, settings.current().statbank_url
(True, None)
>>> sorted(pathlib.Path(settings.current().data_dir).iterdir()), sorted(pathlib.Path.cwd().iterdir())
([], [])
>>> socket.create_connection(("127.0.0.1", 9), timeout=1)
Traceback (most recent call last):
...
OSError: doctests do not use the network
>>> import plotly.io as pio
>>> pio.renderers.default = "json"
"""


def later():
    """The renderer the previous doctest chose is gone.

    >>> import plotly.io as pio
    >>> pio.renderers.default != "json"
    True
    """
'''


def _run_doctests(tmp_path: Path, *plugins: str) -> subprocess.CompletedProcess:
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (tmp_path / "hermetic_example.py").write_text(HERMETIC, encoding="utf-8")
    (tmp_path / "user_data").mkdir(exist_ok=True)
    (tmp_path / "user_data" / "a_file").write_text("the user's own data", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KLYNGEDATA_")}
    env.update(PYTHONPATH=str(ROOT), KLYNGEDATA_TODAY="2030-06-01", KLYNGEDATA_DATA_DIR=str(tmp_path / "user_data"),
               KLYNGEDATA_STATBANK_URL="http://statbank.invalid/")
    plugin_args = [arg for plugin in plugins for arg in ("-p", plugin)]
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugin_args,
                           "--doctest-modules", "hermetic_example.py"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.e2e  # two pytest runs in processes of their own
def test_doctests_are_hermetic(tmp_path):
    """A user's environment (another today, their data directory, another StatBank address), the network and
    the working directory do not reach a doctest, and a plotly renderer a doctest sets does not reach the next;
    without the root conftest.py the same doctests fail."""
    with_fixture = _run_doctests(tmp_path, "conftest")
    assert with_fixture.returncode == 0, with_fixture.stdout + with_fixture.stderr
    assert "2 passed" in with_fixture.stdout
    without = _run_doctests(tmp_path)
    assert without.returncode == 1 and "1 failed, 1 passed" in without.stdout, without.stdout
