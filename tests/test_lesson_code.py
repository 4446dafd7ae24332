"""The networks lessons 4 and 5 write on the page are the ones the benchmarks train.

The lessons quote benchmark rows (``benchmarks/cnn.py``, ``benchmarks/ablation.py``) that train
``practicum.models``' copies of the networks, so that the numbers in the lessons' prose describe the
code beside them. These tests run the lessons' own cells that define and build the networks (at the
full budget's settings) and compare them with the package's: same layers, same shapes, same weights.
"""

import pytest

from practicum import paths
from practicum.tidy import read_notebook

keras = pytest.importorskip("keras")
from practicum import models  # noqa: E402  (after keras: importing it needs keras)


def lesson_namespace(notebook: str, monkeypatch, *defining: str) -> dict:
    """Run a lesson's setup and parameter cells at full budget, then the code cells containing each of
    ``defining``; return the namespace."""
    monkeypatch.setenv("PRACTICUM_FAST", "0")
    nb = read_notebook(paths.NOTEBOOKS / f"{notebook}.ipynb")
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    namespace: dict = {"__name__": "__main__"}
    exec(code[0].source, namespace)  # setup: imports
    exec(next(cell.source for cell in code if "parameters" in cell.metadata.get("tags", [])), namespace)
    for text in defining:
        exec(next(cell.source for cell in code if text in cell.source), namespace)
    return namespace


def layer_signature(model) -> list[tuple]:
    """Each layer's class, output shape and weight count, nested models flattened, input layers left out."""
    rows = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            rows += layer_signature(layer)
        elif not isinstance(layer, keras.layers.InputLayer):  # a Sequential model lists none
            rows.append((type(layer).__name__, tuple(layer.output.shape) if hasattr(layer, "output") else None,
                         layer.count_params()))
    return rows


def test_lesson_4_builds_the_practicum_network_of_the_benchmark(monkeypatch, capsys):
    lesson = lesson_namespace("04_convnet_from_scratch", monkeypatch, "keras.Sequential([")
    benchmark = models.practicum_convnet(lesson["IMAGE_SIZE"])
    assert lesson["model"].count_params() == benchmark.count_params() == 9_494_561
    assert [row[0] for row in layer_signature(lesson["model"])] == [row[0] for row in layer_signature(benchmark)]


def test_lesson_5_builds_the_networks_of_the_benchmarks(monkeypatch):
    lesson = lesson_namespace("05_preventing_overfitting", monkeypatch, "def make_augmentation", "def practicum_convnet",
                              "def best_from_scratch")
    regularised = lesson["practicum_convnet"](150, lesson["make_augmentation"](), dropout=0.5)
    assert layer_signature(regularised) == layer_signature(models.practicum_convnet(150, augmentation=models.augmentation(), dropout=0.5))
    best = lesson["best_from_scratch"](lesson["BEST_SIZE"])
    reference = models.best_from_scratch(lesson["BEST_SIZE"], filters=lesson["BEST_FILTERS"])
    assert layer_signature(best) == layer_signature(reference)
    momenta = {layer.momentum for layer in best.layers if isinstance(layer, keras.layers.BatchNormalization)}
    assert momenta == {0.99}, "at full budget the lesson's batch normalisation is Keras' default, as in the benchmark"


def test_lesson_5_augmentation_is_the_benchmark_s(monkeypatch):
    lesson = lesson_namespace("05_preventing_overfitting", monkeypatch, "def make_augmentation")
    ours = [layer.get_config() for layer in lesson["make_augmentation"]().layers]
    theirs = [layer.get_config() for layer in models.augmentation().layers]
    for config in ours + theirs:
        config.pop("name", None)
        config.pop("seed", None)
    assert ours == theirs
