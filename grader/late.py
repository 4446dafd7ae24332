"""Late work: due dates and a late policy from the course file, applied as nbgrader's late-submission
plugins apply theirs.

The course file (``course.toml`` beside ``solutions/``, or ``practicum grade --course FILE``)::

    [late]
    policy = "percent-per-day"   # "none", "percent-per-day" or "zero"
    percent_per_day = 10         # of the points scored, for each day or part of a day late
    cap_percent = 50             # never more than this
    zero_after_days = 7          # later than this: no points at all (any policy)

    [due]
    01_raw_pixels = 2026-10-05T23:59:00+02:00

A submission's time is nbgrader's ``timestamp.txt`` where the submission has one (nbgrader's
``submitted/`` layout), else the time its notebook file was last written (an LMS zip's member keeps
the time the LMS wrote), and the rows say which. Penalties are a share of the points scored: each row
of a late submission carries its share (``penalty``), so the penalties of a submission's rows add up
to its penalty, and its hours late (``late_by_hours``). Rows are stored without penalties and the
policy is applied on every run, so changing a due date or the policy needs no regrading.
``LatePolicy`` is the same rule as an nbgrader ``LateSubmissionPlugin``, for ``nbgrader autograde``.
"""

import math
import tomllib
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Enum, Float

from grader.results import GradeRow
from practicum.errors import CourseError

POLICIES = ("none", "percent-per-day", "zero")


@dataclass(frozen=True)
class Policy:
    kind: str = "none"
    percent_per_day: float = 0.0
    cap_percent: float = 100.0
    zero_after_days: float | None = None

    def fraction(self, seconds_late: float) -> float:
        """The share of the points scored that a submission this late loses."""
        if seconds_late <= 0:
            return 0.0
        if self.zero_after_days is not None and seconds_late > self.zero_after_days * 86400:
            return 1.0
        if self.kind == "zero":
            return 1.0
        if self.kind == "percent-per-day":
            return min(self.cap_percent, self.percent_per_day * math.ceil(seconds_late / 86400)) / 100
        return 0.0

    def describe(self) -> str:
        words = {"none": "no penalty", "zero": "no points when late",
                 "percent-per-day": f"{self.percent_per_day:g}% per day late, at most {self.cap_percent:g}%"}[self.kind]
        return words + (f"; no points after {self.zero_after_days:g} days" if self.zero_after_days is not None else "")


@dataclass(frozen=True)
class CourseFile:
    due: dict[str, datetime] = field(default_factory=dict)  # assignment → due date (aware)
    policy: Policy = Policy()


def read_course_file(path: Path, assignments: set[str] | None = None) -> CourseFile:
    """The due dates and the late policy; ``CourseError`` naming the file, the entry and the fix."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise CourseError(f"{path}: not a TOML file that can be read ({error}); see docs/grading.md, 'Late work'") from None
    late = data.get("late", {})
    kind = late.get("policy", "none")
    if kind not in POLICIES:
        raise CourseError(f"{path}: [late] policy = {kind!r}; use one of {', '.join(POLICIES)}")
    numbers = {}
    for key in ("percent_per_day", "cap_percent", "zero_after_days"):
        if key in late:
            if not isinstance(late[key], (int, float)) or late[key] < 0:
                raise CourseError(f"{path}: [late] {key} = {late[key]!r}; give a number, 0 or more")
            numbers[key] = float(late[key])
    due = {}
    for assignment, when in data.get("due", {}).items():
        if not isinstance(when, datetime) or when.tzinfo is None:
            raise CourseError(f"{path}: [due] {assignment} = {when!r}; give a date and time with its offset, "
                              "e.g. 2026-10-05T23:59:00+02:00")
        if assignments is not None and assignment not in assignments:
            raise CourseError(f"{path}: [due] {assignment}: no such assignment (the course has {', '.join(sorted(assignments))})")
        due[assignment] = when
    return CourseFile(due, Policy(kind, **numbers))


def apply(rows: list[GradeRow], submitted: datetime | None, source: str, due: datetime | None, policy: Policy) -> list[GradeRow]:
    """One submission's rows with its lateness and each row's share of the penalty."""
    if submitted is None or due is None:
        return rows
    seconds_late = (submitted - due).total_seconds()
    if seconds_late <= 0:
        return rows
    fraction = policy.fraction(seconds_late)
    return [replace(row, late_by_hours=round(seconds_late / 3600, 2), penalty=round(row.points * fraction, 4), submitted_by=source)
            for row in rows]


class LatePolicy(LateSubmissionPlugin):
    """The course file's policy as an nbgrader plugin: ``c.AssignLatePenalties.plugin_class = "grader.late.LatePolicy"``."""

    kind = Enum(POLICIES, default_value="none").tag(config=True)
    percent_per_day = Float(0.0).tag(config=True)
    cap_percent = Float(100.0).tag(config=True)
    zero_after_days = Float(None, allow_none=True).tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float | None:
        policy = Policy(self.kind, self.percent_per_day, self.cap_percent, self.zero_after_days)
        return score * policy.fraction(total_seconds_late) if total_seconds_late > 0 else None


def utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc)
