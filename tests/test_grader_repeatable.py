"""The same submission gets the same points on every run: exercise 4's answer sets
(``tests/answers/ex04.py``: right answers written differently, plausible wrong ones), graded by
``practicum grade``. Graded with two threads per kernel (the default), every right answer keeps full
marks and every wrong one loses exactly the test cells tests/answers/ex04.py names (this is where
exercise 4's answers are checked, instead of tests/test_exercise_answers.py, which runs the other
exercises' answers in-process). Graded again with one thread, the answers nearest the learning
test's threshold get identical points in every cell. The solution itself is not handed in here: its
network is the right answer ``practicum-built-with-add`` (the same layers, added one by one), which
trains to the same weights, and its full marks are checked on the simulated Colab
(tests/test_colab.py).

The learning test trains a network for up to 10 epochs: how TensorFlow splits its sums between
threads changes the last bits of every step, so this is where a grade could depend on the machine.
The test seeds itself, and its thresholds and its early stop sit clear of every answer at both
thread counts (benchmarks/exercise4_threshold.py measures the margins over seeds)."""

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
    pytest.mark.xdist_group("grader_repeatable"),  # both tests read the batch graded with two threads
    pytest.mark.skipif(not (SHARED_DATA / "cats_and_dogs_filtered").is_dir(), reason="needs the photos (../shared/data)"),
]

ASSIGNMENT = "04_convnet_from_scratch"


def learner_ids() -> dict[str, str]:
    """Answer set (its name in tests/answers/ex04.py) → the learner id it is handed in as."""
    return {**{name: f"right{index}" for index, name in enumerate(ex04.RIGHT)},
            **{name: f"wrong{index}" for index, name in enumerate(ex04.WRONG)}}


def answer_sets() -> dict[str, tuple[dict[str, str], list[str]]]:
    """learner id → (answer sources, the test cells the answers must fail)."""
    ids = learner_ids()
    return {**{ids[name]: (answers, []) for name, answers in ex04.RIGHT.items()},
            **{ids[name]: answers for name, answers in ex04.WRONG.items()}}


def submission(answers: dict[str, str]) -> str:
    nb = answered(ASSIGNMENT)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = textwrap.dedent(answers[grade_id]).strip() + "\n"
    return dumps(nb)


def grade_batch(tmp_path, learners: dict, threads: int) -> dict:
    """(learner, test cell) → (points, max points) from ``practicum grade`` with ``threads`` per kernel."""
    inbox = tmp_path / f"submitted-{threads}"
    inbox.mkdir()
    for learner, (answers, _) in learners.items():
        (inbox / f"{learner}_{ASSIGNMENT}.ipynb").write_text(submission(answers), encoding="utf-8")
    report = grade([inbox], tmp_path / f"out-{threads}", source=paths.SOLUTIONS, jobs=2, timeout=300, threads=threads, progress=False)
    return {(row.learner, row.exercise): (row.points, row.max_points) for row in report.rows}


@pytest.fixture(scope="module")
def two_threads(tmp_path_factory):
    """Every answer set graded as `practicum grade` grades by default (two threads per kernel)."""
    return grade_batch(tmp_path_factory.mktemp("two-threads"), answer_sets(), threads=2)


def test_every_answer_keeps_its_points_or_loses_exactly_the_part_it_breaks(two_threads):
    for learner, (_, must_fail) in answer_sets().items():
        lost = {cell for (who, cell), (got, most) in two_threads.items() if who == learner and got < most}
        assert lost == set(must_fail), f"{learner} lost points in {sorted(lost)}, expected {sorted(must_fail)}"


# Regraded with one thread: the answer nearest the learning test's threshold (0.56), where a thread count could move an
# accuracy across it, and the solution's network. What benchmarks/exercise4_threshold.py measured at one and two threads
# over seeds (rows visible_min, hidden_min): no-rescaling decides on 0.582 at the lowest; every other answer that learns
# stops at 0.620 or more, the solution's network (as practicum-built-with-add) at 0.626; the networks that cannot learn
# score 0.500 at every thread count (the test gives up on a start once their output is the same for every photo) and the
# uncompiled one fails before training.
NEAREST_THE_THRESHOLD = ("practicum-built-with-add", "no-rescaling")


def test_the_answers_nearest_the_threshold_get_the_same_points_with_one_thread(tmp_path, two_threads):
    chosen = {learner_ids()[name] for name in NEAREST_THE_THRESHOLD}
    learners = {learner: sets for learner, sets in answer_sets().items() if learner in chosen}
    one_thread = grade_batch(tmp_path, learners, threads=1)
    assert {who for who, _ in one_thread} == set(learners)
    differ = {key: (value, two_threads.get(key)) for key, value in one_thread.items() if two_threads.get(key) != value}
    assert not differ, f"points that depend on the thread count (1 thread, 2 threads): {differ}"
