"""Grade one class of lesson 4 three ways, and record what ``practicum grade`` costs and saves.

    python benchmarks/grading.py                  # 30 submissions of exercise 4
    python benchmarks/grading.py --assignment 01_raw_pixels --learners 10 --no-record
    python benchmarks/grading.py --learners 10 --runs jobs1 jobs1_repeat jobs2   # one slot against two

The class (``a_class``): the released exercise with the solution's answers typed in, some of them
replaced by the answer sets of ``tests/answers/exNN.py``, in turn: each right answer (full marks),
each wrong one (loses exactly its parts), and hostile ones from the adversarial corpus (they fake
passes: stock nbgrader believes them, ``practicum grade`` flags them). It is graded by

1. stock ``nbgrader autograde``, serially (its per-cell timeout raised so that training can finish);
2. ``practicum grade --jobs 2``: two local worker processes, twice (the second run, ``jobs2_repeat``,
   must give every submission the same points as the first), then twice more with one thread per
   kernel instead of two (``jobs2_threads1``, ``jobs2_threads1_repeat``);
3. ``practicum grade --scheduler`` on a ``LocalCluster`` of two single-threaded Dask workers on 127.0.0.1;
4. on request (``--runs``), ``practicum grade --jobs 1``, twice (``jobs1``, ``jobs1_repeat``).

Every kernel gets the same FAST environment, with the grader's thread count (``repeatable_env``). Stock nbgrader runs as its command; ``practicum grade``
runs as its command does (``grade``, then grades.csv and the feedback pages), in this process, so
that its report's timings can be read. Rows (stage ``grading``):

- ``wall_s[RUN:exNN]`` (RUN: ``nbgrader_serial``, ``jobs2``, ``dask2``), and
  ``speedup_vs_nbgrader[RUN:exNN]``: stock wall time ÷ ours;
- ``overhead_s[...]``: the seconds per submission that a grading slot spends on anything but the
  notebook's own cells: wall time × slots ÷ submissions − the mean time the cells ran (from
  nbclient's timestamps in the autograded notebooks). Start-up, the last submissions' idle slot and
  the feedback pages count;
- ``worker_overhead_s[...]``: the mean of a worker's seconds on one submission minus its cells'
  (the sandbox, nbgrader's steps, the gradebook, the kernel if it was not ready);
- ``overhead_s[judge:...]``: for an exercise judged outside the learner's kernel (``grader.judge``),
  the judge's mean seconds per submission besides its test cells: its kernel, the instructor's
  set-up cells run again there, binding the answers (part of ``worker_overhead_s``);
- ``speedup_bound[...]``: stock wall time ÷ (the time our kernels' cells ran ÷ slots): the speedup
  of a grader that cost nothing, with the same kernels on the same cores;
- ``same_scores[...]``: the share of non-hostile submissions whose every cell got the same points
  as from stock nbgrader;
- ``same_scores_on_rerun[jobs2:exNN]``, ``same_scores_on_rerun[jobs2_threads1:exNN]``: the share of
  all submissions whose every cell got the same points in a run and in its repeat;
- ``same_scores_on_rerun[jobs1:exNN]``: the same for ``--jobs 1``, when it ran;
- ``same_scores_as_jobs2[RUN:exNN]`` (RUN: ``jobs2_threads1``, ``jobs1``, ``dask2``): the same share
  between that run and ``jobs2`` (two threads per kernel, the default).

A row is written only where its runs were made (``--runs``).
"""

import argparse
import importlib
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "adversarial")]

from benchmarks import record  # noqa: E402
from grader.execution import QUIET_FAST_ENV, repeatable_env  # noqa: E402
from practicum import paths  # noqa: E402

SLOTS = 2


def a_class(assignment: str, count: int) -> dict[str, tuple[str, str]]:
    """learner → (kind, notebook JSON): the released exercise with the solution's answers typed in, then
    some of them replaced by a right one, a wrong one or a hostile one, in turn."""
    import textwrap

    import corpus
    from practicum.tidy import dumps

    answers = importlib.import_module(f"answers.ex{assignment[:2]}")
    right = [("right", code) for code in answers.RIGHT.values()]
    wrong = [("wrong", code) for code, _ in answers.WRONG.values()]
    first = next(cell.metadata.nbgrader["grade_id"] for cell in corpus.blank(assignment).cells if corpus.grade_id(cell)
                 and cell.metadata.nbgrader.get("solution"))
    stub = next(cell.source for cell in corpus.blank(assignment).cells if corpus.grade_id(cell) == first)
    hostile = [("hostile", {first: stub + "\n" + attack}) for attack in
               (corpus._SUPPRESS_CHECK, corpus._FAKE_SYS_MODULES, corpus._PATCH_BUILTINS)]
    pattern = itertools.cycle([0, 1, 0, 1, 2])  # 2 right : 2 wrong : 1 hostile
    cycles = [itertools.cycle(kind) for kind in (right, wrong, hostile)]
    learners = {}
    for index in range(count):
        kind, code = next(cycles[next(pattern)])
        nb = corpus.solved(assignment, **{cell: textwrap.dedent(source).strip() + "\n" for cell, source in code.items()})
        learners[f"learner{index:02d}"] = (kind, dumps(nb))
    return learners


def kernel_env() -> dict[str, str]:
    env = {**os.environ, **QUIET_FAST_ENV, **repeatable_env()}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # nbgrader runs alembic
    env.pop("PRACTICUM_HOLDOUT_DIR", None)  # exercise 4 has no holdout test
    return env


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=kernel_env(), capture_output=True, text=True)
    if done.returncode not in (0, 1):  # practicum grade exits 1 when a submission could not be placed
        raise SystemExit(f"{' '.join(command[:3])} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - start


def stock_nbgrader(work: Path, assignment: str, learners: dict) -> tuple[float, dict]:
    course = work / "stock"
    (course / "source" / assignment).mkdir(parents=True)
    shutil.copy(paths.SOLUTIONS / f"{assignment}.ipynb", course / "source" / assignment)
    (course / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.root = %r\nc.Execute.timeout = 600\n" % str(course))
    subprocess.run(["nbgrader", "generate_assignment", assignment, "--force"], cwd=course, env=kernel_env(), check=True, capture_output=True)
    for learner, (_, text) in learners.items():
        (course / "submitted" / learner / assignment).mkdir(parents=True)
        (course / "submitted" / learner / assignment / f"{assignment}.ipynb").write_text(text)
    seconds = timed(["nbgrader", "autograde", assignment, "--force"], course)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        points = {(s.student.id, g.name): float(g.score) for s in gb.assignment_submissions(assignment) for nb in s.notebooks
                  for g in nb.grades}
    return seconds, {"points": points, "cells": cell_seconds(course / "autograded")}


def practicum_grade(work: Path, assignment: str, learners: dict, name: str, **options) -> tuple[float, dict]:
    """``practicum grade`` as its command runs it (grade, grades.csv, feedback pages), in this process
    so that the report's per-submission timings can be read."""
    from grader.grade import grade
    from grader.reports import write_csv, write_feedback

    inbox, out = work / f"inbox-{name}", work / f"out-{name}"
    inbox.mkdir()
    for learner, (_, text) in learners.items():
        (inbox / f"{learner}_{assignment}.ipynb").write_text(text)
    start = time.perf_counter()
    report = grade([inbox], out, source=paths.SOLUTIONS, progress=False, **options)
    write_csv(report.rows, out / "grades.csv")
    write_feedback(report.rows, out / "feedback", out / "course")
    seconds = time.perf_counter() - start
    worker = [report.seconds[key] - report.notebook_seconds[key] for key in report.seconds]
    return seconds, {"points": {(row.learner, row.exercise): float(row.points) for row in report.rows},
                     "cells": cell_seconds(out / "course" / "autograded"), "worker_overhead": sum(worker) / len(worker),
                     "judge_overhead": judge_overhead(out / "course" / "autograded")}


def judge_overhead(autograded: Path) -> float | None:
    """The judge's mean seconds per submission besides its test cells (its kernel, the instructor's set-up
    cells, binding the answers), from what ``grader.judge.execute`` records; None where nothing was judged."""
    from grader.judge.execute import COST_KEY
    from practicum.tidy import read_notebook

    costs = [read_notebook(path).metadata.get(COST_KEY) for path in autograded.rglob("*.ipynb")]
    costs = [cost["seconds"] - cost["test_seconds"] for cost in costs if cost]
    return sum(costs) / len(costs) if costs else None


def cell_seconds(autograded: Path) -> float:
    """Seconds the notebooks' code cells ran, all together, from nbclient's timestamps."""
    from grader.worker import cell_seconds as notebook_cell_seconds

    return sum(notebook_cell_seconds(path.read_bytes()) for path in autograded.rglob("*.ipynb"))


#: Every run ``main`` can make: (slots, options of ``grade``); stock nbgrader and Dask are set up apart.
RUNS = {"nbgrader_serial": (1, {}), "jobs2": (SLOTS, {"jobs": SLOTS}), "jobs2_repeat": (SLOTS, {"jobs": SLOTS}),
        "jobs2_threads1": (SLOTS, {"jobs": SLOTS, "threads": 1}), "jobs2_threads1_repeat": (SLOTS, {"jobs": SLOTS, "threads": 1}),
        "jobs1": (1, {"jobs": 1}), "jobs1_repeat": (1, {"jobs": 1}), "dask2": (SLOTS, {})}
DEFAULT_RUNS = ("nbgrader_serial", "jobs2", "jobs2_repeat", "jobs2_threads1", "jobs2_threads1_repeat", "dask2")
#: (metric, run, the run it is compared with): each row needs both runs.
AGREEMENTS = [("same_scores_on_rerun", "jobs2", "jobs2_repeat"), ("same_scores_on_rerun", "jobs2_threads1", "jobs2_threads1_repeat"),
              ("same_scores_on_rerun", "jobs1", "jobs1_repeat"), ("same_scores_as_jobs2", "jobs2_threads1", "jobs2"),
              ("same_scores_as_jobs2", "jobs1", "jobs2"), ("same_scores_as_jobs2", "dask2", "jobs2")]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="04_convnet_from_scratch")
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--runs", nargs="+", choices=list(RUNS), default=list(DEFAULT_RUNS),
                        help="which gradings to make, in this order (default: all but jobs1 and jobs1_repeat)")
    parser.add_argument("--no-record", action="store_true", help="print, do not append to results.csv")
    args = parser.parse_args(argv)
    learners = a_class(args.assignment, args.learners)
    fair = {learner for learner, (kind, _) in learners.items() if kind != "hostile"}
    runs = {}
    with tempfile.TemporaryDirectory(prefix="grading-benchmark-") as tmp:
        work = Path(tmp)
        if "nbgrader_serial" in args.runs:
            runs["nbgrader_serial"] = (1,) + stock_nbgrader(work, args.assignment, learners)
        os.environ.update(kernel_env())  # the same environment for our workers' kernels
        for run in args.runs:
            slots, options = RUNS[run]
            if run == "dask2":
                from distributed import LocalCluster

                with LocalCluster(n_workers=SLOTS, threads_per_worker=1, host="127.0.0.1", dashboard_address=None, env=kernel_env()) as cluster:
                    runs[run] = (slots,) + practicum_grade(work, args.assignment, learners, run, scheduler=cluster.scheduler_address)
            elif run != "nbgrader_serial":
                runs[run] = (slots,) + practicum_grade(work, args.assignment, learners, run, **options)
    command = record.current_command()
    stock = runs["nbgrader_serial"][2] if "nbgrader_serial" in runs else None
    rows = []
    for run, (slots, seconds, result) in runs.items():
        name = f"{run}:ex{args.assignment[:2]}"
        overhead = seconds * slots / len(learners) - result["cells"] / len(learners)
        rows += [("grading", f"wall_s[{name}]", round(seconds, 1), round(seconds, 1), command),
                 ("grading", f"overhead_s[{name}]", round(overhead, 2), round(seconds, 1), command)]
        print(f"{name}: {seconds:.1f} s for {len(learners)} submissions; cells ran {result['cells'] / len(learners):.1f} s "
              f"per submission; overhead {overhead:.2f} s per submission and slot")
        if run == "nbgrader_serial":
            continue
        rows.append(("grading", f"worker_overhead_s[{name}]", round(result["worker_overhead"], 2), round(seconds, 1), command))
        print(f"  in the worker, {result['worker_overhead']:.2f} s per submission besides its cells")
        if result["judge_overhead"] is not None:
            rows.append(("grading", f"overhead_s[judge:{name}]", round(result["judge_overhead"], 2), round(seconds, 1), command))
            print(f"  the judge, {result['judge_overhead']:.2f} s per submission besides its test cells")
        if stock is None:
            continue
        stock_seconds = runs["nbgrader_serial"][1]
        differ = {key: (value, result["points"].get(key)) for key, value in stock["points"].items()
                  if key[0] in fair and result["points"].get(key) != value}
        agree = fair - {learner for learner, _ in differ}
        rows += [("grading", f"speedup_vs_nbgrader[{name}]", round(stock_seconds / seconds, 3), round(seconds, 1), command),
                 ("grading", f"same_scores[{name}]", round(len(agree) / len(fair), 3), round(seconds, 1), command),
                 ("grading", f"speedup_bound[{name}]", round(stock_seconds / (result["cells"] / slots), 3), round(seconds, 1), command)]
        hostile = {learner: sum(v for k, v in result["points"].items() if k[0] == learner) for learner in learners if learner not in fair}
        print(f"  points unlike stock's (stock, ours): {dict(list(differ.items())[:4])}; same points as stock on "
              f"{len(agree)}/{len(fair)} non-hostile submissions; hostile got {hostile} "
              f"(stock: { {l: sum(v for k, v in stock['points'].items() if k[0] == l) for l in hostile} })")
    for metric, run, other in AGREEMENTS:
        if run not in runs or other not in runs:
            continue
        first, again = runs[run][2]["points"], runs[other][2]["points"]
        changed = {learner for (learner, cell), value in first.items() if again.get((learner, cell)) != value}
        rows.append(("grading", f"{metric}[{run}:ex{args.assignment[:2]}]", round(1 - len(changed) / len(learners), 3),
                     round(runs[other][1], 1), command))
        print(f"{run} against {other}: {len(learners) - len(changed)}/{len(learners)} submissions got the same points in every "
              f"cell (changed: {sorted(changed)})")
    record.publish(rows, dry_run=args.no_record)


if __name__ == "__main__":
    main()
