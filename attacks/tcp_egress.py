ATTACK = {
    "title": "TCP connection out",
    "category": "network",
    "control": "network",
    "varies": ["peer"],      # the target's address: the engine picks the subnet
    "hardened": "the name does not resolve and only the loopback interface exists: nothing can leave",
    "ablated": "connects to the kit's target container and gets its data echoed back",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "stage": "resolve", "interfaces": ["lo"]}},
        "ablated": {"status": "ok", "report": {"achieved": True, "echo": "exfiltrated: the student's answers"}},
        "naive": {"status": "ok", "report": {"achieved": True}},
    },
    "explain": """
        With a network, untrusted code can send out whatever it finds, download more code,
        scan the local network, reach the cloud provider's metadata service (the address that
        hands out credentials to anything on the machine), or join a botnet. The network
        control gives the container no network at all: only the loopback interface exists, so
        a connect() fails before any packet is built. This attack looks up the kit's own
        target container and sends it a line over TCP. With the control removed the kit
        still never reaches past this machine: the run joins an internal Docker network whose
        only other member is that target.
    """,
}

import json
import socket

EAI = {getattr(socket, n): n for n in dir(socket) if n.startswith("EAI_")}
facts = {"interfaces": sorted(name for _, name in socket.if_nameindex())}
try:
    address = socket.getaddrinfo("target", 7007, socket.AF_INET, socket.SOCK_STREAM)[0][4]
    facts["stage"] = "connect"
    with socket.create_connection(address, timeout=3) as conn:
        payload = b"exfiltrated: the student's answers"
        conn.sendall(payload)
        facts["echo"] = conn.recv(len(payload)).decode()
        facts["peer"] = address[0]
        facts["achieved"] = facts["echo"] == payload.decode()
except socket.gaierror as exc:
    facts.update(achieved=False, stage="resolve", error=EAI.get(exc.errno, str(exc.errno)))
except OSError as exc:
    facts.update(achieved=False, error=type(exc).__name__ + (f" errno {exc.errno}" if exc.errno else ""))
print("ATTACK_REPORT " + json.dumps(facts))
