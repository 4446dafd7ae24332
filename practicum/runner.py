"""Run the course's notebooks headless, in course order, and summarise them in one table.

Each notebook runs in a fresh kernel (nbclient) from its own folder, in FAST mode unless asked for
the full budget. The executed copy goes to ``build/executed/<folder>/``; the metrics a notebook saved
with :func:`practicum.notebook.save_metrics` are read back for the table. A failing notebook is
reported with its failing cell and error, and the run goes on with the rest.
"""

import json
import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from practicum import paths
from practicum.notebook import metrics_path
from practicum.tidy import NotebookError, read_notebook

FOLDERS = (paths.NOTEBOOKS, paths.SOLUTIONS)  # a lesson runs before its graded exercise
#: ipykernel warns on stderr that the kernel it talks to over localhost TCP is unencrypted; the kernel
#: is ours and local, and the warning would only alarm learners.
QUIET_KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=ERROR"]


class QuietKernelManager(AsyncKernelManager):
    """Starts a kernel whose process stderr goes nowhere: TensorFlow's C++ start-up lines ("oneDNN
    custom operations are on") are written there, not to the notebook, and would land in the
    terminal. What a cell writes to sys.stderr still reaches the notebook."""

    async def start_kernel(self, **kw):
        kw.setdefault("stderr", subprocess.DEVNULL)
        return await super().start_kernel(**kw)


@dataclass
class RunResult:
    notebook: Path
    status: str  # "ok" or "failed"
    seconds: float
    metrics: dict = field(default_factory=dict)
    headline: str | None = None
    error: str = ""

    @property
    def headline_text(self) -> str:
        if self.headline is None:
            return ""
        value = self.metrics.get(self.headline)
        return f"{self.headline}={value:.3f}" if isinstance(value, float) else f"{self.headline}={value}"


def course_notebooks(folders=FOLDERS) -> list[Path]:
    """Every notebook of the course, ordered by lesson number, the lesson before its solution."""
    found = [(nb.name, rank, nb) for rank, folder in enumerate(folders) for nb in Path(folder).glob("[0-9]*.ipynb")]
    return [nb for _, _, nb in sorted(found)]


def run_notebook(notebook: Path, fast: bool = True, cell_timeout: int = 1200) -> RunResult:
    """Execute one notebook; never raises for a notebook's own failure, which goes in the result."""
    notebook = notebook.resolve()
    out = paths.build_dir() / "executed" / notebook.parent.name / notebook.name
    out.parent.mkdir(parents=True, exist_ok=True)
    metrics_file = metrics_path(notebook.stem)
    metrics_file.unlink(missing_ok=True)
    start = time.perf_counter()
    try:
        nb = read_notebook(notebook)
    except NotebookError as error:
        return RunResult(notebook, "failed", 0.0, error=str(error))
    error = ""
    client = NotebookClient(nb, timeout=cell_timeout, kernel_name="python3", kernel_manager_class=QuietKernelManager,
                            extra_arguments=QUIET_KERNEL_ARGUMENTS, resources={"metadata": {"path": str(notebook.parent)}})
    try:
        # the same code on a FAST budget: the notebook's parameters cell reads PRACTICUM_FAST
        client.execute(env={**os.environ, "PRACTICUM_FAST": "1" if fast else "0"})
    except CellExecutionError as failure:
        error = _describe_failure(nb, failure)
    except (CellTimeoutError, DeadKernelError, RuntimeError) as failure:
        error = f"{type(failure).__name__}: {str(failure).splitlines()[0] if str(failure) else ''}"
    finally:
        nbformat.write(nb, out)
    seconds = time.perf_counter() - start
    result = RunResult(notebook, "failed" if error else "ok", seconds, error=error)
    if metrics_file.exists():
        record = json.loads(metrics_file.read_text())
        result.metrics, result.headline = record["metrics"], record["headline"]
    return result


def _describe_failure(nb, failure: CellExecutionError) -> str:
    """'cell N (first line of source): ErrorName: message' for the first cell that errored."""
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                first_line = cell.source.strip().splitlines()[0][:60] if cell.source.strip() else ""
                return f"cell {index} ({first_line}): {output.ename}: {_strip_ansi(output.evalue)[:500]}"
    return f"{failure.ename}: {_strip_ansi(failure.evalue)[:500]}"


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def format_table(results: list[RunResult]) -> str:
    rows = [("notebook", "status", "seconds", "headline")]
    rows += [(f"{r.notebook.parent.name}/{r.notebook.stem}", r.status, f"{r.seconds:.1f}", r.headline_text) for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    for r in results:
        if r.error:
            lines.append(f"\n{r.notebook.parent.name}/{r.notebook.name} failed at {r.error}")
    return "\n".join(lines)
