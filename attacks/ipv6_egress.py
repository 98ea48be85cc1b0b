ATTACK = {
    "title": "IPv6 connection out",
    "category": "network",
    "foreign": "the container has a global IPv6 address and an IPv6 route out of an interface other than loopback",
    "control": "network",
    "not_applicable": (
        "The kit's internal network has no IPv6 on purpose: Docker 20.10 does not manage ip6tables, "
        "and on a host that forwards IPv6 a container's IPv6 packets could be routed out. So no case "
        "here has IPv6 to escape with; the runs only confirm that."),
    "hardened": "no IPv6 address and no IPv6 route",
    "ablated": "no IPv6 either: the internal network is created without it",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "ipv6_addresses": 0}},
        "ablated": {"status": "ok", "report": {"achieved": False, "ipv6_addresses": 0}},
    },
    "engines": [{"podman_from": "4", "why": "Podman's internal networks have no DNS server (CNI without dnsname): "
                 "the lookup fails with EAI_AGAIN, not EAI_NODATA; there is no IPv6 address either way"}],
    "explain": """
        IPv6 is a second network stack with its own addresses, routes and firewall (ip6tables),
        and rules written for IPv4 do not cover it. A container that gets a global IPv6 address
        can bypass an IPv4-only lockdown. This attack counts the container's IPv6 addresses
        (other than loopback) and tries to reach the target container over IPv6.
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
    try:
        with open("/proc/net/if_inet6") as f:
            own = [line.split() for line in f]
    except OSError:
        own = []
    facts["global_ipv6"] = sum(1 for row in own if row[-1] != "lo" and not row[0].startswith("fe80"))
    facts["tcp6_socket"] = can_open(socket.AF_INET6, socket.SOCK_STREAM)
    facts["achieved"] = facts["global_ipv6"] > 0 and bool(facts["routes_out"])
    print("ATTACK_REPORT " + json.dumps(facts))
    raise SystemExit(0)

EAI = {getattr(socket, n): n for n in dir(socket) if n.startswith("EAI_")}
try:
    with open("/proc/net/if_inet6") as f:
        addresses = [line.split()[0] for line in f if line.split()[-1] != "lo"]
except OSError:
    addresses = []  # IPv6 not even compiled into this network namespace
facts = {"ipv6_addresses": len(addresses)}
try:
    address = socket.getaddrinfo("target", 7007, socket.AF_INET6, socket.SOCK_STREAM)[0][4]
    with socket.create_connection(address[:2], timeout=3) as conn:
        conn.sendall(b"v6")
        facts.update(achieved=conn.recv(2) == b"v6", peer=address[0])
except socket.gaierror as exc:
    facts.update(achieved=False, error=EAI.get(exc.errno, str(exc.errno)))
except OSError as exc:
    facts.update(achieved=False, error=type(exc).__name__)
print("ATTACK_REPORT " + json.dumps(facts))
