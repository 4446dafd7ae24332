"""A learner's copy of an exercise, answered: what a learner who did the work would have.

``answered(name)`` is ``grader.build.answered`` for the solution called ``name``: the released exercise
with every answer cell holding the instructor's solution (its ``### BEGIN/END SOLUTION`` lines dropped),
except the answer cells named in ``unanswered``, which keep the released stub.
"""

import nbformat

from grader import build
from practicum import paths


def answered(name: str, unanswered: tuple[str, ...] = ()) -> nbformat.NotebookNode:
    return build.answered(paths.SOLUTIONS / f"{name}.ipynb", unanswered)
