ATTACK = {
    "title": "Orphaned child in its own session",
    "category": "timeout",
    "control": "timeout",
    "timeout": 3,
    "hardened": "the whole container, orphan included, is killed at 3 seconds; no report",
    "ablated": "the orphan, reparented to PID 1 in a new session, finishes its 8 seconds and reports",
    "expect": {
        "hardened": {"status": "timeout", "timed_out": True, "report": None, "duration_s": {"max": 6}},
        "ablated": {"status": "ok", "report": {"achieved": True, "orphan_ppid": 1, "own_session": True}},
    },
    "explain": """
        A classic way to outlive a time limit: fork, call setsid() to leave the process group
        and session, fork again and let the middle process exit. The grandchild is now an
        orphan that the init process adopts, in a session of its own, so a supervisor that
        kills the program's process or process group misses it. The kit kills the container
        instead: SIGKILL to its init process ends every process in the container's PID
        namespace, whatever session it is in. The orphan here waits 8 seconds before it
        reports through a pipe, against a 3-second limit.
    """,
}

import json
import os
import time

read_end, write_end = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(read_end)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)  # the session leader leaves; its child is orphaned
    leader = os.getppid()
    deadline = time.monotonic() + 5  # until the leader is gone and PID 1 has adopted us
    while os.getppid() == leader and time.monotonic() < deadline:
        time.sleep(0.01)
    facts = {"orphan_sid": os.getsid(0), "orphan_ppid": os.getppid()}
    time.sleep(8)
    facts["orphan_ran_s"] = 8
    os.write(write_end, json.dumps(facts).encode())
    os._exit(0)
os.close(write_end)
os.waitpid(pid, 0)  # the direct child is gone at once
with os.fdopen(read_end) as pipe:
    text = pipe.read()
facts = json.loads(text) if text else {}
facts["own_session"] = facts.get("orphan_sid") not in (None, os.getsid(0))
facts["achieved"] = bool(text)
print("ATTACK_REPORT " + json.dumps(facts))
