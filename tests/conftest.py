"""Shared fixtures for the course's tests: an isolated environment, tiny synthetic photo trees, a
local HTTP server and the real dataset mirror when one is present.

Nothing here is autouse but ``no_process_left_behind``, the suite's session-end check: a kernel,
server, browser or worker that a test started and did not stop fails the run. Otherwise a test asks
for what it needs. A test module whose every test must stay
away from the real cache can say ``pytestmark = pytest.mark.usefixtures("isolated_paths")``.

- ``isolated_paths``: PRACTICUM_CACHE_DIR and PRACTICUM_BUILD_DIR point into ``tmp_path``,
  PRACTICUM_DATA_DIR and PRACTICUM_HOLDOUT_DIR are unset, and ``practicum.data._checked_roots`` is
  emptied, so a test never reads or writes the real cache and always re-checks a folder's layout.
- ``tiny_spec`` / ``use_spec``: a registry entry matching the tiny trees, and a function that makes
  ``practicum.data`` use a given spec instead of ``data/datasets.json``.
- ``tiny_dataset``: a tiny ``cats_and_dogs_filtered`` tree (24×20 px JPEGs, TINY_COUNTS photos)
  used as PRACTICUM_DATA_DIR with ``tiny_spec`` installed; the usual fixture for data tests.
- ``holdout_folder``: an instructor-style folder (``cats/``, ``dogs/``, no split level).
- ``http_server``: a bounded HTTP server on 127.0.0.1 whose routes a test fills in.
- ``real_dataset`` / ``real_holdout``: the shared mirror beside the repository, or a skip.

The plain helpers (``write_photo``, ``make_photo_tree``, ``make_class_folders``, ``zip_tree``,
``tiny_spec_for``, ``closed_port_url``, ``record_warnings``) build the same things by hand; import
them with ``from conftest import ...``.
"""

import io
import os
import socket
import time
import threading
import warnings
import zipfile
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

import numpy as np
import psutil
import pytest
from PIL import Image

import practicum.data
from practicum.registry import DatasetSpec

ROOT = Path(__file__).resolve().parent.parent
#: CI keeps a mirror of the dataset and the instructor's holdout beside the repository.
SHARED_DATA = ROOT.parent / "shared" / "data"

#: Photos per split and class in the tiny trees: a few dozen in all, so that tests stay fast.
TINY_COUNTS = {"train": {"cats": 8, "dogs": 8}, "validation": {"cats": 4, "dogs": 4}}
#: The dominant colour of each class's synthetic photos, so a test can tell a label from the pixels.
CLASS_COLORS = {"cats": (220, 30, 30), "dogs": (30, 30, 220)}
PHOTO_SIZE = (24, 20)  # width, height: not square, so resizing is exercised


# --- plain helpers ---------------------------------------------------------------------------

def photo_array(color: tuple[int, int, int], index: int = 0, size: tuple[int, int] = PHOTO_SIZE) -> np.ndarray:
    """An RGB uint8 ``(height, width, 3)`` picture: ``color`` with a bright bar whose position
    depends on ``index``, so that every photo of a tree is different."""
    width, height = size
    array = np.empty((height, width, 3), np.uint8)
    array[:] = color
    column = (3 * index) % max(1, width - 2)
    array[:, column:column + 2] = 255
    return array


def write_photo(path: Path, color: tuple[int, int, int] = (128, 128, 128), index: int = 0,
                size: tuple[int, int] = PHOTO_SIZE, fmt: str = "JPEG", mode: str = "RGB", **save_args) -> Path:
    """Write one synthetic photo (any PIL ``fmt`` and ``mode``, whatever the file's suffix)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(photo_array(color, index, size)).convert(mode).save(path, fmt, **save_args)
    return path


def make_class_folders(base: Path, counts: dict[str, int], size: tuple[int, int] = PHOTO_SIZE) -> Path:
    """``base/<class>/<class>.<n>.jpg`` for each class in ``counts`` (cats red, dogs blue)."""
    for class_name, count in counts.items():
        color = CLASS_COLORS.get(class_name, (30, 200, 30))
        for n in range(count):
            write_photo(base / class_name / f"{class_name[:-1]}.{n:03d}.jpg", color, n, size)
    return base


def make_photo_tree(root: Path, counts: dict[str, dict[str, int]] = TINY_COUNTS,
                    size: tuple[int, int] = PHOTO_SIZE) -> Path:
    """A ``cats_and_dogs_filtered``-style tree: ``root/<split>/<class>/*.jpg``; returns ``root``."""
    for split, class_counts in counts.items():
        make_class_folders(root / split, class_counts, size)
    root.mkdir(parents=True, exist_ok=True)
    return root


def zip_tree(root: Path, compression: int = zipfile.ZIP_STORED) -> bytes:
    """The bytes of a zip holding ``root`` as its top-level folder (like the official archive)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for path in sorted(root.rglob("*")):
            zf.write(path, path.relative_to(root.parent).as_posix())
    return buffer.getvalue()


def tiny_spec_for(urls: tuple[str, ...] = ("http://127.0.0.1:9/unreachable.zip",), size: int = 1,
                  counts: dict[str, dict[str, int]] = TINY_COUNTS, sha256: str | None = None,
                  name: str = "tiny") -> DatasetSpec:
    """A registry entry for a tiny tree. Its default URL is a closed local port: a test that
    downloads by mistake fails at once instead of reaching the network."""
    return DatasetSpec(name=name, urls=tuple(urls), size=size, folder="cats_and_dogs_filtered",
                       classes=("cats", "dogs"), splits={s: dict(c) for s, c in counts.items()}, sha256=sha256)


@contextmanager
def record_warnings():
    """Every warning raised inside, even one already shown from the same line before."""
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        yield records


# --- the session-end check ---------------------------------------------------------------------

#: Helpers that Python's multiprocessing starts once and keeps for the life of the interpreter.
INTERPRETER_HELPERS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")


def processes_left_behind(grace: float = 10.0) -> list[psutil.Process]:
    """This process's descendants still running after ``grace`` seconds (zombies and the
    interpreter's own multiprocessing helpers aside)."""
    def alive() -> list[psutil.Process]:
        found = []
        for child in psutil.Process().children(recursive=True):
            try:
                if child.status() == psutil.STATUS_ZOMBIE or any(h in " ".join(child.cmdline()) for h in INTERPRETER_HELPERS):
                    continue
            except psutil.NoSuchProcess:
                continue
            found.append(child)
        return found

    deadline = time.monotonic() + grace
    while (left := alive()) and time.monotonic() < deadline:
        time.sleep(0.5)  # a kernel told to stop may take a moment
    return left


@pytest.fixture(scope="session", autouse=True)
def no_process_left_behind():
    """Fail the run if a process the suite started is still alive when the session ends (each
    xdist worker checks its own); it is killed first, so it cannot slow down what comes next."""
    yield
    left = processes_left_behind()
    described = []
    for process in left:
        try:
            described.append(f"pid {process.pid}: {' '.join(process.cmdline())[:160]}")
            process.kill()
        except psutil.NoSuchProcess:
            pass
    assert not described, f"{len(described)} process(es) started by the suite outlived it (pid {os.getpid()}):\n" + "\n".join(described)


# --- pytest-xdist's groups ----------------------------------------------------------------------

@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """``--dist loadgroup``: what pytest-xdist's own hook means to do. pytest-xdist 3.8 marks a test of an
    ``xdist_group`` by setting ``item._nodeid``, which pytest 9 no longer reads (a node's id is ``item._id``),
    so every group would be spread over the workers: a module's shared set-up (a graded batch, the Colab-like
    environment) would run on each, and race for the same files."""
    if not getattr(config.option, "loadgroup", False):
        return
    from _pytest.nodeid import coerce_node_id

    for item in items:
        groups = sorted({str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                         for mark in item.iter_markers("xdist_group")})
        if groups and "@" not in item.nodeid.rpartition("]")[2]:  # not already suffixed (a pytest-xdist that works)
            item._id = coerce_node_id(f"{item.nodeid}@{'_'.join(groups)}")


# --- environment -----------------------------------------------------------------------------

@pytest.fixture
def isolated_paths(tmp_path, monkeypatch):
    """Point the course's cache and build folders into ``tmp_path`` and forget checked folders.

    Returns a namespace with ``cache`` and ``build`` (not created yet) and ``tmp`` (``tmp_path``).
    """
    cache, build = tmp_path / "cache", tmp_path / "build"
    monkeypatch.setenv("PRACTICUM_CACHE_DIR", str(cache))
    monkeypatch.setenv("PRACTICUM_BUILD_DIR", str(build))
    monkeypatch.delenv("PRACTICUM_DATA_DIR", raising=False)
    monkeypatch.delenv("PRACTICUM_HOLDOUT_DIR", raising=False)
    monkeypatch.setattr(practicum.data, "_checked_roots", set())
    return SimpleNamespace(cache=cache, build=build, tmp=tmp_path)


@pytest.fixture
def tiny_spec() -> DatasetSpec:
    """The registry entry of the tiny trees (counts TINY_COUNTS, no reachable URL)."""
    return tiny_spec_for()


@pytest.fixture
def use_spec(monkeypatch) -> Callable[[DatasetSpec], DatasetSpec]:
    """``use_spec(spec)`` makes practicum.data look datasets up in ``spec`` instead of the registry."""
    def install(spec: DatasetSpec) -> DatasetSpec:
        monkeypatch.setattr(practicum.data, "dataset_spec", lambda name=spec.name: spec)
        return spec
    return install


@pytest.fixture
def tiny_dataset(isolated_paths, tiny_spec, use_spec, monkeypatch) -> Path:
    """A fresh tiny tree at ``tmp_path/cats_and_dogs_filtered`` used as PRACTICUM_DATA_DIR, with
    ``tiny_spec`` installed and the cache isolated; returns the tree's root."""
    root = make_photo_tree(isolated_paths.tmp / "cats_and_dogs_filtered")
    use_spec(tiny_spec)
    monkeypatch.setenv("PRACTICUM_DATA_DIR", str(root))
    return root


@pytest.fixture
def holdout_folder(tmp_path) -> Path:
    """An instructor's holdout: ``cats/`` and ``dogs/`` with 3 photos each, no split level."""
    return make_class_folders(tmp_path / "holdout", {"cats": 3, "dogs": 3})


# --- local HTTP server -----------------------------------------------------------------------

@dataclass
class LocalServer:
    """A server on 127.0.0.1. ``routes`` maps a path to bytes (200 with that body), an int (that
    status, empty body) or ``callable(handler)`` that writes the whole response itself; any other
    path is a 404. ``hits`` counts the requests per path."""
    port: int
    routes: dict[str, object] = field(default_factory=dict)
    hits: Counter = field(default_factory=Counter)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def _handler_for(server: LocalServer):
    class Handler(BaseHTTPRequestHandler):
        timeout = 10  # a stuck client cannot hold a server thread for long

        def log_message(self, *args):  # keep the test output quiet
            pass

        def do_GET(self):
            server.hits[self.path] += 1
            route = server.routes.get(self.path, 404)
            if callable(route):
                route(self)
            elif isinstance(route, int):
                self.send_response(route)
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self.send_response(200)
                self.send_header("Content-Type", "application/zip")
                self.send_header("Content-Length", str(len(route)))
                self.end_headers()
                self.wfile.write(route)

    return Handler


@pytest.fixture
def http_server(monkeypatch):
    """A LocalServer running in a thread for this test only; it also stops itself after 60 s."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    state = LocalServer(port=0)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(state))
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    watchdog = threading.Timer(60, httpd.shutdown)
    watchdog.daemon = True
    watchdog.start()
    try:
        yield state
    finally:
        watchdog.cancel()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def closed_port_url(path: str = "/nothing.zip") -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


# --- the real mirror -------------------------------------------------------------------------

def _shared_or_skip(name: str, what: str) -> Path:
    folder = SHARED_DATA / name
    if not folder.is_dir():
        pytest.skip(f"no {what} at {folder}")
    return folder


@pytest.fixture
def real_dataset() -> Path:
    """``../shared/data/cats_and_dogs_filtered`` beside the repository, or skip the test."""
    return _shared_or_skip("cats_and_dogs_filtered", "dataset mirror")


@pytest.fixture
def real_holdout() -> Path:
    """``../shared/data/holdout`` beside the repository, or skip the test."""
    return _shared_or_skip("holdout", "holdout folder")
