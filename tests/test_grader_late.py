"""Late work (grader.late): the course file, the policy, a submission's time, and the rows' penalties,
on files made here (no kernel). A late submission graded end to end is in tests/test_grader_grade.py."""

import os
from datetime import datetime, timedelta, timezone

import pytest

from grader.late import CourseFile, LatePolicy, Policy, apply, read_course_file
from grader.results import GradeRow, Status
from grader.submissions import Submission
from practicum import paths
from practicum.errors import CourseError

DAY = 86400


def test_a_percentage_per_day_or_part_of_a_day_up_to_a_cap_and_zero_after_a_cutoff():
    policy = Policy("percent-per-day", percent_per_day=10, cap_percent=50, zero_after_days=7)
    assert [policy.fraction(s) for s in (0, -5, 1, DAY, DAY + 1, 6 * DAY, 7 * DAY, 7 * DAY + 1)] == [0, 0, 0.1, 0.1, 0.2, 0.5, 0.5, 1.0]
    assert Policy("zero").fraction(1) == 1.0 and Policy().fraction(30 * DAY) == 0.0
    plugin = LatePolicy(kind="percent-per-day", percent_per_day=10, cap_percent=50)  # the same rule for nbgrader autograde
    assert plugin.late_submission_penalty("ada", 8.0, DAY + 1) == pytest.approx(1.6) and plugin.late_submission_penalty("ada", 8.0, 0) is None


def test_each_row_carries_its_share_and_the_shares_add_up_to_the_penalty():
    rows = [GradeRow("ada", "01", "a", 2, 2, Status.OK), GradeRow("ada", "01", "b", 1, 3, Status.OK)]
    due = datetime(2026, 10, 5, 23, 59, tzinfo=timezone.utc)
    late = apply(rows, due + timedelta(hours=26), "timestamp.txt", due, Policy("percent-per-day", 10, 50))
    assert [(r.late_by_hours, r.penalty, r.submitted_by) for r in late] == [(26, 0.4, "timestamp.txt"), (26, 0.2, "timestamp.txt")]
    assert apply(rows, due - timedelta(hours=1), "file time", due, Policy("zero")) == rows
    columns = lambda row: dict(zip(GradeRow.CSV_COLUMNS, row.csv_row()))  # noqa: E731
    assert [columns(late[0])[name] for name in ("late_by_hours", "penalty")] == ["26", "0.4"]
    assert [columns(rows[0])[name] for name in ("late_by_hours", "penalty")] == ["", ""]


def test_the_course_file_is_checked_entry_by_entry(tmp_path):
    good = tmp_path / "course.toml"
    good.write_text('[late]\npolicy = "percent-per-day"\npercent_per_day = 10\n[due]\n01_raw_pixels = 2026-10-05T23:59:00+02:00\n')
    course = read_course_file(good, {"01_raw_pixels"})
    assert course.policy == Policy("percent-per-day", 10.0) and course.due["01_raw_pixels"].utcoffset() == timedelta(hours=2)
    for text, words in (('[late]\npolicy = "half"\n', "policy = 'half'"), ("[due]\n01_raw_pixels = 2026-10-05T23:59:00\n", "with its offset"),
                        ("[due]\nnope = 2026-10-05T23:59:00Z\n", "no such assignment"), ("[late\n", "not a TOML file"),
                        ("[late]\ncap_percent = -1\n", "0 or more")):
        bad = tmp_path / "bad.toml"
        bad.write_text(text)
        with pytest.raises(CourseError, match=words):
            read_course_file(bad, {"01_raw_pixels"})
    assert read_course_file(paths.ROOT / "course.toml", {"01_raw_pixels"}) == CourseFile(), "the course's own file: nothing due yet"


def test_a_submission_is_timed_by_nbgraders_timestamp_else_by_its_file(tmp_path):
    notebook = tmp_path / "ann" / "ps1" / "problem1.ipynb"
    notebook.parent.mkdir(parents=True)
    notebook.write_text("{}")
    os.utime(notebook, (1_700_000_000, 1_700_000_000))
    submission = Submission("ann", "ps1", {"problem1": notebook})
    assert submission.submitted_at() == (datetime.fromtimestamp(1_700_000_000, tz=timezone.utc), "file time")
    stamp = notebook.parent / "timestamp.txt"
    stamp.write_text("2026-10-06 10:00:00.000000 UTC")
    submission.extra_files.append(stamp)
    assert submission.submitted_at() == (datetime(2026, 10, 6, 10, tzinfo=timezone.utc), "timestamp.txt")
