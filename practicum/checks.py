"""Friendly checks for exercise test cells.

A test cell wraps its assertions in ``with check("name"):``. A learner then sees one line instead of
a traceback: what was expected, what came back and a hint. Failures still raise, so nbgrader (which
scores a test cell by whether it errored) and ``practicum check`` see them::

    with check("flatten_and_scale"):
        out = flatten_and_scale(np.zeros((2, 4, 4, 3), np.uint8))
        expect_shape(out, (2, 48), "flatten_and_scale(two 4×4 images)")
        expect(out.dtype == np.float32, f"expected float32 values, got {out.dtype}", hint="use .astype(np.float32)")

The exception classes implement IPython's ``_render_traceback_`` hook, which is what keeps the
output to those lines. Their ``str()`` is the same message, which is what the grader reports.
"""

import os
import sys
from contextlib import contextmanager

import numpy as np

NOT_IMPLEMENTED = "not implemented yet"


class ExpectationFailed(AssertionError):
    """Raised by the ``expect*`` helpers; ``check`` turns it into a CheckFailed."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message, self.hint = message, hint


class CheckFailed(AssertionError):
    """A check that did not pass; renders as one or two lines, never a traceback."""

    def __init__(self, name: str, message: str, hint: str | None = None, symbol: str = "✗"):
        text = f"{symbol} {name}: {message}" + (f"\n  Hint: {hint}" if hint else "")
        super().__init__(text)
        self.name, self.message, self.hint = name, message, hint

    def _render_traceback_(self) -> list[str]:
        return str(self).splitlines()


class CheckPassed:
    """What a passing ``check`` displays: plain text in a terminal, a green line in a notebook."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"✓ {self.name}: passed"

    def _repr_html_(self) -> str:
        return f'<p style="color:#137333">✓ <b>{self.name}</b>: passed</p>'


@contextmanager
def check(name: str):
    """Run the block; turn what it raises into a one-line CheckFailed and show a pass otherwise."""
    try:
        yield
    except NotImplementedError:
        raise CheckFailed(name, f"{NOT_IMPLEMENTED} — replace `raise NotImplementedError()` in the answer cell above with your code",
                          symbol="…") from None
    except ExpectationFailed as failure:
        raise CheckFailed(name, failure.message, failure.hint) from None
    except CheckFailed:
        raise
    except Exception as error:  # the learner's code crashed: name the error, not the test's internals
        raise CheckFailed(name, f"your code raised {type(error).__name__}: {error}",
                          "run your answer cell on a small input and read the error message") from None
    _display(CheckPassed(name))


def _display(result: CheckPassed) -> None:
    try:
        from IPython.display import display
    except ImportError:  # plain Python: print instead
        print(repr(result))
    else:
        display(result)


def expect(condition: bool, message: str, hint: str | None = None) -> None:
    if not condition:
        raise ExpectationFailed(message, hint)


def expect_shape(value, shape: tuple, what: str = "the result", hint: str | None = None) -> None:
    actual = getattr(value, "shape", None)
    if actual is None:
        raise ExpectationFailed(f"{what} should be an array of shape {shape}, got {type(value).__name__}", hint)
    if tuple(actual) != tuple(shape):
        raise ExpectationFailed(f"{what} should have shape {tuple(shape)}, got {tuple(actual)}", hint)


def expect_close(actual, expected, what: str = "the result", hint: str | None = None, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    actual_arr, expected_arr = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    if actual_arr.shape != expected_arr.shape:
        raise ExpectationFailed(f"{what} should have shape {expected_arr.shape}, got {actual_arr.shape}", hint)
    if not np.allclose(actual_arr, expected_arr, rtol=rtol, atol=atol, equal_nan=True):
        worst = np.unravel_index(np.argmax(np.abs(actual_arr - expected_arr)), actual_arr.shape) if actual_arr.ndim else ()
        raise ExpectationFailed(
            f"{what}: expected {_short(expected_arr[worst])}, got {_short(actual_arr[worst])}"
            + (f" at index {tuple(int(i) for i in worst)}" if worst else ""),
            hint,
        )


def expect_between(value, low: float, high: float, what: str = "the result", hint: str | None = None) -> None:
    if not (low <= float(value) <= high):
        raise ExpectationFailed(f"{what} should be between {low} and {high}, got {_short(value)}", hint)


#: Set by the grader's judge (``grader.judge``) for one learner's submission: the hidden tests' random inputs.
HIDDEN_SEED_ENV = "PRACTICUM_HIDDEN_SEED"


def per_learner_rng(salt: int) -> np.random.Generator:
    """The random generator a hidden test draws its inputs from. When the grader judges a submission it
    is seeded per learner (from the assignment, the learner and a secret of the course's that no
    learner's kernel sees), so that two learners meet different inputs and a shared table of answers is
    worthless, while a regrade of the same submission meets the same ones. Anywhere else it is
    ``np.random.default_rng(salt)``."""
    seed = os.environ.get(HIDDEN_SEED_ENV, "")
    return np.random.default_rng([salt, int(seed, 16)] if seed else salt)


def seeded(seed: int, function, *args, **kwargs):
    """``function(*args, **kwargs)`` called right after ``keras.utils.set_random_seed(seed)`` where the function
    runs: a test that trains the learner's model starts it from the same random state, whatever ran before.
    (The grader's judge calls the learner's function in the learner's kernel, and seeds that kernel.)"""
    elsewhere = getattr(type(function), "_practicum_seeded_call", None)
    if elsewhere is not None:
        return elsewhere(function, seed, args, kwargs)
    import keras

    keras.utils.set_random_seed(seed)
    return function(*args, **kwargs)


def calls_to(watched, function, *args, **kwargs):
    """Call ``function(*args, **kwargs)``; return ``(result, names)`` where ``names`` lists the
    functions of ``watched`` that ran during the call, however they were reached (imported under
    another name, wrapped, called from a helper). A test uses it to tell an answer that computes
    something itself from one that hands the work to a library function the exercise asks to rewrite."""
    elsewhere = getattr(type(function), "_practicum_calls_to", None)
    if elsewhere is not None:  # the grader's judge holds a stand-in: the answer runs, and is watched, where it lives
        return elsewhere(function, watched, args, kwargs)
    codes = {getattr(f, "__code__", None): f.__name__ for f in watched}
    seen: list[str] = []

    def profiler(frame, event, arg):
        if event == "call" and frame.f_code in codes:
            seen.append(codes[frame.f_code])

    previous = sys.getprofile()
    sys.setprofile(profiler)
    try:
        result = function(*args, **kwargs)
    finally:
        sys.setprofile(previous)
    return result, sorted(set(seen))


def _short(value) -> str:
    return np.array2string(np.asarray(value), precision=4, threshold=6) if np.ndim(value) else f"{float(value):.4g}"
