ATTACK = {
    "title": "UDP datagram out",
    "category": "network",
    "control": "network",
    "varies": ["peer"],      # the target's address: the engine picks the subnet
    "hardened": "the name does not resolve and only loopback exists; a UDP datagram has nowhere to go",
    "ablated": "a datagram reaches the kit's target container and its echo comes back",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "stage": "resolve"}},
        "ablated": {"status": "ok", "report": {"achieved": True, "echo": "udp: leaked"}},
    },
    "explain": """
        UDP needs no connection: a program can fire datagrams at any address and never wait
        for an answer, which is how floods, amplification attacks and quiet exfiltration
        work. Firewall rules written for TCP often forget it. Without a network interface the
        question does not arise: the datagram has no route. The attack sends up to three
        datagrams to the kit's target container, which echoes them back.
    """,
}

import json
import socket

EAI = {getattr(socket, n): n for n in dir(socket) if n.startswith("EAI_")}
facts = {}
try:
    address = socket.getaddrinfo("target", 7007, socket.AF_INET, socket.SOCK_DGRAM)[0][4]
    facts["stage"] = "send"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(1)
        # UDP may drop a datagram; three tries, then give up (the report says how many it took)
        for attempt in range(1, 4):  # noqa: B007 - read after the loop
            sock.sendto(b"udp: leaked", address)
            try:
                facts["echo"] = sock.recvfrom(64)[0].decode()
                break
            except TimeoutError:
                continue
        facts.update(attempts=attempt, peer=address[0], achieved=facts.get("echo") == "udp: leaked")
except socket.gaierror as exc:
    facts.update(achieved=False, stage="resolve", error=EAI.get(exc.errno, str(exc.errno)))
except OSError as exc:
    facts.update(achieved=False, error=type(exc).__name__ + (f" errno {exc.errno}" if exc.errno else ""))
print("ATTACK_REPORT " + json.dumps(facts))
