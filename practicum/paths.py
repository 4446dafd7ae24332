"""Every path the course uses, in one place.

The course package lives at the top of the repository, so ROOT is its parent folder. Anything a
learner or CI may want elsewhere is read from an environment variable first:

- PRACTICUM_DATA_DIR: a folder already in the ``cats_and_dogs_filtered`` layout (CI points it at
  ``../shared/data/cats_and_dogs_filtered``); when unset the dataset is downloaded into the cache.
- PRACTICUM_CACHE_DIR: where downloads and decoded-array caches go (default ``data/cache``).
- PRACTICUM_HOLDOUT_DIR: the instructor's private photos (``cats/``, ``dogs/``), used by the grader
  and the benchmarks, never by the lessons.
- PRACTICUM_SHARED_CACHE_DIR: a second cache, only read (the grader lends its decoded photos to
  sandboxed kernels this way, so that no learner can poison another's).
- PRACTICUM_BUILD_DIR: executed notebooks, metrics and trained models (default ``build``).
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = ROOT / "data" / "datasets.json"
NOTEBOOKS = ROOT / "notebooks"
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"

#: Where the "Open in Colab" badges point; the Colab setup cell clones this repository.
COURSE_REPO = "https://github.com/ml-practicum/image-classification-practicum"
#: Colab opens a notebook of the repository at this address followed by its path in the repository.
COLAB_PREFIX = COURSE_REPO.replace("https://github.com/", "https://colab.research.google.com/github/") + "/blob/main/"


def course_notebook_files() -> list[Path]:
    """Every committed notebook of the course: lessons, solutions and exercises."""
    return sorted(nb for folder in (NOTEBOOKS, SOLUTIONS, EXERCISES) for nb in folder.glob("*.ipynb"))


def _from_env(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


def data_dir() -> Path | None:
    """The folder named by PRACTICUM_DATA_DIR, or None when the course should use its cache."""
    value = os.environ.get("PRACTICUM_DATA_DIR")
    return Path(value).expanduser().resolve() if value else None


def cache_dir() -> Path:
    return _from_env("PRACTICUM_CACHE_DIR", ROOT / "data" / "cache")


def shared_cache_dir() -> Path | None:
    value = os.environ.get("PRACTICUM_SHARED_CACHE_DIR")
    return Path(value).expanduser().resolve() if value else None


def build_dir() -> Path:
    return _from_env("PRACTICUM_BUILD_DIR", ROOT / "build")


def holdout_dir() -> Path | None:
    value = os.environ.get("PRACTICUM_HOLDOUT_DIR")
    return Path(value).expanduser().resolve() if value else None


def colab_url(notebook: Path) -> str:
    """The "Open in Colab" address of a notebook of this repository."""
    return COLAB_PREFIX + notebook.resolve().relative_to(ROOT).as_posix()
