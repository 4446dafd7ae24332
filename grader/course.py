"""Where the grader finds assignments, and the nbgrader course directory it grades in.

The source of the grades is either the course's ``solutions/`` folder, where every notebook is an
assignment of its own (``solutions/01_raw_pixels.ipynb`` → assignment ``01_raw_pixels`` with notebook
``01_raw_pixels``), or any nbgrader ``source/`` folder (``source/<assignment>/<notebook>.ipynb``, plus
the files next to them). Either way ``grade`` copies it into an nbgrader course directory under
``--out`` (``course/source/<assignment>/``), where the gradebook and the autograded notebooks live.
"""

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from grader.results import GradeRow, Status


def source_notebook_path(source_directory: str | Path, resources: dict) -> Path:
    """The instructor's copy of the notebook an nbgrader step is processing: ``<source>/<assignment>/<notebook>.ipynb``."""
    info = resources["nbgrader"]
    return Path(source_directory) / info["assignment"] / f"{info['notebook']}.ipynb"


@dataclass(frozen=True)
class Assignment:
    id: str
    notebooks: tuple[str, ...]  # notebook ids (file stems), in name order
    files: tuple[Path, ...]  # everything nbgrader's source folder for it holds

    def fingerprint(self) -> str:
        """Changes whenever any of the assignment's source files does: its hidden tests, its points."""
        digest = hashlib.sha256()
        for path in self.files:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()


def find_assignments(source: Path) -> dict[str, Assignment]:
    source = Path(source)
    nested = sorted(folder for folder in source.iterdir() if folder.is_dir() and any(folder.glob("*.ipynb")))
    if nested:  # nbgrader's layout; notebooks at the top (a header.ipynb) belong to no assignment
        return {folder.name: Assignment(folder.name, tuple(p.stem for p in sorted(folder.glob("*.ipynb"))),
                                        tuple(p for p in sorted(folder.rglob("*")) if p.is_file() and ".ipynb_checkpoints" not in p.parts))
                for folder in nested}
    return {nb.stem: Assignment(nb.stem, (nb.stem,), (nb,)) for nb in sorted(source.glob("*.ipynb"))}


def copy_source(assignment: Assignment, course_root: Path) -> Path:
    """Put an assignment's source files where nbgrader looks for them: ``<course>/source/<assignment>/``."""
    target = course_root / "source" / assignment.id
    if target.exists():
        shutil.rmtree(target)
    top = _common_folder(assignment.files)
    for path in assignment.files:
        destination = target / path.relative_to(top)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)
    return target


def _common_folder(files: tuple[Path, ...]) -> Path:
    if len(files) == 1:
        return files[0].parent
    folder = files[0].parent
    while not all(folder in p.parents for p in files):
        folder = folder.parent
    return folder


@dataclass(frozen=True)
class GradeCell:
    notebook: str
    grade_id: str
    max_points: float


def grade_cells(assignment: Assignment, source_root: Path) -> list[GradeCell]:
    """The assignment's graded cells (tests, answers and tasks graded by hand) in notebook and cell
    order, read from its source notebooks."""
    from practicum.tidy import read_notebook

    cells = []
    for notebook in assignment.notebooks:
        for cell in read_notebook(Path(source_root) / assignment.id / f"{notebook}.ipynb").cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") or meta.get("task"):
                cells.append(GradeCell(notebook, meta["grade_id"], float(meta.get("points", 0))))
    return cells


def exercise_name(assignment: Assignment, notebook: str, grade_id: str) -> str:
    """The grade id, prefixed by its notebook when the assignment has several."""
    return grade_id if len(assignment.notebooks) == 1 else f"{notebook}/{grade_id}"


def error_rows(learner: str, assignment: Assignment, source_root: Path, unreadable: dict[str, str], failure: str) -> list[GradeRow]:
    """Zero points for every graded cell, with the notebook's own problem or the grader's failure."""
    return [GradeRow(learner, assignment.id, exercise_name(assignment, cell.notebook, cell.grade_id), points=0,
                     max_points=cell.max_points, status=Status.ERROR,
                     reason=unreadable.get(cell.notebook) or failure or "notebook not submitted")
            for cell in grade_cells(assignment, source_root)]
