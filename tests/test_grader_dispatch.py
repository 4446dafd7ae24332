"""How submissions reach workers and come back, without a kernel: a lost worker costs its own rows
(which are not kept, so the next run grades them again), and the holdout photos travel as one archive."""

import importlib.util
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path

import pytest

from grader import dispatch
from grader.dispatch import Workers, resolve_sandbox
from grader.grade import WORKER_LOST, grade
from grader.jobs import PhotoArchive, SubmissionJob, SubmissionResult
from grader.results import GradeRow, Status
from practicum.errors import CourseError

from conftest import make_class_folders

_spec = importlib.util.spec_from_file_location("learners", Path(__file__).parent / "fixtures" / "grader" / "learners.py")
learners = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(learners)


class _Executor:
    """Stands in for a pool: answers each job at once; ``lost`` learners' workers die, ``failing``
    learners' grading raises."""

    def __init__(self, lost: set[str], failing: set[str], graded: list[str]):
        self.lost, self.failing, self.graded = lost, failing, graded

    def submit(self, fn, job: SubmissionJob, holdout) -> Future:
        future = Future()
        if job.learner in self.lost:
            future.set_exception(BrokenProcessPool("a worker process died"))
        elif job.learner in self.failing:
            future.set_exception(OSError("the worker's disk is full"))
        else:
            self.graded.append(job.learner)
            future.set_result(SubmissionResult([GradeRow(job.learner, job.assignment.id, "test_scale_pixels", 2, 2, Status.OK),
                                                GradeRow(job.learner, job.assignment.id, "test_flatten", 1, 1, Status.OK)]))
        return future


@pytest.fixture
def fake_workers(monkeypatch):
    """``grade`` with workers whose results are made up, and a record of the pools it opened."""
    state = {"lost": set(), "failing": set(), "graded": [], "pools": 0}

    @contextmanager
    def pool(settings, sources):
        state["pools"] += 1
        yield _Executor(state["lost"], state["failing"], state["graded"])

    @contextmanager
    def workers(scheduler, jobs, sandbox, holdout):
        found = Workers(2, 2, True, "", "2 pretend workers", window=4, _open=pool)
        with found._stack:
            yield found

    monkeypatch.setattr(dispatch, "workers", workers)
    return state


def test_a_lost_worker_or_a_grader_failure_costs_its_submissions_rows_which_the_next_run_grades_again(tmp_path, fake_workers):
    learners.write(tmp_path / "in", ["correct", "unanswered", "stripped", "noisy"], pattern="{learner}_01_arrays.ipynb")
    fake_workers["lost"].add("unanswered")
    fake_workers["failing"].add("noisy")
    report = grade([tmp_path / "in"], tmp_path / "out", source=learners.SOLUTIONS, progress=False)
    lost = [row for row in report.rows if row.learner == "unanswered"]
    assert {(row.points, row.status, row.reason) for row in lost} == {(0, Status.ERROR, WORKER_LOST)}
    failed = [row for row in report.rows if row.learner == "noisy"]
    assert {(row.points, row.status, row.reason) for row in failed} == {(0, Status.ERROR, "grading failed: OSError: the worker's disk is full")}
    assert sorted(fake_workers["graded"]) == ["correct", "stripped"]
    assert fake_workers["pools"] == 2, "the broken pool is replaced for the rest of the batch"

    fake_workers["lost"].clear()
    fake_workers["failing"].clear()
    fake_workers["graded"].clear()
    again = grade([tmp_path / "in"], tmp_path / "out", source=learners.SOLUTIONS, progress=False)
    assert sorted(fake_workers["graded"]) == ["noisy", "unanswered"] and again.reused == 2
    assert sum(row.points for row in again.rows if row.learner == "unanswered") == 3


def test_the_sandbox_setting_is_decided_by_what_the_kernels_machines_say():
    assert resolve_sandbox("auto", ["", ""]) == (True, "")
    sandboxed, note = resolve_sandbox("auto", ["", "bubblewrap (bwrap) is not installed"])
    assert not sandboxed and "bwrap" in note and "--sandbox require" in note
    with pytest.raises(CourseError, match="--sandbox require: bubblewrap"):
        resolve_sandbox("require", ["bubblewrap (bwrap) is not installed"])
    assert resolve_sandbox("off", [])[0] is False
    with pytest.raises(CourseError, match="choose one of auto, require, off"):
        resolve_sandbox("sometimes", [])


def test_holdout_photos_travel_as_one_archive_unpacked_once(tmp_path):
    make_class_folders(tmp_path / "holdout", {"cats": 2, "dogs": 3})
    archive = PhotoArchive.of(tmp_path / "holdout")
    assert PhotoArchive.of(tmp_path / "holdout").digest == archive.digest
    folder = archive.unpack(tmp_path / "worker")
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.jpg")) == \
        sorted(p.relative_to(tmp_path / "holdout").as_posix() for p in (tmp_path / "holdout").rglob("*.jpg"))
    assert archive.unpack(tmp_path / "worker") == folder


def test_bad_job_counts_and_unreachable_schedulers_are_one_line(monkeypatch):
    monkeypatch.setattr(dispatch, "CONNECT_TIMEOUT", 2)
    with pytest.raises(CourseError, match="--jobs 0: give at least 1"):
        with dispatch.workers(None, 0, "off", None):
            pass
    with pytest.raises(CourseError, match="--scheduler tcp://127.0.0.1:9: no Dask scheduler answers there"):
        with dispatch.workers("tcp://127.0.0.1:9", None, "off", None):
            pass
