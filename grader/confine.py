"""Resource limits for everything one submission's kernel starts: control groups where the machine
lets us write them, POSIX rlimits always.

A control group (cgroup v1's ``pids`` and ``memory`` hierarchies, or one cgroup v2 folder) counts
every process the kernel starts, however it detaches itself: ``pids.max`` stops a fork bomb, the
memory limit covers the sum of all its processes, the peak is read back for the benchmark, and at
the end every process still in the group is killed. Without writable control groups (most laptops,
unprivileged containers) only the rlimits apply; they are per process, and ``RLIMIT_NPROC`` does
not bind root.

``python -m grader.confine --group NAME --memory BYTES ... -- COMMAND`` joins the group, sets the
rlimits and executes COMMAND: the sandboxed kernel is started through it.
"""

import argparse
import os
import resource
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class Limits:
    memory_bytes: int  # each process's data segment (rlimit: what it reserves), and all of them together (cgroup: what they use)
    processes: int  # processes and threads at once
    cpu_seconds: int  # each process's CPU time
    file_bytes: int  # the largest file it may write
    open_files: int = 1024

    def rlimits(self) -> dict[int, int]:
        limits = {resource.RLIMIT_CPU: self.cpu_seconds, resource.RLIMIT_FSIZE: self.file_bytes,
                  resource.RLIMIT_NOFILE: self.open_files, resource.RLIMIT_CORE: 0, resource.RLIMIT_NPROC: self.processes}
        if self.memory_bytes:
            limits[resource.RLIMIT_DATA] = self.memory_bytes
        return limits


def _own_cgroup_v1(controller: str) -> Path | None:
    """This process's cgroup folder in a v1 hierarchy, when that hierarchy is mounted and writable."""
    base = CGROUP_ROOT / controller
    if not base.is_dir():
        return None
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            folder = base / path.lstrip("/")
            return folder if os.access(folder, os.W_OK) else None
    return None


class Group:
    """One submission's control groups (created on demand, removed by ``close``)."""

    def __init__(self, name: str):
        self.folders: dict[str, Path] = {}
        for controller in ("pids", "memory", "cpu"):  # cpu: equal shares, however many threads one kernel starts
            parent = _own_cgroup_v1(controller)
            if parent is not None:
                self.folders[controller] = parent / name

    @property
    def available(self) -> bool:
        return {"pids", "memory"} <= set(self.folders)

    def create(self, limits: Limits) -> None:
        for folder in self.folders.values():
            folder.mkdir(exist_ok=True)
        if "pids" in self.folders:
            (self.folders["pids"] / "pids.max").write_text(str(limits.processes))
        if "memory" in self.folders and limits.memory_bytes:
            (self.folders["memory"] / "memory.limit_in_bytes").write_text(str(limits.memory_bytes))
            swap = self.folders["memory"] / "memory.memsw.limit_in_bytes"
            if swap.exists():  # no swapping around the limit
                swap.write_text(str(limits.memory_bytes))

    def join(self) -> None:
        for folder in self.folders.values():
            (folder / "cgroup.procs").write_text(str(os.getpid()))

    def peak_memory(self) -> int | None:
        peak = self.folders.get("memory", Path("/nonexistent")) / "memory.max_usage_in_bytes"
        return int(peak.read_text()) if peak.exists() else None

    def processes(self) -> list[int]:
        procs = self.folders.get("pids", Path("/nonexistent")) / "cgroup.procs"
        return [int(pid) for pid in procs.read_text().split()] if procs.exists() else []

    def close(self) -> None:
        """Kill whatever is left in the group, then remove it."""
        for _ in range(50):
            pids = self.processes()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)
        for folder in self.folders.values():
            try:
                folder.rmdir()
            except OSError:
                pass


def _processes_of_this_user() -> int:
    uid = os.getuid()
    return sum(1 for entry in Path("/proc").iterdir() if entry.name.isdigit() and _owner(entry) == uid)


def _owner(path: Path) -> int | None:
    try:
        return path.stat().st_uid
    except OSError:
        return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--group", help="join this cgroup (created by the grader) before anything else")
    parser.add_argument("--memory", type=int, required=True)
    parser.add_argument("--processes", type=int, required=True)
    parser.add_argument("--cpu", type=int, required=True)
    parser.add_argument("--file-size", type=int, required=True)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.group:
        Group(args.group).join()
    limits = Limits(args.memory, args.processes, args.cpu, args.file_size)
    for kind, value in limits.rlimits().items():
        if args.group and kind == resource.RLIMIT_NPROC:
            continue  # the group counts processes for all of them together
        if kind == resource.RLIMIT_NPROC:  # counts every process of this user: allow those already running
            value += _processes_of_this_user()
        resource.setrlimit(kind, (value, value))
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
