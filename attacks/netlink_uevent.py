ATTACK = {
    "title": "Listen to the host's device events, and other rare sockets",
    "category": "network",
    "foreign": "it only opens and binds sockets, and sends nothing, on any target",
    "control": "seccomp",
    "hardened": "only NETLINK_ROUTE and TCP/UDP/raw are allowed: uevent, ping and UDP-Lite sockets fail with EPERM",
    "ablated": "under Docker's default profile a NETLINK_KOBJECT_UEVENT socket opens: the host's device events arrive",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "uevent": "EPERM", "ping": "EPERM",
                                                "udplite": "EPERM", "route": "OK"}},
        "ablated": {"status": "ok", "report": {"achieved": True, "uevent": "OK", "route": "OK"}},
        "naive": {"status": "ok", "report": {"achieved": True}},
    },
    "engines": [{"podman_from": "4", "why": "Podman sets net.ipv4.ping_group_range to 0 0 (its containers.conf "
                 "default), where Docker opens ping sockets to every group: ping gets EACCES there even "
                 "without the kit's filter; the uevent socket still opens"}],
    "gvisor": {
        "ablated": {"verdict": "contained", "expect": {"status": "ok", "report": {"achieved": False, "uevent": "bind EACCES"}},
                    "why": "gVisor's kernel has no device events to listen to: binding the uevent socket is refused "
                           "even with the kit's filter removed"},
    },
    "explain": """
        Netlink is how the kernel talks to programs about itself, and its families reach far:
        NETLINK_KOBJECT_UEVENT delivers every device event of the host (disks plugged in,
        interfaces coming up) into any container that binds to it, since those events are
        not namespaced. Docker's default profile allows every netlink family, and ping
        sockets and UDP-Lite too, each more kernel code within reach. The kit's profile allows
        netlink only for NETLINK_ROUTE (which the C library uses to list interfaces) and IP
        sockets only for TCP, UDP and raw (which CAP_NET_RAW still guards). The attack opens
        and binds each socket, then closes it; it does not wait for an event.
    """,
}

import errno
import json
import socket

NETLINK_KOBJECT_UEVENT, IPPROTO_UDPLITE = 15, 136


def attempt(family, kind, protocol, bind=None):
    try:
        s = socket.socket(family, kind, protocol)
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))
    try:
        if bind is not None:
            s.bind(bind)
        return "OK"
    except OSError as exc:
        return "bind " + errno.errorcode.get(exc.errno, str(exc.errno))
    finally:
        s.close()


facts = {
    "uevent": attempt(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_KOBJECT_UEVENT, bind=(0, 1)),
    "route": attempt(socket.AF_NETLINK, socket.SOCK_RAW, 0),
    "ping": attempt(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP),
    "udplite": attempt(socket.AF_INET, socket.SOCK_DGRAM, IPPROTO_UDPLITE),
}
facts["achieved"] = facts["uevent"] == "OK"
print("ATTACK_REPORT " + json.dumps(facts))
