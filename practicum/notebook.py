"""What a notebook needs from its surroundings: FAST mode, and where its metrics and models go.

FAST mode is the same code path on less data and fewer epochs. It is on when ``PRACTICUM_FAST`` says
so (``make course`` and the tests set it), under nbgrader (which sets ``NBGRADER_EXECUTION``) and
under CI (``CI=true``); ``PRACTICUM_FAST=0`` forces the full budget everywhere.
"""

import json
import os
from pathlib import Path

from practicum import paths

_TRUE = {"1", "true", "yes", "on"}


def fast_mode() -> bool:
    explicit = os.environ.get("PRACTICUM_FAST")
    if explicit is not None:
        return explicit.strip().lower() in _TRUE
    return bool(os.environ.get("NBGRADER_EXECUTION")) or os.environ.get("CI", "").lower() in _TRUE


def metrics_path(notebook: str) -> Path:
    return paths.build_dir() / "metrics" / f"{notebook}.json"


def save_metrics(notebook: str, headline: str, **metrics) -> None:
    """Record a notebook's results as ``build/metrics/<notebook>.json``; ``headline`` names the key
    the course runner shows in its summary table. Returns nothing: the cell that calls it last shows
    no output (a path there would be course plumbing, or the grader's folder, on a learner's page)."""
    if headline not in metrics:
        raise KeyError(f"headline {headline!r} is not one of the metrics: {', '.join(metrics)}")
    target = metrics_path(notebook)
    target.parent.mkdir(parents=True, exist_ok=True)
    record = {"notebook": notebook, "fast": fast_mode(), "headline": headline, "metrics": metrics}
    target.write_text(json.dumps(record, indent=2, default=float) + "\n")


def model_path(name: str) -> Path:
    """Where a trained model is saved: ``build/models/<name>.keras``."""
    target = paths.build_dir() / "models" / f"{name}.keras"
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def benchmark(stage: str) -> dict:
    """The latest recorded results of one benchmark stage, from ``benchmarks/results.csv``:
    ``{method: {metric: value, ..., "seconds": s}}`` (method ``""`` when a stage has one method)."""
    import csv
    import re

    table: dict = {}
    with (paths.ROOT / "benchmarks" / "results.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["stage"] != stage:
                continue
            name, method = re.fullmatch(r"([^\[\]]+)(?:\[([^\[\]]+)\])?", row["metric"]).groups()
            entry = table.setdefault(method or "", {})
            entry[name], entry["seconds"] = float(row["value"]), float(row["seconds"])
    return table


#: How to get a GPU where most learners run the course.
COLAB_GPU = "on Colab: Runtime → Change runtime type → a GPU, then run the notebook again"


def accelerator() -> str:
    """One line saying where Keras computes: the GPUs its backend sees, or the CPU and how to get a GPU.

    The same model code runs on either; only the time it takes changes."""
    import keras

    backend = keras.config.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = [device.name for device in tf.config.list_physical_devices("GPU")]
    elif backend == "jax":
        import jax

        gpus = [str(device) for device in jax.devices() if device.platform == "gpu"]
    elif backend == "torch":
        import torch

        gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    else:
        gpus = []
    if gpus:
        return f"Keras ({backend}) computes on {len(gpus)} GPU{'s' if len(gpus) > 1 else ''}: {', '.join(gpus)}"
    return f"Keras ({backend}) computes on the CPU ({os.cpu_count()} cores); for a GPU, {COLAB_GPU}"
