"""Running a notebook under a whole-notebook time budget, and keeping test cells honest.

nbgrader's ``Execute`` gives every cell 30 s: too little for Keras training, and a training cell it
interrupts leaves a half-trained model behind that may still pass the test after it. A kernel that
dies leaves the cells after it unexecuted, with no error output, which nbgrader scores as passed
(nbgrader issue #427). ``BudgetedExecute`` gives the notebook one budget, stops at the first cell
that runs out of it or kills the kernel, and fails every test cell after that cell with a message
naming it. ``check`` and ``grade`` both run notebooks through it.
"""

import json
import time

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Any, Float, Integer, List

from practicum.runner import QUIET_KERNEL_ARGUMENTS

#: The ``ename`` of the error output added to a test cell that never ran because an earlier cell broke.
NOT_RUN = "NotRun"
TIMED_OUT = "CellTimeoutError"
KERNEL_DIED = "KernelDied"
KERNEL_SILENT = "KernelSilent"
#: The error names that mean "the run broke here", not "the test failed".
BROKEN_RUN = {NOT_RUN, TIMED_OUT, KERNEL_DIED, KERNEL_SILENT}
#: Where ``BudgetedExecute`` leaves the notebook's budget for the steps after it: {"seconds", "deadline"}
#: (a ``time.monotonic()``); the holdout scorer works within what is left of it.
BUDGET_KEY = "practicum_budget"

#: The kernel's environment for headless runs: FAST mode, and no progress bars or TensorFlow logging
#: on stderr (nbgrader scores a test cell that wrote to stderr as 0).
QUIET_FAST_ENV = {"PRACTICUM_FAST": "1", "TQDM_DISABLE": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
#: Seconds a kernel (the learner's or the judge's) may take to answer at first.
STARTUP_SECONDS = 180
#: Threads a kernel's numerical libraries use when grading or checking, whatever the machine's cores,
#: the number of kernels at once or a Dask worker's settings (``practicum grade --threads``).
GRADING_THREADS = 2


def repeatable_env(threads: int = GRADING_THREADS) -> dict[str, str]:
    """The kernel's environment that makes its numbers repeat from run to run and machine to machine:
    a fixed thread count for TensorFlow and the BLAS/OpenMP libraries (how a sum is split between
    threads changes its last bits, and after a few epochs a model's accuracy) and a fixed hash seed.
    The learning tests seed themselves; their thresholds hold over 1 and 2 threads
    (benchmarks/exercise4_threshold.py), so this makes a regrade exact rather than merely close."""
    count = str(threads)
    return {"TF_NUM_INTRAOP_THREADS": count, "TF_NUM_INTEROP_THREADS": count, "OMP_NUM_THREADS": count,
            "OPENBLAS_NUM_THREADS": count, "MKL_NUM_THREADS": count, "PYTHONHASHSEED": "0"}


def broke_the_run(cell: NotebookNode) -> bool:
    return any(out.output_type == "error" and out.ename in BROKEN_RUN for out in cell.get("outputs", []))


def error_output(ename: str, evalue: str) -> NotebookNode:
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def describe_cell(cell: NotebookNode, index: int, prepended: str = "") -> str:
    """Name a cell for a learner without quoting a test cell (whose source may hold hidden tests), or
    the code the grader put in front of it (``prepended``): the learner's own first line."""
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    if grade_id:
        return f"cell {index + 1} ({grade_id})"
    source = cell.source.removeprefix(prepended) if prepended else cell.source
    first_line = next((line.strip() for line in source.splitlines() if line.strip()), "")
    return f"cell {index + 1} (`{first_line[:60]}`)"


class BudgetedExecute(Execute):
    """nbgrader's Execute with one time budget for the whole notebook instead of one per cell."""

    budget = Float(600.0, help="Seconds the whole notebook may run.").tag(config=True)
    max_output_bytes = Integer(2_000_000, help="Output a cell keeps; the rest is dropped with a note.").tag(config=True)
    extra_arguments = List(QUIET_KERNEL_ARGUMENTS).tag(config=True)  # see practicum.runner
    started_kernel = Any(None, help="A grader.kernels.Kernel started ahead for this notebook, or None to start one").tag(config=True)
    # a kernel that boots while both cores grade other submissions (each with its judge) may take longer than
    # nbclient's 60 s to answer at first: seen once in CI. The notebook's budget starts with its first cell, not here.
    startup_timeout = Integer(STARTUP_SECONDS, help="Seconds a kernel may take to answer at first").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._output_bytes = {}  # cell index → bytes of output kept so far
        self._deadline = None  # set when the first cell starts: kernel start-up is not the learner's time
        self._broken = None  # why the run stopped, once a cell timed out or the kernel died
        self.error_on_timeout = {"ename": TIMED_OUT, "evalue": f"the notebook used up its {self.budget:g} s budget in this cell",
                                 "traceback": [f"{TIMED_OUT}: the notebook used up its {self.budget:g} s budget in this cell"]}
        self.timeout_func = self._seconds_left
        if km is not None or self.started_kernel is None:
            nb, resources = super().preprocess(nb, resources, km)
        else:
            try:  # its owner shuts the kernel down; the client's channels end here
                nb, resources = super().preprocess(nb, resources, self.started_kernel.manager)
            finally:
                if self.kc is not None:
                    self.kc.stop_channels()
                    self.kc = None
        resources[BUDGET_KEY] = {"seconds": self.budget, "deadline": self._deadline or time.monotonic() + self.budget}
        return nb, resources

    def _seconds_left(self, cell) -> int:
        if self._deadline is None:
            self._deadline = time.monotonic() + self.budget
        # nbclient treats 0 or less as "no timeout", so an exhausted budget still means one second
        return max(1, int(self._deadline - time.monotonic()))

    def output(self, outs, msg, display_id, cell_index):
        """Keep a cell's outputs up to ``max_output_bytes``; a flood of output is cut, not stored."""
        used = self._output_bytes.get(cell_index, 0)
        if used > self.max_output_bytes:
            return None
        used += len(json.dumps(msg["content"]))
        self._output_bytes[cell_index] = used
        if used > self.max_output_bytes:
            outs.append(new_output("stream", name="stdout", text=f"\n[output cut: this cell printed more than {self.max_output_bytes:,} bytes]\n"))
            return None
        return super().output(outs, msg, display_id, cell_index)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if self._broken is not None:
            if utils.is_grade(cell):
                cell.outputs = [error_output(NOT_RUN, f"not run: {self._broken}")]
            return cell, resources
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            cell.outputs.append(error_output(KERNEL_DIED, "the Python kernel died while running this cell "
                                                          "(it crashed, called os._exit or ran out of memory)"))
            self._broken = f"the kernel died in {describe_cell(cell, index, _prepended(resources))}"
            return cell, resources
        except CellTimeoutError:  # it neither finished nor answered the interrupt
            cell.outputs.append(error_output(KERNEL_SILENT, "the Python kernel stopped answering while running this cell"))
            self._broken = f"the kernel stopped answering in {describe_cell(cell, index, _prepended(resources))}"
            return cell, resources
        if any(out.output_type == "error" and out.ename == TIMED_OUT for out in cell.outputs):
            self._broken = f"{describe_cell(cell, index, _prepended(resources))} ran out of the notebook's {self.budget:g} s budget"
        return cell, resources


def _prepended(resources) -> str:
    """The code ``grader.guard.GuardTests`` put in front of the first code cell ("" when it did not run)."""
    return (resources or {}).get("guard", {}).get("capture", "")


class QuietTestCells(NbGraderPreprocessor):
    """Drop stderr from test cells before grades are read: nbgrader scores a test cell that wrote to
    stderr as 0, and TensorFlow, Keras and tqdm write warnings and progress there that say nothing
    about the learner's answer. A failing test raises, so its error output still decides the grade."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and utils.is_grade(cell):
            cell.outputs = [out for out in cell.outputs if not (out.output_type == "stream" and out.name == "stderr")]
        return cell, resources
