"""Every ``practicum`` subcommand ends an expected failure (no network, missing or broken data, a
file that is not a notebook, a wrong path) with one line naming the file and the fix, and a non-zero
exit; never a traceback."""

import subprocess
import sys

import pytest

from conftest import tiny_spec_for
from practicum import paths
from practicum.cli import main


@pytest.fixture
def not_json(tmp_path):
    path = tmp_path / "broken" / "01_raw_pixels.ipynb"
    path.parent.mkdir()
    path.write_text("{this is not a notebook")
    return path


def one_line_error(capsys, argv, *names):
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code != 0, f"practicum {argv[0]} exited 0"
    assert err.count("\n") == 1 and err.startswith("error: "), err
    for name in names:
        assert str(name) in err, f"the line does not name {name}: {err}"
    return err


def test_data_without_a_network(isolated_paths, use_spec, capsys):
    use_spec(tiny_spec_for())  # its only address is a closed local port: the download fails at once
    err = one_line_error(capsys, ["data"], "could not download tiny")
    assert "check your connection, or set PRACTICUM_DATA_DIR" in err


def test_data_in_a_folder_that_does_not_exist(isolated_paths, monkeypatch, capsys):
    missing = isolated_paths.tmp / "nowhere"
    monkeypatch.setenv("PRACTICUM_DATA_DIR", str(missing))
    assert "point PRACTICUM_DATA_DIR at the unzipped" in one_line_error(capsys, ["data"], missing)


def test_data_in_a_broken_folder(isolated_paths, monkeypatch, capsys):
    broken = isolated_paths.tmp / "cats_and_dogs_filtered"
    (broken / "train").mkdir(parents=True)
    monkeypatch.setenv("PRACTICUM_DATA_DIR", str(broken))
    one_line_error(capsys, ["data"], broken / "train" / "cats", "fix PRACTICUM_DATA_DIR")


@pytest.mark.parametrize("command", ["tidy", "run", "check", "progress"])
def test_a_wrong_path(command, tmp_path, capsys):
    one_line_error(capsys, [command, tmp_path / "01_raw_pixel.ipynb"], tmp_path / "01_raw_pixel.ipynb", "no such file")


@pytest.mark.parametrize("command", ["tidy", "check", "progress"])
def test_a_notebook_that_is_not_json(command, not_json, capsys):
    one_line_error(capsys, [command, not_json], not_json, "not valid JSON", "restore it from git")


def test_run_reports_a_notebook_that_is_not_json_in_its_table(not_json, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PRACTICUM_BUILD_DIR", str(tmp_path / "build"))
    assert main(["run", str(not_json)]) == 1
    assert "not valid JSON" in capsys.readouterr().out


def test_build_from_a_missing_folder_or_a_broken_solution(not_json, tmp_path, capsys):
    one_line_error(capsys, ["build", "--solutions", tmp_path / "solution", "--exercises", tmp_path / "out"],
                   tmp_path / "solution", "no such folder")
    one_line_error(capsys, ["build", "--solutions", not_json.parent, "--exercises", tmp_path / "out"], not_json, "not valid JSON")


def test_grade_with_wrong_paths_or_a_broken_source(not_json, tmp_path, capsys):
    submission = tmp_path / "ada_01_raw_pixels.ipynb"
    submission.write_text((paths.EXERCISES / "01_raw_pixels.ipynb").read_text())
    out = tmp_path / "grading"
    one_line_error(capsys, ["grade", tmp_path / "submitted", "--out", out], tmp_path / "submitted", "no such file or folder")
    one_line_error(capsys, ["grade", submission, "--out", out, "--source", tmp_path / "source"], tmp_path / "source", "no such folder")
    one_line_error(capsys, ["grade", submission, "--out", out, "--source", not_json.parent], not_json, "not valid JSON")
    one_line_error(capsys, ["grade", submission, "--out", out, "--holdout", tmp_path / "holdout"], tmp_path / "holdout", "--holdout")
    one_line_error(capsys, ["grade", submission, "--out", out, "--threads", 0], "--threads 0", "at least 1 thread")
    assert not out.exists(), "nothing is graded when an input is wrong"


def test_the_console_script_prints_one_line_and_exits_1(tmp_path):
    env = {"PATH": str(paths.ROOT / ".venv" / "bin"), "PRACTICUM_DATA_DIR": str(tmp_path / "nowhere"),
           "PRACTICUM_CACHE_DIR": str(tmp_path / "cache")}
    result = subprocess.run([sys.executable, "-m", "practicum.cli", "data"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {tmp_path / 'nowhere'}: no such folder") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stdout + result.stderr
