"""Test cells that the learner's code cannot quietly rebind.

Before any learner code runs, the grader executes a capture cell in the kernel: it runs the import
statements of the instructor's notebook in a private namespace and snapshots what the tests rely on:
those names, the modules behind them (numpy, keras and the course package included), ``builtins``,
``sys``'s streams and hooks, and the IPython shell's hooks. Every test cell is then executed with a
one-line prelude that puts all of it back: a learner who rebinds ``check``, patches ``np.allclose``,
replaces ``print`` or silences ``showtraceback`` gets the honest test all the same.

This is defence in depth inside a process the learner controls: code that finds the restore function
(its name carries a random nonce) or rewrites cells before they run can still defeat it. That is
what ``grader.tamper`` flags for a human, and what the sandbox keeps from leaving the kernel.
"""

import ast
import secrets

from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from grader.course import source_notebook_path
from grader.execution import broke_the_run, error_output
from grader.judge.notebook import judged_outside
from practicum.tidy import read_notebook

NOT_AS_WRITTEN = "TestNotRun"

#: The output kind a guarded test cell shows its token in; taken out again after the run.
GUARD_MIME = "application/x-practicum-guard"

_CAPTURE = '''

def _practicum_capture(imports, name):
    import builtins, sys, threading
    missing = object()
    shell = get_ipython()
    names = {}
    exec(imports, names)
    names.pop("__builtins__", None)
    roots = {"numpy", "keras", "practicum", "sklearn"}
    modules = {module.__name__: module for module in [builtins, sys, *[sys.modules.get(getattr(value, "__module__", None) or "")
               for value in names.values()], *[value for value in names.values() if isinstance(value, type(sys))],
               *[module for key, module in list(sys.modules.items()) if key.split(".")[0] in roots]] if module is not None}
    snapshots = [(module, dict(vars(module))) for module in modules.values()]
    function_type = type(_practicum_capture)
    functions = [function for module in modules.values() if module.__name__.split(".")[0] in {"practicum", "numpy"}
                 for value in list(vars(module).values()) for function in (value, getattr(value, "__wrapped__", None))
                 if isinstance(function, function_type)]
    functions += [function for value in names.values() for function in (value, getattr(value, "__wrapped__", None))
                  if isinstance(function, function_type)]
    codes = [(function, function.__code__, function.__defaults__, function.__kwdefaults__) for function in functions]
    streams = (sys.stdout, sys.stderr, sys.displayhook, sys.excepthook, sys.meta_path[:], sys.path_hooks[:])
    shell_attributes = ("showtraceback", "_showtraceback", "showsyntaxerror", "run_cell", "run_cell_async", "run_code",
                        "run_ast_nodes", "transform_cell", "ex", "ev", "custom_exceptions", "CustomTB", "InteractiveTB",
                        "SyntaxTB", "displayhook", "display_pub", "user_ns", "user_global_ns")
    shell_state = {attribute: shell.__dict__.get(attribute, missing) for attribute in shell_attributes}
    transformers = [(hooks, list(hooks)) for hooks in (shell.input_transformers_cleanup, shell.input_transformers_post,
                                                       shell.ast_transformers)]

    from IPython.display import display

    def restore(token=None):
        if token is not None:  # the grader checks that each test cell showed its token: it ran as written
            display({GUARD_MIME_LITERAL: token}, raw=True)
        sys.settrace(None)
        sys.setprofile(None)
        threading.settrace(None)
        threading.setprofile(None)
        sys.modules.update(modules)
        for module, snapshot in snapshots:
            current = vars(module)
            for key, value in snapshot.items():
                if current.get(key, missing) is not value:
                    current[key] = value
        for function, code, defaults, kwdefaults in codes:
            if function.__code__ is not code:
                function.__code__ = code
            function.__defaults__, function.__kwdefaults__ = defaults, kwdefaults
        sys.stdout, sys.stderr, sys.displayhook, sys.excepthook, sys.meta_path[:], sys.path_hooks[:] = streams
        for attribute, value in shell_state.items():
            if value is missing:
                shell.__dict__.pop(attribute, None)
            else:
                shell.__dict__[attribute] = value
        for event, callbacks in events.items():
            shell.events.callbacks[event] = list(callbacks)
        for hooks, saved in transformers:
            hooks[:] = saved
        shell.user_ns.update(names)

    def before_a_test(info):  # IPython calls this before it runs the cell's AST: undo AST transformers first
        if (info.raw_cell or "").startswith(name + "("):
            restore()

    shell.events.register("pre_run_cell", before_a_test)
    events = {event: list(callbacks) for event, callbacks in shell.events.callbacks.items()}
    shell.user_ns[name] = restore
'''.replace("GUARD_MIME_LITERAL", repr(GUARD_MIME))


def nonce_name() -> str:
    return f"_practicum_guard_{secrets.token_hex(8)}"


def source_imports(source_nb: NotebookNode) -> str:
    """The top-level import statements of the instructor's notebook outside answer cells."""
    lines = []
    for cell in source_nb.cells:
        if cell.cell_type != "code" or utils.is_solution(cell):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        lines += [ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    return "\n".join(lines)


def capture_source(source_nb: NotebookNode, name: str) -> str:
    """The code of the capture cell: run before any learner code."""
    return f"{_CAPTURE}\n_practicum_capture({source_imports(source_nb)!r}, {name!r})\ndel _practicum_capture\n"


def guarded(source: str, name: str, token: str) -> str:
    """A test cell's source with the prelude that restores what the tests rely on and shows ``token``."""
    return f"{name}({token!r})\n{source}"


class GuardTests(NbGraderPreprocessor):
    """Before execution: the capture code goes in front of the first code cell, the prelude in front
    of every automatically graded test cell that runs in the learner's kernel (not those the judge
    decides, ``grader.judge``). ``UnguardTests`` takes both out again afterwards."""

    source_directory = Unicode(help="The course's source folder: <source_directory>/<assignment>/<notebook>.ipynb").tag(config=True)

    def preprocess(self, nb, resources):
        source_nb = read_notebook(source_notebook_path(self.source_directory, resources))
        outside = judged_outside(source_nb)  # the tests the judge decides never run in the learner's kernel
        code = [cell for cell in nb.cells if cell.cell_type == "code"]
        guarded_tests = [cell for cell in code if utils.is_grade(cell) and not utils.is_solution(cell)
                         and cell.metadata.nbgrader.get("grade_id") not in outside]
        if not guarded_tests:
            return nb, resources
        name = nonce_name()
        resources["guard"] = {"name": name, "capture": capture_source(source_nb, name)}
        code[0].source = resources["guard"]["capture"] + code[0].source
        resources["guard"]["tokens"] = {}
        for cell in guarded_tests:
            token = secrets.token_hex(8)
            resources["guard"]["tokens"][cell.metadata.nbgrader["grade_id"]] = token
            cell.source = guarded(cell.source, name, token)
        return nb, resources


class UnguardTests(NbGraderPreprocessor):
    """After execution: the cells' sources as they were."""

    def preprocess(self, nb, resources):
        guard = resources.pop("guard", None)
        if guard is None:
            return nb, resources
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            cell.source = cell.source.removeprefix(guard["capture"])
            token = guard["tokens"].get(cell.metadata.get("nbgrader", {}).get("grade_id"))
            if token is None or not cell.source.startswith(guarded("", guard["name"], token)):
                continue
            cell.source = cell.source.removeprefix(guarded("", guard["name"], token))
            shown = [out for out in cell.outputs if out.get("data", {}).get(GUARD_MIME) == token]
            cell.outputs = [out for out in cell.outputs if GUARD_MIME not in out.get("data", {})]
            if not shown and not broke_the_run(cell):
                cell.outputs.append(error_output(NOT_AS_WRITTEN, "this test did not run as written: code in the notebook "
                                                                  "changed how cells run"))
        return nb, resources
