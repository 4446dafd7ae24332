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
