"""The grading of one submission, as a worker process runs it: ``grade_submission(job, holdout)``.

A worker is long-lived: a process of ``grade``'s local pool or a Dask worker on another machine. It
imports nbgrader and the course once, keeps one course folder per assignment (its source and a
gradebook with the assignment registered, made once), and keeps the next submission's kernel
started ahead (``grader.kernels``). Per submission it writes the learner's notebooks into that
course folder, autogrades them in a fresh sandboxed kernel, reads the rows, the autograded
notebooks and the scores, and clears the submission away again. It needs the course installed and
its photos (``PRACTICUM_DATA_DIR`` or the course's download cache), never the instructor's files:
the job brings the submission and the hidden tests, ``holdout`` the instructor's photos.

Each thread has a workbench of its own, so a Dask worker with several threads grades several
submissions at once, each with its own gradebook and kernel.
"""

import multiprocessing.util
import os
import resource
import tempfile
import threading
import time
import warnings
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import nbformat

from grader import gradebook
from grader.autograde import autograde, rows_for, scores_of
from grader.build import released_source
from grader.course import error_rows, find_assignments
from grader.execution import QUIET_FAST_ENV, repeatable_env
from grader.files import remove_tree
from grader.jobs import AssignmentSource, GradingSettings, PhotoArchive, SubmissionJob, SubmissionResult, hidden_inputs_seed
from grader.judge.kernel import JudgeSlot
from grader.judge.notebook import judged_outside
from grader.kernels import KernelSlot, Watchdog
from grader.restore import prepared
from grader.results import GradeRow, Status
from practicum import paths
from practicum.tidy import NotebookError, read_notebook

#: The least memory a local worker process may allocate (nbgrader, the notebook, the kernel's messages).
WORKER_MEMORY = 4 * 2**30


def photo_folders() -> tuple[dict[str, str], list[Path]]:
    """This machine's photos as the kernels see them: environment, and folders lent read-only (the
    dataset, and the decoded arrays of its training and validation photos, never a holdout's)."""
    from practicum import data
    from practicum.registry import dataset_spec

    root = paths.data_dir() or paths.cache_dir() / dataset_spec().folder
    if not root.is_dir():  # the learner's code meets the missing photos and says so; grading never downloads
        return {}, []
    readable = [root] + [data.array_cache_folder(root / split) for split in data.SPLITS]
    return {"PRACTICUM_DATA_DIR": str(root), "PRACTICUM_SHARED_CACHE_DIR": str(paths.cache_dir())}, readable


def kernel_environment(threads: int) -> tuple[dict[str, str], list[Path]]:
    """The environment a kernel starts from (``grader.sandbox`` keeps only an allowlist of it) and
    the folders it may read. Its numerical libraries use ``threads`` threads, whatever this machine
    or a Dask worker would give them: a model's training, and so its grade, depends on them."""
    photo_env, readable = photo_folders()
    env = dict(os.environ)
    for name in ("PRACTICUM_HOLDOUT_DIR", *_set_by_dask()):
        env.pop(name, None)
    env.update({**QUIET_FAST_ENV, **repeatable_env(threads), **photo_env,
                "PYTHONPATH": os.pathsep.join(filter(None, [str(paths.ROOT), os.environ.get("PYTHONPATH")]))})
    return env, readable


def _set_by_dask() -> list[str]:
    """The variables a Dask nanny sets for its worker process (one thread per numerical library, for
    the worker's own tasks): not for the kernels it starts."""
    try:
        from distributed import get_worker

        get_worker()
    except (ImportError, ValueError):
        return []
    import dask

    return list(dask.config.get("distributed.nanny.pre-spawn-environ", {}))


class _Course:
    """One assignment's course folder in a workbench: its source, and a gradebook that knows it."""

    def __init__(self, root: Path, source: AssignmentSource):
        self.root, self.id = root, source.id
        source.write(root / "source" / source.id)
        gradebook.register_assignment(root, source.id)
        self.assignment = find_assignments(root / "source")[source.id]
        self.released = {notebook: released_source(root / "source" / source.id / f"{notebook}.ipynb")
                         for notebook in source.notebooks}
        first = read_notebook(root / "source" / source.id / f"{source.notebooks[0]}.ipynb")
        #: the instructor's notebook whose judge a worker starts ahead, when it is judged outside the kernel
        self.judged = first if judged_outside(first) else None
        self.fingerprint = source.fingerprint

    def hand_in(self, job: SubmissionJob) -> dict[str, str]:
        """Write the submission where nbgrader looks for it; return the notebooks that cannot be read."""
        folder = self.root / "submitted" / job.learner / self.id
        folder.mkdir(parents=True)
        for name, contents in job.extra_files:
            (folder / name).write_bytes(contents)
        unreadable = dict(job.unreadable)
        for notebook, contents in job.notebooks:
            target = folder / f"{notebook}.ipynb"
            target.write_bytes(contents)
            try:
                with warnings.catch_warnings():  # nbformat fills in missing cell ids; nothing to report
                    warnings.simplefilter("ignore")
                    nb = read_notebook(target)
            except NotebookError as error:  # leave it out: nbgrader scores a missing notebook 0
                target.unlink()
                unreadable[notebook] = "not a notebook (not valid JSON)" if "JSON" in str(error) else "not a valid notebook"
                continue
            nbformat.write(prepared(nb, self.released[notebook]), target)
        return unreadable

    def autograded(self, learner: str) -> dict[str, bytes]:
        folder = self.root / "autograded" / learner / self.id
        return {path.stem: path.read_bytes() for path in sorted(folder.glob("*.ipynb"))} if folder.is_dir() else {}

    def clear(self, learner: str) -> None:
        for part in ("submitted", "autograded"):
            remove_tree(self.root / part / learner)
        gradebook.remove_submission(self.root, learner, self.id)


class _Workbench:
    """One thread's course folders, holdout photos and kernel started ahead, under a folder of its own."""

    def __init__(self):
        self.base = Path(tempfile.mkdtemp(prefix="practicum-worker-"))
        self.courses: dict[str, _Course] = {}
        self.kernels = KernelSlot(self.base)
        self.judges = JudgeSlot()
        multiprocessing.util.Finalize(self, self.close, exitpriority=10)  # also at the exit of a pool's process

    def course(self, source: AssignmentSource) -> _Course:
        if source.fingerprint not in self.courses:
            self.courses[source.fingerprint] = _Course(self.base / f"course-{source.fingerprint[:16]}", source)
        return self.courses[source.fingerprint]

    def holdout(self, holdout: Path | PhotoArchive | None) -> Path | None:
        return holdout.unpack(self.base) if isinstance(holdout, PhotoArchive) else holdout

    def close(self) -> None:
        self.kernels.close()
        self.judges.close()
        remove_tree(self.base)


_local = threading.local()


def _workbench() -> _Workbench:
    if getattr(_local, "bench", None) is None:
        _local.bench = _Workbench()
    return _local.bench


def start_local_worker(settings: GradingSettings, sources: list[AssignmentSource]) -> None:
    """A local pool's initializer: cap this process's memory, start its first kernel, and register the
    batch's assignments in its gradebook while that kernel boots."""
    cap = max(settings.limits.memory_bytes, WORKER_MEMORY) if settings.limits.memory_bytes else 0
    if cap:  # a flood of output from a kernel is this process's MemoryError, not the machine's
        resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))
    env, readable = kernel_environment(settings.threads)
    bench = _workbench()
    bench.kernels.prepare(settings.limits, settings.sandboxed, readable, env)
    for source in sources:
        bench.course(source)


def grade_submission(job: SubmissionJob, holdout: Path | PhotoArchive | None) -> SubmissionResult:
    """Autograde one submission in a fresh sandboxed kernel: rows, autograded notebooks and scores."""
    start = time.perf_counter()
    bench, settings = _workbench(), job.settings
    course = bench.course(job.assignment)
    if not job.notebooks:  # nothing that could run: no kernel taken
        rows = error_rows(job.learner, course.assignment, course.root / "source", dict(job.unreadable), "")
        return SubmissionResult(rows, seconds=time.perf_counter() - start)
    env, readable = kernel_environment(settings.threads)
    kernel = bench.kernels.take(settings.limits, settings.sandboxed, readable, env)
    judge = bench.judges.take((course.fingerprint, tuple(sorted(env.items()))), course.judged, env) if course.judged else None
    try:
        for name, contents in job.extra_files:
            (kernel.settings.workspace / name).write_bytes(contents)
        unreadable = course.hand_in(job)
        readable = [notebook for notebook, _ in job.notebooks if notebook not in unreadable]
        failure = stopped = log = ""
        if readable:
            with Watchdog(kernel, settings.hard_limit) as watchdog:
                failure, log = autograde(course.root, job.learner, course.id, settings.timeout / len(course.assignment.notebooks),
                                         kernel, bench.holdout(holdout), settings.scan, judge,
                                         hidden_inputs_seed(settings.inputs_secret, course.id, job.learner))
            stopped = watchdog.why
        if stopped or not readable:
            rows, autograded, scores = error_rows(job.learner, course.assignment, course.root / "source", unreadable, stopped), {}, {}
        else:
            scores = scores_of(course.root, job.learner, course.id)
            rows, autograded = rows_for(course.root, job.learner, course.id, failure, unreadable, scores), course.autograded(job.learner)
    finally:
        peak = kernel.close()
        if judge is not None:  # the judge closes it when it ran; not when the run broke before the first test
            judge.close()
        course.clear(job.learner)
    if job.left_out:
        rows = flag_left_out(rows, job.left_out)
    return SubmissionResult(rows, autograded, list(scores.values()), peak, time.perf_counter() - start,
                            sum(map(cell_seconds, autograded.values())), stopped or failure, log)


def flag_left_out(rows: list[GradeRow], left_out: tuple[str, ...]) -> list[GradeRow]:
    """Rows graded without some of the files handed in beside the notebooks: a person should look."""
    reason = "graded without files handed in beside the notebook: " + "; ".join(left_out[:3])
    reason += f" (+{len(left_out) - 3} more)" if len(left_out) > 3 else ""
    return [replace(row, status=Status.MANUAL, reason=reason) if row.status is Status.OK else row for row in rows]


def cell_seconds(notebook: bytes) -> float:
    """Seconds the notebook's code cells ran, from the timestamps nbclient records in each cell."""
    total = 0.0
    for cell in nbformat.reads(notebook.decode(), as_version=4).cells:
        timing = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            total += (datetime.fromisoformat(timing["shell.execute_reply"]) - datetime.fromisoformat(timing["iopub.execute_input"])).total_seconds()
    return total
