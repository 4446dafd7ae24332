"""Lessons 6–7's graded exercises, end to end through the grader's own execution.

For each exercise: the released notebook fails every graded test with "not implemented yet" and no
other cell errors; answers written differently from the solution get full marks; plausible wrong
answers lose the points of the part they break, and only those. The solutions' own full marks are
checked on the simulated Colab (tests/test_colab.py, every check included) and by `make course`.
"""

from pathlib import Path

import numpy as np
import pytest

from answers import ex06, typed
from grader.build import solution_answers
from practicum import paths
from practicum.tidy import read_notebook
from conftest import SHARED_DATA
from test_lessons_3_5 import assert_full_marks, assert_unanswered_fails_cleanly, passes, with_answers

pytestmark = pytest.mark.notebooks


@pytest.fixture
def own_build(tmp_path, monkeypatch, real_dataset):
    monkeypatch.setenv("PRACTICUM_BUILD_DIR", str(tmp_path / "build"))
    monkeypatch.setenv("PRACTICUM_FAST", "1")


def outcomes(name: str, answers: dict, stop_before: str | None = None) -> dict:
    """Run a solution's cells in this process (no kernel) with ``answers`` in place of its own, up to
    the test cell ``stop_before``; return ``{test grade_id: passed}``."""
    solution = with_answers(read_notebook(paths.SOLUTIONS / f"{name}.ipynb"), answers)
    namespace: dict = {}
    results = {}
    for cell in solution.cells:
        nbgrader = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code":
            continue
        if stop_before is not None and nbgrader.get("grade_id") == stop_before:
            break
        if nbgrader.get("grade"):
            results[nbgrader["grade_id"]] = passes(cell.source, namespace)
        else:
            exec(cell.source, namespace)
    return results


# --- lesson 6 ---------------------------------------------------------------------------------

WRONG_UNFREEZE = {
    # base.layers[-0:] is every layer: n = 0 unfreezes the whole base
    "slicing from -n": '''
def unfreeze_top(base, n):
    base.trainable = True
    for layer in base.layers:
        layer.trainable = False
    for layer in base.layers[-n:]:
        layer.trainable = not isinstance(layer, keras.layers.BatchNormalization)
    return [layer.name for layer in base.layers if layer.trainable]
''',
    # batch normalisation unfrozen with the rest
    "batch norm unfrozen": '''
def unfreeze_top(base, n):
    base.trainable = True
    first = max(len(base.layers) - n, 0)
    for position, layer in enumerate(base.layers):
        layer.trainable = position >= first
    return [layer.name for layer in base.layers if layer.trainable]
''',
    # the model itself left frozen: none of its layers really train
    "model left frozen": '''
def unfreeze_top(base, n):
    first = max(len(base.layers) - n, 0)
    for position, layer in enumerate(base.layers):
        layer.trainable = position >= first and not isinstance(layer, keras.layers.BatchNormalization)
    return [layer.name for layer in base.layers if layer.trainable]
''',
}

UNFROZEN_BASE = '''
def build_classifier(base, image_size):
    photos = keras.Input(shape=(None, None, 3))
    x = pretrained.torch_preprocessing()(keras.layers.Resizing(image_size, image_size)(photos))
    x = keras.layers.GlobalAveragePooling2D()(base(x, training=False))
    return keras.Model(photos, keras.layers.Dense(1, activation="sigmoid")(x))
'''


@pytest.mark.parametrize("mistake", sorted(WRONG_UNFREEZE))
def test_lesson_6_a_wrong_unfreeze_loses_only_its_points(mistake, own_build):
    results = outcomes("06_transfer_learning", {"unfreeze_top": WRONG_UNFREEZE[mistake]}, stop_before="test_train_transfer_model")
    assert results == {"test_build_classifier": True, "test_build_classifier_normalisation": True, "test_unfreeze_top": False}


def test_lesson_6_a_base_left_trainable_loses_only_the_classifier_points(own_build):
    results = outcomes("06_transfer_learning", {"build_classifier": UNFROZEN_BASE}, stop_before="test_train_transfer_model")
    assert results == {"test_build_classifier": False, "test_build_classifier_normalisation": True, "test_unfreeze_top": True}


# What reaches the base: torchvision's normalisation, written three ways, and three plausible others.
NORMALISATION = {
    "right": {
        "torch_preprocessing": "pretrained.torch_preprocessing()(x)",
        "normalization written out": "keras.layers.Normalization(mean=[123.675, 116.28, 103.53], variance=[58.395 ** 2, 57.12 ** 2, 57.375 ** 2])(x)",
        "rescaled, then normalised": "keras.layers.Normalization(mean=[0.485, 0.456, 0.406], variance=[0.229 ** 2, 0.224 ** 2, 0.225 ** 2])"
                                     "(keras.layers.Rescaling(1 / 255)(x))",
    },
    "wrong": {
        "none": "x",
        "divided by 255": "keras.layers.Rescaling(1 / 255)(x)",
        "keras' own x / 127.5 - 1": "keras.layers.Rescaling(1 / 127.5, offset=-1)(x)",
    },
}


def classifier_normalising(expression: str) -> str:
    return f'''
def build_classifier(base, image_size):
    base.trainable = False
    photos = keras.Input(shape=(None, None, 3))
    x = keras.layers.Resizing(image_size, image_size)(photos)
    x = {expression}
    x = keras.layers.GlobalAveragePooling2D()(base(x, training=False))
    return keras.Model(photos, keras.layers.Dense(1, activation="sigmoid")(keras.layers.Dropout(0.2)(x)))
'''


@pytest.mark.parametrize("verdict, written", [(verdict, written) for verdict in NORMALISATION for written in NORMALISATION[verdict]])
def test_lesson_6_the_normalisation_is_graded_on_its_own(verdict, written, own_build):
    answer = classifier_normalising(NORMALISATION[verdict][written])
    results = outcomes("06_transfer_learning", {"build_classifier": answer}, stop_before="test_train_transfer_model")
    assert results == {"test_build_classifier": True, "test_build_classifier_normalisation": verdict == "right", "test_unfreeze_top": True}


# train_transfer_model without its fine-tuning: both keep a head that alone clears the accuracy test, so the
# fine-tuning test must catch them. Each is the solution's with one line changed.
NOT_FINE_TUNED = {
    "no compile after unfreeze_top": ("    model.compile(optimizer=keras.optimizers.Adam(2e-5), loss=\"binary_crossentropy\", metrics=[\"accuracy\"])\n", ""),
    "nothing unfrozen": ("    unfreeze_top(fresh_base, ", "    0 and unfreeze_top(fresh_base, "),
}


def fine_tunes(answers: dict) -> bool:
    """The fine-tuning test's verdict on ``train_transfer_model`` trained on 32 photos, one epoch a phase."""
    solution = with_answers(read_notebook(paths.SOLUTIONS / "06_transfer_learning.ipynb"), answers)
    namespace: dict = {}
    for cell in solution.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type != "code" or grade_id in {"test_build_classifier", "test_build_classifier_normalisation", "test_unfreeze_top"}:
            continue
        if grade_id == "test_train_transfer_model":
            train = namespace["train"]
            namespace["trained"] = namespace["train_transfer_model"](train.images[:32], train.labels[:32], namespace["IMAGE_SIZE"], 1)
        elif grade_id == "test_train_transfer_model_fine_tunes":
            return passes(cell.source, namespace)
        else:
            exec(cell.source, namespace)
    raise AssertionError("no test_train_transfer_model_fine_tunes cell")


def solution_train_transfer_model() -> str:
    return solution_answers(read_notebook(paths.SOLUTIONS / "06_transfer_learning.ipynb"))["train_transfer_model"]


@pytest.mark.parametrize("mistake", sorted(NOT_FINE_TUNED))
def test_lesson_6_training_the_head_alone_loses_the_fine_tuning_point(mistake, own_build):
    old, new = NOT_FINE_TUNED[mistake]
    solution = solution_train_transfer_model()
    assert solution.count(old) == 1
    assert not fine_tunes({"train_transfer_model": solution.replace(old, new)})


def test_lesson_6_the_fine_tuning_test_passes_a_fine_tuned_model(own_build):
    assert fine_tunes({"train_transfer_model": solution_train_transfer_model()})


def test_lesson_6_hands_its_model_in_for_the_holdout():
    solution = read_notebook(paths.SOLUTIONS / "06_transfer_learning.ipynb")
    cell = next(c for c in solution.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_train_transfer_model")
    holdout = cell.metadata["practicum"]["holdout"]
    assert f'hand_in(trained, "{holdout["model"]}")' in cell.source
    assert holdout["image_size"] == 161 and 0.5 < holdout["threshold"] < 1
    assert "PRACTICUM_HOLDOUT_DIR" not in "".join(c.source for c in solution.cells)


# --- lesson 7 ---------------------------------------------------------------------------------

SEARCH_ALTERNATIVE = {
    # scikit-learn's cosine similarity and Python's (stable) sorted
    "cosine_top_k": '''
from sklearn.metrics.pairwise import cosine_similarity

def cosine_top_k(query, vectors, k):
    similarity = cosine_similarity(np.atleast_2d(query), np.atleast_2d(vectors))[0]
    return np.array(sorted(range(len(similarity)), key=lambda i: -similarity[i])[:k])
''',
    "precision_at_k": '''
def precision_at_k(found_labels, relevant, k):
    return sum(1 for label in list(found_labels)[:k] if label == relevant) / k
''',
    "average_precision": '''
def average_precision(found_labels, relevant, total_relevant):
    hits, total = 0, 0.0
    for rank, label in enumerate(found_labels, start=1):
        if label == relevant:
            hits += 1
            total += hits / rank
    return total / total_relevant if total_relevant else 0.0
''',
}

# Average precision written two more ways (the loop above is the third): each keeps the exercise's points.
AVERAGE_PRECISION_RIGHT = {
    "precision at each hit from a running count": '''
def average_precision(found_labels, relevant, total_relevant):
    ranks = [rank for rank, label in enumerate(list(found_labels), start=1) if label == relevant]
    return sum((hit + 1) / rank for hit, rank in enumerate(ranks)) / total_relevant if total_relevant else 0.0
''',
    "scikit-learn's, scaled for the right photos never found": '''
from sklearn.metrics import average_precision_score

def average_precision(found_labels, relevant, total_relevant):
    right = np.asarray(found_labels) == relevant
    if total_relevant == 0 or not right.any():
        return 0.0
    found_share = right.sum() / total_relevant  # scikit-learn divides by the right results it is shown
    return float(average_precision_score(right, -np.arange(len(right))) * found_share)
''',
}

WRONG_SEARCH = {
    # a dot product favours long vectors
    "dot product": ("cosine_top_k", '''
def cosine_top_k(query, vectors, k):
    return np.argsort(-(np.asarray(vectors) @ np.asarray(query)), kind="stable")[:k]
'''),
    # reversing an ascending sort puts equally similar rows in reverse order
    "reversed ties": ("cosine_top_k", '''
def cosine_top_k(query, vectors, k):
    vectors, query = np.asarray(vectors, float), np.asarray(query, float)
    similarity = vectors @ query / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(query))
    return np.argsort(similarity)[::-1][:k]
'''),
    # Euclidean distance on the raw vectors: the nearest point, not the closest direction
    "euclidean distance": ("cosine_top_k", '''
def cosine_top_k(query, vectors, k):
    distance = np.linalg.norm(np.asarray(vectors, float) - np.asarray(query, float), axis=1)
    return np.argsort(distance, kind="stable")[:k]
'''),
    # dividing by the number of results instead of k
    "divides by the results": ("precision_at_k", '''
def precision_at_k(found_labels, relevant, k):
    found = np.asarray(found_labels)[:k]
    return float(np.mean(found == relevant)) if len(found) else 0.0
'''),
    # average precision over the right results found, not over the library's: the ones never found do not count
    "average precision over the found": ("average_precision", '''
def average_precision(found_labels, relevant, total_relevant):
    right = np.asarray(found_labels) == relevant
    precision = np.cumsum(right) / np.arange(1, len(right) + 1)
    return float(precision[right].mean()) if right.any() else 0.0
'''),
    # the precision at every rank averaged, the wrong ones included
    "average precision at every rank": ("average_precision", '''
def average_precision(found_labels, relevant, total_relevant):
    right = np.asarray(found_labels) == relevant
    return float(np.mean(np.cumsum(right) / np.arange(1, len(right) + 1))) if len(right) else 0.0
'''),
}


@pytest.fixture(scope="module")
def search_library(tmp_path_factory) -> dict:
    """Lesson 7's exercise up to its first answer (set-up, parameters, the embedded library), run once in this
    process in FAST mode: its namespace."""
    if not (SHARED_DATA / "cats_and_dogs_filtered").is_dir():
        pytest.skip("needs the photos (../shared/data)")
    namespace: dict = {}
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PRACTICUM_BUILD_DIR", str(tmp_path_factory.mktemp("build")))
        env.setenv("PRACTICUM_FAST", "1")
        for cell in read_notebook(paths.SOLUTIONS / "07_photo_search.ipynb").cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id"):
                break
            if cell.cell_type == "code":
                exec(cell.source, namespace)
    return namespace


def search_outcomes(library: dict, notebook: Path, answers: dict) -> dict:
    """``{test grade_id: passed}`` for ``notebook``'s answer and test cells (the solution's: hidden tests included;
    the released exercise's: the visible ones), with ``answers`` in place of the solution's, on a copy of the library."""
    solutions = solution_answers(read_notebook(paths.SOLUTIONS / "07_photo_search.ipynb"))
    namespace = {name: value.copy() if isinstance(value, np.ndarray) else value for name, value in library.items()}
    results = {}
    for cell in read_notebook(notebook).cells:
        nbgrader = cell.metadata.get("nbgrader", {})
        if nbgrader.get("solution"):
            exec(answers.get(nbgrader["grade_id"], solutions[nbgrader["grade_id"]]), namespace)
        elif nbgrader.get("grade"):
            results[nbgrader["grade_id"]] = passes(cell.source, namespace)
    return results


@pytest.mark.parametrize("mistake", sorted(WRONG_SEARCH))
def test_lesson_7_a_plausible_mistake_loses_only_its_points(mistake, search_library):
    grade_id, answer = WRONG_SEARCH[mistake]
    results = search_outcomes(search_library, paths.SOLUTIONS / "07_photo_search.ipynb", {grade_id: answer})
    assert set(results) == {"test_cosine_top_k", "test_precision_at_k", "test_average_precision"}
    assert results == {test: test != f"test_{grade_id}" for test in results}


@pytest.mark.parametrize("answer", sorted(AVERAGE_PRECISION_RIGHT))
def test_lesson_7_average_precision_written_differently_keeps_its_points(answer, search_library):
    for notebook in (paths.SOLUTIONS, paths.EXERCISES):
        results = search_outcomes(search_library, notebook / "07_photo_search.ipynb", {"average_precision": AVERAGE_PRECISION_RIGHT[answer]})
        assert set(results.values()) == {True}, (notebook.name, results)


@pytest.mark.parametrize("mistake", sorted(WRONG_SEARCH))
def test_lesson_7_the_visible_tests_show_each_plausible_mistake_before_grading(mistake, search_library):
    grade_id, answer = WRONG_SEARCH[mistake]
    results = search_outcomes(search_library, paths.EXERCISES / "07_photo_search.ipynb", {grade_id: answer})
    assert results[f"test_{grade_id}"] is False, "only the hidden tests catch it: the learner hands it in unaware"


def test_lesson_7_the_solution_passes_the_visible_and_hidden_tests_on_the_shared_library(search_library):
    for notebook in (paths.SOLUTIONS, paths.EXERCISES):
        assert set(search_outcomes(search_library, notebook / "07_photo_search.ipynb", {}).values()) == {True}


def test_cosine_search_and_precision_of_the_solution_agree_with_brute_force():
    """The lesson's reference answers, checked outside any notebook on random data with ties."""
    namespace: dict = {"np": np}
    solution = read_notebook(paths.SOLUTIONS / "07_photo_search.ipynb")
    for cell in solution.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") in ("cosine_top_k", "precision_at_k"):
            exec(cell.source, namespace)
    rng = np.random.default_rng(0)
    vectors = rng.integers(-2, 3, size=(60, 3)).astype(float)  # small integers: parallel rows, equally similar
    vectors[np.all(vectors == 0, axis=1)] = 1.0
    for query in rng.integers(-2, 3, size=(10, 3)).astype(float) + 0.5:
        cosine = vectors @ query / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(query))
        brute = sorted(range(len(vectors)), key=lambda i: (-round(cosine[i], 12), i))
        assert namespace["cosine_top_k"](query, vectors, 70).tolist() == brute
    assert namespace["precision_at_k"]([1, 0, 1], 1, 4) == 0.5


# --- both lessons -----------------------------------------------------------------------------

ALTERNATIVES = {"06_transfer_learning": typed(ex06.TRAINED["max-pooling-hidden-layer-rmsprop"]), "07_photo_search": SEARCH_ALTERNATIVE}


@pytest.mark.parametrize("name", sorted(ALTERNATIVES))
def test_unanswered_exercise_fails_cleanly(name, tmp_path, own_build):
    assert_unanswered_fails_cleanly(name, tmp_path)


@pytest.mark.parametrize("name", sorted(ALTERNATIVES))
def test_answers_written_differently_get_full_marks(name, tmp_path, own_build):
    solution = read_notebook(paths.SOLUTIONS / f"{name}.ipynb")
    assert_full_marks(with_answers(solution, ALTERNATIVES[name]), tmp_path)
