"""One graded exercise's outcome, as ``check`` prints it and ``grade`` writes it.

Every text in a result is composed by the grader. What learner code controls (an exception's
message) is cut to ``MESSAGE_LIMIT`` characters and passed through ``redact``, which removes every
line of the instructor's test source it contains: a learner cannot read hidden tests off their
feedback page by raising an error that quotes them.
"""

import enum
import html
from dataclasses import dataclass

from nbformat import NotebookNode
from nbgrader import utils

from grader.execution import broke_the_run


#: Characters of learner-controlled text a result keeps.
MESSAGE_LIMIT = 300


class Status(enum.Enum):
    OK = "ok"  # graded automatically
    MANUAL = "needs manual grading"  # graded, and a person should look (a task, or code that reached for the tests)
    ERROR = "error"  # the run broke before this test could decide (the reason says where and why)


class Judged(enum.Enum):
    """Where a test cell's verdict was decided (``grader.judge``)."""

    OUTSIDE = "outside"  # by the judge, in a kernel of its own that runs no learner code
    KERNEL = "kernel"  # in the learner's kernel, with the guard (grader.guard) and the tamper scan


@dataclass
class ExerciseResult:
    name: str  # the test cell's nbgrader grade_id
    passed: bool
    points: float
    max_points: float
    message: str = ""  # why it failed: the failing check's text, never the test's source
    status: Status = Status.OK
    reason: str = ""  # why the status is not OK

    def __str__(self) -> str:
        mark = "✓" if self.passed else ("?" if self.status is Status.MANUAL else "✗")
        line = f"{mark} {self.name}: {_points(self.points)}/{_points(self.max_points)} points"
        if self.status is not Status.OK and self.reason not in self.message:
            line += f" [{self.status.value}: {self.reason}]"
        return line + (f" — {self.message}" if self.message else "")

    def _repr_html_(self) -> str:
        colour = "#137333" if self.passed else "#c5221f"
        message = f"<br><span style='white-space:pre-wrap'>{html.escape(self.message)}</span>" if self.message else ""
        return (f"<p style='color:{colour}'><b>{html.escape(self.name)}</b>: "
                f"{_points(self.points)}/{_points(self.max_points)} points ({html.escape(self.status.value)}){message}</p>")


def _points(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


def redact(text: str, secret: str = "", limit: int | None = MESSAGE_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, without any line of ``secret`` (the test's source)."""
    secret_lines = {line.strip() for line in secret.splitlines() if len(line.strip()) >= 8}
    kept = [line for line in text.splitlines() if not any(part in line for part in secret_lines)]
    if len(kept) < len(text.splitlines()):
        kept.append("[text from the test's source removed]")
    text = "\n".join(kept)
    return text if limit is None or len(text) <= limit else text[:limit] + " …"


def failure_message(cell: NotebookNode, secret: str = "") -> str:
    """What a test cell's outputs say went wrong: the error's message (a CheckFailed's text is the
    learner-facing one), or stderr when that is what cost the points. Never the traceback, whose
    frames quote the test's source; never a line of ``secret``."""
    for out in cell.outputs:
        if out.output_type == "error":
            return redact(out.evalue.strip() or out.ename, secret)
    for out in cell.outputs:
        if out.output_type == "stream" and out.name == "stderr":
            return redact("the test cell wrote to stderr: " + out.text.strip(), secret)
    return ""


def autograded_test_cells(nb: NotebookNode):
    """The code cells nbgrader grades automatically (test cells, not manually graded answers)."""
    return [cell for cell in nb.cells if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)]


def result_from_cell(cell: NotebookNode) -> ExerciseResult:
    """Score one executed test cell the way nbgrader does."""
    score, max_points = utils.determine_grade(cell)
    message = failure_message(cell)
    broke = broke_the_run(cell)
    return ExerciseResult(cell.metadata.nbgrader["grade_id"], passed=score == max_points and not message,
                          points=score, max_points=max_points, message=message,
                          status=Status.ERROR if broke else Status.OK, reason=message if broke else "")


@dataclass
class GradeRow:
    """One line of grades.csv, plus what the feedback page says about it."""

    learner: str
    assignment: str
    exercise: str
    points: float
    max_points: float
    status: Status
    reason: str = ""  # why the status is not OK: where the run broke, or what a person should look at
    message: str = ""  # the hidden or visible test's failure message
    matched: str = ""  # how the submitted cell was found when not by its grade id
    holdout_accuracy: float | None = None  # the handed-in model's score on the instructor's photos
    late_by_hours: float | None = None  # how late the submission was (grader.late); None: on time, or no due date
    penalty: float = 0.0  # this row's share of the submission's late penalty, in points
    submitted_by: str = ""  # where the submission's time came from: "timestamp.txt" or "file time"
    judged: Judged | None = None  # where its test decided; None for a cell graded by hand

    CSV_COLUMNS = ("learner", "assignment", "exercise", "points", "max_points", "status", "reason", "late_by_hours", "penalty", "judged")

    def csv_row(self) -> list:
        return [self.learner, self.assignment, self.exercise, f"{self.points:g}", f"{self.max_points:g}", self.status.value, self.reason,
                "" if self.late_by_hours is None else f"{self.late_by_hours:g}", f"{self.penalty:g}" if self.penalty else "",
                self.judged.value if self.judged else ""]

    def to_json(self) -> dict:
        return {**self.__dict__, "status": self.status.value, "judged": self.judged.value if self.judged else None}

    @classmethod
    def from_json(cls, record: dict) -> "GradeRow":
        return cls(**{**record, "status": Status(record["status"]), "judged": Judged(record["judged"]) if record.get("judged") else None})
