"""practicum tidy: committed notebooks without outputs, with stable ids, nbgrader metadata kept."""

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from practicum.cli import main
from practicum.colab import SETUP_BLOCK
from practicum.tidy import NotebookError, dumps, read_notebook, tidy, tidy_file

GRADED = {"nbgrader": {"grade": True, "grade_id": "test_q1", "locked": True, "points": 2, "schema_version": 3,
                       "solution": False, "task": False}}


def messy_notebook():
    code = new_code_cell("print(1)", metadata={**GRADED, "scrolled": True, "jupyter": {"outputs_hidden": False}})
    code.outputs = [new_output("stream", name="stdout", text="1\n")]
    code.execution_count = 7
    nb = new_notebook(cells=[new_markdown_cell("# Title"), code, new_code_cell("x = 1", metadata={"tags": ["parameters"]})])
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3"}, "widgets": {"state": {}}}
    return nb


def test_tidy_strips_outputs_and_stray_metadata_but_keeps_nbgrader_and_tags():
    nb = tidy(messy_notebook())
    code = nb.cells[1]
    assert code.outputs == [] and code.execution_count is None
    assert code.metadata == GRADED
    assert nb.cells[2].metadata == {"tags": ["parameters"]}
    assert set(nb.metadata) == {"kernelspec", "language_info"}
    nbformat.validate(nb)


def test_ids_are_stable_and_unique():
    nb = messy_notebook()
    for cell in nb.cells:
        del cell["id"]
    nb.cells.append(new_code_cell("print(1)"))  # same source as a graded cell: the ids must still differ
    nb.cells[-1].pop("id")
    first = tidy(nb)
    ids = [cell.id for cell in first.cells]
    assert len(set(ids)) == len(ids)
    assert ids[1] == "test_q1"  # a graded cell is named by its grade id
    assert dumps(tidy(first)) == dumps(first)


def test_tidy_file_and_cli_check(tmp_path):
    path = tmp_path / "lesson.ipynb"
    path.write_text(json.dumps(messy_notebook()))
    assert main(["tidy", "--check", str(path)]) == 1
    messy = path.read_text()
    assert tidy_file(path, write=False) is True and path.read_text() == messy  # a check writes nothing
    assert tidy_file(path) is True
    assert tidy_file(path) is False
    assert main(["tidy", "--check", str(path)]) == 0


@pytest.mark.parametrize("text, reason", [("{not json", "not valid JSON"), ('{"cells": 3}', "not a valid notebook")])
def test_a_broken_notebook_is_named_with_the_fix(tmp_path, text, reason):
    path = tmp_path / "broken.ipynb"
    path.write_text(text)
    with pytest.raises(NotebookError, match=reason) as error:
        read_notebook(path)
    assert str(path) in str(error.value) and "restore it" in str(error.value)
    assert len(str(error.value).splitlines()) == 1


OLD_COLAB_BLOCK = '''import sys

if "google.colab" in sys.modules:  # an older Colab block, or one a merge left behind
    !git clone https://example.org/fork course
    sys.path.insert(0, "course")
'''


def test_tidy_writes_the_one_colab_block_into_the_setup_cell_but_never_into_a_released_one():
    rest = "import practicum  # first\n\nimport numpy as np"
    lesson = new_notebook(cells=[new_markdown_cell("# Title"), new_code_cell(OLD_COLAB_BLOCK + "\n" + rest)])
    assert tidy(lesson).cells[1].source == SETUP_BLOCK + "\n\n" + rest
    released = {"nbgrader": {**GRADED["nbgrader"], "grade": False, "checksum": "abc"}}
    exercise = new_notebook(cells=[new_code_cell(OLD_COLAB_BLOCK + rest, metadata=released)])
    assert tidy(exercise).cells[0].source == OLD_COLAB_BLOCK + rest, "build regenerates it; a rewrite would break its checksum"
    plain = new_notebook(cells=[new_code_cell("import sys\nimport practicum")])
    assert tidy(plain).cells[0].source == "import sys\nimport practicum", "no Colab block: nothing to replace"
