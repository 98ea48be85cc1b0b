ATTACK = {
    "title": "DNS lookup",
    "category": "network",
    "foreign": "a resolver is configured and an interface other than loopback has a route: a lookup would leave (no name is looked up)",
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
    facts["resolvers"] = resolvers()
    facts["achieved"] = bool(facts["resolvers"]) and bool(facts["routes_out"])
    print("ATTACK_REPORT " + json.dumps(facts))
    raise SystemExit(0)

EAI = {getattr(socket, n): n for n in dir(socket) if n.startswith("EAI_")}
try:
    found = sorted({info[4][0] for info in socket.getaddrinfo("target", None, socket.AF_INET)})
    facts = {"achieved": bool(found), "addresses": found}
except socket.gaierror as exc:
    facts = {"achieved": False, "error": EAI.get(exc.errno, str(exc.errno))}
print("ATTACK_REPORT " + json.dumps(facts))
