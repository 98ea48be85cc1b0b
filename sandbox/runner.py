"""run(): one program, one fresh container, every control applied, nothing left behind.

The sequence, and why each step is done this way:

1. Refuse bad input before touching the engine (type, length, NUL bytes, empty code).
2. Create the container with a unique name and the kit's labels, so that even an interrupt
   between "the engine made it" and "we learned its id" cannot leak it.
3. Attach to its output *before* starting it, so not a byte is missed, and read the stream
   in a thread that stops at the output cap.
4. Start it and keep the clock on the host: `docker wait`'s timeout is only an HTTP read
   timeout, and `timeout docker run` kills the client, not the container. When the clock runs
   out the kit sends SIGKILL itself.
5. Read the engine's verdict (`ExitCode`, `OOMKilled`) and classify it (outcome.py).
6. Remove the container in every path: success, error, timeout, OOM, an exception in this
   code, KeyboardInterrupt.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from typing import Any, Callable, Iterator

import requests
from docker.errors import APIError, NotFound

from . import engine, network
from . import result as R
from .errors import (EngineUnavailable, InvalidCode, InvalidLimits, OutputCallbackError,
                     RunRefused, SandboxError)
from .languages import LANGUAGES
from .limits import HARDENED, Limits
from .options import container_options
from .outcome import Facts, Verdict, classify
from .output import CappedOutput
from .text import clip

MAX_CODE_CHARS = 5000  # the seed's limit

# Each language's code is handed over as one argv element (languages.py), so the host never
# writes a file the sandboxed code could later reach (or swap for a symlink).

OutputCallback = Callable[[str, str], None]


def run(
    code: str,
    limits: Limits | None = None,
    *,
    language: str = "python",
    image: str | None = None,
    env: dict[str, str] | None = None,
    on_output: OutputCallback | None = None,
    cancel: threading.Event | None = None,
) -> R.Result:
    """Run `code` in a fresh container under `limits` (the hardened profile by default).

    >>> from sandbox import run, PROFILES
    >>> run("print(2 + 2)").stdout                                   # doctest: +SKIP
    '4\\n'
    >>> run("while True: pass", PROFILES["hardened"].replace(timeout_s=2)).message  # doctest: +SKIP
    'Execution timed out after 2 seconds'

    `env` adds environment variables (the hardened profile passes none); `on_output(stream,
    text)` is called from a reader thread as output arrives ("stdout" or "stderr"); setting the
    `cancel` event kills the run at once (status `killed`, e.g. when a web client hung up).
    Raises InvalidCode, InvalidLimits, EngineUnavailable or ImageMissing before any container
    starts; everything that happens to the program itself is reported in the Result.
    """
    limits = _check_limits(limits)
    command = program_argv(code, language)
    image = image or LANGUAGES[language].image
    with prepare(limits, command, role="run", image=image, env=env) as (client, options):
        return ContainerRun(client, options, limits, on_output, cancel, language).execute()


@contextlib.contextmanager
def prepare(limits: Limits, command: list[str], *, role: str, image: str | None = None,
             env: dict[str, str] | None = None) -> Iterator[tuple[Any, dict]]:
    """The engine client and the create options for one container, its network made and removed.

    Shared by `run` and the audit, so the audited container is exactly the one a run would get.
    """
    environment = _check_env(env)
    image = image or engine.IMAGE
    client = engine.client()
    with contextlib.ExitStack() as stack:
        with engine.translated_errors("preparing the run"):
            engine.ensure_image(image)
            network_name = stack.enter_context(network.isolated()) if limits.network == "internal" else None
        options = container_options(limits, image=image, command=command, labels=engine.labels(role),
                                    network_name=network_name, environment=environment)
        options["name"] = f"safe-python-{role}-{uuid.uuid4().hex[:16]}"
        yield client, options


def program_argv(code: object, language: str = "python") -> list[str]:
    """The program's argv for `code` (the language's command, then the code as one argument),
    after refusing anything that cannot run."""
    if not isinstance(language, str) or not language.strip():
        raise InvalidCode("language must be a non-empty string such as 'python'.")
    if language not in LANGUAGES:
        raise InvalidCode(f"Language {language!r} is not supported. Supported: {', '.join(LANGUAGES)}.")
    check_code(code)
    return [*LANGUAGES[language].command, code]  # type: ignore[list-item]


def check_code(code: object) -> None:
    """Raise InvalidCode unless `code` is a non-empty str of at most MAX_CODE_CHARS characters."""
    if not isinstance(code, str):
        raise InvalidCode(f"code must be a string of source code, not {type(code).__name__}.")
    if not code.strip():
        raise InvalidCode("code is empty: there is nothing to run.")
    if len(code) > MAX_CODE_CHARS:
        raise InvalidCode(f"code is {len(code)} characters long; the limit is {MAX_CODE_CHARS}.")
    if "\x00" in code:
        raise InvalidCode("code contains a NUL character (\\x00), which program source cannot hold.")
    try:
        code.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidCode(f"code is not valid Unicode text (character {exc.start} cannot be encoded).") from exc


def _check_limits(limits: object) -> Limits:
    if limits is None:
        return HARDENED
    if not isinstance(limits, Limits):
        raise InvalidLimits(f"limits must be a sandbox.Limits (e.g. PROFILES['hardened']), not {type(limits).__name__}.")
    return limits


def _check_env(env: object) -> dict[str, str]:
    if env is None:
        return {}
    if not isinstance(env, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items()):
        raise InvalidCode("env must be a dict of str to str.")
    if any("\x00" in k + v or "=" in k or not k for k, v in env.items()):
        raise InvalidCode("env names must be non-empty without '=' and no value may hold a NUL character.")
    return dict(env)


class ContainerRun:
    """One container's life, from create to remove."""

    def __init__(self, client, options: dict, limits: Limits, on_output: OutputCallback | None,
                 cancel: threading.Event | None = None, language: str = "python"):
        self.client = client
        self.api = client.api
        self.options = options
        self.name = options["name"]
        self.limits = limits
        cap = limits.output_cap_bytes or R.SAFETY_OUTPUT_BYTES
        self.output = CappedOutput(cap, on_output)
        self.timeout_s = limits.timeout_s or R.SAFETY_TIMEOUT_S
        self.cancel = cancel
        self.language = language

    def execute(self) -> R.Result:
        try:
            result = self._run()
            failed = self.output.callback_error
            if failed is not None:
                raise OutputCallbackError(
                    f"The on_output callback raised {type(failed).__name__}: {clip(str(failed))}; "
                    "the run went on without it.", result) from failed
            return result
        except NotFound as exc:
            raise SandboxError("The container disappeared during the run (removed from outside?).",
                               hint="Use 'python -m sandbox cleanup' (orphans only) rather than --all "
                               "while sandboxes are running.") from exc
        except APIError as exc:
            # The engine answered, and refused: a configuration it cannot apply (e.g. privileged
            # while dropping capabilities), not an engine that went away.
            raise RunRefused(f"The engine refused to run the container: {clip(str(exc.explanation or exc))}") from exc
        except (requests.exceptions.RequestException, ConnectionError) as exc:
            raise EngineUnavailable(
                f"The Docker Engine stopped answering during the run ({exc.__class__.__name__}).") from exc
        finally:
            engine.remove_container(self.name, api=self.api)

    def _run(self) -> R.Result:
        container = engine.create_container(self.client, self.options)
        self.short_id = container.short_id
        stream = self.api.attach(container.id, stdout=True, stderr=True, stream=True, logs=False, demux=True)
        reader = threading.Thread(target=self.output.consume, args=(stream,), daemon=True,
                                  name=f"sandbox-output-{self.short_id}")
        reader.start()
        self.api.start(container.id)
        started = time.monotonic()
        killed_for = self._supervise(container.id, started + self.timeout_s)
        duration = time.monotonic() - started
        state = self._final_state(container.id, killed=killed_for is not None)
        reader.join(timeout=2)
        return self._result(state, killed_for, duration)

    def _supervise(self, container_id: str, deadline: float) -> str | None:
        """Wait for the end of the program; kill it for time, output or a cancel. Returns why we killed it."""
        poll = 0.1 if self.cancel is not None else None  # a cancel is only noticed by looking
        while True:
            remaining = deadline - time.monotonic()
            if self._cancelled():
                return self._kill(container_id, "cancel")
            if self.output.full.is_set():
                return self._kill(container_id, "output")
            if remaining <= 0:
                return self._kill(container_id, "timeout")
            step = remaining if poll is None else min(remaining, poll)
            if not self.output.done.is_set():
                self.output.wake.wait(step)  # the cap, the end of the stream, or time
            elif engine.wait_exit(container_id, step, api=self.api):
                return None  # output closed and the process ended (it may close stdout early)

    def _cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def _kill(self, container_id: str, reason: str) -> str:
        try:
            self.api.kill(container_id)  # SIGKILL: nothing inside can ignore it
        except (NotFound, APIError):
            pass  # it ended on its own meanwhile
        return reason

    def _final_state(self, container_id: str, killed: bool) -> dict:
        if killed:
            # After a kill the engine needs a moment to record the exit; wait for it briefly.
            engine.wait_exit(container_id, 10, api=self.api)
        return self.api.inspect_container(container_id)["State"]

    def _result(self, state: dict, killed_for: str | None, duration: float) -> R.Result:
        limits = self.limits
        by_safety_net = (killed_for == "timeout" and limits.timeout_s is None) or (
            killed_for == "output" and limits.output_cap_bytes is None)
        stderr = self.output.text("stderr")
        exit_code = state.get("ExitCode")
        oom_killed = bool(state.get("OOMKilled"))
        outcome = classify(Facts(exit_code, oom_killed, killed_for, by_safety_net, stderr, self.language), limits)
        if self.output.error is not None:
            # What the program printed is known only up to the failure: never report that as ok.
            broken = self.output.error
            outcome = Verdict(R.ERROR, None, "Output incomplete: reading it from the engine failed "
                              f"({type(broken).__name__}: {clip(str(broken), 160)})")
        return R.Result(
            status=outcome.status,
            stdout=self.output.text("stdout"),
            stderr=stderr,
            exit_code=exit_code,
            duration_s=duration,
            limits=limits,
            timed_out=killed_for == "timeout",
            oom_killed=oom_killed,
            truncated=self.output.truncated or self.output.error is not None,
            stopped_by=outcome.stopped_by,
            message=outcome.message,
            container_id=self.short_id,
        )
