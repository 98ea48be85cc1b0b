"""A class sharing one server: join codes, per-student quotas, fair queueing, the teacher's view.

- `store.py`: classes and codes in SQLite, hashes only; `cli.py`: `python -m server class ...`;
- `quotas.py`: runs a minute and at once per student, and the slowdown of bad codes;
- `fair.py`: the round-robin queue in front of the pool; `roster.py`: what the teacher sees.

`Classroom` ties them together for the app: who a request's `Authorization: Bearer CODE`
belongs to (or the 401/429 that answers it), and the run's way through quota and queue.
See docs/classroom.md.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future

from ..jsonerr import Refusal
from .fair import FairQueue
from .quotas import DEFAULT_AT_ONCE, DEFAULT_PER_MINUTE, FAILURES_PER_MINUTE, Quotas, Window
from .roster import Roster
from .store import ClassError, Member, Store, data_dir

__all__ = ["Classroom", "ClassError", "Member", "Store", "data_dir", "DEFAULT_AT_ONCE", "DEFAULT_PER_MINUTE"]

_WHY = {
    "missing_code": "This server is for a class: enter your join code (Authorization: Bearer CODE).",
    "unknown_code": "That join code is not one of this class's codes.",
    "revoked_code": "That join code has been revoked; ask your teacher for a new one.",
    "expired_class": "This class's codes have expired; ask your teacher.",
    "teacher_only": "Only the teacher's code opens this.",
}


class Classroom:
    def __init__(
        self,
        store: Store,
        klass: str,
        pool,
        per_minute: int = DEFAULT_PER_MINUTE,
        at_once: int = DEFAULT_AT_ONCE,
    ):
        if not store.exists(klass):
            raise ClassError(f"no class named {klass!r}; make it with: python -m server class new {klass} --students N")
        self.store, self.klass = store, klass
        self.quotas = Quotas(per_minute, at_once)
        self.failures = Window(FAILURES_PER_MINUTE)
        self.fair = FairQueue(pool)
        self.roster = Roster(store.students(klass))

    def member(self, environ: dict, teacher: bool = False) -> Member:
        """Who sent this request, or a Refusal: 401 with the reason, 429 after repeated failures."""
        address = environ.get("REMOTE_ADDR", "-")
        wait = self.failures.full(address)
        if wait:
            raise Refusal(
                429,
                "too_many_failures",
                "Too many wrong join codes from this address; wait before trying again.",
                {"Retry-After": str(wait)},
            )
        header = environ.get("HTTP_AUTHORIZATION", "")
        scheme, _, code = header.partition(" ")
        if not header:
            found, why = None, "missing_code"
        elif scheme.lower() != "bearer":
            found, why = None, "unknown_code"
        else:
            found, why = self.store.check(code.strip(), self.klass)
        if found is None:
            if why != "missing_code":
                self.failures.add(address)
            raise Refusal(401, why, _WHY[why], {"WWW-Authenticate": 'Bearer realm="class"'})
        if teacher and found.role != "teacher":
            raise Refusal(403, "teacher_only", _WHY["teacher_only"])
        return found

    def submit(self, who: Member, start: Callable[[], Future], language: str, profile: str) -> tuple[Future, dict]:
        """Count the run against `who`'s quota, queue it fairly; (its future, its roster entry)."""
        refused = self.quotas.take(who.who)
        if refused:
            reason, wait = refused
            at_once, per_minute = self.quotas.at_once, self.quotas.per_minute
            words = {
                "student_at_once": f"You already have {at_once} runs going; wait for one to end.",
                "student_per_minute": f"You have used your {per_minute} runs of this minute.",
            }[reason]
            raise Refusal(429, reason, words, {"Retry-After": str(wait)})
        run = self.roster.queued(who.who, language, profile)
        try:
            future = self.fair.submit(who.who, start, on_start=lambda waited: self.roster.started(run, waited))
        except BaseException:
            self.quotas.give_back(who.who)
            self.roster.ended(run, "refused")
            raise
        future.add_done_callback(lambda f: self._ended(who, run, f))
        return future, run

    def _ended(self, who: Member, run: dict, future: Future) -> None:
        self.quotas.give_back(who.who)
        if future.cancelled() or future.exception() is not None:
            self.roster.ended(run, "cancelled" if future.cancelled() else "error")
            return
        result = future.result()
        usage = result.to_dict().get("usage")  # a Result, or a worker's through the broker
        status = str(getattr(result.status, "value", result.status))
        self.roster.ended(run, status, result.stopped_by, round(result.duration_s, 3), usage)

    def report(self) -> dict:
        return self.roster.report(self.klass, self.fair.waiting())
