"""practicum.handin: what a test cell hands in is what the grader can load and score."""

import keras
import numpy as np
import pytest

from practicum.checks import ExpectationFailed
from practicum.handin import code_layers, hand_in


@pytest.fixture(autouse=True)
def build_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PRACTICUM_BUILD_DIR", str(tmp_path / "build"))


def small_model(middle):
    photos = keras.Input(shape=(None, None, 3))
    x = middle(keras.layers.Resizing(8, 8)(photos))
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(photos, keras.layers.Dense(1, activation="sigmoid")(x))


class Halve(keras.layers.Layer):
    def call(self, x):
        return x / 2


def test_a_model_of_keras_layers_is_saved_where_the_grader_looks_and_loads_in_safe_mode():
    path = hand_in(small_model(keras.layers.Rescaling(1 / 255)), "exercise")
    assert path.name == "exercise.keras"
    reloaded = keras.saving.load_model(path, safe_mode=True)  # as grader.score_model loads it
    assert reloaded(np.zeros((1, 20, 30, 3), "float32")).shape == (1, 1)


@pytest.mark.parametrize("middle, named", [(keras.layers.Lambda(lambda x: x / 255, name="scale"), "scale (Lambda)"),
                                           (Halve(name="halve"), "halve (Halve)")])
def test_code_the_grader_would_refuse_is_refused_when_handed_in_with_the_fix(middle, named):
    model = small_model(middle)
    nested = keras.Sequential([keras.Input((None, None, 3)), model])
    assert code_layers(model) == [named] and code_layers(nested) == [named]
    with pytest.raises(ExpectationFailed, match=f"holds code the grader will not run: {named.replace('(', '.').replace(')', '.')}") as refused:
        hand_in(nested, "exercise")
    assert "Keras layers only" in refused.value.hint


def test_a_scikit_learn_model_is_pickled_and_an_object_without_predict_is_refused():
    from sklearn.dummy import DummyClassifier

    path = hand_in(DummyClassifier().fit(np.zeros((2, 1)), [0, 1]), "exercise")
    assert path.suffix == ".pkl" and not path.with_suffix(".keras").exists()
    with pytest.raises(TypeError, match="a Keras model or an object with a .predict method"):
        hand_in(object(), "exercise")
