"""How the class did, on one page: ``<out>/class.html`` and ``<out>/class.png``, written by ``practicum grade``.

Per assignment, the distribution of the learners' totals; per test cell, the share of the class that
passed it, lowest first (the test most learners fail is the lesson to reteach); then what needs the
instructor: submissions to grade by hand with their reasons, runs that broke, work handed in late
(grader.late), answers that look alike (grader.similarity), files that were not graded and learners not on the roster. Built from the
rows the trusted side wrote; every text on the page is escaped.
"""

import base64
import html
import io
from collections import defaultdict
from pathlib import Path

from grader.results import GradeRow, Status


def pass_shares(rows: list[GradeRow]) -> list[tuple[str, str, float, int]]:
    """(assignment, exercise, share of the learners who got full points, learners), lowest share first."""
    cells: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for row in rows:
        cells[(row.assignment, row.exercise)].append(row.max_points > 0 and row.points == row.max_points)
    return sorted(((assignment, exercise, sum(passed) / len(passed), len(passed)) for (assignment, exercise), passed in cells.items()),
                  key=lambda item: (item[2], item[0], item[1]))


def totals(rows: list[GradeRow]) -> dict[str, tuple[list[float], float]]:
    """assignment → (each learner's total, the most points there are)."""
    points: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    most: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in rows:
        points[row.assignment][row.learner] += row.points
        most[row.assignment][row.learner] += row.max_points
    return {assignment: (list(by_learner.values()), max(most[assignment].values())) for assignment, by_learner in sorted(points.items())}


def figure_png(rows: list[GradeRow]) -> bytes:
    """The distribution of totals per assignment, and the pass share of every test cell, as a PNG."""
    from matplotlib.figure import Figure  # no pyplot: no backend, no window, nothing global
    from matplotlib.ticker import MaxNLocator

    by_assignment, shares = totals(rows), pass_shares(rows)
    figure = Figure(figsize=(10, 3 + 0.25 * len(shares)), layout="constrained")
    grid = figure.add_gridspec(2, max(1, len(by_assignment)), height_ratios=[1, max(1.0, 0.12 * len(shares))])
    for column, (assignment, (scores, most)) in enumerate(by_assignment.items()):
        axes = figure.add_subplot(grid[0, column])
        axes.hist(scores, bins=max(1, min(10, int(most) + 1)), range=(0, most or 1), color="#4c72b0")
        axes.set(title=assignment, xlabel="points", ylabel="learners")
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes = figure.add_subplot(grid[1, :])
    labels = [f"{assignment} / {exercise}" for assignment, exercise, _, _ in shares]
    axes.barh(range(len(shares)), [share for _, _, share, _ in shares], color="#55a868")
    axes.set_yticks(range(len(shares)), labels, fontsize=8)
    axes.invert_yaxis()
    axes.set(xlim=(0, 1), xlabel="share of the class with full points", title="each test, lowest first")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def write(rows: list[GradeRow], out: Path, alike=(), unplaced=(), unknown=()) -> Path:
    """Write ``out/class.png`` and ``out/class.html``; return the page."""
    png = figure_png(rows) if rows else b""
    if png:
        (out / "class.png").write_bytes(png)
    escape = html.escape
    learners = {row.learner for row in rows}
    parts = ["<!doctype html><meta charset='utf-8'><title>How the class did</title>",
             "<style>body{font-family:sans-serif;max-width:60em;margin:auto}td,th{padding:2px 8px;text-align:left}</style>",
             f"<h1>How the class did</h1><p>{len(learners)} learners graded.</p>"]
    for assignment, (scores, most) in totals(rows).items():
        mean = sum(scores) / len(scores)
        parts.append(f"<p><b>{escape(assignment)}</b>: mean {mean:.1f} of {most:g} points; "
                     f"{sum(score == most for score in scores)} of {len(scores)} learners with full marks.</p>")
    if png:
        parts.append(f"<img alt='score distributions and pass shares' src='data:image/png;base64,{base64.b64encode(png).decode()}'>")
    parts.append("<h2>Each test, lowest pass share first</h2><table><tr><th>assignment</th><th>test</th><th>passed</th></tr>"
                 + "".join(f"<tr><td>{escape(a)}</td><td>{escape(e)}</td><td>{share:.0%} of {n}</td></tr>" for a, e, share, n in pass_shares(rows))
                 + "</table>")
    sections = [
        ("Needs manual grading", sorted({(row.learner, row.assignment, row.reason) for row in rows if row.status is Status.MANUAL})),
        ("Runs that broke", sorted({(row.learner, row.assignment, row.reason) for row in rows if row.status is Status.ERROR})),
        ("Handed in late", sorted({(row.learner, row.assignment, f"{row.late_by_hours:g} h late (by {row.submitted_by}): "
                                     f"−{sum(r.penalty for r in rows if (r.learner, r.assignment) == (row.learner, row.assignment)):g} points")
                                    for row in rows if row.late_by_hours is not None})),
        ("Answers that look alike (see similarity.html)",
         [(pair.first, pair.assignment, f"{pair.second}: {pair.similarity:.0%} alike") for pair in alike]),
        ("Not graded", [("", "", line) for line in unplaced]),
        ("Not on the roster", [(learner, "", "graded all the same") for learner in unknown]),
    ]
    for title, items in sections:
        body = "".join(f"<tr><td>{escape(a)}</td><td>{escape(b)}</td><td>{escape(c)}</td></tr>" for a, b, c in items)
        parts.append(f"<h2>{escape(title)}</h2>" + (f"<table>{body}</table>" if items else "<p>None.</p>"))
    page = out / "class.html"
    page.write_text("\n".join(parts), encoding="utf-8")
    return page
