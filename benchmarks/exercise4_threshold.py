"""Where exercise 4's learning threshold must sit, over seeds and thread counts.

    python benchmarks/exercise4_threshold.py [--seeds 0 1 2] [--threads 1 2] [--jobs 2]

Exercise 4's learning test (``solutions/04_convnet_from_scratch.ipynb``, cell
``test_build_convnet_learns``) trains the learner's ``build_convnet`` on ``TRAIN_PHOTOS`` photos at ``IMAGE_SIZE`` px for
``EPOCHS`` epochs (the solution's parameters cell) and needs a validation accuracy of at least the
threshold on two sets of ``VALIDATION_PHOTOS`` validation photos (the visible one, drawn with
``SEED``, and the hidden one, drawn with ``SEED + 1``). A grade
must not depend on the machine, so the threshold must sit clear of every answer in
``tests/answers/ex04.py`` whatever the seed and the number of threads TensorFlow uses. (The test
trains from a second seeded start when the first falls short: ``SEED`` and ``SEED + 1``.)

Each run is a fresh process that executes the solution's own cells (setup, parameters, data, then
the answer's ``build_convnet`` and the learning test cell itself, hidden part included) with
``SEED`` set, in the environment of a grader's kernel with that many threads
(``grader.execution.repeatable_env``). The first seed also runs twice at the highest thread count,
to show that a rerun gives the same numbers.

Rows, stage ``exercise4_threshold``, per answer over seeds and thread counts: ``visible_min[...]``,
``visible_max[...]`` (the accuracy the visible test decides on: the first start's, or the second's
when the first fell short), ``hidden_min[...]`` (the hidden test's, where it ran), ``pass_rate[...]``
(the share of runs in which the learning cell passed), ``thread_spread[...]`` (the largest
difference of the visible accuracy between two thread counts at one seed); ``seconds`` is the mean
time of the cell. And ``rerun_identical``: 1.0 when every rerun reproduced its accuracies exactly.
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


def answer_sets() -> dict[str, str]:
    """Every answer of tests/answers/ex04.py: its ``build_convnet`` source, by description."""
    from answers import ex04

    found = {f"right:{name}": answers["build_convnet"] for name, answers in ex04.RIGHT.items()}
    found.update({f"wrong:{name}": answers["build_convnet"] for name, (answers, _) in ex04.WRONG.items()})
    return found


def run_once(answer: str, seed: int) -> dict:
    """In this process: the solution's cells up to the answer, the answer, the learning test."""
    from practicum.checks import CheckFailed
    from practicum.tidy import read_notebook

    nb = read_notebook(ROOT / "solutions" / "04_convnet_from_scratch.ipynb")
    namespace: dict = {"__name__": "__main__"}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type != "code":
            continue
        if grade_id == "build_convnet":
            exec(compile(textwrap.dedent(answer), "<answer>", "exec"), namespace)
        elif grade_id == LEARNING_CELL:
            start = time.perf_counter()
            try:
                exec(compile(cell.source, LEARNING_CELL, "exec"), namespace)
                passed = True
            except CheckFailed:
                passed = False
            return {"visible": namespace.get("learned_acc"), "hidden": namespace.get("hidden_acc"), "passed": passed,
                    "seconds": time.perf_counter() - start}
        elif grade_id in ("setup", "parameters", "test_data"):
            exec(compile(cell.source, grade_id, "exec"), namespace)
            if grade_id == "parameters":
                namespace["SEED"] = seed  # the seed under measurement
    raise RuntimeError(f"no {LEARNING_CELL} cell")


def run_in_subprocess(answer: str, seed: int, threads: int) -> dict:
    env = {**os.environ, **QUIET_FAST_ENV, **repeatable_env(threads)}
    done = subprocess.run([sys.executable, __file__, "--worker", json.dumps({"answer": answer, "seed": seed})],
                          capture_output=True, text=True, env=env, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--jobs", type=int, default=2, help="runs at once (the accuracies do not depend on it)")
    parser.add_argument("--only", nargs="*", help="answer descriptions to run (default: all)")
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        job = json.loads(args.worker)
        print(json.dumps(run_once(job["answer"], job["seed"])))
        return {}

    answers = {name: source for name, source in answer_sets().items() if not args.only or name.split(":", 1)[1] in args.only}
    runs = [(name, seed, threads) for name in answers for seed in args.seeds for threads in args.threads]
    runs += [(name, args.seeds[0], max(args.threads)) for name in answers]  # the reruns
    results: dict[tuple, list[dict]] = {}
    with ThreadPoolExecutor(args.jobs) as pool:
        futures = {pool.submit(run_in_subprocess, answers[name], seed, threads): (name, seed, threads) for name, seed, threads in runs}
        for future, key in futures.items():
            result = future.result()
            results.setdefault(key, []).append(result)
            print(f"{key[0]:<45} seed {key[1]} threads {key[2]}: visible {result['visible']} hidden {result['hidden']}"
                  f" {'pass' if result['passed'] else 'FAIL'} ({result['seconds']:.1f} s)", flush=True)

    command, rows, identical = current_command(), [], True
    for name in answers:
        first = [results[(name, seed, threads)][0] for seed in args.seeds for threads in args.threads]
        visible = [r["visible"] for r in first if r["visible"] is not None]
        hidden = [r["hidden"] for r in first if r["hidden"] is not None]
        passed = float(np.mean([r["passed"] for r in first]))
        seconds = float(np.mean([r["seconds"] for key, found in results.items() if key[0] == name for r in found]))
        reruns = results[(name, args.seeds[0], max(args.threads))]
        identical &= all((r["visible"], r["hidden"]) == (reruns[0]["visible"], reruns[0]["hidden"]) for r in reruns)
        if not visible:  # an answer that fails before training (not compiled): nothing but its pass rate to measure
            print(f"{name:<45} never trained  passed {passed:.2f}")
            rows.append((STAGE, metric_name("pass_rate", name), passed, seconds, command))
            continue
        spread = max(abs(results[(name, seed, a)][0]["visible"] - results[(name, seed, b)][0]["visible"])
                     for seed in args.seeds for a in args.threads for b in args.threads)
        print(f"{name:<45} visible {min(visible):.4f}-{max(visible):.4f}  hidden min {min(hidden) if hidden else float('nan'):.4f}  "
              f"passed {passed:.2f}  thread spread {spread:.4f}")
        rows += [(STAGE, metric_name("visible_min", name), min(visible), seconds, command),
                 (STAGE, metric_name("visible_max", name), max(visible), seconds, command),
                 (STAGE, metric_name("pass_rate", name), passed, seconds, command),
                 (STAGE, metric_name("thread_spread", name), spread, seconds, command)]
        if hidden:
            rows.append((STAGE, metric_name("hidden_min", name), min(hidden), seconds, command))
    rows.append((STAGE, "rerun_identical", float(identical), 0.0, command))
    print(f"reruns identical: {identical}")
    if not args.no_record:
        append(rows)
    return results


if __name__ == "__main__":
    main()
