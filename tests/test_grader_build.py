"""``practicum build``: exercises are nbgrader releases of the solutions, byte for byte reproducible."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from grader.build import CODE_STUB, build_all, build_exercise
from practicum import paths

FIXTURE_SOLUTIONS = Path(__file__).parent / "fixtures" / "grader" / "solutions"


def test_exercise_stubs_answers_drops_hidden_tests_and_keeps_nbgrader_metadata(tmp_path):
    exercise = tmp_path / "01_arrays.ipynb"
    build_exercise(FIXTURE_SOLUTIONS / "01_arrays.ipynb", exercise)
    text = exercise.read_text()
    cells = {cell["id"]: cell for cell in json.loads(text)["cells"]}

    assert cells["scale_pixels"]["source"].endswith(CODE_STUB.replace("\n", "\n    "))
    assert "astype(np.float32) / 255.0" not in text
    assert "HIDDEN" not in text and "hidden_probe" not in text
    assert 'with check("scale_pixels")' in cells["test_scale_pixels"]["source"]
    test_meta = cells["test_scale_pixels"]["metadata"]["nbgrader"]
    assert test_meta["grade"] and test_meta["locked"] and test_meta["points"] == 2 and test_meta["checksum"]
    assert cells["scale_pixels"]["metadata"]["nbgrader"]["solution"]


def test_build_is_byte_stable_and_check_reports_only_stale_exercises(tmp_path):
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    shutil.copytree(FIXTURE_SOLUTIONS, solutions)

    assert build_all(solutions, exercises, check_only=True) == [exercises / "01_arrays.ipynb"]
    assert not exercises.exists(), "--check must not write"
    assert build_all(solutions, exercises) == [exercises / "01_arrays.ipynb"]
    first = (exercises / "01_arrays.ipynb").read_bytes()
    assert build_all(solutions, exercises) == []
    assert (exercises / "01_arrays.ipynb").read_bytes() == first

    solution = solutions / "01_arrays.ipynb"
    solution.write_text(solution.read_text().replace("Flatten a batch", "Flatten a stack"))
    assert build_all(solutions, exercises, check_only=True) == [exercises / "01_arrays.ipynb"]


def test_build_check_command_exits_1_and_names_the_stale_exercise(tmp_path):
    command = [sys.executable, "-m", "grader", "build", "--check",
               "--solutions", str(FIXTURE_SOLUTIONS), "--exercises", str(tmp_path)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=paths.ROOT)
    assert result.returncode == 1
    assert "01_arrays.ipynb" in result.stdout



def test_build_answered_writes_what_a_learner_who_did_the_work_hands_in(tmp_path):
    """`make course` grades these: the release's locked cells, untouched, and the solution's answers typed in, so that
    the grader finds nothing edited and no hidden test in what it was handed."""
    from grader.build import release, solution_answers
    from practicum.tidy import read_notebook

    command = [sys.executable, "-m", "grader", "build", "--answered", str(tmp_path / "instructor")]
    result = subprocess.run(command, capture_output=True, text=True, cwd=paths.ROOT)
    assert result.returncode == 0, result.stderr
    solutions = sorted(paths.SOLUTIONS.glob("*.ipynb"))
    assert sorted(path.name for path in (tmp_path / "instructor").iterdir()) == [path.name for path in solutions]
    for solution in solutions:
        handed_in = read_notebook(tmp_path / "instructor" / solution.name)
        released, answers = release(read_notebook(solution)), solution_answers(read_notebook(solution))
        assert len(handed_in.cells) == len(released.cells)
        for cell, original in zip(handed_in.cells, released.cells):
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            assert cell.source == (answers[grade_id] if grade_id in answers else original.source), (solution.name, grade_id)
            assert "### BEGIN" not in cell.source and "### END" not in cell.source
