"""The class list: who the learners are, read from the CSV an LMS exports (``practicum grade --roster``).

A roster has a header row and one row per learner. The learner id (the name the grader gives each
submission, ``grader.submissions``) is required; names, email and the LMS's own user id are optional.
The header may use the words LMSes use: ``id``, ``learner``, ``student id``, ``username``, ``sis login
id`` for the id; ``first name``/``given name``; ``last name``/``surname``/``family name``;
``email``/``email address``; ``lms user id``/``canvas id``/``id number`` for the LMS's id. They go into
nbgrader's gradebook (``Student``: first and last name, email, ``lms_user_id``), where Formgrader, the
feedback pages and the exports read them. A roster with a bad row is refused before any grading,
with one line per bad row.
"""

import csv
from dataclasses import dataclass
from pathlib import Path

from grader.submissions import LEARNER_ID
from practicum.errors import CourseError

#: The columns a roster may have → the words of its header that name them (lower case, spaces for _ and -).
COLUMNS = {
    "id": ("id", "learner", "learner id", "student id", "username", "user", "login", "sis login id"),
    "first_name": ("first name", "first", "given name", "firstname"),
    "last_name": ("last name", "last", "surname", "family name", "lastname"),
    "email": ("email", "email address", "e mail"),
    "lms_user_id": ("lms user id", "lms id", "canvas id", "canvas user id", "id number", "idnumber"),
}


@dataclass(frozen=True)
class Learner:
    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    lms_user_id: str = ""

    @property
    def name(self) -> str:
        """"Ada Lovelace", or the id when the roster gives no name."""
        return " ".join(part for part in (self.first_name, self.last_name) if part) or self.id


def read_roster(path: Path) -> dict[str, Learner]:
    """id → Learner, in the roster's order. ``CourseError`` naming every bad row, and the fix."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as stream:  # an LMS's CSV may start with a byte-order mark
            rows = list(csv.reader(stream))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise CourseError(f"{path}: cannot be read as a CSV file ({error}); export the class list from your LMS as CSV") from None
    if not rows:
        raise CourseError(f"{path}: empty; a roster has a header row (id, first name, last name, email) and a row per learner")
    columns = _columns(rows[0], path)
    learners, problems = {}, []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = {field: (row[index].strip() if index < len(row) else "") for field, index in columns.items()}
        learner = Learner(**values)
        if not learner.id:
            problems.append(f"{path} row {number}: no learner id")
        elif not LEARNER_ID.fullmatch(learner.id):
            problems.append(f"{path} row {number}: learner id {learner.id!r} is not allowed (letters, digits, '.', '_', '-', '@')")
        elif learner.id in learners:
            problems.append(f"{path} row {number}: learner id {learner.id!r} is on an earlier row too")
        else:
            learners[learner.id] = learner
    if problems:
        raise CourseError("\n".join(problems) + "\nfix these rows (or remove them) and run again: nothing was graded")
    return learners


def _columns(header: list[str], path: Path) -> dict[str, int]:
    """field → its column, from the header's words."""
    words = [cell.strip().lower().replace("_", " ").replace("-", " ") for cell in header]
    found = {}
    for field, names in COLUMNS.items():
        index = next((i for i, word in enumerate(words) if word in names), None)
        if index is not None:
            found[field] = index
    if "id" not in found:
        raise CourseError(f"{path}: no learner id column in its header ({', '.join(header)}); name one 'id' "
                          f"(or one of: {', '.join(COLUMNS['id'][1:])})")
    return found
