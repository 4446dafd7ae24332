"""Every exercise grades what it teaches: plausible wrong answers lose exactly the points of the part
they break, and correct answers written differently keep full marks.

Each case runs the solution notebook's cells in this process (no kernel, so a case costs what its
code costs): the setup, parameter and data cells once per exercise, then, for every answer set, the
answer cells (the solution's, with the case's replacements) and every test cell, hidden tests
included. A test cell that raises loses its points. The model-quality test cells scored on the
instructor's holdout (``HOLDOUT_TESTS``) are graded outside the learner's kernel and are left out
here; the grader's own tests cover them.

The answers live in ``tests/answers/`` (one module per exercise): ``RIGHT`` maps a description to
answer sources, ``WRONG`` maps a description to ``(answer sources, the test cells it must fail)``.
"""

import importlib
import textwrap

import pytest
from nbgrader import utils

from practicum import paths
from practicum.checks import CheckFailed
from practicum.tidy import read_notebook

from conftest import SHARED_DATA

pytestmark = [
    pytest.mark.notebooks,
    pytest.mark.skipif(not (SHARED_DATA / "cats_and_dogs_filtered").is_dir(), reason="needs the photos (../shared/data)"),
]

EXERCISES = ["01_raw_pixels", "02_engineered_features", "03_convolutions", "04_convnet_from_scratch", "05_preventing_overfitting"]
#: Graded by ``practicum grade`` instead, at two thread counts, with the same verdicts (tests/test_grader_repeatable.py):
#: exercise 4's learning test trains a network, the part of a grade that could depend on the machine.
GRADED_ELSEWHERE = {"04_convnet_from_scratch"}
#: Holdout model-quality tests: scored by the grader outside the kernel (grader tests cover them).
HOLDOUT_TESTS = {"test_train_pixel_classifier", "test_train_feature_classifier", "test_train_model"}
#: Tests that read the model a holdout test trained (its ``trained``): graded with it, end to end and on their own
#: (tests/test_lessons_3_5.py).
TRAINED_MODEL_TESTS = {"test_train_model_rules"}
#: Cells that only record results for `make course`: not part of grading.
SKIPPED_CELLS = ("save_metrics(",)


def answers_module(exercise: str):
    return importlib.import_module(f"answers.ex{exercise[:2]}")


class Exercise:
    """A solution notebook split into its prefix (run once) and its answer and test cells."""

    def __init__(self, name: str):
        nb = read_notebook(paths.SOLUTIONS / f"{name}.ipynb")
        self.prefix, self.steps, self.points = [], [], {}
        for cell in nb.cells:
            if cell.cell_type != "code" or any(marker in cell.source for marker in SKIPPED_CELLS):
                continue
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if utils.is_grade(cell):
                if grade_id not in HOLDOUT_TESTS | TRAINED_MODEL_TESTS:
                    self.steps.append(("test", grade_id, cell.source))
                    self.points[grade_id] = cell.metadata.nbgrader["points"]
            elif utils.is_solution(cell):
                self.steps.append(("answer", grade_id, cell.source))
            elif not self.steps:
                self.prefix.append(cell.source)
        self.namespace: dict | None = None

    def run_prefix(self) -> dict:
        if self.namespace is None:
            namespace: dict = {"__name__": "__main__"}
            for source in self.prefix:
                exec(compile(source, "<prefix>", "exec"), namespace)
            self.namespace = namespace
        return self.namespace

    def grade(self, answers: dict[str, str]) -> dict[str, str]:
        """``{test grade id: failure message}`` for the test cells that fail with these answers."""
        unknown = set(answers) - {grade_id for kind, grade_id, _ in self.steps if kind == "answer"}
        assert not unknown, f"no answer cells {unknown}"
        namespace = dict(self.run_prefix())
        failed = {}
        for kind, grade_id, source in self.steps:
            if kind == "answer":
                source = textwrap.dedent(answers.get(grade_id, source))
                exec(compile(source, f"<{grade_id}>", "exec"), namespace)
                continue
            try:
                exec(compile(source, f"<{grade_id}>", "exec"), namespace)
            except CheckFailed as failure:
                failed[grade_id] = str(failure)
        return failed


_exercises: dict[str, Exercise] = {}


@pytest.fixture
def fast_real_photos(monkeypatch, tmp_path):
    monkeypatch.setenv("PRACTICUM_FAST", "1")
    monkeypatch.setenv("PRACTICUM_DATA_DIR", str(SHARED_DATA / "cats_and_dogs_filtered"))
    monkeypatch.setenv("PRACTICUM_BUILD_DIR", str(tmp_path / "build"))


def exercise(name: str) -> Exercise:
    if name not in _exercises:
        _exercises[name] = Exercise(name)
    return _exercises[name]


def cases(kind: str):
    return [pytest.param(name, description, id=f"{name[:2]}-{description}")
            for name in EXERCISES if name not in GRADED_ELSEWHERE for description in getattr(answers_module(name), kind)]


@pytest.mark.parametrize("name", EXERCISES)
def test_each_exercise_holds_enough_answers(name):
    module = answers_module(name)
    assert len(module.RIGHT) >= 3 and len(module.WRONG) >= 5, name
    for answers, must_fail in module.WRONG.values():
        assert answers and must_fail, "a wrong answer replaces an answer cell and names the test cells it fails"


@pytest.mark.parametrize(("name", "description"), cases("RIGHT"))
def test_a_correct_answer_keeps_full_marks(name, description, fast_real_photos):
    failed = exercise(name).grade(answers_module(name).RIGHT[description])
    assert not failed, failed


@pytest.mark.parametrize(("name", "description"), cases("WRONG"))
def test_a_wrong_answer_loses_exactly_the_points_of_the_part_it_breaks(name, description, fast_real_photos):
    answers, must_fail = answers_module(name).WRONG[description]
    graded = exercise(name)
    failed = graded.grade(answers)
    assert set(failed) == set(must_fail), f"failed {sorted(failed)}, expected {sorted(must_fail)}: {failed}"
    lost = sum(graded.points[grade_id] for grade_id in failed)
    assert lost == sum(graded.points[grade_id] for grade_id in must_fail) < sum(graded.points.values())
