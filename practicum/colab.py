"""The block that opens every notebook's setup cell, so that the notebook runs on Colab too.

Colab starts a notebook in ``/content`` with TensorFlow, Keras, numpy, scikit-learn, scikit-image,
matplotlib, Pillow and tqdm installed, and without this course. The block clones the course once
into ``/content/course`` and puts it first on ``sys.path``; everywhere else it does nothing. It runs
before the course can be imported, so it cannot be a function of the course: it is text, generated
here from :data:`practicum.paths.COURSE_REPO` (the address the "Open in Colab" badges use too), and
``practicum tidy`` writes it into every notebook's setup cell, replacing whatever Colab block the
cell had. ``PRACTICUM_REPO`` points the clone elsewhere (a fork, or a local copy in the tests).
"""

from practicum import paths

#: The environment variable that overrides the address the setup cell clones.
REPO_VARIABLE = "PRACTICUM_REPO"
#: Where, relative to Colab's working folder (``/content``), the course is cloned.
CLONE_FOLDER = "course"

SETUP_BLOCK = f"""import os
import subprocess
import sys

if "google.colab" in sys.modules:  # on Colab: fetch the course once and import it from there
    REPO = os.environ.get("{REPO_VARIABLE}", "{paths.COURSE_REPO}")
    if not os.path.isdir("{CLONE_FOLDER}"):
        subprocess.run(["git", "clone", "--quiet", "--depth=1", REPO, "{CLONE_FOLDER}"], check=True)
    sys.path.insert(0, os.path.abspath("{CLONE_FOLDER}"))"""

_COURSE_IMPORT = "import practicum"


def with_setup_block(source: str) -> str:
    """A setup cell's source with its Colab block (all before ``import practicum``, when it mentions
    google.colab) replaced by :data:`SETUP_BLOCK`; any other source unchanged."""
    lines = source.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.startswith(_COURSE_IMPORT)), None)
    if start is None or "google.colab" not in "".join(lines[:start]):
        return source
    return SETUP_BLOCK + "\n\n" + "".join(lines[start:])
