"""The judge's notebook: the instructor's notebook with every answer cell replaced by a binding.

The judge runs the instructor's own cells (imports, parameters, data, helpers, the test cells with
their hidden parts) and none of the learner's code: where the instructor's notebook has an answer
cell, the judge binds the names that answer defines to the learner's kernel (``grader.judge.peer``).
A test cell is judged this way when its metadata says so, ``{"practicum": {"judge": "outside"}}``:
its author has written it to read the learner's answers as data and stand-ins only. Any other test
cell runs in the learner's kernel, as nbgrader runs it, and the grade table says which (``Judged``).
"""

import ast

from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_notebook
from nbgrader import utils

from grader.results import Judged

#: The judge's own names in its kernel (the tests never use them).
PEER = "_practicum_learner"
BIND = "_practicum_bind"
#: The metadata key that marks a judge cell binding an answer's names, and its value.
ROLE, BINDING = "practicum_judge", "binding"


def is_test(cell: NotebookNode) -> bool:
    """An automatically graded test cell."""
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


def is_binding(cell: NotebookNode) -> bool:
    return cell.metadata.get(ROLE) == BINDING


def judged_where(cell: NotebookNode) -> Judged:
    """Where the instructor's test cell ``cell`` is decided: outside when its metadata says so."""
    return Judged.OUTSIDE if cell.metadata.get("practicum", {}).get("judge") == Judged.OUTSIDE.value else Judged.KERNEL


def judged_outside(source_nb: NotebookNode) -> set[str]:
    """The grade ids of the instructor's test cells that the judge decides."""
    return {cell.metadata.nbgrader["grade_id"] for cell in source_nb.cells if is_test(cell) and judged_where(cell) is Judged.OUTSIDE}


def defined_names(source: str, imports: bool = False) -> list[str]:
    """The names a cell defines at its top level: functions, classes, assigned variables (and with
    ``imports``, what its import statements bind), in order."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names: list[str] = []

    def targets(node):
        if isinstance(node, ast.Name):
            yield node.id
        elif isinstance(node, (ast.Tuple, ast.List)):
            for element in node.elts:
                yield from targets(element)
        elif isinstance(node, ast.Starred):
            yield from targets(node.value)

    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found = [node.name]
        elif isinstance(node, ast.Assign):
            found = [name for target in node.targets for name in targets(target)]
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            found = list(targets(node.target))
        elif imports and isinstance(node, (ast.Import, ast.ImportFrom)):
            found = [alias.asname or alias.name.split(".")[0] for alias in node.names]
        else:
            found = []
        names += [name for name in found if name not in names]
    return names


def judge_notebook(source_nb: NotebookNode) -> NotebookNode:
    """The cells the judge runs, in order: connecting to the learner's kernel, then the instructor's
    code cells with each answer cell replaced by a binding of the names it defines. A name that a cell of
    the instructor's defines or imports (``check``, ``np``) is never bound to the learner's kernel, even
    where an answer cell defines it too (``practicum check`` judges by the learner's own notebook)."""
    instructor = {name for cell in source_nb.cells if cell.cell_type == "code" and not utils.is_solution(cell)
                  for name in defined_names(cell.source, imports=True)}
    cells = [new_code_cell(f"from grader.judge.peer import bind as {BIND}, connect\n{PEER} = connect()\ndel connect")]
    for cell in source_nb.cells:
        if cell.cell_type != "code":
            continue
        if utils.is_solution(cell):
            names = [name for name in defined_names(cell.source) if name not in instructor]
            cells.append(new_code_cell(f"{BIND}(globals(), {names!r}, {PEER})", metadata={ROLE: BINDING}))
        else:
            cells.append(new_code_cell(cell.source, metadata=dict(cell.metadata)))
    return new_notebook(cells=cells, metadata=source_nb.metadata)
