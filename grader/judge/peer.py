"""The judge's side of the conversation: the learner's names, as the tests in the judge see them.

The judge kernel runs the instructor's cells; where the instructor's notebook has an answer cell,
it runs ``bind(globals(), names)`` instead, which puts a stand-in under each name the answer defines:

- the value itself when the learner's kernel holds data under that name (a number, an array, ...);
- a ``Remote`` for anything else: calling it, or an attribute of it, sends a request to the
  learner's kernel (``grader.judge.wire.serve`` runs it there) and brings the result back as data,
  or as another ``Remote`` when the result is not data (a fitted model).

Arguments cross the same way: the test's arrays and numbers as data, a ``Remote`` as the handle it
stands for. A request waits for the learner's kernel within the judge cell's time; when the judge is
interrupted (the notebook's budget ran out) the learner's kernel is interrupted too. An exception
raised by the learner's code is raised again here: the builtin class of the same name (so that
``check`` says "not implemented yet" for a ``NotImplementedError``), else a ``LearnerError`` named
after it. Whatever happens in the learner's kernel, only data and error names come back.
"""

import builtins
import json
import os
import queue
import secrets
import sys
import time
from pathlib import Path

from jupyter_client import BlockingKernelClient

from grader.files import Refused, read_regular
from grader.judge import wire
from practicum.checks import HIDDEN_SEED_ENV

#: The largest reply read back from the learner's kernel.
MAX_REPLY_BYTES = 512 * 2**20
#: What the learner's code may print during one request (shown in the test cell's output).
MAX_PRINTED = 20_000
#: Seconds without a heartbeat after which the learner's kernel is taken for dead.
SILENCE = 10.0
#: The environment variable that names the file with the learner's kernel's connection and where requests go.
PEER_ENV = "PRACTICUM_JUDGE_PEER"


class LearnerError(Exception):
    """The learner's code raised an exception whose class is not a builtin one; its class is named after it."""


class LearnerGone(RuntimeError):
    """The learner's kernel died or stopped answering."""


def learner_error(name: str, message: str) -> Exception:
    """The exception to raise here for one the learner's code raised: data in, a judge-side class out."""
    known = getattr(builtins, name, None)
    if isinstance(known, type) and issubclass(known, Exception) and not issubclass(known, (SystemExit, KeyboardInterrupt)):
        try:
            return known(message)
        except TypeError:  # a builtin whose constructor wants more (UnicodeDecodeError)
            pass
    label = "".join(ch for ch in name if ch.isalnum() or ch == "_")[:60] or "Error"
    return type(label, (LearnerError,), {})(message)


def estimator_recipe(item) -> tuple[str, str, dict] | None:
    """How the learner's kernel builds a scikit-learn estimator the judge passes to an answer: its class
    and parameters (an estimator the test fitted would cross unfitted: tests pass fresh ones)."""
    cls = type(item)
    if cls.__module__.split(".")[0] == "sklearn" and callable(getattr(item, "get_params", None)):
        return cls.__module__, cls.__qualname__, item.get_params(deep=False)
    return None


class Learner:
    """A client of the learner's kernel, and the folder that requests and replies pass through."""

    def __init__(self, connection: dict, exchange: Path):
        self.exchange = Path(exchange)
        self.client = BlockingKernelClient()
        self.client.load_connection_info(connection)
        self.client.start_channels()
        self.server = f"_practicum_judge_{secrets.token_hex(6)}"
        self.namespace: dict = {}  # the judge's globals, once bind() has seen them
        self.source = Path(wire.__file__).read_text()

    def close(self) -> None:
        self.client.stop_channels()

    def request(self, message: dict):
        """Send ``message`` (see ``wire.serve``); the value that comes back, or the learner's exception raised."""
        token = secrets.token_hex(8)
        request, reply = self.exchange / f"request-{token}.npz", self.exchange / f"reply-{token}.npz"
        descriptor = os.open(request, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(wire.encode(message, reference=self._reference,
                                     recipe=estimator_recipe))
        try:
            self._run(f"try:\n    {self.server}\nexcept NameError:\n    {self.server} = {{}}\n    exec({self.source!r}, {self.server})\n"
                      f"{self.server}['serve']({str(request)!r}, {str(reply)!r}, globals(), {self.server}.setdefault('kept', {{}}))")
            try:
                answer = wire.decode(read_regular(reply, MAX_REPLY_BYTES), handle=lambda description: Remote(self, description))
            except (Refused, wire.NotData) as error:
                raise LearnerGone(f"your notebook gave the test no answer it could read ({error})") from None
        finally:
            for path in (request, reply):
                try:
                    os.unlink(path)
                except OSError:
                    pass
        if not isinstance(answer, dict) or not ({"value"} == set(answer) or {"error"} == set(answer)):
            raise LearnerGone("your notebook gave the test no answer it could read")
        if "error" in answer:
            name, text = (list(answer["error"]) + ["", ""])[:2]
            raise learner_error(str(name), str(text))
        return answer["value"]

    def _reference(self, item) -> int | str | None:
        """How an argument that is not data reaches the learner's kernel: the handle a Remote stands for, or
        the name of the judge's global it is (``train_data``: the learner's kernel made its own from the same
        locked cell); None when it cannot cross."""
        if isinstance(item, Remote):
            return item.handle_id
        return next((name for name, value in self.namespace.items() if value is item and not name.startswith("_")), None)

    def _run(self, code: str) -> None:
        """Execute ``code`` in the learner's kernel and wait for it, echoing what it prints to stdout."""
        msg_id = self.client.execute(code, silent=True, store_history=False, allow_stdin=False)
        printed, heard = 0, time.monotonic()
        try:
            while True:
                try:
                    message = self.client.get_shell_msg(timeout=0.2)
                except queue.Empty:
                    printed = self._echo(msg_id, printed)
                    if self.client.hb_channel.is_beating():
                        heard = time.monotonic()
                    elif time.monotonic() - heard > SILENCE:
                        raise LearnerGone("your notebook's kernel stopped answering (it died or hangs)") from None
                    continue
                if message.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                self._echo(msg_id, printed)
                content = message.get("content", {})
                if content.get("status") != "ok":
                    raise LearnerGone(f"your notebook could not answer the test ({content.get('ename', 'an error')}: "
                                      f"{str(content.get('evalue', ''))[:300]})")
                return
        except KeyboardInterrupt:  # the judge ran out of time: so does the learner's code
            self.client.control_channel.send(self.client.session.msg("interrupt_request", {}))
            raise

    def _echo(self, msg_id: str, printed: int) -> int:
        """Print what the learner's code wrote to stdout during this request (up to MAX_PRINTED characters)."""
        while True:
            try:
                message = self.client.get_iopub_msg(timeout=0)
            except queue.Empty:
                return printed
            if message.get("parent_header", {}).get("msg_id") != msg_id or message.get("msg_type") != "stream":
                continue
            if message["content"].get("name") == "stdout" and printed < MAX_PRINTED:
                text = str(message["content"].get("text", ""))[:MAX_PRINTED - printed]
                sys.stdout.write(text)
                printed += len(text)


class Remote:
    """Something the learner's kernel keeps: a name of its notebook, or a handle to an object."""

    __slots__ = ("_learner", "_target", "_label", "handle_id")

    def __init__(self, learner: Learner, description: dict, name: str | None = None):
        self._learner = learner
        self.handle_id = None if name else int(description.get("id", 0))
        self._target = {"name": name} if name else {"handle": self.handle_id}
        self._label = name or f"a {str(description.get('type', 'object'))[:60]} from your notebook"

    def __call__(self, *args, **kwargs):
        return self._learner.request({"op": "call", **self._target, "args": list(args), "kwargs": kwargs})

    def __getattr__(self, attribute: str):
        if attribute.startswith("__"):  # numpy, copy and pickle look for protocols: they are not the learner's to answer
            raise AttributeError(attribute)
        return self._learner.request({"op": "getattr", **self._target, "attribute": attribute})

    def __repr__(self) -> str:
        return f"<{self._label}>"

    def _practicum_hand_in(self, name: str) -> Path:
        """``practicum.handin.hand_in`` run where the model is: the file lands in the learner's workspace."""
        return Path(self._learner.request({"op": "hand_in", **self._target, "as": name}))

    def _practicum_seeded_call(self, seed: int, args, kwargs):
        """``practicum.checks.seeded`` run where the answer is: its kernel seeded, then the call."""
        return self._learner.request({"op": "call", **self._target, "args": list(args), "kwargs": kwargs, "seed": int(seed)})

    def _practicum_calls_to(self, watched, args, kwargs):
        """``practicum.checks.calls_to`` run where the answer is: (result, names of ``watched`` it called)."""
        result, names = self._learner.request({"op": "calls_to", **self._target, "args": list(args), "kwargs": kwargs,
                                               "watched": [[f.__module__, f.__qualname__] for f in watched]})
        return result, names


def connect() -> Learner:
    """A client of the learner's kernel, from the file that ``$PRACTICUM_JUDGE_PEER`` names (the grader wrote it);
    the seed of the learner's hidden inputs goes into this kernel's environment."""
    peer = json.loads(Path(os.environ[PEER_ENV]).read_text())
    if peer.get("seed"):  # the hidden tests draw this learner's inputs (practicum.checks.per_learner_rng)
        os.environ[HIDDEN_SEED_ENV] = peer["seed"]
    return Learner(peer["connection"], Path(peer["exchange"]))


def bind(namespace: dict, names: list[str], peer: Learner) -> None:
    """Put the stand-ins for the learner's ``names`` into the judge's ``namespace`` (see the module's docstring)."""
    peer.namespace = namespace
    for name in names:
        namespace.pop(name, None)
        try:
            value = peer.request({"op": "value", "name": name})
        except NameError:  # the test meets the missing name, as it would in the learner's kernel
            continue
        namespace[name] = Remote(peer, {}, name=name) if isinstance(value, Remote) else value
