"""Where submissions are graded: a pool of local worker processes, or a Dask cluster.

Both are a ``concurrent.futures.Executor`` running ``grader.worker.grade_submission``: the local pool is
the standard library's ``ProcessPoolExecutor`` (its processes import nbgrader once and start their
first kernel at once); the cluster is dask.distributed's ``Client.get_executor()``. Dask does the
scheduling, the queueing, the retries on a lost worker; the holdout photos are scattered to every
worker once. ``Workers`` says how many submissions run at once, how many cores a kernel may find on
its machine, and whether the kernels are sandboxed (decided where they run: on the workers).
"""

import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from grader import sandbox as sandboxes
from grader.jobs import AssignmentSource, GradingSettings, PhotoArchive
from grader.worker import start_local_worker
from practicum.errors import CourseError

SANDBOX_MODES = ("auto", "require", "off")
#: Seconds to wait for a Dask scheduler to answer.
CONNECT_TIMEOUT = 30


class DispatchError(CourseError):
    """The workers cannot grade as asked: one line saying why and what to do."""


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def resolve_sandbox(mode: str, problems: list[str]) -> tuple[bool, str]:
    """(sandboxed, note) from ``--sandbox`` and what the machines that run kernels said of bubblewrap
    (``grader.sandbox.available()`` on each: "" where it works)."""
    if mode not in SANDBOX_MODES:
        raise DispatchError(f"--sandbox {mode}: choose one of {', '.join(SANDBOX_MODES)}")
    if mode == "off":
        return False, "sandbox off (--sandbox off): learner code can read and write what you can; see docs/grading.md"
    problem = next((p for p in problems if p), "")
    if not problem:
        return True, ""
    if mode == "require":
        raise DispatchError(f"--sandbox require: {problem}")
    return False, f"grading without a sandbox: {problem} (--sandbox require refuses to grade without one)"


@dataclass
class Workers:
    slots: int  # submissions graded at once
    cores: int  # the most cores a kernel finds on its machine (its CPU-time limit is the wall-clock limit times these)
    sandboxed: bool
    note: str  # one line the instructor should read, or ""
    description: str  # in words, for the summary
    holdout: Any = None  # how the holdout photos reach a worker: a path here, a scattered archive on a cluster
    window: int = 0  # jobs handed over at once (0: all): a local pool that breaks loses only these
    _open: Any = None  # settings → a new executor
    _stack: ExitStack = field(default_factory=ExitStack)

    def start(self, settings: GradingSettings, sources: list[AssignmentSource]) -> Executor:
        """An executor for this batch of these assignments; calling it again replaces a broken one."""
        return self._stack.enter_context(self._open(settings, sources))


@contextmanager
def workers(scheduler: str | None, jobs: int | None, sandbox: str, holdout: Path | None) -> Iterator[Workers]:
    if scheduler:
        with _cluster(scheduler, sandbox, holdout) as found:
            yield found
        return
    jobs = cores() if jobs is None else jobs
    if jobs < 1:
        raise DispatchError(f"--jobs {jobs}: give at least 1 (default: one per core, {cores()} here)")
    sandboxed, note = resolve_sandbox(sandbox, [sandboxes.available()] if sandbox != "off" else [])

    def pool(settings: GradingSettings, sources: list[AssignmentSource]) -> ProcessPoolExecutor:
        # spawned, not forked: this process has threads (a progress bar, SQLite) that a fork would copy mid-work
        return ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"), initializer=start_local_worker,
                                   initargs=(settings, sources))

    found = Workers(jobs, cores(), sandboxed, note, f"{jobs} local worker process{'es' if jobs > 1 else ''}",
                    holdout=holdout, window=2 * jobs, _open=pool)
    with found._stack:
        yield found


@contextmanager
def _cluster(address: str, sandbox: str, holdout: Path | None) -> Iterator[Workers]:
    try:
        from distributed import Client
    except ImportError:
        raise DispatchError("--scheduler needs dask.distributed: pip install 'distributed' (see docs/grading.md)") from None
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as error:
        raise DispatchError(f"--scheduler {address}: no Dask scheduler answers there ({error}); start one with "
                            "`dask scheduler` and workers with `dask worker ADDRESS` (see docs/grading.md)") from None
    with client:
        info = client.scheduler_info(n_workers=-1)["workers"]
        if not info:
            raise DispatchError(f"--scheduler {address}: the cluster has no workers; start some with `dask worker {address}`")
        problems = list(client.run(sandboxes.available).values()) if sandbox != "off" else []
        sandboxed, note = resolve_sandbox(sandbox, problems)
        slots = sum(worker["nthreads"] for worker in info.values())
        most_cores = max(client.run(cores).values())
        archive = client.scatter(PhotoArchive.of(holdout), broadcast=True) if holdout else None

        @contextmanager
        def executor(settings: GradingSettings, sources: list[AssignmentSource]):
            yield client.get_executor(pure=False)

        found = Workers(slots, most_cores, sandboxed, note, f"a Dask cluster at {address}: {len(info)} worker(s), {slots} at once",
                        holdout=archive, _open=executor)
        with found._stack:
            yield found

