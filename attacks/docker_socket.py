ATTACK = {
    "varies": ["engine", "api", "kernel"],   # what the engine it reached says of itself
    "title": "The Docker socket, mounted",
    "category": "escape",
    "misconfiguration": "docker_socket",
    "given": ["user"],
    "needs": ["docker_socket"],
    "hardened": "there is no Docker socket in the container (ENOENT)",
    "ablated": "with the host's socket mounted (even read-only), root in the container talks to the Docker Engine",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "errno": "ENOENT"}},
        "ablated": {"status": "ok", "report": {"achieved": True, "http_status": 200}},
        "naive": {"status": "ok", "report": {"achieved": False, "errno": "ENOENT"}},
    },
    "gvisor": {
        "ablated": {"verdict": "contained", "expect": {"status": "ok", "report": {"achieved": False, "errno": "ECONNREFUSED"}},
                    "why": "gVisor does not connect a program to a host's unix socket (runsc's --host-uds is none "
                           "by default): the mounted engine socket refuses the connection"},
    },
    "explain": """
        Whoever can talk to the Docker Engine's socket can start a container that mounts the
        host's root filesystem, with --privileged: the socket is root on the host. Tools that
        need Docker get it mounted in, and a ':ro' on the mount does not help, because
        connecting to a socket is not writing a file. This attack only asks the Engine for
        GET /version over the socket. It runs as root in both cases (the user control is given
        away): as the kit's non-root runner it would get EACCES, because the socket belongs to
        root and the docker group, and that is one more layer. Without the mount (hardened),
        there is nothing to connect to.
    """,
}

import errno
import json
import socket

facts = {}
try:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(5)
        conn.connect("/var/run/docker.sock")
        conn.sendall(b"GET /version HTTP/1.0\r\nHost: docker\r\n\r\n")
        answer = b""
        while len(answer) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    facts["http_status"] = int(head.split()[1])
    version = json.loads(body or b"{}")
    facts.update(engine=version.get("Version"), api=version.get("ApiVersion"), kernel=version.get("KernelVersion"))
    facts["achieved"] = facts["http_status"] == 200
except OSError as exc:
    facts.update(achieved=False, errno=errno.errorcode.get(exc.errno, str(exc.errno)))
except (ValueError, IndexError) as exc:
    facts.update(achieved=False, error=f"unreadable answer: {exc}")
print("ATTACK_REPORT " + json.dumps(facts))
