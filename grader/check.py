"""``practicum check NOTEBOOK``: a learner's self-check from the terminal.

Runs the notebook headless in FAST mode with one time budget for the whole notebook, its test cells
judged as the grader judges them (``grader.judge``: outside the learner's kernel), and reports
each graded exercise: passed or failed, its points, and the message of the visible test that failed.
A model handed in for the instructor's photos is scored as the grader scores it, outside the
kernel, on the validation photos instead (the outcome says so).
"""

from pathlib import Path

from nbgrader.utils import setenv

from grader.execution import QUIET_FAST_ENV, QuietTestCells, repeatable_env
from grader.holdout import ScoreHoldout
from grader.judge.execute import JudgedExecute
from grader.results import ExerciseResult, autograded_test_cells, result_from_cell
from practicum import paths
from practicum.runner import QuietKernelManager
from practicum.tidy import read_notebook


#: The learner's own machine: limits that only stop a runaway scorer.
_SCORING_LIMITS = {"memory_bytes": 8 * 2**30, "processes": 4096, "cpu_seconds": 3600, "file_bytes": 2**30}


def check_notebook(path: Path, timeout: float = 600) -> list[ExerciseResult]:
    path = Path(path)
    nb = read_notebook(path)
    resources = {"metadata": {"path": str(path.parent.resolve())}}
    with setenv(**QUIET_FAST_ENV, **repeatable_env()):  # the kernel inherits this process's environment: as the grader's
        execute = JudgedExecute(budget=timeout, kernel_manager_class=QuietKernelManager, source_notebook=str(path))
        nb, resources = execute.preprocess(nb, resources)
        scorer = ScoreHoldout(models_directory=str(paths.build_dir() / "models"), sandboxed=False, limits=_SCORING_LIMITS)
        nb, resources = scorer.preprocess(nb, resources)
    nb, resources = QuietTestCells().preprocess(nb, resources)
    return [result_from_cell(cell) for cell in autograded_test_cells(nb)]


def summary_line(results: list[ExerciseResult]) -> str:
    passed = sum(result.passed for result in results)
    points = sum(result.points or 0 for result in results)
    total = sum(result.max_points for result in results)
    return f"{passed}/{len(results)} exercises passed, {points:g}/{total:g} points"
