"""The same submission gets the same points on every run: exercise 4's answer sets
(``tests/answers/ex04.py``: right answers written differently, plausible wrong ones), graded by
``practicum grade`` with one thread and with two threads per kernel, get identical points in every
cell; the solution's answer and every right answer keep full marks, and every wrong one loses exactly
the test cells tests/answers/ex04.py names (this is where exercise 4's answers are checked, instead of
tests/test_exercise_answers.py, which runs the other exercises' answers in-process).

The learning test trains a network for 5 epochs: how TensorFlow splits its sums between threads
changes the last bits of every step, so this is where a grade could depend on the machine. The
test seeds itself and its threshold sits clear of every answer at both thread counts
(benchmarks/exercise4_threshold.py measures the margin over seeds)."""

import textwrap

import pytest

from answers import ex04
from grader.grade import grade
from learner_copies import answered
from practicum import paths
from practicum.tidy import dumps

from conftest import SHARED_DATA

pytestmark = [
    pytest.mark.notebooks,
    pytest.mark.skipif(not (SHARED_DATA / "cats_and_dogs_filtered").is_dir(), reason="needs the photos (../shared/data)"),
]

ASSIGNMENT = "04_convnet_from_scratch"


def answer_sets() -> dict[str, tuple[dict[str, str], list[str]]]:
    """learner id → (answer sources, the test cells the answers must fail); ``solution``: the solution's own answer."""
    found = {"solution": ({}, [])}
    found.update({f"right{index}": (answers, []) for index, answers in enumerate(ex04.RIGHT.values())})
    found.update({f"wrong{index}": answers for index, answers in enumerate(ex04.WRONG.values())})
    return found


def submission(answers: dict[str, str]) -> str:
    nb = answered(ASSIGNMENT)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = textwrap.dedent(answers[grade_id]).strip() + "\n"
    return dumps(nb)


def test_exercise_4s_answer_sets_get_the_same_points_with_one_and_two_threads(tmp_path):
    learners = answer_sets()
    inbox = tmp_path / "submitted"
    inbox.mkdir()
    for learner, (answers, _) in learners.items():
        (inbox / f"{learner}_{ASSIGNMENT}.ipynb").write_text(submission(answers), encoding="utf-8")
    points = {}
    for threads in (1, 2):
        report = grade([inbox], tmp_path / f"out-{threads}", source=paths.SOLUTIONS, jobs=2, timeout=300, threads=threads, progress=False)
        points[threads] = {(row.learner, row.exercise): (row.points, row.max_points) for row in report.rows}
    differ = {key: (value, points[2].get(key)) for key, value in points[1].items() if points[2].get(key) != value}
    assert not differ, f"points that depend on the thread count (1 thread, 2 threads): {differ}"
    for learner, (_, must_fail) in learners.items():
        lost = {cell for (who, cell), (got, most) in points[1].items() if who == learner and got < most}
        assert lost == set(must_fail), f"{learner} lost points in {sorted(lost)}, expected {sorted(must_fail)}"
