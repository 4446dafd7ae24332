"""A learner's feedback page: their own executed notebooks, rendered, with every test cell replaced
by its outcome, under a summary of what they scored and what to reread.

The page is built by the trusted side from the autograded notebooks in ``<out>/course/autograded``
and the GradeRows. What the learner's code printed stays (that is their work), except any line of
the instructor's test source, which is removed wherever it appears; test cells themselves are never
shown, only the grader's outcome for them. Nothing a learner wrote can run on the page: raw HTML in
markdown cells is cleaned with bleach, and outputs keep only text and pictures (``SAFE_OUTPUTS``).
"""

import html
from collections import defaultdict
from pathlib import Path

import bleach
import nbformat
from nbconvert import HTMLExporter
from nbformat.v4 import new_markdown_cell, new_notebook
from nbgrader import utils

from grader.build import release
from grader.holdout import holdout_tests
from grader.results import GradeRow, Status, redact
from practicum.progress import benchmark_record
from practicum.tidy import NotebookError, read_notebook


#: The kinds of output a feedback page shows: text and pictures, no HTML, SVG or JavaScript.
SAFE_OUTPUTS = {"text/plain", "image/png", "image/jpeg", "image/gif"}
_SAFE_TAGS = {"a", "b", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "i", "img", "li", "ol", "p", "pre", "strong",
              "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul"}


def _safe(cell) -> None:
    """Strip what could run on the page from a cell the learner may have written."""
    if cell.cell_type == "markdown":
        cell.source = bleach.clean(cell.source, tags=_SAFE_TAGS, attributes={"a": ["href", "title"], "img": ["src", "alt"]},
                                   protocols={"http", "https", "data"}, strip=True)
    elif cell.cell_type == "raw":
        cell.source = html.escape(cell.source)
    for out in cell.get("outputs", []):
        if "data" in out:
            out.data = {kind: value for kind, value in out.data.items() if kind in SAFE_OUTPUTS}
    cell.metadata = {}
    cell.pop("attachments", None)


def _outcome_cell(row: GradeRow | None, grade_id: str) -> nbformat.NotebookNode:
    if row is None:
        return new_markdown_cell(f"**{html.escape(grade_id)}**: not graded")
    if row.status is Status.OK and row.points == row.max_points:
        verdict = "✓ passed"
    elif row.status is Status.MANUAL:
        verdict = "? your instructor will look at this"
    else:
        verdict = "✗ " + ("did not run: " + row.reason if row.status is Status.ERROR else "failed")
    lines = [f"**Test {html.escape(row.exercise)}: {row.points:g} / {row.max_points:g} points — {html.escape(verdict)}**"]
    if row.holdout_accuracy is not None:
        lines.append(f"Your model's accuracy on the instructor's photos: **{row.holdout_accuracy:.3f}**")
    if row.message:
        lines.append(f"<pre>{html.escape(row.message)}</pre>")
    return new_markdown_cell("\n\n".join(lines))


def _without_secrets(cell, secret: str) -> None:
    """Remove every line of the tests' source from a cell's source and outputs."""
    cell.source = _clean(cell.source, secret)
    for out in cell.get("outputs", []):
        if "text" in out:
            out.text = _clean(out.text, secret)
        for kind, value in list(out.get("data", {}).items()):
            if isinstance(value, str) and kind.startswith("text/"):
                out.data[kind] = _clean(value, secret)
        if out.output_type == "error":
            out.evalue, out.traceback = _clean(out.evalue, secret), [_clean(line, secret) for line in out.traceback]


def _clean(text: str, secret: str) -> str:
    return redact(text, secret, limit=None) if secret else text


def notebook_cells(graded: nbformat.NotebookNode, rows: dict[str, GradeRow], secret: str) -> list:
    """The learner's cells, test cells replaced by their outcomes."""
    cells = []
    for cell in graded.cells:
        if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
            grade_id = cell.metadata.nbgrader["grade_id"]
            cells.append(_outcome_cell(rows.get(grade_id), grade_id))
            continue
        _without_secrets(cell, secret)
        _safe(cell)
        cells.append(cell)
    return cells


def _summary(learner: str, rows: list[GradeRow], references: dict[str, str], name: str = "") -> nbformat.NotebookNode:
    lines = [f"# Feedback for {html.escape(name or learner)}", "",
             "| assignment | exercise | points | outcome |", "|---|---|---|---|"]
    for row in rows:
        outcome = {Status.OK: "passed" if row.points == row.max_points else "failed", Status.MANUAL: "your instructor will look",
                   Status.ERROR: "did not run"}[row.status]
        lines.append(f"| {html.escape(row.assignment)} | {html.escape(row.exercise)} | {row.points:g} / {row.max_points:g} | {outcome} |")
    totals = defaultdict(lambda: [0.0, 0.0])
    for row in rows:
        totals[row.assignment][0] += row.points
        totals[row.assignment][1] += row.max_points
    lines += ["", *(f"**{html.escape(a)}: {p:g} / {t:g} points.** " for a, (p, t) in totals.items())]
    for row in rows:
        if row.holdout_accuracy is not None:
            reference = references.get(row.assignment, "")
            lines.append(f"\nYour model in {html.escape(row.assignment)} scored **{row.holdout_accuracy:.3f}** on the instructor's "
                         f"photos (graded in FAST mode){'; ' + html.escape(reference) if reference else ''}.")
    late = {row.assignment: row for row in rows if row.late_by_hours is not None}
    for assignment, row in late.items():
        penalty = sum(r.penalty for r in rows if r.assignment == assignment)
        lines.append(f"\nYou handed {html.escape(assignment)} in {row.late_by_hours:g} hours after its due date"
                     + (f": **−{penalty:g} points** (the late policy)." if penalty else "."))
    to_reread = [row for row in rows if row.points < row.max_points and row.status is not Status.MANUAL]
    if to_reread:
        lines.append("\n**What to do next:** for each test you lost points on, reread the exercise's section just above "
                     "its outcome below, fix your answer, run `practicum check` on your notebook and hand it in again.")
    reasons = sorted({row.reason for row in rows if row.status is Status.MANUAL})
    if reasons:
        lines.append("\n**Your instructor will look at:** " + "; ".join(html.escape(reason) for reason in reasons))
    return new_markdown_cell("\n".join(lines))


def hidden_lines(source_nb) -> str:
    """The lines of the instructor's test cells that the released exercise does not show."""
    shown = {line.strip() for cell in release(source_nb).cells for line in cell.source.splitlines()}
    return "\n".join(line for cell in source_nb.cells if cell.cell_type == "code" and utils.is_grade(cell)
                     and not utils.is_solution(cell) for line in cell.source.splitlines() if line.strip() and line.strip() not in shown)


def render(learner: str, rows: list[GradeRow], course: Path, references: dict[str, str] | None = None, name: str = "") -> str:
    """One learner's page (headed with their ``name`` from the roster, or their id): a summary, then
    each assignment's notebooks as graded."""
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nb.cells.append(_summary(learner, rows, references or {}, name))
    by_assignment = defaultdict(dict)
    for row in rows:
        by_assignment[row.assignment][row.exercise.rsplit("/", 1)[-1]] = row
    for assignment, assignment_rows in by_assignment.items():
        for path in sorted((course / "autograded" / learner / assignment).glob("*.ipynb")):
            try:
                graded = read_notebook(path)
                secret = hidden_lines(read_notebook(course / "source" / assignment / path.name))
            except (NotebookError, OSError, ValueError, AttributeError):
                continue  # its rows say why it was not graded
            nb.cells.append(new_markdown_cell(f"---\n# {html.escape(assignment)}: your notebook as graded"))
            nb.cells += notebook_cells(graded, assignment_rows, secret)
    for number, cell in enumerate(nb.cells):  # one page of several notebooks, whose cell ids repeat ('intro', 'setup')
        cell["id"] = f"cell-{number}"
    body, _ = HTMLExporter(exclude_input_prompt=True, exclude_output_prompt=True).from_notebook_node(nb)
    return body


def course_references(course: Path) -> dict[str, str]:
    """assignment → "the course's reference model scored 0.868 on the same photos ...", for the
    assignments whose holdout test names a reference row of the benchmark results."""
    record = benchmark_record()
    latest = record.latest()
    references = {}
    for notebook in sorted((course / "source").glob("*/*.ipynb")):
        for test in holdout_tests(read_notebook(notebook)).values():
            stage, _, metric = test.reference.partition(",")
            name, method = record.split_metric(metric) if metric else ("", "")
            value = latest.get((stage, method), {}).get("metrics", {}).get(name)
            if value is not None:
                references[notebook.parent.name] = (f"the course's reference model scored {value:.3f} "
                                                    f"on the same photos at full budget ({stage} {metric})")
    return references
