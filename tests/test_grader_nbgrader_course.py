"""``grade`` works on any nbgrader course laid out the standard way, and scores it as nbgrader does.

The proof is nbgrader's own documentation course (``source/ps1``, ``submitted/bitdiddle|hacker/ps1``),
shipped inside the installed package: stock ``nbgrader autograde`` grades one copy, ``grade`` another,
and every learner's every graded cell must come out the same.
"""

import csv
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import nbgrader
import pytest
from nbgrader.api import Gradebook

from grader.grade import grade
from grader.results import Status

pytestmark = pytest.mark.kernels

DOCS_COURSE = Path(nbgrader.__file__).parent / "docs" / "source" / "user_guide"


def _copy_course(target: Path) -> Path:
    shutil.copytree(DOCS_COURSE, target, ignore=shutil.ignore_patterns("autograded", "feedback", "release", "gradebook.db", "*.rst", "images"))
    return target


def _start_stock_autograde(course: Path) -> subprocess.Popen:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    nbgrader_command = f"{shlex.quote(sys.executable)} -m nbgrader"  # a checkout's path may hold spaces
    with open(course / "nbgrader.log", "wb") as log:
        return subprocess.Popen(f"{nbgrader_command} generate_assignment ps1 && {nbgrader_command} autograde ps1", shell=True,
                                cwd=course, env=env, stdout=log, stderr=subprocess.STDOUT)


def _stock_scores(course: Path) -> dict[tuple[str, str], float | None]:
    """What stock nbgrader recorded; None where it left the cell for manual grading."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {(submission.student_id, f"{notebook.name}/{grade_.name}"): None if grade_.needs_manual_grade else grade_.auto_score
                for submission in gb.assignment_submissions("ps1") for notebook in submission.notebooks for grade_ in notebook.grades}


def test_grade_scores_nbgraders_documentation_course_exactly_as_stock_autograde(tmp_path):
    stock_run = _start_stock_autograde(_copy_course(tmp_path / "stock"))  # meanwhile, grade the other copy
    ours_course = _copy_course(tmp_path / "ours")
    report = grade([ours_course / "submitted"], tmp_path / "out", source=ours_course / "source", jobs=2, timeout=120)
    assert stock_run.wait() == 0, (tmp_path / "stock" / "nbgrader.log").read_text()
    stock = _stock_scores(tmp_path / "stock")
    ours = {(row.learner, row.exercise): None if row.status is Status.MANUAL else row.points for row in report.rows}

    assert {row.status for row in report.rows} <= {Status.OK, Status.MANUAL}
    assert ours == stock
    with open(DOCS_COURSE / "grades.csv", newline="") as stream:  # nbgrader's published export
        published = {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(stream)}
    assert {learner: sum(points or 0 for (who, _), points in ours.items() if who == learner) for learner in published} == published
