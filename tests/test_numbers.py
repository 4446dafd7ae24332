"""Every figure the lessons' prose and the README quote can be traced.

A measured figure — a percentage, an accuracy written as a fraction (0.876), a duration — in a
lesson's markdown or in README.md must be one of:

- a value of ``benchmarks/results.csv`` (as recorded, rounded: 0.8760 may be quoted as 0.876, 87.6%
  or 88%; 691.4 seconds as 691 s or 11.5 minutes), or a range of such values;
- a figure from the literature or the practicum, in a sentence that links to its source;
- one of the few definitions below (chance, the label-smoothing targets, ...), or a reading-time
  estimate after ``Time:``.

A number a notebook computes when it runs is printed by its code cell, never copied into prose: it
changes from run to run and from FAST to full mode.
"""

import json
import re

import pytest

from benchmarks import record
from practicum import paths

#: Figures that define something rather than measure it, with why they may appear anywhere.
DEFINITIONS = {
    "50%": "chance for two balanced classes", "0.5": "chance, and the decision threshold on P(dog)",
    "100%": "all of the photos", "0.05": "a label-smoothing target", "0.95": "a label-smoothing target, a confidence level",
    "95%": "a confidence level", "99%": "a confidence level", "99.9%": "a confidence level",
    "0.001": "the practicum's learning rate",
}
FIGURE = re.compile(r"(?<![\w.\[])(\d[\d,]*(?:\.\d+)?)(?:\s?[–-]\s?(\d[\d,]*(?:\.\d+)?))?"
                    r"(\s?%|\s?(?:s|seconds|min|minutes)\b)|(?<![\w.])(0\.\d{2,4})(?![\d%])")
READING_TIME = re.compile(r"Time:\**\s*(?:about\s+)?\d+(?:[–-]\d+)?\s+minutes")
SENTENCE_END = re.compile(r"(?<=[.!?:])\s+(?=[A-Z*(\[])|\n\s*\n|\n\s*[-|#]")


def traceable_values() -> set[str]:
    """Every way the course may write a recorded value or duration."""
    found = set()
    for row in record.read():
        value, seconds = float(row["value"]), float(row["seconds"])
        found |= {f"{value:.3f}", f"{value:.2f}", f"{100 * value:.1f}%", f"{100 * value:.0f}%"}
        found |= {f"{seconds:.0f}s", f"{seconds:.1f}s", f"{seconds / 60:.1f}min", f"{seconds / 60:.0f}min"}
    return found


def figures(text: str):
    """``(written figure, normalised forms, sentence)`` for each measured figure in ``text``."""
    text = READING_TIME.sub("", text)
    sentences = SENTENCE_END.split(text)
    for sentence in sentences:
        for match in FIGURE.finditer(sentence):
            first, second, unit, fraction = match.groups()
            if fraction:
                yield fraction, [fraction], sentence
                continue
            unit = unit.strip()
            unit = {"seconds": "s", "minutes": "min"}.get(unit, unit)
            numbers = [n.replace(",", "") for n in (first, second) if n]
            yield match.group(0), [n + unit for n in numbers], sentence


def untraceable(text: str, known: set[str]) -> list[str]:
    problems = []
    for written, forms, sentence in figures(text):
        if "](" in sentence:  # a linked source: the literature's or the practicum's figure
            continue
        if all(form in known or form in DEFINITIONS for form in forms):
            continue
        problems.append(f"{written!r} in: {' '.join(sentence.split())[:160]}")
    return problems


def markdown_of(notebook) -> str:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return "\n\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")


LESSONS = sorted(paths.NOTEBOOKS.glob("0[0-7]_*.ipynb"))
EXERCISES = sorted(paths.SOLUTIONS.glob("0[0-7]_*.ipynb"))
#: The grader's default time budget for a notebook (``practicum grade --timeout``), which exercises quote.
GRADING_BUDGET = 600


@pytest.mark.parametrize("notebook", LESSONS, ids=[nb.stem for nb in LESSONS])
def test_every_figure_in_a_lesson_s_prose_is_recorded_or_cited(notebook):
    problems = untraceable(markdown_of(notebook), traceable_values())
    assert not problems, "figures that are neither in benchmarks/results.csv nor cited:\n" + "\n".join(problems)


def settings_of(notebook) -> set[str]:
    """Every way to write a number the notebook's own code sets (a threshold, a zoom factor, a holdout
    threshold in a test cell's metadata), and the grader's time budget: an exercise that states its
    tests' settings defines them, it does not measure anything."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(cell["source"]) + "\n" + json.dumps(cell["metadata"]) for cell in cells if cell["cell_type"] == "code")
    text = re.sub(r"#.*", "", code)  # comments may quote measurements: those must be recorded
    found = {f"{GRADING_BUDGET}s", f"{GRADING_BUDGET // 60}min"}
    for number in re.findall(r"(?<![\w.])\d+(?:\.\d+)?", text):
        value = float(number)
        found |= {number, f"{value:.3f}", f"{value:.2f}", f"{100 * value:.0f}%", f"{value:g}%"}
    return found


@pytest.mark.parametrize("notebook", EXERCISES, ids=[nb.stem for nb in EXERCISES])
def test_every_figure_in_an_exercise_s_prose_is_recorded_cited_or_its_own_setting(notebook):
    problems = untraceable(markdown_of(notebook), traceable_values() | settings_of(notebook))
    assert not problems, "figures that are neither in benchmarks/results.csv, nor cited, nor set by the notebook's code:\n" + "\n".join(problems)


def test_every_figure_in_the_readme_is_recorded_or_cited():
    readme = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    problems = untraceable(readme, traceable_values())
    assert not problems, "figures that are neither in benchmarks/results.csv nor cited:\n" + "\n".join(problems)


def test_the_check_catches_an_invented_figure_and_accepts_recorded_and_cited_ones():
    known = {"87.6%", "0.876", "691s"}
    assert untraceable("The best model reaches 87.6% (0.876) in 691 s.", known) == []
    assert untraceable("The practicum [reports](https://example.org) about 80%.", known) == []
    assert untraceable("Chance is 50%. *Time:* 20 minutes to read.", known) == []
    assert len(untraceable("Training takes 3–4 minutes and reaches 85%.", known)) == 2
