"""The FAST training budget of exercises 5 and 6, over seeds: how few photos still pass with a margin.

    PRACTICUM_HOLDOUT_DIR=/path/to/holdout python benchmarks/training_budget.py 06 [--photos 120 300] [--seeds 0 1 2]

The last test of exercises 5 and 6 (``test_train_model``, ``test_train_transfer_model``) trains the
learner's model on the solution's ``TRAIN_PHOTOS`` in FAST mode (the grader's and ``practicum
check``'s budget), checks its validation accuracy against the cell's threshold and hands the model
in; the grader scores it on the instructor's 500 holdout photos against the threshold in the cell's
metadata (``practicum.holdout``). Training is most of the notebook's time, and the grader and the test
suite pay it for every submission, so the budget should be the smallest at which every right answer
still clears both thresholds with a margin.

Each run is a fresh process with a grader kernel's environment (two threads, FAST mode) that executes
the solution's own cells (set-up, parameters with the photo count and seed under measurement, data,
the answer set, the test cell; no other test cell) and then scores the handed-in model on the holdout
as the grader does (at the metadata's photo size). The answers: the solution's, and every answer set
of ``TRAINED`` in tests/answers/exNN.py.

Rows, stage ``training_budget``, per exercise, answer and photo count (``NN:answer@photos``) over the
seeds: ``val_min[...]``, ``val_max[...]``, ``holdout_min[...]``, ``holdout_max[...]``, ``pass_rate[...]``
(both thresholds cleared); ``seconds`` is the mean time of the test cell (training, validation).
Every run is saved to ``build/benchmarks/training_budget_NN.json``; ``--from-runs FILE`` records the rows
from such a file without training (two exercises measured at once, say, then recorded in turn).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from benchmarks.record import append, current_command, metric_name  # noqa: E402
from grader.execution import QUIET_FAST_ENV, repeatable_env  # noqa: E402

STAGE = "training_budget"
EXERCISES = {"05": ("05_preventing_overfitting", "test_train_model"), "06": ("06_transfer_learning", "test_train_transfer_model")}


def answer_sets(exercise: str) -> dict[str, dict[str, str]]:
    """"solution" (no replacement) and every answer set of tests/answers/exNN.py's ``TRAINED``, by description."""
    import importlib

    from answers import typed

    trained = importlib.import_module(f"answers.ex{exercise}").TRAINED
    return {"solution": {}, **{f"right:{name}": typed(answers) for name, answers in trained.items()}}


def run_once(exercise: str, answers: dict[str, str], seed: int, photos: int, holdout: str) -> dict:
    """In this process: the solution's cells with ``answers`` in place, ``photos`` training photos, ``seed``."""
    from practicum import data, transfer
    from practicum.checks import CheckFailed
    from practicum.tidy import read_notebook

    name, test_cell = EXERCISES[exercise]
    nb = read_notebook(ROOT / "solutions" / f"{name}.ipynb")
    namespace: dict = {"__name__": "__main__"}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type != "code" or "save_metrics(" in cell.source:
            continue
        if grade_id == test_cell:
            start = time.perf_counter()
            try:
                exec(compile(cell.source, grade_id, "exec"), namespace)
                passed = True
            except CheckFailed:
                passed = False
            seconds = time.perf_counter() - start
            graded = cell.metadata["practicum"]["holdout"]
            images, labels = data.load_arrays(image_size=graded["image_size"], folder=Path(holdout))
            holdout_acc = float(np.mean((transfer.embed(namespace["trained"], images).reshape(-1) > 0.5) == labels))
            return {"val_acc": namespace.get("val_acc"), "holdout_acc": holdout_acc, "passed": passed and holdout_acc >= graded["threshold"],
                    "seconds": seconds}
        if grade_id in answers:
            exec(compile(answers[grade_id], grade_id, "exec"), namespace)
        elif not cell.metadata.get("nbgrader", {}).get("grade"):  # set-up, parameters, data; not the other tests
            exec(compile(cell.source, grade_id or "set-up", "exec"), namespace)
            if "TRAIN_PHOTOS =" in cell.source:  # the parameters cell
                namespace.update(TRAIN_PHOTOS=photos, SEED=seed)
    raise RuntimeError(f"no {test_cell} cell")


def run_in_subprocess(exercise: str, answer: str, seed: int, photos: int, holdout: str) -> dict:
    job = json.dumps({"exercise": exercise, "answer": answer, "seed": seed, "photos": photos, "holdout": holdout})
    with tempfile.TemporaryDirectory(prefix="training-budget-") as build:  # the hand-in goes there, not into build/models
        env = {**os.environ, **QUIET_FAST_ENV, **repeatable_env(), "PRACTICUM_BUILD_DIR": build}
        done = subprocess.run([sys.executable, __file__, exercise, "--worker", job], capture_output=True, text=True, env=env, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> list[tuple]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exercise", choices=sorted(EXERCISES))
    parser.add_argument("--photos", type=int, nargs="+", default=[], help="training photo counts to compare")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--from-runs", type=Path, help="record the rows of runs saved earlier instead of training")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        job = json.loads(args.worker)
        print(json.dumps(run_once(job["exercise"], answer_sets(job["exercise"])[job["answer"]], job["seed"], job["photos"], job["holdout"])))
        return []
    holdout = os.environ.get("PRACTICUM_HOLDOUT_DIR")
    if not (args.photos or args.from_runs):
        parser.error("give --photos (the training photo counts to measure) or --from-runs FILE")
    if not (holdout or args.from_runs):
        parser.error("set PRACTICUM_HOLDOUT_DIR to the holdout photos")
    saved = ROOT / "build" / "benchmarks" / f"training_budget_{args.exercise}.json"
    if args.from_runs:
        runs = {tuple(key.split("|")): found for key, found in json.loads(args.from_runs.read_text()).items()}
    else:
        runs = {}
        for photos in args.photos:
            for name in answer_sets(args.exercise):
                runs[(name, str(photos))] = found = [run_in_subprocess(args.exercise, name, seed, photos, holdout) for seed in args.seeds]
                for seed, run in zip(args.seeds, found):
                    print(f"{name:<40} {photos:4d} photos, seed {seed}: validation {run['val_acc']}, holdout {run['holdout_acc']:.3f}, "
                          f"passed {run['passed']} ({run['seconds']:.0f} s)", flush=True)
                saved.parent.mkdir(parents=True, exist_ok=True)
                saved.write_text(json.dumps({"|".join(key): found for key, found in runs.items()}))  # after each answer
    rows, command = [], current_command()
    for (name, photos), found in runs.items():
        val = [run["val_acc"] if run["val_acc"] is not None else 0.0 for run in found]
        holdout_accs, seconds = [run["holdout_acc"] for run in found], float(np.mean([run["seconds"] for run in found]))
        rows += [(STAGE, metric_name(metric, f"{args.exercise}:{name}@{photos}"), value, seconds, command) for metric, value in (
            ("val_min", min(val)), ("val_max", max(val)), ("holdout_min", min(holdout_accs)), ("holdout_max", max(holdout_accs)),
            ("pass_rate", float(np.mean([run["passed"] for run in found]))))]
    if not args.no_record:
        append(rows)
    return rows


if __name__ == "__main__":
    main()
