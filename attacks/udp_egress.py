ATTACK = {
    "title": "UDP datagram out",
    "category": "network",
    "foreign": "a UDP socket opens and an interface other than loopback has a route: a datagram would have somewhere to go",
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

import errno
import json
import socket


def routes_out():
    """Interfaces other than loopback that have an IPv4 or IPv6 route (read, never used)."""
    found = set()
    for path, iface_col in (("/proc/net/route", 0), ("/proc/net/ipv6_route", -1)):
        try:
            with open(path) as table:
                rows = [line.split() for line in table.read().splitlines()[iface_col == 0 :]]
        except OSError:
            continue
        found |= {row[iface_col] for row in rows if row and row[iface_col] != "lo"}
    return sorted(found)


def resolvers():
    try:
        with open("/etc/resolv.conf") as conf:
            return [line.split()[1] for line in conf if line.startswith("nameserver") and len(line.split()) > 1]
    except OSError:
        return []


def can_open(family, kind):
    try:
        socket.socket(family, kind).close()
        return "OK"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))


if globals().get("ATTACK_MODE") == "foreign":
    # A target the kit does not control: judge from what the container has, and send nothing.
    facts = {"mode": "foreign", "routes_out": routes_out()}
    facts["udp_socket"] = can_open(socket.AF_INET, socket.SOCK_DGRAM)
    facts["achieved"] = bool(facts["routes_out"]) and facts["udp_socket"] == "OK"
    print("ATTACK_REPORT " + json.dumps(facts))
    raise SystemExit(0)

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
