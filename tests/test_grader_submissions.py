"""Which learner submitted which notebook: the naming rule of ``grade`` (see grader.submissions)."""

import zipfile
from pathlib import Path

from grader.course import Assignment
from grader.submissions import find_submissions

ONE = {"01_raw_pixels": Assignment("01_raw_pixels", ("01_raw_pixels",), ())}
TWO = {**ONE, "02_features": Assignment("02_features", ("02_features",), ())}
NBGRADER = {"ps1": Assignment("ps1", ("problem1", "problem2"), ())}


def _touch(root: Path, *names: str) -> None:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("{}")


def _placed(submissions):
    return {(s.learner, s.assignment, notebook) for s in submissions for notebook in s.notebooks}


def test_learner_underscore_notebook_names_the_learner_and_the_notebook(tmp_path):
    _touch(tmp_path, "alice_01_raw_pixels.ipynb", "bob-02_features.ipynb", "carol_1234_02_features.ipynb")
    submissions, unplaced = find_submissions([tmp_path], TWO, tmp_path / "unpacked")
    assert _placed(submissions) == {("alice", "01_raw_pixels", "01_raw_pixels"), ("bob", "02_features", "02_features"),
                                    ("carol_1234", "02_features", "02_features")}
    assert unplaced == []


def test_a_bare_learner_name_is_enough_when_the_course_has_one_notebook(tmp_path):
    _touch(tmp_path, "alice.ipynb", "dave/01_raw_pixels.ipynb")
    submissions, _ = find_submissions([tmp_path], ONE, tmp_path / "unpacked")
    assert _placed(submissions) == {("alice", "01_raw_pixels", "01_raw_pixels"), ("dave", "01_raw_pixels", "01_raw_pixels")}


def test_a_file_no_rule_places_is_reported_not_guessed(tmp_path):
    _touch(tmp_path, "alice.ipynb", "bob_01_raw_pixels.ipynb", "bob/01_raw_pixels.ipynb")
    submissions, unplaced = find_submissions([tmp_path], TWO, tmp_path / "unpacked")
    assert _placed(submissions) == {("bob", "01_raw_pixels", "01_raw_pixels")}
    assert any(p.endswith("alice.ipynb") for p in unplaced), "two notebooks in the course: which one is alice.ipynb?"
    assert any("a second 01_raw_pixels from bob" in p for p in unplaced)


def test_an_nbgrader_submitted_tree_keeps_its_other_files(tmp_path):
    _touch(tmp_path / "submitted", "ann/ps1/problem1.ipynb", "ann/ps1/problem2.ipynb", "ann/ps1/timestamp.txt", "ben/ps1/problem1.ipynb")
    submissions, unplaced = find_submissions([tmp_path / "submitted"], NBGRADER, tmp_path / "unpacked")
    assert _placed(submissions) == {("ann", "ps1", "problem1"), ("ann", "ps1", "problem2"), ("ben", "ps1", "problem1")}
    assert [p.name for p in submissions[0].extra_files] == ["timestamp.txt"] and unplaced == []


def test_a_zip_is_unpacked_without_letting_its_paths_escape(tmp_path):
    archive = tmp_path / "lms.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("alice_01_raw_pixels.ipynb", "{}")
        zipped.writestr("__MACOSX/._alice_01_raw_pixels.ipynb", "")
        zipped.writestr("../escaped_01_raw_pixels.ipynb", "{}")
    submissions, unplaced = find_submissions([archive], ONE, tmp_path / "unpacked")
    assert _placed(submissions) == {("alice", "01_raw_pixels", "01_raw_pixels")}
    assert not (tmp_path / "escaped_01_raw_pixels.ipynb").exists() and unplaced == []


def test_the_graders_own_output_folder_is_not_read_as_submissions(tmp_path):
    _touch(tmp_path, "alice_01_raw_pixels.ipynb", "graded/work/01_raw_pixels/alice/submitted/alice/01_raw_pixels/01_raw_pixels.ipynb")
    archive = tmp_path / "lms.zip"
    with zipfile.ZipFile(archive, "w") as zipped:  # unpacked into the output folder, and read from there
        zipped.writestr("bob_01_raw_pixels.ipynb", "{}")
    submissions, unplaced = find_submissions([tmp_path, archive], ONE, tmp_path / "graded" / "incoming", skip=tmp_path / "graded")
    assert _placed(submissions) == {("alice", "01_raw_pixels", "01_raw_pixels"), ("bob", "01_raw_pixels", "01_raw_pixels")}
    assert unplaced == []
