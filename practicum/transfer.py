"""Plumbing for lessons 6 and 7: embeddings in batches, class activation maps, the course's results.

The lesson itself — zero-shot, the frozen base and its head, which layers to unfreeze — is written
on the notebook's page; this module only holds what would be boilerplate there.

- :func:`embed` — a model's outputs for many photos, in batches, as one numpy array.
- :func:`activation_maps` — where in a photo a "GAP → (dropout) → one sigmoid unit" model looks:
  the class activation map of Zhou et al. (2016), which is what Grad-CAM (Selvaraju et al., 2017)
  computes for such a head (the gradient of the logit with respect to each feature map is then the
  map's dense weight over its area), without a backend-specific gradient.
- :func:`course_results` — every stage of the course as recorded in ``benchmarks/results.csv``.
"""

import csv

import numpy as np

from practicum import paths

#: The course's stages as benchmarks/results.csv names them: (label, stage, method), in course order.
COURSE_STAGES = (
    ("raw pixels (lesson 1)", "pixels", "logreg_32px"),
    ("engineered features (lesson 2)", "features", "svm_combined"),
    ("the practicum's ConvNet (lesson 4)", "cnn_practicum", ""),
    ("best from scratch (lesson 5)", "cnn_best", ""),
    ("zero-shot ImageNet classes (lesson 6)", "zero_shot", "class_mass"),
    ("feature extraction (lesson 6)", "feature_extraction", ""),
    ("fine-tuning (lesson 6)", "fine_tuning", ""),
)


def embed(model, images, batch_size: int = 32) -> np.ndarray:
    """``model``'s outputs for ``images`` (float 0–255), batch by batch, as float32 ``(N, ...)``."""
    images = np.asarray(images)
    outputs = [np.asarray(model.predict(images[start:start + batch_size].astype(np.float32), verbose=0))
               for start in range(0, len(images), batch_size)]
    return np.concatenate(outputs).astype(np.float32) if outputs else np.zeros((0,), np.float32)


def activation_maps(model, images, pooling: str = "gap", output: str = "dog_probability") -> tuple[np.ndarray, np.ndarray]:
    """``(maps, probabilities)``: for each photo its signed class activation map, at the last feature maps'
    resolution, and P(dog). A map holds each position's share of the dog logit, divided by the photo's
    largest share in size: +1 the strongest "dog" evidence, −1 the strongest "cat" evidence (lesson 5
    computes the same on its page). ``pooling`` and ``output`` name the model's global-average-pooling
    layer and its one-unit sigmoid layer, which must follow it (a dropout layer between them is fine)."""
    import keras

    feature_model = keras.Model(model.inputs[0], model.get_layer(pooling).input)
    features = embed(feature_model, images)  # (N, h, w, channels)
    kernel, bias = model.get_layer(output).get_weights()
    logits_map = features @ kernel[:, 0]  # each position's contribution to the dog logit
    probabilities = 1 / (1 + np.exp(-(logits_map.mean(axis=(1, 2)) + bias[0])))
    peak = np.abs(logits_map).max(axis=(1, 2), keepdims=True)
    return logits_map / np.where(peak > 0, peak, 1), probabilities


def course_results(path=None) -> dict:
    """``{label: {"val_acc": v, "holdout_acc": h}}`` for each stage of :data:`COURSE_STAGES` that
    ``benchmarks/results.csv`` records (its latest rows)."""
    path = path or paths.ROOT / "benchmarks" / "results.csv"
    latest: dict = {}
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            name, _, method = row["metric"].partition("[")
            latest.setdefault((row["stage"], method.rstrip("]")), {})[name] = float(row["value"])
    return {label: latest[(stage, method)] for label, stage, method in COURSE_STAGES if (stage, method) in latest}
