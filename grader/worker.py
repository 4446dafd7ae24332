"""Autograde one learner's submission of one assignment with stock nbgrader, in a scratch course.

``grade`` runs this module as a subprocess per submission (``python -m grader.worker``), so that a
submission that loops, crashes its kernel or exhausts memory costs one row, never the batch. The
scratch course holds ``source/<assignment>/``, a copy of the course's gradebook, the submission under
``submitted/<learner>/<assignment>/`` and ``unreadable.json`` (notebook id → why it could not be
read). The worker itself is the trusted side: it runs no learner code. The learner's kernel runs in
the sandbox that ``--kernel`` describes (``grader.sandbox.KernelSettings``), which sees none of the
scratch course. The worker writes ``rows.json``: one GradeRow per graded cell. nbgrader's own log
goes to this process's stderr, which ``grade`` keeps in ``autograde.log`` next to it.
"""

import argparse
import json
import logging
import os
import resource
import sys
from pathlib import Path

# jsonschema imports rfc3987_syntax whenever it is installed (jupyter-events pulls it in), and that
# compiles a grammar for about 1.5 s: in a process per submission, a third of the grader's overhead.
# nbformat's schema never uses the IRI formats it checks, so this worker goes without it.
sys.modules.setdefault("rfc3987_syntax", None)

import nbformat
from nbgrader.api import MissingEntry
from nbgrader.converters import Autograde
from nbgrader.converters.base import NbGraderException
from nbgrader.preprocessors import Execute, OverwriteCells
from traitlets.config import Config

from grader import gradebook
from grader.build import nbgrader_config
from grader.course import exercise_name, find_assignments
from grader.execution import BudgetedExecute, QuietTestCells, broke_the_run
from grader.guard import GuardTests, UnguardTests
from grader.holdout import SCORE_KEY, ScoreHoldout
from grader.restore import BY_ID, MATCH_KEY, RESTORED, RestoreCells
from grader.results import GradeRow, Status, failure_message
from grader.sandbox import KernelSettings, SandboxedKernelManager
from grader.tamper import FlagTampering
from practicum.tidy import read_notebook


#: The least memory the worker itself may allocate (nbgrader, the notebook, the kernel's messages).
WORKER_MEMORY = 4 * 2**30


def autograde_config(course_root: Path, budget: float, kernel: KernelSettings) -> Config:
    """nbgrader's Autograde pipelines, extended: RestoreCells before OverwriteCells; then the
    learner's cells scanned for tampering, test cells guarded, the notebook run in the sandbox under
    one budget, model-quality tests scored outside it, test cells' stderr dropped."""
    config = nbgrader_config()
    source = str(Path(course_root).resolve() / "source")
    sanitize = list(Autograde.class_traits()["sanitize_preprocessors"].default())
    sanitize.insert(sanitize.index(OverwriteCells), RestoreCells)
    autograde = list(Autograde.class_traits()["autograde_preprocessors"].default())
    autograde[autograde.index(Execute):autograde.index(Execute) + 1] = [FlagTampering, GuardTests, BudgetedExecute, UnguardTests,
                                                                        ScoreHoldout, QuietTestCells]
    config.Autograde.sanitize_preprocessors = sanitize
    config.Autograde.autograde_preprocessors = autograde
    for step in ("RestoreCells", "FlagTampering", "GuardTests", "ScoreHoldout"):
        config[step].source_directory = source
    config.BudgetedExecute.budget = budget
    config.BudgetedExecute.kernel_manager_class = SandboxedKernelManager
    config.BudgetedExecute.kernel_name = "python3"  # whatever kernel the submission's metadata asks for
    kernel.configure(config)
    config.ScoreHoldout.holdout = os.environ.get("PRACTICUM_HOLDOUT_DIR", "")
    config.ScoreHoldout.require_holdout = True
    return config


def autograde(course_root: Path, learner: str, assignment_id: str, budget: float, kernel: KernelSettings) -> str:
    """Run nbgrader's Autograde; return why it failed, or "" when it did not."""
    config = autograde_config(course_root, budget, kernel)
    coursedir = gradebook.course_directory(course_root, config)
    coursedir.assignment_id, coursedir.student_id = assignment_id, learner
    try:
        with gradebook.quiet_sqlalchemy():
            Autograde(coursedir=coursedir, config=config).start()
    except NbGraderException as error:
        return f"nbgrader could not grade it ({error or 'see autograde.log'})"
    return ""


def rows_for(course_root: Path, learner: str, assignment_id: str, failure: str) -> list[GradeRow]:
    """One row per graded cell of the assignment's source, in order, with nbgrader's score."""
    course_root = Path(course_root)
    assignment = find_assignments(course_root / "source")[assignment_id]
    unreadable = json.loads((course_root / "unreadable.json").read_text())
    try:
        scores = gradebook.read_scores(course_root, learner, assignment_id)
    except MissingEntry:  # Autograde stopped before it recorded the submission
        scores = {}
    rows = []
    for notebook in assignment.notebooks:
        graded_path = course_root / "autograded" / learner / assignment_id / f"{notebook}.ipynb"
        graded = read_notebook(graded_path) if graded_path.exists() else nbformat.v4.new_notebook()
        matched = graded.metadata.get(MATCH_KEY, {}).get("matched", {})
        tampering = graded.metadata.get(MATCH_KEY, {}).get("tampering", [])
        secrets = gradebook.locked_sources(gradebook.db_url(course_root), notebook, assignment_id)
        submitted = {c.metadata.nbgrader["grade_id"]: c for c in graded.cells if "grade_id" in c.metadata.get("nbgrader", {})}
        problem = unreadable.get(notebook) or ("" if graded_path.exists() else failure or "notebook not submitted")
        missing_answer = ""
        for cell in read_notebook(course_root / "source" / assignment_id / f"{notebook}.ipynb").cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution"):  # the answer that the test cells after it test, up to the next answer
                missing_answer = f"answer cell {meta['grade_id']} is missing from the submission" if matched.get(meta["grade_id"]) == RESTORED else ""
            if not (meta.get("grade") or meta.get("task")):  # a task is graded by hand, but graded all the same
                continue
            grade_id = meta["grade_id"]
            points, status, reason, message = _outcome(submitted.get(grade_id), scores.get((notebook, grade_id)),
                                                       problem or ("" if meta.get("solution") else missing_answer),
                                                       secrets.get(grade_id, ""))
            if tampering and status is Status.OK:
                status, reason = Status.MANUAL, "its code reaches for the tests: " + "; ".join(tampering[:3])
                reason += f" (+{len(tampering) - 3} more)" if len(tampering) > 3 else ""
            how = matched.get(grade_id, BY_ID)
            scored = submitted[grade_id].metadata.get(SCORE_KEY, {}) if grade_id in submitted else {}
            rows.append(GradeRow(learner, assignment_id, exercise_name(assignment, notebook, grade_id), points,
                                 float(meta.get("points", 0)), status, reason, message, matched="" if how == BY_ID else how,
                                 holdout_accuracy=scored.get("holdout_accuracy")))
    return rows


def _outcome(cell, score: gradebook.Score | None, problem: str, secret: str) -> tuple[float, Status, str, str]:
    """(points, status, reason, message) of one graded cell, from nbgrader's score and the cell's outputs."""
    message = failure_message(cell, secret) if cell is not None and cell.cell_type == "code" else ""
    if problem:
        return 0, Status.ERROR, problem, message
    if cell is not None and broke_the_run(cell):
        return 0, Status.ERROR, message, message
    points = (score.auto_score or 0) if score is not None else 0
    if score is not None and score.needs_manual_grade:
        return points, Status.MANUAL, "graded by hand", message
    return points, Status.OK, "", message


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("course_root", type=Path)
    parser.add_argument("learner")
    parser.add_argument("assignment")
    parser.add_argument("--budget", type=float, default=600, help="seconds for each notebook")
    parser.add_argument("--kernel", required=True, help="grader.sandbox.KernelSettings as JSON")
    args = parser.parse_args(argv)
    kernel = KernelSettings.from_json(args.kernel)
    if kernel.limits.memory_bytes:  # a flood of output from the kernel is this process's MemoryError, not the machine's
        cap = max(kernel.limits.memory_bytes, WORKER_MEMORY)
        resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))
    logging.basicConfig(level=logging.INFO, format="[%(levelname)s] %(message)s")
    failure = autograde(args.course_root, args.learner, args.assignment, args.budget, kernel)
    rows = rows_for(args.course_root, args.learner, args.assignment, failure)
    (args.course_root / "rows.json").write_text(json.dumps([row.to_json() for row in rows], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
