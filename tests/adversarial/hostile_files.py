"""The corpus's hostile files: what a class hands in around the notebooks, which the grader reads,
copies, scores and removes outside the sandbox, with the instructor's rights (grader.submissions,
grader.files, grader.holdout).

Links (to the grader's signing key, to another learner's notebook, to a device, to a folder), a named
pipe, names that are path parts or claim another learner's id, files handed in beside an nbgrader
notebook that are links or pipes, and models handed in that unpack to gigabytes, never finish
scoring or print the holdout's statistics while they are scored; a workspace too deep for a
recursive clean-up; a cell put in front of the notebook that kills the kernel. Each case keeps the
rest of the batch as it was: the controls (corpus.HONEST_FIRST and HONEST_LAST) keep full marks.
Cases with a ``plant`` write their files themselves; ``not_graded`` names what the grader's "not
graded" line must mention.
"""

import os
import re
import textwrap
from pathlib import Path

from bases import HONEST_FIRST, HONEST_LAST, PIXELS, Case, Context, _attack, _text, _with, blank, solution_answers, solved

#: What the stderr attack prints, in the scorer, with the holdout's statistics: no learner may see it (its code,
#: which shows the marker, is on its own feedback page; the numbers are not).
LEAK_MARKER = "HOLDOUT-STATS"
LEAKED = re.compile(rf"{LEAK_MARKER} mean=[0-9]")

#: train_pixel_classifier's model, wrapped in a class that passes for a Keras model, whose save() writes a .keras zip
#: that unpacks to 1.5 GiB of zeros (about 1.5 MB packed).
_ARCHIVE_BOMB = """
_fit = train_pixel_classifier
class Model:
    __module__ = "keras.src.models.model"  # hand_in takes it for a Keras model and calls save()
    def __init__(self, inner):
        self.inner = inner
    def predict(self, images):
        return self.inner.predict(images)
    def save(self, path):
        import zipfile
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            with archive.open("model.weights.h5", "w", force_zip64=True) as member:
                block = bytes(2**24)
                for _ in range(96):
                    member.write(block)
def train_pixel_classifier(images, labels):
    return Model(_fit(images, labels))
"""

def _in_the_scorer(action: str) -> str:
    """train_pixel_classifier's model, wrapped so that its predict() runs ``action`` in the grader's scorer
    (where no kernel is loaded) and predicts as the solution does in the notebook."""
    return f"""
_fit = train_pixel_classifier
class _InTheScorer:
    def __init__(self, inner):
        self.inner = inner
    def predict(self, images):
        import sys, time
        if "ipykernel" not in sys.modules:
{textwrap.indent(textwrap.dedent(action).strip(), " " * 12)}
        return self.inner.predict(images)
def train_pixel_classifier(images, labels):
    return _InTheScorer(_fit(images, labels))
"""


#: A model whose predict() never ends in the scorer.
_SLOW_MODEL = _in_the_scorer("time.sleep(3600)")
#: A model whose predict(), in the scorer, prints statistics of the photos it was given (the holdout's) to stderr and fails.
_LOUD_MODEL = _in_the_scorer("""
    print(MARKER, f"mean={images.mean():.4f} n={len(images)} shape={images.shape}", file=sys.stderr)
    raise SystemExit(1)
""")

#: A workspace folder 3,000 levels deep: Python's shutil.rmtree recurses, and a recursive clean-up raises.
_DEEP_TREE = """
import os
_here = os.getcwd()
os.mkdir(FOLDER)
os.chdir(FOLDER)
for _ in range(3000):
    os.mkdir("d")
    os.chdir("d")
os.chdir(_here)
"""


def deep_folder(ctx: Context) -> str:
    return f"deep-{ctx.marker}"


def _file(ctx: Context, relative: str, content: str | None = None, link: Path | str | None = None, pipe: bool = False) -> None:
    path = ctx.inputs / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if link is not None:
        os.symlink(link, path)
    elif pipe:
        os.mkfifo(path)
    else:
        path.write_text(content, encoding="utf-8")


def _with_first_cell(code: str) -> str:
    """The solution's answers, and a new first code cell (no nbgrader metadata) holding ``code``."""
    import nbformat

    nb = solved(PIXELS)
    nb.cells.insert(0, nbformat.v4.new_code_cell(code))
    return _text(nb)


def cases() -> list[Case]:
    answers = solution_answers(PIXELS)
    full, without_holdout = 10, 7  # the holdout test is worth 3
    solved_text = lambda ctx: _text(solved(PIXELS))  # noqa: E731
    handing_in = lambda code, **constants: lambda ctx: _text(solved(  # noqa: E731
        PIXELS, train_pixel_classifier=_with(answers["train_pixel_classifier"], _attack(code, **constants))))
    c = []
    add = c.append

    # links and special files in place of a notebook: refused for that learner, never followed or opened
    for name, target, tries in (("link_to_key", lambda ctx: ctx.out / ".grader-key", "the grader's signing key"),
                                ("link_to_honest", lambda ctx: ctx.inputs / f"{HONEST_FIRST}_{PIXELS}.ipynb", f"{HONEST_FIRST}'s notebook"),
                                ("link_to_device", lambda ctx: "/dev/zero", "/dev/zero")):
        add(Case(name, PIXELS, f"the notebook is a symbolic link to {tries}", 0, "error", ("symbolic link",),
                 plant=lambda ctx, name=name, target=target: _file(ctx, f"{name}_{PIXELS}.ipynb", link=target(ctx))))
    add(Case("named_pipe", PIXELS, "the notebook is a named pipe (reading it would wait for ever)", 0, "error", ("named pipe",),
             plant=lambda ctx: _file(ctx, f"named_pipe_{PIXELS}.ipynb", pipe=True)))
    add(Case("tree_with_links", PIXELS, "an nbgrader tree whose files beside the notebook are a link to the grader's key and a "
             "named pipe", full, "manual", ("symbolic link", "named pipe"),
             plant=lambda ctx: [_file(ctx, f"tree_with_links/{PIXELS}/{PIXELS}.ipynb", solved_text(ctx)),
                                _file(ctx, f"tree_with_links/{PIXELS}/notes.txt", link=ctx.out / ".grader-key"),
                                _file(ctx, f"tree_with_links/{PIXELS}/data.csv", pipe=True),
                                _file(ctx, f"tree_with_links/{PIXELS}/readme.txt", "handed in beside the notebook")]))

    # names: a learner id is a folder name in the course, and one learner's folder cannot speak for another
    add(Case("linked_folder", PIXELS, "a learner folder that is a symbolic link to the instructor's solutions/", 0, "not graded",
             ("symbolic link",), not_graded="linked_folder",
             plant=lambda ctx: _file(ctx, "linked_folder", link=ctx.root / "solutions")))
    add(Case("impostor", PIXELS, f"a blank notebook named {HONEST_LAST}_{PIXELS}.ipynb in its own folder: "
             f"graded as {HONEST_LAST} it would replace their submission", 0, "not graded", ("claims learner",), not_graded="impostor",
             plant=lambda ctx: _file(ctx, f"impostor/{HONEST_LAST}_{PIXELS}.ipynb", _text(blank(PIXELS)))))
    add(Case("dot_dot_id", PIXELS, f"learner id `..` (`.._{PIXELS}.ipynb`): its folders would be the course's own", 0, "not graded",
             ("not allowed",), not_graded=f".._{PIXELS}.ipynb",
             plant=lambda ctx: _file(ctx, f".._{PIXELS}.ipynb", _text(blank(PIXELS)))))

    # hand-ins: data until proven safe, scored within the submission's own budget and limits
    add(Case("archive_bomb", PIXELS, "hands in a 1.5 MB .keras file that unpacks to 1.5 GiB", without_holdout, "ok",
             message=("unpacks to",), make=handing_in(_ARCHIVE_BOMB)))
    add(Case("slow_handin", PIXELS, "hands in a model whose predict() sleeps for an hour in the grader's scorer", without_holdout,
             "manual", ("sys.modules",), message=("stopped", "longer than"), make=handing_in(_SLOW_MODEL)))
    add(Case("stderr_handin", PIXELS, "hands in a model that prints the holdout photos' statistics to stderr in the scorer, "
             "then fails", without_holdout, "manual", ("sys.modules",), message=("instructor's log",),
             make=handing_in(_LOUD_MODEL, MARKER=LEAK_MARKER)))

    # clean-up and reasons
    add(Case("deep_tree", PIXELS, "leaves a folder 3,000 levels deep in its workspace", full, "ok",
             make=lambda ctx: _text(solved(PIXELS, flatten_and_scale=_with(answers["flatten_and_scale"],
                                                                           _attack(_DEEP_TREE, FOLDER=deep_folder(ctx)))))))
    add(Case("first_cell_exits", PIXELS, "a cell of its own in front of the notebook calls os._exit: the reason names that "
             "cell, not the grader's code run before it", 0, "error", ("cell 1 (`import os`)",),
             make=lambda ctx: _with_first_cell("import os\nos._exit(1)")))
    return c
