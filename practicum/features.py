"""Helpers that lessons 1 and 2 (and their exercises) share: pixels as vectors, the pixel
perturbations that show how fragile they are, hand-engineered features, and a fit-and-score sweep.

Every feature function takes a batch of RGB images, ``(N, H, W, 3)`` uint8 or float 0–255, and
returns a float32 ``(N, D)`` matrix, one row per image, so that any of them can be stacked with
:func:`combine` and fed to a scikit-learn model.
"""

import contextlib
import io
import os
import time
from pathlib import Path

import numpy as np

from practicum import data, paths
from practicum.checks import ExpectationFailed

# --------------------------------------------------------------------------------------- pixels


def as_batch(images) -> np.ndarray:
    """``images`` as a 4-D float32 array; one ``(H, W, 3)`` image becomes a batch of one."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[None]
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"expected RGB images of shape (N, H, W, 3), got {images.shape}")
    # float32 before any arithmetic: uint8 wraps around (200 + 100 == 44) without a warning.
    return images.astype(np.float32)


def flatten(images, scale: bool = True) -> np.ndarray:
    """One row per image: every pixel's R, G, B in a line, as float32 (in 0–1 when ``scale``)."""
    batch = as_batch(images)
    rows = batch.reshape(len(batch), -1)
    return rows / 255.0 if scale else rows


def class_means(images, labels, n_classes: int = 2) -> np.ndarray:
    """The mean image of each class, float32 ``(n_classes, H, W, 3)`` on the 0–255 scale."""
    batch, labels = as_batch(images), np.asarray(labels)
    return np.stack([batch[labels == c].mean(axis=0) for c in range(n_classes)])


def nearest_mean(images, means) -> np.ndarray:
    """The label of the class mean nearest (Euclidean, in pixel space) to each image."""
    rows = flatten(images, scale=False)
    centres = np.asarray(means, dtype=np.float32).reshape(len(means), -1)
    distances = ((rows[:, None, :] - centres[None, :, :]) ** 2).sum(axis=-1)
    return distances.argmin(axis=1)


def accuracy(labels, predictions) -> float:
    return float(np.mean(np.asarray(labels) == np.asarray(predictions)))


# ------------------------------------------------------------------- perturbations (lesson 1)


def shift(images, dx: int = 0, dy: int = 0) -> np.ndarray:
    """Move the content ``dx`` px right and ``dy`` px down, repeating the edge pixels into the gap
    (a camera that moved a little, not a black border the model could learn to spot)."""
    batch = np.asarray(images)
    batch = batch[None] if batch.ndim == 3 else batch
    h, w = batch.shape[1:3]
    rows = np.clip(np.arange(h) - dy, 0, h - 1)
    cols = np.clip(np.arange(w) - dx, 0, w - 1)
    return batch[:, rows][:, :, cols]


def flip(images) -> np.ndarray:
    """Mirror left–right: a cat facing the other way is still a cat."""
    batch = np.asarray(images)
    return (batch[None] if batch.ndim == 3 else batch)[:, :, ::-1]


def brighten(images, amount: float) -> np.ndarray:
    """Add ``amount`` (on the 0–255 scale) to every channel, clipped; keeps the input dtype."""
    batch = np.asarray(images)
    brighter = np.clip(batch.astype(np.float32) + amount, 0, 255)
    return brighter.astype(batch.dtype) if batch.dtype == np.uint8 else brighter


# -------------------------------------------------------------------------- features (lesson 2)


def gray(images) -> np.ndarray:
    """Luminance (ITU-R 601 weights, 0–255) of a batch: ``(N, H, W)`` float32."""
    return as_batch(images) @ np.array([0.299, 0.587, 0.114], np.float32)


def color_histogram(images, bins: int = 8, space: str = "rgb", joint: bool = True, step: int = 1) -> np.ndarray:
    """Colour histogram of each image, normalised to sum to 1.

    ``space`` is ``"rgb"`` or ``"hsv"``. ``joint`` counts colours in a ``bins³`` cube (a red-brown
    fur is one cell); otherwise the three channel histograms are concatenated (``3 × bins``) and
    the colours' co-occurrence is lost. ``step`` > 1 counts every ``step``-th pixel in each
    direction: a histogram hardly changes, and it is ``step²`` times faster.
    """
    batch = as_batch(images)[:, ::step, ::step]
    if space == "hsv":
        from skimage.color import rgb2hsv

        batch = rgb2hsv(batch / 255.0).astype(np.float32) * 255.0
    elif space != "rgb":
        raise ValueError(f"unknown colour space {space!r}; use 'rgb' or 'hsv'")
    # Bin index per channel: 0..bins-1 (255 falls into the last bin, not one past it).
    index = np.clip((batch * (bins / 256.0)).astype(np.int64), 0, bins - 1)
    n, pixels = len(batch), batch.shape[1] * batch.shape[2]
    if joint:
        cell = (index[..., 0] * bins + index[..., 1]) * bins + index[..., 2]
        offsets = np.arange(n)[:, None] * bins**3
        counts = np.bincount((cell.reshape(n, -1) + offsets).ravel(), minlength=n * bins**3)
        return (counts.reshape(n, bins**3) / pixels).astype(np.float32)
    per_channel = [np.stack([np.bincount(index[i, ..., c].ravel(), minlength=bins) for i in range(n)]) for c in range(3)]
    return (np.concatenate(per_channel, axis=1) / (3 * pixels)).astype(np.float32)


def orientation_histogram(images, bins: int = 9) -> np.ndarray:
    """Whole-image histogram of gradient orientations (0–180°, unsigned), weighted by gradient
    magnitude and normalised to sum to 1 (all zeros for a flat image, which has no gradients).

    Gradients are ``np.gradient`` (central differences) of the mean of R, G and B. This is HOG
    with a single cell: texture and edge direction, but no idea *where* they are.
    """
    batch = as_batch(images).mean(axis=-1)
    gy, gx = np.gradient(batch, axis=(1, 2))
    magnitude = np.hypot(gx, gy)
    angle = np.degrees(np.arctan2(gy, gx)) % 180.0
    index = np.minimum((angle / (180.0 / bins)).astype(np.int64), bins - 1)
    n = len(batch)
    offsets = np.arange(n)[:, None, None] * bins
    hist = np.bincount((index + offsets).ravel(), weights=magnitude.ravel(), minlength=n * bins).reshape(n, bins)
    totals = hist.sum(axis=1, keepdims=True)
    return np.divide(hist, totals, out=np.zeros_like(hist), where=totals > 0).astype(np.float32)


def hog(images, cell: int = 16, orientations: int = 9, block: int = 2) -> np.ndarray:
    """Histograms of oriented gradients (Dalal & Triggs 2005) via scikit-image: an orientation
    histogram per ``cell``×``cell`` patch, normalised over ``block``×``block`` cells, so the
    features say which edges are *where*."""
    from skimage.feature import hog as skimage_hog

    grays = gray(images)
    rows = [skimage_hog(g, orientations=orientations, pixels_per_cell=(cell, cell), cells_per_block=(block, block),
                        block_norm="L2-Hys", feature_vector=True) for g in grays]
    return np.asarray(rows, dtype=np.float32)


def lbp_histogram(images, points: int = 8, radius: float = 1.0, grid: int = 1) -> np.ndarray:
    """Texture: histogram of uniform local binary patterns (fur, carpet and grass differ here),
    one histogram per cell of a ``grid``×``grid`` split, each normalised to sum to 1."""
    from skimage.feature import local_binary_pattern

    n_codes = points + 2
    rows = []
    for g in gray(images):
        codes = local_binary_pattern(g.astype(np.uint8), points, radius, method="uniform").astype(np.int64)
        cells = [block for strip in np.array_split(codes, grid, axis=0) for block in np.array_split(strip, grid, axis=1)]
        rows.append(np.concatenate([np.bincount(c.ravel(), minlength=n_codes) / c.size for c in cells]))
    return np.asarray(rows, dtype=np.float32)


def edge_density(images, grid: int = 8, sigma: float = 2.0) -> np.ndarray:
    """Shape, crudely: the fraction of Canny edge pixels in each cell of a ``grid``×``grid`` split."""
    from skimage.feature import canny

    rows = []
    for g in gray(images):
        edges = canny(g / 255.0, sigma=sigma)
        cells = [block for strip in np.array_split(edges, grid, axis=0) for block in np.array_split(strip, grid, axis=1)]
        rows.append([c.mean() for c in cells])
    return np.asarray(rows, dtype=np.float32)


#: Lesson 2's settings, shared with benchmarks/classical.py: photo size, and the regularisation of
#: the linear model and of the RBF SVM (chosen once on the validation split, then fixed).
FEATURE_SIZE = 128
LINEAR_C = 0.01
SVM_C = 1.0

#: The lesson's feature families by name, each a function of a batch of images.
FEATURES = {
    "rgb_hist": lambda x: color_histogram(x, bins=8, space="rgb", step=2),
    "hsv_hist": lambda x: color_histogram(x, bins=8, space="hsv", step=2),
    "hog": lambda x: hog(x, cell=16),
    "lbp": lambda x: lbp_histogram(x, grid=2),
    "edges": lambda x: edge_density(x, grid=8),
}


def extract(images, names) -> np.ndarray:
    """The named feature families of :data:`FEATURES`, side by side."""
    return combine(*(FEATURES[name](images) for name in names))


def combine(*blocks) -> np.ndarray:
    """Stack feature blocks side by side, each divided by its own overall spread, so that a
    block of 4,000 small numbers does not drown a block of 24 large ones."""
    scaled = []
    for block in blocks:
        block = np.asarray(block, dtype=np.float32)
        spread = float(np.sqrt((block.var(axis=0)).sum())) or 1.0
        scaled.append(block / spread)
    return np.concatenate(scaled, axis=1)


# ------------------------------------------------------------------------------ fit and score


def fit_and_score(model, X_train, y_train, X_val, y_val) -> dict:
    """Fit ``model``; return its training and validation accuracy, the seconds it took, and the
    fitted ``model`` itself (so that the best of a sweep need not be fitted again)."""
    start = time.process_time()
    wall = time.perf_counter()
    model.fit(X_train, y_train)
    return {
        "train_acc": accuracy(y_train, model.predict(X_train)),
        "val_acc": accuracy(y_val, model.predict(X_val)),
        "seconds": time.perf_counter() - wall,
        "cpu_seconds": time.process_time() - start,
        "model": model,
    }


def sweep(make_model, values, X_train, y_train, X_val, y_val, name: str = "value") -> list[dict]:
    """:func:`fit_and_score` for ``make_model(v)`` for each ``v`` in ``values``: one dict a value."""
    return [{name: value, **fit_and_score(make_model(value), X_train, y_train, X_val, y_val)} for value in values]


def logistic(C: float = 1.0, max_iter: int = 2000, tol: float = 1e-3):
    """Standardise, then logistic regression: the lessons' linear model. The tolerance is looser
    than scikit-learn's 1e-4: with thousands of pixels and few photos, L-BFGS otherwise spends
    most of its time on digits of the loss that do not change a single prediction."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=max_iter, tol=tol))


def rbf_svm(C: float = 1.0, gamma="scale"):
    """Standardise, then a support-vector machine with a Gaussian (RBF) kernel."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    return make_pipeline(StandardScaler(), SVC(C=C, gamma=gamma))


# -------------------------------------------------------------------------------- the holdout


class HoldoutMissing(ExpectationFailed):
    """PRACTICUM_HOLDOUT_DIR is unset or not a folder: only the instructor's machine can run the
    test. An ExpectationFailed, so that a test cell's ``check`` shows it as one clear line."""


def load_holdout(image_size: int = 64, subset: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The instructor's holdout photos (``PRACTICUM_HOLDOUT_DIR`` with ``cats/`` and ``dogs/``), quietly.

    Lessons never call this: the holdout is for the benchmarks and the grader's hidden tests only.
    """
    folder = paths.holdout_dir()
    if folder is None or not Path(folder).is_dir():
        raise HoldoutMissing(
            f"PRACTICUM_HOLDOUT_DIR is {'not set' if folder is None else f'{folder}, not a folder'}: this test measures "
            "the model on the instructor's holdout photos, which only the instructor has",
            hint="instructors: set PRACTICUM_HOLDOUT_DIR to a folder with cats/ and dogs/ before grading")
    return quietly(data.load_arrays, "train", image_size, subset=subset, folder=folder)


def quietly(function, *args, **kwargs):
    """Call ``function`` with stderr captured: a first decode draws a progress bar there, and
    nbgrader gives no points to a test cell that writes to stderr."""
    with contextlib.redirect_stderr(io.StringIO()):
        return function(*args, **kwargs)


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
