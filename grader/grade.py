"""``practicum grade``: a class's submissions → grades.csv, feedback pages and a summary table.

Hidden tests come from the course's source (``solutions/`` or any nbgrader ``source/``), through the
gradebook of an nbgrader course directory kept in ``<out>/course``. Each submission becomes a
``SubmissionJob`` (its bytes and the assignment's source files), which ``grader.worker.grade_submission``
grades in a long-lived worker: a local process pool of ``--jobs`` processes, or the workers of a Dask
cluster (``--scheduler``). Either way it is the same function behind the same ``concurrent.futures``
interface. The learner's kernel runs in a sandbox on the worker (``grader.sandbox``). Only this process
writes the course's gradebook and the rows, which it signs with a key kept in ``<out>/.grader-key``;
a submission whose files and assignment source are unchanged since its last grading, and whose stored
rows carry a valid signature, is not graded again.
"""

import hashlib
import hmac
import json
import secrets
from concurrent.futures import FIRST_COMPLETED, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from grader import dispatch, gradebook, late
from grader.confine import Limits
from grader.course import Assignment, copy_source, error_rows, find_assignments
from grader.dispatch import Workers
from grader.execution import GRADING_THREADS
from grader.files import remove_tree
from grader.jobs import AssignmentSource, GradingSettings, SubmissionJob, SubmissionResult
from grader.late import CourseFile
from grader.results import GradeRow
from grader.roster import Learner
from grader.submissions import Submission, find_submissions
from grader.worker import grade_submission
from practicum import paths

#: Seconds a submission gets beyond its notebooks' budget, before its kernel is killed: nbgrader's own work.
STARTUP_GRACE = 120.0
#: Processes and threads one submission's kernel may have at once (TensorFlow alone starts dozens).
MAX_PROCESSES = 512
#: The largest file a kernel may write.
MAX_FILE_BYTES = 2 * 2**30


#: The failure of a submission whose worker was lost.
WORKER_LOST = "the grading process stopped before it finished"


@dataclass
class GradeReport:
    rows: list[GradeRow] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)  # "path: why" for each file that was not graded
    unknown: list[str] = field(default_factory=list)  # graded learners who are not on the roster
    reused: int = 0  # submissions unchanged since they were last graded
    sandboxed: bool = True
    note: str = ""  # one line the instructor should read (no sandbox here, say)
    workers: str = ""  # where the submissions were graded, in words
    seconds: dict[tuple[str, str], float] = field(default_factory=dict)  # (learner, assignment) → the worker's seconds on it
    notebook_seconds: dict[tuple[str, str], float] = field(default_factory=dict)  # … of which its notebook's cells ran
    peak_memory: dict[tuple[str, str], int] = field(default_factory=dict)  # (learner, assignment) → bytes, where measured


def grade(inputs: list[Path], out: Path, source: Path = paths.SOLUTIONS, jobs: int | None = None, timeout: float = 600,
          holdout: Path | None = None, grace: float = STARTUP_GRACE, memory_gb: float = 8, sandbox: str = "auto",
          scheduler: str | None = None, progress: bool | None = None, threads: int = GRADING_THREADS,
          roster: dict[str, Learner] | None = None, course_file: CourseFile | None = None, scan: bool = True) -> GradeReport:
    """Grade every submission in ``inputs``: ``jobs`` at once here (default: one per core), or on the
    Dask cluster whose scheduler is at ``scheduler``. ``progress``: a progress bar (None: on a terminal only).
    ``threads``: each kernel's threads (see ``grader.execution.repeatable_env``). ``roster``
    (``grader.roster.read_roster``): the class's names go into the gradebook; a learner not on it is
    graded all the same and listed in ``GradeReport.unknown``. ``course_file`` (``grader.late``): due dates and
    the late policy, applied to the rows on every run (they are stored without it). ``scan=False`` leaves out the
    tamper scan (``grader.tamper``), a testing switch: the judge's verdicts do not depend on it."""
    out = Path(out).resolve()
    course = _course_folder(out)
    if roster:
        gradebook.add_learners(course, roster.values())
    assignments = find_assignments(Path(source))
    submissions, unplaced = find_submissions(inputs, assignments, out / "incoming", skip=out)
    sources = {}
    for assignment_id in sorted({s.assignment for s in submissions}):
        sources[assignment_id] = _source_of(assignments[assignment_id], copy_source(assignments[assignment_id], course))
        gradebook.register_assignment(course, assignment_id)
    holdout = holdout or paths.holdout_dir()
    signer = _Signer(out / ".grader-key")
    with dispatch.workers(scheduler, jobs, sandbox, Path(holdout).resolve() if holdout else None) as workers:
        limits = Limits(memory_bytes=int(memory_gb * 2**30), processes=MAX_PROCESSES, file_bytes=MAX_FILE_BYTES,
                        cpu_seconds=int((timeout + grace) * workers.cores))
        settings = GradingSettings(timeout, timeout + grace, limits, workers.sandboxed, threads, scan, signer.derive("hidden inputs"))
        report = GradeReport(unplaced=unplaced, sandboxed=workers.sandboxed, note=workers.note, workers=workers.description)
        pending = []
        for submission in submissions:  # its files are read (and checked) here, and again when it is sent
            fingerprint = _fingerprint(_job(submission, sources[submission.assignment], settings))
            stored = _stored_rows(_record_path(out, submission), fingerprint, signer)
            if stored is not None:
                report.rows.extend(_lateness(stored, submission, course, course_file))
                report.reused += 1
            else:
                pending.append((submission, sources[submission.assignment]))
        with tqdm(total=len(pending), unit="submission", desc="grading", disable=None if progress is None else not progress) as bar:
            for submission, fingerprint, result in _results(workers, settings, pending, course / "source"):
                key = (submission.learner, submission.assignment)
                report.seconds[key], report.notebook_seconds[key] = result.seconds, result.notebook_seconds
                if result.peak_memory is not None:
                    report.peak_memory[key] = result.peak_memory
                if not result.retry:
                    _store(_record_path(out, submission), fingerprint, result.rows, signer)
                if result.scores:  # the course's gradebook is written from this process only
                    _merge(submission, course, result)
                report.rows.extend(_lateness(result.rows, submission, course, course_file))
                if result.log:
                    (out / "logs" / submission.assignment).mkdir(parents=True, exist_ok=True)
                    (out / "logs" / submission.assignment / f"{submission.learner}.log").write_text(result.log)
                bar.update()
    report.rows.sort(key=lambda row: (row.learner, row.assignment))  # stable: each submission's rows keep their order
    if roster:
        report.unknown = sorted({row.learner for row in report.rows} - set(roster))
    return report


def _lateness(rows: list[GradeRow], submission: Submission, course: Path, course_file: CourseFile | None) -> list[GradeRow]:
    """The submission's rows with its lateness and penalties (grader.late), also written to the gradebook."""
    due = course_file.due.get(submission.assignment) if course_file else None
    if due is None:
        return rows
    when, source = submission.submitted_at()
    rows = late.apply(rows, when, source, due, course_file.policy)
    if when is not None and gradebook.has_submission(course, submission.learner, submission.assignment):
        gradebook.set_lateness(course, submission.learner, submission.assignment, when, sum(row.penalty for row in rows))
    return rows


def _course_folder(out: Path) -> Path:
    course = out / "course"
    course.mkdir(parents=True, exist_ok=True)
    config_file = course / "nbgrader_config.py"
    if not config_file.exists():  # so that `nbgrader export` and formgrader, run in course/, find their course
        config_file.write_text("# Written by `practicum grade`: this folder is an nbgrader course.\nc = get_config()\n"
                               "c.CourseDirectory.root = __file__.rsplit('/', 1)[0]\n")
    return course


def _source_of(assignment: Assignment, folder: Path) -> AssignmentSource:
    files = tuple((str(path.relative_to(folder)), path.read_bytes()) for path in sorted(folder.rglob("*")) if path.is_file())
    return AssignmentSource(assignment.id, assignment.notebooks, files, assignment.fingerprint())


def _job(submission: Submission, source: AssignmentSource, settings: GradingSettings) -> SubmissionJob:
    """The submission as bytes, read through ``grader.files``: a notebook that cannot be graded (a link,
    a pipe, too large) is named with the reason, not sent; so is a file beside it that is left out."""
    notebooks, refused = submission.notebook_bytes()
    extra, left_out = submission.extra_bytes()
    return SubmissionJob(submission.learner, source, tuple(notebooks), tuple(extra), tuple(sorted(refused.items())), settings,
                         tuple(left_out))


def _results(workers: Workers, settings: GradingSettings, pending: list, source_root: Path):
    """(submission, fingerprint of what was sent, SubmissionResult) for every pending (submission,
    source), as they finish; whatever happens to one submission (or to the worker grading it) costs
    its own rows only."""
    sources = list({source.fingerprint: source for _, source in pending}.values())
    executor = workers.start(settings, sources)
    queue, running = list(reversed(pending)), {}
    while queue or running:
        while queue and (not workers.window or len(running) < workers.window):
            submission, source = queue.pop()
            job = _job(submission, source, settings)
            running[executor.submit(grade_submission, job, workers.holdout)] = (submission, _fingerprint(job))
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        broken = False
        for future in done:
            submission, fingerprint = running.pop(future)
            try:
                result = future.result()
            except Exception as error:  # noqa: BLE001 — the worker failed, not the learner: error rows, graded again next run
                lost = isinstance(error, BrokenProcessPool) or type(error).__name__ == "KilledWorker"
                broken |= isinstance(error, BrokenProcessPool)
                reason = WORKER_LOST if lost else f"grading failed: {type(error).__name__}: {error}"
                assignment = find_assignments(source_root)[submission.assignment]
                result = SubmissionResult(error_rows(submission.learner, assignment, source_root, {}, reason), failure=reason, retry=True)
            yield submission, fingerprint, result
        if broken:  # the pool's other jobs are lost with it: they come back as error rows above, as they finish
            executor = workers.start(settings, sources)


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

    def derive(self, purpose: str) -> str:
        """A secret of its own for ``purpose``, from the key (the key itself never leaves this process)."""
        return hmac.new(self._key, purpose.encode(), hashlib.sha256).hexdigest()

    def verify(self, fingerprint: str, rows_text: str, signature: str) -> bool:
        return hmac.compare_digest(self.sign(fingerprint, rows_text), signature)


def _record_path(out: Path, submission: Submission) -> Path:
    return out / "graded" / submission.assignment / f"{submission.learner}.json"


def _stored_rows(record_file: Path, fingerprint: str, signer: _Signer) -> list[GradeRow] | None:
    """The rows of an earlier grading of the same files, if their signature holds."""
    try:
        record = json.loads(record_file.read_text())
        if record["fingerprint"] == fingerprint and signer.verify(fingerprint, record["rows"], record["signature"]):
            return [GradeRow.from_json(row) for row in json.loads(record["rows"])]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _store(record_file: Path, fingerprint: str, rows: list[GradeRow], signer: _Signer) -> None:
    rows_text = json.dumps([row.to_json() for row in rows], indent=1)
    record_file.parent.mkdir(parents=True, exist_ok=True)
    record_file.write_text(json.dumps({"fingerprint": fingerprint, "rows": rows_text, "signature": signer.sign(fingerprint, rows_text)}))


def _fingerprint(job: SubmissionJob) -> str:
    """Changes whenever what the job grades does: the assignment's source, the settings, the files sent and refused."""
    settings = job.settings
    digest = hashlib.sha256(f"{job.assignment.fingerprint}\0{settings.timeout:g}\0{settings.sandboxed}\0{settings.threads}\0{settings.scan}".encode())
    for name, contents in (*job.notebooks, *job.extra_files):
        digest.update(b"\0" + name.encode() + b"\0" + hashlib.sha256(contents).digest())
    for line in (*(f"{notebook}: {why}" for notebook, why in job.unreadable), *job.left_out):
        digest.update(b"\0" + line.encode())
    return digest.hexdigest()


def _merge(submission: Submission, course: Path, result: SubmissionResult) -> None:
    """Put the autograded notebooks (and the files handed in beside them) and the scores into the
    course directory, for formgrader, ``nbgrader export`` and the feedback pages."""
    target = course / "autograded" / submission.learner / submission.assignment
    remove_tree(target)
    target.mkdir(parents=True)
    for name, contents in submission.extra_bytes()[0]:  # read again, through the same checks
        (target / name).write_bytes(contents)
    for notebook, contents in result.autograded.items():
        (target / f"{notebook}.ipynb").write_bytes(contents)
    gradebook.merge_scores(course, submission.learner, submission.assignment, result.scores)
