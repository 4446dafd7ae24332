"""The class report (grader.class_report) on rows made here: no kernel, no browser (the browser test
opens the page `practicum grade` writes and screenshots it)."""

from grader import class_report
from grader.results import GradeRow, Status
from grader.similarity import Pair


def _rows():
    rows = []
    for learner, (first, second) in {"ada": (2, 1), "bob": (0, 1), "cy": (2, 0)}.items():
        rows += [GradeRow(learner, "01_raw_pixels", "test_flatten", first, 2, Status.OK),
                 GradeRow(learner, "01_raw_pixels", "test_mean", second, 1, Status.MANUAL if learner == "cy" else Status.OK,
                          reason="its code reaches for the tests: <script>" if learner == "cy" else "")]
    return rows


def test_each_test_is_listed_by_the_share_that_passed_it_lowest_first():
    assert class_report.pass_shares(_rows()) == [("01_raw_pixels", "test_flatten", 2 / 3, 3), ("01_raw_pixels", "test_mean", 2 / 3, 3)]
    rows = _rows()
    rows[0].points = 0  # ada fails test_flatten too: it is now the lesson to reteach
    assert class_report.pass_shares(rows)[0][:2] == ("01_raw_pixels", "test_flatten")


def test_the_page_has_the_totals_the_figure_and_what_needs_the_instructor_escaped(tmp_path):
    pair = Pair("01_raw_pixels", "ada", "bob", 0.9, 0.8)
    page = class_report.write(_rows(), tmp_path, alike=[pair], unplaced=["x.ipynb: a symbolic link, not a file"], unknown=["cy"])
    text = page.read_text(encoding="utf-8")
    assert "3 learners graded" in text and "mean 2.0 of 3 points; 1 of 3 learners with full marks" in text
    assert "its code reaches for the tests: &lt;script&gt;" in text and "<script>" not in text
    assert "bob: 90% alike" in text and "x.ipynb: a symbolic link" in text and "graded all the same" in text
    assert (tmp_path / "class.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and "data:image/png;base64," in text
