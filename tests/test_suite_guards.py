"""The suite's own guards (tests/conftest.py): a process a test started and left running is found."""

import subprocess
import sys

from conftest import processes_left_behind


def test_a_process_left_running_is_found_and_one_that_ended_is_not():
    left = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert left.pid in {process.pid for process in processes_left_behind(grace=0.5)}
    finally:
        left.kill()
        left.wait()
    assert left.pid not in {process.pid for process in processes_left_behind(grace=0.5)}
