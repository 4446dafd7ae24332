"""Which learner submitted which notebook: the one place where a class's files enter the grader.

Everything here runs with the instructor's rights on files the learners made, so every file is
hostile until checked (``grader.files``). The rules, written down for instructors in docs/grading.md
("What a submission may be"):

1. **Regular files only.** A notebook or a file handed in beside it that is a symbolic link (to a
   file or a folder), a named pipe, a socket or a device is refused: never followed, never opened for
   reading. So is a file over its size cap (``MAX_NOTEBOOK_BYTES``, ``MAX_EXTRA_BYTES``,
   ``MAX_SUBMISSION_BYTES``).
2. **Who it is.** A notebook directly in an input folder (or at the top of a zip) is named by its
   file name: ``<learner>_<notebook>.ipynb`` or ``<learner>-<notebook>.ipynb`` (everything before a
   known notebook id names the learner: an LMS's ``alice_1234_01_raw_pixels.ipynb`` is ``alice_1234``),
   or ``<learner>.ipynb`` when the course has a single notebook. A notebook in a folder below it
   belongs to that first folder, the learner's: ``<learner>/<assignment>/<notebook>.ipynb`` is
   nbgrader's ``submitted/`` layout (the other files there are handed in with it),
   ``<learner>/<notebook>.ipynb`` a folder per learner (in a course of one notebook, any name; the file
   named as the notebook wins over a copy or an ``Untitled``). The folder wins over the file name: a
   notebook in one learner's folder whose name claims another learner is graded for neither.
3. **Learner ids** are letters, digits, ``.``, ``_``, ``-`` and ``@``, begin with a letter or digit
   and have at most ``MAX_ID_LENGTH`` characters: an id is a folder name in the course.
4. **A zip** is unpacked into a folder of its own: no member may leave it, links and members over
   the caps are left out, and a zip whose files all lie in one folder is read from inside it.

A file that breaks a rule costs its learner that notebook (error rows, with the reason) or, for a
file beside the notebooks, is left out and the rows say so; one that no rule places, or whose learner
id breaks rule 3, is listed as not graded with the reason. Nothing is guessed, nothing crashes the
batch. Pass nbgrader's ``submitted/`` folder itself, not the course folder around it.
"""

import os
import re
import stat
import time
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from nbgrader.utils import parse_utc

from grader.course import Assignment
from grader.files import Refused, entry_of, kind_of, read_regular, remove_tree, size_text, walk

#: The largest notebook file that is graded.
MAX_NOTEBOOK_BYTES = 50 * 2**20
#: The largest file handed in beside the notebooks, and all of them together.
MAX_EXTRA_BYTES = 50 * 2**20
MAX_SUBMISSION_BYTES = 200 * 2**20
#: What a zip of submissions may unpack to, in all.
MAX_ARCHIVE_BYTES = 8 * 2**30
MAX_ID_LENGTH = 100
LEARNER_ID = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._@-]{{0,{MAX_ID_LENGTH - 1}}}")
CHECKPOINTS = ".ipynb_checkpoints"


@dataclass
class Submission:
    learner: str
    assignment: str
    notebooks: dict[str, Path] = field(default_factory=dict)  # notebook id → submitted file
    refused: dict[str, str] = field(default_factory=dict)  # notebook id → why its file is not graded
    extra_files: list[Path] = field(default_factory=list)  # other files of an nbgrader tree (images, data)
    guessed: set[str] = field(default_factory=set, repr=False)  # notebooks whose file's name is not the notebook's

    def submitted_at(self) -> tuple[datetime | None, str]:
        """When it was handed in, and how that is known: nbgrader's ``timestamp.txt`` among the files
        beside the notebooks, else the time its newest notebook file was written."""
        stamp = next((path for path in self.extra_files if path.name == "timestamp.txt"), None)
        if stamp is not None:
            try:
                return parse_utc(read_regular(stamp, 1000).decode().strip()).replace(tzinfo=timezone.utc), "timestamp.txt"
            except (Refused, ValueError, OverflowError, UnicodeDecodeError):
                pass
        times = [path.lstat().st_mtime for path in self.notebooks.values() if path.exists()]
        return (datetime.fromtimestamp(max(times), tz=timezone.utc), "file time") if times else (None, "")

    def notebook_bytes(self) -> tuple[list[tuple[str, bytes]], dict[str, str]]:
        """(notebook id, bytes) of every notebook that can be read, and notebook id → why not for the others."""
        readable, refused = [], dict(self.refused)
        for notebook, path in sorted(self.notebooks.items()):
            try:
                readable.append((notebook, read_regular(path, MAX_NOTEBOOK_BYTES)))
            except Refused as why:
                refused[notebook] = _refusal(path.name, str(why))
        return readable, refused

    def extra_bytes(self) -> tuple[list[tuple[str, bytes]], list[str]]:
        """(name, bytes) of the files handed in beside the notebooks that can be read, and "name: why"
        for those left out (links, pipes, over the caps)."""
        kept, left_out, total = [], [], 0
        for path in self.extra_files:
            try:
                contents = read_regular(path, MAX_EXTRA_BYTES)
            except Refused as why:
                left_out.append(f"{path.name}: {why}")
                continue
            total += len(contents)
            if total > MAX_SUBMISSION_BYTES:
                left_out.append(f"{path.name}: the files beside the notebooks come to more than {MAX_SUBMISSION_BYTES // 2**20} MB")
                continue
            kept.append((path.name, contents))
        return kept, left_out


def find_submissions(inputs: list[Path], assignments: dict[str, Assignment], unpack_dir: Path,
                     skip: Path | None = None) -> tuple[list[Submission], list[str]]:
    """Every (learner, assignment) submission in ``inputs``, and one line for each file that is not
    graded ("path: why"). Nothing under ``skip`` counts (grade's own output folder, when it lies
    inside an input folder)."""
    found: dict[tuple[str, str], Submission] = {}
    unplaced: list[str] = []
    for item in map(Path, inputs):
        if item.suffix == ".zip":
            root = _unpack(item, unpack_dir, unplaced)
            entries = walk(root) if root is not None else []
        elif item.is_dir() and not item.is_symlink():
            entries = walk(item, exclude=Path(skip) if skip else None)
        else:  # one file: a link or a pipe given by name is refused like any other
            single = entry_of(item)
            entries = [single] if single is not None and single.kind != "a folder" else []
            if not entries:
                unplaced.append(f"{item}: nothing to read there")
        entries = [entry for entry in entries if CHECKPOINTS not in entry.relative.parts]
        for entry in entries:
            if entry.relative.suffix == ".ipynb":
                _add_notebook(entry, assignments, found, unplaced)
        for entry in entries:  # the other files: those of nbgrader trees go with their notebooks; links are named
            if entry.relative.suffix == ".ipynb":
                continue
            tree = _nbgrader_tree(entry.relative, assignments)
            if tree in found:
                found[tree].extra_files.append(entry.path)
            elif entry.kind:
                unplaced.append(f"{entry.path}: {entry.kind}, not read")
    return sorted(found.values(), key=lambda s: (s.learner, s.assignment)), unplaced


def _add_notebook(entry, assignments: dict[str, Assignment], found: dict, unplaced: list[str]) -> None:
    placed = _place(entry.relative, assignments)
    if isinstance(placed, str):
        unplaced.append(f"{entry.path}: {placed}")
        return
    learner, assignment_id, notebook, named = placed
    submission = found.setdefault((learner, assignment_id), Submission(learner, assignment_id))
    if notebook in submission.notebooks or notebook in submission.refused:
        if named and notebook in submission.guessed:  # 01_raw_pixels.ipynb over 01_raw_pixels-Copy1.ipynb or Untitled.ipynb
            unplaced.append(f"{submission.notebooks.pop(notebook, None) or submission.refused.pop(notebook)}: a second {notebook} "
                            f"from {learner} (graded: {entry.path}, named as the notebook); remove one")
            submission.guessed.discard(notebook)
        else:
            first = submission.notebooks.get(notebook, "a file that was refused")
            unplaced.append(f"{entry.path}: a second {notebook} from {learner} (graded: {first}); remove one")
            return
    if not named:
        submission.guessed.add(notebook)
    if entry.kind:
        submission.refused[notebook] = _refusal(entry.relative.name, f"{entry.kind}, not a file")
    elif entry.size > MAX_NOTEBOOK_BYTES:
        submission.refused[notebook] = _refusal(entry.relative.name, f"too large ({size_text(entry.size)}; at most {size_text(MAX_NOTEBOOK_BYTES)})")
    else:
        submission.notebooks[notebook] = entry.path


def _refusal(name: str, why: str) -> str:
    """The reason a submitted notebook is not graded, with what to do about it."""
    return f"{name}: {why}: " + ("clear its outputs and hand it in again" if why.startswith("too large") else "hand in the notebook itself")


def _nbgrader_tree(relative: Path, assignments: dict[str, Assignment]) -> tuple[str, str] | None:
    """(learner, assignment) when ``relative`` lies in nbgrader's ``<learner>/<assignment>/`` layout."""
    if len(relative.parts) >= 3 and relative.parts[1] in assignments and LEARNER_ID.fullmatch(relative.parts[0]):
        return relative.parts[0], relative.parts[1]
    return None


def _place(relative: Path, assignments: dict[str, Assignment]) -> tuple[str, str, str, bool] | str:
    """(learner, assignment, notebook, whether the file is named as the notebook) for a submitted
    notebook, by the rules in this module's docstring; or why it is not graded."""
    owner = {nb: a.id for a in assignments.values() for nb in a.notebooks}
    claimed, notebook = _claim(relative.stem, owner)
    named = notebook is not None
    if len(relative.parts) == 1:  # directly in the input folder: the file name says who
        if claimed is None and notebook is None and len(owner) == 1 and relative.stem not in owner:
            (notebook,) = owner  # <learner>.ipynb, the course's single notebook
            claimed = relative.stem
        if claimed is None or notebook is None:
            return "no naming rule places it (name it <learner>_<notebook>.ipynb; see docs/grading.md)"
        learner = claimed
    else:  # in a learner's folder: the folder says who
        learner = relative.parts[0]
        if claimed is not None and claimed != learner:
            return f"it lies in {learner}'s folder but its name claims learner {claimed}: graded for neither (rename it {notebook}.ipynb)"
        if notebook is None and len(owner) == 1:
            (notebook,) = owner
        if notebook is None:
            return "no naming rule places it (name it <notebook>.ipynb in the learner's folder; see docs/grading.md)"
    if not LEARNER_ID.fullmatch(learner):
        return (f"learner id {learner!r} is not allowed (letters, digits, '.', '_', '-', '@', starting with a letter or "
                f"digit, at most {MAX_ID_LENGTH}): rename it")
    tree = _nbgrader_tree(relative, assignments)
    if tree and len(relative.parts) == 3:  # nbgrader's layout names the assignment (two may have notebooks of one name)
        if notebook not in assignments[tree[1]].notebooks:
            return f"not a notebook of {tree[1]} ({', '.join(assignments[tree[1]].notebooks)})"
        return learner, tree[1], notebook, named
    return learner, owner[notebook], notebook, named


def _claim(stem: str, owner: dict[str, str]) -> tuple[str | None, str | None]:
    """(learner the name claims, notebook id) of a file's stem: ``<learner>_<notebook>`` → both,
    ``<notebook>`` → (None, notebook), anything else → (None, None)."""
    if stem in owner:
        return None, stem
    for notebook in sorted(owner, key=len, reverse=True):  # the longest id wins: "02_cnn_aug" over "aug"
        match = re.fullmatch(rf"(.+?)[_-]{re.escape(notebook)}", stem)
        if match:
            return match.group(1), notebook
    return None, None


def _unpack(archive: Path, unpack_dir: Path, unplaced: list[str]) -> Path | None:
    """Extract a zip (an LMS download) into a folder of its own; the folder to read submissions from,
    or None (with a line in ``unplaced``) when the zip cannot be read."""
    target = unpack_dir / archive.stem
    remove_tree(target)  # a newer download of the same zip replaces the older one entirely
    target.mkdir(parents=True)
    try:
        info = archive.lstat()
        if not stat.S_ISREG(info.st_mode):
            raise Refused(f"{kind_of(info.st_mode)}, not a file")
        with zipfile.ZipFile(archive) as zipped:
            total = 0
            for member in zipped.infolist():
                destination = (target / member.filename).resolve()
                if target.resolve() not in destination.parents or member.is_dir() or "__MACOSX" in member.filename:
                    continue
                if stat.S_ISLNK(member.external_attr >> 16):
                    unplaced.append(f"{archive}: {member.filename}: a symbolic link, not a file")
                    continue
                cap = MAX_NOTEBOOK_BYTES if member.filename.endswith(".ipynb") else MAX_EXTRA_BYTES
                total += member.file_size
                if member.file_size > cap or total > MAX_ARCHIVE_BYTES:
                    unplaced.append(f"{archive}: {member.filename}: too large ({size_text(member.file_size)} unpacked)")
                    continue
                destination.parent.mkdir(parents=True, exist_ok=True)
                with zipped.open(member) as stream:  # at most the size its header declares
                    destination.write_bytes(stream.read(cap + 1)[:cap])
                written = time.mktime((*member.date_time, 0, 0, -1))  # the time the LMS gave the file (local time)
                os.utime(destination, (written, written))
    except (Refused, OSError, zipfile.BadZipFile, EOFError) as error:
        unplaced.append(f"{archive}: not a zip that can be read ({error})")
        return None
    tops = list(target.iterdir())
    return tops[0] if len(tops) == 1 and tops[0].is_dir() and not tops[0].is_symlink() else target
