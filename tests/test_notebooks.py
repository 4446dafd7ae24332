"""Every lesson and solution runs top to bottom, headless, in FAST mode, with the real photos."""

import pytest

from practicum.runner import course_notebooks, run_notebook

NOTEBOOKS = course_notebooks()


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("build")


@pytest.mark.notebooks
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[f"{nb.parent.name}/{nb.stem}" for nb in NOTEBOOKS])
def test_notebook_runs_in_fast_mode(notebook, build_dir, monkeypatch):
    monkeypatch.setenv("PRACTICUM_BUILD_DIR", str(build_dir))
    result = run_notebook(notebook, fast=True, cell_timeout=900)
    assert result.status == "ok", result.error
    assert result.headline is not None, "the notebook should save its metrics (practicum.notebook.save_metrics)"
