"""Lesson 5's ablation: from the practicum's network to the best from-scratch model, one change at a time.

    PRACTICUM_HOLDOUT_DIR=/path/to/holdout nice -n 5 python benchmarks/ablation.py
    python benchmarks/ablation.py --epochs 1 --subset 200 --no-record   # a smoke test

Each row adds one change to the row above it and trains from scratch on all 2,000 training photos
with the same seed and the same number of epochs (``--epochs``, 12 by default: a budget that fits one
working session of a 2-core CPU, far below the 35 epochs of ``benchmarks/cnn.py best``):

1. ``practicum`` — the practicum's network at 150 px (RMSprop 1e-3, binary cross-entropy);
2. ``image_112`` — the same at 112 px, the best model's photo size (smaller photos buy epochs);
3. ``augmentation`` — random flips, rotations, zooms, shifts and contrast inside the model;
4. ``dropout`` — dropout 0.3 before the output, as in the best model;
5. ``batchnorm_gap`` — the best model's network: batch normalisation, global average pooling, a
   stride-2 stem and more filters (still RMSprop 1e-3);
6. ``adamw_cosine`` — AdamW (weight decay 0.05) with a warm-up + cosine learning-rate schedule;
7. ``label_smoothing`` — targets 0.05 / 0.95: the best model's recipe, at this budget.

Rows go to ``benchmarks/results.csv`` as stage ``ablation``, metrics ``val_acc[<row>]`` and
``holdout_acc[<row>]`` (the final epoch's weights; no early stopping, nothing tuned on the holdout),
``seconds`` the wall-clock training time of that row.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import practicum  # noqa: E402,F401  (quiets TensorFlow before it loads)
from benchmarks.record import append, current_command, metric_name  # noqa: E402
from practicum import data, models, paths  # noqa: E402

ROWS = ("practicum", "image_112", "augmentation", "dropout", "batchnorm_gap", "adamw_cosine", "label_smoothing")
BATCH_SIZE = 32


def build(row: str, steps_per_epoch: int, epochs: int, seed: int):
    """The model of ``row``: every change of the rows before it, plus its own."""
    import keras

    keras.utils.set_random_seed(seed)
    changes = set(ROWS[: ROWS.index(row) + 1])
    image_size = 112 if "image_112" in changes else 150
    augment = models.augmentation(seed=seed) if "augmentation" in changes else None
    dropout = 0.3 if "dropout" in changes else 0.0
    if "batchnorm_gap" not in changes:
        return models.practicum_convnet(image_size, augmentation=augment, dropout=dropout), image_size
    model = models.best_from_scratch(image_size, augment=augment, dropout=dropout)
    if "adamw_cosine" not in changes:
        model.compile(optimizer=keras.optimizers.RMSprop(models.PRACTICUM_LEARNING_RATE), loss="binary_crossentropy",
                      metrics=["accuracy"])
        return model, image_size
    smoothing = 0.1 if "label_smoothing" in changes else 0.0
    return models.compile_best(model, steps_per_epoch, epochs, label_smoothing=smoothing), image_size


def run_row(row: str, epochs: int, subset: int | None, seed: int) -> dict:
    steps = -(-(subset or 2000) // BATCH_SIZE)
    model, image_size = build(row, steps, epochs, seed)
    train = data.load_dataset("train", image_size, BATCH_SIZE, subset=subset, seed=seed)
    validation = data.load_dataset("validation", image_size, BATCH_SIZE)
    start = time.perf_counter()
    history = models.train(model, train, validation, epochs=epochs)
    seconds = time.perf_counter() - start
    holdout = paths.holdout_dir()
    holdout_acc = models.accuracy(model, data.load_dataset(folder=holdout, image_size=image_size)) if holdout else None
    return {"row": row, "val_acc": models.accuracy(model, validation), "holdout_acc": holdout_acc,
            "train_acc": history["accuracy"][-1], "seconds": seconds, "image_size": image_size}


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--subset", type=int, default=None, help="training photos (a smoke test uses fewer)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rows", nargs="+", choices=ROWS, default=list(ROWS))
    parser.add_argument("--no-record", action="store_true", help="print the results; write nothing")
    args = parser.parse_args(argv)
    command = current_command()
    results = []
    for row in args.rows:
        result = run_row(row, args.epochs, args.subset, args.seed)
        results.append(result)
        print(f"{row:<16} {result['image_size']} px  train {result['train_acc']:.3f}  validation {result['val_acc']:.3f}  "
              f"holdout {result['holdout_acc']}  {result['seconds']:.0f} s", flush=True)
        if not args.no_record and args.subset is None:  # record row by row: a long run keeps what it measured
            rows = [("ablation", metric_name("val_acc", row), result["val_acc"], result["seconds"], command)]
            if result["holdout_acc"] is not None:
                rows.append(("ablation", metric_name("holdout_acc", row), result["holdout_acc"], result["seconds"], command))
            append(rows)
    return results


if __name__ == "__main__":
    main()
