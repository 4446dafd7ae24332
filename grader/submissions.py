"""Which learner submitted which notebook: reading a folder, an nbgrader tree or an LMS zip.

The naming rule, for a notebook found in a folder or a zip:

1. ``<learner>/<assignment>/<notebook>.ipynb`` where ``<assignment>`` is a known assignment is
   nbgrader's ``submitted/`` layout;
2. ``<learner>_<notebook>.ipynb`` (or ``<learner>-<notebook>.ipynb``) where ``<notebook>`` is a known
   notebook id: everything before it names the learner (an LMS's ``alice_1234_01_raw_pixels.ipynb``
   gives learner ``alice_1234``);
3. ``<learner>/<notebook>.ipynb``: a folder per learner;
4. ``<learner>.ipynb`` when the course has a single notebook.

A file no rule places is reported, never guessed; so is a second file for the same learner and notebook.
Pass nbgrader's ``submitted/`` folder itself, not the course folder around it (whose ``source/`` and
``release/`` would read as learners).
"""

import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from grader.course import Assignment


@dataclass
class Submission:
    learner: str
    assignment: str
    notebooks: dict[str, Path] = field(default_factory=dict)  # notebook id → submitted file
    extra_files: list[Path] = field(default_factory=list)  # other files of an nbgrader tree (images, data)


def find_submissions(inputs: list[Path], assignments: dict[str, Assignment], unpack_dir: Path,
                     skip: Path | None = None) -> tuple[list[Submission], list[str]]:
    """Every (learner, assignment) submission in ``inputs``, and the files no rule could place.
    Nothing under ``skip`` counts (grade's own output folder, when it lies inside an input folder)."""
    found: dict[tuple[str, str], Submission] = {}
    unplaced = []
    for item in inputs:
        item = Path(item)
        unpacked = item.suffix == ".zip"
        root = _unpack(item, unpack_dir) if unpacked else item
        if root.is_file():
            files, root = [root], root.parent
        else:
            files = sorted(p for p in root.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
                           and (unpacked or not skip or Path(skip).resolve() not in p.resolve().parents))
        for path in files:
            placed = _place(path.relative_to(root), assignments)
            if placed is None:
                unplaced.append(str(path))
                continue
            learner, assignment_id, notebook = placed
            submission = found.setdefault((learner, assignment_id), Submission(learner, assignment_id))
            if notebook in submission.notebooks:
                unplaced.append(f"{path} (a second {notebook} from {learner}; graded {submission.notebooks[notebook]})")
                continue
            submission.notebooks[notebook] = path
            if _is_nbgrader_tree(path.relative_to(root), assignments):
                submission.extra_files = sorted(p for p in path.parent.rglob("*") if p.is_file() and p.suffix != ".ipynb")
    return sorted(found.values(), key=lambda s: (s.learner, s.assignment)), unplaced


def _is_nbgrader_tree(relative: Path, assignments: dict[str, Assignment]) -> bool:
    return len(relative.parts) >= 3 and relative.parts[-2] in assignments and relative.stem in assignments[relative.parts[-2]].notebooks


def _place(relative: Path, assignments: dict[str, Assignment]) -> tuple[str, str, str] | None:
    """(learner, assignment, notebook) for a submitted file, by the rules in this module's docstring."""
    owner = {nb: a.id for a in assignments.values() for nb in a.notebooks}
    if _is_nbgrader_tree(relative, assignments):
        return relative.parts[-3], relative.parts[-2], relative.stem
    for notebook in sorted(owner, key=len, reverse=True):  # the longest id wins: "02_cnn_aug" over "aug"
        match = re.fullmatch(rf"(.+?)[_-]{re.escape(notebook)}", relative.stem)
        if match:
            return match.group(1), owner[notebook], notebook
    if relative.stem in owner and len(relative.parts) >= 2:
        return relative.parts[-2], owner[relative.stem], relative.stem
    if len(owner) == 1 and relative.stem not in owner:
        (notebook, assignment_id), = owner.items()
        return relative.stem, assignment_id, notebook
    return None


def _unpack(archive: Path, unpack_dir: Path) -> Path:
    """Extract a zip (an LMS download) into its own folder, refusing paths that would leave it."""
    target = unpack_dir / archive.stem
    if target.exists():  # a newer download of the same zip replaces the older one entirely
        shutil.rmtree(target)
    target.mkdir(parents=True)
    with zipfile.ZipFile(archive) as zipped:
        for member in zipped.infolist():
            destination = (target / member.filename).resolve()
            if target.resolve() not in destination.parents or member.is_dir() or "__MACOSX" in member.filename:
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(zipped.read(member))
    return target
