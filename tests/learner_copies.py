"""A learner's copy of an exercise, answered: what a learner who did the work would have.

``answered(name)`` is the released exercise (``exercises/<name>.ipynb``) with every answer cell
holding the instructor's solution (its ``### BEGIN/END SOLUTION`` lines dropped), except the answer
cells named in ``unanswered``, which keep the released stub.
"""

import nbformat

from practicum import paths
from practicum.tidy import read_notebook

_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def _solution_answers(name: str) -> dict[str, str]:
    answers = {}
    for cell in read_notebook(paths.SOLUTIONS / f"{name}.ipynb").cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            answers[meta["grade_id"]] = "\n".join(line for line in cell.source.splitlines() if line.strip() not in _MARKERS)
    return answers


def answered(name: str, unanswered: tuple[str, ...] = ()) -> nbformat.NotebookNode:
    answers = _solution_answers(name)
    nb = read_notebook(paths.EXERCISES / f"{name}.ipynb")
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers and grade_id not in unanswered:
            cell.source = answers[grade_id]
    return nb


def answer_cell_ids(name: str) -> list[str]:
    return list(_solution_answers(name))
