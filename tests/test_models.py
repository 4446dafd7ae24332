"""The model builders and training helpers of lessons 4–5 (practicum.models), on tiny inputs."""

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from practicum import models, plots  # noqa: E402


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


def photos(n=4, height=40, width=52, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, (n, height, width, 3)).astype("float32")


def test_practicum_convnet_is_the_practicums_network():
    model = models.practicum_convnet(150)
    assert model.count_params() == 9_494_561  # the practicum's Exercise 1 summary
    assert [layer.filters for layer in model.layers if isinstance(layer, keras.layers.Conv2D)] == [16, 32, 64]
    assert model.get_layer("dense").units == 512
    assert isinstance(model.optimizer, keras.optimizers.RMSprop)
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(1e-3)


@pytest.mark.parametrize("builder", [lambda: models.practicum_convnet(32, dropout=0.5, weight_decay=1e-4, augmentation=models.augmentation()),
                                     lambda: models.best_from_scratch(32, filters=(8, 16))],
                         ids=["practicum", "best"])
def test_models_take_raw_photos_of_any_size(builder):
    model = builder()
    assert tuple(model.input_shape) == (None, None, None, 3)
    for height, width in [(40, 52), (97, 61)]:
        out = keras.ops.convert_to_numpy(model(photos(3, height, width), training=False))
        assert out.shape == (3, 1) and np.all((out >= 0) & (out <= 1))


def test_augmentation_changes_images_in_training_only():
    block = models.augmentation(seed=1)
    images = photos(4, 32, 32)
    assert np.allclose(keras.ops.convert_to_numpy(block(images, training=False)), images)
    changed = keras.ops.convert_to_numpy(block(images, training=True))
    assert changed.shape == images.shape and not np.allclose(changed, images)
    assert changed.min() >= -1e-3 and changed.max() <= 255 + 1e-3, "augmented pixels stay in 0–255"


def test_saved_model_loads_with_plain_keras_and_scores_photos_of_another_size(tmp_path):
    model = models.practicum_convnet(32, augmentation=models.augmentation(), dropout=0.3)
    target = tmp_path / "model.keras"
    model.save(target)
    reloaded = keras.saving.load_model(target)
    other = photos(2, 71, 45)
    assert np.allclose(models.predict(reloaded, other), models.predict(model, other), atol=1e-6)


def test_train_compile_best_and_accuracy():
    import tensorflow as tf

    images = np.concatenate([np.full((8, 24, 24, 3), 30.0), np.full((8, 24, 24, 3), 220.0)]).astype("float32")
    labels = np.array([0] * 8 + [1] * 8)
    model = models.compile_best(models.best_from_scratch(24, filters=(4, 8), augment=None, dropout=0.0),
                                steps_per_epoch=1, epochs=3, peak_learning_rate=1e-2, warmup_epochs=1)
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).shuffle(16, seed=0).batch(16)
    history = models.train(model, dataset, dataset, epochs=3)
    assert len(history["loss"]) == len(history["seconds"]) == 3
    assert set(history) >= {"accuracy", "loss", "val_accuracy", "val_loss", "seconds"}
    assert 0.0 <= models.accuracy(model, images, labels) <= 1.0


def test_accuracy_on_a_dataset_matches_arrays():
    import tensorflow as tf

    model = models.practicum_convnet(32)
    images, labels = photos(6, 20, 20), np.array([0, 1, 0, 1, 1, 0])
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(4)
    assert models.accuracy(model, dataset) == models.accuracy(model, images, labels)


def test_cosine_schedule_warms_up_then_decays():
    schedule = models.cosine_schedule(1e-2, total_steps=100, warmup_steps=10)
    values = [float(keras.ops.convert_to_numpy(schedule(step))) for step in (0, 5, 10, 55, 100)]
    assert values[0] < values[1] < values[2] == pytest.approx(1e-2)
    assert values[2] > values[3] > values[4] > 0


def test_cnn_plots_return_figures():
    labels = np.array([0, 0, 1, 1])
    probabilities = np.array([0.9, 0.2, 0.1, 0.8])
    figures = [plots.confusion_matrix(labels, probabilities > 0.5),
               plots.confidently_wrong(photos(4, 10, 10), labels, probabilities, count=4),
               plots.confidently_wrong(photos(4, 10, 10), labels, 1.0 * labels),  # no mistakes
               plots.feature_maps(np.random.default_rng(0).normal(size=(8, 8, 5)), columns=3),
               plots.compare_curves({"a": {"val_accuracy": [0.5, 0.6]}, "b": {"val_accuracy": [0.55, 0.7]}})]
    for figure in figures:
        assert isinstance(figure, plt.Figure)
        plt.close(figure)


def test_cnn_benchmark_records_final_accuracies_with_the_reproducing_command(monkeypatch):
    from benchmarks import cnn, record

    appended = []
    monkeypatch.setattr(record, "append", lambda rows: appended.extend(rows))
    result = {"stage": "cnn_best", "val_acc": 0.86, "holdout_acc": 0.87, "best_val_acc": 0.87, "seconds": 600.0,
              "cpu_seconds": 1000.0, "command": "python benchmarks/cnn.py best --no-record --epochs 40"}
    cnn.record_result(result)
    assert appended == [("cnn_best", "val_acc", 0.86, 600.0, "python benchmarks/cnn.py best --epochs 40"),
                        ("cnn_best", "holdout_acc", 0.87, 600.0, "python benchmarks/cnn.py best --epochs 40")]
    assert cnn.SETTINGS["practicum"] == {"image_size": 150, "batch_size": 20, "epochs": 15}


def test_accelerator_names_the_backend_and_the_gpu_or_how_to_get_one(monkeypatch):
    import tensorflow as tf

    from practicum.notebook import COLAB_GPU, accelerator

    assert keras.config.backend() == "tensorflow"
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: [])
    assert accelerator().startswith("Keras (tensorflow) computes on the CPU") and COLAB_GPU in accelerator()
    device = type("Device", (), {"name": "/physical_device:GPU:0"})()
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: [device] if kind == "GPU" else [])
    assert accelerator() == "Keras (tensorflow) computes on 1 GPU: /physical_device:GPU:0"
