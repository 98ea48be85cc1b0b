ATTACK = {
    "title": "TCP connection out",
    "category": "network",
    "foreign": "a TCP socket opens and an interface other than loopback has a route: a connect() would have somewhere to go",
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
    facts["tcp_socket"] = can_open(socket.AF_INET, socket.SOCK_STREAM)
    facts["achieved"] = bool(facts["routes_out"]) and facts["tcp_socket"] == "OK"
    print("ATTACK_REPORT " + json.dumps(facts))
    raise SystemExit(0)

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
