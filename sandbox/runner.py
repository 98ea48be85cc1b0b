"""run(): one program, one fresh container, every control applied, nothing left behind.

The sequence, and why each step is done this way:

1. Refuse bad input before touching the engine (type, length, NUL bytes, empty code, stdin,
   files and their names: sandbox/files.py).
2. Get a box (box.py): a started container whose supervisor waits on its stdin, made for this
   run's limits, from a warm pool or started now.
3. Deliver the program: a one-off secret, its argv (the code travels as one argument, so the
   host never writes a file the program could later reach or swap for a symlink), its files
   (the same way: the supervisor writes them inside) and its stdin. The clocks start here.
4. Read the output as it streams, in a thread that stops keeping it at the cap, and keep the
   clock on the host: `docker wait`'s timeout is only an HTTP read timeout, and `timeout docker
   run` kills the client, not the container. When the clock runs out, the output passes its cap
   or the caller cancels, the kit tells the supervisor to kill everything (and the engine kills
   the container if the supervisor does not answer).
5. Read the supervisor's report (the program's real wait status, the kernel's counters and the
   files it harvested from out/) and classify it (outcome.py); the files never change the
   verdict. The answer comes with the report: once its line and the end of stderr are in, every
   byte of output is too, and a report that holds the cgroup's OOM count with no survivor needs
   nothing from the engine. Otherwise (gVisor keeps no cgroup counts inside; a kill; no report)
   the kit waits for the engine's record of the exit and classifies that with it.
6. Remove the container in every path: success, error, timeout, OOM, an exception in this
   code, KeyboardInterrupt. The Result does not wait for it: the box kills a container that may
   still run at once and removes it in a thread of its own (box.py), which the reaper's
   functions and the interpreter's exit wait for.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import requests
from docker.errors import APIError, NotFound

from . import engine, warm
from . import files as F
from . import result as R
from .box import Box
from .errors import EngineUnavailable, InvalidCode, InvalidLimits, OutputCallbackError, SandboxError
from .languages import DEFAULT_LANGUAGE, LANGUAGES
from .limits import HARDENED, Limits
from .outcome import Facts, Verdict, classify
from .output import CappedOutput
from .supervisor import MAX_STDIN_BYTES, Report, delivery, new_secret, parse_report
from .text import clip

log = logging.getLogger(__name__)

MAX_CODE_CHARS = 5000  # the seed's limit
# After the kit's kill, how long the supervisor has to kill, count and report before the engine kills.
KILL_GRACE_S = 3.0

OutputCallback = Callable[[str, str], None]


def run(
    code: str,
    limits: Limits | None = None,
    *,
    language: str = DEFAULT_LANGUAGE,
    stdin: str | bytes | None = None,
    image: str | None = None,
    env: dict[str, str] | None = None,
    files: Mapping[str, str | bytes] | None = None,
    on_output: OutputCallback | None = None,
    cancel: threading.Event | None = None,
) -> R.Result:
    """Run `code` in a fresh container under `limits` (the hardened profile by default).

    >>> from sandbox import run, PROFILES
    >>> run("print(2 + 2)").stdout  # doctest: +ENGINE
    '4\\n'
    >>> run("print(input()[::-1])", stdin="Ada\\n").stdout  # doctest: +ENGINE
    'adA\\n'
    >>> run("while True: pass", PROFILES["hardened"].replace(timeout_s=2)).message  # doctest: +ENGINE
    'Execution timed out after 2 seconds'

    `stdin` is what the program reads from its standard input (at most 64 KiB; none means an
    immediate end of file). `env` adds environment variables (the hardened profile passes
    none); `files` are put in the program's working directory before it starts (name to str or
    bytes; at most 20 files, 1 MiB each, 4 MiB in all; plain relative names, subfolders allowed),
    and what the program leaves in `out/` there comes back as `Result.files` (sandbox/files.py
    has the rules and bounds); `on_output(stream, text)` is called from a reader thread as output arrives ("stdout"
    or "stderr"); setting the `cancel` event kills the run at once (status `killed`, e.g. when
    a web client hung up). Raises InvalidCode, InvalidLimits, EngineUnavailable or ImageMissing
    before any container starts; everything that happens to the program itself is in the Result.
    """
    limits = _check_limits(limits)
    argv = program_argv(code, language)
    data = check_stdin(stdin)
    environment = _check_env(env)
    placed = F.check_files(files, limits)
    image = image or LANGUAGES[language].image
    # A warm box made for exactly these limits, where a pool is open; else one started now.
    box = warm.take(limits, image, environment) or Box.start(limits, image=image, env=environment)
    try:
        return ContainerRun(box, limits, on_output, cancel, language).execute(argv, data, placed)
    finally:
        box.close()


def program_argv(code: object, language: str = DEFAULT_LANGUAGE) -> list[str]:
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


def check_stdin(stdin: object) -> bytes:
    """The program's stdin as bytes: text (UTF-8, no NUL) or bytes, at most MAX_STDIN_BYTES."""
    if stdin is None:
        return b""
    if isinstance(stdin, str):
        if "\x00" in stdin:
            raise InvalidCode("stdin contains a NUL character (\\x00); send text without it.")
        try:
            stdin = stdin.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidCode(f"stdin is not valid Unicode text (character {exc.start} cannot be encoded).") from exc
    if not isinstance(stdin, (bytes, bytearray)):
        raise InvalidCode(f"stdin must be text or bytes, not {type(stdin).__name__}.")
    if len(stdin) > MAX_STDIN_BYTES:
        raise InvalidCode(f"stdin is {len(stdin)} bytes; the limit is {MAX_STDIN_BYTES} (64 KiB).")
    return bytes(stdin)


def _check_limits(limits: object) -> Limits:
    if limits is None:
        return HARDENED
    if not isinstance(limits, Limits):
        raise InvalidLimits(
            f"limits must be a sandbox.Limits (e.g. PROFILES['hardened']), not {type(limits).__name__}."
        )
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
    """One program's run in a box: delivery, supervision, the facts, the Result."""

    def __init__(
        self,
        box: Box,
        limits: Limits,
        on_output: OutputCallback | None,
        cancel: threading.Event | None = None,
        language: str = DEFAULT_LANGUAGE,
    ):
        self.box = box
        self.limits = limits
        self.secret = new_secret()
        cap = limits.output_cap_bytes or R.SAFETY_OUTPUT_BYTES
        self.output = CappedOutput(cap, on_output, marker=self.secret + b" ")
        self.timeout_s = limits.timeout_s or R.SAFETY_TIMEOUT_S
        self.cancel = cancel
        self.language = language
        self._reported: bool | None = None  # whether the report alone answers (None: not yet known)

    def execute(self, argv: list[str], stdin: bytes, files: Sequence[tuple[bytes, bytes]] = ()) -> R.Result:
        try:
            result = self._run(argv, stdin, files)
        except NotFound as exc:
            log.warning("container %s disappeared during its run", self.box.short_id)
            raise SandboxError(
                "The container disappeared during the run (removed from outside?).",
                hint="Use 'python -m sandbox cleanup' (orphans only) rather than --all while sandboxes are running.",
            ) from exc
        except APIError as exc:
            raise engine.refusal(exc, "to run the container") from exc
        except (requests.exceptions.RequestException, ConnectionError) as exc:
            log.warning("the engine stopped answering during the run of container %s: %r", self.box.short_id, exc)
            raise EngineUnavailable(
                f"The {engine.called()} stopped answering during the run ({exc.__class__.__name__})."
            ) from exc
        failed = self.output.callback_error
        if failed is not None:
            raise OutputCallbackError(
                f"The on_output callback raised {type(failed).__name__}: {clip(str(failed))}; "
                "the run went on without it.",
                result,
            ) from failed
        return result

    def _run(self, argv: list[str], stdin: bytes, files: Sequence[tuple[bytes, bytes]]) -> R.Result:
        reader = threading.Thread(
            target=self.output.consume,
            args=(self.box.frames(),),
            daemon=True,
            name=f"sandbox-output-{self.box.short_id}",
        )
        reader.start()
        harvest = self.limits.harvest.encode("ascii")  # the supervisor's HARVESTS key
        self.box.deliver(delivery(self.secret, argv, stdin, files, harvest))
        delivered = time.monotonic()
        killed_for = self._supervise(delivered + self.timeout_s)
        duration = time.monotonic() - delivered
        if killed_for is None and self._reported:
            self.box.reported()  # nothing of it is left to run: its removal need not kill it first
            return self._result({}, killed_for, duration)
        state = self._final_state(killed=killed_for is not None)
        reader.join(timeout=KILL_GRACE_S)
        return self._result(state, killed_for, duration)

    def _supervise(self, deadline: float) -> str | None:
        """Wait for the end of the program; kill it for time, output or a cancel. Returns why we killed it."""
        poll = 0.1 if self.cancel is not None else None  # a cancel is only noticed by looking
        while True:
            remaining = deadline - time.monotonic()
            if self.cancel is not None and self.cancel.is_set():
                return self._kill("cancel")
            if self.output.full.is_set():
                return self._kill("output")
            if remaining <= 0:
                return self._kill("timeout")
            if self._has_answer():
                return None  # the report and both streams are in: the exit adds no fact
            step = remaining if poll is None else min(remaining, poll)
            if not self.output.done.is_set():
                # The cap, the report, the end of the stream, or time (past a report that could
                # not answer alone, only the end of the stream).
                (self.output.done if self.output.finished.is_set() else self.output.wake).wait(step)
            elif self.box.wait_exit(step):
                return None  # output closed and the supervisor ended

    def _has_answer(self) -> bool:
        """Whether the run's answer is known before the engine records the exit: the report's
        line and the end of stderr are in (so is every byte of output before them), the report
        holds the cgroup's own OOM count (under gVisor only the engine records one), and every
        process of the run is dead (a survivor could still write)."""
        if self._reported is None and self.output.finished.is_set():
            report = parse_report(bytes(self.output.report or b""))
            self._reported = (
                report is not None
                and report.supervisor_error is None
                and report.survivors == 0
                and report.oom_kills is not None
            )
        return bool(self._reported)

    def _kill(self, reason: str) -> str:
        self.box.kill()  # the supervisor kills every process, counts, reports, and exits
        return reason

    def _final_state(self, killed: bool) -> dict[str, Any]:
        if killed and not (self.output.done.wait(KILL_GRACE_S) and self.box.wait_exit(KILL_GRACE_S)):
            self.box.engine_kill()  # SIGKILL: nothing inside can ignore it
            self.box.wait_exit(10)
        elif not killed:
            self.box.wait_exit(KILL_GRACE_S)
        return self.box.state()

    def _result(self, state: dict[str, Any], killed_for: str | None, duration: float) -> R.Result:
        limits = self.limits
        by_safety_net = (killed_for == "timeout" and limits.timeout_s is None) or (
            killed_for == "output" and limits.output_cap_bytes is None
        )
        report = parse_report(bytes(self.output.report)) if self.output.report is not None else None
        stderr = self.output.text("stderr")
        facts = Facts(
            report,
            killed_for,
            by_safety_net,
            state.get("ExitCode"),
            bool(state.get("OOMKilled")),
            stderr,
            self.language,
            engine_records_oom=engine.kind().oom_flag,
        )
        verdict = classify(facts, limits)
        if self.output.error is not None:
            # What the program printed is known only up to the failure: never report that as ok.
            broken = self.output.error
            log.warning("reading the output of container %s failed: %r", self.box.short_id, broken)
            verdict = Verdict(
                R.ERROR,
                None,
                "Output incomplete: reading it from the engine failed "
                f"({type(broken).__name__}: {clip(str(broken), 160)})",
            )
        exit_code, signal_name = _ending(report, state)
        log.debug(
            "container %s: %s after %.2f s (killed for %s)", self.box.short_id, verdict.status, duration, killed_for
        )
        kept, refused, unexamined = F.received(report)
        return R.Result(
            status=verdict.status,
            stdout=self.output.text("stdout"),
            stderr=stderr,
            exit_code=exit_code,
            signal=signal_name,
            duration_s=duration,
            limits=limits,
            timed_out=verdict.status == R.TIMEOUT,
            oom_killed=verdict.status == R.MEMORY,
            truncated=self.output.truncated or self.output.error is not None,
            stopped_by=verdict.stopped_by,
            hint=verdict.hint,
            message=verdict.message + F.left_out(refused, unexamined),
            usage=_usage(report),
            container_id=self.box.short_id,
            files=kept,
            files_refused=refused,
            files_unexamined=unexamined,
        )


def _ending(report: Report | None, state: dict[str, Any]) -> tuple[int | None, str | None]:
    """(exit code, signal name): the program's, from its real wait status; else the engine's."""
    import signal

    if report is None:
        return state.get("ExitCode"), None
    if report.signal is not None:
        try:
            name = signal.Signals(report.signal).name
        except ValueError:
            name = f"signal {report.signal}"
        return 128 + report.signal, name
    return report.exit_code, None


def _usage(report: Report | None) -> R.Usage | None:
    if report is None:
        return None
    mib = None if report.memory_peak_bytes is None else round(report.memory_peak_bytes / 1024 / 1024, 1)
    return R.Usage(
        cpu_s=report.cpu_s,
        user_s=report.user_s,
        system_s=report.system_s,
        peak_mib=mib,
        memory_limit_hits=report.memory_limit_hits,
        oom_kills=report.oom_kills,
        peak_tasks=report.tasks_peak,
        forks_refused=report.forks_refused,
        cpu_periods=report.cpu_periods,
        throttled_periods=report.cpu_throttled,
        throttled_s=report.cpu_throttled_s,
        no_route=report.no_route,
        scratch_full=tuple(report.scratch_full),
        stdin_bytes=report.stdin_bytes,
        wall_s=report.elapsed_s,
    )
