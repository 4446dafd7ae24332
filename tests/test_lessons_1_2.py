"""Lessons 1–2's graded exercises behave as the course promises.

- the released exercise, unanswered, fails every graded test with "not implemented yet" and errors
  in no other cell;
- the solution scores full marks, hidden tests included (checked on the simulated Colab,
  tests/test_colab.py, which runs every solution with all its checks);
- correct answers written *differently* from the solution score full marks too (the tests test
  behaviour, not code text);
- without PRACTICUM_HOLDOUT_DIR, the model-quality test fails with a message for the instructor.

Each notebook runs headless in FAST mode through the grader (``grader.check``), with the real photos
and holdout; the module is skipped where those are missing.
"""

import os
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbgrader import utils
from nbgrader.utils import setenv

from grader.build import build_exercise, release
from grader.check import check_notebook
from grader.execution import QUIET_FAST_ENV, BudgetedExecute, repeatable_env
from grader.holdout import HoldoutTest
from grader.results import Status
from practicum import paths
from practicum.checks import NOT_IMPLEMENTED
from practicum.tidy import dumps, read_notebook

SHARED = paths.ROOT.parent / "shared" / "data"
DATA_DIR = os.environ.get("PRACTICUM_DATA_DIR") or str(SHARED / "cats_and_dogs_filtered")
HOLDOUT_DIR = os.environ.get("PRACTICUM_HOLDOUT_DIR") or str(SHARED / "holdout")
LESSONS = ["01_raw_pixels", "02_engineered_features"]

pytestmark = [
    pytest.mark.notebooks,
    pytest.mark.skipif(not (Path(DATA_DIR).is_dir() and Path(HOLDOUT_DIR).is_dir()),
                       reason="needs the photos (PRACTICUM_DATA_DIR) and the instructor's holdout (PRACTICUM_HOLDOUT_DIR)"),
]


@pytest.fixture(autouse=True)
def real_photos(monkeypatch, tmp_path):
    monkeypatch.setenv("PRACTICUM_DATA_DIR", DATA_DIR)
    monkeypatch.setenv("PRACTICUM_HOLDOUT_DIR", HOLDOUT_DIR)
    monkeypatch.setenv("PRACTICUM_BUILD_DIR", str(tmp_path / "build"))


# Correct answers in another style than the solutions': loops where they vectorise, matrix algebra
# where they broadcast, other estimators for the classifiers.
ALTERNATIVES = {
    "01_raw_pixels": {
        "flatten_and_scale": '''
            def flatten_and_scale(images):
                return np.stack([np.ravel(image) for image in np.asarray(images)]) * (1 / 255.0)
        ''',
        "class_mean_images": '''
            def class_mean_images(images, labels):
                sums, counts = np.zeros((2,) + np.shape(images)[1:]), [0, 0]
                for image, label in zip(images, labels):
                    sums[int(label)] += image          # float64 accumulator: no uint8 wrap-around
                    counts[int(label)] += 1
                return sums / np.array(counts)[:, None, None, None]
        ''',
        "nearest_mean_predict": '''
            def nearest_mean_predict(images, means):
                x = np.asarray(images, dtype=float).reshape(len(images), -1)
                m = np.asarray(means, dtype=float).reshape(len(means), -1)
                squared = (x ** 2).sum(1)[:, None] - 2 * x @ m.T + (m ** 2).sum(1)[None, :]
                return np.argmin(squared, axis=1)
        ''',
        "accuracy": '''
            def accuracy(labels, predictions):
                return sum(int(a == b) for a, b in zip(labels, predictions)) / len(labels)
        ''',
        "train_pixel_classifier": '''
            class NearestMean:
                def fit(self, images, labels):
                    self.means = class_mean_images(images, labels)
                    return self

                def predict(self, images):
                    return nearest_mean_predict(images, self.means)

            def train_pixel_classifier(images, labels):
                return NearestMean().fit(images, labels)
        ''',
    },
    "02_engineered_features": {
        "color_histogram": '''
            def color_histogram(images, bins):
                x = np.asarray(images, dtype=float)
                n = len(x)
                index = np.floor(x * bins / 256).astype(int).reshape(n, -1, 3)
                out = np.zeros((n, 3, bins))
                for c in range(3):
                    for b in range(bins):
                        out[:, c, b] = (index[:, :, c] == b).sum(axis=1)
                return out.reshape(n, 3 * bins) / (3 * index.shape[1])
        ''',
        "orientation_histogram": '''
            def orientation_histogram(images, bins=9):
                grey = np.asarray(images, dtype=np.float32).mean(axis=3)
                gy, gx = np.gradient(grey, axis=(1, 2))
                angle = np.rad2deg(np.arctan2(gy, gx))
                angle[angle < 0] += 180
                angle[angle >= 180] -= 180
                out = np.stack([np.histogram(a, bins=bins, range=(0, 180), weights=w)[0]
                                for a, w in zip(angle, np.sqrt(gx ** 2 + gy ** 2))])
                totals = out.sum(axis=1, keepdims=True)
                return np.where(totals > 0, out / np.where(totals > 0, totals, 1), 0.0)
        ''',
        "fit_and_score": '''
            from sklearn.metrics import accuracy_score

            def fit_and_score(model, X_train, y_train, X_val, y_val):
                fitted = model.fit(X_train, y_train)
                return accuracy_score(y_train, fitted.predict(X_train)), fitted.score(X_val, y_val)
        ''',
        "train_feature_classifier": '''
            from sklearn.linear_model import LogisticRegression
            from sklearn.pipeline import Pipeline
            from sklearn.preprocessing import FunctionTransformer, StandardScaler

            def train_feature_classifier(images, labels):
                describe = FunctionTransformer(lambda x: features.extract(x, ["hog", "hsv_hist", "lbp"]))
                model = Pipeline([("features", describe), ("scale", StandardScaler()),
                                  ("linear", LogisticRegression(C=0.005, max_iter=3000))])
                return model.fit(images, labels)
        ''',
    },
}


def _solution(lesson: str) -> Path:
    return paths.SOLUTIONS / f"{lesson}.ipynb"


def _answer_cells(nb) -> dict:
    return {cell.metadata.nbgrader["grade_id"]: cell for cell in nb.cells
            if cell.cell_type == "code" and utils.is_solution(cell)}


def _by_name(results) -> dict:
    return {result.name: result for result in results}


def _execute(path: Path) -> nbformat.NotebookNode:
    """Run a notebook the way ``grader.check`` does and return it with its outputs."""
    nb = read_notebook(path)
    with setenv(**QUIET_FAST_ENV, **repeatable_env()):
        nb, _ = BudgetedExecute(budget=600).preprocess(nb, {"metadata": {"path": str(path.parent.resolve())}})
    return nb


@pytest.mark.parametrize("lesson", LESSONS)
def test_each_exercise_has_at_least_four_graded_answers_and_a_holdout_test(lesson):
    nb = read_notebook(_solution(lesson))
    tests = [cell for cell in nb.cells if cell.cell_type == "code" and utils.is_grade(cell)]
    assert len(_answer_cells(nb)) >= 4 and len(tests) >= 4
    holdout = [cell for cell in tests if HoldoutTest.from_cell(cell)]
    assert len(holdout) == 1 and "hand_in(" in holdout[0].source, "one model, handed in for the instructor's photos"
    for cell in tests:
        assert "with check(" in cell.source and "PRACTICUM_HOLDOUT_DIR" not in cell.source, cell.metadata.nbgrader["grade_id"]
        assert cell in holdout or "### BEGIN HIDDEN TESTS" in cell.source, cell.metadata.nbgrader["grade_id"]


@pytest.mark.parametrize("lesson", LESSONS)
def test_committed_exercise_is_built_from_its_solution(lesson):
    exercise = paths.EXERCISES / f"{lesson}.ipynb"
    assert exercise.exists(), f"run `practicum build` to generate {exercise.name}"
    assert exercise.read_text(encoding="utf-8") == dumps(release(read_notebook(_solution(lesson))))


@pytest.mark.parametrize("lesson", LESSONS)
def test_unanswered_exercise_fails_every_test_with_not_implemented_and_errors_nowhere_else(lesson, tmp_path):
    exercise = tmp_path / f"{lesson}.ipynb"
    build_exercise(_solution(lesson), exercise)
    nb = _execute(exercise)
    graded = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        errors = [out for out in cell.outputs if out.output_type == "error"]
        stderr = [out.text for out in cell.outputs if out.output_type == "stream" and out.name == "stderr"]
        assert not stderr, f"cell {index} wrote to stderr: {stderr}"
        if utils.is_grade(cell):
            graded += 1
            assert len(errors) == 1 and NOT_IMPLEMENTED in errors[0].evalue, f"cell {index}: {[e.evalue for e in errors]}"
            assert "Traceback" not in errors[0].evalue
        else:
            assert not errors, f"cell {index} ({cell.source.splitlines()[0]}) errored: {errors[0].ename}: {errors[0].evalue}"
    assert graded >= 4


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_answer_cell_has_an_alternative_written_differently(lesson):
    """The alternatives' full marks, hidden tests and holdout included, are checked on the real path, in
    the learner's exercise graded by ``grade`` (the last test here): one kernel for both lessons."""
    cells = _answer_cells(read_notebook(_solution(lesson)))
    assert set(ALTERNATIVES[lesson]) == set(cells), "every answer cell needs an alternative implementation"
    for grade_id, source in ALTERNATIVES[lesson].items():
        assert textwrap.dedent(source).strip() not in cells[grade_id].source, f"{grade_id}: the alternative is the solution's code"


def test_the_handed_in_model_is_scored_outside_the_kernel_and_a_memorizer_fails(tmp_path):
    nb = read_notebook(_solution("01_raw_pixels"))
    _answer_cells(nb)["train_pixel_classifier"].source = textwrap.dedent('''
        class Memorizer:                      # right on every photo it has seen, "dog" on all others
            def fit(self, images, labels):
                self.seen = {image.tobytes(): label for image, label in zip(images, labels)}
                return self
            def predict(self, images):
                return np.array([self.seen.get(image.tobytes(), 1) for image in images])

        def train_pixel_classifier(images, labels):
            return Memorizer().fit(images, labels)
    ''')
    notebook = tmp_path / "memorizer.ipynb"
    notebook.write_text(dumps(nb), encoding="utf-8")
    result = _by_name(check_notebook(notebook))["test_train_pixel_classifier"]
    assert not result.passed and result.points == 0
    assert "accuracy on the validation photos (the grader uses the instructor's): 0.500" in result.message


def test_exercise_2_s_threshold_keeps_the_promise_its_text_makes():
    """Exercise 2's text names, from benchmarks/exercise2_threshold.py, the models that clear its holdout threshold and
    those that do not: trained on the grader's photos (the FAST subset and seed of its parameters cell) and scored on the
    holdout as the grader scores the hand-in, each lands on the side the text says."""
    from answers import ex02
    from practicum import data, features

    nb = read_notebook(_solution("02_engineered_features"))
    settings = {"fast_mode": lambda: True}
    exec(next(cell.source for cell in nb.cells if cell.source.startswith("FAST = fast_mode()")), settings)
    holdout_test = next(cell for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_train_feature_classifier")
    size, threshold = (holdout_test.metadata.practicum.holdout[key] for key in ("image_size", "threshold"))
    assert size == settings["SIZE"]
    images, labels = features.quietly(data.load_arrays, "train", size, subset=settings["TRAIN_SUBSET"], seed=settings["SEED"])
    holdout_images, holdout_labels = features.load_holdout(size)
    accuracy = {}
    for name, source in {**ex02.HOLDOUT_RIGHT, **ex02.HOLDOUT_WRONG}.items():
        namespace = {"np": np, "features": features}
        exec(textwrap.dedent(source), namespace)
        model = namespace["train_feature_classifier"](images, labels)
        accuracy[name] = float(np.mean(np.asarray(model.predict(holdout_images)) == holdout_labels))
    assert all(accuracy[name] >= threshold for name in ex02.HOLDOUT_RIGHT), (threshold, accuracy)
    assert all(accuracy[name] < threshold for name in ex02.HOLDOUT_WRONG), (threshold, accuracy)


# Answers that pass the visible tests but are wrong in general: the hidden tests must catch them.
PLAUSIBLE_BUT_WRONG = {
    "flatten_and_scale": ('''
        def flatten_and_scale(images):
            images = np.asarray(images)
            return images.reshape(len(images), -1) / images.max()     # scales by the batch's maximum, not 255
    ''', "batch"),
    "nearest_mean_predict": ('''
        def nearest_mean_predict(images, means):
            x = np.asarray(images).reshape(len(images), 1, -1)
            m = np.asarray(means).reshape(1, len(means), -1)
            return np.abs(x - m).sum(-1).argmin(1)                    # L1 distance, and uint8 wraps
    ''', "uint8 means"),
}


def test_hidden_tests_catch_answers_that_only_pass_the_visible_ones(tmp_path):
    nb = read_notebook(_solution("01_raw_pixels"))
    cells = _answer_cells(nb)
    for grade_id, (source, _) in PLAUSIBLE_BUT_WRONG.items():
        cells[grade_id].source = f"### BEGIN SOLUTION\n{textwrap.dedent(source).strip()}\n### END SOLUTION"
    notebook = tmp_path / "wrong.ipynb"
    notebook.write_text(dumps(nb), encoding="utf-8")
    results = _by_name(check_notebook(notebook))
    for grade_id, (_, hidden_case) in PLAUSIBLE_BUT_WRONG.items():
        result = results[f"test_{grade_id}"]
        assert not result.passed and result.points == 0, str(result)
        assert "in general" in result.message and hidden_case in result.message, result.message
    assert results["test_accuracy"].passed and results["test_class_mean_images"].passed


def test_benchmark_script_runs_on_a_small_subset_and_writes_nothing(capsys, monkeypatch):
    import sys

    sys.path.insert(0, str(paths.ROOT))
    from benchmarks import classical, record

    monkeypatch.setattr(classical, "PIXEL_SIZES", (32,))   # a smoke test: one size, two values of C
    monkeypatch.setattr(classical, "PIXEL_C", (1e-3, 1e-2))
    before = record.RESULTS.read_bytes()
    classical.main(["--stage", "pixels", "--subset", "60", "--dry-run"])
    out = capsys.readouterr().out
    assert "logreg_32px" in out and "holdout" in out and "best on validation" in out
    assert record.RESULTS.read_bytes() == before


def test_a_learner_submitting_alternative_answers_in_the_exercise_gets_full_marks_from_grade(tmp_path):
    """The real path: answers typed into the released exercise, hidden tests restored by ``grade``."""
    from grader.grade import grade

    for lesson in LESSONS:
        nb = read_notebook(paths.EXERCISES / f"{lesson}.ipynb")
        for grade_id, cell in _answer_cells(nb).items():
            cell.source = textwrap.dedent(ALTERNATIVES[lesson][grade_id]).strip()
        (tmp_path / "submitted" / "alice").mkdir(parents=True, exist_ok=True)
        (tmp_path / "submitted" / "alice" / f"{lesson}.ipynb").write_text(dumps(nb), encoding="utf-8")
    report = grade([tmp_path / "submitted"], tmp_path / "graded", jobs=2, holdout=Path(HOLDOUT_DIR))
    assert {row.assignment for row in report.rows} == set(LESSONS) and not report.unplaced
    for row in report.rows:
        assert row.status is Status.OK and row.points == row.max_points, f"{row.assignment} {row.exercise}: {row.message}"
