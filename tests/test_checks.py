"""The friendly checks that exercise test cells use."""

import numpy as np
import pytest

from practicum.checks import CheckFailed, CheckPassed, check, expect, expect_between, expect_close, expect_shape


def test_passing_check_shows_a_pass(capsys):
    with check("q1"):
        expect(True, "never shown")
    assert "✓ q1: passed" in capsys.readouterr().out


def test_not_implemented_becomes_a_one_line_message():
    with pytest.raises(CheckFailed) as failure:
        with check("flatten"):
            raise NotImplementedError()
    assert "not implemented yet" in str(failure.value)
    assert failure.value._render_traceback_() == str(failure.value).splitlines()
    assert failure.value.__cause__ is None and failure.value.__suppress_context__


def test_expectation_message_and_hint_reach_the_learner():
    with pytest.raises(CheckFailed) as failure:
        with check("shape"):
            expect_shape(np.zeros((2, 3)), (2, 4), "flatten(x)", hint="reshape each image into a row")
    text = str(failure.value)
    assert "flatten(x) should have shape (2, 4), got (2, 3)" in text
    assert "Hint: reshape each image into a row" in text


def test_a_crash_in_learner_code_is_named_not_dumped():
    with pytest.raises(CheckFailed) as failure:
        with check("mean"):
            {}["missing"]
    assert "your code raised KeyError" in str(failure.value)


def test_expect_close_reports_the_worst_element():
    with pytest.raises(CheckFailed) as failure:
        with check("close"):
            expect_close([1.0, 2.0, 3.5], [1.0, 2.0, 3.0], "histogram")
    assert "expected 3, got 3.5 at index (2,)" in str(failure.value)
    with check("close-ok"):
        expect_close(np.float32(0.1) * 3, 0.3, rtol=1e-5)


def test_expect_between_and_shape_of_a_non_array():
    with pytest.raises(CheckFailed, match="between 0.6 and 1"):
        with check("accuracy"):
            expect_between(0.4, 0.6, 1.0, "holdout accuracy")
    with pytest.raises(CheckFailed, match="should be an array of shape"):
        with check("shape"):
            expect_shape([1, 2], (2,))


def test_check_passed_renders_html():
    assert "<b>q2</b>" in CheckPassed("q2")._repr_html_()


def test_calls_to_sees_a_watched_function_however_it_is_reached():
    import numpy as np

    from practicum import features
    from practicum.checks import calls_to
    from practicum.features import orientation_histogram as renamed

    photos = np.zeros((1, 4, 4, 3))
    result, seen = calls_to([features.orientation_histogram], lambda images: renamed(images, 9), photos)
    assert seen == ["orientation_histogram"] and result.shape == (1, 9)
    assert calls_to([features.orientation_histogram], np.mean, photos)[1] == []
