"""``practicum grade`` on a class of learners: every way a submission goes wrong costs its own rows only."""

import csv
import importlib.util
import os
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from grader import gradebook
from grader.grade import grade
from grader.reports import summary_table, write_csv, write_feedback
from grader.late import CourseFile, Policy
from grader.results import Status
from grader.roster import Learner
from practicum import paths

pytestmark = [pytest.mark.kernels, pytest.mark.xdist_group("grader_grade")]  # one graded batch, read by every test

_spec = importlib.util.spec_from_file_location("learners", Path(__file__).parent / "fixtures" / "grader" / "learners.py")
learners = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(learners)

IN_A_FOLDER = ["correct", "unanswered", "looping", "crashing", "segfault", "deleted_cells"]
IN_A_ZIP = ["stripped", "noisy", "hungry", "wrong_dtype", "not_json", "truncated", "empty"]
TIMEOUT = 20  # seconds per notebook: ample for the fixture on a loaded machine, short for the looping learner
#: The class list: every learner but "empty", and "absent", who handed nothing in.
ROSTER = {learner: Learner(learner, "Ada", learner.title(), f"{learner}@example.org", str(1000 + index))
          for index, learner in enumerate([*IN_A_FOLDER, *IN_A_ZIP, "absent"]) if learner != "empty"}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One batch, graded once: a folder of ``<learner>_<notebook>.ipynb`` files plus an LMS-style zip."""
    root = tmp_path_factory.mktemp("grade")
    folder = root / "downloads"
    learners.write(folder, IN_A_FOLDER, pattern="{learner}_01_arrays.ipynb")
    zipped_files = learners.write(root / "lms", IN_A_ZIP, pattern="{learner}/01_arrays.ipynb")
    archive = root / "lms.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in zipped_files:
            zipped.write(path, path.relative_to(root / "lms"))
    holdout = root / "holdout"
    (holdout / "cats").mkdir(parents=True)
    out = root / "out"
    late = folder / "looping_01_arrays.ipynb"  # handed in 50 hours after the due date; everyone else on time
    os.utime(late, (DUE.timestamp() + 50 * 3600,) * 2)
    report = grade([folder, archive], out, source=learners.SOLUTIONS, jobs=2, timeout=TIMEOUT, holdout=holdout, roster=ROSTER,
                   course_file=COURSE_FILE)
    write_csv(report.rows, out / "grades.csv")
    write_feedback(report.rows, out / "feedback", out / "course")
    return {"report": report, "out": out, "inputs": [folder, archive], "folder": folder, "holdout": holdout}


#: Due a day from now: the fixture's files are written now, so only the file moved 50 hours past it is late.
DUE = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=1)
COURSE_FILE = CourseFile({"01_arrays": DUE}, Policy("percent-per-day", percent_per_day=10, cap_percent=50))


def _rows(graded, learner):
    return {row.exercise: row for row in graded["report"].rows if row.learner == learner}


def _points(graded, learner):
    return sum(row.points for row in _rows(graded, learner).values())


def test_every_learner_gets_a_row_per_exercise_in_grades_csv(graded):
    with open(graded["out"] / "grades.csv", newline="") as stream:
        table = list(csv.DictReader(stream))
    assert list(table[0]) == ["learner", "assignment", "exercise", "points", "max_points", "status", "reason", "late_by_hours", "penalty", "judged"]
    # this course's test cells do not say they can be judged outside the kernel: they are graded in it, and the table says so
    assert {row["judged"] for row in table if row["status"] == "ok"} == {"kernel"}
    assert {(r["learner"], r["exercise"]) for r in table} == {(name, ex) for name in IN_A_FOLDER + IN_A_ZIP
                                                              for ex in ("test_scale_pixels", "test_flatten")}
    assert graded["report"].unplaced == []


def test_correct_answers_score_full_marks_whatever_else_is_in_the_batch(graded):
    for learner in ["correct", "noisy"]:  # noisy writes to stderr in tests, and checks that the kernel has no holdout
        assert {(r.points, r.status) for r in _rows(graded, learner).values()} == {(2, Status.OK), (1, Status.OK)}, learner


def test_each_submission_saves_into_a_build_folder_of_its_own_that_goes_with_its_kernel(graded):
    # noisy's answer writes build/saved_by.txt (and passes only if it could): into its kernel's workspace, removed after grading
    assert _points(graded, "noisy") == 3
    assert not (paths.build_dir() / "saved_by.txt").exists()
    assert not list(graded["out"].rglob("saved_by.txt"))


def test_unanswered_exercises_score_zero_with_the_not_implemented_message(graded):
    rows = _rows(graded, "unanswered")
    assert _points(graded, "unanswered") == 0
    assert all(row.status is Status.OK and "not implemented yet" in row.message for row in rows.values())


def test_a_timed_out_or_crashed_cell_fails_every_test_after_it_and_says_which_cell(graded):
    for learner, why in [("looping", "ran out of the notebook's"), ("crashing", "kernel died"), ("segfault", "kernel died")]:
        rows = _rows(graded, learner)
        assert rows["test_scale_pixels"].points == 2, f"{learner}: tests before the broken cell count"
        assert rows["test_flatten"].points == 0, f"{learner}: a dead or stopped kernel never passes"
        assert rows["test_flatten"].status is Status.ERROR and why in rows["test_flatten"].reason
        assert "cell 7 (flatten)" in rows["test_flatten"].reason


def test_a_runaway_allocation_is_the_learners_memory_error_not_an_out_of_memory_batch(graded):
    # asks for 12 GiB: over the 8 GiB a submission may have. numpy maps zeros lazily, so without the cap the
    # allocation would succeed (and the learner pass) without using the memory: the cap is what fails it
    rows = _rows(graded, "hungry")
    assert rows["test_scale_pixels"].points == 2
    assert rows["test_flatten"].points == 0 and "MemoryError" in rows["test_flatten"].message
    assert _points(graded, "correct") == 3


def test_a_deleted_test_cell_is_restored_and_graded_and_a_deleted_answer_is_named(graded):
    rows = _rows(graded, "deleted_cells")
    assert rows["test_scale_pixels"].points == 2 and rows["test_scale_pixels"].status is Status.OK
    assert "put back" in rows["test_scale_pixels"].matched
    assert rows["test_flatten"].points == 0
    assert (rows["test_flatten"].status, rows["test_flatten"].reason) == (Status.ERROR, "answer cell flatten is missing from the submission")


def test_cells_without_nbgrader_metadata_are_matched_and_reported(graded):
    rows = _rows(graded, "stripped")
    assert _points(graded, "stripped") == 3
    assert all("found by its unchanged text" in row.matched for row in rows.values())


def test_unreadable_submissions_cost_their_own_rows_only(graded):
    for learner in ["not_json", "truncated"]:
        rows = _rows(graded, learner)
        assert _points(graded, learner) == 0
        assert {(row.status, row.reason) for row in rows.values()} == {(Status.ERROR, "not a notebook (not valid JSON)")}
    assert _points(graded, "empty") == 0
    assert "answer cell scale_pixels is missing" in _rows(graded, "empty")["test_scale_pixels"].reason


def test_feedback_gives_hidden_test_messages_but_never_their_source(graded):
    pages = {page.stem: page.read_text() for page in (graded["out"] / "feedback").glob("*.html")}
    assert set(pages) == set(IN_A_FOLDER + IN_A_ZIP)
    assert "expected float32 values, got float64" in pages["wrong_dtype"]
    assert "use .astype(np.float32)" in pages["wrong_dtype"]
    assert "not implemented yet" in pages["unanswered"]
    assert "put back from the exercise" in pages["deleted_cells"] or "answer cell flatten is missing" in pages["deleted_cells"]
    assert "scale_pixels" in pages["correct"] and "astype" in pages["correct"], "the learner's own notebook is on the page"
    assert "3 / 3 points" in pages["correct"] and "What to do next" in pages["wrong_dtype"]
    assert "<script>alert" not in pages["correct"]
    for name, page in pages.items():
        for line in learners.HIDDEN_TEST_LINES:
            assert line not in page, f"hidden test source in {name}'s feedback"
        assert "BEGIN HIDDEN TESTS" not in page


def test_the_out_folder_holds_an_nbgrader_course_that_nbgrader_export_reads(graded):
    course = graded["out"] / "course"
    scores = gradebook.read_scores(course, "correct", "01_arrays")
    assert {key: score.auto_score for key, score in scores.items()} == {("01_arrays", "test_scale_pixels"): 2, ("01_arrays", "test_flatten"): 1}
    assert (course / "autograded" / "correct" / "01_arrays" / "01_arrays.ipynb").exists()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run([sys.executable, "-m", "nbgrader", "export"], cwd=course, env=env, check=True, capture_output=True)
    with open(course / "grades.csv", newline="") as stream:
        totals = {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(stream)}
    assert totals["correct"] == 3 and totals["looping"] == 2 and totals["unanswered"] == 0


def test_a_roster_names_the_learners_in_the_gradebook_the_feedback_and_the_lms_files(graded):
    assert graded["report"].unknown == ["empty"], "graded all the same, and listed as not on the roster"
    assert gradebook.learner_names(graded["out"] / "course")["correct"] == "Ada Correct"
    assert "Feedback for Ada Correct" in (graded["out"] / "feedback" / "correct.html").read_text(encoding="utf-8")
    assert "Feedback for empty" in (graded["out"] / "feedback" / "empty.html").read_text(encoding="utf-8")
    files = {}
    for lms in ("canvas", "moodle"):
        files[lms] = graded["out"] / f"{lms}.csv"
        done = subprocess.run([sys.executable, "-m", "grader", "export", str(graded["out"]), "--to", lms, "--out", str(files[lms])],
                              capture_output=True, text=True, cwd=paths.ROOT)
        assert done.returncode == 0, done.stderr
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(paths.ROOT)}
    subprocess.run([sys.executable, "-m", "nbgrader", "export", "--exporter", "grader.export.CanvasExport", "--to", "nbgrader-canvas.csv"],
                   cwd=graded["out"] / "course", env=env, check=True, capture_output=True)  # the same plugin, run by nbgrader
    assert (graded["out"] / "course" / "nbgrader-canvas.csv").read_text() == files["canvas"].read_text()
    with open(files["canvas"], newline="") as stream:
        canvas = {row[3]: row for row in csv.reader(stream)}
    assert canvas["correct"] == ["Correct, Ada", "1000", "", "correct", "", "3"] and canvas["absent"][5] == ""
    with open(files["moodle"], newline="") as stream:
        moodle = {row[0]: row for row in csv.reader(stream)}
    assert moodle["looping"] == ["looping", "looping@example.org", "1002", "1.4"] and moodle["empty"][1:] == ["", "", "0"]


def test_a_late_submission_loses_its_share_in_the_csv_the_feedback_and_the_gradebook(graded):
    looping = _rows(graded, "looping")  # 2 of 3 points, 50 hours late: 3 days at 10% a day
    assert {(r.late_by_hours, r.penalty, r.submitted_by) for r in looping.values()} == {(50, 0.6, "file time"), (50, 0, "file time")}
    assert all(r.late_by_hours is None and r.penalty == 0 for r in _rows(graded, "correct").values())
    page = (graded["out"] / "feedback" / "looping.html").read_text(encoding="utf-8")
    assert "You handed 01_arrays in 50 hours after its due date: <strong>−0.6 points</strong>" in page
    assert "50 h late (by file time): −0.6" in summary_table(graded["report"].rows)


def test_regrading_skips_unchanged_submissions(graded):
    again = grade(graded["inputs"], graded["out"], source=learners.SOLUTIONS, jobs=2, timeout=TIMEOUT, holdout=graded["holdout"],
                  course_file=COURSE_FILE)
    assert again.reused == len(IN_A_FOLDER + IN_A_ZIP)
    assert again.rows == graded["report"].rows


def test_grade_command_regrades_what_changed_prints_the_table_and_writes_csv_and_feedback(graded):
    (graded["folder"] / "unanswered_01_arrays.ipynb").write_text(learners.notebooks()["correct"])
    command = [sys.executable, "-m", "grader", "grade", *map(str, graded["inputs"]), "--out", str(graded["out"]),
               "--source", str(learners.SOLUTIONS), "--timeout", str(TIMEOUT), "--holdout", str(graded["holdout"]), "--jobs", "2"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=paths.ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", "a clean run prints nothing alarming"
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert lines["unanswered"].split()[2] == "3/3" and lines["correct"].split()[2] == "3/3"
    assert "not a notebook (not valid JSON)" in lines["truncated"]
    assert f"{len(IN_A_FOLDER + IN_A_ZIP) - 1} unchanged submissions not graded again" in result.stdout
    with open(graded["out"] / "grades.csv", newline="") as stream:
        assert {r["points"] for r in csv.DictReader(stream) if r["learner"] == "unanswered"} == {"2", "1"}
    with open(graded["out"] / "similarity.csv", newline="") as stream:  # the fixture's learners share the same answers
        alike = {frozenset((row["learner"], row["other_learner"])) for row in csv.DictReader(stream)}
    assert frozenset(("correct", "stripped")) in alike and "pairs of learners whose answers look alike" in result.stdout


def test_summary_table_has_a_line_per_learner_with_points_and_notes(graded):
    table = summary_table(graded["report"].rows).splitlines()
    assert table[0].split() == ["learner", "assignment", "points", "notes"]
    lines = {line.split()[0]: line for line in table[1:]}
    assert "3/3" in lines["correct"] and lines["correct"].rstrip().endswith("3/3")
    assert "kernel died" in lines["crashing"]


def test_a_worker_past_its_hard_limit_is_stopped_and_costs_one_row_each(tmp_path):
    learners.write(tmp_path / "in", ["looping"])
    report = grade([tmp_path / "in"], tmp_path / "out", source=learners.SOLUTIONS, timeout=1, grace=0)
    assert {(row.status, row.reason) for row in report.rows} == {(Status.ERROR, "grading took longer than 1 s and was stopped")}
    assert all(row.points == 0 for row in report.rows)

