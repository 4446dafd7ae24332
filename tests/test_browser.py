"""The learner's and the instructor's path through JupyterLab, in a real browser.

JupyterLab starts as ``practicum lab`` (``make lab``) starts it, on 127.0.0.1 with a token and with
Jupyter's own folders in a temporary place; Playwright drives Debian's ``chromium`` (no browser
download). A learner who has done every exercise of lesson 1 but the first types an answer into its
answer cell, runs the notebook and presses nbgrader's Validate button: a wrong answer gets the failing
check's one line, a right one "Success!". An instructor opens Formgrader from the Nbgrader menu on a
course graded with ``practicum grade`` and finds the learners with their scores. Screenshots go to
``build/browser/``.

Every wait is for a state of the page (an output, a prompt, the kernel going idle, a dialog), with a
generous limit for a loaded 2-core machine; none is a sleep.
"""

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from learner_copies import answered
from practicum import paths
from practicum.lab import lab_command, lab_environment
from practicum.tidy import dumps, read_notebook

from conftest import SHARED_DATA

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:
    sync_playwright = None

CHROMIUM = os.environ.get("PRACTICUM_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
PHOTOS = Path(os.environ.get("PRACTICUM_DATA_DIR") or SHARED_DATA / "cats_and_dogs_filtered")
HOLDOUT = Path(os.environ.get("PRACTICUM_HOLDOUT_DIR") or SHARED_DATA / "holdout")  # ada's last answer is scored there
SHOTS = paths.ROOT / "build" / "browser"
WAIT_MS = 300_000  # the longest any state may take to appear: validation runs a whole notebook
EXERCISE = "01_raw_pixels"
WRONG = "def flatten_and_scale(images):\n    return np.asarray(images).reshape(len(images), -1) / 256  # so 255 becomes 0.996"
RIGHT = "def flatten_and_scale(images):\n    return np.asarray(images, dtype=np.float64).reshape(len(images), -1) / 255"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),  # one JupyterLab server and one browser for the module
    pytest.mark.skipif(sync_playwright is None, reason="no browser tests: Playwright for Python is not installed (pip install -r requirements.txt)"),
    pytest.mark.skipif(CHROMIUM is None, reason="no browser tests: no chromium here (apt-get install chromium, or set PRACTICUM_CHROMIUM)"),
    pytest.mark.skipif(not PHOTOS.is_dir() or not HOLDOUT.is_dir(),
                       reason="no browser tests: they need the photos and the holdout (PRACTICUM_DATA_DIR, PRACTICUM_HOLDOUT_DIR)"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def graded_course() -> Path:
    """An nbgrader course graded by ``practicum grade``: ada answered lesson 1's exercise, bob did not.
    Formgrader serves only a course inside the server's root, so it lives in build/browser/."""
    submitted = SHOTS / "submitted"
    shutil.rmtree(submitted, ignore_errors=True)
    submitted.mkdir(parents=True)
    (submitted / f"ada_{EXERCISE}.ipynb").write_text(dumps(answered(EXERCISE)), encoding="utf-8")
    shutil.copy(paths.EXERCISES / f"{EXERCISE}.ipynb", submitted / f"bob_{EXERCISE}.ipynb")
    roster = SHOTS / "roster.csv"  # the class list, as an LMS exports it
    roster.write_text("Username,First name,Surname,Email address\nada,Ada,Lovelace,ada@example.org\nbob,Bob,Babbage,bob@example.org\n")
    out = SHOTS / "grading"  # kept between runs: unchanged submissions are not graded again
    result = subprocess.run([sys.executable, "-m", "practicum.cli", "grade", str(submitted), "--out", str(out), "--jobs", "2",
                             "--holdout", str(HOLDOUT), "--roster", str(roster)],
                            capture_output=True, text=True, timeout=900,
                            env={**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])})
    assert result.returncode == 0, result.stdout + result.stderr
    return out / "course"


@pytest.fixture(scope="module")
def lab(graded_course, tmp_path_factory):
    """JupyterLab on the course, started as ``practicum lab`` starts it; its address and token."""
    home = tmp_path_factory.mktemp("jupyter")
    config = home / "config"
    config.mkdir()
    (config / "nbgrader_config.py").write_text(f"c = get_config()\nc.CourseDirectory.root = {str(graded_course)!r}\n")
    env = lab_environment({**os.environ, "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_DATA_DIR": str(home / "data"),
                           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
                           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"), "PRACTICUM_DATA_DIR": str(PHOTOS),
                           "PRACTICUM_BUILD_DIR": str(home / "build"), "PRACTICUM_FAST": "1"})
    port, token = _free_port(), secrets.token_hex(16)
    log = (home / "lab.log").open("w")
    server = subprocess.Popen(lab_command("--no-browser", "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}",
                                          "--allow-root"), env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + WAIT_MS / 1000
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5):
                break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail("JupyterLab did not start:\n" + (home / "lab.log").read_text()[-3000:])
            time.sleep(0.5)  # polling a server that is starting, not waiting on the page
    yield SimpleNamespace(url=url, token=token, log=home / "lab.log")
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


@pytest.fixture(scope="module")
def page(lab):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(WAIT_MS)
        expect.set_options(timeout=WAIT_MS)
        yield page
        browser.close()


def open_in_lab(page, lab, path: str) -> None:
    page.goto(f"{lab.url}/lab/tree/{path}?token={lab.token}")
    page.locator(".jp-NotebookPanel .jp-CodeCell").first.wait_for()
    page.locator(".jp-NotebookPanel:visible .jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for()


def menu(page, top: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{top}$")).click()
    page.get_by_role("menuitem", name=item, exact=True).click()


def code_cell(page, text: str):
    return page.locator(".jp-NotebookPanel:visible .jp-CodeCell").filter(has_text=text).first


def type_answer(page, answer: str) -> None:
    editor = code_cell(page, "def flatten_and_scale(images):").locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(answer)  # as pasted: no auto-indent or auto-closed brackets


def validate(page, screenshot: str) -> str:
    """Press Validate, wait for nbgrader's verdict, screenshot it, close it; return its text."""
    page.get_by_role("button", name="Validate").click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator(".validation-failed, .validation-success").wait_for()
    text = dialog.inner_text()
    page.screenshot(path=SHOTS / screenshot)
    dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
    dialog.wait_for(state="detached")
    return text


def test_jupyterlab_opens_a_lesson_with_nothing_over_it(lab, page):
    # a copy: JupyterLab saves an open notebook after two minutes, which on a loaded machine rewrote the lesson's file
    copy = SHOTS / "lesson" / "00_meet_the_data.ipynb"
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(paths.NOTEBOOKS / copy.name, copy)
    open_in_lab(page, lab, copy.relative_to(paths.ROOT).as_posix())
    expect(page.locator(".jp-NotebookPanel:visible h1").first).to_contain_text("Lesson 0")
    page.screenshot(path=SHOTS / "1-lesson.png")
    # JupyterLab posts its news question at start-up, before a notebook's kernel is ready
    assert page.locator(".Toastify__toast").count() == 0, page.locator(".Toastify__toast").all_inner_texts()
    assert page.locator(".jp-Dialog").count() == 0


def test_a_learner_answers_runs_and_validates_an_exercise(lab, page):
    copy = SHOTS / "learner" / f"{EXERCISE}.ipynb"  # every exercise answered but the first
    shutil.rmtree(copy.parent, ignore_errors=True)
    copy.parent.mkdir(parents=True)
    copy.write_text(dumps(answered(EXERCISE, unanswered=("flatten_and_scale",))), encoding="utf-8")
    open_in_lab(page, lab, copy.relative_to(paths.ROOT).as_posix())
    check_output = code_cell(page, 'with check("flatten_and_scale")').locator(".jp-OutputArea")
    idle = page.locator(".jp-NotebookPanel:visible .jp-Notebook-ExecutionIndicator[data-status='idle']")

    type_answer(page, WRONG)
    menu(page, "Run", "Run All Cells")
    expect(check_output).to_contain_text("✗ flatten_and_scale: a white photo's values")  # the check, in one line
    idle.wait_for()
    page.screenshot(path=SHOTS / "2-wrong-answer-run.png")
    verdict = validate(page, "3-validate-wrong.png")
    assert "The following cell failed" in verdict and "✗ flatten_and_scale: a white photo's values" in verdict
    assert "Traceback" not in verdict

    type_answer(page, RIGHT)
    menu(page, "Run", "Run All Cells")
    expect(check_output).to_contain_text("✓ flatten_and_scale: passed")
    expect(page.locator(".jp-NotebookPanel:visible .jp-CodeCell").last.locator(".jp-InputPrompt")).to_have_text(re.compile(r"\[\d+\]"))
    idle.wait_for()
    assert "Success! Your notebook passes all the tests." in validate(page, "4-validate-right.png")
    saved = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell.source for cell in read_notebook(copy).cells}
    assert saved["flatten_and_scale"] == RIGHT, "Validate saved the learner's answer"


def test_an_instructor_finds_the_graded_learners_in_formgrader(lab, page):
    page.goto(f"{lab.url}/lab?token={lab.token}")
    menu(page, "Nbgrader", "Formgrader")
    formgrader = page.frame_locator("iframe").first
    formgrader.get_by_role("link", name="Manage Students").click()
    points = sum(cell.metadata.get("nbgrader", {}).get("points", 0) for cell in read_notebook(paths.SOLUTIONS / f"{EXERCISE}.ipynb").cells)
    rows = formgrader.locator("table tbody tr")
    expect(rows.filter(has_text="ada")).to_contain_text(f"{points:g} / {points:g}")
    expect(rows.filter(has_text="ada")).to_contain_text("Lovelace")  # from the roster
    expect(rows.filter(has_text="bob")).to_contain_text(f"0 / {points:g}")
    page.screenshot(path=SHOTS / "5-formgrader.png")


def test_a_learner_reads_their_feedback_page(graded_course, page):
    """The page `practicum grade` writes for bob (who answered nothing): a summary on top, his own
    notebook below with each test replaced by its outcome, and no test code."""
    page.goto((graded_course.parent / "feedback" / "bob.html").as_uri())
    expect(page.locator("body")).to_contain_text("Feedback for Bob Babbage")
    expect(page.locator("body")).to_contain_text("What to do next")
    expect(page.locator("body")).to_contain_text("not implemented yet")
    assert "BEGIN HIDDEN TESTS" not in page.content() and "with check(" not in page.inner_text("body")
    page.screenshot(path=SHOTS / "6-feedback.png", full_page=True)


def test_an_instructor_reads_how_the_class_did(graded_course, page):
    """The class report `practicum grade` writes: totals per assignment, each test's pass share with the
    one most learners failed first, and what needs the instructor (bob's blank notebook passes nothing)."""
    page.goto((graded_course.parent / "class.html").as_uri())
    expect(page.locator("h1")).to_have_text("How the class did")
    expect(page.locator("body")).to_contain_text("2 learners graded")
    first = page.locator("table").first.locator("tr").nth(1)
    expect(first).to_contain_text("50% of 2")  # ada passed every test, bob none: each test 50%
    assert page.evaluate("document.querySelector('img').naturalWidth") > 0, "the figure is drawn"
    page.screenshot(path=SHOTS / "7-class-report.png", full_page=True)
