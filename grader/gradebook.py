"""Every read and write of nbgrader's gradebook the grader does, in one place.

``grade`` keeps one course directory with one gradebook under ``--out`` (``course/``): the instructor's
``nbgrader formgrader`` and ``nbgrader export`` work on it, and only ``grade``'s own process writes it.
Each worker autogrades with stock nbgrader in a course folder of its own, with a gradebook of its own
in which each assignment is registered once (so that parallel workers never write to one SQLite file
at once); the scores it returns are merged into the course's gradebook here.
"""

import functools
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import nbgrader.api
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import GenerateAssignment
from nbgrader.coursedir import CourseDirectory
from nbgrader.dbutil import ALEMBIC_DIR
from sqlalchemy.exc import SAWarning
from traitlets.config import Config

from grader.build import nbgrader_config


@functools.cache
def alembic_head() -> str:
    """The revision of nbgrader's database migrations, which nbgrader stamps every new gradebook with.
    Stock nbgrader asks a subprocess for it (``alembic heads``) each time it creates a gradebook: a
    Python start that imports alembic and SQLAlchemy, 4 to 13 seconds on 2 busy cores, and a
    grading run creates one gradebook for its course and one per worker. Read here once per
    process, with alembic's own API from nbgrader's own migration scripts (also no need for the
    ``alembic`` command on PATH)."""
    config = AlembicConfig()
    config.set_main_option("script_location", ALEMBIC_DIR)
    return ScriptDirectory.from_config(config).get_current_head()


nbgrader.api.get_alembic_version = alembic_head  # what nbgrader's Gradebook calls when it creates a database


@contextmanager
def quiet_sqlalchemy():
    """nbgrader's add_submission builds a submission's rows through relationships before it adds them
    to the session, and SQLAlchemy 2 warns "... not in session" on the autoflush in between. The rows
    are added right after (every grade reads back), so on every run this warning is noise."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Object of type <Submitted\w+> not in session", category=SAWarning)
        yield


@dataclass
class Score:
    notebook: str
    grade_id: str
    auto_score: float | None
    max_score: float
    needs_manual_grade: bool


def db_url(course_root: Path) -> str:
    return f"sqlite:///{Path(course_root).resolve() / 'gradebook.db'}"


def course_directory(course_root: Path, config: Config | None = None) -> CourseDirectory:
    return CourseDirectory(config=config or Config(), root=str(Path(course_root).resolve()), db_url=db_url(course_root))


def register_assignment(course_root: Path, assignment_id: str) -> None:
    """Record an assignment's source cells (ids, points, checksums, hidden tests) in the gradebook and
    release it, exactly as ``nbgrader generate_assignment`` does."""
    coursedir = course_directory(course_root, nbgrader_config())
    coursedir.assignment_id = assignment_id
    converter = GenerateAssignment(coursedir=coursedir, config=nbgrader_config())
    converter.force = True  # the source may have changed since the last run
    converter.start()


def remove_submission(course_root: Path, learner: str, assignment_id: str) -> None:
    """Forget a learner's submission (a worker's gradebook, once its scores have been read)."""
    with quiet_sqlalchemy(), Gradebook(db_url(course_root)) as gb:
        try:
            gb.remove_submission(assignment_id, learner)
        except MissingEntry:
            pass


def locked_sources(url: str, notebook: str, assignment_id: str) -> dict[str, str]:
    """grade id → the source the gradebook holds for each locked cell (test cells with their hidden tests)."""
    with Gradebook(url) as gb:
        return {cell.name: cell.source for cell in gb.find_notebook(notebook, assignment_id).source_cells if cell.locked}


def read_scores(course_root: Path, learner: str, assignment_id: str) -> dict[tuple[str, str], Score]:
    """One learner's scores for one assignment, keyed by (notebook, grade id)."""
    with Gradebook(db_url(course_root)) as gb:
        submission = gb.find_submission(assignment_id, learner)
        return {(nb.name, grade.name): Score(nb.name, grade.name, grade.auto_score, grade.max_score, grade.needs_manual_grade)
                for nb in submission.notebooks for grade in nb.grades}


def merge_scores(course_root: Path, learner: str, assignment_id: str, scores: list[Score]) -> None:
    """Write a scratch course's scores into the course's gradebook, so formgrader and export see them."""
    with quiet_sqlalchemy(), Gradebook(db_url(course_root)) as gb:
        gb.update_or_create_student(learner)
        gb.update_or_create_submission(assignment_id, learner)
        for score in scores:
            grade = gb.find_grade(score.grade_id, score.notebook, assignment_id, learner)
            grade.auto_score, grade.needs_manual_grade = score.auto_score, score.needs_manual_grade
        gb.db.commit()


def add_learners(course_root: Path, learners) -> None:
    """Put a roster's learners (``grader.roster.Learner``) into the course's gradebook, names and all:
    Formgrader, the feedback pages and ``nbgrader export`` read them there."""
    with quiet_sqlalchemy(), Gradebook(db_url(course_root)) as gb:
        for learner in learners:
            gb.update_or_create_student(learner.id, first_name=learner.first_name or None, last_name=learner.last_name or None,
                                        email=learner.email or None, lms_user_id=learner.lms_user_id or None)


def learner_names(course_root: Path) -> dict[str, str]:
    """learner id → "First Last", for the learners whose gradebook entry has a name."""
    with Gradebook(db_url(course_root)) as gb:
        return {student.id: " ".join(part for part in (student.first_name, student.last_name) if part)
                for student in gb.students if student.first_name or student.last_name}


def has_submission(course_root: Path, learner: str, assignment_id: str) -> bool:
    with Gradebook(db_url(course_root)) as gb:
        try:
            gb.find_submission(assignment_id, learner)
        except MissingEntry:
            return False
        return True


def set_lateness(course_root: Path, learner: str, assignment_id: str, submitted: datetime, penalty: float) -> None:
    """A submission's time and its late penalty (on its first notebook: nbgrader adds the notebooks'
    penalties up), as nbgrader's own AssignLatePenalties leaves them; the exports subtract it."""
    with quiet_sqlalchemy(), Gradebook(db_url(course_root)) as gb:
        submission = gb.find_submission(assignment_id, learner)
        submission.timestamp = submitted.astimezone(timezone.utc).replace(tzinfo=None)
        for index, notebook in enumerate(sorted(submission.notebooks, key=lambda nb: nb.name)):
            notebook.late_submission_penalty = penalty if index == 0 else 0.0
        gb.db.commit()
