"""The adversarial corpus (corpus.py), graded in one batch as an instructor would: every case gets
exactly its expected points and status, and no attack leaves a trace outside its own rows.

The whole corpus is graded once (``grade(..., jobs=2)``) in a module-scoped fixture; each case is
then one parametrized test, and the invariants (no canary file written, grades unchanged after
grading, no process left behind, no network connection, no hidden test in any feedback) are tests
of their own. The grader's API is reached through ``_grade``, ``_kind`` and ``_reason`` only.
"""

import hashlib
import html
import inspect
import json
import os
import re
import socket
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import corpus
import hostile_files
from corpus import CASES, FAKES, FIRST, HONEST_FIRST, HONEST_LAST, PIXELS, SECOND, Context
from grader.grade import grade
from grader.reports import write_csv, write_feedback
from practicum import paths
from practicum.tidy import read_notebook

pytestmark = [pytest.mark.adversarial, pytest.mark.notebooks, pytest.mark.xdist_group("adversarial")]

TIMEOUT = 30  # seconds of cells per submission: a whole one took at most 20 s, sandbox and kernel included, on 2 cores
#              shared with a training benchmark (adversarial-summary.txt); the four cases that never end cost this much each
MEMORY_GB = 3  # the cap on each submission; the memory bomb asks for far more
TAMPER_WAIT = 12  # seconds to wait after grading: the detached attack strikes about 4 s after grades.csv appears
SHARED = paths.ROOT.parent / "shared" / "data"


# --- the one place that knows the grader's API ----------------------------------------------------

def _grade(inputs: list[Path], out: Path, holdout: Path, scan: bool = True):
    """grade() with the sandbox required wherever the grader offers it; grades.csv and feedback written.
    ``scan=False``: without the tamper scan (grade's testing switch)."""
    accepted = inspect.signature(grade).parameters
    options = {"sandbox": "require", "grace": 60, **({} if scan else {"scan": False})}
    report = grade(inputs, out, source=paths.SOLUTIONS, jobs=2, timeout=TIMEOUT, holdout=holdout, memory_gb=MEMORY_GB,
                   **{name: value for name, value in options.items() if name in accepted})
    write_csv(report.rows, out / "grades.csv")  # as `practicum grade` does after grading
    write_feedback(report.rows, out / "feedback", out / "course")
    return report


def _kind(row) -> str:
    """"ok", "manual" or "error", from a Status member or from today's status string."""
    name = getattr(row.status, "name", None)
    if name:
        return {"OK": "ok", "MANUAL": "manual", "ERROR": "error"}.get(name, name.lower())
    return "manual" if row.status == "needs manual grading" else "error" if row.status.startswith("error") else "ok"


def _reason(row) -> str:
    reason = getattr(row, "reason", None)
    if reason is None and isinstance(row.status, str) and row.status.startswith("error"):
        reason = row.status.removeprefix("error").removeprefix(": ")
    return reason or ""


# --- the batch -------------------------------------------------------------------------------------

@dataclass
class Outcome:
    points: float
    max_points: float
    kind: str
    reasons: str  # the reasons of the rows of that kind
    seconds: float | None = None
    messages: str = ""  # the rows' test messages


def _outcome(rows, seconds: float | None = None) -> Outcome:
    kinds = {_kind(row) for row in rows}
    kind = "error" if "error" in kinds else "manual" if "manual" in kinds else "ok"
    return Outcome(sum(row.points for row in rows), sum(row.max_points for row in rows), kind,
                   " | ".join(dict.fromkeys(_reason(row) for row in rows if _kind(row) == kind)), seconds,
                   " | ".join(row.message for row in rows if row.message))


class Listener:
    """A socket on 127.0.0.1 that answers any connection with the solution's code, and counts them."""

    def __init__(self):
        self.connections: list[str] = []
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self.port = self._socket.getsockname()[1]
        answers = corpus.solution_answers(PIXELS)
        self._payload = (answers[FIRST] + "\n\n" + answers[SECOND] + "\n").encode()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                connection, peer = self._socket.accept()
            except OSError:
                continue
            self.connections.append(f"{peer[0]}:{peer[1]}")
            with connection:
                connection.settimeout(5)
                try:
                    connection.recv(1024)  # what the client says first (unread data would reset the connection)
                    connection.sendall(self._payload)
                    connection.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

    def close(self):
        self._stop.set()
        self._thread.join(timeout=5)
        self._socket.close()


def _processes_with(marker: str) -> dict[int, str]:
    """pid → command line of every process whose command line holds ``marker``."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in command:
            found[int(entry.name)] = command.replace(b"\0", b" ").decode(errors="replace")
    return found


def _snapshot(out: Path) -> dict[str, str]:
    """sha256 of what graders and learners read after grading: grades.csv, feedback, gradebook, rows."""
    files = [out / "grades.csv", out / "course" / "gradebook.db", *sorted((out / "feedback").glob("*")), *sorted((out / "graded").rglob("*.json"))]
    return {str(path.relative_to(out)): hashlib.sha256(path.read_bytes()).hexdigest() for path in files if path.is_file()}


@dataclass
class Batch:
    ctx: Context
    report: object
    outcomes: dict[str, Outcome]
    graded: list[str]  # names of the cases in the batch
    seconds: float
    after_grading: dict[str, str] = field(default_factory=dict)
    after_waiting: dict[str, str] = field(default_factory=dict)
    leftovers: dict[int, str] = field(default_factory=dict)
    regraded: object = None
    connections: list[str] = field(default_factory=list)  # made to the test's listening socket


def _dataset_and_holdout() -> tuple[Path | None, Path | None]:
    data = os.environ.get("PRACTICUM_DATA_DIR") or SHARED / "cats_and_dogs_filtered"
    holdout = os.environ.get("PRACTICUM_HOLDOUT_DIR") or SHARED / "holdout"
    return (Path(data) if Path(data).is_dir() else None), (Path(holdout) if Path(holdout).is_dir() else None)


@pytest.fixture(scope="module")
def batch(tmp_path_factory, request):
    root = tmp_path_factory.mktemp("adversarial")
    data, holdout = _dataset_and_holdout()
    if not (data and holdout):  # lesson 1's exercise trains on the real photos and is scored on the holdout
        pytest.skip("the adversarial corpus needs the photos and the holdout (PRACTICUM_DATA_DIR, PRACTICUM_HOLDOUT_DIR)")
    cases = list(CASES)
    if os.environ.get("ADVERSARIAL_CASES"):  # a comma-separated subset, while working on one defence
        cases = [case for case in cases if case.name in os.environ["ADVERSARIAL_CASES"].split(",")]
    listener = Listener()
    ctx = Context(root=paths.ROOT, out=root / "out", inputs=root / "submissions", holdout=holdout,
                  cache=root / "cache", marker=f"adversarial-{uuid.uuid4().hex[:12]}", port=listener.port)
    request.addfinalizer(lambda: _clean_up(ctx))
    ctx.inputs.mkdir()
    for case in cases:
        if case.plant is not None:
            case.plant(ctx)
            continue
        content = case.make(ctx)
        (ctx.inputs / case.filename).write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PRACTICUM_CACHE_DIR", str(ctx.cache))  # the shared cache the poisoner attacks: not the developer's
        env.setenv("PRACTICUM_DATA_DIR", str(data))
        try:
            start = time.monotonic()
            report = _grade([ctx.inputs], ctx.out, ctx.holdout)
            seconds = time.monotonic() - start
            result = Batch(ctx, report, {}, [case.name for case in cases], seconds, after_grading=_snapshot(ctx.out))
            time.sleep(TAMPER_WAIT)
            result.after_waiting = _snapshot(ctx.out)
            result.leftovers = _processes_with(ctx.marker)
            result.regraded = _grade([ctx.inputs], ctx.out, ctx.holdout)
        finally:
            listener.close()
    result.connections = listener.connections
    by_learner = {}
    for row in report.rows:
        by_learner.setdefault(row.learner, []).append(row)
    timed = getattr(report, "seconds", {})  # (learner, assignment) → the submission's wall-clock seconds
    result.outcomes = {learner: _outcome(rows, timed.get((learner, rows[0].assignment))) for learner, rows in by_learner.items()}
    _write_summary(result, cases)
    return result


@pytest.fixture(scope="module")
def unscanned(batch, tmp_path_factory):
    """The faking cases graded again, with the tamper scan off: learner → Outcome."""
    inputs = tmp_path_factory.mktemp("unscanned")
    names = [name for name in FAKES if name in batch.graded]
    for case in CASES:
        if case.name in names:
            (inputs / case.filename).write_bytes((batch.ctx.inputs / case.filename).read_bytes())
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PRACTICUM_CACHE_DIR", str(batch.ctx.cache))
        env.setenv("PRACTICUM_DATA_DIR", str(_dataset_and_holdout()[0]))
        report = _grade([inputs], inputs.parent / f"{inputs.name}-out", batch.ctx.holdout, scan=False)
    by_learner = {}
    for row in report.rows:
        by_learner.setdefault(row.learner, []).append(row)
    return {learner: _outcome(rows) for learner, rows in by_learner.items()}


@pytest.mark.parametrize("name", FAKES)
def test_a_faked_pass_scores_nothing_with_the_tamper_scan_off(unscanned, batch, name):
    if name not in batch.graded:
        pytest.skip("not in $ADVERSARIAL_CASES")
    case = next(case for case in CASES if case.name == name)
    got = unscanned[name]
    assert got.points == case.points, f"{name}: {got.points:g} points with the scan off, expected {case.points:g} ({got.messages[:300]})"
    assert got.kind != "manual" or "reaches for the tests" not in got.reasons, f"{name}: flagged by a scan that was off: {got.reasons}"


def _clean_up(ctx: Context) -> None:
    """Stop what the attacks started and remove what they wrote, should the grader have let them."""
    for pid in _processes_with(ctx.marker):
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    for canary in ctx.canaries():
        canary.unlink(missing_ok=True)


def _write_summary(result: Batch, cases) -> None:
    """Expected against got for every case, in the --out folder (and at $ADVERSARIAL_SUMMARY when set)."""
    lines = [f"graded {len(cases)} submissions in {result.seconds:.0f} s (jobs=2, timeout={TIMEOUT} s)",
             "case | expected | got | reason"]
    for case in cases:
        got = result.outcomes.get(case.name)
        expected = f"{case.points:g} {'/'.join(case.status) if isinstance(case.status, tuple) else case.status}"
        if case.not_graded and not got:
            lines.append(f"{case.name} | {expected} | not graded | " + " / ".join(_not_graded_lines(result, case))[:150])
            continue
        lines.append(f"{case.name} | {expected} | " + (f"{got.points:g}/{got.max_points:g} {got.kind} | {got.reasons[:150]}"
                                                       + (f" | {got.seconds:.0f} s" if got.seconds is not None else "")
                                                       if got else "no rows | "))
    text = "\n".join(lines) + "\n"
    (result.ctx.out / "adversarial-summary.txt").write_text(text)
    if os.environ.get("ADVERSARIAL_SUMMARY"):
        Path(os.environ["ADVERSARIAL_SUMMARY"]).write_text(text)


# --- one test per case -------------------------------------------------------------------------------

def _not_graded_lines(batch, case) -> list[str]:
    """The grader's "not graded" lines about the case's files."""
    return [line for line in batch.report.unplaced if case.not_graded in line]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case_gets_exactly_its_expected_points_and_status(batch, case, record_property):
    if case.name not in batch.graded:
        pytest.skip("not in $ADVERSARIAL_CASES")
    if case.not_graded:
        lines = _not_graded_lines(batch, case)
        assert case.name not in batch.outcomes, f"{case.name} should not be graded; it got {batch.outcomes[case.name]}"
        assert len(lines) == 1 and any(word.lower() in lines[0].lower() for word in case.reason), \
            f"{case.name}: one 'not graded' line naming {case.not_graded!r} and one of {case.reason}; the lines: {batch.report.unplaced}"
        return
    got = batch.outcomes.get(case.name)
    assert got is not None, f"no rows for {case.filename}"
    if got.seconds is not None:
        record_property("seconds", got.seconds)
    max_points = sum(cell_points for cell_points in _max_points(case.assignment))
    statuses = case.status if isinstance(case.status, tuple) else (case.status,)
    assert (got.points, got.max_points, got.kind in statuses) == (case.points, max_points, True), \
        f"{case.name} ({case.tries}): expected {case.points:g}/{max_points:g} {case.status}, got {got.points:g}/{got.max_points:g} {got.kind}: {got.reasons}"
    if case.reason:
        assert any(word.lower() in got.reasons.lower() for word in case.reason), \
            f"{case.name}: the {got.kind} reason should name one of {case.reason}; it says: {got.reasons!r}"
    if case.message:
        assert any(word.lower() in got.messages.lower() for word in case.message), \
            f"{case.name}: a test's message should say one of {case.message}; they say: {got.messages!r}"


def _max_points(assignment: str) -> list[float]:
    source = read_notebook(paths.SOLUTIONS / f"{assignment}.ipynb")
    return [float(cell.metadata.nbgrader.get("points", 0)) for cell in source.cells
            if cell.metadata.get("nbgrader", {}).get("grade")]


def _needs(batch, *learners):
    missing = [learner for learner in learners if learner not in batch.graded]
    if missing:
        pytest.skip(f"{', '.join(missing)} not graded in this batch")


# --- invariants -----------------------------------------------------------------------------------------

def test_every_submission_is_graded_and_attributed_or_named_as_not_graded(batch):
    refused = [case for case in CASES if case.name in batch.graded and case.not_graded]
    assert set(batch.outcomes) == set(batch.graded) - {case.name for case in refused}
    assert sorted(batch.report.unplaced) == sorted(line for case in refused for line in _not_graded_lines(batch, case))


def test_nothing_is_written_outside_the_learners_scratch(batch):
    assert [str(path) for path in batch.ctx.canaries() if path.exists()] == []


def test_grades_feedback_gradebook_and_rows_stay_as_graded(batch):
    changed = {name for name in batch.after_grading.keys() | batch.after_waiting.keys()
               if batch.after_grading.get(name) != batch.after_waiting.get(name)}
    assert changed == set(), f"changed {TAMPER_WAIT} s after grading: {sorted(changed)}"


def test_a_regrade_reuses_the_rows_grading_gave(batch):
    assert batch.regraded.reused == len(batch.outcomes)
    assert sorted(map(repr, batch.regraded.rows)) == sorted(map(repr, batch.report.rows))


def test_no_process_an_attack_started_outlives_grading(batch):
    assert batch.leftovers == {}


def test_no_submission_reaches_the_network(batch):
    assert batch.connections == []


def _learner_pages(batch) -> dict[str, str]:
    """What learners are sent, as text: every feedback page, and grades.csv."""
    pages = {path.name: html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))
             for path in (batch.ctx.out / "feedback").glob("*")}
    pages["grades.csv"] = (batch.ctx.out / "grades.csv").read_text(encoding="utf-8")
    return pages


def test_the_graders_key_the_holdout_and_the_graders_own_code_reach_no_learner(batch):
    """Links to the signing key are never followed; what a handed-in model prints in the scorer goes to
    the instructor's log only; a reason names the learner's cell, never the grader's code run before it;
    no page shows the grader's folders (the cell that records results for `make course` prints nothing)."""
    _needs(batch, "tree_with_links", "stderr_handin", "first_cell_exits")
    key = (batch.ctx.out / ".grader-key").read_text().strip()
    pages = _learner_pages(batch)
    autograded = {str(path): path.read_bytes() for path in (batch.ctx.out / "course" / "autograded").rglob("*") if path.is_file()}
    assert [name for name, text in pages.items() if key in text] == []
    assert [name for name, content in autograded.items() if key.encode() in content] == []
    assert [name for name, text in pages.items() if hostile_files.LEAKED.search(text)] == []
    log = batch.ctx.out / "logs" / PIXELS / "stderr_handin.log"
    assert hostile_files.LEAKED.search(log.read_text()), "the scorer's stderr belongs in the instructor's log"
    assert "_practicum" not in pages["grades.csv"], "a reason names the grader's code"
    plumbing = ("practicum-worker-", "PosixPath(", tempfile.gettempdir() + "/practicum")  # (attacks name --out in their own code)
    assert {name: [p for p in plumbing if p in text] for name, text in pages.items() if any(p in text for p in plumbing)} == {}, \
        "a grader path, worker folder or temporary folder on a learner's page"


def test_a_deep_workspace_is_removed_and_costs_no_grade(batch):
    _needs(batch, "deep_tree")
    assert list(Path(tempfile.gettempdir()).glob(f"practicum-worker-*/kernel-*/workspace/{hostile_files.deep_folder(batch.ctx)}")) == []


def test_no_hidden_test_reaches_a_learner(batch):
    """No line of a hidden test on any feedback page or in grades.csv. (The marker "BEGIN HIDDEN
    TESTS" may appear: the reading attacks' own code, shown on their page, searches for it.)"""
    hidden = corpus.hidden_test_lines(PIXELS)
    pages = _learner_pages(batch)  # the text a reader sees
    leaks = {name: line for name, text in pages.items() for line in hidden if line in text}
    assert hidden and leaks == {}


@pytest.mark.parametrize("learner", ["read_scratch_course", "read_gradebook"])
def test_reading_attacks_found_no_hidden_tests(batch, learner):
    """They print every hidden test they find into their answer cell's output."""
    _needs(batch, learner)
    notebooks = list(batch.ctx.out.rglob(f"autograded/{learner}/{PIXELS}/{PIXELS}.ipynb"))
    assert notebooks, f"no autograded notebook for {learner}"
    for path in notebooks:
        cells = json.loads(path.read_text())["cells"]
        printed = "".join(json.dumps(cell.get("outputs", [])) for cell in cells
                          if not cell.get("metadata", {}).get("nbgrader", {}).get("grade"))
        assert "BEGIN HIDDEN TESTS" not in printed, f"{learner} read hidden tests ({path})"


def test_output_is_capped_in_the_autograded_notebook(batch):
    _needs(batch, "output_flood")
    notebooks = list(batch.ctx.out.rglob(f"autograded/output_flood/{PIXELS}/{PIXELS}.ipynb"))
    assert notebooks and all(path.stat().st_size < 5 * 2**20 for path in notebooks), \
        {str(path): path.stat().st_size for path in notebooks}


def test_poisoning_the_shared_cache_costs_the_honest_learner_nothing(batch):
    _needs(batch, HONEST_LAST, "cache_poison")
    assert batch.outcomes[HONEST_LAST].points == 10 and batch.outcomes[HONEST_LAST].kind == "ok"


def test_the_honest_learner_keeps_full_marks_and_a_clean_feedback_page(batch):
    _needs(batch, HONEST_FIRST)
    page = (batch.ctx.out / "feedback" / f"{HONEST_FIRST}.html").read_text(encoding="utf-8")
    assert batch.outcomes[HONEST_FIRST].points == 10 and batch.ctx.marker not in page


def test_every_test_of_the_exercise_is_decided_by_the_judge(batch):
    """Lesson 1's exercise says its tests can be judged outside the learner's kernel: grades.csv says they were."""
    _needs(batch, HONEST_FIRST)
    rows = [row for row in batch.report.rows if row.learner == HONEST_FIRST]
    assert rows and {getattr(row.judged, "value", row.judged) for row in rows} == {"outside"}
