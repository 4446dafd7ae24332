"""The sandbox a learner's kernel runs in: bubblewrap, plus the limits of ``grader.confine``.

Inside, the kernel (and everything it starts) sees the operating system, Python and the course's
``practicum`` package read-only, the photos read-only, a private ``/tmp`` (scratch space; the host's
``/tmp`` is not seen, see ``tmp_skeletons``) and one writable folder,
its workspace, holding that learner's files and nothing else. It has no network (it talks to the
grader over jupyter's ``ipc`` transport, through sockets in a folder bound in for that), its own
process namespace (every process it started dies with it) and a clean environment: no
``PRACTICUM_HOLDOUT_DIR``, no grader paths. What it cannot see: the solutions, the gradebook,
``--out``, other learners' files, the instructor's photos, the rest of the repository.

``SandboxedKernelManager`` starts the kernel this way (``grader.kernels`` starts one per submission,
ahead of it, and hands it to nbgrader's execute step). ``available()`` says whether bubblewrap runs on this machine.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

from traitlets import Dict, Int, List, Unicode

from grader.confine import Limits
from practicum import paths
from practicum.runner import QuietKernelManager

#: Environment variables a kernel keeps; everything else (the holdout's folder above all) is dropped.
KEPT_VARIABLES = ("PRACTICUM_FAST", "PRACTICUM_DATA_DIR", "TQDM_DISABLE", "TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS",
                  "KERAS_BACKEND", "NBGRADER_EXECUTION", "MPLBACKEND", "PYTHONHASHSEED", "OMP_NUM_THREADS",
                  "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                  "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LANG", "LC_ALL", "TZ")
#: Where the kernel's private, writable cache, home and temporary files live inside the sandbox.
PRIVATE_CACHE = "/tmp/cache"
PRIVATE_HOME = "/tmp/home"


@cache
def available() -> str:
    """"" when bubblewrap can run a sandbox here, else one line saying why not."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed; on Debian or Ubuntu: apt-get install bubblewrap"
    probe = subprocess.run(["bwrap", *_system_binds(), "--unshare-all", "--die-with-parent", "true"],
                           capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        reason = (probe.stderr.strip().splitlines() or ["no reason given"])[-1]
        return f"bubblewrap cannot create a sandbox here ({reason}); user namespaces may be disabled"
    return ""


def _system_binds() -> list[str]:
    """The read-only operating system: /usr with the usual links, /etc."""
    args = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    return args


def tmp_skeletons(folders: list[Path]) -> list[str]:
    """The folders directly under ``/tmp`` that hold, deeper down, a folder the sandbox binds.

    Inside, ``/tmp`` is private, empty and writable (scratch space that ends with the sandbox), and
    the host's ``/tmp`` is not seen: only the folders bound at their own paths show through. The
    folders above them (a checkout at ``/tmp/ci/course``, a grader's ``/tmp/practicum-worker-…``,
    pytest's ``/tmp/pytest-of-root``) get an empty tmpfs each that is made read-only after the
    binds, as the rest of the file system is: a write to ``<checkout>/canary`` fails in the sandbox
    wherever the checkout lives, instead of landing in the scratch space."""
    targets = {os.path.abspath(folder) for folder in folders}  # where bwrap mounts them: links not followed
    parts = [Path(target).parts for target in targets]
    return sorted({f"/tmp/{part[2]}" for part in parts if len(part) > 3 and part[1] == "tmp"} - targets)


def python_folders() -> list[Path]:
    """The interpreter's installation and the virtual environment (if any): both read-only inside."""
    folders = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), Path(sysconfig.get_path("purelib")).resolve()}
    return sorted(folder for folder in folders if not any(folder != other and other in folder.parents for other in folders))


def bwrap_command(command: list[str], workspace: Path, runtime: Path, readable: list[Path], env: dict[str, str],
                  writable: bool = True) -> list[str]:
    """``command`` wrapped in bubblewrap: see the module's docstring for what it sees. With
    ``writable=False`` the workspace and runtime folders are read-only too: it writes nothing."""
    read_only = [folder for folder in [*python_folders(), paths.ROOT / "practicum", paths.REGISTRY, *readable] if folder.exists()]
    skeletons = tmp_skeletons([*read_only, runtime, workspace])
    args = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", *_system_binds(),
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--dir", PRIVATE_HOME, "--dir", PRIVATE_CACHE]
    for skeleton in skeletons:  # see tmp_skeletons: made read-only once the folders below are bound
        args += ["--tmpfs", skeleton]
    # bound after the private /tmp, so that a venv, workspace or photo folder under /tmp shows through
    for folder in read_only:
        args += ["--ro-bind", str(folder), str(folder)]
    bind = "--bind" if writable else "--ro-bind"
    args += [bind, str(runtime), str(runtime), bind, str(workspace), str(workspace), "--chdir", str(workspace)]
    for skeleton in skeletons:
        args += ["--remount-ro", skeleton]
    args += ["--remount-ro", "/", "--clearenv"]  # the folders bwrap made for its mount points stay empty
    inside = {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin", "HOME": PRIVATE_HOME,
              "PYTHONPATH": str(paths.ROOT), "PRACTICUM_CACHE_DIR": PRIVATE_CACHE,
              "PRACTICUM_BUILD_DIR": str(workspace / "build"), "MPLCONFIGDIR": f"{PRIVATE_HOME}/matplotlib",
              **{key: env[key] for key in KEPT_VARIABLES if key in env}}
    if env.get("PRACTICUM_SHARED_CACHE_DIR"):
        inside["PRACTICUM_SHARED_CACHE_DIR"] = env["PRACTICUM_SHARED_CACHE_DIR"]
    for key, value in sorted(inside.items()):
        args += ["--setenv", key, value]
    return [*args, "--", *command]


def confine_command(command: list[str], limits: Limits, group: str | None) -> list[str]:
    """``command`` started through ``grader.confine`` with ``limits`` (and in cgroup ``group``)."""
    return [sys.executable, "-m", "grader.confine", *(["--group", group] if group else []),
            "--memory", str(limits.memory_bytes), "--processes", str(limits.processes), "--cpu", str(limits.cpu_seconds),
            "--file-size", str(limits.file_bytes), "--", *command]


@dataclass
class KernelSettings:
    """Where and how one submission's kernel runs (``grader.kernels`` makes one per kernel)."""

    workspace: Path  # the kernel's working directory: the only folder it may write
    runtime: Path  # its connection file and ipc sockets
    limits: Limits
    sandboxed: bool = True
    group: str = ""  # the cgroup its processes join
    readable: list[Path] = field(default_factory=list)  # the photos, the grader's decoded-photo cache

    def configure(self, config) -> None:
        """Point ``SandboxedKernelManager`` (and the holdout scorer) at these settings."""
        manager = config.SandboxedKernelManager
        manager.workspace, manager.runtime_dir = str(self.workspace), str(self.runtime)
        manager.readable, manager.limits = [str(p) for p in self.readable], asdict(self.limits)
        manager.group, manager.sandboxed = self.group, int(self.sandboxed)
        config.ScoreHoldout.models_directory = str(self.workspace / "build" / "models")
        config.ScoreHoldout.workspace = str(self.workspace)
        config.ScoreHoldout.sandboxed = self.sandboxed
        config.ScoreHoldout.limits = asdict(self.limits)
        config.ScoreHoldout.group = self.group  # the scorer joins the submission's control group


class SandboxedKernelManager(QuietKernelManager):
    """A quiet kernel in the sandbox (``sandbox=True``) or only under the limits (``sandbox=False``),
    talking over ipc sockets in ``runtime_dir``."""

    workspace = Unicode(help="The only folder the kernel may write: its working directory.").tag(config=True)
    runtime_dir = Unicode(help="Folder for the connection file and ipc sockets.").tag(config=True)
    readable = List(Unicode(), help="Extra folders the kernel may read (the photos).").tag(config=True)
    limits = Dict(help="grader.confine.Limits as a dict").tag(config=True)
    group = Unicode("", help="The cgroup that the kernel's processes join ('' for none).").tag(config=True)
    sandboxed = Int(1, help="1: bubblewrap; 0: limits only.").tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # a signal cannot reach a kernel in its own session and PID namespace: ipykernel interrupts
        # itself when asked over its control channel
        self.kernel_spec.interrupt_mode = "message"
        self.transport = "ipc"
        self.ip = str(Path(self.runtime_dir) / "kernel")
        self.connection_file = str(Path(self.runtime_dir) / "kernel.json")

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        env = dict(kw.get("env") or os.environ)
        env.pop("JPY_PARENT_PID", None)  # ipykernel would watch pid 1 of the sandbox and exit
        command = list(kernel_cmd)
        if self.sandboxed:
            command = bwrap_command(command, Path(self.workspace), Path(self.runtime_dir), [Path(p) for p in self.readable], env)
        else:  # the same view of the course, without the walls
            env.pop("PRACTICUM_HOLDOUT_DIR", None)
            env["PRACTICUM_BUILD_DIR"] = str(Path(self.workspace) / "build")
            env["PRACTICUM_CACHE_DIR"] = str(Path(self.workspace) / "cache")
        kw["env"], kw["cwd"] = env, self.workspace
        return await super()._async_launch_kernel(confine_command(command, Limits(**self.limits), self.group or None), **kw)
