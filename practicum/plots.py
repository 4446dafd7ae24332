"""Figures the lessons share, so that no notebook copies matplotlib boilerplate from another."""

import matplotlib.pyplot as plt
import numpy as np

from practicum.data import CLASS_NAMES


def image_grid(images, labels=None, titles=None, columns: int = 4, size: float = 2.2):
    """Show images (uint8 or float 0–255, sizes may differ) in a grid, titled by class or ``titles``."""
    images = list(images)
    rows = int(np.ceil(len(images) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * size, rows * size), squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index >= len(images):
            continue
        ax.imshow(np.clip(np.asarray(images[index]), 0, 255).astype(np.uint8))
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


# ----------------------------------------------------------------- lessons 1 and 2 (classical)


def sweep_curves(curves: dict, param: str = "C", log: bool = True, title: str = "", chance: float | None = 0.5):
    """Training (dashed) and validation (solid) accuracy against a hyper-parameter, one colour per
    curve. ``curves`` maps a label to a list of dicts with ``param``, ``train_acc`` and ``val_acc``
    (what :func:`practicum.features.sweep` returns)."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for index, (label, rows) in enumerate(curves.items()):
        colour = f"C{index}"
        x = [row[param] for row in rows]
        ax.plot(x, [row["train_acc"] for row in rows], "--o", color=colour, alpha=0.6, label=f"{label} training")
        ax.plot(x, [row["val_acc"] for row in rows], "-o", color=colour, label=f"{label} validation")
    if chance is not None:
        ax.axhline(chance, color="grey", lw=0.8, ls=":", label="chance")
    if log:
        ax.set_xscale("log")
    ax.set(xlabel=param, ylabel="accuracy", title=title or f"Accuracy against {param}", ylim=(0.4, 1.02))
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def perturbation_curves(panels: dict, ylabel: str = "validation accuracy", chance: float | None = 0.5):
    """One panel per kind of change: ``panels`` maps a title to ``(xlabel, sizes, values)`` or to
    ``(xlabel, sizes, {series label: values})``."""
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.4), squeeze=False, sharey=True)
    for ax, (title, (xlabel, sizes, values)) in zip(axes.flat, panels.items()):
        series = values if isinstance(values, dict) else {ylabel: values}
        for label, ys in series.items():
            ax.plot(sizes, ys, "-o", label=label)
        if chance is not None:
            ax.axhline(chance, color="grey", lw=0.8, ls=":")
        ax.set(title=title, xlabel=xlabel)
        if len(series) > 1:
            ax.legend(fontsize=8)
    axes.flat[0].set_ylabel(ylabel)
    axes.flat[0].set_ylim(0, 1.02)
    fig.tight_layout()
    return fig


def accuracy_bars(scores: dict, references: dict | None = None, title: str = "Validation accuracy", xlim=(0.4, 1.0)):
    """Horizontal bars, one per method (``scores`` maps a name to an accuracy, or to
    ``{series: accuracy}`` for grouped bars), with vertical lines for ``references``."""
    names, grouped = list(scores), dict(scores)
    series = list(dict.fromkeys(s for v in grouped.values() if isinstance(v, dict) for s in v)) or [None]
    height = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(names) * max(1, len(series) * 0.7) + 1.2))
    y = np.arange(len(names))
    for index, s in enumerate(series):
        values = [grouped[n].get(s, np.nan) if isinstance(grouped[n], dict) else grouped[n] for n in names]
        bars = ax.barh(y + (index - (len(series) - 1) / 2) * height, values, height=height, label=s)
        ax.bar_label(bars, fmt="%.3f", fontsize=7, padding=2)
    for index, (label, value) in enumerate((references or {}).items()):
        ax.axvline(value, color=f"C{index + len(series)}", ls="--", lw=1, label=f"{label} ({value:.3f})")
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set(xlabel="accuracy", xlim=xlim, title=title)
    if series != [None] or references:
        ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def tuning_swing(groups: dict, title: str = "The same features, tuned differently"):
    """The burden of hand-engineering on one chart: ``groups`` maps a choice (e.g. "HOG cell size")
    to ``{option: accuracy}``; each choice gets a column of labelled points and its swing (max − min)."""
    fig, ax = plt.subplots(figsize=(1.9 * len(groups) + 1.5, 4))
    for x, (choice, options) in enumerate(groups.items()):
        values = np.array(list(options.values()), dtype=float)
        ax.vlines(x, values.min(), values.max(), color=f"C{x}", lw=6, alpha=0.25)
        ax.scatter(np.full(len(values), x), values, color=f"C{x}", zorder=3)
        for option, value in options.items():
            ax.annotate(str(option), (x, value), xytext=(8, 0), textcoords="offset points", va="center", fontsize=8)
        ax.annotate(f"swing {100 * (values.max() - values.min()):.1f} pts", (x, values.max()), xytext=(0, 10),
                    textcoords="offset points", ha="center", fontsize=8, color=f"C{x}")
    ax.set_xticks(range(len(groups)), list(groups), fontsize=9)
    ax.set_xlim(-0.5, len(groups) - 0.3)
    ax.set(ylabel="validation accuracy", title=title)
    ax.margins(y=0.15)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------- lessons 3 to 5 (ConvNets)


def feature_maps(maps, titles=None, columns: int = 8, size: float = 1.6, cmap: str = "viridis", title: str = ""):
    """Show 2-D arrays side by side, each with its own colour scale: the channels of one layer's
    output (an ``(H, W, C)`` array) or a list of filtered images of any sizes."""
    maps = [maps[..., c] for c in range(maps.shape[-1])] if isinstance(maps, np.ndarray) and maps.ndim == 3 else list(maps)
    columns = min(columns, len(maps))
    rows = int(np.ceil(len(maps) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * size, rows * size + (0.3 if title else 0)), squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index >= len(maps):
            continue
        ax.imshow(np.asarray(maps[index], dtype=float), cmap=cmap)
        if titles is not None:
            ax.set_title(titles[index], fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def confusion_matrix(labels, predictions, title: str = "Confusion matrix"):
    """A 2×2 confusion matrix (rows: true class, columns: predicted class) with counts and row shares."""
    labels, predictions = np.asarray(labels).astype(int).reshape(-1), np.asarray(predictions).astype(int).reshape(-1)
    counts = np.zeros((len(CLASS_NAMES), len(CLASS_NAMES)), dtype=int)
    np.add.at(counts, (labels, predictions), 1)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(3.8, 3.4))
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for (row, column), count in np.ndenumerate(counts):
        ax.text(column, row, f"{count}\n{shares[row, column]:.0%}", ha="center", va="center",
                color="white" if shares[row, column] > 0.5 else "black")
    ticks = range(len(CLASS_NAMES))
    ax.set_xticks(ticks, [f"{n}" for n in CLASS_NAMES])
    ax.set_yticks(ticks, [f"{n}" for n in CLASS_NAMES])
    ax.set(xlabel="predicted", ylabel="true", title=title)
    fig.tight_layout()
    return fig


def confidently_wrong(images, labels, probabilities, count: int = 8, columns: int = 4, size: float = 2.2):
    """The ``count`` photos a model got wrong with the most confidence, titled with the truth and the
    predicted probability of that (wrong) class. ``probabilities`` are P(dog)."""
    labels, probabilities = np.asarray(labels).reshape(-1), np.asarray(probabilities, dtype=float).reshape(-1)
    predicted = (probabilities > 0.5).astype(int)
    confidence = np.where(predicted == 1, probabilities, 1 - probabilities)
    wrong = np.flatnonzero(predicted != labels)
    chosen = wrong[np.argsort(-confidence[wrong])][:count]
    titles = [f"a {CLASS_NAMES[labels[i]]}; {confidence[i]:.0%} {CLASS_NAMES[predicted[i]]}" for i in chosen]
    if not len(chosen):
        fig, ax = plt.subplots(figsize=(4, 1))
        ax.axis("off")
        ax.text(0.5, 0.5, "no mistakes", ha="center", va="center")
        return fig
    return image_grid([images[i] for i in chosen], titles=titles, columns=min(columns, len(chosen)), size=size)


def compare_curves(histories: dict, metric: str = "val_accuracy", title: str = ""):
    """One curve per run: ``histories`` maps a label to a Keras ``History.history`` dict."""
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for label, history in histories.items():
        values = history[metric]
        ax.plot(np.arange(1, len(values) + 1), values, label=label)
    ax.set(xlabel="epoch", ylabel=metric, title=title or metric)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def phase_curves(phases: dict, metric: str = "val_accuracy", title: str = ""):
    """Consecutive training phases on one time axis: ``phases`` maps a label to ``(first epoch, history)``, a Keras
    ``History.history`` dict; a grey line marks where each later phase begins."""
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for label, (first, history) in phases.items():
        values = history[metric]
        ax.plot(np.arange(first, first + len(values)), values, "o-" if first == 1 else "o--", label=label)
        if first > 1:
            ax.axvline(first - 0.5, color="grey", lw=0.8)
    ax.set(xlabel="epoch", ylabel=metric, title=title or metric)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def activation_overlays(rows: dict, images, columns: int | None = None, size: float = 2.2):
    """Photos with their class activation maps on top, one row per model: ``rows`` maps a model's name to
    ``(maps, titles)``, each map (h, w) signed in −1…1 at any resolution (see :func:`heatmaps`)."""
    images = list(images)
    columns = columns or len(images)
    fig, axes = plt.subplots(len(rows), columns, figsize=(columns * size, len(rows) * size + 0.3), squeeze=False)
    for row, (name, (maps, titles)) in enumerate(rows.items()):
        for column, ax in enumerate(axes[row]):
            ax.axis("off")
            if column >= len(images):
                continue
            ax.imshow(np.clip(np.asarray(images[column]), 0, 255).astype(np.uint8))
            _evidence_overlay(ax, maps[column], np.shape(images[column])[:2], alpha=0.5)
            ax.set_title(f"{name}: {titles[column]}" if column == 0 else titles[column], fontsize=8)
    fig.tight_layout()
    return fig


def thumbnail_map(points, images, labels=None, zoom: float = 0.35, title: str = ""):
    """A 2-D map (``points`` (N, 2)) drawn with each photo's thumbnail at its place, framed in its
    class's colour when ``labels`` are given."""
    from matplotlib.offsetbox import AnnotationBbox, OffsetImage

    points = np.asarray(points, dtype=float)
    fig, ax = plt.subplots(figsize=(10, 8))
    ax.scatter(points[:, 0], points[:, 1], s=2, alpha=0)  # sets the limits
    for index, (point, image) in enumerate(zip(points, images)):
        color = f"C{int(labels[index])}" if labels is not None else "white"
        thumbnail = OffsetImage(np.clip(np.asarray(image), 0, 255).astype(np.uint8), zoom=zoom)
        ax.add_artist(AnnotationBbox(thumbnail, point, frameon=True, pad=0.1, bboxprops={"edgecolor": color, "lw": 1.5}))
    if labels is not None:
        for label, name in enumerate(CLASS_NAMES):
            ax.scatter([], [], color=f"C{label}", label=name)
        ax.legend(loc="upper right")
    ax.set(title=title, xticks=[], yticks=[])
    fig.tight_layout()
    return fig


def heatmaps(images, maps, titles=None, columns: int = 4, size: float = 2.4, alpha: float = 0.5):
    """Each photo with its signed evidence map laid over it: ``maps`` are 2-D arrays in −1…1 of any size,
    stretched to the photo's; red is evidence for "dog" (+1), blue for "cat" (−1), white for neither.
    The course draws every class activation map this way (lessons 5 and 6)."""
    fig = image_grid(images, titles=titles, columns=min(columns, len(images)), size=size)
    for ax, image, heat in zip(fig.axes, images, maps):
        _evidence_overlay(ax, heat, np.shape(image)[:2], alpha)
    return fig


def _evidence_overlay(ax, heat, photo_shape, alpha: float) -> None:
    """``heat`` (−1…1) over the photo already drawn on ``ax``: a diverging map, white (no evidence) at 0."""
    height, width = photo_shape
    ax.imshow(np.asarray(heat, dtype=float), cmap="bwr", vmin=-1, vmax=1, alpha=alpha, interpolation="bilinear",
              extent=(-0.5, width - 0.5, height - 0.5, -0.5))
