"""The server's stop, on a real waitress server on loopback (no engine, no loop running): work
handed to waitress's loop through its trigger, as the drain does it."""

from __future__ import annotations

from server.serve import Stopper
from server.waitress_internals import close_all, create


def test_work_the_loop_runs_before_the_wake_up_byte_is_written_is_not_an_error():
    sockets: dict = {}
    server = create(lambda environ, start_response: [], sockets, host="127.0.0.1", port=0)
    stopper = Stopper(sockets, pool=None)
    trigger = server.trigger
    wake = trigger._physical_pull

    def woken_by_another_thread_first():
        wake()  # a task thread's own pull, a moment earlier ...
        trigger.handle_read()  # ... so the loop runs every queued thunk, ours included ...
        wake()  # ... before our byte goes in: after the last thunk, a closed pipe

    trigger._physical_pull = woken_by_another_thread_first
    ran = []
    stopper._in_loop(lambda: (close_all(sockets), ran.append("closed")))
    assert ran == ["closed"] and sockets == {}
