"""Grades out of the course's gradebook, in the files an LMS imports: ``practicum export``.

Each format is an nbgrader export plugin, so ``nbgrader export --exporter grader.export.CanvasExport
--to canvas.csv`` (run in ``<out>/course``) writes the same file as ``practicum export --to canvas``.
One column per assignment, holding its total score (nbgrader's, late penalty included); a learner
with no submission gets an empty cell, which both LMSes leave alone.

- **Canvas** (Grades → Import): ``Student, ID, SIS User ID, SIS Login ID, Section``, then one column
  per assignment, then a ``Points Possible`` row. Canvas matches a row by ``ID`` (its own user id:
  the roster's ``lms_user_id``) or by ``SIS Login ID`` (the learner id here).
- **Moodle** (Grades → Import → CSV file): ``Username, Email address, ID number``, then one column per
  assignment; map the identifier to whichever of the three your site uses, and each assignment's
  column to its grade item.
- **csv**: nbgrader's own CSV (one row per learner and assignment).
"""

import csv
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import CsvExportPlugin, ExportPlugin

from grader import gradebook

CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_COLUMNS = ("Username", "Email address", "ID number")


def _scores(gb: Gradebook, assignments, student) -> list[str]:
    """The student's total score for each assignment ("" when they submitted nothing)."""
    cells = []
    for assignment in assignments:
        try:
            submission = gb.find_submission(assignment.name, student.id)
        except MissingEntry:
            cells.append("")
            continue
        cells.append(f"{max(0.0, submission.score - (submission.late_submission_penalty or 0.0)):g}")  # as nbgrader's CSV
    return cells


class _TableExport(ExportPlugin):
    """One row per learner, one column per assignment; subclasses give the learner's own columns."""

    default_file = "grades.csv"

    def learner_header(self) -> tuple[str, ...]:
        raise NotImplementedError

    def learner_cells(self, student) -> list[str]:
        raise NotImplementedError

    def points_row(self, assignments) -> list[str] | None:
        return None

    def export(self, gradebook: Gradebook) -> None:
        assignments = [a for a in sorted(gradebook.assignments, key=lambda a: a.name) if not self.assignment or a.name in self.assignment]
        students = [s for s in sorted(gradebook.students, key=lambda s: s.id) if not self.student or s.id in self.student]
        target = self.to or self.default_file
        self.log.info("Exporting %d learners' grades for %d assignments to %s", len(students), len(assignments), target)
        with open(target, "w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream)
            writer.writerow([*self.learner_header(), *(a.name for a in assignments)])
            points = self.points_row(assignments)
            if points is not None:
                writer.writerow(points)
            for student in students:
                writer.writerow([*self.learner_cells(student), *_scores(gradebook, assignments, student)])


class CanvasExport(_TableExport):
    """Canvas's gradebook import file."""

    default_file = "canvas.csv"

    def learner_header(self):
        return CANVAS_COLUMNS

    def learner_cells(self, student):
        name = ", ".join(part for part in (student.last_name, student.first_name) if part) or student.id
        return [name, student.lms_user_id or "", "", student.id, ""]

    def points_row(self, assignments):
        return ["    Points Possible", "", "", "", "", *(f"{a.max_score:g}" for a in assignments)]


class MoodleExport(_TableExport):
    """Moodle's grade import file (CSV)."""

    default_file = "moodle.csv"

    def learner_header(self):
        return MOODLE_COLUMNS

    def learner_cells(self, student):
        return [student.id, student.email or "", student.lms_user_id or ""]


EXPORTERS = {"canvas": CanvasExport, "moodle": MoodleExport, "csv": CsvExportPlugin}


def export(course_root: Path, to: str, target: Path) -> Path:
    """Write the course's grades as ``to`` (canvas, moodle or csv) to ``target``."""
    plugin = EXPORTERS[to](to=str(target))
    with Gradebook(gradebook.db_url(course_root)) as gb:
        plugin.export(gb)
    return Path(target)
