"""What the grading side hands a worker for one submission, and what comes back: plain, picklable
values, so that the same job runs in a local process pool or on a Dask cluster with no file system
shared with the instructor.

A job carries the submission's bytes and the assignment's source files (its hidden tests), never a
path on the instructor's machine; the instructor's holdout photos travel once per worker as a
``PhotoArchive``. A result carries rows, the autograded notebooks (which the feedback pages are made
from) and the scores for nbgrader's gradebook.
"""

import hashlib
import hmac
import io
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from grader.confine import Limits
from grader.gradebook import Score
from grader.results import GradeRow


@dataclass(frozen=True)
class AssignmentSource:
    """An assignment's nbgrader source folder, as bytes: relative path → contents."""

    id: str
    notebooks: tuple[str, ...]  # notebook ids, in order
    files: tuple[tuple[str, bytes], ...]
    fingerprint: str  # changes whenever a file does

    def write(self, folder: Path) -> None:
        for name, contents in self.files:
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(contents)


@dataclass(frozen=True)
class GradingSettings:
    """How every submission of a batch is graded; a worker keeps one kernel started ahead for these."""

    timeout: float  # seconds for each submission's notebooks together
    hard_limit: float  # seconds after which the submission's kernel is killed, whatever it does
    limits: Limits
    sandboxed: bool
    threads: int  # for each kernel's numerical libraries (grader.execution.repeatable_env)
    scan: bool = True  # the tamper scan reviews the learner's code (a testing switch: no grade depends on it)
    inputs_secret: str = ""  # the course's secret behind each learner's hidden inputs (hidden_inputs_seed); never in a kernel


def hidden_inputs_seed(secret: str, assignment: str, learner: str) -> str:
    """The seed of one learner's hidden inputs for one assignment (``practicum.checks.per_learner_rng``): the
    same on every regrade, another for every learner, unguessable without the course's secret."""
    if not secret:
        return ""
    return hmac.new(secret.encode(), f"{assignment}\0{learner}".encode(), hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class SubmissionJob:
    learner: str
    assignment: AssignmentSource
    notebooks: tuple[tuple[str, bytes], ...]  # notebook id → the submitted file's bytes
    extra_files: tuple[tuple[str, bytes], ...]  # file name → bytes: files handed in beside the notebooks
    unreadable: tuple[tuple[str, str], ...]  # notebook id → why it is not run (found before sending it)
    settings: GradingSettings
    left_out: tuple[str, ...] = ()  # "name: why" of each file beside the notebooks that was not handed in


@dataclass
class SubmissionResult:
    rows: list[GradeRow]
    autograded: dict[str, bytes] = field(default_factory=dict)  # notebook id → the autograded notebook
    scores: list[Score] = field(default_factory=list)  # for the course's gradebook
    peak_memory: int | None = None  # bytes its kernel used at most, where a cgroup measured it
    seconds: float = 0.0  # the worker's time on it, from receiving the job to returning the result
    notebook_seconds: float = 0.0  # of which the notebook's own cells ran (the rest is the grader's overhead)
    failure: str = ""  # why the worker could not grade it ("" when nbgrader graded it)
    log: str = ""  # nbgrader's log of it, for the instructor
    retry: bool = False  # the grader failed, not the learner: its rows are not kept, and the next run grades it again


@dataclass(frozen=True)
class PhotoArchive:
    """A folder of photos (the instructor's holdout) as one tar archive, unpacked once per worker."""

    digest: str
    data: bytes

    @classmethod
    def of(cls, folder: Path) -> "PhotoArchive":
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            for path in sorted(Path(folder).rglob("*")):  # folders too: an empty cats/ is still the layout
                archive.add(path, arcname=str(path.relative_to(folder)), recursive=False)
        data = buffer.getvalue()
        return cls(hashlib.sha256(data).hexdigest(), data)

    def unpack(self, cache: Path) -> Path:
        folder = cache / f"holdout-{self.digest[:16]}"
        if not folder.is_dir():
            partial = cache / f".{folder.name}-{id(self)}"
            with tarfile.open(fileobj=io.BytesIO(self.data)) as archive:
                archive.extractall(partial, filter="data")
            partial.rename(folder)
        return folder
