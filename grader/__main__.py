"""``python -m grader build|check|grade``: the grader's commands until ``practicum`` wires them in."""

import argparse
import sys

from grader.cli import register
from practicum.errors import run_command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader", description=__doc__)
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return run_command(args.func, args)


if __name__ == "__main__":
    sys.exit(main())
