"""The grader's subcommands of the ``practicum`` console script: ``build``, ``check``, ``grade`` and ``export``.

``practicum.cli`` calls ``register(subparsers)``; ``python -m grader`` does the same on its own parser.
Each subcommand's ``func(args)`` returns the process exit code.
"""

import argparse
import sys
from pathlib import Path

from practicum import paths
from practicum.errors import CourseError, require_file, require_folder


def register(subparsers) -> None:
    build = subparsers.add_parser("build", help="regenerate exercises/ from solutions/ (nbgrader generate_assignment)")
    build.add_argument("--check", action="store_true", help="write nothing; exit 1 listing exercises that are stale or missing")
    build.add_argument("--solutions", type=Path, default=paths.SOLUTIONS, help="default: %(default)s")
    build.add_argument("--exercises", type=Path, default=paths.EXERCISES, help="default: %(default)s")
    build.add_argument("--answered", type=Path, metavar="FOLDER",
                       help="write into FOLDER, instead of exercises/, each exercise with the solution's answers typed in: "
                            "what a learner who did the work hands in (`make course` grades these)")
    build.set_defaults(func=run_build)

    check = subparsers.add_parser("check", help="run your exercise notebook headless and see which exercises pass")
    check.add_argument("notebook", type=Path)
    check.add_argument("--timeout", type=float, default=600, help="seconds for the whole notebook (default: %(default)s)")
    check.set_defaults(func=run_check)

    grade = subparsers.add_parser("grade", help="autograde submissions with the hidden tests; write grades.csv and feedback")
    grade.add_argument("submissions", nargs="+", type=Path, help="notebooks, folders of notebooks, nbgrader submitted/ trees or zips")
    grade.add_argument("--out", type=Path, required=True, help="where grades.csv, feedback/ and the nbgrader course go")
    grade.add_argument("--source", type=Path, default=paths.SOLUTIONS, help="solutions/ or an nbgrader source/ folder (default: %(default)s)")
    grade.add_argument("--jobs", type=int, help="submissions graded at once on this machine (default: one per core)")
    grade.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="grade on the Dask cluster whose scheduler is there "
                       "instead of on this machine (see docs/grading.md)")
    grade.add_argument("--threads", type=int, help="threads of each kernel's numerical libraries, whatever the machine: "
                       "the same number gives the same numbers, and so the same grades, on every run (default: 2)")
    grade.add_argument("--timeout", type=float, default=600, help="seconds for each submission's notebooks (default: %(default)s)")
    grade.add_argument("--holdout", type=Path, help="the instructor's photos (cats/, dogs/) for model-quality tests "
                       "(default: $PRACTICUM_HOLDOUT_DIR)")
    grade.add_argument("--memory", type=float, default=8, help="GiB each submission's kernel and the processes it starts may "
                       "allocate together; 0 for no cap (default: %(default)s)")
    grade.add_argument("--sandbox", choices=("auto", "require", "off"), default="auto",
                       help="run each kernel in bubblewrap: auto (when it works here), require (refuse to grade without it), "
                       "off (default: %(default)s; see docs/grading.md)")
    grade.add_argument("--scan", choices=("on", "off"), default="on",
                       help="the tamper scan that flags learner code reaching for the grader's machinery for a person to look at; "
                       "off is a testing switch (no judged grade depends on it; default: %(default)s; see docs/grading.md)")
    grade.add_argument("--course", type=Path, help="the course file: due dates and the late policy (default: course.toml "
                       "beside --source, when there is one; see docs/grading.md)")
    grade.add_argument("--roster", type=Path, help="the class list as CSV (id, first name, last name, email[, lms user id]): "
                       "names go into the gradebook, the feedback pages and the exports (see docs/grading.md)")
    grade.set_defaults(func=run_grade)

    export = subparsers.add_parser("export", help="write the grades in the file Canvas or Moodle imports (or nbgrader's CSV)")
    export.add_argument("graded", type=Path, help="the folder `practicum grade --out` wrote")
    export.add_argument("--to", choices=("canvas", "moodle", "csv"), required=True)
    export.add_argument("--out", type=Path, required=True, help="the file to write")
    export.set_defaults(func=run_export)


def run_build(args: argparse.Namespace) -> int:
    from grader.build import build_all, write_answered

    require_folder(args.solutions, "the instructor's solution notebooks", "pass --solutions the course's solutions/ folder")
    _course_file(None, args.solutions)  # a course file with a mistake is named now, not on grading day
    if args.answered is not None:
        for notebook in write_answered(args.solutions, args.answered):
            print(f"answered: {notebook}")
        return 0
    changed = build_all(args.solutions, args.exercises, check_only=args.check)
    for exercise in changed:
        print(f"{'stale or missing' if args.check else 'rebuilt'}: {exercise}")
    if args.check and changed:
        print("run `practicum build` and commit exercises/", file=sys.stderr)
        return 1
    return 0


def run_check(args: argparse.Namespace) -> int:
    from grader.check import check_notebook, summary_line

    results = check_notebook(require_file(args.notebook), timeout=args.timeout)
    if not results:
        print(f"{args.notebook}: no graded exercises found; its nbgrader metadata may be lost. "
              "Copy your answers into a fresh copy of the exercise notebook.", file=sys.stderr)
        return 1
    for result in results:
        print(result)
    print(summary_line(results))
    return 0 if all(result.passed for result in results) else 1


def run_grade(args: argparse.Namespace) -> int:
    from grader.execution import GRADING_THREADS
    from grader.grade import grade
    from grader.reports import summary_table, write_csv, write_feedback
    from grader import class_report
    from grader.roster import read_roster
    from grader.similarity import compare_class
    from grader.similarity import write_reports as write_similarity_reports

    _check_grade_inputs(args)
    roster = read_roster(require_file(args.roster, "roster", "roster.csv")) if args.roster else None
    course_file = _course_file(args.course, args.source)
    report = grade(args.submissions, args.out, source=args.source, jobs=args.jobs, timeout=args.timeout, holdout=args.holdout,
                   memory_gb=args.memory, sandbox=args.sandbox, scheduler=args.scheduler,
                   threads=args.threads or GRADING_THREADS, roster=roster, course_file=course_file, scan=args.scan == "on")
    if report.note:
        print(f"warning: {report.note}", file=sys.stderr)
    write_csv(report.rows, args.out / "grades.csv")
    write_feedback(report.rows, args.out / "feedback", args.out / "course")
    alike = compare_class(args.out / "course", args.out / "similarity")
    write_similarity_reports(alike, args.out)
    class_page = class_report.write(report.rows, args.out, alike, report.unplaced, report.unknown)
    print(summary_table(report.rows))
    for line in report.unplaced:
        print(f"not graded: {line}", file=sys.stderr)  # "path: why", from grader.submissions
    if alike:
        print(f"{len(alike)} pairs of learners whose answers look alike, for you to look at (no grade changed): "
              f"{args.out / 'similarity.html'}")
    if report.unknown:
        print(f"not on the roster (graded all the same): {', '.join(report.unknown)}", file=sys.stderr)
    print(f"\n{len(report.rows)} grades in {args.out / 'grades.csv'}, feedback in {args.out / 'feedback'}, how the class did in "
          f"{class_page}, graded on {report.workers}"
          + (f"; {report.reused} unchanged submissions not graded again" if report.reused else ""))
    return 0 if report.rows and not report.unplaced else 1


def _course_file(given: Path | None, source: Path):
    """The due dates and late policy: ``--course``, else course.toml beside the source folder, else none."""
    from grader.course import find_assignments
    from grader.late import read_course_file

    path = require_file(given, "course file", "course.toml") if given else Path(source).parent / "course.toml"
    return read_course_file(path, set(find_assignments(Path(source)))) if path.is_file() else None


def run_export(args: argparse.Namespace) -> int:
    from grader.export import export

    course = require_folder(args.graded / "course", "the nbgrader course that `practicum grade` keeps",
                            "pass the folder you gave `practicum grade --out`")
    require_file(course / "gradebook.db", "gradebook", "grading/course/gradebook.db")
    print(f"{args.to} grades: {export(course, args.to, args.out)}")
    return 0


def _check_grade_inputs(args: argparse.Namespace) -> None:
    """Wrong paths and unreadable solutions, found before any grading starts."""
    from practicum.tidy import read_notebook

    if args.threads is not None and args.threads < 1:
        raise CourseError(f"--threads {args.threads}: give each kernel at least 1 thread (default: 2)")
    for item in args.submissions:
        if not Path(item).exists():
            raise CourseError(f"{item}: no such file or folder; give submitted notebooks, folders of them or zips")
    require_folder(args.source, "the instructor's solutions", "pass --source the course's solutions/ or an nbgrader source/ folder")
    sources = sorted(p for p in Path(args.source).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    if not sources:
        raise CourseError(f"{args.source}: holds no notebook; pass --source the course's solutions/ or an nbgrader source/ folder")
    for notebook in sources:
        read_notebook(notebook)  # a NotebookError names the file that is not a notebook
    if args.holdout is not None:
        require_folder(args.holdout, "the instructor's photos, in cats/ and dogs/", "pass --holdout the folder that holds them")
