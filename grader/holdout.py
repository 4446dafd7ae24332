"""Model-quality tests on the instructor's photos, decided outside the learner's kernel.

A test cell of the instructor's notebook whose metadata says
``{"practicum": {"holdout": {"model": NAME, "image_size": PX, "threshold": T}}}`` is one: its code
(run in the kernel) trains a model and hands it in with ``practicum.handin.hand_in(model, NAME)``.
After the kernel is gone, ``ScoreHoldout`` copies the handed-in file out of the learner's workspace,
scores it in a sandbox of its own that sees the file and the photos' pixels (shuffled, no labels,
no file names) and writes nothing, compares the predictions with the labels itself and adds a pass
or a failure to the test cell. The spec comes from the instructor's copy of the notebook, never the
learner's; the kernel never learns where the photos are.

Without holdout photos (``practicum check`` on a learner's machine) the validation photos stand in,
and the outcome says so.
"""

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Any, Bool, Dict, Float, Unicode

from grader.course import source_notebook_path
from grader.confine import Limits
from grader.execution import BUDGET_KEY, error_output
from grader.files import Refused, read_regular, remove_tree, size_text
from grader.judge.execute import JUDGE_MODELS_KEY, JUDGED_KEY
from grader.results import Judged
from grader.sandbox import bwrap_command, confine_command
from practicum import paths
from practicum.handin import SUFFIXES
from practicum.tidy import read_notebook

#: The largest model file that is scored; what a Keras file (a zip) may unpack to, and its members.
MAX_MODEL_BYTES = 512 * 2**20
MAX_MODEL_UNPACKED_BYTES = 2 * MAX_MODEL_BYTES
MAX_MODEL_MEMBERS = 100
#: Seconds scoring a model may take at least: it runs within what is left of the submission's budget,
#: but never less than this (nor more than half the budget), so that a notebook that used most of its
#: budget is not failed by the grader's own work.
MIN_SCORING_SECONDS = 60.0
SCORE_FAILED = "HoldoutTestFailed"
#: Cell metadata where the scorer leaves the accuracy it measured, for the feedback page.
SCORE_KEY = "practicum_score"


@dataclass(frozen=True)
class HoldoutTest:
    model: str  # the name the test cell hands the model in under
    image_size: int
    threshold: float
    reference: str = ""  # "stage,metric" of benchmarks/results.csv: the course's number to compare with

    @classmethod
    def from_cell(cls, cell) -> "HoldoutTest | None":
        spec = cell.metadata.get("practicum", {}).get("holdout")
        return cls(str(spec["model"]), int(spec["image_size"]), float(spec["threshold"]), spec.get("reference", "")) if spec else None


def holdout_tests(source_nb) -> dict[str, HoldoutTest]:
    """grade id → its holdout test, for the instructor's notebook."""
    tests = {}
    for cell in source_nb.cells:
        test = HoldoutTest.from_cell(cell)
        if test is not None and utils.is_grade(cell):
            tests[cell.metadata.nbgrader["grade_id"]] = test
    return tests


def copy_handed_in(models: Path, name: str, target: Path, confined_to: Path | None = None) -> Path | None:
    """Copy the model handed in as ``name`` out of the learner's ``build/models`` folder. None when
    there is none; ``Refused`` when it is not a regular file of at most MAX_MODEL_BYTES (a link, a
    named pipe) or, for a Keras file, a zip within MAX_MODEL_MEMBERS and MAX_MODEL_UNPACKED_BYTES. With
    ``confined_to`` (the learner's workspace), no folder between it and the file may be a link
    either: one could point at someone else's model."""
    if confined_to is not None:
        between = [models, *(folder for folder in models.parents if confined_to in folder.parents)]
        linked = next((folder for folder in between if folder.is_symlink()), None)
        if linked is not None:
            raise Refused(f"{linked.relative_to(confined_to)} is a symbolic link")
    for suffix in SUFFIXES:
        source = models / f"{name}{suffix}"
        if not os.path.lexists(source):
            continue
        destination = target / f"model{suffix}"
        destination.write_bytes(read_regular(source, MAX_MODEL_BYTES))
        if suffix == ".keras":
            check_archive(destination)
        return destination
    return None


def check_archive(model_file: Path) -> None:
    """``Refused`` unless ``model_file`` is a zip whose members are few and small enough, unpacked, to load."""
    try:
        with zipfile.ZipFile(model_file) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError):
        raise Refused("not a Keras file (.keras files are zip archives): save it with model.save()") from None
    unpacked = sum(member.file_size for member in members)
    if len(members) > MAX_MODEL_MEMBERS or unpacked > MAX_MODEL_UNPACKED_BYTES:
        raise Refused(f"it unpacks to {len(members)} files and {size_text(unpacked)} (at most {MAX_MODEL_MEMBERS} files "
                      f"and {size_text(MAX_MODEL_UNPACKED_BYTES)})")


def predict_outside(model_file: Path, images: np.ndarray, limits: Limits, sandboxed: bool, timeout: float, group: str = "",
                    log: logging.Logger | None = None) -> np.ndarray:
    """The labels (0 cat, 1 dog) that the model file predicts for ``images``, from a sandboxed
    process that sees only those two files, within ``limits`` and ``timeout`` seconds, in the
    submission's control group ``group`` (its memory limit covers the scorer too, and the watchdog's
    kill reaches it). Raises RuntimeError with a reason the grader wrote: whatever the model's code
    prints goes to ``log`` (the instructor's), never to the learner."""
    with tempfile.TemporaryDirectory(prefix="practicum-score-") as folder:
        folder = Path(folder)
        np.save(folder / "images.npy", images)
        command = [sys.executable, "-m", "grader.score_model", str(model_file), str(folder / "images.npy")]
        if sandboxed:
            command = bwrap_command(command, workspace=folder, runtime=folder, readable=[model_file.parent, paths.ROOT / "grader"], env={},
                                    writable=False)
        command = confine_command(command, limits, group=group or None)
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
        env.pop("PRACTICUM_HOLDOUT_DIR", None)
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout, env=env, cwd=folder)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"scoring the model took longer than {timeout:g} s") from None
    if done.returncode != 0:
        stderr = done.stderr.decode(errors="replace").strip()
        if log is not None:
            log.warning("scoring %s failed (exit status %s); the scorer's stderr ends:\n%s", model_file.name, done.returncode,
                        "\n".join(stderr.splitlines()[-20:]))
        raise RuntimeError(_scoring_failure(done.returncode, stderr))
    try:
        predictions = np.asarray(json.loads(done.stdout), dtype=np.int64)
    except (ValueError, TypeError):
        raise RuntimeError("the saved model's predictions were not a list of labels") from None
    if predictions.shape != (len(images),) or not np.isin(predictions, (0, 1)).all():
        raise RuntimeError(f"the saved model gave {predictions.size} predictions for {len(images)} photos, or labels other than 0 and 1")
    return predictions


def _scoring_failure(returncode: int, stderr: str) -> str:
    """What a learner reads when their model could not be scored: the grader's words, never the scorer's output."""
    if returncode < 0:
        return "scoring the saved model was stopped: it used more memory or time than the submission may"
    if "Lambda" in stderr or "safe_mode" in stderr:
        return ("the saved model holds code (a Lambda layer or a custom object), which the grader does not load: "
                "build it from Keras layers only")
    return "the saved model could not be loaded and scored (the instructor's log has the details)"


class ScoreHoldout(NbGraderPreprocessor):
    """After execution: decide each holdout test cell by scoring its handed-in model outside."""

    source_directory = Unicode("", help="The course's source folder: <source_directory>/<assignment>/<notebook>.ipynb; "
                                        "'' reads the tests from the notebook itself (a learner's self-check)").tag(config=True)
    models_directory = Unicode(help="The learner's build/models folder, where handed-in models are").tag(config=True)
    workspace = Unicode("", help="The learner's workspace, when the grader made it: nothing in it is followed out of it").tag(config=True)
    holdout = Unicode("", help="The instructor's photos (cats/, dogs/); '' scores on the validation photos instead").tag(config=True)
    require_holdout = Bool(False, help="Fail holdout tests when no holdout folder is given (grading), instead of "
                                       "scoring on the validation photos (a self-check)").tag(config=True)
    sandboxed = Bool(True).tag(config=True)
    limits = Dict(help="grader.confine.Limits as a dict").tag(config=True)
    timeout = Float(300.0, help="Seconds the scoring of one model may take, at most").tag(config=True)
    group = Unicode("", help="The submission's control group, which the scorer joins ('' for none)").tag(config=True)
    instructor_log = Any(None, help="A logging.Logger for what the instructor alone reads (the scorer's stderr); None: this "
                                    "preprocessor's own log").tag(config=True)

    def preprocess(self, nb, resources):
        judged = resources.pop(JUDGE_MODELS_KEY, None)  # the models the judge's tests handed in (grader.judge)
        self._judged_models = Path(judged) if judged else None
        try:
            return self._preprocess(nb, resources)
        finally:
            if self._judged_models is not None:
                remove_tree(self._judged_models.parent)

    def _preprocess(self, nb, resources):
        if self.source_directory:
            self._tests = holdout_tests(read_notebook(source_notebook_path(self.source_directory, resources)))
        else:
            self._tests = holdout_tests(nb)
        self._photos = {}
        return super().preprocess(nb, resources)

    def _load(self, image_size: int):
        if image_size not in self._photos:
            from practicum import data

            if self.holdout:  # decoded into the grader's cache, in a folder of its own that no kernel is lent
                images, labels = data.load_arrays(image_size=image_size, folder=self.holdout)
            else:
                images, labels = data.load_arrays("validation", image_size=image_size)
            order = np.random.default_rng().permutation(len(labels))  # the scorer sees no order to exploit
            self._photos[image_size] = (images[order], labels[order])
        return self._photos[image_size]

    def _seconds(self, resources) -> float:
        """What is left of the submission's budget (``BudgetedExecute`` leaves its deadline in the
        resources), between MIN_SCORING_SECONDS (or half the budget) and ``timeout``."""
        budget = resources.get(BUDGET_KEY)
        if budget is None:
            return self.timeout
        left = budget["deadline"] - time.monotonic()
        return min(self.timeout, max(left, min(MIN_SCORING_SECONDS, budget["seconds"] / 2)))

    def preprocess_cell(self, cell, resources, index):
        cell.metadata.pop(SCORE_KEY, None)  # only the scorer writes it, never the learner's notebook
        test = self._tests.get(cell.metadata.get("nbgrader", {}).get("grade_id")) if cell.cell_type == "code" else None
        if test is None or any(out.output_type == "error" for out in cell.outputs):
            return cell, resources  # not a holdout test, or its part in the kernel failed already
        if self.require_holdout and not self.holdout:
            cell.outputs.append(error_output(SCORE_FAILED, "the grader was given no holdout photos to score this model on "
                                                           "(instructors: practicum grade --holdout FOLDER)"))
            return cell, resources
        photos = "the instructor's photos" if self.holdout else "the validation photos (the grader uses the instructor's)"
        with tempfile.TemporaryDirectory(prefix="practicum-model-") as folder:
            judged = cell.metadata.get(JUDGED_KEY) == Judged.OUTSIDE.value and self._judged_models is not None
            try:  # a model the judge's test rebuilt and handed in lies in a folder of the grader's; one that stayed in
                #   the learner's kernel (a scikit-learn pipeline behind a handle) was handed in there, in the workspace
                model_file = copy_handed_in(self._judged_models, test.model, Path(folder)) if judged else None
                if model_file is None:
                    model_file = copy_handed_in(Path(self.models_directory), test.model, Path(folder),
                                                Path(self.workspace) if self.workspace else None)
            except Refused as why:
                cell.outputs.append(error_output(SCORE_FAILED, f"the model handed in as {test.model!r} was not scored: {why}"))
                return cell, resources
            if model_file is None:
                cell.outputs.append(error_output(SCORE_FAILED, f"no model was handed in as {test.model!r}: the test cell saves it "
                                                               "with hand_in(model, ...); did it run to the end?"))
                return cell, resources
            images, labels = self._load(test.image_size)
            try:
                predicted = predict_outside(model_file, images, Limits(**self.limits), self.sandboxed, self._seconds(resources),
                                            self.group, self.instructor_log or self.log)
            except RuntimeError as error:
                cell.outputs.append(error_output(SCORE_FAILED, str(error)))
                return cell, resources
        accuracy = float(np.mean(predicted == labels))
        cell.metadata[SCORE_KEY] = {"holdout_accuracy": accuracy} if self.holdout else {}
        line = f"accuracy on {photos}: {accuracy:.3f} (at least {test.threshold:g} needed)"
        if accuracy >= test.threshold:
            cell.outputs.append(new_output("stream", name="stdout", text=f"✓ {line}\n"))
        else:
            cell.outputs.append(error_output(SCORE_FAILED, f"✗ {line}"))
        return cell, resources
