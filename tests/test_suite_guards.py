"""The suite's own guards (tests/conftest.py): a process a test started and left running is found, and
the tests of an ``xdist_group`` share one worker."""

import re
import subprocess
import sys
from pathlib import Path

from conftest import processes_left_behind


def test_a_process_left_running_is_found_and_one_that_ended_is_not():
    left = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert left.pid in {process.pid for process in processes_left_behind(grace=0.5)}
    finally:
        left.kill()
        left.wait()
    assert left.pid not in {process.pid for process in processes_left_behind(grace=0.5)}


def test_an_xdist_group_runs_on_one_worker(tmp_path):
    (tmp_path / "conftest.py").write_text(  # the suite's hook, and nothing else of its conftest
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('suite_conftest', {str(Path(__file__).parent / 'conftest.py')!r})\n"
        "suite = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(suite)\n"
        "pytest_collection_modifyitems = suite.pytest_collection_modifyitems\n")
    (tmp_path / "test_grouped.py").write_text(
        "import os, pytest\npytestmark = pytest.mark.xdist_group('shared')\n"
        "@pytest.mark.parametrize('index', range(6))\ndef test_grouped(index):\n"
        "    print('worker', os.environ['PYTEST_XDIST_WORKER'])\n")
    (tmp_path / "test_free.py").write_text("import pytest\n@pytest.mark.parametrize('index', range(6))\ndef test_free(index):\n    pass\n")
    done = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-p", "no:cacheprovider", "-rA", "-q",
                           "test_grouped.py", "test_free.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:]
    workers = set(re.findall(r"^worker (gw\d+)$", done.stdout, re.MULTILINE))
    assert len(workers) == 1, done.stdout[-2000:]
