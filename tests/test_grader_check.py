"""``practicum check``: a learner's self-check runs the notebook headless and reports each exercise."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from grader.check import check_notebook
from practicum import paths
from practicum.checks import NOT_IMPLEMENTED

pytestmark = [pytest.mark.kernels, pytest.mark.xdist_group("grader_check")]  # one checked set of notebooks

_spec = importlib.util.spec_from_file_location("learners", Path(__file__).parent / "fixtures" / "grader" / "learners.py")
learners = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(learners)


@pytest.fixture(scope="module")
def submissions(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("check")
    learners.write(folder, ["correct", "unanswered", "looping", "crashing", "noisy"])
    return folder


def _by_name(results):
    return {result.name: result for result in results}


def test_correct_notebook_passes_every_exercise_and_the_command_exits_0(submissions):
    command = [sys.executable, "-m", "grader", "check", str(submissions / "correct.ipynb")]
    result = subprocess.run(command, capture_output=True, text=True, cwd=paths.ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "✓ test_scale_pixels: 2/2 points" in result.stdout
    assert "2/2 exercises passed, 3/3 points" in result.stdout
    assert result.stderr == "", "a clean run prints nothing alarming"


def test_unanswered_exercises_fail_with_the_checks_not_implemented_message(submissions):
    results = _by_name(check_notebook(submissions / "unanswered.ipynb"))
    assert set(results) == {"test_scale_pixels", "test_flatten"}
    for result in results.values():
        assert not result.passed and result.points == 0
        assert NOT_IMPLEMENTED in result.message and "Traceback" not in result.message
    assert "not implemented yet" in str(results["test_flatten"]) and "0/1 points" in str(results["test_flatten"])
    assert "test_flatten" in results["test_flatten"]._repr_html_()


def test_a_cell_that_runs_out_of_the_budget_fails_every_test_after_it_and_is_named(submissions):
    results = _by_name(check_notebook(submissions / "looping.ipynb", timeout=20))
    assert results["test_scale_pixels"].passed, "tests before the looping cell still count"
    assert not results["test_flatten"].passed and results["test_flatten"].points == 0
    assert "cell 7 (flatten)" in results["test_flatten"].message and "budget" in results["test_flatten"].message


def test_a_dead_kernel_never_counts_as_passed(submissions):
    results = _by_name(check_notebook(submissions / "crashing.ipynb"))
    assert results["test_scale_pixels"].passed
    assert not results["test_flatten"].passed and "kernel died in cell 7 (flatten)" in results["test_flatten"].message


def test_stderr_written_during_a_test_does_not_cost_points(submissions, tmp_path, monkeypatch):
    monkeypatch.delenv("PRACTICUM_HOLDOUT_DIR", raising=False)  # the noisy learner's flatten checks it is not there
    monkeypatch.setenv("PRACTICUM_BUILD_DIR", str(tmp_path / "build"))  # and saves a file there
    assert all(result.passed for result in check_notebook(submissions / "noisy.ipynb"))
