"""Benchmark every baseline of lessons 1 (raw pixels) and 2 (engineered features) at full budget.

    PRACTICUM_HOLDOUT_DIR=/path/to/holdout python benchmarks/classical.py

Every model trains on all 2,000 training photos. Hyper-parameters are the lessons' own: logistic
regression on pixels picks *C* from a sweep on the validation split (as lesson 1 does), so its
validation accuracy is slightly optimistic; the feature models use the fixed settings of
``practicum.features`` (``LINEAR_C``, ``SVM_C``, ``FEATURES``). The holdout photos are never used to
choose anything: their accuracy is the honest number.

Rows go to ``benchmarks/results.csv`` (``val_acc[method]`` and ``holdout_acc[method]``), and the
table in ``benchmarks/README.md`` is regenerated. ``seconds`` is the wall-clock time from decoded
photos to predictions for that method: feature extraction on the training, validation and holdout
photos, the final fit and the predictions (not the *C* sweep, and not decoding the JPEGs).
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.record import append, current_command, metric_name  # noqa: E402
from practicum import data  # noqa: E402
from practicum import features as F  # noqa: E402

PIXEL_SIZES = (32, 64)
PIXEL_C = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)


def load(size: int, subset: int | None):
    train = data.load_arrays("train", size, subset=subset)
    val = data.load_arrays("validation", size)
    holdout = F.load_holdout(size)
    return train, val, holdout


def pixel_baselines(subset: int | None = None) -> list[tuple[str, float, float, float]]:
    """``(method, val_acc, holdout_acc, seconds)`` for lesson 1's baselines."""
    results = []
    for size in PIXEL_SIZES:
        (Xtr, ytr), (Xva, yva), (Xho, yho) = load(size, subset)
        start = time.perf_counter()
        means = F.class_means(Xtr, ytr)
        val_acc = F.accuracy(yva, F.nearest_mean(Xva, means))
        holdout_acc = F.accuracy(yho, F.nearest_mean(Xho, means))
        results.append((f"nearest_mean_{size}px", val_acc, holdout_acc, time.perf_counter() - start))

        flat_tr, flat_va = F.flatten(Xtr), F.flatten(Xva)
        sweep = F.sweep(F.logistic, PIXEL_C, flat_tr, ytr, flat_va, yva, name="C")
        best = max(sweep, key=lambda row: row["val_acc"])
        start = time.perf_counter()
        model = F.logistic(best["C"]).fit(F.flatten(Xtr), ytr)
        val_acc = F.accuracy(yva, model.predict(F.flatten(Xva)))
        holdout_acc = F.accuracy(yho, model.predict(F.flatten(Xho)))
        results.append((f"logreg_{size}px", val_acc, holdout_acc, time.perf_counter() - start))
        print(f"  logreg {size} px: C={best['C']:g} chosen on validation", flush=True)
    return results


def feature_baselines(subset: int | None = None) -> list[tuple[str, float, float, float]]:
    """``(method, val_acc, holdout_acc, seconds)`` for lesson 2's feature families, alone and combined."""
    (Xtr, ytr), (Xva, yva), (Xho, yho) = load(F.FEATURE_SIZE, subset)
    blocks, extract_seconds = {}, {}
    for name, function in F.FEATURES.items():
        start = time.perf_counter()
        blocks[name] = [function(X) for X in (Xtr, Xva, Xho)]
        extract_seconds[name] = time.perf_counter() - start
    sets = {name: [name] for name in F.FEATURES} | {"combined": list(F.FEATURES)}
    results = []
    for set_name, names in sets.items():
        tr, va, ho = (F.combine(*(blocks[n][i] for n in names)) for i in range(3))
        for model_name, make in (("logreg", lambda: F.logistic(F.LINEAR_C)), ("svm", lambda: F.rbf_svm(F.SVM_C))):
            start = time.perf_counter()
            model = make().fit(tr, ytr)
            val_acc, holdout_acc = F.accuracy(yva, model.predict(va)), F.accuracy(yho, model.predict(ho))
            seconds = time.perf_counter() - start + sum(extract_seconds[n] for n in names)
            results.append((f"{model_name}_{set_name}", val_acc, holdout_acc, seconds))
    return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", choices=("pixels", "features", "all"), default="all")
    parser.add_argument("--subset", type=int, default=None, help="training photos (default: all; a smoke test uses fewer)")
    parser.add_argument("--dry-run", action="store_true", help="print the results; write nothing")
    args = parser.parse_args(argv)
    command = current_command()
    stages = {"pixels": pixel_baselines, "features": feature_baselines}
    for stage, run in stages.items():
        if args.stage not in (stage, "all"):
            continue
        print(f"{stage}:", flush=True)
        results = run(args.subset)
        rows = []
        for method, val_acc, holdout_acc, seconds in results:
            print(f"  {method:<24} validation {val_acc:.3f}  holdout {holdout_acc:.3f}  {seconds:6.1f} s", flush=True)
            rows += [(stage, metric_name("val_acc", method), val_acc, seconds, command),
                     (stage, metric_name("holdout_acc", method), holdout_acc, seconds, command)]
        best = max(results, key=lambda r: r[1])
        print(f"  best on validation: {best[0]} ({best[1]:.3f}; holdout {best[2]:.3f})", flush=True)
        if not args.dry_run and args.subset is None:
            append(rows)
        elif not args.dry_run:
            print("  (a --subset run is a smoke test: nothing written)")


if __name__ == "__main__":
    main()
