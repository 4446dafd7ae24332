"""Find code in a learner's cells that reaches for the tests instead of answering them.

Every code cell the learner wrote or changed (answer cells, cells they added, released cells they
edited) is parsed after IPython's own transformations, and each of these is reported with its cell:
rebinding or deleting a name the tests rely on (the instructor's imports and top-level constants),
patching a module's attribute, reaching into the interpreter (``sys.modules``, ``sys.settrace``,
frames, ``gc``, ``ctypes``, ``inspect``, ``linecache``), IPython's hooks and shell commands, dynamic
code (``exec``, ``eval``, ``compile``, ``__import__``) and dunder attributes that open functions and
classes up. A submission with findings is graded as usual and also marked "needs manual grading",
with the findings as the reason: the guard (``grader.guard``) already keeps most of these from
changing a score, and a person decides about the rest.
"""

import ast

from IPython.core.inputtransformer2 import TransformerManager
from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from grader.build import released_source
from grader.course import source_notebook_path
from grader.restore import MATCH_KEY

FORBIDDEN_MODULES = {"ctypes", "gc", "inspect", "linecache", "importlib", "builtins", "IPython", "ipykernel", "traceback",
                     "threading", "signal", "marshal", "pickle", "code", "codeop", "dis", "types", "zmq", "jupyter_client",
                     "subprocess", "multiprocessing", "pty", "socket"}
FORBIDDEN_NAMES = {"exec", "eval", "compile", "__import__", "globals", "vars", "locals", "setattr", "delattr", "get_ipython",
                   "breakpoint", "__builtins__", "__loader__", "__spec__"}
FORBIDDEN_ATTRIBUTES = {"modules", "settrace", "setprofile", "_getframe", "meta_path", "path_hooks", "displayhook", "excepthook",
                        "f_back", "f_locals", "f_globals", "f_code", "tb_frame", "gi_frame", "cr_frame", "events", "user_ns",
                        "showtraceback", "run_cell", "input_transformers_post", "ast_transformers", "stdout", "stderr",
                        "fork", "setsid", "system", "popen", "kill", "execv", "execvp", "spawnv", "posix_spawn"}
#: Methods that run code when a pickled object (a handed-in model) is loaded.
LOAD_HOOKS = {"__reduce__", "__reduce_ex__", "__setstate__"}
#: Attributes that are harmless to read and tampering to replace.
REPLACEABLE_ATTRIBUTES = {"stdout", "stderr", "displayhook", "excepthook"}
#: Magics a learner may use without a human looking at the submission.
HARMLESS_MAGICS = {"matplotlib", "time", "timeit", "load_ext", "autoreload"}


def _transformed(source: str) -> str:
    return TransformerManager().transform_cell(source)


def _is_harmless_magic(node: ast.Call) -> bool:
    func = node.func
    return (isinstance(func, ast.Attribute) and func.attr in {"run_line_magic", "run_cell_magic"} and node.args
            and isinstance(node.args[0], ast.Constant) and node.args[0].value in HARMLESS_MAGICS)


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _module_scope_names(tree: ast.Module) -> set[int]:
    """The ids of the Name nodes bound in the module's own scope (not inside functions, classes,
    lambdas or comprehensions): only those can rebind what a test uses."""
    scoped = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
              ast.GeneratorExp)
    found, stack = set(), list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, scoped):
            continue
        if isinstance(node, ast.Name):
            found.add(id(node))
        stack += [child for child in ast.iter_child_nodes(node) if not isinstance(child, scoped)]
    return found


def _import_bindings(node: ast.Import | ast.ImportFrom) -> dict[str, str]:
    """name → what an import statement binds it to: ``import numpy as np`` → {"np": "numpy"}."""
    if isinstance(node, ast.Import):
        return {alias.asname or alias.name.split(".")[0]: alias.name if alias.asname else alias.name.split(".")[0]
                for alias in node.names}
    return {alias.asname or alias.name: f"{node.module}.{alias.name}" for alias in node.names}


def findings_in(source: str, protected: set[str], modules: set[str], imported: dict[str, str] | None = None) -> list[str]:
    """What in ``source`` reaches for the tests. ``protected``: names the tests use; ``modules``:
    the names under which the instructor's notebook imported modules; ``imported``: what the
    instructor's imports bound each name to (importing the same thing again is harmless)."""
    imported = imported or {}
    try:
        tree = ast.parse(_transformed(source))
    except SyntaxError:
        return []  # it fails to run, and costs its own points
    found, module_scope = [], _module_scope_names(tree)
    modules = modules | {(alias.asname or alias.name).split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                         for alias in node.names}
    harmless = {id(n) for node in ast.walk(tree) if isinstance(node, ast.Call) and _is_harmless_magic(node) for n in ast.walk(node.func)}
    for node in ast.walk(tree):
        if id(node) in harmless:
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                origin = alias.name if isinstance(node, ast.Import) else node.module or ""
                if origin.split(".")[0] in FORBIDDEN_MODULES:
                    found.append(f"imports {origin}")
            found += [f"rebinds `{name}`, which the tests use" for name, target in _import_bindings(node).items()
                      if name in protected and imported.get(name) != target]
        elif isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            found.append(f"uses {node.id}")
        elif (isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)) and node.id in protected
              and id(node) in module_scope):
            found.append(f"{'deletes' if isinstance(node.ctx, ast.Del) else 'rebinds'} `{node.id}`, which the tests use")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in protected and node in tree.body:
            found.append(f"rebinds `{node.name}`, which the tests use")
        elif isinstance(node, ast.FunctionDef) and node.name in LOAD_HOOKS:
            found.append(f"defines {node.name} (code that runs when the grader loads a handed-in model)")
        elif isinstance(node, ast.Global):
            found += [f"rebinds `{name}`, which the tests use" for name in node.names if name in protected]
        elif isinstance(node, ast.Attribute):
            if node.attr.startswith("__") and node.attr.endswith("__") and node.attr not in {"__init__", "__name__", "__call__"}:
                found.append(f"uses the attribute {node.attr}")
            elif node.attr in REPLACEABLE_ATTRIBUTES and isinstance(node.ctx, ast.Load):
                continue  # print(..., file=sys.stderr) reads a stream; replacing it is what counts
            elif node.attr in FORBIDDEN_ATTRIBUTES and _root_name(node) in ({"sys", "shell", "threading"} | modules):
                found.append(f"uses {_root_name(node)}.{node.attr}")
            elif isinstance(node.ctx, (ast.Store, ast.Del)) and _root_name(node) in modules:
                found.append(f"patches {ast.unparse(node)}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in {"system", "getoutput"}:
            found.append("runs shell commands")
    return list(dict.fromkeys(found))


def _top_level_names(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


def _imported_modules(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = {"sys", "os", "builtins"}
    for node in tree.body:
        if isinstance(node, ast.Import):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in {"practicum", "keras"}:
            names |= {alias.asname or alias.name for alias in node.names}
    return names


def scan(submitted: NotebookNode, released: NotebookNode) -> list[str]:
    """Findings in the learner's own code cells, each prefixed with its cell."""
    instructor = [cell for cell in released.cells if cell.cell_type == "code" and not utils.is_solution(cell)]
    protected = set().union(*(_top_level_names(cell.source) for cell in instructor))
    modules = set().union(*(_imported_modules(cell.source) for cell in instructor))
    imported = {}
    for cell in instructor:
        try:
            imported.update({name: target for node in ast.parse(cell.source).body if isinstance(node, (ast.Import, ast.ImportFrom))
                             for name, target in _import_bindings(node).items()})
        except SyntaxError:
            continue
    unchanged = {cell.source.strip() for cell in instructor}
    tests = {cell.metadata.nbgrader["grade_id"] for cell in instructor if utils.is_grade(cell)}
    findings = []
    for index, cell in enumerate(submitted.cells):
        if cell.cell_type != "code" or cell.source.strip() in unchanged:
            continue
        if utils.is_grade(cell) and not utils.is_solution(cell) and cell.metadata.nbgrader.get("grade_id") in tests:
            continue  # one of the instructor's test cells: the gradebook's copy replaces whatever the learner made of it
        label = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index + 1}"
        findings += [f"{label}: {finding}" for finding in findings_in(cell.source, protected, modules, imported)]
    return findings


class FlagTampering(NbGraderPreprocessor):
    """Record the findings of ``scan`` in the notebook's metadata (``MATCH_KEY``/``tampering``) for
    the grade rows; run after ``OverwriteCells``, so that test cells hold the instructor's code."""

    source_directory = Unicode(help="The course's source folder: <source_directory>/<assignment>/<notebook>.ipynb").tag(config=True)

    def preprocess(self, nb, resources):
        released = released_source(source_notebook_path(self.source_directory, resources))
        record = nb.metadata.setdefault(MATCH_KEY, {})
        record["tampering"] = record.get("suspicious", []) + scan(nb, released)
        return nb, resources
