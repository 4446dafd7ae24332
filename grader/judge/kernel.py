"""The judge's kernel: started ahead, with the instructor's imports already done.

A judge kernel is a plain kernel of the grader's (not sandboxed: it runs only the instructor's code
and reads only data from the learner's kernel). Starting one and importing what the exercise
imports (numpy, scikit-learn, Keras: seconds) would be the judge's main cost; so a worker starts the
next submission's judge while the current one is graded (``JudgeSlot``, like ``grader.kernels``'s
``KernelSlot``), and the kernel runs the instructor's import statements as it boots
(``IPKernelApp.exec_files``), before it reports ready. The imports are run again by the notebook's
own set-up cell, at no cost, and an import that failed while booting fails there, where the tests see it.
"""

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from jupyter_core.utils import run_sync

from grader.execution import repeatable_env
from grader.files import remove_tree
from grader.guard import source_imports
from grader.judge.peer import PEER_ENV
from practicum import paths
from practicum.runner import QUIET_KERNEL_ARGUMENTS, QuietKernelManager

#: The judge kernel's environment beyond the one it is given: headless, quiet, repeatable.
JUDGE_ENV = {"PRACTICUM_FAST": "1", "TQDM_DISABLE": "1", "TF_CPP_MIN_LOG_LEVEL": "3", "MPLBACKEND": "agg"}


@dataclass
class JudgeKernel:
    """A started judge kernel and its folder: its working directory, and ``peer.json`` (written once the
    learner's kernel is known) that tells it where the learner's kernel is."""

    manager: QuietKernelManager
    folder: Path

    @property
    def peer_file(self) -> Path:
        return self.folder / "peer.json"

    def __deepcopy__(self, memo) -> "JudgeKernel":  # a running process is shared, never copied (traitlets copies config values)
        return self

    def close(self) -> None:
        try:
            if self.manager.has_kernel:
                run_sync(self.manager.shutdown_kernel)(now=True)
        finally:
            remove_tree(self.folder)


def start_judge_kernel(source_nb, env: dict | None = None) -> JudgeKernel:
    """Start a judge kernel for the instructor's notebook ``source_nb``, from ``env`` (the learner's
    kernel's: photos, threads; default this process's), without the holdout's folder."""
    folder = Path(tempfile.mkdtemp(prefix="practicum-judge-"))
    warm = folder / "imports.py"
    warm.write_text(f"{source_imports(source_nb)}\nimport grader.judge.peer\n")
    given = {key: value for key, value in (env or os.environ).items() if key != "PRACTICUM_HOLDOUT_DIR"}
    env = {**JUDGE_ENV, **repeatable_env(), **given, PEER_ENV: str(folder / "peer.json"), "PRACTICUM_BUILD_DIR": str(folder / "build"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(paths.ROOT), given.get("PYTHONPATH")]))}
    manager = QuietKernelManager(kernel_name="python3")
    kernel = JudgeKernel(manager, folder)
    try:
        run_sync(manager.start_kernel)(extra_arguments=[*QUIET_KERNEL_ARGUMENTS, "--HistoryManager.hist_file=:memory:",
                                                        f"--IPKernelApp.exec_files={warm}"],
                                       env=env, cwd=str(folder), stdout=subprocess.DEVNULL)
    except BaseException:
        kernel.close()
        raise
    return kernel


class JudgeSlot:
    """The judge kernel started ahead for the next submission of one assignment."""

    def __init__(self):
        self._ready: JudgeKernel | None = None
        self._key = None

    def take(self, key, source_nb, env: dict) -> JudgeKernel:
        """A started judge for this submission (``key`` names the assignment and the environment); the
        next one starts before this returns."""
        if self._key != key:
            self.close()
            self._ready = start_judge_kernel(source_nb, env)
        kernel = self._ready
        self._ready, self._key = start_judge_kernel(source_nb, env), key
        return kernel

    def close(self) -> None:
        if self._ready is not None:
            self._ready.close()
        self._ready = self._key = None
