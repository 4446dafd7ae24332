"""The headless course runner behind `make course`."""

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from practicum import paths
from practicum.cli import main
from practicum.runner import course_notebooks, format_table, run_notebook


@pytest.fixture
def build(tmp_path, monkeypatch):
    monkeypatch.setenv("PRACTICUM_BUILD_DIR", str(tmp_path / "build"))
    return tmp_path / "build"


def write(path, *sources):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(new_notebook(cells=[new_code_cell(s) for s in sources]), path)
    return path


@pytest.mark.kernels
def test_a_notebook_runs_in_fast_mode_and_its_metrics_reach_the_table(tmp_path, build):
    notebook = write(tmp_path / "lessons" / "07_demo.ipynb",
                     "from practicum.notebook import fast_mode, save_metrics",
                     "import os; open('cwd.txt', 'w').write(os.getcwd())",
                     "save_metrics('07_demo', headline='val_acc', val_acc=0.8125, fast=fast_mode())")
    result = run_notebook(notebook, fast=True)
    assert result.status == "ok", result.error
    assert result.metrics == {"val_acc": 0.8125, "fast": True}
    assert result.headline_text == "val_acc=0.812"
    assert (tmp_path / "lessons" / "cwd.txt").read_text() == str(tmp_path / "lessons")  # runs in its own folder
    assert (build / "executed" / "lessons" / "07_demo.ipynb").exists()
    assert "07_demo  ok" in format_table([result])


@pytest.mark.kernels
def test_full_mode_reaches_the_kernel(tmp_path, build):
    notebook = write(tmp_path / "n" / "08_full.ipynb",
                     "from practicum.notebook import fast_mode, save_metrics",
                     "save_metrics('08_full', headline='fast', fast=fast_mode())")
    assert run_notebook(notebook, fast=False).metrics == {"fast": False}


@pytest.mark.kernels
def test_a_failing_notebook_names_its_cell_and_the_run_goes_on(tmp_path, build, capsys):
    bad = write(tmp_path / "n" / "01_bad.ipynb", "x = 1", "1 / 0", "print('never')")
    good = write(tmp_path / "n" / "02_good.ipynb", "print('fine')")
    assert main(["run", str(bad), str(good)]) == 1
    out = capsys.readouterr().out
    assert "n/01_bad   failed" in out and "n/02_good  ok" in out
    assert "cell 1 (1 / 0): ZeroDivisionError: division by zero" in out
    executed = nbformat.read(build / "executed" / "n" / "01_bad.ipynb", 4)
    assert executed.cells[1].outputs[0]["ename"] == "ZeroDivisionError"  # the partial run is kept


def test_a_notebook_that_is_not_json_is_one_failed_row(tmp_path, build):
    broken = tmp_path / "n" / "03_broken.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text("{ this is not json")
    result = run_notebook(broken)
    assert result.status == "failed"
    assert "not a notebook" in result.error and str(broken) in result.error


@pytest.mark.kernels
def test_stale_metrics_of_an_earlier_run_are_not_reported(tmp_path, build):
    stale = build / "metrics" / "04_old.json"
    stale.parent.mkdir(parents=True)
    stale.write_text(json.dumps({"metrics": {"val_acc": 0.99}, "headline": "val_acc"}))
    result = run_notebook(write(tmp_path / "n" / "04_old.ipynb", "pass"))
    assert result.metrics == {} and result.headline_text == ""


def test_course_order_puts_each_lesson_before_its_solution(tmp_path):
    for name in ("notebooks/01_a", "notebooks/00_z", "solutions/01_a", "notebooks/02_b"):
        write(tmp_path / f"{name}.ipynb", "pass")
    found = course_notebooks((tmp_path / "notebooks", tmp_path / "solutions"))
    assert [f"{p.parent.name}/{p.stem}" for p in found] == ["notebooks/00_z", "notebooks/01_a", "solutions/01_a", "notebooks/02_b"]


def test_the_real_course_has_notebooks_in_order():
    found = course_notebooks()
    assert found and found[0] == paths.NOTEBOOKS / "00_meet_the_data.ipynb"
