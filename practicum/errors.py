"""The course's expected failures, and how its commands report them.

A missing or broken dataset, no network, a file that is not a notebook, a path that does not exist:
each raises a :class:`CourseError` whose message is one line that names the file and the fix. The
``practicum`` commands print that line and exit non-zero; anything else is a bug and keeps its
traceback.
"""

import sys
import warnings
from pathlib import Path


class CourseError(Exception):
    """An expected failure; ``str(error)`` is one line naming the file and the fix."""


def require_file(path: Path, what: str = "notebook", example: str = "exercises/01_raw_pixels.ipynb") -> Path:
    """``path`` if it is a file; else a CourseError saying what was expected there."""
    path = Path(path)
    if path.is_dir():
        raise CourseError(f"{path}: is a folder, not a {what}; give the {what}'s own path, e.g. {example}")
    if not path.exists():
        raise CourseError(f"{path}: no such file; check the spelling, e.g. {example}")
    return path


def require_folder(path: Path, what: str, fix: str) -> Path:
    """``path`` if it is a folder; else a CourseError naming it, ``what`` it should hold and the ``fix``."""
    path = Path(path)
    if not path.is_dir():
        raise CourseError(f"{path}: {'not a folder' if path.exists() else 'no such folder'} ({what}); {fix}")
    return path


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {message}", file=file or sys.stderr)


def run_command(func, args) -> int:
    """Call a subcommand's ``func(args)`` and return its exit code, turning expected failures into
    one line on stderr (exit 1) and Ctrl-C into "interrupted" (exit 130)."""
    with warnings.catch_warnings():
        warnings.showwarning = _one_line_warning  # the course's warnings are one line already
        try:
            return func(args)
        except CourseError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
