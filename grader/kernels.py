"""One fresh, sandboxed kernel per submission, started one submission ahead.

A kernel takes a second or two to start: Python, ipykernel, bubblewrap, a control group. A worker
starts the next submission's kernel as soon as it takes the current one (``KernelSlot.take``), so
that start-up happens while the current submission runs. Each kernel is still new, empty and alone
in its sandbox: it has its own workspace (which the next submission's files are copied into before
its first cell runs), its own sockets, its own control group, and it ends with its submission.

``Watchdog`` is the hard limit of one submission: past its seconds, or when the workspace grows past
``MAX_WORKSPACE_BYTES`` or ``MAX_WORKSPACE_FILES``, it kills the kernel and everything it started.
"""

import os
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from jupyter_core.utils import run_sync
from traitlets.config import Config

from grader.confine import Group, Limits
from grader.files import remove_tree
from grader.sandbox import KernelSettings, SandboxedKernelManager
from practicum.runner import QUIET_KERNEL_ARGUMENTS

#: Where each kernel's ipc sockets go: a short path (a Unix socket's name has at most 107 bytes).
SOCKETS = "/tmp" if os.path.isdir("/tmp") else None
#: What a kernel may write to its workspace, in bytes and in files.
MAX_WORKSPACE_BYTES = 4 * 2**30
MAX_WORKSPACE_FILES = 100_000
#: Seconds between two looks at the workspace.
POLL = 2.0
#: nbclient starts its kernels with IPython's history in memory; so do these.
KERNEL_ARGUMENTS = [*QUIET_KERNEL_ARGUMENTS, "--HistoryManager.hist_file=:memory:"]


@dataclass
class Kernel:
    """A started kernel, not yet given any code: its manager and where it lives."""

    settings: KernelSettings
    manager: SandboxedKernelManager
    group: Group
    folder: Path  # holds its workspace
    env: dict  # the environment it started from: the judge's kernel starts from it too (grader.judge)

    def __deepcopy__(self, memo) -> "Kernel":  # a running process is shared, never copied (traitlets copies config values)
        return self

    def close(self) -> int | None:
        """Stop it and everything it started; remove its folders. Returns its peak memory, where measured."""
        try:
            if self.manager.has_kernel:
                run_sync(self.manager.shutdown_kernel)(now=True)
        except Exception:  # noqa: BLE001 — it may be dead already; the group below ends what is left
            pass
        peak = self.group.peak_memory() if self.settings.group else None
        self.group.close()
        remove_tree(self.settings.runtime)
        remove_tree(self.folder)
        return peak

    def kill(self) -> None:
        """From another thread: end the kernel's processes now (its manager notices and reports a dead kernel)."""
        if self.settings.group:
            self.group.close()
        provisioner = self.manager.provisioner
        process = getattr(provisioner, "process", None) if provisioner is not None else None
        if process is not None:
            try:
                os.killpg(os.getpgid(process.pid), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def start_kernel(base: Path, limits: Limits, sandboxed: bool, readable: list[Path], env: dict[str, str]) -> Kernel:
    """Start a kernel in a new workspace under ``base``: it boots while the caller does other work."""
    folder = Path(tempfile.mkdtemp(prefix="kernel-", dir=base))
    (folder / "workspace").mkdir()
    runtime = Path(tempfile.mkdtemp(prefix="practicum-", dir=SOCKETS))
    settings = KernelSettings(folder / "workspace", runtime, limits, sandboxed, f"practicum-{uuid.uuid4().hex[:12]}", readable)
    group = Group(settings.group)
    if group.available:
        group.create(limits)
    else:
        settings.group = ""
    config = Config()
    settings.configure(config)
    manager = SandboxedKernelManager(kernel_name="python3", config=config)
    kernel = Kernel(settings, manager, group, folder, env)
    try:
        run_sync(manager.start_kernel)(extra_arguments=KERNEL_ARGUMENTS, env=env, cwd=str(settings.workspace), stdout=subprocess.DEVNULL)
    except BaseException:
        kernel.close()
        raise
    return kernel


class KernelSlot:
    """The kernel started ahead for the next submission, for one set of limits."""

    def __init__(self, base: Path):
        self.base = base
        self._ready: Kernel | None = None
        self._key = None

    def prepare(self, limits: Limits, sandboxed: bool, readable: list[Path], env: dict[str, str]) -> None:
        """Have a kernel started for these settings (a kernel started for others is stopped)."""
        key = (limits, sandboxed, tuple(readable), tuple(sorted(env.items())))
        if self._key != key:
            self.close()
            self._ready, self._key = start_kernel(self.base, limits, sandboxed, readable, env), key

    def take(self, limits: Limits, sandboxed: bool, readable: list[Path], env: dict[str, str]) -> Kernel:
        """A started kernel for this submission; the next one starts before this returns."""
        self.prepare(limits, sandboxed, readable, env)
        kernel, self._ready, self._key = self._ready, None, None
        self.prepare(limits, sandboxed, readable, env)
        return kernel

    def close(self) -> None:
        if self._ready is not None:
            self._ready.close()
        self._ready = self._key = None


def workspace_overflow(folder: Path, max_bytes: int = MAX_WORKSPACE_BYTES, max_files: int = MAX_WORKSPACE_FILES) -> str:
    """Why ``folder`` holds too much, or "". Links are not followed; the count stops at the caps."""
    total, files, stack = 0, 0, [folder]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            files += 1
            if files > max_files:
                return f"the notebook created more than {max_files:,} files"
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
            elif entry.is_file(follow_symlinks=False):
                total += entry.stat(follow_symlinks=False).st_blocks * 512
                if total > max_bytes:
                    return f"the notebook wrote more than {max_bytes / 2**30:g} GiB of files"
    return ""


class Watchdog:
    """Kills ``kernel`` past ``seconds`` or when its workspace overflows; ``why`` says which, or ""."""

    def __init__(self, kernel: Kernel, seconds: float):
        self.why = ""
        self._kernel, self._seconds = kernel, seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> "Watchdog":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        deadline = time.monotonic() + self._seconds
        while not self._stop.wait(min(POLL, max(0.01, deadline - time.monotonic()))):
            self.why = (f"grading took longer than {self._seconds:g} s and was stopped" if time.monotonic() >= deadline
                        else workspace_overflow(self._kernel.settings.workspace))
            if self.why:
                self._kernel.kill()
                return
