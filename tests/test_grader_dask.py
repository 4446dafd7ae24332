"""``practicum grade --scheduler``: a class graded on a Dask cluster (a ``LocalCluster`` of two worker
processes on 127.0.0.1) gets the same rows as on this machine's own pool, and the instructor's
course folder (gradebook, autograded notebooks, feedback) is filled in the same way."""

import importlib.util
from pathlib import Path

import pytest

from grader import gradebook
from grader.grade import grade
from grader.reports import write_feedback

pytestmark = pytest.mark.notebooks

_spec = importlib.util.spec_from_file_location("learners", Path(__file__).parent / "fixtures" / "grader" / "learners.py")
learners = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(learners)

CLASS = ["correct", "unanswered", "crashing", "deleted_cells", "stripped", "not_json"]


def _rows(report):
    return sorted((row.learner, row.exercise, row.points, row.status, row.reason, row.matched) for row in report.rows)


def test_a_dask_cluster_grades_a_class_as_the_local_pool_does(tmp_path):
    distributed = pytest.importorskip("distributed")
    learners.write(tmp_path / "in", CLASS, pattern="{learner}_01_arrays.ipynb")
    holdout = tmp_path / "holdout"
    (holdout / "cats").mkdir(parents=True)
    local = grade([tmp_path / "in"], tmp_path / "local", source=learners.SOLUTIONS, jobs=2, timeout=20, holdout=holdout)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None) as cluster:
        remote = grade([tmp_path / "in"], tmp_path / "remote", source=learners.SOLUTIONS, timeout=20, holdout=holdout,
                       scheduler=cluster.scheduler_address)
    assert "Dask cluster at tcp://127.0.0.1" in remote.workers and remote.sandboxed == local.sandboxed
    assert _rows(remote) == _rows(local)
    assert sum(row.points for row in remote.rows if row.learner == "correct") == 3
    for learner in ["correct", "stripped"]:  # what formgrader and `nbgrader export` read
        assert (tmp_path / "remote" / "course" / "autograded" / learner / "01_arrays" / "01_arrays.ipynb").is_file()
        assert gradebook.read_scores(tmp_path / "remote" / "course", learner, "01_arrays") == \
            gradebook.read_scores(tmp_path / "local" / "course", learner, "01_arrays")
    write_feedback(remote.rows, tmp_path / "remote" / "feedback", tmp_path / "remote" / "course")
    assert "flatten" in (tmp_path / "remote" / "feedback" / "correct.html").read_text()
