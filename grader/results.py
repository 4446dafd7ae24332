"""One graded exercise's outcome, as ``check`` prints it and ``grade`` writes it."""

import html
from dataclasses import dataclass

from nbformat import NotebookNode
from nbgrader import utils

from grader.execution import broke_the_run


@dataclass
class ExerciseResult:
    name: str  # the test cell's nbgrader grade_id
    passed: bool
    points: float
    max_points: float
    message: str = ""  # why it failed: the failing check's text, never the test's source
    status: str = "ok"  # "ok", "needs manual grading" or "error: <reason>"

    def __str__(self) -> str:
        mark = "✓" if self.passed else ("?" if self.status == "needs manual grading" else "✗")
        line = f"{mark} {self.name}: {_points(self.points)}/{_points(self.max_points)} points"
        if self.status != "ok" and self.message not in self.status:
            line += f" [{self.status}]"
        return line + (f" — {self.message}" if self.message else "")

    def _repr_html_(self) -> str:
        colour = "#137333" if self.passed else "#c5221f"
        message = f"<br><span style='white-space:pre-wrap'>{html.escape(self.message)}</span>" if self.message else ""
        return (f"<p style='color:{colour}'><b>{html.escape(self.name)}</b>: "
                f"{_points(self.points)}/{_points(self.max_points)} points ({html.escape(self.status)}){message}</p>")


def _points(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


def failure_message(cell: NotebookNode) -> str:
    """What a test cell's outputs say went wrong: the error's message (a CheckFailed's text is the
    learner-facing one), or stderr when that is what cost the points. Never the traceback, whose
    frames quote the test's source."""
    for out in cell.outputs:
        if out.output_type == "error":
            return out.evalue.strip() or out.ename
    for out in cell.outputs:
        if out.output_type == "stream" and out.name == "stderr":
            return "the test cell wrote to stderr: " + out.text.strip()[:200]
    return ""


def autograded_test_cells(nb: NotebookNode):
    """The code cells nbgrader grades automatically (test cells, not manually graded answers)."""
    return [cell for cell in nb.cells if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)]


def result_from_cell(cell: NotebookNode) -> ExerciseResult:
    """Score one executed test cell the way nbgrader does."""
    score, max_points = utils.determine_grade(cell)
    message = failure_message(cell)
    return ExerciseResult(cell.metadata.nbgrader["grade_id"], passed=score == max_points and not message,
                          points=score, max_points=max_points, message=message,
                          status=f"error: {message}" if broke_the_run(cell) else "ok")


@dataclass
class GradeRow:
    """One line of grades.csv, plus what the feedback page says about it."""

    learner: str
    assignment: str
    exercise: str
    points: float
    max_points: float
    status: str  # "ok", "needs manual grading" or "error: <reason>"
    message: str = ""  # the hidden or visible test's failure message
    matched: str = ""  # how the submitted cell was found when not by its grade id

    CSV_COLUMNS = ("learner", "assignment", "exercise", "points", "max_points", "status")

    def csv_row(self) -> list:
        return [self.learner, self.assignment, self.exercise, f"{self.points:g}", f"{self.max_points:g}", self.status]
