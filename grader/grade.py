"""``practicum grade``: a class's submissions → grades.csv, feedback pages and a summary table.

Hidden tests come from the course's source (``solutions/`` or any nbgrader ``source/``), through the
gradebook of an nbgrader course directory kept in ``<out>/course``. Every submission is autograded
by ``grader.worker`` in a subprocess of its own, with a hard wall-clock limit, in a scratch course
under ``<out>/work/<assignment>/<learner>/``; ``--jobs`` of them run at once. A submission whose
files and assignment source are unchanged since its last grading is not graded again.
"""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from grader import gradebook
from grader.course import Assignment, copy_source, exercise_name, find_assignments, grade_cells
from grader.execution import QUIET_FAST_ENV
from grader.results import GradeRow
from grader.submissions import Submission, find_submissions
from practicum import paths
from practicum.tidy import NotebookError, read_notebook

#: Seconds a worker gets beyond the notebooks' budget: kernel start-up and nbgrader's own work.
STARTUP_GRACE = 120.0


@dataclass
class _Outcome:
    rows: list[GradeRow]
    reused: bool = False  # graded before, from the same files
    autograded: bool = False  # nbgrader graded it now: its scores go into the course's gradebook


@dataclass
class GradeReport:
    rows: list[GradeRow] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)  # files no naming rule could attribute
    reused: int = 0  # submissions unchanged since they were last graded


def grade(inputs: list[Path], out: Path, source: Path = paths.SOLUTIONS, jobs: int = 1, timeout: float = 600,
          holdout: Path | None = None, grace: float = STARTUP_GRACE, memory_gb: float = 8) -> GradeReport:
    out = Path(out).resolve()
    course = out / "course"
    course.mkdir(parents=True, exist_ok=True)
    config_file = course / "nbgrader_config.py"
    if not config_file.exists():  # so that `nbgrader export` and formgrader, run in course/, find their course
        config_file.write_text("# Written by `practicum grade`: this folder is an nbgrader course.\nc = get_config()\n"
                               "c.CourseDirectory.root = __file__.rsplit('/', 1)[0]\n")
    assignments = find_assignments(Path(source))
    submissions, unplaced = find_submissions(inputs, assignments, out / "incoming", skip=out)
    for assignment_id in sorted({s.assignment for s in submissions}):
        copy_source(assignments[assignment_id], course)
        gradebook.register_assignment(course, assignment_id)

    # the worker and its kernels import this course's packages even where it is not pip-installed
    env = {**os.environ, **QUIET_FAST_ENV, "PYTHONPATH": os.pathsep.join(filter(None, [str(paths.ROOT), os.environ.get("PYTHONPATH")]))}
    if holdout:
        env["PRACTICUM_HOLDOUT_DIR"] = str(Path(holdout).resolve())
    report = GradeReport(unplaced=unplaced)

    def grade_one(submission: Submission) -> _Outcome:
        assignment = assignments[submission.assignment]
        try:
            return _grade_submission(submission, assignment, course, out / "work", env, timeout, grace, memory_gb)
        except Exception as error:  # noqa: BLE001 — whatever one submission does, the batch goes on
            return _Outcome(_error_rows(submission, assignment, course, {}, f"grading failed: {type(error).__name__}: {error}"))

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for submission, outcome in zip(submissions, pool.map(grade_one, submissions)):
            report.rows.extend(outcome.rows)
            report.reused += outcome.reused
            if outcome.autograded:  # the course's gradebook is written from this thread only, one submission at a time
                _merge(submission, course, out / "work" / submission.assignment / submission.learner)
    return report


def _grade_submission(submission: Submission, assignment: Assignment, course: Path, work: Path, env: dict,
                      timeout: float, grace: float, memory_gb: float) -> _Outcome:
    scratch = work / submission.assignment / submission.learner
    key = _fingerprint(submission, assignment, timeout)
    rows_file = scratch / "rows.json"
    if rows_file.exists() and (scratch / "key").exists() and (scratch / "key").read_text() == key:
        return _Outcome([GradeRow(**row) for row in json.loads(rows_file.read_text())], reused=True)
    unreadable = _prepare_scratch(submission, course, scratch)
    if len(unreadable) == len(submission.notebooks):  # nothing to run: no worker needed
        failure = ""
    else:
        # each submission saves its models and metrics in its own build folder: in a shared one, a hidden
        # test could load another learner's model (or a stale one) when this learner's training failed
        kernel_env = {**env, "PRACTICUM_BUILD_DIR": str(scratch / "build")}
        failure = _run_worker(scratch, submission, timeout / len(assignment.notebooks), timeout + grace, kernel_env, memory_gb)
    autograded = not failure and len(unreadable) < len(submission.notebooks)
    if autograded:
        rows = [GradeRow(**row) for row in json.loads(rows_file.read_text())]
    else:
        rows = _error_rows(submission, assignment, course, unreadable, failure)
        rows_file.write_text(json.dumps([asdict(row) for row in rows], indent=1))
    (scratch / "key").write_text(key)
    return _Outcome(rows, autograded=autograded)


def _fingerprint(submission: Submission, assignment: Assignment, timeout: float) -> str:
    digest = hashlib.sha256(f"{assignment.fingerprint()}\0{timeout:g}".encode())
    for notebook, path in sorted(submission.notebooks.items()):
        digest.update(b"\0" + notebook.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _prepare_scratch(submission: Submission, course: Path, scratch: Path) -> dict[str, str]:
    """A course directory of its own: the source, a copy of the gradebook, the readable notebooks.
    Returns the unreadable ones: notebook id → why."""
    if scratch.exists():
        shutil.rmtree(scratch)
    submitted = scratch / "submitted" / submission.learner / submission.assignment
    submitted.mkdir(parents=True)
    shutil.copytree(course / "source" / submission.assignment, scratch / "source" / submission.assignment)
    gradebook.copy_gradebook(course, scratch)
    for extra in submission.extra_files:
        shutil.copy2(extra, submitted / extra.name)
    unreadable = {}
    for notebook, path in submission.notebooks.items():
        try:
            with warnings.catch_warnings():  # nbformat fills in missing cell ids; nothing to report
                warnings.simplefilter("ignore")
                read_notebook(path)
        except NotebookError as error:  # leave it out: nbgrader scores a missing notebook 0
            unreadable[notebook] = "not a notebook (not valid JSON)" if "JSON" in str(error) else "not a valid notebook"
            continue
        shutil.copy2(path, submitted / f"{notebook}.ipynb")
    (scratch / "unreadable.json").write_text(json.dumps(unreadable))
    return unreadable


def _run_worker(scratch: Path, submission: Submission, budget: float, hard_limit: float, env: dict, memory_gb: float) -> str:
    """Autograde in a subprocess; return why it gave no grades, or "" when it did."""
    command = [sys.executable, "-m", "grader.worker", str(scratch), submission.learner, submission.assignment,
               "--budget", str(budget), "--memory-gb", str(memory_gb)]
    with open(scratch / "autograde.log", "wb") as log:
        # its own session, so that stopping it stops everything it started; its kernels exit on
        # their own when it dies (ipykernel polls its parent process)
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=scratch, start_new_session=True)
        try:
            process.wait(timeout=hard_limit)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return f"grading took longer than {hard_limit:g} s and was stopped"
    if process.returncode != 0 or not (scratch / "rows.json").exists():
        return f"the grading process failed (exit code {process.returncode}; see {scratch / 'autograde.log'})"
    return ""


def _error_rows(submission: Submission, assignment: Assignment, course: Path, unreadable: dict[str, str],
                failure: str) -> list[GradeRow]:
    """Zero points for every graded cell, with the notebook's own problem or the worker's failure."""
    return [GradeRow(submission.learner, submission.assignment, exercise_name(assignment, cell.notebook, cell.grade_id), points=0,
                     max_points=cell.max_points, status=f"error: {unreadable.get(cell.notebook) or failure or 'notebook not submitted'}")
            for cell in grade_cells(assignment, course / "source")]


def _merge(submission: Submission, course: Path, scratch: Path) -> None:
    """Copy the autograded notebooks and scores into the course directory, for formgrader and export."""
    graded = scratch / "autograded" / submission.learner / submission.assignment
    if not graded.exists():  # nbgrader gave up on it; rows.json says why
        return
    target = course / "autograded" / submission.learner / submission.assignment
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(graded, target)
    scores = gradebook.read_scores(scratch, submission.learner, submission.assignment)
    gradebook.merge_scores(course, submission.learner, submission.assignment, list(scores.values()))
