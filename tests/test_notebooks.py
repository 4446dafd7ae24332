"""Every lesson runs top to bottom, headless, in FAST mode, with the real photos. (The solutions, every
check included, run on the simulated Colab: tests/test_colab.py.)"""

import pytest

from practicum import paths
from practicum.runner import course_notebooks, run_notebook
from practicum.tidy import read_notebook

NOTEBOOKS = course_notebooks([paths.NOTEBOOKS])

# A lesson that reads what an earlier lesson saved under build/ (lesson 7 reads lesson 6's fine-tuned
# model; lesson 5 plots lesson 4's training history, or trains it again) runs after it, on the same
# worker (pytest-xdist keeps a group together, in collection order), in the same build folder.
READS_FROM = {"05_preventing_overfitting": "04_convnet_from_scratch", "07_photo_search": "06_transfer_learning"}


def chain(notebook) -> str | None:
    """The name of the lessons ``notebook`` shares a build folder with, or None for a lesson alone."""
    for reader, writer in READS_FROM.items():
        if notebook.stem in (reader, writer):
            return f"lessons-{writer[:2]}-{reader[:2]}"
    return None


def params() -> list:
    return [pytest.param(nb, id=f"{nb.parent.name}/{nb.stem}", marks=[pytest.mark.xdist_group(chain(nb))] if chain(nb) else [])
            for nb in NOTEBOOKS]


@pytest.fixture(scope="module")
def build_dirs(tmp_path_factory):
    """One build folder per chain of lessons (and per lesson alone), made on first use."""
    made = {}

    def build_dir(notebook):
        name = chain(notebook) or notebook.stem
        if name not in made:
            made[name] = tmp_path_factory.mktemp(name)
        return made[name]

    return build_dir


@pytest.fixture(scope="module")
def phone_photo(tmp_path_factory):
    """A learner's own photo as a phone saves it: 12 megapixels of a cat, stored sideways with the EXIF tag that turns
    it upright (6: rotate 90° clockwise). The lessons that score or search by ``MY_PHOTO`` read it from here."""
    from PIL import Image

    from practicum import data

    files, labels = data.list_images("validation")
    cat = Image.open(files[list(labels).index(0)]).convert("RGB").resize((4000, 3000))
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path_factory.mktemp("my photos") / "IMG_0001.jpg"
    cat.rotate(90, expand=True).save(path, "JPEG", exif=exif, quality=90)
    return path


#: Lessons that score or search by a photo of the learner's own (their parameter MY_PHOTO).
OWN_PHOTO = {"05_preventing_overfitting", "06_transfer_learning", "07_photo_search"}


@pytest.mark.notebooks
@pytest.mark.parametrize("notebook", params())
def test_notebook_runs_in_fast_mode(notebook, build_dirs, phone_photo, monkeypatch):
    monkeypatch.setenv("PRACTICUM_BUILD_DIR", str(build_dirs(notebook)))
    monkeypatch.setenv("PRACTICUM_MY_PHOTO", str(phone_photo))
    result = run_notebook(notebook, fast=True, cell_timeout=900)
    assert result.status == "ok", result.error
    assert result.headline is not None, "the notebook should save its metrics (practicum.notebook.save_metrics)"
    if notebook.stem in OWN_PHOTO:
        executed = read_notebook(build_dirs(notebook) / "executed" / notebook.parent.name / notebook.name)
        printed = "".join(output.get("text", "") for cell in executed.cells if cell.cell_type == "code" for output in cell.outputs)
        assert "set MY_PHOTO" not in printed, "the learner's photo was not used"


def test_lessons_that_read_an_earlier_lessons_files_run_with_it():
    ids = [param.id for param in params()]
    marks = {param.id: param.marks for param in params()}
    for reader, writer in READS_FROM.items():
        assert marks[f"notebooks/{reader}"] == marks[f"notebooks/{writer}"] != []
        assert ids.index(f"notebooks/{writer}") < ids.index(f"notebooks/{reader}"), "the writer is collected first"
