ATTACK = {
    "title": "DNS lookup",
    "category": "network",
    "control": "network",
    "hardened": "no resolver is reachable: the lookup fails at once",
    "ablated": "the name 'target' resolves to the target container's address",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "error": ["EAI_AGAIN", "EAI_NONAME", "EAI_FAIL"]}},
        "ablated": {"status": "ok", "report": {"achieved": True}},
    },
    "explain": """
        A DNS lookup looks innocent, but the name itself is a message: looking up
        '<secret>.attacker.example' delivers the secret to whoever runs that domain's name
        server, through every resolver on the way, even where direct connections are blocked.
        With no network the lookup never leaves the container. Where the kit allows a
        network, the container's resolver points at loopback, so Docker's embedded DNS answers
        only the names of containers on the internal network and forwards nothing to the
        host's resolver. This attack only ever looks up 'target'.
    """,
}

import json
import socket

EAI = {getattr(socket, n): n for n in dir(socket) if n.startswith("EAI_")}
try:
    found = sorted({info[4][0] for info in socket.getaddrinfo("target", None, socket.AF_INET)})
    facts = {"achieved": bool(found), "addresses": found}
except socket.gaierror as exc:
    facts = {"achieved": False, "error": EAI.get(exc.errno, str(exc.errno))}
print("ATTACK_REPORT " + json.dumps(facts))
