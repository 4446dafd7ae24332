"""Answers to the exercises, right and wrong, one module per exercise (see ex01.py)."""

import textwrap


def typed(answers: dict[str, str]) -> dict[str, str]:
    """``answers`` (grade id → source, indented as written in these modules) as a learner would type them into
    their cells: dedented and stripped."""
    return {grade_id: textwrap.dedent(source).strip() + "\n" for grade_id, source in answers.items()}
