"""Autograde one learner's submission of one assignment with stock nbgrader, in a course folder.

The course folder holds ``source/<assignment>/``, a gradebook in which the assignment is registered
and the submission under ``submitted/<learner>/<assignment>/``. The caller (``grader.worker``) is the
trusted side: nothing here runs learner code. The learner's kernel, started ahead and sandboxed
(``grader.kernels``), is handed to nbgrader's execute step; model-quality tests are scored outside it.
``rows_for`` turns nbgrader's scores and the autograded notebooks into one GradeRow per graded cell.
"""

import io
import logging
import threading
from pathlib import Path

import nbformat
from nbgrader.api import MissingEntry
from nbgrader.converters import Autograde
from nbgrader.converters.base import NbGraderException
from nbgrader.preprocessors import Execute, OverwriteCells
from traitlets.config import Config

from grader import gradebook
from grader.build import nbgrader_config
from grader.course import exercise_name, find_assignments
from grader.execution import QuietTestCells, broke_the_run
from grader.guard import GuardTests, UnguardTests
from grader.holdout import SCORE_KEY, ScoreHoldout
from grader.judge.execute import JUDGED_KEY, JudgedExecute
from grader.judge.kernel import JudgeKernel
from grader.kernels import Kernel
from grader.restore import BY_ID, MATCH_KEY, RESTORED, RestoreCells
from grader.results import GradeRow, Judged, Status, failure_message
from grader.tamper import FlagTampering
from practicum.tidy import read_notebook


def autograde_config(course_root: Path, budget: float, kernel: Kernel, holdout: Path | None, scan: bool = True,
                     judge: JudgeKernel | None = None, hidden_seed: str = "") -> Config:
    """nbgrader's Autograde pipelines, extended: RestoreCells before OverwriteCells; then the
    learner's cells scanned for tampering, test cells guarded, the notebook run in the sandbox under
    one budget (test cells of a notebook judged outside run by the judge, ``grader.judge``), model-quality
    tests scored outside it, test cells' stderr dropped. ``scan=False``: no tamper scan."""
    config = nbgrader_config()
    source = str(Path(course_root).resolve() / "source")
    sanitize = list(Autograde.class_traits()["sanitize_preprocessors"].default())
    sanitize.insert(sanitize.index(OverwriteCells), RestoreCells)
    autograde = list(Autograde.class_traits()["autograde_preprocessors"].default())
    autograde[autograde.index(Execute):autograde.index(Execute) + 1] = [*([FlagTampering] if scan else []), GuardTests, JudgedExecute,
                                                                        UnguardTests, ScoreHoldout, QuietTestCells]
    config.Autograde.sanitize_preprocessors = sanitize
    config.Autograde.autograde_preprocessors = autograde
    for step in ("RestoreCells", "FlagTampering", "GuardTests", "JudgedExecute", "ScoreHoldout"):
        config[step].source_directory = source
    config.BudgetedExecute.budget = budget
    config.BudgetedExecute.kernel_name = "python3"  # whatever kernel the submission's metadata asks for
    config.BudgetedExecute.started_kernel = kernel
    config.JudgedExecute.judge_env = kernel.env
    config.JudgedExecute.started_judge = judge
    config.JudgedExecute.hidden_seed = hidden_seed
    kernel.settings.configure(config)
    config.ScoreHoldout.holdout = str(holdout or "")
    config.ScoreHoldout.require_holdout = True
    return config


def autograde(course_root: Path, learner: str, assignment_id: str, budget: float, kernel: Kernel,
              holdout: Path | None, scan: bool = True, judge: JudgeKernel | None = None, hidden_seed: str = "") -> tuple[str, str]:
    """Run nbgrader's Autograde: (why it failed or "", nbgrader's log of it). ``judge``: a judge kernel started
    ahead for a notebook judged outside the learner's kernel (``grader.judge``); ``hidden_seed``: the seed of
    this learner's hidden inputs there (``grader.jobs.hidden_inputs_seed``)."""
    config = autograde_config(course_root, budget, kernel, holdout, scan, judge, hidden_seed)
    coursedir = gradebook.course_directory(course_root, config)
    coursedir.assignment_id, coursedir.student_id = assignment_id, learner
    log, stream = logging.getLogger(f"practicum.autograde.{threading.get_ident()}"), io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
    log.handlers, log.propagate = [handler], False
    log.setLevel(logging.INFO)
    config.ScoreHoldout.instructor_log = log
    try:
        with gradebook.quiet_sqlalchemy():
            Autograde(coursedir=coursedir, config=config, log=log).start()
    except NbGraderException as error:
        return f"nbgrader could not grade it ({error or 'see its log in logs/ of the output folder'})", stream.getvalue()
    return "", stream.getvalue()


def scores_of(course_root: Path, learner: str, assignment_id: str) -> dict[tuple[str, str], gradebook.Score]:
    try:
        return gradebook.read_scores(course_root, learner, assignment_id)
    except MissingEntry:  # Autograde stopped before it recorded the submission
        return {}


def rows_for(course_root: Path, learner: str, assignment_id: str, failure: str, unreadable: dict[str, str],
             scores: dict[tuple[str, str], gradebook.Score]) -> list[GradeRow]:
    """One row per graded cell of the assignment's source, in order, with nbgrader's score."""
    course_root = Path(course_root)
    assignment = find_assignments(course_root / "source")[assignment_id]
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
                                 holdout_accuracy=scored.get("holdout_accuracy"), judged=_judged(submitted.get(grade_id))))
    return rows


def _judged(cell) -> Judged | None:
    """Where the test cell was decided, as ``JudgedExecute`` recorded it; None for a cell no test ran in."""
    value = cell.metadata.get(JUDGED_KEY) if cell is not None else None
    return Judged(value) if value in {judged.value for judged in Judged} else None


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
