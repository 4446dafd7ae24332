"""What ``grade`` leaves behind: grades.csv, one feedback page per learner, a table on the terminal.

Feedback pages are built from GradeRows, which carry each test's failure message and never its
source: hidden tests stay hidden (nbgrader's generate_feedback renders the whole autograded notebook,
hidden tests included).
"""

import csv
import html
from collections import Counter, defaultdict
from pathlib import Path

from grader.results import GradeRow, Status

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Feedback for {learner}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}} td,th{{padding:.3em .8em;text-align:left;vertical-align:top}}
.ok{{color:#137333}} .failed{{color:#c5221f}} .manual{{color:#b06000}} pre{{white-space:pre-wrap;margin:0}}</style></head>
<body><h1>Feedback for {learner}</h1>
{sections}
</body></html>
"""


def write_csv(rows: list[GradeRow], target: Path) -> None:
    with open(target, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(GradeRow.CSV_COLUMNS)
        writer.writerows(row.csv_row() for row in rows)


def write_feedback(rows: list[GradeRow], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    by_learner: dict[str, list[GradeRow]] = defaultdict(list)
    for row in rows:
        by_learner[row.learner].append(row)
    pages = []
    for learner, learner_rows in sorted(by_learner.items()):
        page = folder / f"{learner}.html"
        page.write_text(_PAGE.format(learner=html.escape(learner), sections=_sections(learner_rows)), encoding="utf-8")
        pages.append(page)
    return pages


def _sections(rows: list[GradeRow]) -> str:
    by_assignment: dict[str, list[GradeRow]] = defaultdict(list)
    for row in rows:
        by_assignment[row.assignment].append(row)
    parts = []
    for assignment, assignment_rows in by_assignment.items():
        points, total = _totals(assignment_rows)
        lines = "\n".join(_table_row(row) for row in assignment_rows)
        parts.append(f"<h2>{html.escape(assignment)}: {points:g} / {total:g} points</h2>\n"
                     f"<table><tr><th>exercise</th><th>points</th><th>outcome</th></tr>\n{lines}\n</table>")
    return "\n".join(parts)


def _table_row(row: GradeRow) -> str:
    if row.status is Status.MANUAL:
        css, outcome = "manual", "your instructor will look at this"
    elif row.status is Status.OK and row.points == row.max_points:
        css, outcome = "ok", "passed"
    else:
        css, outcome = "failed", row.reason if row.status is Status.ERROR else "failed"
    details = [row.message] if row.message and row.message != outcome else []
    if row.matched:
        details.append(f"(this test cell was {row.matched})")
    detail = "".join(f"<pre>{html.escape(text)}</pre>" for text in details)
    return (f"<tr class='{css}'><td>{html.escape(row.exercise)}</td><td>{row.points:g} / {row.max_points:g}</td>"
            f"<td>{html.escape(outcome)}{detail}</td></tr>")


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
    manual = sorted({row.reason for row in rows if row.status is Status.MANUAL})
    notes += [f"needs manual grading: {reason}" for reason in manual[:1]]
    matched = Counter(row.matched for row in rows if row.matched)
    for how, count in sorted(matched.items()):
        notes.append(f"{count} test cells {how}" if count > 1 else f"{next(r.exercise for r in rows if r.matched == how)} {how}")
    return "; ".join(notes)
