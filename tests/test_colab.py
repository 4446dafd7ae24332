"""Colab, simulated: the course's notebooks run where only Colab's preinstalled packages are.

Colab cannot be reached from here, so the test does what Colab would: a virtual environment with
only what Colab preinstalls and the course needs (TensorFlow, Keras, numpy, scikit-learn,
scikit-image, matplotlib, Pillow, tqdm, and the IPython kernel; no nbgrader, no JupyterLab, no
course), whose interpreter imports a stand-in ``google.colab`` at start-up as Colab's kernel does.
Each notebook runs in a fresh working folder (Colab's ``/content``); its setup cell must clone the
course (from a local snapshot of this working tree, through ``PRACTICUM_REPO``) and import it from
there. Lesson 0 runs as it is; every exercise runs as its solution, and every check must pass.

Why the solution and not a learner's answered copy: the released exercise is the solution without its
answers' markers and hidden tests (``practicum build``; tests/test_lessons_1_2.py checks the committed
copies), so an answered copy runs the same cells less the hidden tests. The solution runs them all,
hidden tests included, which makes this also the course's check that each solution gets full marks in
FAST mode (tests/test_notebooks.py runs the lessons) — one run of each exercise instead of two.

The environment is built once into ``build/colab/venv`` and reused while requirements.txt's pins are
the same. It is built from the course's own environment, which holds those very pins (``make venv``):
the files of Colab's packages and of everything they depend on are hard-linked into a new virtual
environment that has only pip (a few seconds; pip would unpack the same wheels again for a minute and
a half).
"""

import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from practicum import paths
from practicum.colab import CLONE_FOLDER, REPO_VARIABLE
from practicum.runner import QuietKernelManager
from practicum.tidy import dumps, read_notebook

#: What Colab preinstalls that the course uses (names as in requirements.txt), and its kernel.
COLAB_PACKAGES = ("tensorflow-cpu", "tensorflow", "keras", "numpy", "scikit-learn", "scikit-image", "matplotlib",
                  "pillow", "tqdm", "ipykernel")
STANDIN = Path(__file__).parent / "fixtures" / "colab"
SHARED_PHOTOS = paths.ROOT.parent / "shared" / "data" / "cats_and_dogs_filtered"
PHOTOS = Path(os.environ.get("PRACTICUM_DATA_DIR") or SHARED_PHOTOS)
EXERCISES = sorted(nb.stem for nb in paths.EXERCISES.glob("*.ipynb"))

pytestmark = [
    pytest.mark.colab,
    pytest.mark.xdist_group("colab"),  # one Colab-like environment, built into build/colab/venv by one worker
    pytest.mark.skipif(not PHOTOS.is_dir(), reason="needs the photos (PRACTICUM_DATA_DIR); Colab would download them"),
]


def colab_pins() -> list[str]:
    lines = (paths.ROOT / "requirements.txt").read_text().splitlines()
    return [line for line in lines if line.split("==")[0].strip().lower() in COLAB_PACKAGES]


def with_dependencies(pins: list[str]) -> list[metadata.Distribution]:
    """The installed distributions of ``pins`` and of everything they need (extras left out)."""
    found, wanted = {}, [pin for pin in map(Requirement, pins) if pin.marker is None or pin.marker.evaluate()]
    while wanted:
        requirement = wanted.pop()
        name = canonicalize_name(requirement.name)
        if name in found:
            continue
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            pytest.fail(f"{name} is not installed in the course's environment: run `make venv`")
        if distribution.version not in requirement.specifier:
            pytest.fail(f"the course's environment has {name} {distribution.version}, requirements.txt pins {requirement.specifier}: run `make venv`")
        found[name] = distribution
        wanted += [needed for needed in map(Requirement, distribution.requires or [])
                   if needed.marker is None or needed.marker.evaluate({"extra": ""})]
    return list(found.values())


def link_into(distribution: metadata.Distribution, site: Path) -> None:
    """Hard-link a distribution's files (those of its RECORD under site-packages) into ``site``."""
    for file in distribution.files or []:
        if file.parts[0] == ".." or "__pycache__" in file.parts:  # scripts in bin/; caches the kernels write anew
            continue
        source, target = Path(distribution.locate_file(file)), site / file
        if not source.is_file():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except OSError:  # another file system: copy
            shutil.copy2(source, target)


@pytest.fixture(scope="module")
def colab_python() -> Path:
    """The interpreter of the Colab-like environment, built (or reused) under build/colab/venv."""
    venv = paths.ROOT / "build" / "colab" / "venv"
    python, stamp, pins = venv / "bin" / "python", venv / ".colab-pins", colab_pins()
    if not (python.exists() and stamp.exists() and stamp.read_text() == "\n".join(pins)):
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)  # with pip: lessons 6 and 7 install the weights with it
        site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                   capture_output=True, text=True, check=True).stdout.strip())
        for distribution in with_dependencies(pins):
            link_into(distribution, site)
        shutil.copytree(STANDIN / "google", site / "google", dirs_exist_ok=True)
        (site / "google_colab_standin.pth").write_text("import google.colab\n")  # Colab's kernel imports it at start
        stamp.write_text("\n".join(pins))
    return python


@pytest.fixture(scope="module")
def course_snapshot(tmp_path_factory) -> Path:
    """This working tree as a git repository of one commit: what the setup cell clones."""
    snapshot = tmp_path_factory.mktemp("course-repo")
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=paths.ROOT,
                            capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, listed):
        source = paths.ROOT / name
        if source.is_file():
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, snapshot / name)
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.org", "-c", "init.defaultBranch=main"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        subprocess.run(git + command, cwd=snapshot, check=True)
    return snapshot


@pytest.fixture
def run_on_colab(colab_python, course_snapshot, tmp_path):
    """``run_on_colab(nb)``: execute a notebook as Colab would; return it executed."""
    kernels = tmp_path / "kernels"
    (kernels / "colab").mkdir(parents=True)
    (kernels / "colab" / "kernel.json").write_text(
        '{"argv": ["%s", "-m", "ipykernel_launcher", "-f", "{connection_file}"], "display_name": "Colab (simulated)", '
        '"language": "python"}' % colab_python)
    content = tmp_path / "content"
    content.mkdir()
    env = {"PATH": f"{colab_python.parent}:/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path / "home"),
           REPO_VARIABLE: str(course_snapshot), "PRACTICUM_DATA_DIR": str(PHOTOS),
           "PRACTICUM_CACHE_DIR": str(paths.cache_dir()), "PRACTICUM_FAST": "1"}

    def run(nb):
        (content / "notebook.ipynb").write_text(dumps(nb), encoding="utf-8")
        manager = QuietKernelManager(kernel_name="colab", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]))
        client = NotebookClient(nb, km=manager, timeout=900, allow_errors=True, resources={"metadata": {"path": str(content)}})
        try:
            client.execute(env=env)
        finally:  # nbclient leaves a kernel it was handed running: this one ends with its notebook
            if manager.has_kernel:
                run_sync(manager.shutdown_kernel)(now=True)
        return nb

    run.content = content
    return run


def errors(nb) -> list[str]:
    return [f"cell {i}: {out.ename}: {out.evalue}" for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for out in cell.outputs if out.output_type == "error"]


def test_the_environment_is_colab_like(colab_python):
    probe = "import google.colab, importlib.util as u; print([m for m in ('nbgrader', 'jupyterlab', 'nbclient', 'practicum') if u.find_spec(m)])"
    found = subprocess.run([str(colab_python), "-c", probe], capture_output=True, text=True, check=True, cwd="/", env={"PATH": "/usr/bin:/bin"})
    assert found.stdout.strip() == "[]"


def test_lesson_0_runs_on_colab(run_on_colab):
    nb = run_on_colab(read_notebook(paths.NOTEBOOKS / "00_meet_the_data.ipynb"))
    assert errors(nb) == []
    assert (run_on_colab.content / CLONE_FOLDER / "practicum" / "__init__.py").exists(), "the setup cell cloned the course"


@pytest.mark.parametrize("name", EXERCISES)
def test_each_solution_passes_every_check_hidden_ones_included_on_colab(name, run_on_colab):
    nb = run_on_colab(read_notebook(paths.SOLUTIONS / f"{name}.ipynb"))
    assert errors(nb) == []  # a failing check, hidden or not, raises
    checks = [cell for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade") and cell.cell_type == "code"]
    assert checks, f"{name} has no self-check"
    for cell in checks:
        shown = "".join(out.get("data", {}).get("text/plain", "") for out in cell.outputs)
        assert ": passed" in shown, f"{cell.metadata.nbgrader.grade_id} showed {shown!r}"
