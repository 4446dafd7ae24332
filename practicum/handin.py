"""Hand a trained model in, for the grader to score on photos the learner never sees.

A test cell that grades a model's quality calls ``hand_in(model, name)``; the grader then scores the
saved file outside the learner's kernel, on the instructor's holdout photos, and the threshold it uses
is read from the instructor's copy of the exercise (the test cell's ``metadata.practicum.holdout``),
never from the learner's notebook. Two kinds of model can be handed in:

- a Keras model, saved as ``build/models/<name>.keras``: it takes raw RGB photos (float 0–255, any
  size) and outputs P(dog); the grader loads it with ``keras.saving.load_model(safe_mode=True)``,
  which runs no code saved in the file, so the model must be built from Keras' own layers: a
  ``Lambda`` layer or a layer class of your own is refused here, when it is handed in, rather than
  at grading;
- anything else with a ``.predict(images)`` method (a scikit-learn pipeline that computes its own
  features), saved with cloudpickle as ``build/models/<name>.pkl``: it takes ``uint8`` photos of
  ``(n, size, size, 3)`` and returns labels, 0 for cat and 1 for dog.
"""

from pathlib import Path

from practicum import paths
from practicum.checks import ExpectationFailed

SUFFIXES = (".keras", ".pkl")


def _is_keras_model(model) -> bool:
    return any(cls.__module__.startswith("keras") and cls.__name__ in {"Model", "Functional", "Sequential"}
               for cls in type(model).__mro__)


def code_layers(layer) -> list[str]:
    """The parts of a Keras model (itself, its layers, nested models' layers) that hold Python code of their own:
    ``Lambda`` layers and classes defined outside Keras, which a safe-mode load refuses. As ``'name (Class)'``."""
    found = []
    if type(layer).__name__ == "Lambda" or not type(layer).__module__.startswith("keras"):
        found.append(f"{layer.name} ({type(layer).__name__})")
    for inner in getattr(layer, "layers", []):
        found += code_layers(inner)
    return found


def handin_path(name: str, suffix: str) -> Path:
    target = paths.build_dir() / "models" / f"{name}{suffix}"
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def hand_in(model, name: str) -> Path:
    """Save ``model`` where the grader looks for ``name``; return the file's path."""
    elsewhere = getattr(type(model), "_practicum_hand_in", None)
    if elsewhere is not None:  # the grader's judge holds a stand-in: the model is saved where it lives
        return elsewhere(model, name)
    for stale in SUFFIXES:  # a model handed in earlier under another format must not be scored instead
        handin_path(name, stale).unlink(missing_ok=True)
    if _is_keras_model(model):
        refused = code_layers(model)
        if refused:
            raise ExpectationFailed(f"the model holds code the grader will not run: {', '.join(refused[:3])}",
                                    hint="build it from Keras layers only (keras.layers.Rescaling, Resizing, Normalization, ... "
                                         "instead of a Lambda layer): the grader loads it with safe_mode=True")
        target = handin_path(name, ".keras")
        model.save(target)
        return target
    if not callable(getattr(model, "predict", None)):
        raise TypeError(f"hand_in needs a Keras model or an object with a .predict method, got {type(model).__name__}")
    import cloudpickle  # pickles functions defined in the notebook by value, so the grader can load them

    target = handin_path(name, ".pkl")
    target.write_bytes(cloudpickle.dumps(model))
    return target
