"""Run lessons 6 and 7 at their full budgets and record what they reach.

    python benchmarks/transfer.py            # lesson 6, then lesson 7 (which uses lesson 6's model)
    python benchmarks/transfer.py --lesson 7 # lesson 7 only, on the fine-tuned model already saved
    python benchmarks/transfer.py --no-record     # print the results only; then
    python benchmarks/transfer.py --record-saved  # record that run's saved results without running again

The numbers come from the notebooks themselves, executed headless at the full budget by
``practicum.runner`` (their executed copies land in ``build/executed/notebooks/``): lesson 6's
validation accuracies and timings from its metrics, lesson 7's precision@10 per query and indexing
time from its. This script adds what a notebook must never compute: the accuracy of the saved
models (``build/models/06_*.keras``) and of the zero-shot ImageNet classifier on the instructor's
holdout photos (``PRACTICUM_HOLDOUT_DIR``). Rows (``benchmarks/results.csv``):

- ``zero_shot``: ``val_acc[top1]`` / ``holdout_acc[top1]`` (the top-1 ImageNet class is one of the
  photo's species' classes) and ``[class_mass]`` (P(dog classes) > P(cat classes)); seconds: the
  validation photos' classification;
- ``feature_extraction``: frozen base + one sigmoid unit; seconds: feature extraction of the
  training and validation photos plus the head's training;
- ``fine_tuning``: the top blocks unfrozen; seconds: the whole lesson 6 run (zero-shot, extraction,
  head, fine-tuning, figures), the number to compare with the 15-minute budget; ``val_acc[batch_norm_frozen@epochN]``
  and ``val_acc[batch_norm_trainable@epochN]``: validation accuracy after each fine-tuning epoch, batch
  normalisation frozen (the lesson's way) and trainable (the precaution tested);
- ``search``: ``precision_at_10[<query>]`` per query (a word, or a photo as the example), and its
  mean with every photo of the library as the example; ``average_precision[<word>]`` per scored word
  query (species level: the library's labels know no breeds); seconds: all the queries; ``index_seconds``:
  indexing the 1,000 validation photos (embeddings, P(dog), ImageNet classes).
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import practicum  # noqa: E402,F401  (quiets TensorFlow before it loads)
from practicum import data, paths, pretrained, runner, transfer  # noqa: E402
from practicum.notebook import metrics_path, model_path  # noqa: E402

LESSON_6 = paths.NOTEBOOKS / "06_transfer_learning.ipynb"
LESSON_7 = paths.NOTEBOOKS / "07_photo_search.ipynb"


def run_full(notebook: Path) -> dict:
    result = runner.run_notebook(notebook, fast=False)
    if result.status != "ok":
        raise SystemExit(f"{notebook.name} failed: {result.error}")
    print(f"{notebook.name}: {result.seconds:.0f} s")
    return {**result.metrics, "run_seconds": result.seconds}


def holdout_accuracies(image_size: int) -> dict:
    """The saved models' and the zero-shot classifier's accuracy on the instructor's photos."""
    import keras
    import numpy as np

    folder = paths.holdout_dir()
    if folder is None:
        raise SystemExit("PRACTICUM_HOLDOUT_DIR is not set: the benchmark scores the instructor's holdout photos")
    holdout = data.load_photos(folder=folder, image_size=image_size)
    scores = {}
    for stage in ("feature_extraction", "fine_tuned"):
        model = keras.saving.load_model(model_path(f"06_{stage}"))
        scores[stage] = float(np.mean((transfer.embed(model, holdout.images).reshape(-1) > 0.5) == holdout.labels))
    probabilities = transfer.embed(pretrained.imagenet_classifier(image_size), holdout.images)
    cats, dogs = list(pretrained.CAT_CLASSES), list(pretrained.DOG_CLASSES)
    top1 = probabilities.argmax(axis=1)
    scores["top1"] = float(np.mean(np.where(holdout.labels == 1, np.isin(top1, dogs), np.isin(top1, cats))))
    scores["class_mass"] = float(np.mean((probabilities[:, dogs].sum(1) > probabilities[:, cats].sum(1)) == holdout.labels))
    return scores


def lesson_6_rows(metrics: dict, holdout: dict, command: str) -> list:
    extraction = metrics["extraction_seconds"] + metrics["head_seconds"]
    return [
        ("zero_shot", "val_acc[top1]", metrics["zero_shot_top1"], metrics["zero_shot_seconds"], command),
        ("zero_shot", "holdout_acc[top1]", holdout["top1"], metrics["zero_shot_seconds"], command),
        ("zero_shot", "val_acc[class_mass]", metrics["zero_shot_acc"], metrics["zero_shot_seconds"], command),
        ("zero_shot", "holdout_acc[class_mass]", holdout["class_mass"], metrics["zero_shot_seconds"], command),
        ("feature_extraction", "val_acc", metrics["feature_extraction_acc"], extraction, command),
        ("feature_extraction", "holdout_acc", holdout["feature_extraction"], extraction, command),
        ("fine_tuning", "val_acc", metrics["fine_tuning_acc"], metrics["run_seconds"], command),
        ("fine_tuning", "holdout_acc", holdout["fine_tuned"], metrics["run_seconds"], command),
        # the precaution the lesson tests: the same fine-tuning with batch normalisation trainable, epoch by epoch
        *(("fine_tuning", f"val_acc[batch_norm_{kind}@epoch{epoch}]", value, metrics["run_seconds"], command)
          for kind, key in (("frozen", "fine_tune_val_accs"), ("trainable", "bn_trainable_val_accs"))
          for epoch, value in enumerate(metrics[key], start=1)),
    ]


def lesson_7_rows(metrics: dict, command: str) -> list:
    rows = [("search", f"precision_at_10[{query}]", value, metrics["search_seconds"], command)
            for query, value in metrics["precision_at_10"].items()]
    rows += [("search", f"average_precision[{query}]", value, metrics["search_seconds"], command)
             for query, value in metrics["average_precision"].items()]
    rows.append(("search", "precision_at_10[every photo as example]", metrics["example_precision_at_10"], metrics["search_seconds"], command))
    rows.append(("search", "index_seconds", metrics["index_seconds"], metrics["index_seconds"], command))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lesson", type=int, choices=(6, 7), help="run one lesson only")
    parser.add_argument("--no-record", action="store_true", help="print the results only")
    parser.add_argument("--record-saved", action="store_true",
                        help="run nothing: record the last full run's saved results (build/metrics/)")
    args = parser.parse_args(argv)
    from benchmarks import record

    command = "python benchmarks/transfer.py" + (f" --lesson {args.lesson}" if args.lesson else "")
    saved_6, saved_7 = paths.build_dir() / "metrics" / "benchmark_transfer.json", metrics_path(LESSON_7.stem)
    rows = []
    if args.lesson in (None, 6):
        if args.record_saved:
            metrics = json.loads(saved_6.read_text())
        else:
            metrics = run_full(LESSON_6)
            metrics["holdout"] = holdout_accuracies(metrics["image_size"])
            saved_6.write_text(json.dumps(metrics, indent=1))
        rows += lesson_6_rows(metrics, metrics["holdout"], command)
    if args.lesson in (None, 7):
        if args.record_saved:
            saved = json.loads(saved_7.read_text())
            if saved["fast"]:
                raise SystemExit(f"{saved_7} holds a FAST run of lesson 7: run the benchmark again")
            metrics = saved["metrics"]
        else:
            metrics = run_full(LESSON_7)
        rows += lesson_7_rows(metrics, command)
    for row in rows:
        print(f"{row[0]:20s} {row[1]:38s} {row[2]:.4f}  {row[3]:.1f} s")
    if not args.no_record:
        record.append(rows)


if __name__ == "__main__":
    main()
