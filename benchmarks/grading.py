"""Grade the same class with stock ``nbgrader autograde`` and with ``practicum grade``, and record
what the grader's safety costs or saves.

    python benchmarks/grading.py                  # lesson 1, 4 learners
    python benchmarks/grading.py --learners 8 --assignment 02_engineered_features

Every learner hands in the solution notebook (so both graders execute the same code). Stock nbgrader
gets a course folder of its own (``source/``, ``generate_assignment``, ``submitted/``) with its
per-cell timeout raised so that it can finish at all; ``practicum grade`` gets the same notebooks as
``<learner>_<assignment>.ipynb``, once with ``--jobs 1`` and once with ``--jobs 2``. Rows (stage
``grading``): ``speedup_vs_nbgrader[jobs1|jobs2]`` (stock seconds ÷ ours) and
``overhead_s[per_submission]`` (ours with one job minus stock, per learner), each with our seconds.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import record  # noqa: E402
from practicum import paths  # noqa: E402


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def stock_nbgrader(work: Path, solution: Path, assignment: str, learners: list[str]) -> float:
    course = work / "stock"
    (course / "source" / assignment).mkdir(parents=True)
    shutil.copy(solution, course / "source" / assignment / solution.name)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.root = %r\nc.Execute.timeout = 600\n" % str(course))
    subprocess.run(["nbgrader", "generate_assignment", assignment, "--force"], cwd=course, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for learner in learners:
        target = course / "submitted" / learner / assignment
        target.mkdir(parents=True)
        shutil.copy(solution, target / solution.name)
    return timed(["nbgrader", "autograde", assignment, "--force"], course)


def practicum_grade(work: Path, solution: Path, assignment: str, learners: list[str], jobs: int) -> float:
    inbox = work / f"inbox{jobs}"
    inbox.mkdir()
    for learner in learners:
        shutil.copy(solution, inbox / f"{learner}_{assignment}.ipynb")
    return timed(["practicum", "grade", str(inbox), "--out", str(work / f"out{jobs}"), "--jobs", str(jobs)], work)


def a_class(argv, description: str) -> tuple[argparse.Namespace, Path, list[str]]:
    """The benchmark's options, the solution every learner hands in, and the learners' names."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--assignment", default="01_raw_pixels")
    parser.add_argument("--learners", type=int, default=4)
    parser.add_argument("--no-record", action="store_true", help="print, do not append to results.csv")
    args = parser.parse_args(argv)
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"  # nbgrader runs alembic
    return args, paths.SOLUTIONS / f"{args.assignment}.ipynb", [f"learner{i:02d}" for i in range(args.learners)]


def main(argv=None) -> None:
    args, solution, learners = a_class(argv, __doc__.splitlines()[0])
    with tempfile.TemporaryDirectory(prefix="grading-benchmark-") as tmp:
        work = Path(tmp)
        stock = stock_nbgrader(work, solution, args.assignment, learners)
        ours = {jobs: practicum_grade(work, solution, args.assignment, learners, jobs) for jobs in (1, 2)}
    command = record.current_command()
    rows = [("grading", f"speedup_vs_nbgrader[jobs{jobs}]", round(stock / seconds, 3), round(seconds, 1), command)
            for jobs, seconds in ours.items()]
    rows.append(("grading", "overhead_s[per_submission]", round((ours[1] - stock) / len(learners), 2), round(ours[1], 1), command))
    print(f"stock nbgrader autograde: {stock:.1f} s for {len(learners)} learners of {args.assignment}")
    record.publish(rows, dry_run=args.no_record)


if __name__ == "__main__":
    main()
