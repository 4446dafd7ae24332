"""Give a submission back the graded cells its learner deleted or stripped, before nbgrader grades it.

nbgrader finds graded cells by the ``grade_id`` in their metadata. A deleted test cell then scores 0
and is quietly flagged for manual grading, and a cell whose metadata was stripped (some editors and
notebook converters do that) crashes ``OverwriteCells.add_missing_cells`` with a KeyError (measured:
``KeyError: 'scale_pixels'``, the grade id of the graded cell before it; reported as ``'normalize'``)
or escapes grading. ``RestoreCells`` runs just before ``OverwriteCells`` and matches every graded cell
of the released notebook to a submitted one: by grade id, else by unchanged source, else by position
and cell type. It re-attaches the metadata of a matched cell and puts back a missing one from the
release (an answer comes back as the unanswered stub); ``OverwriteCells`` then restores test cells'
hidden tests from the gradebook. What was matched how goes into the notebook's metadata under
``MATCH_KEY`` for the feedback.

A locked cell the learner left exactly as released gets its full source (hidden tests included) from
the gradebook here, which is what ``OverwriteCells`` would put back anyway; ``OverwriteCells`` then
warns "checksum ... has changed" only for a read-only cell the learner really edited, instead of for
every test cell with hidden tests in every submission.
"""

import copy

from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from grader import gradebook
from grader.build import released_source

MATCH_KEY = "practicum_grader"
BY_ID = "grade id"
BY_SOURCE = "found by its unchanged text (its nbgrader metadata was missing)"
BY_POSITION = "found by its position (its nbgrader metadata was missing)"
RESTORED = "missing, put back from the exercise"


def _grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _same_source(cell, reference) -> bool:
    return cell.source.strip() == reference.source.strip()


_GRADING_KEYS = ("grade", "solution", "locked", "points", "task")


def prepared(nb, released):
    """The submission as nbgrader can grade it, before nbgrader reads it: nbgrader metadata it could
    not read removed (it would refuse the whole notebook; such a cell is then matched like one whose
    metadata was stripped), the graded cells' metadata as released and one cell per grade id
    (``_repair``). What was found is kept under MATCH_KEY for a person to look at; nothing the
    learner put there survives."""
    validator = MetadataValidator()
    removed = []
    for index, cell in enumerate(nb.cells):
        if "nbgrader" not in cell.metadata:
            continue
        try:
            validator.validate_cell(cell)
        except Exception:  # noqa: BLE001 — nbgrader raises several kinds; any of them makes the cell unreadable to it
            removed.append(f"{_grade_id(cell) or f'cell {index + 1}'}: its nbgrader metadata was unreadable and was removed")
            del cell.metadata["nbgrader"]
    tracked = [cell for cell in released.cells if _grade_id(cell)]
    nb.metadata[MATCH_KEY] = {"suspicious": removed + _suspicious(nb, tracked)}
    _repair(nb, tracked)
    return nb


def _suspicious(nb, released_cells) -> list[str]:
    """What the learner did to the graded cells that nbgrader quietly undoes: a locked cell edited,
    a cell's grading metadata changed, a grade id claimed twice. The grade is computed all the same
    (from the instructor's cells); a person should know."""
    released = {_grade_id(cell): cell for cell in released_cells}
    found, seen = [], set()
    for cell in nb.cells:
        grade_id = _grade_id(cell)
        if grade_id is None:
            continue
        if grade_id in seen:
            found.append(f"{grade_id}: two cells carry this grade id")
        seen.add(grade_id)
        reference = released.get(grade_id)
        if reference is None:
            found.append(f"{grade_id}: a graded cell that is not in the exercise")
            continue
        meta, original = cell.metadata.nbgrader, reference.metadata.nbgrader
        if any(meta.get(key) != original.get(key) for key in _GRADING_KEYS):
            found.append(f"{grade_id}: its grading metadata was changed")
        elif original.get("locked") and not original.get("solution") and not _same_source(cell, reference):
            found.append(f"{grade_id}: the locked cell was edited (the exercise's version was graded)")
    return list(dict.fromkeys(found))


def _repair(nb, released_cells) -> None:
    """Undo what ``_suspicious`` found, so that nbgrader grades the instructor's cells: grading
    metadata as released, one cell per grade id (the one that still reads as released, else the
    first), and no grade id the exercise does not have."""
    released = {_grade_id(cell): cell for cell in released_cells}
    claims: dict[str, list] = {}
    for cell in nb.cells:
        grade_id = _grade_id(cell)
        if grade_id is not None:
            claims.setdefault(grade_id, []).append(cell)
    for grade_id, cells in claims.items():
        reference = released.get(grade_id)
        keeper = None if reference is None else next((c for c in cells if _same_source(c, reference)), cells[0])
        for cell in cells:
            if cell is not keeper:
                del cell.metadata["nbgrader"]  # just the learner's code now
        if keeper is not None:
            keeper.metadata["nbgrader"] = copy.deepcopy(reference.metadata["nbgrader"])


class RestoreCells(NbGraderPreprocessor):
    source_directory = Unicode(help="The course's source folder: <source_directory>/<assignment>/<notebook>.ipynb").tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        released = released_source(f"{self.source_directory}/{info['assignment']}/{info['notebook']}.ipynb")
        tracked = [(index, cell) for index, cell in enumerate(released.cells) if _grade_id(cell)]
        placed = {_grade_id(cell): index for index, cell in enumerate(nb.cells) if _grade_id(cell)}
        unclaimed = [index for index, cell in enumerate(nb.cells) if not _grade_id(cell)]
        how = {}
        for position, reference in tracked:
            grade_id = _grade_id(reference)
            if grade_id in placed:
                how[grade_id] = BY_ID
                continue
            index = self._match(nb, reference, position, unclaimed)
            if index is not None:
                how[grade_id] = BY_SOURCE if _same_source(nb.cells[index], reference) else BY_POSITION
                nb.cells[index].metadata["nbgrader"] = copy.deepcopy(reference.metadata["nbgrader"])
                unclaimed.remove(index)
                placed[grade_id] = index
            elif reference.metadata.nbgrader.get("grade") or reference.metadata.nbgrader.get("solution"):
                how[grade_id] = RESTORED
                self._insert(nb, copy.deepcopy(reference), after=self._previous_placed(tracked, position, placed))
                placed = {_grade_id(cell): index for index, cell in enumerate(nb.cells) if _grade_id(cell)}
                unclaimed = [index for index, cell in enumerate(nb.cells) if not _grade_id(cell)]
        released_sources = {_grade_id(cell): cell.source for _, cell in tracked}
        for grade_id, full_source in gradebook.locked_sources(info["db_url"], info["notebook"], info["assignment"]).items():
            cell = nb.cells[placed[grade_id]] if grade_id in placed else None
            if cell is not None and cell.source == released_sources.get(grade_id):
                cell.source = full_source
        nb.metadata[MATCH_KEY] = {"matched": how, "suspicious": nb.metadata.get(MATCH_KEY, {}).get("suspicious", [])}
        return nb, resources

    @staticmethod
    def _match(nb, reference, position, unclaimed) -> int | None:
        same_type = [i for i in unclaimed if nb.cells[i].cell_type == reference.cell_type]
        by_source = [i for i in same_type if _same_source(nb.cells[i], reference)]
        if by_source:
            return by_source[0]
        return position if position in same_type else None

    @staticmethod
    def _previous_placed(tracked, position, placed) -> int:
        """Where the last graded cell before this one sits in the submission (-1: at the top)."""
        earlier = [placed[_grade_id(cell)] for index, cell in tracked if index < position and _grade_id(cell) in placed]
        return max(earlier, default=-1)

    @staticmethod
    def _insert(nb, cell, after: int) -> None:
        ids = {c.get("id") for c in nb.cells}
        while cell.get("id") in ids:
            cell.id = f"{cell.id}-restored"
        nb.cells.insert(after + 1, cell)
