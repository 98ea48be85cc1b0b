ATTACK = {
    "title": "Run a setuid-root program",
    "category": "privilege",
    "control": "no_new_privileges",
    "image": "lab",
    "hardened": "the setuid bit is ignored: the program runs with the runner's uid",
    "ablated": "the setuid bit works: the program runs with effective uid 0 (root)",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "euid": {"min": 10001, "max": 10256}}},
        "ablated": {"status": "ok", "report": {"achieved": True, "euid": 0}},
    },
    "explain": """
        A setuid-root program runs as root whoever starts it; that is how passwd and sudo work,
        and why a bug in any of them hands out root. The kit's image strips every setuid bit,
        but images change, and a mounted volume can bring setuid files in. The
        no_new_privileges control sets a kernel flag that no exec can clear: from then on a
        setuid bit or file capability is ignored. To have something real to exec, the attack
        runs in the lab image, which adds one fixture the served images never carry: a
        setuid-root copy of 'id', harmless in itself, that only prints who it runs as. The
        attack runs it and reads its effective uid.
    """,
}

import json
import os
import subprocess

FIXTURE = "/opt/lab/setuid-id"
try:
    shown = subprocess.run([FIXTURE, "-u"], capture_output=True, text=True, timeout=5).stdout.strip()
    euid = int(shown)
    facts = {"achieved": euid == 0, "euid": euid}
except (OSError, ValueError, subprocess.SubprocessError) as exc:
    facts = {"achieved": False, "euid": None, "error": f"{type(exc).__name__}: {exc}"}
facts["my_uid"] = os.getuid()
print("ATTACK_REPORT " + json.dumps(facts))
