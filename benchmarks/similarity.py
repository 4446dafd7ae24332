"""How alike the answers of learners who copied and of learners who did not look to grader.similarity,
and how long it takes for a class of 30.

    python benchmarks/similarity.py [--extra 24]

The class is tests/fixtures/similar_class.py: a pair that copied (the copy renames every variable
and reorders imports), a learner who handed in only the code the exercise gives, the solution and
the right answers of tests/answers/ex01.py, each learner with answers of their own; plus ``--extra``
learners with those right answers and a comment each (24 makes 30). Rows, stage ``similarity``:
``similarity[copied]`` (the copied pair), ``similarity_max[honest]`` (the most alike pair of learners
who wrote their own answers, the extra learners left out: they share answers on purpose),
``similarity_max[given_only]`` (the learner with only the given code against anyone),
``flagged[copied]`` and ``flagged_other`` (pairs at or above ``grader.similarity.THRESHOLD`` apart from
the copied pair and the extra learners' shared answers), ``learners``; ``seconds``: comparing the whole
class (copydetect's reports included).
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))

from benchmarks.record import append, current_command  # noqa: E402
from grader import similarity  # noqa: E402

import similar_class  # noqa: E402

STAGE = "similarity"


def measure(extra: int) -> list[tuple]:
    with tempfile.TemporaryDirectory() as folder:
        course = Path(folder) / "course"
        learners = similar_class.write_class(course, extra)
        start = time.perf_counter()
        pairs = similarity.compare_class(course, Path(folder) / "similarity", threshold=0.0)
        seconds = time.perf_counter() - start
    core = set(similar_class.HONEST)
    copied = [p for p in pairs if {p.first, p.second} == {similar_class.COPIER_ORIGINAL, similar_class.COPIER}]
    honest = [p for p in pairs if {p.first, p.second} <= core | {similar_class.COPIER_ORIGINAL}]
    given = [p for p in pairs if similar_class.GIVEN_ONLY in (p.first, p.second)]
    others = [p for p in pairs if p.similarity >= similarity.THRESHOLD and p not in copied
              and not (p.first.startswith("learner_") or p.second.startswith("learner_"))]
    command, value = current_command(), lambda found: max((p.similarity for p in found), default=0.0)
    rows = [(STAGE, "similarity[copied]", value(copied), seconds, command),
            (STAGE, "similarity_max[honest]", value(honest), seconds, command),
            (STAGE, "similarity_max[given_only]", value(given), seconds, command),
            (STAGE, "flagged[copied]", float(value(copied) >= similarity.THRESHOLD), seconds, command),
            (STAGE, "flagged_other", float(len(others)), seconds, command),
            (STAGE, "learners", float(len(learners)), seconds, command)]
    for row in rows:
        print(f"{row[1]:<28} {row[2]:.3f}")
    print(f"{len(learners)} learners compared in {seconds:.1f} s")
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extra", type=int, default=24, help="learners beyond the core class (default: %(default)s, 30 in all)")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args(argv)
    rows = measure(args.extra)
    if not args.no_record:
        append(rows)


if __name__ == "__main__":
    main()
