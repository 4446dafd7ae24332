"""Where exercise 4's learning threshold and its early stop must sit, over seeds and thread counts.

    python benchmarks/exercise4_threshold.py [--seeds 0 1 2] [--threads 1 2] [--jobs 2] [--only NAME ...]
    python benchmarks/exercise4_threshold.py --from-curves build/benchmarks/exercise4_curves.json

Exercise 4's learning test (``solutions/04_convnet_from_scratch.ipynb``, cell
``test_build_convnet_learns``) trains the learner's ``build_convnet`` on ``TRAIN_PHOTOS`` photos at
``IMAGE_SIZE`` px for at most ``EPOCHS`` epochs, stopping early once the accuracy on ``VALIDATION_PHOTOS``
validation photos (drawn with ``SEED``) reaches ``SURE`` or once the network's output is the same for every one
of those photos (it can no longer learn); it passes at 0.56 on those photos and, hidden,
0.54 on another ``VALIDATION_PHOTOS`` (drawn with ``SEED + 1``) with the network as it stopped. When the
first start falls short it trains again from a second (``SEED + 1``). A grade must not depend on the
machine, so the thresholds must sit clear of every answer in ``tests/answers/ex04.py`` whatever the
seed and the number of threads TensorFlow uses, and stopping early must not leave a network that the
hidden test then fails.

Each run is a fresh process that executes the solution's own cells (setup, parameters, data, then the
answer's ``build_convnet`` and the learning test cell itself, hidden part included) with ``SEED`` set,
in the environment of a grader's kernel with that many threads (``grader.execution.repeatable_env``).
It trains every start for all ``EPOCHS`` epochs and records both accuracies after each epoch, and the
spread of the outputs for the visible photos (the largest minus the smallest); the decision of the
test at any stop level is then read off those curves (the accuracy after each epoch does not depend on
whether training goes on after it). The first seed also runs twice at the highest
thread count, to show that a rerun gives the same numbers.

Rows, stage ``exercise4_threshold``, per answer over seeds and thread counts, for the notebook's
``SURE``: ``visible_min[...]``, ``visible_max[...]`` (the accuracy the visible test decides on, where it
stopped), ``hidden_min[...]`` (the hidden test's, for the network as it stopped), ``pass_rate[...]``
(the share of runs in which the learning cell passed), ``thread_spread[...]`` (the largest difference of
the visible accuracy between two thread counts at one seed), ``epochs_mean[...]`` (epochs trained, both
starts together); ``seconds`` is the mean time of the cell trained to the end. For other stop levels:
``hidden_min[answer@level]`` and ``epochs_mean[answer@level]``, and ``decision_changes[answer@level]``
(runs in which that level passes or fails another way than never stopping early). ``spread_min[...]``:
the smallest spread of an answer's outputs after any epoch of any run (below ``SAME``: the test stops
that start there, as it stops a network that can no longer learn). The raw curves of every run go to
``build/benchmarks/exercise4_curves.json``; ``--from-curves FILE`` reads them back and records the rows
again without training (after a change to the stop rule, say). And
``rerun_identical``: 1.0 when every rerun reproduced its curves exactly.
"""

import argparse
import json
import os
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from benchmarks.record import append, current_command, metric_name  # noqa: E402
from grader.execution import QUIET_FAST_ENV, repeatable_env  # noqa: E402

STAGE = "exercise4_threshold"
LEARNING_CELL = "test_build_convnet_learns"
#: Stop levels compared with the notebook's ``SURE`` (``None``: never stop early, the rule before ``SURE``).
LEVELS = (None, 0.60, 0.62, 0.64)


def answer_sets() -> dict[str, str]:
    """Every answer of tests/answers/ex04.py: its ``build_convnet`` source, by description."""
    from answers import ex04

    found = {f"right:{name}": answers["build_convnet"] for name, answers in ex04.RIGHT.items()}
    found.update({f"wrong:{name}": answers["build_convnet"] for name, (answers, _) in ex04.WRONG.items()})
    return found


def run_once(answer: str, seed: int) -> dict:
    """In this process: the solution's cells up to the answer, the answer, the learning test trained to the end.
    Returns the curves of every start: the visible and the hidden accuracy after each epoch."""
    from practicum.checks import CheckFailed
    from practicum.tidy import read_notebook

    nb = read_notebook(ROOT / "solutions" / "04_convnet_from_scratch.ipynb")
    namespace: dict = {"__name__": "__main__"}
    starts: list[dict] = []
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type != "code":
            continue
        if grade_id == "build_convnet":
            exec(compile(textwrap.dedent(answer), "<answer>", "exec"), namespace)
        elif grade_id == LEARNING_CELL:
            watch_curves(namespace, starts)
            start = time.perf_counter()
            try:
                exec(compile(cell.source, LEARNING_CELL, "exec"), namespace)
            except CheckFailed:
                pass
            return {"starts": starts, "sure": namespace["SURE"], "same": namespace["SAME"], "seconds": time.perf_counter() - start}
        elif grade_id in ("setup", "parameters", "test_data"):
            exec(compile(cell.source, grade_id, "exec"), namespace)
            if grade_id == "parameters":
                namespace["SEED"] = seed  # the seed under measurement
    raise RuntimeError(f"no {LEARNING_CELL} cell")


def watch_curves(namespace: dict, starts: list) -> None:
    """Make the notebook's ``train_and_score`` train to the end and append each start's curves to ``starts``."""
    from practicum import data

    train_and_score, score_each_epoch = namespace["train_and_score"], namespace["ScoreEachEpoch"]
    hidden_images, hidden_labels = data.load_arrays("validation", namespace["IMAGE_SIZE"], subset=namespace["VALIDATION_PHOTOS"],
                                                    seed=namespace["SEED"] + 1)  # as the hidden test draws them
    visible = (namespace["validation_images"], namespace["validation_labels"])

    def to_the_end(model, seed, **_):
        watched = [score_each_epoch(*visible), score_each_epoch(hidden_images.astype("float32"), hidden_labels)]
        result = train_and_score(model, seed=seed, stop_at=None, callbacks=watched)
        starts.append({"visible": watched[0].accuracies, "hidden": watched[1].accuracies, "spread": watched[0].spreads})
        return result

    namespace["train_and_score"] = to_the_end


def decide(starts: list[dict], sure: float | None, same: float = 1e-6, threshold: float = 0.56, hidden_threshold: float = 0.54) -> dict:
    """What the learning test decides at stop level ``sure`` (None: never stop early), read off the curves. With a
    level, a start also stops after the first epoch at which the output is the same for every photo (spread below
    ``same``, the notebook's ``SAME``)."""
    epochs = 0
    for curves in starts:
        stops = (epoch for epoch, (acc, spread) in enumerate(zip(curves["visible"], curves["spread"]))
                 if sure is not None and (acc >= sure or spread < same))
        stop = next(stops, len(curves["visible"]) - 1)
        epochs += stop + 1
        visible, hidden = curves["visible"][stop], curves["hidden"][stop]
        if visible >= threshold:
            break
    return {"visible": visible, "hidden": hidden, "epochs": epochs, "passed": visible >= threshold and hidden >= hidden_threshold}


def run_in_subprocess(answer: str, seed: int, threads: int) -> dict:
    env = {**os.environ, **QUIET_FAST_ENV, **repeatable_env(threads)}
    done = subprocess.run([sys.executable, __file__, "--worker", json.dumps({"answer": answer, "seed": seed})],
                          capture_output=True, text=True, env=env, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


CURVES = ROOT / "build" / "benchmarks" / "exercise4_curves.json"


def train_all(names: list[str], seeds: list[int], threads: list[int], jobs: int) -> dict[tuple, list[dict]]:
    """(answer, seed, threads) → its runs (the first seed twice at the highest thread count), trained to the end."""
    answers = answer_sets()
    runs = [(name, seed, count) for name in names for seed in seeds for count in threads]
    runs += [(name, seeds[0], max(threads)) for name in names]  # the reruns
    results: dict[tuple, list[dict]] = {}
    with ThreadPoolExecutor(jobs) as pool:
        futures = {pool.submit(run_in_subprocess, answers[name], seed, count): (name, seed, count) for name, seed, count in runs}
        for future, key in futures.items():
            result = future.result()
            results.setdefault(key, []).append(result)
            curves = " | ".join(" ".join(f"{acc:.2f}" for acc in start["visible"]) for start in result["starts"])
            print(f"{key[0]:<45} seed {key[1]} threads {key[2]}: visible after each epoch {curves or '-'} ({result['seconds']:.1f} s)", flush=True)
    return results


def save_curves(results: dict[tuple, list[dict]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([{"answer": name, "seed": seed, "threads": count, "runs": runs}
                                for (name, seed, count), runs in results.items()]))


def load_curves(path: Path) -> dict[tuple, list[dict]]:
    return {(entry["answer"], entry["seed"], entry["threads"]): entry["runs"] for entry in json.loads(Path(path).read_text())}


def rows_for(results: dict[tuple, list[dict]], names: list[str], seeds: list[int], threads: list[int], command: str) -> list[tuple]:
    """The stage's rows (see the module's docstring), read off the curves."""
    rows, identical = [], True
    for name in names:
        runs = [results[(name, seed, count)][0] for seed in seeds for count in threads]
        seconds = float(np.mean([r["seconds"] for key, found in results.items() if key[0] == name for r in found]))
        reruns = results[(name, seeds[0], max(threads))]
        identical &= all(r["starts"] == reruns[0]["starts"] for r in reruns)
        if not runs[0]["starts"]:  # an answer that fails before training (not compiled): nothing but its pass rate to measure
            print(f"{name:<45} never trained")
            rows.append((STAGE, metric_name("pass_rate", name), 0.0, seconds, command))
            continue
        sure, same = runs[0]["sure"], runs[0]["same"]
        by_run = {(seed, count): decide(results[(name, seed, count)][0]["starts"], sure, same) for seed in seeds for count in threads}
        decided = list(by_run.values())
        visible, hidden = [d["visible"] for d in decided], [d["hidden"] for d in decided]
        passed, epochs = float(np.mean([d["passed"] for d in decided])), float(np.mean([d["epochs"] for d in decided]))
        spread_min = min(min(start["spread"]) for r in runs for start in r["starts"])
        spread = max(abs(by_run[(seed, a)]["visible"] - by_run[(seed, b)]["visible"]) for seed in seeds for a in threads for b in threads)
        print(f"{name:<45} stop at {sure}: visible {min(visible):.3f}-{max(visible):.3f}  hidden min {min(hidden):.3f}  "
              f"passed {passed:.2f}  epochs {epochs:.1f}  thread spread {spread:.3f}  smallest output spread {spread_min:.2g}")
        rows += [(STAGE, metric_name(metric, name), value, seconds, command) for metric, value in (
            ("visible_min", min(visible)), ("visible_max", max(visible)), ("hidden_min", min(hidden)), ("pass_rate", passed),
            ("thread_spread", spread), ("epochs_mean", epochs), ("spread_min", spread_min))]
        never = [decide(r["starts"], None, same) for r in runs]
        for level in LEVELS:
            at = [decide(r["starts"], level, same) for r in runs]
            changes = sum(x["passed"] != y["passed"] for x, y in zip(at, never))
            print(f"{'':<45}   at {level}: hidden min {min(d['hidden'] for d in at):.3f}  epochs {np.mean([d['epochs'] for d in at]):.1f}"
                  f"  decisions changed {changes}")
            rows += [(STAGE, metric_name(metric, f"{name}@{level or 'end'}"), value, seconds, command) for metric, value in (
                ("hidden_min", min(d["hidden"] for d in at)), ("epochs_mean", float(np.mean([d["epochs"] for d in at]))),
                ("decision_changes", float(changes)))]
    rows.append((STAGE, "rerun_identical", float(identical), 0.0, command))
    print(f"reruns identical: {identical}")
    return rows


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--jobs", type=int, default=2, help="runs at once (the accuracies do not depend on it)")
    parser.add_argument("--only", nargs="*", help="answer descriptions to run (default: all)")
    parser.add_argument("--from-curves", type=Path, help="read the curves of an earlier run instead of training")
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        job = json.loads(args.worker)
        print(json.dumps(run_once(job["answer"], job["seed"])))
        return {}
    if args.from_curves:
        results = load_curves(args.from_curves)
        names = list(dict.fromkeys(key[0] for key in results))
        seeds, threads = sorted({key[1] for key in results}), sorted({key[2] for key in results})
    else:
        names = [name for name in answer_sets() if not args.only or name.split(":", 1)[1] in args.only]
        seeds, threads = args.seeds, args.threads
        results = train_all(names, seeds, threads, args.jobs)
        save_curves(results, CURVES)
    rows = rows_for(results, names, seeds, threads, current_command())
    if not args.no_record:
        append(rows)
    return results


if __name__ == "__main__":
    main()
