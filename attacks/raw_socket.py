ATTACK = {
    "title": "Raw and packet sockets",
    "category": "network",
    "foreign": "it only creates sockets, and sends nothing, on any target",
    "control": "capabilities",
    "given": ["user"],
    "hardened": "even as root, raw and packet sockets are refused with EPERM: CAP_NET_RAW was dropped",
    "ablated": "root with Docker's default capabilities creates raw ICMP sockets; packet sockets stay refused by the "
               "kit's seccomp",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "raw_icmp": "EPERM", "packet": "EPERM"}},
        "ablated": {"status": "ok", "report": {"achieved": True, "raw_icmp": "OK", "packet": "EPERM"}},
        "naive": {"status": "ok", "report": {"achieved": True, "packet": "OK"}},
    },
    "explain": """
        A raw socket lets a program write any packet it likes, with forged source addresses,
        and a packet socket lets it read every frame on its interface: spoofing and sniffing.
        Both need the CAP_NET_RAW capability, which Docker grants to root in a container by
        default. Capabilities and users overlap: a non-root process has no capabilities to use
        anyway, so this attack runs as root in both cases (the user control is given away) to
        show the capabilities control on its own: dropped, root gets EPERM; Docker's default
        set, root gets a raw socket. The packet socket is still refused then: the kit's seccomp
        profile only lets socket(2) through for the UNIX, INET, INET6 and NETLINK families, a
        second layer under the capability (Docker's default profile, in the naive run, lets it
        through). It only creates sockets; no packet is sent. An unprivileged
        ICMP 'ping' socket is reported too: Docker allows it to every user, and it cannot forge.
    """,
}

import errno
import json
import socket


def attempt(family, kind, proto=0):
    try:
        socket.socket(family, kind, proto).close()
        return "OK"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))


facts = {
    "raw_icmp": attempt(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP),
    "packet": attempt(socket.AF_PACKET, socket.SOCK_RAW),
    "ping_dgram": attempt(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP),
}
facts["achieved"] = facts["raw_icmp"] == "OK" or facts["packet"] == "OK"
print("ATTACK_REPORT " + json.dumps(facts))
