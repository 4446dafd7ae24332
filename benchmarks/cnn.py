"""Train lessons 4 and 5's ConvNets at their full budgets and record what they reach.

    python benchmarks/cnn.py practicum        # lesson 4: the practicum's network, 150 px, 15 epochs
    python benchmarks/cnn.py best             # lesson 5: the best from-scratch model
    python benchmarks/cnn.py best --no-record # try settings without touching results.csv

Each run trains on the whole training split, then records in ``benchmarks/results.csv`` (through
``benchmarks/record.py``) its validation accuracy and its accuracy on the instructor's holdout
photos (``PRACTICUM_HOLDOUT_DIR``), as fractions, with the wall-clock seconds of training and the
command line. Stages: ``cnn_practicum`` and ``cnn_best``. The trained model goes to
``build/models/benchmark_<stage>.keras``.
"""

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import practicum  # noqa: E402,F401  (quiets TensorFlow before it loads)
from practicum import data, models, paths  # noqa: E402
from practicum.notebook import model_path  # noqa: E402

#: The full budgets the notebooks quote (lesson 4: the practicum's own settings).
SETTINGS = {
    "practicum": dict(image_size=150, batch_size=20, epochs=15),
    "best": dict(image_size=112, batch_size=32, epochs=35),
}


def build(kind: str, args, steps_per_epoch: int):
    import keras

    keras.utils.set_random_seed(args.seed)
    if kind == "practicum":
        return models.practicum_convnet(args.image_size)
    model = models.best_from_scratch(args.image_size, filters=tuple(args.filters), convs_per_block=args.convs)
    return models.compile_best(model, steps_per_epoch, args.epochs, peak_learning_rate=args.lr,
                               weight_decay=args.weight_decay, label_smoothing=args.label_smoothing)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=sorted(SETTINGS))
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--image-size", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--filters", type=int, nargs="+", default=[24, 48, 96, 192])
    parser.add_argument("--convs", type=int, default=2, help="convolutions per block (best)")
    parser.add_argument("--lr", type=float, default=2e-3, help="peak learning rate (best)")
    parser.add_argument("--weight-decay", type=float, default=0.05)
    parser.add_argument("--label-smoothing", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-record", action="store_true", help="print the results only")
    parser.add_argument("--record-saved", action="store_true",
                        help="train nothing: record the last run's saved results (build/metrics/benchmark_<stage>_history.json)")
    args = parser.parse_args(argv)
    if args.record_saved:
        result = json.loads(history_path(f"cnn_{args.kind}").read_text())
        record_result(result)
        return result
    for key, value in SETTINGS[args.kind].items():
        if getattr(args, key) is None:
            setattr(args, key, value)

    train = data.load_dataset("train", args.image_size, args.batch_size, seed=args.seed)
    validation = data.load_dataset("validation", args.image_size, args.batch_size)
    steps = len(train)
    model = build(args.kind, args, steps)
    start, cpu_start = time.perf_counter(), time.process_time()
    history = models.train(model, train, validation, epochs=args.epochs, verbose=2)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    val_acc = models.accuracy(model, validation)
    holdout = paths.holdout_dir()
    holdout_acc = models.accuracy(model, data.load_dataset(folder=holdout, image_size=args.image_size)) if holdout else None
    stage = f"cnn_{args.kind}"
    model.save(model_path(f"benchmark_{stage}"))
    result = {"stage": stage, "val_acc": val_acc, "holdout_acc": holdout_acc, "best_val_acc": max(history["val_accuracy"]),
              "seconds": seconds, "cpu_seconds": cpu_seconds, "seconds_per_epoch": seconds / args.epochs,
              "epochs": args.epochs, "image_size": args.image_size, "history": history}
    print(json.dumps({k: v for k, v in result.items() if k != "history"}, indent=1))
    result["command"] = shlex.join(["python", "benchmarks/cnn.py", *(argv if argv is not None else sys.argv[1:])])
    history_file = history_path(stage)
    history_file.parent.mkdir(parents=True, exist_ok=True)
    history_file.write_text(json.dumps(result, indent=1))
    if not args.no_record:
        record_result(result)
    return result


def history_path(stage: str) -> Path:
    return paths.build_dir() / "metrics" / f"benchmark_{stage}_history.json"


def record_result(result: dict) -> None:
    """Append a run's rows to results.csv: validation and holdout accuracy of the final model;
    ``seconds`` is wall-clock training time (the best epoch's accuracy and the CPU seconds are in the
    run's JSON under build/metrics/ and printed).
    A run made with ``--no-record`` is recorded with the command that reproduces it (without that flag)."""
    from benchmarks import record

    stage, seconds = result["stage"], result["seconds"]
    command = result["command"].replace(" --no-record", "")
    rows = [(stage, "val_acc", result["val_acc"], seconds, command)]
    if result["holdout_acc"] is not None:
        rows.append((stage, "holdout_acc", result["holdout_acc"], seconds, command))
    record.append(rows)
    print(f"recorded {stage}: val_acc {result['val_acc']:.3f} (best epoch {result['best_val_acc']:.3f}), "
          f"holdout_acc {result['holdout_acc']}, {seconds:.0f} s wall, {result['cpu_seconds']:.0f} s CPU")


if __name__ == "__main__":
    main()
