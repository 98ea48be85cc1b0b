"""/health: does the engine answer, is each language's image there, how busy is the pool.

The checks are the core's own (`engine.client().ping()`, `engine.ensure_image()`, with the
core's translation of engine errors); this module only bounds how long a visitor waits for them.
A hung engine would hold a request for the client's whole timeout (a minute), so the checks run
in one background thread and /health answers after at most `BUDGET_S` whatever happens. While a
check is still hanging, later requests wait on that same check instead of starting another.

`removals.failed` counts the containers this server could not remove (the reaper's job now;
each is logged with its id); it should stay 0.

Python's image is the server's reason to exist: without it /health is not ok (503). Another
language's missing image only makes that language unavailable (`languages.<name>.available`);
a run in it then answers 503 `image_missing` with the command that builds it.
"""

from __future__ import annotations

import concurrent.futures
import threading

from sandbox import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    EngineUnavailable,
    SandboxError,
    check_image,
    engine_ping,
    failed_removals,
)

BUDGET_S = 3.0
REQUIRED_LANGUAGE = DEFAULT_LANGUAGE  # the kit's subject: without its image the server is unhealthy
NO_ENGINE = "unknown: no engine"


def probe() -> dict:
    """Engine and image state, checked now (never from the cache of earlier runs)."""
    engine_state = {"ok": False, "detail": ""}
    try:
        engine_ping()
    except SandboxError as exc:
        engine_state["detail"] = str(exc)
        return unanswered(engine_state)
    engine_state.update(ok=True, detail="the Docker Engine answers")
    languages = {name: _image_state(lang.image) for name, lang in LANGUAGES.items()}
    return report(engine_state, languages)


def fleet_probe() -> dict:
    """With --broker: the runs happen on the workers' engines, each checked by its worker at start
    (and named in /health's `broker.workers`); this machine's engine is not asked."""
    on_workers = "on the workers (each checks its own engine and images)"
    return report(
        {"ok": True, "detail": f"runs go through the broker, {on_workers}"},
        {name: {"available": True, "image": lang.image, "detail": on_workers} for name, lang in LANGUAGES.items()},
    )


def unanswered(engine_state: dict) -> dict:
    """The report when the engine could not be asked about any image."""
    return report(
        engine_state,
        {name: {"available": False, "image": lang.image, "detail": NO_ENGINE} for name, lang in LANGUAGES.items()},
    )


def report(engine_state: dict, languages: dict[str, dict]) -> dict:
    """`image` is Python's (the shape /health always had); `languages` has every one of them."""
    python = languages[REQUIRED_LANGUAGE]
    image = {"ok": python["available"], "name": python["image"], "detail": python["detail"]}
    return {"engine": engine_state, "image": image, "languages": languages}


def removals() -> dict[str, int]:
    """Containers this server failed to remove (each logged with its id, left to the reaper):
    0 on a healthy engine. Counted in memory, so it costs the engine nothing to show."""
    return {"failed": failed_removals()}


def _image_state(image: str) -> dict:
    try:
        check_image(image, fresh=True)  # an image removed since the last run must show as missing
    except SandboxError as exc:
        return {"available": False, "image": image, "detail": str(exc)}
    return {"available": True, "image": image, "detail": "present and current"}


class HealthCheck:
    """`check()` -> probe()'s answer within `budget_s`, or 'the engine did not answer'."""

    def __init__(self, budget_s: float = BUDGET_S, probe=probe):
        self.budget_s = budget_s
        self._probe = probe
        self._lock = threading.Lock()
        self._pending: concurrent.futures.Future | None = None

    def check(self) -> dict:
        try:
            return self._current().result(timeout=self.budget_s)
        except concurrent.futures.TimeoutError:
            slow = EngineUnavailable(f"The Docker Engine did not answer within {self.budget_s:g} s.")
            return unanswered({"ok": False, "detail": str(slow)})

    def _current(self) -> concurrent.futures.Future:
        with self._lock:
            if self._pending is None or self._pending.done():
                self._pending = concurrent.futures.Future()
                # A daemon thread: a check stuck on a dead engine must not keep the process alive.
                threading.Thread(target=self._run, args=(self._pending,), daemon=True, name="health-probe").start()
            return self._pending

    def _run(self, future: concurrent.futures.Future) -> None:
        try:
            future.set_result(self._probe())
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting request, which logs it
            future.set_exception(exc)
