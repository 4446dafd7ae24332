"""``practicum grade``: a class's submissions → grades.csv, feedback pages and a summary table.

Hidden tests come from the course's source (``solutions/`` or any nbgrader ``source/``), through the
gradebook of an nbgrader course directory kept in ``<out>/course``. Every submission is autograded
by ``grader.worker`` in a subprocess of its own, with a hard wall-clock limit, in a scratch course
under ``<out>/work/<assignment>/<learner>/``; ``--jobs`` of them run at once. The learner's kernel
runs in a sandbox (``grader.sandbox``) that sees only ``workspace/`` there, under the limits of
``grader.confine``. Rows are written by the trusted side only and signed with a key kept in
``<out>/.grader-key``; a submission whose files and assignment source are unchanged since its last
grading, and whose stored rows carry a valid signature, is not graded again.
"""

import hashlib
import hmac
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
import uuid
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from grader import gradebook, sandbox
from grader.confine import Group, Limits
from grader.course import Assignment, copy_source, exercise_name, find_assignments, grade_cells
from grader.execution import QUIET_FAST_ENV
from grader.build import release
from grader.restore import prepared
from grader.results import GradeRow, Status
from grader.sandbox import KernelSettings
from grader.submissions import Submission, find_submissions
from grader.supervise import run_supervised
from practicum import paths
from practicum.errors import CourseError
from practicum.tidy import NotebookError, read_notebook

#: Seconds a worker gets beyond the notebooks' budget: kernel start-up and nbgrader's own work.
STARTUP_GRACE = 120.0
#: Processes and threads one submission's kernel may have at once (TensorFlow alone starts dozens).
MAX_PROCESSES = 512
#: The largest file a kernel may write.
MAX_FILE_BYTES = 2 * 2**30
SANDBOX_MODES = ("auto", "require", "off")
#: Where each kernel's ipc sockets go: a short path.
SOCKETS = "/tmp" if os.path.isdir("/tmp") else None
#: The largest notebook file that is graded.
MAX_NOTEBOOK_BYTES = 50 * 2**20


class GradingError(CourseError):
    """The batch cannot be graded as asked; the message is one line saying why and what to do."""


@dataclass
class _Outcome:
    rows: list[GradeRow]
    reused: bool = False  # graded before, from the same files
    autograded: bool = False  # nbgrader graded it now: its scores go into the course's gradebook
    peak_memory: int | None = None  # bytes its kernel used at most, where a cgroup measured it
    seconds: float = 0.0


@dataclass
class GradeReport:
    rows: list[GradeRow] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)  # files no naming rule could attribute
    reused: int = 0  # submissions unchanged since they were last graded
    sandboxed: bool = True
    note: str = ""  # one line the instructor should read (no sandbox here, say)
    seconds: dict[tuple[str, str], float] = field(default_factory=dict)  # (learner, assignment) → wall time
    peak_memory: dict[tuple[str, str], int] = field(default_factory=dict)  # (learner, assignment) → bytes, where measured


def resolve_sandbox(mode: str) -> tuple[bool, str]:
    """(sandboxed, note): whether kernels run in bubblewrap, and the line to show when they do not."""
    if mode not in SANDBOX_MODES:
        raise GradingError(f"--sandbox {mode}: choose one of {', '.join(SANDBOX_MODES)}")
    if mode == "off":
        return False, "sandbox off (--sandbox off): learner code can read and write what you can; see docs/grading.md"
    problem = sandbox.available()
    if not problem:
        return True, ""
    if mode == "require":
        raise GradingError(f"--sandbox require: {problem}")
    return False, f"grading without a sandbox: {problem} (--sandbox require refuses to grade without one)"


def _photo_folders() -> tuple[dict[str, str], list[Path]]:
    """The kernels' view of the photos: environment, and folders to lend them read-only (the
    dataset, and the grader's decoded arrays of its training and validation photos, never the holdout's)."""
    from practicum import data
    from practicum.registry import dataset_spec

    root = paths.data_dir() or paths.cache_dir() / dataset_spec().folder
    if not root.is_dir():  # the learner's code meets the missing photos and says so; grading never downloads
        return {}, []
    readable = [root] + [data.array_cache_folder(root / split) for split in data.SPLITS]
    return {"PRACTICUM_DATA_DIR": str(root), "PRACTICUM_SHARED_CACHE_DIR": str(paths.cache_dir())}, readable


def grade(inputs: list[Path], out: Path, source: Path = paths.SOLUTIONS, jobs: int = 1, timeout: float = 600,
          holdout: Path | None = None, grace: float = STARTUP_GRACE, memory_gb: float = 8, sandbox: str = "auto") -> GradeReport:
    sandboxed, note = resolve_sandbox(sandbox)
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

    photo_env, readable = _photo_folders()
    # the worker (trusted) imports this course's packages even where it is not pip-installed; its kernels
    # get a filtered copy of this environment (grader.sandbox.KEPT_VARIABLES), never the holdout's folder
    env = {**os.environ, **QUIET_FAST_ENV, **photo_env,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(paths.ROOT), os.environ.get("PYTHONPATH")]))}
    env.pop("PRACTICUM_HOLDOUT_DIR", None)
    holdout = holdout or paths.holdout_dir()
    if holdout:  # for the worker's scorer only: the kernels' environment never has it
        env["PRACTICUM_HOLDOUT_DIR"] = str(Path(holdout).resolve())
    signer = _Signer(out / ".grader-key")
    report = GradeReport(unplaced=unplaced, sandboxed=sandboxed, note=note)
    limits = Limits(memory_bytes=int(memory_gb * 2**30), processes=MAX_PROCESSES, file_bytes=MAX_FILE_BYTES,
                    cpu_seconds=int((timeout + grace) * (os.cpu_count() or 1)))

    def grade_one(submission: Submission) -> _Outcome:
        assignment = assignments[submission.assignment]
        start = time.perf_counter()
        try:
            kernel = KernelSettings(Path(), Path(), limits, sandboxed, f"practicum-{uuid.uuid4().hex[:12]}", readable)
            outcome = _grade_submission(submission, assignment, course, out / "work", env, timeout, grace, kernel, signer)
        except Exception as error:  # noqa: BLE001 — whatever one submission does, the batch goes on
            outcome = _Outcome(_error_rows(submission, assignment, course, {}, f"grading failed: {type(error).__name__}: {error}"))
        outcome.seconds = time.perf_counter() - start
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for submission, outcome in zip(submissions, pool.map(grade_one, submissions)):
            report.rows.extend(outcome.rows)
            report.reused += outcome.reused
            report.seconds[(submission.learner, submission.assignment)] = outcome.seconds
            if outcome.peak_memory is not None:
                report.peak_memory[(submission.learner, submission.assignment)] = outcome.peak_memory
            if outcome.autograded:  # the course's gradebook is written from this thread only, one submission at a time
                _merge(submission, course, out / "work" / submission.assignment / submission.learner)
    return report


class _Signer:
    """Signs the rows the trusted side stored, so that reusing them later trusts nothing a learner
    could have written: a key in ``<out>/.grader-key`` (readable by the instructor only)."""

    def __init__(self, key_file: Path):
        if not key_file.exists():
            key_file.touch(mode=0o600)
            key_file.write_text(secrets.token_hex(32))
        self._key = key_file.read_text().strip().encode()

    def sign(self, fingerprint: str, rows_text: str) -> str:
        return hmac.new(self._key, f"{fingerprint}\0{rows_text}".encode(), hashlib.sha256).hexdigest()

    def verify(self, fingerprint: str, rows_text: str, signature: str) -> bool:
        return hmac.compare_digest(self.sign(fingerprint, rows_text), signature)


def _stored_rows(scratch: Path, fingerprint: str, signer: _Signer) -> list[GradeRow] | None:
    """The rows of an earlier grading of the same files, if their signature holds."""
    try:
        record = json.loads((scratch / "graded.json").read_text())
        if record["fingerprint"] == fingerprint and signer.verify(fingerprint, record["rows"], record["signature"]):
            return [GradeRow.from_json(row) for row in json.loads(record["rows"])]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _grade_submission(submission: Submission, assignment: Assignment, course: Path, work: Path, env: dict,
                      timeout: float, grace: float, kernel: KernelSettings, signer: _Signer) -> _Outcome:
    scratch = work / submission.assignment / submission.learner
    fingerprint = _fingerprint(submission, assignment, timeout, kernel.sandboxed)
    stored = _stored_rows(scratch, fingerprint, signer)
    if stored is not None:
        return _Outcome(stored, reused=True)
    unreadable = _prepare_scratch(submission, course, scratch)
    peak = None
    if len(unreadable) == len(submission.notebooks):  # nothing to run: no worker needed
        failure = ""
    else:
        # each submission's kernel works in a workspace of its own: its models, metrics and files stay there
        # the ipc sockets' paths must stay under the 107 bytes a Unix socket's name may have
        kernel.workspace, kernel.runtime = scratch / "workspace", Path(tempfile.mkdtemp(prefix="practicum-", dir=SOCKETS))
        for extra in submission.extra_files:
            shutil.copy2(extra, kernel.workspace / extra.name)
        group = Group(kernel.group)
        if group.available:
            group.create(kernel.limits)
        else:
            kernel.group = ""
        try:
            failure = _run_worker(scratch, submission, timeout / len(assignment.notebooks), timeout + grace, env, kernel)
        finally:
            peak = group.peak_memory() if kernel.group else None
            group.close()  # whatever the kernel left running ends here
            shutil.rmtree(kernel.runtime, ignore_errors=True)
    autograded = not failure and len(unreadable) < len(submission.notebooks)
    if autograded:
        rows = [GradeRow.from_json(row) for row in json.loads((scratch / "rows.json").read_text())]
    else:
        rows = _error_rows(submission, assignment, course, unreadable, failure)
    rows_text = json.dumps([row.to_json() for row in rows], indent=1)
    (scratch / "graded.json").write_text(json.dumps({"fingerprint": fingerprint, "rows": rows_text,
                                                     "signature": signer.sign(fingerprint, rows_text)}))
    return _Outcome(rows, autograded=autograded, peak_memory=peak)


def _fingerprint(submission: Submission, assignment: Assignment, timeout: float, sandboxed: bool) -> str:
    digest = hashlib.sha256(f"{assignment.fingerprint()}\0{timeout:g}\0{sandboxed}".encode())
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
    (scratch / "workspace").mkdir()
    shutil.copytree(course / "source" / submission.assignment, scratch / "source" / submission.assignment)
    gradebook.copy_gradebook(course, scratch)
    for extra in submission.extra_files:
        shutil.copy2(extra, submitted / extra.name)
    unreadable = {}
    for notebook, path in submission.notebooks.items():
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            unreadable[notebook] = f"too large ({path.stat().st_size / 2**20:.0f} MB; at most {MAX_NOTEBOOK_BYTES // 2**20} MB): clear its outputs"
            continue
        try:
            with warnings.catch_warnings():  # nbformat fills in missing cell ids; nothing to report
                warnings.simplefilter("ignore")
                nb = read_notebook(path)
        except NotebookError as error:  # leave it out: nbgrader scores a missing notebook 0
            unreadable[notebook] = "not a notebook (not valid JSON)" if "JSON" in str(error) else "not a valid notebook"
            continue
        released = release(read_notebook(course / "source" / submission.assignment / f"{notebook}.ipynb"))
        nbformat.write(prepared(nb, released), submitted / f"{notebook}.ipynb")
    (scratch / "unreadable.json").write_text(json.dumps(unreadable))
    return unreadable


def _run_worker(scratch: Path, submission: Submission, budget: float, hard_limit: float, env: dict, kernel: KernelSettings) -> str:
    """Autograde in a subprocess; return why it gave no grades, or "" when it did."""
    command = [sys.executable, "-m", "grader.worker", str(scratch), submission.learner, submission.assignment,
               "--budget", str(budget), "--kernel", kernel.to_json()]
    # stopping the worker stops everything it started: a sandboxed kernel dies with it (bubblewrap's
    # --die-with-parent), and the cgroup catches what an unsandboxed one left
    failure = run_supervised(command, scratch / "autograde.log", env, scratch, hard_limit, kernel.workspace)
    if failure:
        return failure
    if not (scratch / "rows.json").exists():
        return f"the grading process failed (see {scratch / 'autograde.log'})"
    return ""


def _error_rows(submission: Submission, assignment: Assignment, course: Path, unreadable: dict[str, str],
                failure: str) -> list[GradeRow]:
    """Zero points for every graded cell, with the notebook's own problem or the worker's failure."""
    return [GradeRow(submission.learner, submission.assignment, exercise_name(assignment, cell.notebook, cell.grade_id), points=0,
                     max_points=cell.max_points, status=Status.ERROR,
                     reason=unreadable.get(cell.notebook) or failure or "notebook not submitted")
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
