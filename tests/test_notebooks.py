"""The notebooks in notebooks/: thin, parameterised, committed without outputs, Danish; udforsk.ipynb runs."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from klyngedata.reports.runner import NOTEBOOKS, notebook_dir

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"
ALL = ["befolkningsdashboard", "noegletalsrapport", "udforsk"]
REPORT_PARAMETERS = {"cluster", "division", "period", "data_dir"}
MAX_CODE_LINES = 6  # thin notebooks: every computation is a package function

EXPECTED_HEADINGS = {  # as shown for a cluster (2022) and a council (2027): the words follow the division
    "befolkningsdashboard": {
        "nordjylland-nord": ["# Befolkningsdashboard", "## Nøgletal", "## Befolkningsudvikling",
                             "## Sammenligning med regionen og hele landet", "## Alderspyramide",
                             "## Fremskrivning af 65+ og 80+-årige", "## Klyngens optageområde",
                             "## Fra sundhedsklynger til sundhedsråd", "## Medlemskommunerne side om side",
                             "## Kilder"],
        "sundhedsraad-limfjorden": ["# Befolkningsdashboard", "## Nøgletal", "## Befolkningsudvikling",
                                    "## Sammenligning med regionen og hele landet", "## Alderspyramide",
                                    "## Fremskrivning af 65+ og 80+-årige", "## Rådets optageområde",
                                    "## Fra sundhedsklynger til sundhedsråd", "## Medlemskommunerne side om side",
                                    "## Kilder"],
    },
    "noegletalsrapport": {
        "nordjylland-nord": ["# Nøgletalsrapport", "## Sammenfatning", "## Nøgletal for klyngen",
                             "## Klyngen sammenlignet med regionen og hele landet", "## Medlemskommunerne",
                             "## Sundhedsindikatorer", "## Dødelighed og middellevetid",
                             "## Sundhed og ældre i klyngen", "## Sammenlignelige klynger",
                             "## Barometer: klyngen blandt alle klynger", "## Nøgletal, der ikke kan beregnes",
                             "## Fra sundhedsklynger til sundhedsråd", "## Klyngens organisering", "## Kilder",
                             "## Om tallene"],
        "sundhedsraad-limfjorden": ["# Nøgletalsrapport", "## Sammenfatning", "## Nøgletal for rådet",
                                    "## Rådet sammenlignet med regionen og hele landet", "## Medlemskommunerne",
                                    "## Sundhedsindikatorer", "## Dødelighed og middellevetid",
                                    "## Sundhed og ældre i rådet", "## Sammenlignelige råd",
                                    "## Barometer: rådet blandt alle råd", "## Nøgletal, der ikke kan beregnes",
                                    "## Fra sundhedsklynger til sundhedsråd", "## Rådets organisering",
                                    "## Kilder", "## Om tallene"],
    },
}


def _headings(nb: nbformat.NotebookNode, unit: str) -> list[str]:
    """Headings as a report shows them for ``unit``: markdown headings, and the headings the code cells write
    in the unit's words (``rapport.heading(...)``, evaluated with the unit's :class:`ClusterReport`)."""
    import ast

    from klyngedata.reports import ClusterReport

    rapport = ClusterReport(unit, report=True)
    out = []
    for c in nb.cells:
        if c.cell_type == "markdown":
            out += [line.strip() for line in c.source.splitlines() if line.startswith("#")]
            continue
        for node in ast.walk(ast.parse(c.source)):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "heading":
                args = [ast.literal_eval(a) for a in node.args]
                out.append(rapport.heading(*args).data.splitlines()[0].strip())
    return out


def _read(name: str) -> nbformat.NotebookNode:
    nb = nbformat.read(NB_DIR / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    return nb


@pytest.mark.parametrize("name", ALL)
def test_committed_without_outputs_and_with_python3_kernel(name):
    nb = _read(name)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{name}: outputs not stripped"


@pytest.mark.parametrize("name", ALL)
def test_one_parameters_cell_and_thin_code(name):
    nb = _read(name)
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    names = {line.split("=")[0].strip() for line in params[0].source.splitlines()
             if "=" in line and not line.lstrip().startswith("#")}
    if name in NOTEBOOKS:
        assert names == REPORT_PARAMETERS
    for cell in nb.cells:
        if cell.cell_type == "code" and cell is not params[0]:
            lines = [line for line in cell.source.splitlines() if line.strip()]
            assert len(lines) <= MAX_CODE_LINES, cell.source
            assert not any(line.lstrip().startswith(("def ", "class ", "for ", "while ")) for line in lines)


@pytest.mark.parametrize("name", sorted(EXPECTED_HEADINGS))
@pytest.mark.parametrize("unit", ["nordjylland-nord", "sundhedsraad-limfjorden"])
def test_danish_headings_follow_the_division(name, unit):
    assert _headings(_read(name), unit) == EXPECTED_HEADINGS[name][unit]


def test_runner_finds_the_report_notebooks():
    assert notebook_dir() == NB_DIR
    for name in NOTEBOOKS:
        assert (NB_DIR / f"{name}.ipynb").exists()


@pytest.mark.e2e  # runs notebooks in Jupyter kernels
def test_udforsk_runs_top_to_bottom(full_data_dir, tmp_path, monkeypatch):
    import papermill as pm

    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")  # the test never touches the internet
    out = tmp_path / "udforsk.ipynb"
    pm.execute_notebook(str(NB_DIR / "udforsk.ipynb"), str(out), kernel_name="python3", progress_bar=False,
                        parameters={"data_dir": str(full_data_dir)}, cwd=str(NB_DIR))
    nb = nbformat.read(out, as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    shown = "".join(str(o.get("data", {})) for c in nb.cells for o in c.get("outputs", []))
    assert "Klynge Nord" in shown and "nordjylland-nord" in shown
    assert os.environ.get("KLYNGEDATA_OFFLINE") == "1"
