"""Answers that look copied: after a batch, every pair of learners' answer cells, per assignment.

copydetect compares what each learner wrote in the answer cells of their graded notebook (winnowing
fingerprints, as MOSS does; names, functions and strings are normalised first, so renaming variables
does not hide a copy, and fingerprints do not care in which order the pieces come). The code the
released exercise gives everyone (the answer cells' stubs and every other cell) is boilerplate: what
two learners share only because they were given it does not count. It flags, for a person to look
at; it changes no grade.

``practicum grade`` writes ``<out>/similarity.csv`` (the pairs whose similarity reaches ``THRESHOLD``,
most alike first) and ``<out>/similarity.html`` (those pairs, linked to copydetect's report of each
assignment, ``<out>/similarity/<assignment>.html``: the two answers side by side, the matching code
highlighted). The threshold and the time for a class of 30 are measured by benchmarks/similarity.py.
"""

import csv
import html
from dataclasses import dataclass
from pathlib import Path

from nbgrader import utils

from grader.build import release
from grader.files import remove_tree
from practicum.tidy import NotebookError, read_notebook

#: The share of one learner's answer code (after normalising) found in another's from which a pair is listed.
THRESHOLD = 0.6
#: copydetect's k-gram sizes, in characters of normalised code: matches shorter than NOISE are ignored,
#: matches of GUARANTEE or more are always found. Answers here are a few lines each.
NOISE, GUARANTEE = 20, 25


@dataclass(frozen=True)
class Pair:
    assignment: str
    first: str
    second: str
    first_share: float  # of the first learner's answer code, the share found in the second's
    second_share: float

    @property
    def similarity(self) -> float:
        return max(self.first_share, self.second_share)


def answer_code(nb) -> str:
    """What a learner wrote: the sources of the notebook's answer cells, in order."""
    return "\n\n".join(cell.source for cell in nb.cells if cell.cell_type == "code" and utils.is_solution(cell)) + "\n"


def given_code(source_nb) -> str:
    """What the released exercise gives everyone: every code cell of the release, answer stubs included."""
    return "\n\n".join(cell.source for cell in release(source_nb).cells if cell.cell_type == "code") + "\n"


def compare_class(course: Path, folder: Path, threshold: float = THRESHOLD) -> list[Pair]:
    """The pairs of learners of the nbgrader course ``course`` whose answers reach ``threshold``, per
    assignment, most alike first; copydetect's reports go to ``folder``."""
    from copydetect import CopyDetector

    remove_tree(folder)
    pairs = []
    for source in sorted(path for path in (course / "source").glob("*") if path.is_dir()):
        assignment = source.name
        work = folder / assignment
        answers = _write_answers(course, assignment, work / "answers")
        if len(answers) < 2:
            continue
        given = work / "given"
        given.mkdir(parents=True)
        for notebook in sorted(source.glob("*.ipynb")):
            (given / f"{notebook.stem}.py").write_text(given_code(read_notebook(notebook)), encoding="utf-8")
        detector = CopyDetector(extensions=["py"], noise_t=NOISE, guarantee_t=GUARANTEE, display_t=threshold, autoopen=False,
                                silent=True, out_file=str(folder / f"{assignment}.html"))
        for path in answers:
            detector.add_file(str(path))
        for path in sorted(given.glob("*.py")):
            detector.add_file(str(path), type="boilerplate")
        detector.run()
        found = [Pair(assignment, answers[i].stem, answers[j].stem, float(detector.similarity_matrix[i, j, 0]),
                      float(detector.similarity_matrix[i, j, 1]))
                 for i in range(len(answers)) for j in range(i + 1, len(answers))]
        found = [pair for pair in found if pair.similarity >= threshold]
        if found:
            detector.generate_html_report()
        pairs += found
    return sorted(pairs, key=lambda pair: (-pair.similarity, pair.assignment, pair.first, pair.second))


def _write_answers(course: Path, assignment: str, folder: Path) -> list[Path]:
    """``<learner>.py`` with each learner's answer code for the assignment (their notebooks, one after another)."""
    folder.mkdir(parents=True)
    written = []
    for learner in sorted(path for path in (course / "autograded").glob(f"*/{assignment}") if path.is_dir()):
        code = []
        for notebook in sorted(learner.glob("*.ipynb")):
            try:
                code.append(answer_code(read_notebook(notebook)))
            except NotebookError:
                continue
        if code:
            target = folder / f"{learner.parent.name}.py"
            target.write_text("\n".join(code), encoding="utf-8")
            written.append(target)
    return written


def write_reports(pairs: list[Pair], out: Path) -> None:
    """``<out>/similarity.csv`` and ``<out>/similarity.html`` for the pairs ``compare_class`` found."""
    with open(out / "similarity.csv", "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(("assignment", "learner", "other_learner", "similarity", "share_of_learner", "share_of_other"))
        writer.writerows((p.assignment, p.first, p.second, f"{p.similarity:.2f}", f"{p.first_share:.2f}", f"{p.second_share:.2f}")
                         for p in pairs)
    rows = "".join(f"<tr><td><a href='similarity/{html.escape(p.assignment)}.html'>{html.escape(p.assignment)}</a></td>"
                   f"<td>{html.escape(p.first)}</td><td>{html.escape(p.second)}</td><td>{p.similarity:.0%}</td></tr>"
                   for p in pairs)
    (out / "similarity.html").write_text(
        "<!doctype html><meta charset='utf-8'><title>Answers that look alike</title>"
        "<h1>Answers that look alike</h1><p>Pairs of learners whose answer code (names normalised, the code every learner "
        f"was given left out) is at least {THRESHOLD:.0%} the same, most alike first. This flags for you to look: it "
        "changes no grade. Each assignment's link shows the two answers side by side.</p>"
        + (f"<table><tr><th>assignment</th><th>learner</th><th>other learner</th><th>similarity</th></tr>{rows}</table>"
           if pairs else "<p>No pair reaches the threshold.</p>"), encoding="utf-8")
