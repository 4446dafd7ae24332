"""The judge end to end (``grader.judge``), with its kernels: per-learner hidden inputs, and a learner's
self-check that no code in their notebook can fake. Lesson 1's exercise: it imports no TensorFlow."""

import shutil

import pytest

from grader.build import answered
from grader.check import check_notebook
from grader.grade import grade
from grader.results import Judged
from practicum import paths
from practicum.tidy import dumps

from conftest import SHARED_DATA

pytestmark = [pytest.mark.kernels, pytest.mark.xdist_group("judge"),
              pytest.mark.skipif(not (SHARED_DATA / "cats_and_dogs_filtered").is_dir(), reason="needs the photos (../shared/data)")]

PIXELS = "01_raw_pixels"
#: Right for the visible test (whose labels alternate), wrong for the hidden one (labels in any order): its failure
#: message quotes the values the hidden test drew.
ALTERNATE_LABELS = """def class_mean_images(images, labels):
    images = np.asarray(images, dtype=np.float64)
    return np.stack([images[0::2].mean(axis=0), images[1::2].mean(axis=0)])
"""
#: Rebinds `check` so that no failure raises: faked in the learner's kernel, nothing in the judge's.
SWALLOWING_CHECK = """import contextlib
check = lambda name: contextlib.suppress(Exception)
def flatten_and_scale(images):
    return np.zeros((len(images), 1))
"""


def _submission(path, **answers):
    nb = answered(paths.SOLUTIONS / f"{PIXELS}.ipynb")
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(nb), encoding="utf-8")
    return path


def _hidden_message(report, learner):
    row = next(row for row in report.rows if row.learner == learner and row.exercise.endswith("class_mean_images"))
    assert row.points == 0 and row.judged is Judged.OUTSIDE, row
    return row.message


@pytest.fixture
def photos(monkeypatch):
    monkeypatch.setenv("PRACTICUM_DATA_DIR", str(SHARED_DATA / "cats_and_dogs_filtered"))


def test_each_learner_meets_hidden_inputs_of_their_own_and_a_regrade_the_same_ones(tmp_path, photos):
    for learner in ("ann", "bob"):
        _submission(tmp_path / "class" / f"{learner}_{PIXELS}.ipynb", class_mean_images=ALTERNATE_LABELS)
    holdout = SHARED_DATA / "holdout"
    report = grade([tmp_path / "class"], tmp_path / "out", jobs=2, timeout=120, holdout=holdout, progress=False)
    ann, bob = _hidden_message(report, "ann"), _hidden_message(report, "bob")
    assert "in general" in ann and ann != bob, (ann, bob)  # the same wrong answer, told about other inputs
    again = tmp_path / "again"  # a regrade from scratch with the course's secret: the same inputs
    again.mkdir()
    shutil.copy(tmp_path / "out" / ".grader-key", again / ".grader-key")
    regraded = grade([tmp_path / "class" / f"ann_{PIXELS}.ipynb"], again, jobs=1, timeout=120, holdout=holdout, progress=False)
    assert _hidden_message(regraded, "ann") == ann


def test_practicum_check_judges_outside_the_learners_kernel(tmp_path, photos, monkeypatch):
    monkeypatch.setenv("PRACTICUM_BUILD_DIR", str(tmp_path / "build"))
    notebook = _submission(tmp_path / f"{PIXELS}.ipynb", flatten_and_scale=SWALLOWING_CHECK)
    results = {result.name: result for result in check_notebook(notebook, timeout=300)}
    assert not results["test_flatten_and_scale"].passed  # the rebound `check` lives in the learner's kernel only
    assert results["test_class_mean_images"].passed  # the solution's other answers still pass
