ATTACK = {
    "varies": ["content"],   # the canary is planted fresh for each run
    "title": "A host directory, mounted",
    "category": "escape",
    "misconfiguration": "host_mount",
    "hardened": "there is no /host in the container (ENOENT)",
    "ablated": "a host directory mounted at /host is readable: the attack reads the file the harness put there",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "errno": "ENOENT"}},
        "ablated": {"status": "ok", "report": {"achieved": True}},
    },
    "explain": """
        A bind mount puts a piece of the host's filesystem inside the container, where the
        container's users and permissions apply to it. Mount a home directory and the
        untrusted code reads SSH keys and browser cookies; mount it writable and it plants
        code the host will run; mount /etc or / and the host is gone. The kit hands code over
        as a command-line argument and mounts nothing. For this attack the harness makes a
        fresh temporary directory holding one harmless file with a random token, mounts it
        read-only at /host, and checks that the attack quotes the token back.
    """,
}

import errno
import json

try:
    with open("/host/canary.txt") as f:
        facts = {"achieved": True, "content": f.read(200).strip()}
except OSError as exc:
    facts = {"achieved": False, "errno": errno.errorcode.get(exc.errno, str(exc.errno))}
print("ATTACK_REPORT " + json.dumps(facts))
