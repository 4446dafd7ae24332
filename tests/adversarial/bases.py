"""The corpus's bases: the exercise every case submits (lesson 1's), what attack code may know when
the submissions are written (``Context``), a case and its expected outcome (``Case``), and the
released exercise blank or answered, to mutate. corpus.py and hostile_files.py build their cases on
these."""

import importlib.util
import json
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat

from grader.build import release
from practicum import paths
from practicum.tidy import dumps, read_notebook

# the grader tests' own mutations: a cell deleted, every cell's nbgrader metadata and id stripped
_spec = importlib.util.spec_from_file_location("learners", Path(__file__).parents[1] / "fixtures" / "grader" / "learners.py")
_learners = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_learners)
_without_cell, _stripped = _learners._without_cell, _learners._stripped

PIXELS = "01_raw_pixels"
#: Its first two exercises: attacks go in their answer cells, and the reading attacks try to steal their answers.
#: The cases that edit the notebook's structure edit the second, which no later exercise uses (the classifier of
#: the last exercise calls the first).
FIRST, SECOND = "flatten_and_scale", "class_mean_images"
TEST_FIRST, TEST_SECOND = f"test_{FIRST}", f"test_{SECOND}"
#: Learners whose answers other cases try to steal, or whose grades they try to lower.
HONEST_FIRST, HONEST_LAST = "a0_honest", "zz_honest"  # names sort first / last: graded first / last


@dataclass(frozen=True)
class Context:
    """What attack code may know when the submissions are written."""

    root: Path  # the repository (solutions/, the practicum package)
    out: Path  # grade's --out folder
    inputs: Path  # the folder of submissions
    holdout: Path  # the instructor's photos
    cache: Path  # PRACTICUM_CACHE_DIR: the decoded-array cache every learner's kernel reads
    marker: str  # a unique token: canary file names, command lines of processes an attack starts
    port: int  # a 127.0.0.1 port the test listens on, and answers with the solution's code

    def canaries(self) -> list[Path]:
        """Files an attack tries to write outside its workspace; none may exist after grading."""
        name = f"canary-{self.marker}"
        return [self.root / name, self.root / "solutions" / name, self.out / name, self.out / "course" / name,
                self.out / "course" / "source" / PIXELS / name, self.inputs / name, self.cache / name,
                Path("/tmp") / name, Path("/dev/shm") / name, Path.home() / name]


@dataclass(frozen=True)
class Case:
    name: str  # the learner: the submission is <name>_<assignment>.ipynb
    assignment: str
    tries: str  # what the submission tries, for the README
    points: float  # expected total for the submission
    status: str | tuple[str, ...]  # expected kind ("ok", "manual", "error"); a tuple: any of them
    reason: tuple[str, ...] = ()  # the reason must contain one of these (case-insensitive); () = not checked
    make: Callable[[Context], str | bytes] = field(default=None, repr=False)  # the submission file's content
    plant: Callable[[Context], object] = field(default=None, repr=False)  # or: writes the case's files (links, pipes, folders)
    message: tuple[str, ...] = ()  # some row's test message must contain one of these (case-insensitive)
    not_graded: str = ""  # status "not graded": the grader's line about the file must name this

    @property
    def filename(self) -> str:
        return f"{self.name}_{self.assignment}.ipynb"


# --- bases --------------------------------------------------------------------------------------

def _solution(assignment: str) -> nbformat.NotebookNode:
    return read_notebook(paths.SOLUTIONS / f"{assignment}.ipynb")


def grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def solution_answers(assignment: str) -> dict[str, str]:
    """grade id → the solution's answer, as a learner would type it (no nbgrader markers)."""
    return {grade_id(cell): "\n".join(line for line in cell.source.splitlines() if "### BEGIN SOLUTION" not in line
                                      and "### END SOLUTION" not in line)
            for cell in _solution(assignment).cells if cell.metadata.get("nbgrader", {}).get("solution")}


def hidden_test_lines(assignment: str) -> list[str]:
    """Lines of the hidden tests long enough to be recognised anywhere they leak."""
    lines, hidden = [], False
    for cell in _solution(assignment).cells:
        for line in cell.source.splitlines():
            hidden = hidden or "### BEGIN HIDDEN TESTS" in line
            if hidden and len(line.strip()) >= 30:
                lines.append(line.strip())
            hidden = hidden and "### END HIDDEN TESTS" not in line
    return lines


def blank(assignment: str, **code: str) -> nbformat.NotebookNode:
    """The released exercise, unanswered, with ``code`` typed into the answer cells it names."""
    nb = release(_solution(assignment))
    unknown = set(code) - {grade_id(cell) for cell in nb.cells}
    assert not unknown, f"{assignment} has no answer cells {unknown}"
    for cell in nb.cells:
        if grade_id(cell) in code:
            cell.source = code[grade_id(cell)]
    return nb


def solved(assignment: str, **code: str) -> nbformat.NotebookNode:
    """The released exercise with the solution's answers typed in; ``code`` replaces some of them."""
    return blank(assignment, **{**solution_answers(assignment), **code})


def _with(answer: str, attack: str) -> str:
    """An answer cell holding the solution's answer, then attack code."""
    return answer + "\n\n" + textwrap.dedent(attack).strip() + "\n"


def _attack(code: str, **constants) -> str:
    """Attack code with constants (paths, the marker) written in as Python literals."""
    code = textwrap.dedent(code).strip() + "\n"
    for name, value in constants.items():
        code = code.replace(name, repr(str(value)))
    return code


def _text(nb: nbformat.NotebookNode) -> str:
    return dumps(nb)


def _raw(nb: nbformat.NotebookNode) -> str:
    """The notebook as written, without tidy's repairs (ids, metadata)."""
    return json.dumps(nb, indent=1, ensure_ascii=False)


def _index(nb, wanted: str) -> int:
    return next(i for i, cell in enumerate(nb.cells) if grade_id(cell) == wanted)


#: An answer cell left empty: its function is the one an earlier cell defined.
ABOVE = "# answered in the cell of exercise 1"


def _unanswered(*names: str) -> str:
    return "\n".join(f"def {name}(*args, **kwargs):\n    raise NotImplementedError()\n" for name in names)
