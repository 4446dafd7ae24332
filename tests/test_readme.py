"""README quotes benchmark numbers; they must be the latest ones recorded in benchmarks/results.csv."""

import re

from benchmarks import record
from practicum import paths


def test_every_accuracy_in_the_course_map_is_a_recorded_benchmark_pair():
    readme = (paths.ROOT / "README.md").read_text()
    course_map = readme[readme.index("## Course map"): readme.index("## The photos")]
    quoted = re.findall(r"\| (0\.\d{3}) \(holdout (0\.\d{3})\) \|", course_map)
    assert quoted, "the course map quotes no accuracy"
    recorded = {(f"{m['val_acc']:.3f}", f"{m['holdout_acc']:.3f}")
                for entry in record.latest().values() if {"val_acc", "holdout_acc"} <= set(m := entry["metrics"])}
    for pair in quoted:
        assert pair in recorded, f"README quotes validation {pair[0]} / holdout {pair[1]}, which no latest benchmark row gives"


def test_readme_names_the_two_commands_that_ci_and_learners_use():
    readme = (paths.ROOT / "README.md").read_text()
    assert "make course" in readme and "make test" in readme
    assert "make test" in (paths.ROOT / ".ci" / "run").read_text()


def test_every_colab_badge_of_the_readme_opens_a_notebook_of_this_repository():
    readme = (paths.ROOT / "README.md").read_text()
    badges = re.findall(r"\]\((https://colab\.research\.google\.com/github/[^)]+)\)", readme)
    assert badges, "the README has no Colab badge"
    for url in badges:
        assert url.startswith(paths.COLAB_PREFIX), f"{url} does not open this repository ({paths.COURSE_REPO})"
        assert (paths.ROOT / url.removeprefix(paths.COLAB_PREFIX)).exists(), f"{url} opens a notebook that does not exist"
