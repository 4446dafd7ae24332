"""The class list in, the LMS's import files out: ``grader.roster`` and ``grader.export`` on files and a
gradebook made here (no kernel). The whole path, grading included, is in tests/test_grader_grade.py."""

import csv

import pytest
from nbgrader.api import Gradebook

from grader.export import export
from grader.gradebook import add_learners, db_url, learner_names, quiet_sqlalchemy
from grader.roster import Learner, read_roster
from practicum.errors import CourseError


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_a_roster_takes_the_words_an_lms_uses_and_a_byte_order_mark(tmp_path):
    roster = _write(tmp_path / "roster.csv", "\ufeffFirst name,Surname,Username,Email address,ID number\n"
                                              "Ada,Lovelace,ada,ada@example.org,1234\n\nAlan,Turing,alan,,\n")
    assert read_roster(roster) == {"ada": Learner("ada", "Ada", "Lovelace", "ada@example.org", "1234"),
                                   "alan": Learner("alan", "Alan", "Turing")}
    assert read_roster(roster)["ada"].name == "Ada Lovelace" and Learner("bob").name == "bob"


def test_bad_rows_are_named_one_line_each_and_nothing_is_graded(tmp_path):
    roster = _write(tmp_path / "roster.csv", "id,first_name\nada,Ada\n,Nobody\nal ice,Alice\nada,Again\n")
    with pytest.raises(CourseError) as error:
        read_roster(roster)
    lines = str(error.value).splitlines()
    assert lines == [f"{roster} row 3: no learner id",
                     f"{roster} row 4: learner id 'al ice' is not allowed (letters, digits, '.', '_', '-', '@')",
                     f"{roster} row 5: learner id 'ada' is on an earlier row too",
                     "fix these rows (or remove them) and run again: nothing was graded"]
    with pytest.raises(CourseError, match="no learner id column"):
        read_roster(_write(tmp_path / "names.csv", "first name,last name\nAda,Lovelace\n"))


@pytest.fixture
def course(tmp_path):
    """A gradebook with two assignments, three learners (one without a submission), scores and names."""
    with Gradebook(db_url(tmp_path)) as gb:
        for assignment, points in (("01_raw_pixels", 10), ("02_engineered_features", 6)):
            gb.add_assignment(assignment)
            gb.add_notebook(assignment, assignment)
            gb.add_grade_cell("test_it", assignment, assignment, max_score=points, cell_type="code")
    add_learners(tmp_path, [Learner("ada", "Ada", "Lovelace", "ada@example.org", "1234"), Learner("alan", "Alan", "Turing"),
                            Learner("grace", "Grace", "Hopper", "grace@example.org", "99")])
    with quiet_sqlalchemy(), Gradebook(db_url(tmp_path)) as gb:
        for learner, assignment, score in (("ada", "01_raw_pixels", 9), ("ada", "02_engineered_features", 6), ("alan", "01_raw_pixels", 4)):
            gb.add_submission(assignment, learner)
            gb.find_grade("test_it", assignment, assignment, learner).auto_score = score
        gb.db.commit()
    return tmp_path


def _table(path):
    with open(path, newline="", encoding="utf-8") as stream:
        return list(csv.reader(stream))


def test_canvas_gets_its_import_columns_a_points_possible_row_and_a_column_per_assignment(course, tmp_path):
    # Canvas's documented import format: Student, ID, SIS User ID, SIS Login ID, Section, one column per assignment,
    # and a "Points Possible" row under the header
    assert _table(export(course, "canvas", tmp_path / "canvas.csv")) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "01_raw_pixels", "02_engineered_features"],
        ["    Points Possible", "", "", "", "", "10", "6"],
        ["Lovelace, Ada", "1234", "", "ada", "", "9", "6"],
        ["Turing, Alan", "", "", "alan", "", "4", ""],
        ["Hopper, Grace", "99", "", "grace", "", "", ""]]
    assert learner_names(course) == {"ada": "Ada Lovelace", "alan": "Alan Turing", "grace": "Grace Hopper"}


def test_moodle_gets_its_identifiers_and_a_column_per_assignment(course, tmp_path):
    # Moodle's CSV grade import: an identifier column (username, email or ID number) and one column per grade item
    assert _table(export(course, "moodle", tmp_path / "moodle.csv")) == [
        ["Username", "Email address", "ID number", "01_raw_pixels", "02_engineered_features"],
        ["ada", "ada@example.org", "1234", "9", "6"], ["alan", "", "", "4", ""], ["grace", "grace@example.org", "99", "", ""]]


def test_the_csv_export_is_nbgraders_own(course, tmp_path):
    table = _table(export(course, "csv", tmp_path / "grades.csv"))
    assert table[0][:4] == ["assignment", "duedate", "timestamp", "student_id"] and len(table) == 1 + 2 * 3
