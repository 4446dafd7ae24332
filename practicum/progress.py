"""``practicum progress``: where a learner stands in the course.

For each of the learner's exercise notebooks: *passed* (every graded check passes), *failed* (which
check fails first, and why) or *not started* (every answer cell still raises NotImplementedError;
such a notebook is not run). A started notebook is run headless in FAST mode by the grader's
self-check (``grader.check``), or, with ``saved=True``, read from the outputs saved in it: instant,
and what the learner saw, but only as fresh as their last run.

Beside it, the validation accuracy of the models the learner trained (``build/metrics``, written by
the notebooks they ran) and the course's own number for the same stage (the best validation
accuracy in ``benchmarks/results.csv``, at the full budget): a table and a chart.
"""

import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path

from grader.build import CODE_STUB
from grader.results import ExerciseResult, autograded_test_cells, result_from_cell
from practicum import paths
from practicum.notebook import metrics_path
from practicum.tidy import read_notebook

#: The benchmark stage (``benchmarks/results.csv``) whose model each exercise's notebook trains.
STAGES = {
    "01_raw_pixels": "pixels",
    "02_engineered_features": "features",
    "04_convnet_from_scratch": "cnn_practicum",
    "05_preventing_overfitting": "cnn_best",
}
_STUB = CODE_STUB.splitlines()[-1]  # "raise NotImplementedError()"


@dataclass
class Progress:
    notebook: Path
    status: str  # "passed", "failed" or "not started"
    results: list[ExerciseResult] = field(default_factory=list)

    @property
    def points(self) -> float:
        return sum(result.points or 0 for result in self.results)

    @property
    def max_points(self) -> float:
        return sum(result.max_points for result in self.results)

    @property
    def first_failure(self) -> str:
        failed = next((result for result in self.results if not result.passed), None)
        if self.status != "failed" or failed is None:
            return ""
        message = failed.message.splitlines()[0] if failed.message else "failed"
        return f"{failed.name}: {message[:97] + '...' if len(message) > 100 else message}"


def is_started(nb) -> bool:
    """Whether any answer cell no longer holds the released stub."""
    answers = [cell for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("solution")]
    return any(_STUB not in cell.source for cell in answers)


def saved_results(nb) -> list[ExerciseResult]:
    """The graded checks as the outputs saved in the notebook show them; a check never run fails."""
    results = []
    for cell in autograded_test_cells(nb):
        result = result_from_cell(cell)
        if cell.get("execution_count") is None:
            result.passed, result.points = False, 0
            result.message = "not run; run the notebook top to bottom and save it"
        results.append(result)
    return results


def _unrun_results(nb) -> list[ExerciseResult]:
    return [ExerciseResult(cell.metadata.nbgrader["grade_id"], False, 0, float(cell.metadata.nbgrader.get("points", 0)))
            for cell in autograded_test_cells(nb)]


def progress_of(notebook: Path, saved: bool = False, timeout: float = 600) -> Progress:
    nb = read_notebook(notebook)
    if not is_started(nb):
        return Progress(notebook, "not started", _unrun_results(nb))
    if saved:
        results = saved_results(nb)
    else:
        from grader.check import check_notebook

        results = check_notebook(notebook, timeout=timeout)
    return Progress(notebook, "passed" if results and all(r.passed for r in results) else "failed", results)


def benchmark_record():
    """``benchmarks/record.py``, the one reader of ``results.csv`` (loaded by path: it is no package of
    the installed course)."""
    spec = importlib.util.spec_from_file_location("practicum_benchmark_record", paths.ROOT / "benchmarks" / "record.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def course_accuracies() -> dict[str, float]:
    """The best validation accuracy each stage reached in the course's benchmarks (latest rows)."""
    best: dict[str, float] = {}
    for (stage, _method), entry in benchmark_record().latest().items():
        if "val_acc" in entry["metrics"]:
            best[stage] = max(best.get(stage, 0.0), entry["metrics"]["val_acc"])
    return best


def learner_accuracies(notebooks) -> dict[str, dict]:
    """``{notebook stem: {"stage", "val_acc", "fast"}}`` for the notebooks whose metrics hold a val_acc."""
    found = {}
    for notebook in notebooks:
        record_file = metrics_path(Path(notebook).stem)
        if Path(notebook).stem not in STAGES or not record_file.exists():
            continue
        record = json.loads(record_file.read_text())
        if isinstance(record.get("metrics", {}).get("val_acc"), (int, float)):
            found[Path(notebook).stem] = {"stage": STAGES[Path(notebook).stem], "val_acc": float(record["metrics"]["val_acc"]),
                                          "fast": bool(record.get("fast"))}
    return found


def format_progress(rows: list[Progress]) -> str:
    table = [("exercise", "status", "points", "first failing check")]
    table += [(row.notebook.stem, row.status, f"{row.points:g}/{row.max_points:g}", row.first_failure) for row in rows]
    return _columns(table)


def format_accuracies(mine: dict[str, dict], course: dict[str, float]) -> str:
    table = [("stage", "notebook", "your val_acc", "course val_acc (full budget)")]
    for stem, entry in mine.items():
        reference = course.get(entry["stage"])
        table.append((entry["stage"], stem, f"{entry['val_acc']:.3f}" + (" (FAST)" if entry["fast"] else ""),
                      f"{reference:.3f}" if reference is not None else "—"))
    return _columns(table)


def _columns(table: list[tuple]) -> str:
    widths = [max(len(str(row[i])) for row in table) for i in range(len(table[0]))]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip() for row in table]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def save_chart(mine: dict[str, dict], course: dict[str, float], target: Path) -> Path:
    """Grouped bars per stage: the learner's accuracy beside the course's, chance as a line."""
    import matplotlib

    matplotlib.use("Agg")  # a file, never a window
    import matplotlib.pyplot as plt

    from practicum.plots import accuracy_bars

    scores = {}
    for stem, stage in STAGES.items():  # every stage of the course, the ones still ahead too
        entry = mine.get(stem)
        label = f"{stage} ({stem}{', FAST' if entry and entry['fast'] else ''})"
        bars = ({"your model": entry["val_acc"]} if entry else {}) | ({"course, full budget": course[stage]} if stage in course else {})
        if bars:
            scores[label] = bars
    fig = accuracy_bars(scores, references={"chance": 0.5}, title="Validation accuracy: yours and the course's")
    fig.axes[0].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))  # beside the bars, never over them
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return target
