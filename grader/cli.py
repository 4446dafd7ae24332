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


def run_build(args: argparse.Namespace) -> int:
    from grader.build import build_all

    changed = build_all(args.solutions, args.exercises, check_only=args.check)
    for exercise in changed:
        print(f"{'stale or missing' if args.check else 'rebuilt'}: {exercise}")
    if args.check and changed:
        print("run `practicum build` and commit exercises/", file=sys.stderr)
        return 1
    return 0
