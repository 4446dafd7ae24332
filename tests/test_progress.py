"""``practicum progress``: which of a learner's exercises pass, fail or are not started, and their
models' accuracies beside the course's."""

from pathlib import Path

import pytest
from nbclient import NotebookClient

from fixtures.grader import learners  # tests/ is on sys.path: fixtures/ is a namespace package
from practicum import progress
from practicum.cli import main
from practicum.notebook import save_metrics
from practicum.tidy import read_notebook


@pytest.fixture(scope="module")
def copies(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("progress")
    learners.write(folder, ["correct", "unanswered"])
    unscaled = learners._answered(scale_pixels="def scale_pixels(images):\n    return images.astype(np.float32)")
    (folder / "unscaled.ipynb").write_text(learners.dumps(unscaled), encoding="utf-8")
    return folder


@pytest.fixture
def build(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("PRACTICUM_BUILD_DIR", str(tmp_path / "build"))
    return tmp_path / "build"


def test_each_exercise_is_passed_failed_or_not_started(copies):
    passed, failed, untouched = (progress.progress_of(copies / f"{name}.ipynb") for name in ("correct", "unscaled", "unanswered"))
    assert (passed.status, passed.points, passed.max_points, passed.first_failure) == ("passed", 3, 3, "")
    assert failed.status == "failed" and failed.points < 3
    assert failed.first_failure.startswith("test_scale_pixels: ✗ scale_pixels")
    assert (untouched.status, untouched.points, untouched.max_points, untouched.first_failure) == ("not started", 0, 3, "")


@pytest.mark.kernels
def test_saved_outputs_are_read_without_running_and_a_check_never_run_fails(copies, tmp_path):
    executed = tmp_path / "executed.ipynb"
    nb = read_notebook(copies / "correct.ipynb")
    NotebookClient(nb, resources={"metadata": {"path": str(tmp_path)}}).execute()
    executed.write_text(learners.dumps(nb), encoding="utf-8")
    assert progress.progress_of(executed, saved=True).status == "passed"

    never_run = progress.progress_of(copies / "correct.ipynb", saved=True)
    assert never_run.status == "failed" and never_run.points == 0
    assert "not run; run the notebook top to bottom and save it" in never_run.first_failure


def test_the_command_prints_the_table_and_charts_the_learners_accuracy_beside_the_courses(copies, build, tmp_path, capsys,
                                                                                          monkeypatch):
    course = progress.course_accuracies()
    assert course["pixels"] > 0.5, "the course's numbers come from benchmarks/results.csv"
    mine = tmp_path / "mine" / "01_raw_pixels.ipynb"  # a learner's copy, named like the exercise
    mine.parent.mkdir()
    mine.write_text((copies / "unscaled.ipynb").read_text())
    monkeypatch.setenv("PRACTICUM_FAST", "1")
    save_metrics("01_raw_pixels", headline="val_acc", val_acc=0.5625)
    chart = tmp_path / "progress.png"

    assert main(["progress", "--saved", str(mine), str(copies / "unanswered.ipynb"), "--chart", str(chart)]) == 1
    out = capsys.readouterr().out
    assert "01_raw_pixels  failed" in out and "unanswered     not started  0/3" in out
    assert f"pixels  01_raw_pixels  0.562 (FAST)  {course['pixels']:.3f}" in out
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_trained_models_the_command_says_how_to_get_one(copies, build, capsys):
    assert main(["progress", "--saved", str(copies / "unanswered.ipynb")]) == 1
    assert "no trained model yet" in capsys.readouterr().out
    assert not (build / "progress.png").exists()
