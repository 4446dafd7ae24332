"""Run one submission's worker and watch it: a hard wall-clock limit, and a cap on what its kernel
writes to its workspace (the one folder on disk it can write; its ``/tmp`` is memory, counted by its
cgroup). Whatever the worker or its kernel does, this returns: a reason, or "" when it finished."""

import os
import signal
import subprocess
import time
from pathlib import Path

#: What a kernel may write to its workspace, in bytes and in files.
MAX_WORKSPACE_BYTES = 4 * 2**30
MAX_WORKSPACE_FILES = 100_000
#: Seconds between two looks at the workspace.
POLL = 2.0


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


def run_supervised(command: list[str], log: Path, env: dict, cwd: Path, hard_limit: float, workspace: Path) -> str:
    """Run ``command`` in a session of its own, its output in ``log``; stop it (and everything it
    started) past ``hard_limit`` seconds or when ``workspace`` overflows."""
    deadline = time.monotonic() + hard_limit
    with open(log, "wb") as stream:
        process = subprocess.Popen(command, stdout=stream, stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True)
        while True:
            try:
                process.wait(timeout=min(POLL, max(0.01, deadline - time.monotonic())))
                return ""
            except subprocess.TimeoutExpired:
                why = (f"grading took longer than {hard_limit:g} s and was stopped" if time.monotonic() >= deadline
                       else workspace_overflow(workspace))
                if why:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
                    return why
