"""Batch speed without changing a report (issue 14): warm kernels and tables computed once per batch.

* The real reports made the new way (warm kernels, tables computed once) have the same visible text and the
  same figures as the reports made the old way (``$KLYNGEDATA_COLD_BATCH=1``: a new kernel per report,
  everything computed in the notebook), for a whole cluster, a split cluster and a 2027 council.
* Every precomputed table equals the call it replaces (frame and ``attrs``).
* A warm kernel is reused between notebooks but reset (no variable, working directory or execution count of
  the previous notebook survives), and a kernel whose notebook failed is not reused.

Data: the real shared files imported normally. Notebooks of the third group are constructed (named so).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from klyngedata.reports.execute import cell_timings
from klyngedata.reports.runner import run
from tests.test_reports import _write_constructed_notebook

UNITS = ["nordjylland-nord", "hovedstaden-byen", "sundhedsraad-vendsyssel"]
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_CLOCK = re.compile(r"kl\. \d{1,2}\.\d{2}")  # when the report was made (the two batches run minutes apart)


def _visible(path: Path) -> tuple[str, list[str]]:
    """The text a reader sees (scripts and styles removed, the generation time masked) and the figures
    (every script with its random element ids masked: the plotly data and layout)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    scripts = [_UUID.sub("ID", s.get_text()) for s in soup("script")]
    for tag in soup(["script", "style"]):
        tag.decompose()
    return _CLOCK.sub("kl. –", " ".join(soup.get_text(" ").split())), scripts


@pytest.mark.e2e
def test_reports_made_the_new_way_equal_the_old_way(full_data_dir, report_set, tmp_path, monkeypatch):
    """The new way: the shared report set (conftest; `klyngedata report` with --jobs 2, made on the same data on
    the same day), which holds UNITS' reports; the old way: the same units made here with a new kernel each."""
    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    monkeypatch.setenv("KLYNGEDATA_COLD_BATCH", "1")
    old = run(UNITS, out=tmp_path / "old", data_dir=full_data_dir, jobs=2, progress=False)
    new = report_set.batch
    assert old.ok and report_set.returncode == 0, old.summary() + "\n" + report_set.output
    assert set(UNITS) <= {r["cluster_id"] for r in new["results"]}
    assert not old.timings and new["timings"]["precompute"] > 0  # the new way computed tables once
    assert sum(r["timings"]["kernel_start"] > 0 for r in new["results"]) <= 2  # one warm kernel per worker
    assert len(old.results) == 2 * len(UNITS)
    for r_old in old.results:
        text_old, figs_old = _visible(r_old.html_path)
        text_new, figs_new = _visible(report_set.out / r_old.html_path.name)
        assert text_new == text_old, r_old.html_path.name
        assert figs_new == figs_old, r_old.html_path.name
        assert len(text_new) > 1500 and "ikke tilgængelig" not in text_new


def test_precomputed_tables_equal_the_calls_they_replace(full_data_dir, tmp_path, monkeypatch):
    from klyngedata.division_figures import division_key_figures
    from klyngedata.indicators import indicator_figures
    from klyngedata.keyfigures import key_figures
    from klyngedata.peers import peer_features
    from klyngedata.reports.precompute import ENV_TABLES, precompute, read_table

    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    division = "sundhedsklynger-2022"
    units = [("nordjylland-nord", division), ("hovedstaden-byen", division)]
    seconds = precompute(units, ["befolkningsdashboard", "noegletalsrapport"], period=None,
                         data_dir=full_data_dir, tables_dir=tmp_path)
    assert set(seconds) == {"keyfigures", "indicators", "division_indicators", "division_keyfigures",
                            "peer_features"}
    monkeypatch.setenv(ENV_TABLES, str(tmp_path))

    def same(kind: str, key: str, direct: pd.DataFrame) -> None:
        stored = read_table(kind, key, division=division, period="latest", data_dir=full_data_dir)
        assert stored is not None, (kind, key)
        pd.testing.assert_frame_equal(stored, direct, check_exact=True)
        assert json.dumps(stored.attrs, default=str, sort_keys=True) == json.dumps(direct.attrs, default=str,
                                                                                   sort_keys=True)

    for unit, _ in units:
        same("keyfigures", unit, key_figures(unit, period="latest", division=division, data_dir=full_data_dir))
        same("indicators", unit, indicator_figures(cluster=unit, level="cluster", division=division,
                                                   data_dir=full_data_dir))
    same("division_indicators", division, indicator_figures(level="cluster", division=division,
                                                            data_dir=full_data_dir))
    same("division_keyfigures", division, division_key_figures(division, "latest", full_data_dir))
    same("peer_features", division, peer_features(division, "latest", full_data_dir))
    # a table made for another period or data directory is not used
    assert read_table("keyfigures", "nordjylland-nord", division=division, period="2024M01",
                      data_dir=full_data_dir) is None
    assert read_table("keyfigures", "nordjylland-nord", division=division, period="latest",
                      data_dir=tmp_path / "other") is None
    monkeypatch.delenv(ENV_TABLES)
    assert read_table("keyfigures", "nordjylland-nord", division=division, period="latest",
                      data_dir=full_data_dir) is None


# constructed notebook: records its kernel's process id and what it finds of an earlier notebook
PROBE = [
    ('cluster = "x"\ndivision = None\nperiod = "latest"\ndata_dir = None', ["parameters"]),
    ("import os\nfrom klyngedata.reports import record, setup_notebook\nsetup_notebook()\n"
     "record(pid=os.getpid(), cwd=os.getcwd(), leftover='left_by_earlier' in globals(),\n"
     "       count=get_ipython().execution_count, cluster_name=cluster)\n"
     "left_by_earlier = True\n"
     "os.chdir('/')\n"
     "if cluster == 'nordjylland-midt':\n    raise ValueError('konstrueret fejl')", []),
]


def _probe_notebook(path: Path) -> Path:
    return _write_constructed_notebook(path, cells=PROBE)


@pytest.mark.e2e  # runs notebooks in Jupyter kernels
def test_warm_kernel_is_reused_reset_and_replaced_after_a_failure(tmp_path, monkeypatch):
    nb_dir = tmp_path / "templates"
    _probe_notebook(nb_dir / "befolkningsdashboard.ipynb")
    kwargs = dict(notebook_path=nb_dir, notebooks="befolkningsdashboard", progress=False,
                  data_dir=tmp_path / "empty", jobs=1)
    # what a notebook sees in a new kernel (the old way), whatever IPython version counts its cells how
    monkeypatch.setenv("KLYNGEDATA_COLD_BATCH", "1")
    fresh = run(["nordjylland-nord"], out=tmp_path / "fresh", **kwargs).results[0].recorded
    assert fresh["leftover"] is False and fresh["cwd"] == str(nb_dir) and fresh["count"] >= 3
    monkeypatch.delenv("KLYNGEDATA_COLD_BATCH")
    res = run(["nordjylland-nord", "nordjylland-syd", "nordjylland-midt", "nordjylland-vest"],
              out=tmp_path / "r", **kwargs)
    by = {r.cluster_id: r for r in res.results}
    assert [r.cluster_id for r in res.failures] == ["nordjylland-midt"]
    nord, syd, vest = by["nordjylland-nord"].recorded, by["nordjylland-syd"].recorded, \
        by["nordjylland-vest"].recorded
    assert nord["pid"] == syd["pid"] != fresh["pid"]  # the same warm kernel ...
    for rec in (nord, syd, vest):  # ... that looks new to every notebook: as the new kernel did
        assert {k: rec[k] for k in ("leftover", "cwd", "count")} == {k: fresh[k] for k in ("leftover", "cwd", "count")}
    assert vest["pid"] != nord["pid"]  # the kernel of the failed notebook was not reused
    assert by["nordjylland-nord"].timings["kernel_start"] > 0 and by["nordjylland-syd"].timings["kernel_start"] == 0
    assert set(by["nordjylland-syd"].timings) >= {"kernel_start", "notebook", "data_load", "compute", "export"}


def test_cell_timings_from_the_recorded_timestamps():
    nb = nbformat.v4.new_notebook()
    ts = [("2026-12-01T10:00:00.000Z", "2026-12-01T10:00:00.500Z"), ("2026-12-01T10:00:01.000Z",
                                                                    "2026-12-01T10:00:03.250Z"),
          ("2026-12-01T10:00:04.000Z", "2026-12-01T10:00:04.250Z")]
    nb.cells = [nbformat.v4.new_code_cell("p = 1", metadata={"tags": ["parameters"]})] + [
        nbformat.v4.new_code_cell("x", metadata={"execution": {"iopub.execute_input": a, "shell.execute_reply": b}})
        for a, b in ts]
    assert cell_timings(nb) == {"data_load": 0.5, "compute": 2.5}


def test_a_report_waits_for_an_announced_table_and_computes_it_when_none_comes(tmp_path, monkeypatch):
    """Reports start while the batch still computes tables: an announced table is waited for (CONSTRUCTED
    frame stored by a thread a moment later); a table whose job ended without it is not waited for."""
    import threading
    import time

    from klyngedata.reports import precompute as pc

    monkeypatch.setenv(pc.ENV_TABLES, str(tmp_path))
    monkeypatch.setattr(pc, "WAIT_SECONDS", 20.0)  # a wait that never ends fails the test instead of hanging
    division = "sundhedsklynger-2022"
    job = (("keyfigures",), division, ("nordjylland-nord", "nordjylland-syd"))
    assert pc.job_tables(job) == [("keyfigures", "nordjylland-nord"), ("keyfigures", "nordjylland-syd")]
    pc.announce([job], tmp_path)
    meta = {"period": "latest", "data_root": pc._root(tmp_path / "data"), "division": division}
    constructed = pd.DataFrame({"value": [1.0]})

    def store_later() -> None:
        time.sleep(0.3)
        pc._store(tmp_path, "keyfigures", "nordjylland-nord", constructed, meta)
        (tmp_path / "keyfigures--nordjylland-nord.pending").unlink()

    threading.Thread(target=store_later).start()
    t0 = time.monotonic()
    got = pc.read_table("keyfigures", "nordjylland-nord", division=division, period="latest",
                        data_dir=tmp_path / "data")
    assert got is not None and got.equals(constructed) and time.monotonic() - t0 >= 0.25  # it waited
    def give_up_later() -> None:  # the batch gives up on the other table
        time.sleep(0.2)
        pc.release(tmp_path)

    threading.Thread(target=give_up_later).start()
    assert pc.read_table("keyfigures", "nordjylland-syd", division=division, period="latest",
                         data_dir=tmp_path / "data") is None
    assert not list(tmp_path.glob("*.pending"))
    # a job removes the marks of the tables it could not compute (here: no data at all)
    pc.announce([job], tmp_path)
    pc.compute_job(job, period=None, data_dir=tmp_path / "empty", tables_dir=tmp_path)
    assert not list(tmp_path.glob("*.pending"))
