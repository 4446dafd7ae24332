"""What ``grade`` leaves behind: grades.csv, one feedback page per learner, a table on the terminal.

Feedback pages (``grader.feedback``) show the learner's own graded notebooks with each test cell
replaced by its outcome, never its source: hidden tests stay hidden (nbgrader's generate_feedback
renders the whole autograded notebook, hidden tests included).
"""

import csv
from collections import Counter, defaultdict
from pathlib import Path

from grader import feedback, gradebook
from grader.results import GradeRow, Status


def write_csv(rows: list[GradeRow], target: Path) -> None:
    with open(target, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(GradeRow.CSV_COLUMNS)
        writer.writerows(row.csv_row() for row in rows)


def write_feedback(rows: list[GradeRow], folder: Path, course: Path) -> list[Path]:
    """One page per learner (see grader.feedback), from the autograded notebooks of ``course``."""
    folder.mkdir(parents=True, exist_ok=True)
    by_learner: dict[str, list[GradeRow]] = defaultdict(list)
    for row in rows:
        by_learner[row.learner].append(row)
    references = feedback.course_references(course)
    names = gradebook.learner_names(course) if (course / "gradebook.db").exists() else {}
    pages = []
    for learner, learner_rows in sorted(by_learner.items()):
        page = folder / f"{learner}.html"
        page.write_text(feedback.render(learner, learner_rows, course, references, names.get(learner, "")), encoding="utf-8")
        pages.append(page)
    return pages


def _totals(rows: list[GradeRow]) -> tuple[float, float]:
    return sum(row.points for row in rows), sum(row.max_points for row in rows)


def summary_table(rows: list[GradeRow]) -> str:
    """One line per learner and assignment: points, and what needs the instructor's attention."""
    groups: dict[tuple[str, str], list[GradeRow]] = defaultdict(list)
    for row in rows:
        groups[(row.learner, row.assignment)].append(row)
    lines = [("learner", "assignment", "points", "notes")]
    for (learner, assignment), group in sorted(groups.items()):
        points, total = _totals(group)
        lines.append((learner, assignment, f"{points:g}/{total:g}", _notes(group)))
    widths = [max(len(line[i]) for line in lines) for i in range(3)]
    return "\n".join(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}  {d}".rstrip() for a, b, c, d in lines)


def _notes(rows: list[GradeRow]) -> str:
    notes = []
    errors = sorted({row.reason for row in rows if row.status is Status.ERROR})
    notes += errors[:2] + ([f"+{len(errors) - 2} more"] if len(errors) > 2 else [])
    late = next((row for row in rows if row.late_by_hours is not None), None)
    if late is not None:
        notes.append(f"{late.late_by_hours:g} h late (by {late.submitted_by}): −{sum(row.penalty for row in rows):g}")
    manual = sorted({row.reason for row in rows if row.status is Status.MANUAL})
    notes += [f"needs manual grading: {reason}" for reason in manual[:1]]
    matched = Counter(row.matched for row in rows if row.matched)
    for how, count in sorted(matched.items()):
        notes.append(f"{count} test cells {how}" if count > 1 else f"{next(r.exercise for r in rows if r.matched == how)} {how}")
    return "; ".join(notes)
