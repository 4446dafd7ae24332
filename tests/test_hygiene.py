"""Every committed notebook is clean, valid and follows the course's conventions (CONTRIBUTING.md)."""

import re

import nbformat
import pytest

from practicum import paths
from practicum.colab import SETUP_BLOCK
from practicum.tidy import read_notebook, tidy_file

ALL = paths.course_notebook_files()
AUTHORED = [nb for nb in ALL if nb.parent != paths.EXERCISES]


def ids(notebooks):
    return [nb.relative_to(paths.ROOT).as_posix() for nb in notebooks]


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_notebook_is_valid_clean_and_tidy(path):
    nb = read_notebook(path)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"cell {cell.id} has outputs"
    cell_ids = [cell.id for cell in nb.cells]
    assert len(cell_ids) == len(set(cell_ids)), "cell ids repeat"
    assert not tidy_file(path, write=False), "run `practicum tidy`"


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_notebook_follows_the_course_shape(path):
    nb = read_notebook(path)
    title = nb.cells[0]
    assert title.cell_type == "markdown" and title.source.startswith("# "), "the first cell is the title"
    assert paths.colab_url(path) in title.source, "the Colab badge must point at this very notebook"
    setup = next(cell for cell in nb.cells if cell.cell_type == "code")
    assert "google.colab" in setup.source, "the first code cell is the Colab-aware setup cell"
    imports = re.findall(r"^(?:from|import) (\w+)", setup.source, flags=re.M)
    for heavy in ("tensorflow", "keras"):
        if heavy in imports:
            assert imports.index("practicum") < imports.index(heavy), "import practicum first: it quiets TensorFlow"
    parameters = [cell for cell in nb.cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(parameters) == 1, "exactly one cell is tagged `parameters`"
    assert "FAST" in parameters[0].source


def test_exercises_are_generated_from_the_current_solutions():
    from grader.build import build_all

    stale = build_all(paths.SOLUTIONS, paths.EXERCISES, check_only=True)
    assert stale == [], "exercises/ drifted from solutions/: run `practicum build` and commit exercises/"


def test_every_setup_cell_opens_with_the_one_colab_block():
    """The Colab block runs before the course package can be imported, so it cannot be a helper: it
    is the text of ``practicum.colab.SETUP_BLOCK``, written into every notebook by ``practicum tidy``,
    and it clones the address the badges point at."""
    assert paths.COURSE_REPO in SETUP_BLOCK and paths.COLAB_PREFIX.endswith("/github/" + paths.COURSE_REPO.removeprefix("https://github.com/") + "/blob/main/")
    for path in ALL:
        setup = next(cell for cell in read_notebook(path).cells if cell.cell_type == "code").source
        assert setup.startswith(SETUP_BLOCK + "\n\nimport practicum"), f"{path.name}: run `practicum tidy` (and `practicum build`)"
