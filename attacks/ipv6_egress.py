ATTACK = {
    "title": "IPv6 connection out",
    "category": "network",
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

import json
import socket

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
