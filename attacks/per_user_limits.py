ATTACK = {
    "title": "Starve another run of the kernel's per-user budgets",
    "category": "files",
    "control": "distinct_uid",
    "companion": """
import ctypes, json, time
libc = ctypes.CDLL(None, use_errno=True)
libc.inotify_init1.argtypes = [ctypes.c_int]
libc.inotify_init1.restype = ctypes.c_int
libc.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.c_void_p]
libc.mq_open.restype = ctypes.c_int
inotify = 0
while inotify < 200 and libc.inotify_init1(0) >= 0:    # the host allows 128 per user
    inotify += 1
queues = 0
while queues < 64 and libc.mq_open(b"/hog-%d" % queues, 0o100 | 2, 0o600, None) >= 0:
    queues += 1
print(json.dumps({"inotify": inotify, "queues": queues}))
print("COMPANION_READY", flush=True)
time.sleep(55)
""",
    "hardened": "the neighbour holds every inotify instance and message-queue byte of its own uid; this run, with "
                "another uid, still gets its own",
    "ablated": "both runs are one uid (the one runs without the control share in this process): the neighbour has "
               "spent the budgets, and this run's inotify_init and mq_open fail with EMFILE",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "inotify": "OK", "mq_open": "OK"}},
        "ablated": {"status": "ok", "report": {"achieved": True, "inotify": "EMFILE", "mq_open": "EMFILE"}},
    },
    "explain": """
        Without user namespaces, uid 10001 inside any container is uid 10001 of the host
        kernel, and the kernel keeps some budgets per user, not per container: 128 inotify
        instances, 800 KiB of POSIX message queues, pending signals, pipe buffer pages, epoll
        watches. If every run were the same uid, one run could spend them all and every other
        run on the machine would fail in ways that look like its own bugs. The distinct_uid
        control gives each running sandbox a uid of its own (10001-10256, all named runner).
        Here a companion run, the neighbour, spends its uid's inotify instances and message
        queue bytes and holds them; then this run tries to get one of each.
    """,
}

import ctypes
import errno
import json

libc = ctypes.CDLL(None, use_errno=True)
libc.inotify_init1.argtypes = [ctypes.c_int]
libc.inotify_init1.restype = ctypes.c_int
libc.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.c_void_p]
libc.mq_open.restype = ctypes.c_int


def outcome(result):
    return "OK" if result >= 0 else errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))


ctypes.set_errno(0)
facts = {"inotify": outcome(libc.inotify_init1(0))}
ctypes.set_errno(0)
facts["mq_open"] = outcome(libc.mq_open(b"/victim", 0o100 | 2, 0o600, None))
facts["achieved"] = facts["inotify"] != "OK" or facts["mq_open"] != "OK"
print("ATTACK_REPORT " + json.dumps(facts))
