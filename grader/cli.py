"""The grader's subcommands of the ``practicum`` console script: ``build``, ``check`` and ``grade``.

``practicum.cli`` calls ``register(subparsers)``; ``python -m grader`` does the same on its own parser.
Each subcommand's ``func(args)`` returns the process exit code.
"""

import argparse
import sys
from pathlib import Path

from practicum import paths


def register(subparsers) -> None:
    build = subparsers.add_parser("build", help="regenerate exercises/ from solutions/ (nbgrader generate_assignment)")
    build.add_argument("--check", action="store_true", help="write nothing; exit 1 listing exercises that are stale or missing")
    build.add_argument("--solutions", type=Path, default=paths.SOLUTIONS, help="default: %(default)s")
    build.add_argument("--exercises", type=Path, default=paths.EXERCISES, help="default: %(default)s")
    build.set_defaults(func=run_build)

    check = subparsers.add_parser("check", help="run your exercise notebook headless and see which exercises pass")
    check.add_argument("notebook", type=Path)
    check.add_argument("--timeout", type=float, default=600, help="seconds for the whole notebook (default: %(default)s)")
    check.set_defaults(func=run_check)


def run_build(args: argparse.Namespace) -> int:
    from grader.build import build_all

    changed = build_all(args.solutions, args.exercises, check_only=args.check)
    for exercise in changed:
        print(f"{'stale or missing' if args.check else 'rebuilt'}: {exercise}")
    if args.check and changed:
        print("run `practicum build` and commit exercises/", file=sys.stderr)
        return 1
    return 0


def run_check(args: argparse.Namespace) -> int:
    from grader.check import check_notebook, summary_line
    from practicum.tidy import NotebookError

    try:
        results = check_notebook(args.notebook, timeout=args.timeout)
    except NotebookError as error:
        print(error, file=sys.stderr)
        return 1
    if not results:
        print(f"{args.notebook}: no graded exercises found; its nbgrader metadata may be lost. "
              "Copy your answers into a fresh copy of the exercise notebook.", file=sys.stderr)
        return 1
    for result in results:
        print(result)
    print(summary_line(results))
    return 0 if all(result.passed for result in results) else 1
