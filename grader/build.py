"""``practicum build``: regenerate ``exercises/`` from ``solutions/`` with nbgrader's own preprocessors.

An exercise is exactly what ``nbgrader generate_assignment`` would release for its solution, minus
the gradebook: the same preprocessors in the same order, configured through traitlets. Only
``IncludeHeaderFooter`` (the course has no header notebook) and ``SaveCells`` (it writes the source
cells into a gradebook; ``grade`` does that in its own course directory) are left out. The result
goes through ``practicum.tidy`` so that the same solution always gives the same bytes, which is what
lets CI fail when someone edits a solution and forgets to rebuild.
"""

import copy
import functools
from pathlib import Path

import nbformat
from nbgrader.converters import GenerateAssignment
from nbgrader.preprocessors import IncludeHeaderFooter, SaveCells
from traitlets.config import Config

from practicum import paths
from practicum.tidy import dumps, read_notebook, tidy

#: The stub an unanswered exercise starts from: ``practicum.checks.check`` turns the
#: NotImplementedError into "not implemented yet".
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"

_NOT_FOR_RELEASE = (IncludeHeaderFooter, SaveCells)
RELEASE_PREPROCESSORS = [p for p in GenerateAssignment.class_traits()["preprocessors"].default()
                         if p not in _NOT_FOR_RELEASE]


def nbgrader_config() -> Config:
    config = Config()
    config.ClearSolutions.code_stub = {"python": CODE_STUB}
    return config


def released_source(path: Path) -> nbformat.NotebookNode:
    """The release of the instructor's notebook at ``path``, computed once per version of the file
    (a worker grades many submissions against it); every caller gets a copy of its own."""
    info = Path(path).stat()
    return copy.deepcopy(_released(str(path), info.st_mtime_ns, info.st_size))


@functools.lru_cache(maxsize=16)
def _released(path: str, mtime_ns: int, size: int) -> nbformat.NotebookNode:
    return release(read_notebook(Path(path)))


def release(solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The learner's version of a solution notebook: solutions stubbed, hidden tests removed,
    cells locked and checksummed, tidied."""
    nb = tidy(nbformat.from_dict(solution))
    _point_badges_at_exercises(nb)  # before nbgrader checksums the (read-only) title cell
    config, resources = nbgrader_config(), {}
    for preprocessor_class in RELEASE_PREPROCESSORS:
        nb, resources = preprocessor_class(config=config).preprocess(nb, resources)
    return tidy(nb)


def _point_badges_at_exercises(nb: nbformat.NotebookNode) -> None:
    """A learner's "Open in Colab" badge must open the exercise, not the solution it was built from."""
    solutions, exercises = (paths.COLAB_PREFIX + folder.name + "/" for folder in (paths.SOLUTIONS, paths.EXERCISES))
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = cell.source.replace(solutions, exercises)


def build_exercise(solution: Path, exercise: Path) -> None:
    exercise.parent.mkdir(parents=True, exist_ok=True)
    exercise.write_text(dumps(release(read_notebook(solution))), encoding="utf-8")


def build_all(solutions_dir: Path = paths.SOLUTIONS, exercises_dir: Path = paths.EXERCISES,
              check_only: bool = False) -> list[Path]:
    """Rebuild every exercise whose bytes differ from what its solution gives; return those exercises.
    With ``check_only`` nothing is written: the list is what is stale or missing."""
    stale = []
    for solution in sorted(Path(solutions_dir).glob("*.ipynb")):
        exercise = Path(exercises_dir) / solution.name
        expected = dumps(release(read_notebook(solution)))
        if not exercise.exists() or exercise.read_text(encoding="utf-8") != expected:
            stale.append(exercise)
            if not check_only:
                exercise.parent.mkdir(parents=True, exist_ok=True)
                exercise.write_text(expected, encoding="utf-8")
    return stale


_SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def solution_answers(solution: nbformat.NotebookNode) -> dict[str, str]:
    """Each answer cell's solution as a learner who did the work would type it: its marker lines dropped."""
    answers = {}
    for cell in solution.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution"):
            answers[meta["grade_id"]] = "\n".join(line for line in cell.source.splitlines() if line.strip() not in _SOLUTION_MARKERS)
    return answers


def answered(solution: Path, unanswered: tuple[str, ...] = ()) -> nbformat.NotebookNode:
    """What a learner who did the work hands in: the released exercise with the solution's answer in every answer
    cell, except the cells named in ``unanswered``, which keep the released stub. Its locked cells are the release's,
    so the grader finds nothing edited (handing in the solution itself would show every hidden test as an edit)."""
    answers = solution_answers(read_notebook(solution))
    nb = released_source(solution)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers and grade_id not in unanswered:
            cell.source = answers[grade_id]
    return nb


def write_answered(solutions_dir: Path, target: Path) -> list[Path]:
    """``answered`` for every solution, written into ``target`` under the exercise's name (``make course`` grades
    these as its instructor's own submission); returns the files written."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for solution in sorted(Path(solutions_dir).glob("*.ipynb")):
        (target / solution.name).write_text(dumps(answered(solution)), encoding="utf-8")
        written.append(target / solution.name)
    return written
