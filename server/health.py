"""/health: does the engine answer, is the sandbox image there, how busy is the pool.

The checks are the core's own (`engine.client().ping()`, `engine.ensure_image()`, with the
core's translation of engine errors); this module only bounds how long a visitor waits for them.
A hung engine would hold a request for the client's whole timeout (a minute), so the checks run
in one background thread and /health answers after at most `BUDGET_S` whatever happens. While a
check is still hanging, later requests wait on that same check instead of starting another.
"""

from __future__ import annotations

import concurrent.futures
import threading

from sandbox import engine
from sandbox.errors import EngineUnavailable, SandboxError
from sandbox.languages import LANGUAGES

BUDGET_S = 3.0


def probe() -> dict:
    """Engine and image state, checked now (never from the cache of earlier runs)."""
    image = served_image()
    engine_state = {"ok": False, "detail": ""}
    image_state = {"ok": False, "name": image, "detail": "unknown: no engine"}
    try:
        with engine.translated_errors("checking that it answers"):
            engine.client().ping()
    except SandboxError as exc:
        engine_state["detail"] = str(exc)
        return {"engine": engine_state, "image": image_state}
    engine_state.update(ok=True, detail="the Docker Engine answers")
    engine.forget_image(image)   # an image removed since the last run must show as missing
    try:
        with engine.translated_errors("checking the image"):
            engine.ensure_image(image)
        image_state.update(ok=True, detail="present and current")
    except SandboxError as exc:
        image_state["detail"] = str(exc)
    return {"engine": engine_state, "image": image_state}


def served_image() -> str:
    """The image /run uses: the server runs Python, in the image the core picks for it."""
    return LANGUAGES["python"].image


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
            return {"engine": {"ok": False, "detail": str(slow)},
                    "image": {"ok": False, "name": served_image(), "detail": "unknown: no engine"}}

    def _current(self) -> concurrent.futures.Future:
        with self._lock:
            if self._pending is None or self._pending.done():
                self._pending = concurrent.futures.Future()
                # A daemon thread: a check stuck on a dead engine must not keep the process alive.
                threading.Thread(target=self._run, args=(self._pending,), daemon=True,
                                 name="health-probe").start()
            return self._pending

    def _run(self, future: concurrent.futures.Future) -> None:
        try:
            future.set_result(self._probe())
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting request, which logs it
            future.set_exception(exc)
