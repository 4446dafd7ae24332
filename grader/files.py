"""Files a learner may have made, read and removed by the grader with the instructor's rights.

A submission is a hostile file until checked: any path in it may be a symbolic link (to the grader's
signing key, to another learner's notebook, to ``/dev/zero``), a named pipe (which blocks whoever
opens it for reading) or a device. So the grader reads such files only through ``read_regular``: the
file is opened without following a link and without blocking, its type and size are checked on the
open descriptor (so nothing can be swapped in between the check and the read), and only then is it
read, at most ``limit`` bytes. ``walk`` lists a folder the same way: every entry with its type, links
never followed. ``remove_tree`` removes a folder however deep it is (Python's ``shutil.rmtree`` recurses
and raises ``RecursionError`` on a deep enough tree), and whatever rights its files were left with.
"""

import os
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path


class Refused(Exception):
    """A file the grader will not read; ``str()`` is the reason, for the learner and the instructor."""


def kind_of(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words ("" for a regular file)."""
    if stat.S_ISREG(mode):
        return ""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device file"


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of ``path`` if it is a regular file (not a link, pipe or device) of at most ``limit``
    bytes; otherwise ``Refused`` saying why."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as error:
        try:
            kind = kind_of(os.lstat(path).st_mode)
        except OSError:
            kind = ""
        raise Refused(f"{kind}, not a file" if kind else f"it cannot be read ({error.strerror})") from None
    with os.fdopen(descriptor, "rb") as stream:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise Refused(f"{kind_of(info.st_mode)}, not a file")
        if info.st_size > limit:
            raise Refused(f"too large ({size_text(info.st_size)}; at most {size_text(limit)})")
        try:
            contents = stream.read(limit + 1)
        except OSError as error:
            raise Refused(f"it cannot be read ({error.strerror})") from None
    if len(contents) > limit:  # it grew while being read
        raise Refused(f"too large (more than {size_text(limit)})")
    return contents


@dataclass(frozen=True)
class Entry:
    path: Path
    relative: Path  # to the folder walked
    kind: str  # "" for a regular file, else kind_of()'s words ("a folder" is walked into, never listed)
    size: int


def walk(folder: Path, exclude: Path | None = None) -> list[Entry]:
    """Every file under ``folder`` (not the folders themselves), sorted, with its kind; a link is listed,
    never followed, whether it points at a file or a folder. Nothing under ``exclude``. Iterative: any depth."""
    found, stack = [], [Path(folder)]
    excluded = Path(exclude).resolve() if exclude else None
    while stack:
        current = stack.pop()
        if excluded is not None and current.resolve() == excluded:
            continue
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode):
                stack.append(Path(entry.path))
            else:
                found.append(Entry(Path(entry.path), Path(entry.path).relative_to(folder), kind_of(info.st_mode), info.st_size))
    return sorted(found, key=lambda entry: entry.relative.parts)


def entry_of(path: Path) -> Entry | None:
    """``path`` as ``walk`` would list it from its own folder (None when there is nothing there)."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return Entry(Path(path), Path(Path(path).name), kind_of(info.st_mode), info.st_size)


def remove_tree(folder: Path) -> None:
    """Remove ``folder`` and everything in it, however deep, links not followed; never raises. ``rm``
    walks a tree without recursing; a folder left without write or search rights is opened up first
    and removed again. (Where there is no ``rm``, Python's ``shutil.rmtree`` does what it can.)"""
    folder = Path(folder)
    if os.path.islink(folder):
        os.unlink(folder)
        return
    for attempt in range(2):
        if not os.path.lexists(folder):
            return
        if attempt:  # chmod -R follows no link it meets inside the tree
            _quietly(["chmod", "-R", "u+rwX", "--", str(folder)])
        if not _quietly(["rm", "-rf", "--", str(folder)]):
            try:
                shutil.rmtree(folder, ignore_errors=True)
            except RecursionError:
                return


def _quietly(command: list[str]) -> bool:
    """Run ``command``; False when it could not be started."""
    try:
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    except OSError:
        return False
    return True


def size_text(count: int) -> str:
    return f"{count / 2**20:.0f} MB" if count >= 2**20 else f"{count:,} bytes"
