"""What the sandbox costs per submission, and how much memory the heaviest exercise needs when graded.

    python benchmarks/sandbox.py                                   # lesson 1, 4 learners
    python benchmarks/sandbox.py --assignment 05_preventing_overfitting --learners 1

Every learner hands in the solution. The class is graded twice with ``--jobs 1``: in bubblewrap
(``--sandbox require``) and without it (``--sandbox off``); both run the kernel under the same
limits, so the difference is bubblewrap's and the outside scorer's. Rows (stage ``grading``):
``overhead_s[sandbox]`` (sandboxed minus unsandboxed, per submission; seconds: sandboxed wall time)
and ``peak_memory_gb[<assignment>]`` (the largest peak of one submission's kernel and everything it
started, from its cgroup; only where cgroups are writable).
"""

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import record  # noqa: E402
from grader.grade import grade  # noqa: E402
from practicum import paths  # noqa: E402


def graded(work: Path, solution: Path, assignment: str, learners: list[str], sandbox: str):
    inbox = work / f"inbox-{sandbox}"
    inbox.mkdir()
    for learner in learners:
        shutil.copy(solution, inbox / f"{learner}_{assignment}.ipynb")
    start = time.perf_counter()
    report = grade([inbox], work / f"out-{sandbox}", jobs=1, holdout=paths.holdout_dir(), sandbox=sandbox)
    seconds = time.perf_counter() - start
    lost = [row for row in report.rows if row.points != row.max_points]
    if lost:
        raise SystemExit(f"the solution lost points under --sandbox {sandbox}: {lost[0]}")
    return seconds, report


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="01_raw_pixels")
    parser.add_argument("--learners", type=int, default=4)
    parser.add_argument("--no-record", action="store_true", help="print, do not append to results.csv")
    args = parser.parse_args(argv)
    solution, learners = paths.SOLUTIONS / f"{args.assignment}.ipynb", [f"learner{i:02d}" for i in range(args.learners)]
    with tempfile.TemporaryDirectory(prefix="sandbox-benchmark-") as tmp:
        inside, report = graded(Path(tmp), solution, args.assignment, learners, "require")
        outside, _ = graded(Path(tmp), solution, args.assignment, learners, "off")
    command = record.current_command()
    rows = [("grading", "overhead_s[sandbox]", round((inside - outside) / len(learners), 2), round(inside, 1), command)]
    if report.peak_memory:
        rows.append(("grading", f"peak_memory_gb[{args.assignment}]", round(max(report.peak_memory.values()) / 2**30, 2),
                     round(inside, 1), command))
    print(f"{args.assignment}, {len(learners)} learners: sandboxed {inside:.1f} s, unsandboxed {outside:.1f} s")
    record.publish(rows, dry_run=args.no_record)


if __name__ == "__main__":
    main()
