"""The judge's parts, without a kernel: what crosses between the kernels, the judge's notebook, and
the learner's side of the conversation run in-process (``tests/test_judge_kernels.py`` runs both kernels)."""

import io
import math

import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.judge import wire
from grader.judge.notebook import BIND, defined_names, judge_notebook, judged_outside, judged_where
from grader.results import Judged
from grader.judge.peer import LearnerError, learner_error


def roundtrip(value, **options):
    return wire.decode(wire.encode(value, **options))


def test_data_crosses_as_it_was():
    value = {"a": [1, 2.5, None, True, "cat"], 3: (np.arange(6).reshape(2, 3), np.array(["cat", "dog"])), "x": np.float32(0.25)}
    back = roundtrip(value)
    assert back["a"] == [1, 2.5, None, True, "cat"] and type(back[3]) is tuple and back["x"] == 0.25
    np.testing.assert_array_equal(back[3][0], np.arange(6).reshape(2, 3))
    assert back[3][1].tolist() == ["cat", "dog"]
    nan, inf = roundtrip([float("nan"), float("-inf")])
    assert math.isnan(nan) and inf == -math.inf


class AlwaysEqual:
    """What a learner might return to fake ``==``: an object whose every comparison says yes."""

    def __eq__(self, other):
        return True


class Agreeable(np.ndarray):
    """An ndarray subclass whose comparisons all say yes."""

    def __eq__(self, other):
        return np.ones(self.shape, bool)


def test_an_object_that_is_not_data_never_crosses_as_itself():
    with pytest.raises(wire.NotData):
        wire.encode(AlwaysEqual())
    payload = wire.encode([AlwaysEqual()], handle=lambda obj: {"id": 7, "type": "AlwaysEqual", "callable": False})
    with pytest.raises(wire.NotData):
        wire.decode(payload)
    # the judge's decoder turns a handle into its stand-in, made from the description only
    assert wire.decode(payload, handle=lambda description: description) == [{"id": 7, "type": "AlwaysEqual", "callable": False}]


def test_an_ndarray_subclass_crosses_as_a_plain_array():
    agreeable = np.zeros(3).view(Agreeable)
    assert bool(np.all(agreeable == np.ones(3)))
    back = roundtrip(agreeable)
    assert type(back) is np.ndarray and not np.all(back == np.ones(3))


def test_the_decoder_refuses_pickles_and_malformed_messages():
    buffer = io.BytesIO()
    np.savez(buffer, **{wire.META: np.frombuffer(b'{"t": "array", "v": "a0"}', np.uint8)}, a0=np.array([AlwaysEqual()], dtype=object))
    with pytest.raises(wire.NotData):
        wire.decode(buffer.getvalue())  # an object array is a pickle: np.load(allow_pickle=False) refuses it
    for structure in (b'{"t": "code", "v": "print(1)"}', b'[1, 2]', b'{"t": "array", "v": "missing"}', b'{"t": "dict", "v": [[{"t": "list", "v": []}, 1]]}'):
        buffer = io.BytesIO()
        np.savez(buffer, **{wire.META: np.frombuffer(structure, np.uint8)})
        with pytest.raises(wire.NotData):
            wire.decode(buffer.getvalue())
    with pytest.raises(wire.NotData):
        wire.decode(b"not an npz")


def test_the_learner_side_answers_calls_values_and_attributes(tmp_path):
    namespace = {"double": lambda x: x * 2, "WIDTH": 32, "model": AlwaysEqual()}
    kept: dict = {}

    def ask(message):
        (tmp_path / "request.npz").write_bytes(wire.encode(message, reference=lambda item: item if isinstance(item, int) and item < 0 else None))
        wire.serve(str(tmp_path / "request.npz"), str(tmp_path / "reply.npz"), namespace, kept)
        return wire.decode((tmp_path / "reply.npz").read_bytes(), handle=lambda description: ("handle", description["id"], description["type"]))

    np.testing.assert_array_equal(ask({"op": "call", "name": "double", "args": [np.arange(3)], "kwargs": {}})["value"], [0, 2, 4])
    assert ask({"op": "value", "name": "WIDTH"}) == {"value": 32}
    assert ask({"op": "value", "name": "model"}) == {"value": ("handle", 1, "AlwaysEqual")}
    assert ask({"op": "value", "name": "missing"}) == {"error": ["NameError", "name 'missing' is not defined"]}
    assert ask({"op": "call", "name": "double", "args": [], "kwargs": {}})["error"][0] == "TypeError"
    assert ask({"op": "getattr", "handle": 1, "attribute": "nothing"})["error"][0] == "AttributeError"


def test_the_learners_exceptions_come_back_as_judge_side_classes():
    assert type(learner_error("NotImplementedError", "")) is NotImplementedError  # check() says "not implemented yet"
    assert type(learner_error("ValueError", "bad")) is ValueError
    for name in ("CheckFailed", "SystemExit", "KeyboardInterrupt", "no such class", ""):
        error = learner_error(name, "message")
        assert isinstance(error, LearnerError) and not isinstance(error, AssertionError)


def _notebook(*tests_metadata):
    cells = [new_markdown_cell("# Exercise"), new_code_cell("import numpy as np\nSIZE = 4")]
    answer = new_code_cell("def double(x):\n    return 2 * x\nHELPER, (A, B) = 1, (2, 3)")
    answer.metadata["nbgrader"] = {"solution": True, "grade": False, "grade_id": "double", "locked": False}
    cells.append(answer)
    for index, metadata in enumerate(tests_metadata):
        test = new_code_cell(f"assert double(2) == 4  # test {index}")
        test.metadata.update({"nbgrader": {"grade": True, "solution": False, "grade_id": f"test_{index}", "points": 1, "locked": True},
                              **metadata})
        cells.append(test)
    return new_notebook(cells=cells)


def test_the_judges_notebook_runs_the_instructors_cells_and_binds_the_answers():
    source = _notebook({"practicum": {"judge": "outside"}})
    judge = judge_notebook(source)
    sources = [cell.source for cell in judge.cells]
    assert "connect()" in sources[0] and sources[1] == "import numpy as np\nSIZE = 4"
    assert sources[2] == f"{BIND}(globals(), ['double', 'HELPER', 'A', 'B'], _practicum_learner)"
    assert "return 2 * x" not in "".join(sources) and sources[3].startswith("assert double(2) == 4")


def test_a_test_is_judged_outside_when_its_metadata_says_so():
    assert judged_outside(_notebook({"practicum": {"judge": "outside"}}, {"practicum": {"judge": "outside"}})) == {"test_0", "test_1"}
    mixed = _notebook({"practicum": {"judge": "outside"}}, {})
    assert judged_outside(mixed) == {"test_0"} and judged_where(mixed.cells[-1]) is Judged.KERNEL
    assert judged_outside(_notebook()) == set()


def test_defined_names():
    assert defined_names("import os\nx: int = 1\ny += 2\n[a, *b] = c = d()\nclass K: pass\nasync def f(): pass") == ["x", "y", "a", "b", "c", "K", "f"]
    assert defined_names("def broken(:") == []


def test_each_learner_meets_hidden_inputs_of_their_own_and_a_regrade_the_same(monkeypatch):
    from grader.jobs import hidden_inputs_seed
    from practicum.checks import HIDDEN_SEED_ENV, per_learner_rng

    ann, bob = (hidden_inputs_seed("course secret", "01_raw_pixels", learner) for learner in ("ann", "bob"))
    assert ann != bob and ann == hidden_inputs_seed("course secret", "01_raw_pixels", "ann")
    assert ann != hidden_inputs_seed("another course's secret", "01_raw_pixels", "ann")
    assert hidden_inputs_seed("", "01_raw_pixels", "ann") == ""  # no secret: the fixed inputs
    fixed = per_learner_rng(7).integers(0, 2**31, 4)
    assert fixed.tolist() == np.random.default_rng(7).integers(0, 2**31, 4).tolist()  # outside grading: as before
    draws = {}
    for learner, seed in (("ann", ann), ("bob", bob)):
        monkeypatch.setenv(HIDDEN_SEED_ENV, seed)
        draws[learner] = per_learner_rng(7).integers(0, 2**31, 4).tolist()
        assert draws[learner] == per_learner_rng(7).integers(0, 2**31, 4).tolist()
    assert draws["ann"] != draws["bob"] and fixed.tolist() not in draws.values()


def test_a_name_of_the_instructors_is_never_bound_to_the_learners_kernel():
    source = _notebook({"practicum": {"judge": "outside"}})
    source.cells[2].source += "\ncheck = SIZE = lambda *args: None"  # an answer that rebinds what the tests use
    source.cells[1].source = "from practicum.checks import check\n" + source.cells[1].source
    assert judge_notebook(source).cells[2].source == f"{BIND}(globals(), ['double', 'HELPER', 'A', 'B'], _practicum_learner)"


def test_a_keras_model_crosses_as_its_configuration_and_weights_and_is_rebuilt_in_safe_mode():
    import keras

    model = keras.Sequential([keras.Input((6, 6, 3)), keras.layers.Rescaling(1 / 255), keras.layers.Conv2D(2, 3, activation="relu"),
                              keras.layers.Flatten(), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(np.random.default_rng(0).uniform(0, 255, (4, 6, 6, 3)), np.array([0, 1, 0, 1]), epochs=1, verbose=0)
    model.layers[1].trainable = False
    back = roundtrip({"model": model})["model"]
    photos = np.random.default_rng(1).uniform(0, 255, (2, 6, 6, 3)).astype("float32")
    assert isinstance(back, keras.Sequential) and back is not model
    np.testing.assert_allclose(back.predict(photos, verbose=0), model.predict(photos, verbose=0), rtol=1e-6)
    assert [layer.trainable for layer in back.layers] == [layer.trainable for layer in model.layers]
    assert back.loss == "binary_crossentropy" and int(back.optimizer.iterations) == int(model.optimizer.iterations) == 1
    with pytest.raises(wire.NotData, match="Keras layers only"):  # code in a model never runs on the other side
        roundtrip(keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda t: t * 2)]))


def test_a_data_set_of_the_instructors_crosses_by_its_name(tmp_path):
    made_by_a_locked_cell = object()
    payload = wire.encode([made_by_a_locked_cell], reference=lambda item: "train_data" if item is made_by_a_locked_cell else None)
    assert wire.decode(payload, named={"train_data": "the learner's own train_data"}.__getitem__) == ["the learner's own train_data"]


def test_seeded_seeds_where_the_function_runs():
    from practicum.checks import seeded

    draw = lambda: np.asarray(__import__("keras").random.uniform((3,)))  # noqa: E731
    assert np.array_equal(seeded(5, draw), seeded(5, draw)) and not np.array_equal(seeded(5, draw), seeded(6, draw))
