ATTACK = {
    "title": "A file still growing at exit",
    "category": "harvest",
    "control": "harvest",
    "hardened": "the writer is killed before the harvest; the file, past 3 MiB, is refused from its size, unread",
    "ablated": "the naive harvester reads it whole and hands the host a body past the 2 MiB bound",
    "escape_files": {"host_refused": {"min": 1}},
    "expect": {
        "hardened": {"status": "ok", "files_unexamined": 0, "report": {"achieved": False, "writer_alive": True}},
        "ablated": {
            "status": "ok",
            "files_refused": (("log", "refused by the host: over the 2 MiB bound a file"),),
            "report": {"achieved": False, "writer_alive": True},
        },
        "naive": {
            "status": "ok",
            "files_refused": (("log", "refused by the host: over the 2 MiB bound a file"),),
            "report": {"achieved": False, "writer_alive": True},
        },
    },
    "explain": """
        The program starts a child that keeps appending to out/log, waits until the log passes
        3 MiB, and exits with the child still writing. A harvester that reads while a writer
        lives reads a moving target: a size checked is not the size read, a file checked may be
        swapped for a link before it is opened. The kit never harvests while anything of the run
        is alive, in either mode: the supervisor kills every process first, so the log stops
        growing, and its harvest refuses it from its size (and would refuse a file that changed
        between its look and its read). What is left to attack is the bound: the lab's naive
        harvester reads the log whole and hands the host a body past 2 MiB, which the host's
        re-check refuses ("refused by the host").
    """,
}

import json
import os
import time

child = os.fork()
if child == 0:
    # Fast to 3 MiB, then slower, and never past 8 MiB or 10 s: bounded on its own, even where
    # nothing kills it (the kit kills it as soon as the parent has exited).
    stop = time.monotonic() + 10
    with open("out/log", "ab", buffering=0) as log:
        while log.tell() < 8 << 20 and time.monotonic() < stop:
            try:
                log.write(b"x" * 65536)
            except OSError:
                pass  # the file-size rlimit or a full /tmp: keep trying, still alive
            time.sleep(0.002 if log.tell() < 3 << 20 else 0.05)
    os._exit(0)
deadline = time.monotonic() + 5  # a bound of its own, should the writer never get there
while time.monotonic() < deadline and not (os.path.exists("out/log") and os.path.getsize("out/log") >= 3 << 20):
    time.sleep(0.01)
alive = os.waitpid(child, os.WNOHANG) == (0, 0)
print("ATTACK_REPORT " + json.dumps({"achieved": False, "writer_alive": alive}), flush=True)
