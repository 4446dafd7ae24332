"""``practicum``: the course's command line.

- ``practicum run [--full] [NOTEBOOK...]`` executes the course headless and prints a summary table;
- ``practicum data`` finds or downloads the photos and checks them;
- ``practicum tidy [--check] [NOTEBOOK...]`` cleans notebooks for committing;
- ``practicum lab [JUPYTER_ARGS...]`` opens the course in JupyterLab, without the news pop-up;
- ``practicum progress [--saved] [NOTEBOOK...]`` shows which exercises pass, fail or are not started;
- ``practicum build | check | grade`` come from the grader package (see ``grader.cli``).

Expected failures (no network, missing data, a file that is not a notebook, a wrong path) end in one
line naming the file and the fix, and exit 1 (see ``practicum.errors``).
"""

import argparse
import sys
from pathlib import Path

from grader.cli import register as register_grader_commands
from practicum import paths
from practicum.errors import require_file, run_command


def _run(args) -> int:
    from practicum.runner import course_notebooks, format_table, run_notebook

    notebooks = [require_file(Path(p)) for p in args.notebooks] or course_notebooks()
    results = []
    for notebook in notebooks:
        print(f"running {notebook} ({'full' if args.full else 'FAST'}) ...", flush=True)
        results.append(run_notebook(notebook, fast=not args.full, cell_timeout=args.timeout))
    print()
    print(format_table(results))
    return 0 if all(r.status == "ok" for r in results) else 1


def _data(args) -> int:
    from practicum import data

    root = data.dataset_root()
    print(f"photos in {root}")
    for split in data.SPLITS:
        _, labels = data.list_images(split)
        print(f"  {split}: {len(labels)} photos ({int((labels == 0).sum())} cats, {int((labels == 1).sum())} dogs)")
    return 0


def _tidy(args) -> int:
    from practicum.tidy import tidy_file

    notebooks = [Path(p) for p in args.notebooks] or paths.course_notebook_files()
    untidy = []
    for notebook in notebooks:
        if not tidy_file(notebook, write=not args.check):
            continue
        if args.check:
            untidy.append(notebook)
        else:
            print(f"tidied {notebook}")
    for notebook in untidy:
        print(f"{notebook}: not tidy (outputs, metadata or cell ids); run `practicum tidy {notebook}`", file=sys.stderr)
    return 1 if untidy else 0


def _lab(args) -> int:
    from practicum.lab import exec_lab

    exec_lab(args.jupyter_args)
    return 0  # not reached: JupyterLab replaced this process


def _progress(args) -> int:
    from practicum import progress

    notebooks = [require_file(Path(p)) for p in args.notebooks] or sorted(paths.EXERCISES.glob("*.ipynb"))
    rows = []
    for notebook in notebooks:
        if not args.saved and not progress.is_started(progress.read_notebook(notebook)):
            print(f"{notebook}: not started", flush=True)
        elif not args.saved:
            print(f"checking {notebook} (FAST) ...", flush=True)
        rows.append(progress.progress_of(notebook, saved=args.saved, timeout=args.timeout))
    print()
    print(progress.format_progress(rows))
    mine, course = progress.learner_accuracies(notebooks), progress.course_accuracies()
    if mine:
        print()
        print(progress.format_accuracies(mine, course))
        print(f"\nchart: {progress.save_chart(mine, course, args.chart)}")
    else:
        print("\nno trained model yet: run an exercise or a lesson to see its accuracy beside the course's")
    return 0 if rows and all(row.status == "passed" for row in rows) else 1


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="practicum", description=__doc__.splitlines()[0])
    commands = top.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="execute the course's notebooks headless and print a summary")
    run.add_argument("notebooks", nargs="*", help="notebooks to run (default: every lesson and solution, in course order)")
    run.add_argument("--full", action="store_true", help="full budgets (the published numbers) instead of FAST mode")
    run.add_argument("--timeout", type=int, default=1800, help="seconds one cell may run (default: %(default)s)")
    run.set_defaults(func=_run)

    data = commands.add_parser("data", help="find or download the photos and check their layout and counts")
    data.set_defaults(func=_data)

    tidy = commands.add_parser("tidy", help="strip outputs and stray metadata from notebooks, give cells stable ids")
    tidy.add_argument("notebooks", nargs="*", help="notebooks (default: notebooks/, solutions/, exercises/)")
    tidy.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook is not tidy")
    tidy.set_defaults(func=_tidy)

    lab = commands.add_parser("lab", help="open the course in JupyterLab (quiet: no news pop-up)",
                              description="Open the course in JupyterLab; any other argument goes to `jupyter lab` (e.g. --port 8890).")
    lab.set_defaults(func=_lab)

    progress = commands.add_parser("progress", help="which of your exercises pass, fail or are not started; your models beside the course's")
    progress.add_argument("notebooks", nargs="*", help="your exercise notebooks (default: exercises/)")
    progress.add_argument("--saved", action="store_true", help="read the results saved in each notebook instead of running it (fast)")
    progress.add_argument("--timeout", type=float, default=600, help="seconds for each notebook's run (default: %(default)s)")
    progress.add_argument("--chart", type=Path, default=paths.build_dir() / "progress.png", help="where the chart goes (default: %(default)s)")
    progress.set_defaults(func=_progress)

    register_grader_commands(commands)
    return top


def main(argv: list[str] | None = None) -> int:
    top = parser()
    args, extra = top.parse_known_args(argv)
    if args.command == "lab":
        args.jupyter_args = extra  # JupyterLab's own options, passed on as they are
    elif extra:
        top.error(f"unrecognized arguments: {' '.join(extra)}")
    return run_command(args.func, args)


if __name__ == "__main__":
    sys.exit(main())
