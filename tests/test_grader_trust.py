"""The grader's defences against hostile submissions, piece by piece and without a notebook kernel
where possible: the tamper scan, redaction, the sandbox's walls, the limits, the holdout scorer, the
kernels started ahead and the hard limit.
The whole chain is exercised on real exercises by tests/adversarial/."""

import os
import socket
import subprocess
import sys
import textwrap
import time
import warnings
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

from grader import sandbox
from grader.build import release
from grader.execution import GRADING_THREADS
from grader.confine import Group, Limits
from grader.files import Refused
from grader.holdout import HoldoutTest, copy_handed_in, predict_outside
from grader.results import MESSAGE_LIMIT, redact
from grader.tamper import findings_in, scan
from practicum import paths
from practicum.tidy import read_notebook

PROTECTED = {"check", "expect", "np", "data", "SIZE"}
MODULES = {"np", "sys", "os", "builtins", "data", "practicum", "keras"}
IMPORTED = {"np": "numpy", "data": "practicum.data", "check": "practicum.checks.check", "expect": "practicum.checks.expect"}
LIMITS = Limits(memory_bytes=2 * 2**30, processes=256, cpu_seconds=60, file_bytes=2**26)
needs_bwrap = pytest.mark.skipif(bool(sandbox.available()), reason=sandbox.available() or "bubblewrap works")


@pytest.mark.parametrize("source, finding", [
    ("import contextlib\ncheck = contextlib.suppress(Exception)", "rebinds `check`"),
    ("from contextlib import suppress as check", "rebinds `check`"),
    ("def expect(*args, **kwargs):\n    pass", "rebinds `expect`"),
    ("del SIZE", "deletes `SIZE`"),
    ("np.allclose = lambda *a, **k: True", "patches np.allclose"),
    ("import builtins\nbuiltins.isinstance = lambda *a: True", "imports builtins"),
    ("import sys\nsys.modules['numpy'] = None", "uses sys.modules"),
    ("import sys\nsys.settrace(lambda *a: None)", "uses sys.settrace"),
    ("import sys\nsys.stdout = open('/dev/null', 'w')", "uses sys.stdout"),
    ("get_ipython().events.register('pre_run_cell', print)", "uses get_ipython"),
    ("import linecache\nraise ValueError(''.join(linecache.cache))", "imports linecache"),
    ("import gc\ngc.get_objects()", "imports gc"),
    ("import ctypes", "imports ctypes"),
    ("import numpy as data", "rebinds `data`"),
    ("class Model:\n    def __reduce__(self):\n        return (print, ('hi',))", "defines __reduce__"),
    ("from inspect import currentframe", "imports inspect"),
    ("f = (lambda: 0).__globals__", "uses the attribute __globals__"),
    ("exec('check = None')", "uses exec"),
    ("!cat /etc/passwd", "runs shell commands"),
])
def test_the_scan_names_what_reaches_for_the_tests(source, finding):
    found = findings_in(source, PROTECTED, MODULES, IMPORTED)
    assert any(finding in item for item in found), found


@pytest.mark.parametrize("source", [
    "def conv2d(x, w):\n    data = np.zeros(3)\n    out = np.einsum('ij,jk->ik', x, w)\n    return out",
    "import sys\nprint('working on it', file=sys.stderr)",
    "%matplotlib inline\nimport matplotlib.pyplot as plt",
    "import numpy as np\nfrom practicum import data\nfrom practicum.checks import check",
    "class Model:\n    def __init__(self):\n        self.check = 1",
    "result = [check for check in range(3)]",
])
def test_the_scan_leaves_honest_answers_alone(source):
    assert findings_in(source, PROTECTED, MODULES, IMPORTED) == []


def test_the_scan_reads_only_cells_the_learner_wrote():
    released = release(read_notebook(paths.SOLUTIONS / "03_convolutions.ipynb"))
    submitted = nbformat.from_dict(released)
    answers = [cell for cell in submitted.cells if cell.metadata.get("nbgrader", {}).get("solution")]
    answers[0].source = "import contextlib\ncheck = contextlib.suppress(Exception)"
    submitted.cells.append(nbformat.v4.new_code_cell("import numpy\nnumpy.allclose = lambda *a, **k: True"))
    assert scan(released, released) == []
    found = scan(submitted, released)
    assert found[0].startswith(answers[0].metadata.nbgrader["grade_id"] + ": rebinds `check`")
    assert any("patches numpy.allclose" in item for item in found)


def test_redaction_removes_test_source_and_cuts_learner_text():
    secret = "with check('hidden'):\n    hidden_probe = conv2d(np.ones((3, 3)), kernel)\n"
    leaked = "boom\n### BEGIN HIDDEN TESTS\n    hidden_probe = conv2d(np.ones((3, 3)), kernel)\nend"
    text = redact(leaked, secret + "### BEGIN HIDDEN TESTS\n")
    assert "hidden_probe" not in text and "BEGIN HIDDEN" not in text and "boom" in text and "removed" in text
    assert len(redact("x" * 5000)) <= MESSAGE_LIMIT + 2


def test_limits_become_rlimits():
    import resource

    limits = LIMITS.rlimits()
    assert limits[resource.RLIMIT_DATA] == 2 * 2**30 and limits[resource.RLIMIT_CORE] == 0
    assert limits[resource.RLIMIT_CPU] == 60 and limits[resource.RLIMIT_FSIZE] == 2**26


@pytest.mark.skipif(not Group("probe").available, reason="no writable cgroups here (root on Linux needed)")
def test_a_cgroup_catches_a_detached_process_and_is_removed():
    group = Group("practicum-test-detached")
    group.create(LIMITS)
    command = sandbox.confine_command([sys.executable, "-c", "import os, time\nif os.fork() == 0:\n    os.setsid(); time.sleep(60)"],
                                      LIMITS, group="practicum-test-detached")
    subprocess.run(command, check=True, timeout=30)
    assert len(group.processes()) == 1, "the detached grandchild is still in the group"
    group.close()
    assert not any(folder.exists() for folder in group.folders.values())


def _inside(tmp_path, code: str, readable=()) -> subprocess.CompletedProcess:
    workspace, runtime = tmp_path / "workspace", tmp_path / "runtime"
    workspace.mkdir(exist_ok=True)
    runtime.mkdir(exist_ok=True)
    command = sandbox.bwrap_command([sys.executable, "-c", textwrap.dedent(code)], workspace, runtime, list(readable), env={})
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


@needs_bwrap
def test_the_sandbox_hides_the_course_and_the_network_and_keeps_writes_in_the_workspace(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    canaries = [paths.ROOT / f"canary-{tmp_path.name}", Path("/usr") / f"canary-{tmp_path.name}"]
    done = _inside(tmp_path, f"""
        import os, socket
        print(os.path.exists({str(paths.SOLUTIONS)!r}), os.path.exists({str(Path.home())!r} + '/.bashrc'),
              'PRACTICUM_HOLDOUT_DIR' in os.environ, os.getpid())
        open('answer.txt', 'w').write('ok')
        for target in {[str(c) for c in canaries]!r}:
            try:
                open(target, 'w').write('escaped')
            except OSError:
                pass
        try:
            socket.create_connection(('127.0.0.1', {port}), timeout=2)
            print('connected')
        except OSError:
            pass
        import practicum.checks
    """)
    listener.close()
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False", "False", "2"], done.stdout
    assert (tmp_path / "workspace" / "answer.txt").read_text() == "ok"
    # what the host sees, not what the sandbox believes: wherever the checkout lives (/tmp included)
    assert [canary for canary in canaries if canary.exists()] == []


@needs_bwrap
def test_under_tmp_the_sandbox_sees_only_its_bound_folders_and_writes_nowhere_else(tmp_path):
    """A course, --out and the photos under /tmp (a checkout in /tmp, pytest's tmp_path): inside,
    /tmp is private scratch, the folders above a bound folder are empty and read-only, and a
    neighbour of a bound folder (another learner's files, --out) is not there at all."""
    photos, out = tmp_path / "course" / "photos", tmp_path / "out"
    photos.mkdir(parents=True)
    (photos / "cat.jpg").write_bytes(b"pixels")
    out.mkdir()
    (out / "grades.csv").write_text("secret")
    scratch = Path("/tmp") / f"scratch-{tmp_path.name}"
    done = _inside(tmp_path, f"""
        import os
        def attempt(path):
            try:
                open(path, 'w').write('x')
                return 'wrote'
            except OSError as error:
                return type(error).__name__
        print(open({str(photos / 'cat.jpg')!r}, 'rb').read().decode(),
              os.path.exists({str(out / 'grades.csv')!r}), sorted(os.listdir({str(tmp_path)!r})) == ['course', 'runtime', 'workspace'],
              attempt({str(photos / 'new.jpg')!r}), attempt({str(tmp_path / 'course' / 'canary')!r}),
              attempt({str(tmp_path / 'canary')!r}), attempt({str(scratch)!r}))
    """, readable=[photos])
    assert done.returncode == 0, done.stderr
    seen = done.stdout.split()
    assert seen[:3] == ["pixels", "False", "True"], done.stdout  # the photos, not --out; only what is bound (and its path)
    assert seen[3:6] == ["OSError", "OSError", "OSError"], done.stdout  # read-only: a write fails, as outside /tmp
    assert seen[6] == "wrote", done.stdout  # /tmp itself is scratch space ...
    assert not scratch.exists() and not (photos / "new.jpg").exists()  # ... that never reaches the host
    assert not (tmp_path / "canary").exists() and not (tmp_path / "course" / "canary").exists()


@needs_bwrap
def test_the_scorer_sees_pixels_only_and_its_labels_are_checked(tmp_path):
    model = tmp_path / "models"
    model.mkdir()
    predictor = textwrap.dedent("""
        import cloudpickle, numpy as np

        class Bright:
            def predict(self, images):
                return (images.reshape(len(images), -1).mean(1) > 100).astype(int)

        open('model.pkl', 'wb').write(cloudpickle.dumps(Bright()))
    """)
    subprocess.run([sys.executable, "-c", predictor], cwd=model, check=True)
    images = np.concatenate([np.zeros((3, 8, 8, 3), np.uint8), np.full((2, 8, 8, 3), 200, np.uint8)])
    labels = predict_outside(copy_handed_in(model, "model", tmp_path), images, LIMITS, sandboxed=True, timeout=120)
    assert labels.tolist() == [0, 0, 0, 1, 1]


@needs_bwrap
def test_a_keras_model_holding_code_is_refused_with_the_rule_it_broke(tmp_path):
    """hand_in refuses a Lambda layer at once (tests/test_handin.py); a file saved some other way meets the scorer's
    safe-mode load, and the learner reads the rule, not Keras' traceback."""
    import keras

    model = tmp_path / "models"
    model.mkdir()
    photos = keras.Input(shape=(8, 8, 3))
    scaled = keras.layers.Lambda(lambda x: x / 255)(photos)
    keras.Model(photos, keras.layers.Dense(1, activation="sigmoid")(keras.layers.Flatten()(scaled))).save(model / "model.keras")
    with pytest.raises(RuntimeError, match="holds code .* build it from Keras layers only"):
        predict_outside(copy_handed_in(model, "model", tmp_path), np.zeros((2, 8, 8, 3), np.uint8), LIMITS, sandboxed=True, timeout=120)


def test_a_handed_in_link_is_not_followed(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    (models / "stolen.keras").symlink_to(paths.SOLUTIONS / "03_convolutions.ipynb")
    with pytest.raises(Refused, match="a symbolic link"):
        copy_handed_in(models, "stolen", tmp_path)
    os.mkfifo(models / "piped.keras")  # opening a pipe for reading would wait for a writer for ever
    with pytest.raises(Refused, match="a named pipe"):
        copy_handed_in(models, "piped", tmp_path)
    assert copy_handed_in(models, "never_handed_in", tmp_path) is None


def test_a_keras_hand_in_that_unpacks_to_too_much_is_refused_before_loading(tmp_path, monkeypatch):
    models = tmp_path / "models"
    models.mkdir()
    with zipfile.ZipFile(models / "bomb.keras", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("model.weights.h5", bytes(2**20))  # a megabyte of zeros: a kilobyte or so packed
    (models / "text.keras").write_text("not a zip")
    monkeypatch.setattr("grader.holdout.MAX_MODEL_UNPACKED_BYTES", 2**19)
    with pytest.raises(Refused, match="unpacks to 1 files and 1 MB"):
        copy_handed_in(models, "bomb", tmp_path)
    with pytest.raises(Refused, match="not a Keras file"):
        copy_handed_in(models, "text", tmp_path)


def test_holdout_specs_come_from_the_instructors_cells():
    nb = read_notebook(paths.SOLUTIONS / "05_preventing_overfitting.ipynb")
    specs = [HoldoutTest.from_cell(cell) for cell in nb.cells if HoldoutTest.from_cell(cell)]
    assert specs == [HoldoutTest("05_preventing_overfitting_exercise", 80, 0.60, "cnn_best,holdout_acc")]


def test_a_feedback_page_shows_the_learners_work_but_no_test_source_and_nothing_that_runs():
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    from grader.feedback import notebook_cells
    from grader.results import GradeRow, Status

    secret = "hidden_probe = conv2d(np.ones((3, 3)), kernel)"
    test = new_code_cell(f"with check('x'):\n    {secret}", metadata={"nbgrader": {"grade": True, "grade_id": "test_x", "points": 2,
                                                                                      "solution": False, "locked": True}})
    answer = new_code_cell("print('my answer')", outputs=[
        new_output("stream", name="stdout", text=f"my answer\n{secret}\n"),
        new_output("display_data", data={"text/html": "<script>alert(1)</script>", "text/plain": "table", "image/png": "iVBOR"})])
    notes = new_markdown_cell("My notes <script>alert(2)</script> **bold** <img src=x onerror=alert(3)>")
    row = GradeRow("ann", "03_convolutions", "test_x", 0, 2, Status.OK, message="✗ x: expected 1, got 2")
    cells = notebook_cells(new_notebook(cells=[notes, answer, test]), {"test_x": row}, secret)
    text = nbformat.writes(new_notebook(cells=cells))
    assert "my answer" in text and "**bold**" in text and "expected 1, got 2" in text and "0 / 2 points" in text
    assert "hidden_probe" not in text and "with check('x')" not in text
    assert "<script>" not in text and "onerror" not in text and "text/html" not in text and "image/png" in text


def test_a_feedback_page_of_several_notebooks_has_unique_cell_ids(tmp_path):
    """A learner's page joins every assignment's notebook, and the course's notebooks share cell ids ('intro', 'setup'):
    nbformat would repair each repeat with a warning on the instructor's terminal."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    from grader.feedback import render
    from grader.results import GradeRow, Status

    for assignment in ("01_first", "02_second"):
        nb = new_notebook(cells=[new_markdown_cell("notes of the learner"), new_code_cell("x = 1")])
        nb.cells[0]["id"], nb.cells[1]["id"] = "intro", "setup"
        for folder in ("autograded/ann", "source"):
            (tmp_path / folder / assignment).mkdir(parents=True)
            (tmp_path / folder / assignment / f"{assignment}.ipynb").write_text(nbformat.writes(nb), encoding="utf-8")
    rows = [GradeRow("ann", assignment, f"{assignment}/test_x", 1, 1, Status.OK) for assignment in ("01_first", "02_second")]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        page = render("ann", rows, tmp_path)
    assert page.count("notes of the learner") == 2
    assert not [str(warning.message) for warning in caught if "cell id" in str(warning.message)]


def test_a_workspace_that_fills_the_disk_or_the_inodes_is_named(tmp_path):
    from grader.kernels import workspace_overflow

    (tmp_path / "model.keras").write_bytes(b"x" * 50_000)
    assert workspace_overflow(tmp_path) == ""
    assert "more than" in workspace_overflow(tmp_path, max_bytes=10_000) and "GiB" in workspace_overflow(tmp_path, max_bytes=10_000)
    for index in range(20):
        (tmp_path / f"f{index}").touch()
    assert "more than 10 files" in workspace_overflow(tmp_path, max_files=10)


def test_a_models_folder_linked_out_of_the_workspace_is_not_read(tmp_path):
    elsewhere = tmp_path / "instructor" / "models"
    elsewhere.mkdir(parents=True)
    (elsewhere / "05_preventing_overfitting_exercise.keras").write_bytes(b"the instructor's model")
    workspace = tmp_path / "workspace" / "build"
    workspace.mkdir(parents=True)
    (workspace / "models").symlink_to(elsewhere)
    with pytest.raises(Refused, match="build/models is a symbolic link"):
        copy_handed_in(workspace / "models", "05_preventing_overfitting_exercise", tmp_path, confined_to=tmp_path / "workspace")


def test_a_cell_dressed_up_as_a_test_is_scanned_all_the_same():
    released = release(read_notebook(paths.SOLUTIONS / "03_convolutions.ipynb"))
    submitted = nbformat.from_dict(released)
    submitted.cells.append(nbformat.v4.new_code_cell("import contextlib\ncheck = contextlib.suppress(Exception)", metadata={
        "nbgrader": {"grade": True, "solution": False, "locked": True, "grade_id": "my_own_test", "points": 0}}))
    assert any("rebinds `check`" in finding for finding in scan(submitted, released))


@pytest.mark.kernels
def test_the_next_kernel_is_started_before_its_submission_arrives_and_each_kernel_is_new(tmp_path):
    from jupyter_core.utils import run_sync

    from grader.kernels import KernelSlot
    from grader.worker import kernel_environment

    env, readable = kernel_environment(GRADING_THREADS)
    slot = KernelSlot(tmp_path)
    sandboxed = not sandbox.available()
    first = slot.take(LIMITS, sandboxed, readable, env)
    waiting = slot._ready
    assert waiting is not None and waiting.manager.has_kernel, "the next kernel starts when this one is taken"
    assert waiting.settings.workspace != first.settings.workspace and waiting.settings.runtime != first.settings.runtime
    assert slot.take(LIMITS, sandboxed, readable, env) is waiting
    for kernel in (first, waiting):
        kernel.close()
        assert not run_sync(kernel.manager.is_alive)() and not kernel.folder.exists()
    slot.close()
    assert list(tmp_path.iterdir()) == [], "closing the slot stops the kernel it held and removes its folders"


@pytest.mark.kernels
def test_past_its_hard_limit_a_submissions_kernel_is_killed(tmp_path):
    from jupyter_core.utils import run_sync

    from grader.kernels import Watchdog, start_kernel
    from grader.worker import kernel_environment

    env, readable = kernel_environment(GRADING_THREADS)
    kernel = start_kernel(tmp_path, LIMITS, not sandbox.available(), readable, env)
    try:
        with Watchdog(kernel, seconds=1) as watchdog:
            time.sleep(3)
        assert watchdog.why == "grading took longer than 1 s and was stopped"
        assert not run_sync(kernel.manager.is_alive)()
    finally:
        kernel.close()
