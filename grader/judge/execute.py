"""``JudgedExecute``: run the submission in the learner's kernel, and its test cells in the judge's.

nbgrader's execute step, for a notebook judged outside (``grader.judge.notebook``): the learner's
cells run in the learner's sandboxed kernel as before, but each test cell, when its turn comes, is
run by the judge instead: a kernel of the grader's that has run the instructor's cells up to that
test (the learner's answers bound to the learner's kernel, which has run the learner's cells up to
the same point) and runs the test, hidden parts included. Its outputs become the test cell's
outputs, which nbgrader then scores as always. The hidden tests never reach the learner's kernel, and
nothing the learner's code does to its own kernel changes how a test decides.

The judge's cells spend the notebook's one budget, as the learner's do. A notebook judged in the
kernel runs exactly as ``BudgetedExecute`` runs it.
"""

import json
import shutil
import tempfile
import time
from pathlib import Path

from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from traitlets import Any, Dict, Unicode

from grader.course import source_notebook_path
from grader.execution import KERNEL_DIED, NOT_RUN, STARTUP_SECONDS, TIMED_OUT, BudgetedExecute, describe_cell, error_output
from grader.judge.kernel import JudgeKernel, start_judge_kernel
from grader.judge.notebook import is_binding, is_test, judge_notebook, judged_outside
from grader.results import Judged
from practicum.tidy import read_notebook

#: Where each test cell of the autograded notebook records where it was decided (``Judged``'s value), and where
#: the notebook records what the judge cost: ``{"seconds": its wall time, "test_seconds": of which its test cells ran}``.
JUDGED_KEY = "practicum_judged"
COST_KEY = "practicum_judge_cost"
#: Where the resources name a folder of the grader's holding the models the judge's tests handed in (``hand_in``
#: of a model rebuilt in the judge): ``grader.holdout.ScoreHoldout`` scores those, and removes the folder.
JUDGE_MODELS_KEY = "practicum_judge_models"
class Judge:
    """The judge's kernel and notebook for one submission, run forward one test cell at a time."""

    def __init__(self, source_nb, kernel: JudgeKernel, peer: dict, seconds_left, error_on_timeout: dict):
        """``peer``: what ``grader.judge.peer.connect`` reads: the learner's kernel's ``connection`` info,
        the ``exchange`` folder requests go through, and the ``seed`` of the learner's hidden inputs."""
        self.nb = judge_notebook(source_nb)
        self.kernel = kernel
        kernel.peer_file.write_text(json.dumps(peer))
        self.client = NotebookClient(self.nb, km=kernel.manager, allow_errors=True, interrupt_on_timeout=True, startup_timeout=STARTUP_SECONDS,
                                     timeout_func=seconds_left, error_on_timeout=error_on_timeout,
                                     resources={"metadata": {"path": str(kernel.folder)}})
        self.next = 0  # the judge notebook's next cell to run
        self.seconds = self.test_seconds = 0.0
        self._setup = None

    def run_test(self, source_index: int) -> list:
        """Run the test cell that is the ``source_index``-th of the source's code cells; return its outputs.

        The instructor's cells before it run first, once, in the source's order, skipping the other tests
        (each runs when the learner's notebook reaches it: a learner may have moved cells). Just before the
        test, every answer before it is bound again: the learner's kernel has run the learner's cells up to
        this test, which may define an answer a moved test skipped. An error in any of these cells comes
        first in the test's outputs: a test whose set-up failed does not pass."""
        start = time.perf_counter()
        try:
            return self._run_test(source_index)
        finally:
            self.seconds += time.perf_counter() - start

    def _run_test(self, source_index: int) -> list:
        if self._setup is None:  # a client of the started kernel (nbclient leaves a kernel it did not start running)
            self._setup = self.client.setup_kernel()
            self._setup.__enter__()
        target = source_index + 1  # the judge's first cell connects to the learner's kernel
        failures = []
        while self.next < target:
            cell = self.nb.cells[self.next]
            if not is_test(cell) and not is_binding(cell):
                failures += self._run(cell, self.next)
            self.next += 1
        for index, cell in enumerate(self.nb.cells[:target]):
            if is_binding(cell):
                failures += self._run(cell, index)
        test = self.nb.cells[target]
        start = time.perf_counter()
        self._run(test, target)
        self.test_seconds += time.perf_counter() - start
        return [*failures, *test.outputs]

    def _run(self, cell, index: int) -> list:
        """Run one cell of the judge's; its error outputs."""
        self.client.execute_cell(cell, index)
        return [out for out in cell.outputs if out.output_type == "error"]

    def close(self) -> None:
        try:
            if self._setup is not None:
                self._setup.__exit__(None, None, None)
                if self.client.kc is not None:
                    self.client.kc.stop_channels()
        finally:
            self.kernel.close()


class JudgedExecute(BudgetedExecute):
    """``BudgetedExecute``, with the test cells of a notebook judged outside run by a ``Judge``."""

    source_directory = Unicode(help="The course's source folder: <source_directory>/<assignment>/<notebook>.ipynb").tag(config=True)
    source_notebook = Unicode("", help="The instructor's notebook to judge by, when not under source_directory "
                                        "(practicum check: the learner's own, whose tests are the visible ones)").tag(config=True)
    started_judge = Any(None, help="A grader.judge.kernel.JudgeKernel started ahead for this notebook, or None to start one "
                                   "at its first test").tag(config=True)
    hidden_seed = Unicode("", help="The seed of this learner's hidden inputs (practicum.checks.per_learner_rng); '' for the "
                                   "fixed ones").tag(config=True)
    judge_env = Dict(help="The environment the learner's kernel started from (photos, threads): the judge's starts from it too, "
                          "or from this process's when empty").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._judge, self._source, self._outside = None, None, {}
        source = read_notebook(self.source_notebook) if self.source_notebook else _source_notebook(self.source_directory, resources)
        if source is not None:
            code = [cell for cell in source.cells if cell.cell_type == "code"]
            outside = judged_outside(source)
            self._source = source
            self._outside = {cell.metadata.nbgrader["grade_id"]: index for index, cell in enumerate(code)
                             if is_test(cell) and cell.metadata.nbgrader["grade_id"] in outside}
        try:
            return super().preprocess(nb, resources, km)
        finally:
            if self._judge is not None:
                nb.metadata[COST_KEY] = {"seconds": round(self._judge.seconds, 3), "test_seconds": round(self._judge.test_seconds, 3)}
                handed_in = self._judge.kernel.folder / "build" / "models"
                if handed_in.is_dir() and resources is not None:
                    resources[JUDGE_MODELS_KEY] = shutil.copytree(handed_in, Path(tempfile.mkdtemp(prefix="practicum-judged-models-")) / "models")
                self._judge.close()
                self._judge = None

    def preprocess_cell(self, cell, resources, index):
        cell.metadata.pop(JUDGED_KEY, None)  # only this step writes it, never the learner's notebook
        if not is_test(cell):
            return super().preprocess_cell(cell, resources, index)
        grade_id = cell.metadata.nbgrader.get("grade_id")
        if grade_id not in self._outside:
            cell.metadata[JUDGED_KEY] = Judged.KERNEL.value
            return super().preprocess_cell(cell, resources, index)
        cell.metadata[JUDGED_KEY] = Judged.OUTSIDE.value
        if self._broken is not None:
            return super().preprocess_cell(cell, resources, index)  # not run, and says why
        try:
            judge = self._judge_for()
            cell.outputs = judge.run_test(self._outside[grade_id])
            timing = judge.nb.cells[self._outside[grade_id] + 1].metadata.get("execution")
            if timing:  # when the test ran, as nbclient records it for a cell run here
                cell.metadata["execution"] = dict(timing)
        except DeadKernelError:
            cell.outputs = [error_output(KERNEL_DIED, "the grader's judge stopped while running this test")]
            self._broken = f"the judge stopped in {describe_cell(cell, index)}"
        except CellTimeoutError:
            cell.outputs = [error_output(TIMED_OUT, f"the notebook used up its {self.budget:g} s budget in this cell")]
        cell.execution_count = None
        if any(out.output_type == "error" and out.ename == TIMED_OUT for out in cell.outputs):
            self._broken = f"{describe_cell(cell, index)} ran out of the notebook's {self.budget:g} s budget"
        return cell, resources

    def _judge_for(self) -> Judge:
        """The judge, started at the first test: by then the learner's kernel runs and has run the cells before it."""
        if self._judge is None:
            info = self.km.get_connection_info(session=False)
            info = {key: value.decode() if isinstance(value, bytes) else value for key, value in info.items()}
            exchange = Path(self.km.connection_file).parent  # the sandbox binds it in: the learner's kernel reads requests there
            kernel, self.started_judge = self.started_judge or start_judge_kernel(self._source, self.judge_env or None), None
            self._judge = Judge(self._source, kernel, {"connection": info, "exchange": str(exchange), "seed": self.hidden_seed},
                                self._seconds_left, self.error_on_timeout)
        return self._judge


def _source_notebook(source_directory: str, resources: dict | None):
    """The instructor's copy of the notebook being graded, or None (``practicum check`` has none: the learner's is its own)."""
    if not source_directory or "assignment" not in (resources or {}).get("nbgrader", {}):
        return None
    path = source_notebook_path(source_directory, resources)
    return read_notebook(path) if path.exists() else None
