"""What crosses between the judge and the learner's kernel: data, never code or pickles.

A value crosses as one ``.npz`` file read with ``allow_pickle=False``: its arrays, and a JSON
description of the structure around them. Data is ``None``, booleans, numbers, strings, numpy
arrays (of numbers, booleans or strings) and lists, tuples and dicts of those. A Keras layer or model
crosses as data too: its configuration (JSON), its weights (arrays) and its compile configuration,
built anew on the other side by Keras in safe mode (Keras' own classes only: no Lambda layer, no
class of the learner's). Anything else (a fitted scikit-learn model) stays where it was made and
crosses as a *handle*: a number that names it in the kernel that keeps it, with its type's name and
whether it can be called.

This module is also the learner's side of the conversation: the judge sends its source to the
learner's kernel, which runs ``serve`` for each request (see ``grader.judge.peer``). It imports
nothing but numpy and the standard library, so that it runs in any kernel. What the learner's kernel
does with it is the learner's business: the judge decodes whatever comes back as data (``decode``
refuses anything else), so a kernel that tampers with ``serve`` can only change the values its
answers return, which is what the tests judge anyway.
"""

import io
import json
import math

import numpy as np

#: Limits on one message: nesting, items in all, characters of one string.
MAX_DEPTH = 32
MAX_ITEMS = 100_000
MAX_TEXT = 4_000_000
META = "__structure__"


class NotData(TypeError):
    """A value that cannot cross as data (and no handle can be made for it)."""


def encode(value, handle=None, reference=None, recipe=None) -> bytes:
    """``value`` as npz bytes. ``handle(obj)`` gives a handle's description ``{"id", "type", "callable"}``
    for an object that is not data; without it, such an object raises NotData. ``reference(obj)`` gives
    the id of the handle that ``obj`` stands for (the judge sends a handle back), or the name of the
    notebook global it is (a data set the instructor's cells made, which the learner's kernel made too
    under the same name), or None. ``recipe(obj)``
    gives ``(module, class name, parameters)`` for an object the other side builds anew (a scikit-learn
    estimator the judge passes to an answer: built where the answer runs), or None."""
    arrays: dict[str, np.ndarray] = {}
    count = [0]

    def walk(item, depth):
        count[0] += 1
        if depth > MAX_DEPTH or count[0] > MAX_ITEMS:
            raise NotData("the value is nested too deeply or holds too many items")
        if item is None or type(item) in (bool, int, str):
            return {"t": "v", "v": item}
        if type(item) is float:
            return {"t": "f", "v": repr(item)}  # keeps nan and inf, which JSON has no words for
        if isinstance(item, np.generic) and item.dtype.kind in "biufUS":
            return walk(item.item(), depth)
        if isinstance(item, np.ndarray):
            array = np.asarray(item)  # a subclass crosses as a plain array
            if array.dtype.kind == "O":
                return {"t": "list", "v": [walk(x, depth + 1) for x in array.tolist()]}
            if array.dtype.kind not in "biufcUS":
                raise NotData(f"an array of {array.dtype} cannot cross")
            key = f"a{len(arrays)}"
            arrays[key] = np.ascontiguousarray(array)
            return {"t": "array", "v": key}
        if type(item) in (list, tuple):
            return {"t": type(item).__name__, "v": [walk(x, depth + 1) for x in item]}
        if type(item) is dict:
            return {"t": "dict", "v": [[walk(k, depth + 1), walk(v, depth + 1)] for k, v in item.items()]}
        if is_keras_layer(item):
            return {"t": "keras", "v": walk(keras_state(item), depth + 1)}
        found = reference(item) if reference is not None else None
        if isinstance(found, int):
            return {"t": "ref", "v": found}
        if isinstance(found, str):
            return {"t": "global", "v": found}
        how = recipe(item) if recipe is not None else None
        if how is not None:
            module, name, parameters = how
            return {"t": "new", "v": [str(module), str(name), walk(dict(parameters), depth + 1)]}
        if handle is None:
            raise NotData(f"a {type(item).__name__} is not data: it cannot cross to the other kernel")
        return {"t": "handle", "v": handle(item)}

    structure = walk(value, 0)
    buffer = io.BytesIO()
    np.savez(buffer, **{META: np.frombuffer(json.dumps(structure).encode(), np.uint8)}, **arrays)
    return buffer.getvalue()


def decode(payload: bytes, handle=None, reference=None, build_new=None, named=None):
    """The value ``encode`` wrote. ``handle(description)`` makes the object that stands for a handle;
    ``reference(id)`` gives back the object a handle id names (the kernel that keeps it); ``named(name)``
    the notebook global of that name (the learner's kernel);
    ``build_new(module, class name, parameters)`` builds an object sent as a recipe. Raises NotData for
    anything malformed or not data."""
    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
        structure = json.loads(arrays.pop(META).tobytes().decode())
    except (ValueError, KeyError, OSError, UnicodeDecodeError, EOFError) as error:
        raise NotData(f"not a message of the judge's ({error})") from None
    count = [0]

    def build(node, depth):
        count[0] += 1
        if depth > MAX_DEPTH or count[0] > MAX_ITEMS or not isinstance(node, dict):
            raise NotData("malformed message")
        kind, value = node.get("t"), node.get("v")
        if kind == "v" and (value is None or type(value) in (bool, int, str)):
            if type(value) is str and len(value) > MAX_TEXT:
                raise NotData("a string too long to cross")
            return value
        if kind == "f" and type(value) is str:
            number = float(value)
            return number if math.isfinite(number) or value in ("nan", "inf", "-inf") else float("nan")
        if kind == "array" and value in arrays:
            return arrays[value]
        if kind in ("list", "tuple") and type(value) is list:
            items = [build(item, depth + 1) for item in value]
            return items if kind == "list" else tuple(items)
        if kind == "dict" and type(value) is list:
            result = {}
            for pair in value:
                if type(pair) is not list or len(pair) != 2:
                    raise NotData("malformed message")
                key = build(pair[0], depth + 1)
                if type(key) not in (str, int, float, bool, tuple) and key is not None:
                    raise NotData("a dict key that is not a plain value")
                result[key] = build(pair[1], depth + 1)
            return result
        if kind == "handle" and handle is not None and isinstance(value, dict):
            return handle(value)
        if kind == "ref" and reference is not None and type(value) is int:
            return reference(value)
        if kind == "global" and named is not None and type(value) is str:
            return named(value)
        if kind == "keras":
            state = build(value, depth + 1)
            if type(state) is not dict or set(state) != {"config", "weights", "compile", "iterations"}:
                raise NotData("malformed message")
            return keras_from_state(state)
        if kind == "new" and build_new is not None and type(value) is list and len(value) == 3:
            parameters = build(value[2], depth + 1)
            if type(value[0]) is str and type(value[1]) is str and type(parameters) is dict:
                return build_new(value[0], value[1], parameters)
        raise NotData("malformed message")

    return build(structure, 0)


def is_keras_layer(item) -> bool:
    """A Keras layer or model (of Keras' classes or a subclass of them)."""
    return any(cls.__name__ == "Layer" and cls.__module__.split(".")[0] == "keras" for cls in type(item).__mro__)


def keras_state(layer) -> dict:
    """A Keras layer or model as data: its configuration (JSON, with every layer's ``trainable``), its weights,
    and for a compiled model its compile configuration and its optimiser's step count."""
    import keras

    optimizer = getattr(layer, "optimizer", None)
    compiled = layer.get_compile_config() if callable(getattr(layer, "get_compile_config", None)) and optimizer is not None else None
    iterations = getattr(optimizer, "iterations", None)
    return {"config": json.dumps(keras.saving.serialize_keras_object(layer)),
            "weights": [np.asarray(keras.ops.convert_to_numpy(weight)) for weight in layer.weights],
            "compile": json.dumps(compiled) if compiled else "",
            "iterations": int(keras.ops.convert_to_numpy(iterations)) if iterations is not None else -1}


def keras_from_state(state: dict):
    """The layer or model ``keras_state`` described, built anew by Keras in safe mode: only Keras' own classes,
    no code from the message. Raises NotData for a configuration Keras will not build (a Lambda layer, a class
    of the learner's own)."""
    import keras

    try:
        layer = keras.saving.deserialize_keras_object(json.loads(state["config"]), safe_mode=True)
        if state["weights"]:
            for weight, value in zip(layer.weights, state["weights"], strict=True):
                weight.assign(value)
        if state["compile"]:
            layer.compile_from_config(json.loads(state["compile"]))
            if state["iterations"] >= 0:
                layer.optimizer.build(layer.trainable_variables)
                layer.optimizer.iterations.assign(state["iterations"])
    except Exception as error:  # noqa: BLE001 — whatever Keras refuses, the message says so in one line
        raise NotData(f"a Keras model that cannot be rebuilt from Keras' own layers ({type(error).__name__}: "
                      f"{str(error)[:200]}); build it from Keras layers only, no Lambda layer or layer class of your own") from None
    return layer


def _build_new(module: str, name: str, parameters: dict):
    """An object the judge sent as a recipe: a scikit-learn estimator, made here with its parameters."""
    import importlib

    if module.split(".")[0] != "sklearn":
        raise NotData(f"only scikit-learn estimators are built from a recipe, not {module}.{name}")
    owner = importlib.import_module(module)
    for part in name.split("."):
        owner = getattr(owner, part)
    return owner(**parameters)


def serve(request_file: str, reply_file: str, namespace: dict, kept: dict) -> None:
    """The learner's side: answer the request in ``request_file`` (a call, an attribute, a name's
    value) from ``namespace`` (the notebook's globals) and the objects ``kept`` for earlier handles,
    and write the reply to ``reply_file``: ``{"value": ...}`` or ``{"error": [type name, message]}``."""

    def keep(obj):
        kept[len(kept) + 1] = obj
        return {"id": len(kept), "type": type(obj).__name__, "callable": callable(obj)}

    try:
        with open(request_file, "rb") as stream:
            request = decode(stream.read(), reference=lambda number: kept[number], build_new=_build_new, named=lambda name: namespace[name])
        if "name" in request and request["name"] not in namespace:
            raise NameError(f"name {request['name']!r} is not defined")
        target = namespace[request["name"]] if "name" in request else kept[request["handle"]]
        operation = request["op"]
        if operation == "value":
            value = target
        elif operation == "call":
            if request.get("seed") is not None:  # practicum.checks.seeded: the same random state, whatever ran before
                import keras

                keras.utils.set_random_seed(int(request["seed"]))
            value = target(*request["args"], **request["kwargs"])
        elif operation == "getattr":
            value = getattr(target, request["attribute"])
        elif operation == "hand_in":
            from practicum.handin import hand_in

            value = str(hand_in(target, request["as"]))
        elif operation == "calls_to":
            import importlib

            from practicum.checks import calls_to

            watched = []
            for module, name in request["watched"]:
                owner = importlib.import_module(module)
                for part in name.split("."):
                    owner = getattr(owner, part)
                watched.append(owner)
            value = list(calls_to(watched, target, *request["args"], **request["kwargs"]))
        else:
            raise ValueError(f"unknown request {operation!r}")
        reply = encode({"value": value}, keep)
    except Exception as error:  # the learner's code raised: the judge's test reports it
        reply = encode({"error": [type(error).__name__, str(error)[:2000]]})
    with open(reply_file, "wb") as stream:
        stream.write(reply)
