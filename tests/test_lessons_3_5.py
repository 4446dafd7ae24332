"""Lessons 3–5's graded exercises, end to end through the grader's own execution.

For each exercise: the released notebook (built from the solution) fails every graded test with
"not implemented yet" and no other cell errors; answers written differently from the solution
(another algorithm, another architecture) get full marks. The solutions' own full marks, every check
included, are checked on the simulated Colab (tests/test_colab.py).
Lesson 4's answers are graded by `practicum grade` in tests/test_grader_repeatable.py.
"""

import textwrap
from pathlib import Path

import nbformat
import pytest

from grader.build import release
from grader.execution import QUIET_FAST_ENV, BudgetedExecute, QuietTestCells, repeatable_env
from grader.results import autograded_test_cells, result_from_cell
from nbgrader.utils import setenv
from practicum import paths
from practicum.checks import NOT_IMPLEMENTED
from practicum.tidy import read_notebook

from answers import ex03 as conv_answers
from answers import ex04, ex05, typed

pytestmark = pytest.mark.notebooks


def execute(nb: nbformat.NotebookNode, folder: Path, budget: float = 300):
    """Run ``nb`` as ``practicum check`` does; return (errors outside test cells, {grade_id: result})."""
    resources = {"metadata": {"path": str(folder)}}
    with setenv(**QUIET_FAST_ENV, **repeatable_env()):
        nb, resources = BudgetedExecute(budget=budget).preprocess(nb, resources)
    nb, resources = QuietTestCells().preprocess(nb, resources)
    tests = autograded_test_cells(nb)
    errors = [f"cell {cell.id}: {out.ename}: {out.evalue}" for cell in nb.cells if cell.cell_type == "code" and cell not in tests
              for out in cell.outputs if out.output_type == "error"]
    return errors, {cell.metadata.nbgrader["grade_id"]: result_from_cell(cell) for cell in tests}


def with_answers(nb: nbformat.NotebookNode, answers: dict) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(nb)
    found = set()
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
            found.add(grade_id)
    assert found == set(answers), f"no answer cells {set(answers) - found}"
    return nb


def assert_unanswered_fails_cleanly(name: str, tmp_path: Path):
    exercise = release(read_notebook(paths.SOLUTIONS / f"{name}.ipynb"))
    errors, results = execute(exercise, tmp_path)
    assert errors == [], "only test cells may fail in an unanswered exercise"
    assert results, "the exercise has graded tests"
    for result in results.values():
        assert not result.passed and result.points == 0
        assert NOT_IMPLEMENTED in result.message and "Traceback" not in result.message, result.message


def assert_full_marks(nb: nbformat.NotebookNode, tmp_path: Path):
    errors, results = execute(nb, tmp_path)
    assert errors == []
    failed = {name: result.message for name, result in results.items() if not result.passed}
    assert not failed
    assert all(result.points == result.max_points for result in results.values())


# --- lesson 3 ---------------------------------------------------------------------------------

# a different algorithm (one output position at a time; sliding windows): tests/answers/ex03.py's first correct answer
CONV_ALTERNATIVE = {name: textwrap.dedent(source)
                    for name, source in conv_answers.RIGHT["tensordot-per-position-and-sliding-windows"].items()}


def test_lesson_3_unanswered_exercise_fails_cleanly(tmp_path):
    assert_unanswered_fails_cleanly("03_convolutions", tmp_path)


def test_lesson_3_answers_written_differently_get_full_marks(tmp_path):
    solution = read_notebook(paths.SOLUTIONS / "03_convolutions.ipynb")  # with its hidden tests
    assert_full_marks(with_answers(solution, CONV_ALTERNATIVE), tmp_path)


def test_lesson_3_a_wrong_padding_rule_fails_the_hidden_tests():
    """Padding the extra row at the top instead of the bottom passes no Keras comparison. Runs the
    solution's cells in this process (no kernel): setup, helpers, a wrong answer, the test cell."""
    from practicum.checks import CheckFailed

    solution = read_notebook(paths.SOLUTIONS / "03_convolutions.ipynb")
    wrong = CONV_ALTERNATIVE["conv2d"].replace("(need // 2, need - need // 2)", "(need - need // 2, need // 2)")
    namespace: dict = {}
    for cell in solution.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type != "code" or "save_metrics(" in cell.source and "try:" in cell.source:
            continue
        source = wrong if grade_id == "conv2d" else cell.source
        if grade_id == "test_conv2d":
            with pytest.raises(CheckFailed, match="conv2d"):
                exec(source, namespace)
            return
        exec(source, namespace)
    raise AssertionError("no test_conv2d cell")


# --- lesson 4 ---------------------------------------------------------------------------------

# The solution's answer and other networks (tests/answers/ex04.py) get full marks from `practicum grade`
# at two thread counts: tests/test_grader_repeatable.py.


def test_lesson_4_unanswered_exercise_fails_cleanly(tmp_path):
    assert_unanswered_fails_cleanly("04_convnet_from_scratch", tmp_path)


# --- lesson 5 ---------------------------------------------------------------------------------

TRAINING_ALTERNATIVE = typed(ex05.TRAINED["other-augmentation-same-padding-adam"])


@pytest.fixture
def holdout_env(monkeypatch, real_holdout):
    monkeypatch.setenv("PRACTICUM_HOLDOUT_DIR", str(real_holdout))


def test_lesson_5_unanswered_exercise_fails_cleanly(tmp_path):
    assert_unanswered_fails_cleanly("05_preventing_overfitting", tmp_path)


def test_lesson_5_answers_written_differently_get_full_marks_on_the_holdout(tmp_path, holdout_env, monkeypatch):
    """The solution's full marks are checked on the simulated Colab (test_colab, every check included) and by `practicum check`;
    here a different augmentation and network, trained with plain fit, must pass the hidden holdout test."""
    monkeypatch.setenv("PRACTICUM_BUILD_DIR", str(tmp_path / "build"))
    solution = read_notebook(paths.SOLUTIONS / "05_preventing_overfitting.ipynb")
    assert_full_marks(with_answers(solution, TRAINING_ALTERNATIVE), tmp_path)


# Exercise 2's rules (its 1-point test): the augmentation inside the model, training within its budget on the
# training photos. The rules test reads only the returned model, so a few batches and one epoch stand in for the
# real budget (the notebook's EPOCHS and train_data are set to match before the test runs).
RULES = {
    "the solution": ("""
        def train_model(train_data, validation_data, image_size, epochs):
            model = models.practicum_convnet(image_size, augmentation=make_augmentation(), dropout=0.5)
            models.train(model, train_data, validation_data, epochs=epochs, early_stopping=epochs)
            return model
    """, True),
    # another of Keras' random augmentation layers, not named Random*, inside a network of its own
    "RandAugment inside the model": ("""
        def train_model(train_data, validation_data, image_size, epochs):
            inputs = keras.Input(shape=(None, None, 3))
            x = keras.layers.RandAugment(value_range=(0, 255), num_ops=1, factor=0.3)(keras.layers.Resizing(image_size, image_size)(inputs))
            x = keras.layers.Conv2D(8, 3, activation="relu")(keras.layers.Rescaling(1 / 255)(x))
            model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(keras.layers.GlobalAveragePooling2D()(x)))
            model.compile("adam", "binary_crossentropy")
            model.fit(train_data, epochs=epochs, verbose=0)
            return model
    """, True),
    # lesson 4's network: it may clear the accuracy bar in six epochs, but it is not this exercise's answer
    "no augmentation in the model": ("""
        def train_model(train_data, validation_data, image_size, epochs):
            model = models.practicum_convnet(image_size, dropout=0.5)
            models.train(model, train_data, validation_data, epochs=epochs)
            return model
    """, False),
    # leakage: the validation photos join the training ones
    "trained on the validation photos too": ("""
        def train_model(train_data, validation_data, image_size, epochs):
            model = models.practicum_convnet(image_size, augmentation=make_augmentation(), dropout=0.5)
            models.train(model, train_data.concatenate(validation_data), validation_data, epochs=epochs)
            return model
    """, False),
}


def passes(test_cell: str, namespace: dict) -> bool:
    """Whether a test cell's checks all pass when run in ``namespace`` (a failed check raises CheckFailed)."""
    from practicum.checks import CheckFailed

    try:
        exec(test_cell, namespace)
    except CheckFailed:
        return False
    return True


def passes_the_rules(train_model: str) -> bool:
    solution = read_notebook(paths.SOLUTIONS / "05_preventing_overfitting.ipynb")
    namespace: dict = {}
    for cell in solution.cells:
        nbgrader = cell.metadata.get("nbgrader", {})
        grade_id = nbgrader.get("grade_id")
        if cell.cell_type != "code" or grade_id == "record" or (nbgrader.get("grade") and grade_id != "test_train_model_rules"):
            continue  # the other tests (and the learning test's training) are not what this checks
        if grade_id == "train_model":
            exec(textwrap.dedent(train_model), namespace)
        elif grade_id == "test_train_model_rules":
            namespace.update(train_data=namespace["train_data"].take(2), validation_data=namespace["validation_data"].take(1), EPOCHS=1)
            namespace["trained"] = namespace["train_model"](namespace["train_data"], namespace["validation_data"], namespace["IMAGE_SIZE"], 1)
            return passes(cell.source, namespace)
        else:
            exec(cell.source, namespace)
    raise AssertionError("no test_train_model_rules cell")


@pytest.mark.parametrize("answer", sorted(RULES))
def test_lesson_5_the_trained_model_keeps_the_exercise_s_rules(answer, tmp_path, monkeypatch):
    monkeypatch.setenv("PRACTICUM_BUILD_DIR", str(tmp_path / "build"))
    monkeypatch.setenv("PRACTICUM_FAST", "1")
    source, keeps = RULES[answer]
    assert passes_the_rules(source) is keeps


def count_weights_result(source: str):
    """Exercise 4's count_weights test (hidden part included) on ``source``, run in this process: the setup and
    parameters cells, the answer, the test. Returns the test's CheckFailed, or None when it passes."""
    from practicum.checks import CheckFailed

    solution = read_notebook(paths.SOLUTIONS / "04_convnet_from_scratch.ipynb")
    cells = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell.source for cell in solution.cells if cell.cell_type == "code"}
    namespace: dict = {}
    for grade_id in ("setup", "parameters"):
        exec(cells[grade_id], namespace)
    exec(textwrap.dedent(source), namespace)
    try:
        exec(cells["test_count_weights"], namespace)
    except CheckFailed as failed:
        return failed
    return None


@pytest.mark.parametrize("answer", sorted(ex04.COUNT_RIGHT))
def test_lesson_4_weights_counted_another_way_keep_the_point(answer):
    assert count_weights_result(ex04.COUNT_RIGHT[answer]) is None


@pytest.mark.parametrize("answer", sorted(ex04.COUNT_WRONG))
def test_lesson_4_a_wrong_count_loses_the_point_and_says_why(answer):
    source, said = ex04.COUNT_WRONG[answer]
    failed = count_weights_result(source)
    assert failed is not None and said in str(failed), failed
