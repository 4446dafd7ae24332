"""Which learner submitted which notebook, and which files the grader will read: the rules of
``grade`` (see grader.submissions), on files made here, with no kernel."""

import os
import stat
import zipfile
from pathlib import Path

from grader.course import Assignment
from grader.submissions import find_submissions

ONE = {"01_raw_pixels": Assignment("01_raw_pixels", ("01_raw_pixels",), ())}
TWO = {**ONE, "02_features": Assignment("02_features", ("02_features",), ())}
NBGRADER = {"ps1": Assignment("ps1", ("problem1", "problem2"), ()), "ps1_autotest": Assignment("ps1_autotest", ("problem1",), ())}


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
    _touch(tmp_path, "alice.ipynb", "dave/01_raw_pixels.ipynb", "erin/my work.ipynb")
    submissions, _ = find_submissions([tmp_path], ONE, tmp_path / "unpacked")
    assert _placed(submissions) == {("alice", "01_raw_pixels", "01_raw_pixels"), ("dave", "01_raw_pixels", "01_raw_pixels"),
                                    ("erin", "01_raw_pixels", "01_raw_pixels")}


def test_in_a_learners_folder_the_file_named_as_the_notebook_wins_over_a_copy(tmp_path):
    _touch(tmp_path, "dave/01_raw_pixels-Copy1.ipynb", "dave/01_raw_pixels.ipynb", "dave/Untitled.ipynb")
    (submission,), unplaced = find_submissions([tmp_path], ONE, tmp_path / "unpacked")
    assert submission.notebooks == {"01_raw_pixels": tmp_path / "dave" / "01_raw_pixels.ipynb"}
    assert sorted(line.split(":")[0] for line in unplaced) == [str(tmp_path / "dave" / "01_raw_pixels-Copy1.ipynb"),
                                                             str(tmp_path / "dave" / "Untitled.ipynb")]


def test_a_file_no_rule_places_is_reported_not_guessed(tmp_path):
    _touch(tmp_path, "alice.ipynb", "bob_01_raw_pixels.ipynb", "bob/01_raw_pixels.ipynb")
    submissions, unplaced = find_submissions([tmp_path], TWO, tmp_path / "unpacked")
    assert _placed(submissions) == {("bob", "01_raw_pixels", "01_raw_pixels")}
    assert any(p.startswith(f"{tmp_path / 'alice.ipynb'}: no naming rule") for p in unplaced), "two notebooks: which one is alice.ipynb?"
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


# --- hostile files: refused for their learner, never followed, never opened for reading -----------------------------

def test_links_pipes_and_files_over_the_cap_cost_their_learner_that_notebook(tmp_path, monkeypatch):
    _touch(tmp_path, "honest_01_raw_pixels.ipynb", "secret.txt")
    os.symlink(tmp_path / "honest_01_raw_pixels.ipynb", tmp_path / "copier_01_raw_pixels.ipynb")
    os.symlink("/dev/zero", tmp_path / "zero_01_raw_pixels.ipynb")
    os.mkfifo(tmp_path / "pipe_01_raw_pixels.ipynb")
    (tmp_path / "huge_01_raw_pixels.ipynb").write_text("{}" + " " * 100)
    monkeypatch.setattr("grader.submissions.MAX_NOTEBOOK_BYTES", 50)
    submissions, unplaced = find_submissions([tmp_path], ONE, tmp_path / "unpacked")
    by_learner = {s.learner: s for s in submissions}
    assert set(by_learner) == {"honest", "copier", "zero", "pipe", "huge"} and unplaced == []
    assert by_learner["honest"].notebook_bytes() == ([("01_raw_pixels", b"{}")], {})
    for learner, why in {"copier": "a symbolic link", "zero": "a symbolic link", "pipe": "a named pipe", "huge": "too large"}.items():
        readable, refused = by_learner[learner].notebook_bytes()
        assert readable == [] and why in refused["01_raw_pixels"], (learner, refused)


def test_a_file_swapped_for_a_link_after_it_was_found_is_refused_when_read(tmp_path):
    _touch(tmp_path, "alice_01_raw_pixels.ipynb")
    (submission,), _ = find_submissions([tmp_path], ONE, tmp_path / "unpacked")
    (tmp_path / "alice_01_raw_pixels.ipynb").unlink()
    os.symlink("/etc/hostname", tmp_path / "alice_01_raw_pixels.ipynb")
    readable, refused = submission.notebook_bytes()
    assert readable == [] and "a symbolic link" in refused["01_raw_pixels"]


def test_a_linked_folder_is_never_walked_into(tmp_path):
    _touch(tmp_path / "elsewhere", "01_raw_pixels.ipynb")
    (tmp_path / "in").mkdir()
    os.symlink(tmp_path / "elsewhere", tmp_path / "in" / "mallory")
    submissions, unplaced = find_submissions([tmp_path / "in"], ONE, tmp_path / "unpacked")
    assert submissions == [] and unplaced == [f"{tmp_path / 'in' / 'mallory'}: a symbolic link, not read"]


def test_the_folder_names_the_learner_and_a_name_that_claims_another_is_graded_for_neither(tmp_path):
    _touch(tmp_path, "zz_honest_01_raw_pixels.ipynb", "mallory/zz_honest_01_raw_pixels.ipynb", "mallory/zz_honest/01_raw_pixels.ipynb",
           "ann/ann_01_raw_pixels.ipynb")
    submissions, unplaced = find_submissions([tmp_path], ONE, tmp_path / "unpacked")
    placed = {(s.learner, notebook): path.relative_to(tmp_path) for s in submissions for notebook, path in s.notebooks.items()}
    assert placed == {("zz_honest", "01_raw_pixels"): Path("zz_honest_01_raw_pixels.ipynb"),
                      ("mallory", "01_raw_pixels"): Path("mallory/zz_honest/01_raw_pixels.ipynb"),
                      ("ann", "01_raw_pixels"): Path("ann/ann_01_raw_pixels.ipynb")}
    assert [line.split(": ", 1)[1] for line in unplaced] == [
        "it lies in mallory's folder but its name claims learner zz_honest: graded for neither (rename it 01_raw_pixels.ipynb)"]


def test_a_learner_id_outside_the_safe_alphabet_is_not_graded(tmp_path):
    _touch(tmp_path, ".._01_raw_pixels.ipynb", "al ice_01_raw_pixels.ipynb", "-rf_01_raw_pixels.ipynb", "ok.id@uni-x_01_raw_pixels.ipynb")
    submissions, unplaced = find_submissions([tmp_path], ONE, tmp_path / "unpacked")
    assert [s.learner for s in submissions] == ["ok.id@uni-x"]
    assert len(unplaced) == 3 and all("is not allowed" in line for line in unplaced)


def test_files_beside_an_nbgrader_notebook_are_left_out_when_hostile(tmp_path, monkeypatch):
    tree = tmp_path / "submitted" / "ann" / "ps1"
    _touch(tree, "problem1.ipynb", "data.csv", "big.bin")
    (tree / "big.bin").write_bytes(b"x" * 200)
    os.symlink(tmp_path / "key", tree / "key.txt")
    os.mkfifo(tree / "pipe.txt")
    monkeypatch.setattr("grader.submissions.MAX_EXTRA_BYTES", 100)
    (submission,), unplaced = find_submissions([tmp_path / "submitted"], NBGRADER, tmp_path / "unpacked")
    kept, left_out = submission.extra_bytes()
    assert kept == [("data.csv", b"{}")] and unplaced == []
    assert sorted(left_out) == ["big.bin: too large (200 bytes; at most 100 bytes)", "key.txt: a symbolic link, not a file",
                                "pipe.txt: a named pipe, not a file"]


def test_a_zip_leaves_out_links_and_members_over_the_cap_and_is_read_inside_its_one_folder(tmp_path, monkeypatch):
    archive = tmp_path / "lms.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("class/alice_01_raw_pixels.ipynb", "{}")
        link = zipfile.ZipInfo("class/bob_01_raw_pixels.ipynb")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zipped.writestr(link, "/etc/passwd")
        zipped.writestr("class/carol_01_raw_pixels.ipynb", "{}" + " " * 100)
    monkeypatch.setattr("grader.submissions.MAX_NOTEBOOK_BYTES", 50)
    submissions, unplaced = find_submissions([archive], ONE, tmp_path / "unpacked")
    assert _placed(submissions) == {("alice", "01_raw_pixels", "01_raw_pixels")}
    assert [line.split(": ", 2)[2] for line in unplaced] == ["a symbolic link, not a file", "too large (102 bytes unpacked)"]
    os.mkfifo(tmp_path / "fifo.zip")
    assert find_submissions([tmp_path / "fifo.zip"], ONE, tmp_path / "unpacked")[1] == [
        f"{tmp_path / 'fifo.zip'}: not a zip that can be read (a named pipe, not a file)"]
