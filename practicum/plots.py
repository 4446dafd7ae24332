"""Figures the lessons share, so that no notebook copies matplotlib boilerplate from another."""

import matplotlib.pyplot as plt
import numpy as np

from practicum.data import CLASS_NAMES


def image_grid(images, labels=None, titles=None, columns: int = 4, size: float = 2.2):
    """Show images (uint8 or float 0–255) in a grid, titled by class name or by ``titles``."""
    images = np.asarray(images)
    rows = int(np.ceil(len(images) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * size, rows * size), squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index >= len(images):
            continue
        ax.imshow(np.clip(images[index], 0, 255).astype(np.uint8))
        if titles is not None:
            ax.set_title(titles[index], fontsize=9)
        elif labels is not None:
            ax.set_title(CLASS_NAMES[int(labels[index])], fontsize=9)
    fig.tight_layout()
    return fig


def size_scatter(sizes: np.ndarray, labels: np.ndarray):
    """Width against height of every photo, one colour per class, with histograms of each side."""
    fig, (scatter, hist) = plt.subplots(1, 2, figsize=(10, 4))
    for label, name in enumerate(CLASS_NAMES):
        chosen = sizes[labels == label]
        scatter.scatter(chosen[:, 0], chosen[:, 1], s=6, alpha=0.4, label=f"{name}s")
    scatter.set(xlabel="width (px)", ylabel="height (px)", title="Photo sizes")
    scatter.legend()
    hist.hist([sizes[:, 0], sizes[:, 1]], bins=30, label=["width", "height"])
    hist.set(xlabel="pixels", ylabel="photos", title="Width and height")
    hist.legend()
    fig.tight_layout()
    return fig


def learning_curves(history: dict, metrics=("accuracy", "loss"), title: str = ""):
    """Training against validation curves of a Keras ``History.history`` dict, one panel a metric."""
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.5), squeeze=False)
    for ax, metric in zip(axes.flat, metrics):
        epochs = np.arange(1, len(history[metric]) + 1)
        ax.plot(epochs, history[metric], label="training")
        if f"val_{metric}" in history:
            ax.plot(epochs, history[f"val_{metric}"], label="validation")
        ax.set(xlabel="epoch", ylabel=metric, title=f"{title} {metric}".strip())
        ax.legend()
    fig.tight_layout()
    return fig
