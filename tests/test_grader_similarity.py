"""Copied answers are flagged and nothing else is: grader.similarity on a class of graded notebooks
written here (tests/fixtures/similar_class.py; no kernel). ``practicum grade`` writing the reports
after a batch is checked in tests/test_grader_grade.py."""

import csv
import sys
from pathlib import Path

import pytest

from grader import similarity

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
import similar_class  # noqa: E402


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("similarity")
    similar_class.write_class(out / "course")
    pairs = similarity.compare_class(out / "course", out / "similarity")
    similarity.write_reports(pairs, out)
    return out, pairs


def test_the_copied_pair_is_flagged_though_every_name_was_changed(compared):
    _, pairs = compared
    assert [(p.first, p.second) for p in pairs] == [(similar_class.COPIER_ORIGINAL, similar_class.COPIER)]
    assert pairs[0].similarity == pytest.approx(1.0)


def test_code_everyone_was_given_and_answers_written_alone_are_not_flagged(compared):
    out, _ = compared
    everyone = similarity.compare_class(out / "course", out / "everyone", threshold=0.0)
    given = [p.similarity for p in everyone if similar_class.GIVEN_ONLY in (p.first, p.second)]
    honest = [p.similarity for p in everyone if {p.first, p.second} <= set(similar_class.HONEST)]
    assert given and max(given) == 0.0, "the released exercise's code is boilerplate"
    assert honest and max(honest) < similarity.THRESHOLD / 2


def test_the_reports_list_the_pair_and_show_the_two_answers_side_by_side(compared):
    out, _ = compared
    with open(out / "similarity.csv", newline="", encoding="utf-8") as stream:
        table = list(csv.DictReader(stream))
    assert [(row["learner"], row["other_learner"], row["similarity"]) for row in table] == [
        (similar_class.COPIER_ORIGINAL, similar_class.COPIER, "1.00")]
    index = (out / "similarity.html").read_text(encoding="utf-8")
    assert "01_raw_pixels.html" in index and similar_class.COPIER in index and "changes no grade" in index
    report = (out / "similarity" / "01_raw_pixels.html").read_text(encoding="utf-8")
    assert f"{similar_class.COPIER}.py" in report and "pics" in report, "copydetect's report shows the copy's own code"
