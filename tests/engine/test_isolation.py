"""Cross-run isolation: one run spends every per-user kernel budget it can reach, and a run
beside it still works, because the two have different host uids (the distinct_uid control).

With the control removed both are this process's shared uid and the neighbour starves: that is
the evidence the test can fail, and that the control is what keeps them apart. No other process
(another engine's tests beside these) runs as that uid, so neither case depends on timing.
"""

from __future__ import annotations

import json
import threading

from sandbox import PROFILES, run

H = PROFILES["hardened"]

HOG = r"""
import ctypes, time
libc = ctypes.CDLL(None, use_errno=True)
libc.inotify_init1.argtypes = [ctypes.c_int]
libc.inotify_init1.restype = ctypes.c_int
libc.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.c_void_p]
libc.mq_open.restype = ctypes.c_int
held = {"inotify": 0, "queues": 0}
while held["inotify"] < 200 and libc.inotify_init1(0) >= 0:       # 128 per user on this host
    held["inotify"] += 1
while held["queues"] < 64 and libc.mq_open(b"/hog-%d" % held["queues"], 0o100 | 2, 0o600, None) >= 0:
    held["queues"] += 1                                             # 800 KiB of queues per user
print("HOLDING", held, flush=True)
time.sleep(55)
"""

VICTIM = r"""
import ctypes, errno, json
libc = ctypes.CDLL(None, use_errno=True)
libc.inotify_init1.argtypes = [ctypes.c_int]
libc.inotify_init1.restype = ctypes.c_int
libc.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.c_void_p]
libc.mq_open.restype = ctypes.c_int

def answer(result):
    return "OK" if result >= 0 else errno.errorcode[ctypes.get_errno()]

found = {"inotify": answer(libc.inotify_init1(0)), "mq_open": answer(libc.mq_open(b"/mine", 0o100 | 2, 0o600, None))}
print(json.dumps(found))
"""


def side_by_side(limits, hog_limits=None):
    """Start the hog, wait until it holds everything, run the victim, then stop the hog."""
    holding, stop = threading.Event(), threading.Event()
    hog = {}

    def hog_run():
        hog["result"] = run(
            HOG,
            (hog_limits or limits).replace(timeout_s=60),
            cancel=stop,
            on_output=lambda s, t: holding.set() if "HOLDING" in t else None,
        )
        holding.set()

    thread = threading.Thread(target=hog_run)
    thread.start()
    try:
        assert holding.wait(60), "the hog never said it holds the budgets"
        assert "result" not in hog, hog["result"].stderr
        victim = run(VICTIM, limits)
    finally:
        stop.set()
        thread.join(60)
    return json.loads(victim.stdout), hog["result"]


def test_a_neighbour_spending_every_per_user_budget_does_not_touch_this_run():
    found, hog = side_by_side(H)
    assert found == {"inotify": "OK", "mq_open": "OK"}
    assert "'inotify': 128" in hog.stdout  # it really spent them


def test_without_distinct_uids_the_same_neighbour_starves_it():
    found, _hog = side_by_side(H.without("distinct_uid"))
    assert found["inotify"] == "EMFILE" and found["mq_open"] == "EMFILE"


def test_a_neighbour_without_the_control_does_not_touch_a_run_with_it():
    # Runs without distinct_uid share their process's uid; a run with the control must never be
    # handed it (it was, once, when another engine's tests ran beside).
    found, hog = side_by_side(H, hog_limits=H.without("distinct_uid"))
    assert found == {"inotify": "OK", "mq_open": "OK"}
    assert "'inotify': 128" in hog.stdout
