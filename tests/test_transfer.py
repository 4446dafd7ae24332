"""Lessons 6–7's plumbing: class activation maps, the course's results, the saved photo index."""

import os

import numpy as np
import pytest

from practicum import photo_index, transfer


def gap_classifier(seed: int = 0):
    """A small model of the lessons' shape: raw photos → conv → GAP → dropout → one sigmoid unit."""
    import keras

    keras.utils.set_random_seed(seed)
    photos = keras.Input(shape=(None, None, 3))
    x = keras.layers.Resizing(24, 24)(photos)
    x = keras.layers.Rescaling(1 / 255)(x)
    x = keras.layers.Conv2D(6, 3, strides=2, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    x = keras.layers.Dropout(0.3)(x)
    return keras.Model(photos, keras.layers.Dense(1, activation="sigmoid", name="dog_probability")(x))


def test_activation_maps_add_up_to_the_models_own_prediction():
    model = gap_classifier()
    photos = np.random.default_rng(0).uniform(0, 255, (5, 30, 40, 3)).astype(np.float32)
    maps, probabilities = transfer.activation_maps(model, photos)
    np.testing.assert_allclose(probabilities, model.predict(photos, verbose=0).reshape(-1), rtol=1e-4, atol=1e-5)
    assert maps.shape == (5, 11, 11)
    np.testing.assert_allclose(np.abs(maps).max(axis=(1, 2)), 1, rtol=1e-6)  # signed, the strongest evidence at ±1
    # the map is the dog logit spread over the positions: its mean has the sign of the logit less the bias
    _, bias = model.get_layer("dog_probability").get_weights()
    logits = np.log(probabilities / (1 - probabilities)) - bias[0]
    assert np.array_equal(np.sign(maps.mean(axis=(1, 2))), np.sign(logits)), (maps.mean(axis=(1, 2)), logits)


def test_course_results_name_every_stage_in_course_order():
    results = transfer.course_results()
    assert list(results) == [label for label, _, _ in transfer.COURSE_STAGES]
    assert all(0.5 < values["val_acc"] <= 1 and 0.5 < values["holdout_acc"] <= 1 for values in results.values())


@pytest.fixture
def library(tmp_path, monkeypatch):
    monkeypatch.setenv("PRACTICUM_BUILD_DIR", str(tmp_path / "build"))
    monkeypatch.setenv("PRACTICUM_CACHE_DIR", str(tmp_path / "cache"))
    files = []
    for index in range(3):
        path = tmp_path / f"photo{index}.jpg"
        path.write_bytes(b"stands for a photo")
        files.append(path)
    model_file = tmp_path / "classifier.keras"
    gap_classifier().save(model_file)
    images = np.random.default_rng(1).uniform(0, 255, (3, 40, 40, 3)).astype(np.float32)
    return images, files, model_file


def keras_predict(model_file, images):
    import keras

    return keras.saving.load_model(model_file).predict(images, verbose=0).reshape(-1)


def embedder_of(model_file):
    """What lesson 7 builds on its page: the classifier read from the file, asked for its pooled features and P(dog)."""
    import keras

    classifier = keras.saving.load_model(model_file)
    return keras.Model(classifier.inputs[0], [classifier.get_layer("gap").output, classifier.outputs[0]])


def test_the_index_is_built_once_then_read_back(library):
    images, files, model_file = library
    embedder = embedder_of(model_file)
    index, built = photo_index.load_or_build_index(images, files, model_file, embedder, image_size=33)
    assert built and len(index) == 3
    assert index.embeddings.shape == (3, 6) and index.imagenet.shape == (3, 1000)
    np.testing.assert_allclose(index.imagenet.astype(np.float32).sum(axis=1), 1, atol=1e-2)
    np.testing.assert_allclose(index.dog_probability, keras_predict(model_file, images), rtol=1e-4, atol=1e-5)
    again, built_again = photo_index.load_or_build_index(images, files, model_file, embedder, image_size=33)
    assert not built_again and again.files == index.files
    np.testing.assert_array_equal(again.embeddings, index.embeddings)


def test_a_new_model_file_builds_a_new_index(library):
    images, files, model_file = library
    photo_index.load_or_build_index(images, files, model_file, embedder_of(model_file), image_size=33)
    gap_classifier(seed=1).save(model_file)
    os.utime(model_file, ns=(1, 10**18))  # a distinct modification time, however fast the test runs
    _, built = photo_index.load_or_build_index(images, files, model_file, embedder_of(model_file), image_size=33)
    assert built
