"""The kit's internal networks and the target container that is their only other member.

When a run is allowed a network (the network control removed, or the naive profile), it must
still never reach past this machine. It joins a Docker network created with `internal=True`
(no route out, no NAT) for that run alone, whose only other member is the kit's own target: a
tiny echo and HTTP server, reachable by the name `target`. Network attacks aim at it and nothing
else, and two runs never share a network, so they cannot reach each other.

Gotchas this module handles:
- Docker's embedded DNS forwards names it does not know to the host's resolver. Runs on this
  network get `dns=["127.0.0.1"]`, so only container names resolve and nothing is forwarded.
- An internal network still gives containers a default route to a gateway address that Docker
  puts on the host's bridge, which makes every host service bound to all interfaces reachable.
  The network is created with `com.docker.network.bridge.inhibit_ipv4`, so the host holds no
  address on it: the gateway never answers and nothing can be routed anywhere.
- No IPv6 on this network: Docker 20.10 does not manage ip6tables, and a host that forwards
  IPv6 would route a container's packets out. Without it, containers here have no IPv6 at all.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Iterator

from docker.errors import APIError, NotFound
from docker.models.containers import Container

from . import engine
from .errors import SandboxError
from .limits import HARDENED
from .options import container_options
from .uids import TARGET_UID

log = logging.getLogger(__name__)

TARGET_ALIAS = "target"
INHIBIT_IPV4 = "com.docker.network.bridge.inhibit_ipv4"
HTTP_PORT = 8080
ECHO_PORT = 7007  # TCP and UDP echo
READY_LINE = "target ready"

# Runs inside the target container: a dual-stack TCP echo, UDP echo and HTTP server.
TARGET_PROGRAM = f'''
import http.server, socket, socketserver, threading

class Dual:
    allow_reuse_address = True
    daemon_threads = True
    def __init__(self, port, handler):
        try:
            self.address_family = socket.AF_INET6
            super().__init__(("::", port), handler)
        except OSError:
            self.address_family = socket.AF_INET
            super().__init__(("0.0.0.0", port), handler)

class TCP(Dual, socketserver.ThreadingTCPServer): pass
class UDP(Dual, socketserver.ThreadingUDPServer): pass

class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(5)
        data = self.request.recv(4096)
        self.request.sendall(data)

class UDPEcho(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        sock.sendto(data, self.client_address)

class Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"safe-python target: you reached the kit's own target container\\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass

servers = [TCP({ECHO_PORT}, Echo), UDP({ECHO_PORT}, UDPEcho), TCP({HTTP_PORT}, Page)]
for server in servers:
    threading.Thread(target=server.serve_forever, daemon=True).start()
print("{READY_LINE}", flush=True)
threading.Event().wait()
'''

# The target runs under the hardened controls too, but for its clock (it serves for the whole
# session) and with its own uid (10000), so a run cannot spend the target's per-user budgets.
TARGET_LIMITS = HARDENED.replace(
    name="target", network="internal", timeout_s=None, memory_mib=64, pids=32, output_cap_bytes=64 * 1024
)

_lock = threading.Lock()
_ready = False


def network_name() -> str:
    """The target's home network: the target alone; runs get networks of their own."""
    return f"safe-python-net-{engine.SESSION}"


def target_name() -> str:
    return f"safe-python-target-{engine.SESSION}"


def ensure() -> str:
    """Create (once per process) the target and its home network; return the home network's name."""
    global _ready
    with _lock, engine.translated_errors("starting the kit's target container"):
        if _ready and _target_running():
            return network_name()
        # Registered before anything exists, so a failure half-way still cleans up at exit.
        atexit.register(teardown)
        try:
            _create_network(network_name())
            _ensure_target()
        except BaseException:
            engine.remove_container(target_name())
            raise
        _ready = True
        return network_name()


@contextlib.contextmanager
def isolated() -> Iterator[str]:
    """A fresh internal network for one run, holding that run and the target, nothing else.

    One network per run, not per process: runs that share a network can reach each other, and a
    server with ablation on must not let one learner's program talk to another's.
    """
    ensure()
    name = f"{network_name()}-{uuid.uuid4().hex[:8]}"
    api = engine.client().api
    with engine.translated_errors("creating an internal network for the run"):
        _create_network(name)
        try:
            api.connect_container_to_network(target_name(), name, aliases=[TARGET_ALIAS])
        except BaseException:
            _remove_network(name)
            raise
    try:
        yield name
    finally:
        try:
            api.disconnect_container_from_network(target_name(), name, force=True)
        except (APIError, *engine.CONNECTION_ERRORS) as exc:
            # Gone with its container, or the engine is gone: the reaper's job.
            log.debug("could not disconnect the target from network %s: %r", name, exc)
        _remove_network(name)


def hosts_entry(name: str) -> dict[str, str]:
    """The run's /etc/hosts entry for the target on network `name`, where the engine's internal
    networks resolve no names (Podman's CNI without dnsname): {"target": its address}; {} on
    Docker, whose embedded DNS answers the alias."""
    if engine.kind().names_on_networks:
        return {}
    networks = engine.client().api.inspect_container(target_name())["NetworkSettings"]["Networks"]
    address = (networks.get(name) or {}).get("IPAddress")
    if not address:
        raise SandboxError(f"The kit's target has no address on the run's network {name}.")
    return {TARGET_ALIAS: address}


def teardown() -> None:
    """Remove this process's target and networks (the reaper handles a crashed process's)."""
    global _ready
    _ready = False
    engine.wait_for_removals(engine.EXIT_WAIT_S)  # the runs' own networks go with their removals
    try:
        api = engine.client().api
        engine.remove_container(target_name())
        for info in api.networks(filters={"label": [f"{engine.LABEL}=1", f"{engine.LABEL_SESSION}={engine.SESSION}"]}):
            _remove_network(info["Id"])
    except (SandboxError, APIError, *engine.CONNECTION_ERRORS) as exc:
        # Engine gone; the labelled leftovers are the reaper's job.
        log.warning("could not remove this process's target and networks (left to the reaper): %r", exc)


def _create_network(name: str) -> None:
    try:
        engine.client().api.create_network(
            name,
            driver="bridge",
            internal=True,
            enable_ipv6=False,
            options={INHIBIT_IPV4: "true"},
            labels=engine.labels("network"),
            check_duplicate=True,
        )
    except APIError as exc:
        if exc.status_code != 409:  # 409: it exists already (another thread of ours made it)
            raise


def _remove_network(name: str) -> None:
    try:
        engine.client().api.remove_network(name)
    except (APIError, *engine.CONNECTION_ERRORS) as exc:
        log.warning("could not remove network %s (left to the reaper): %r", name, exc)


def _target_running() -> bool:
    try:
        state = engine.client().api.inspect_container(target_name())["State"]
    except NotFound:
        return False
    return bool(state.get("Running"))


def _ensure_target() -> None:
    if _target_running():
        return
    client = engine.client()
    engine.remove_container(target_name())
    engine.ensure_image()
    options = container_options(
        TARGET_LIMITS,
        image=engine.IMAGE,
        command=["python3", "-I", "-u", "-c", TARGET_PROGRAM],
        labels=engine.labels("target"),
        network_name=network_name(),
        uid=TARGET_UID,
    )
    options["name"] = target_name()
    options["networking_config"] = {network_name(): client.api.create_endpoint_config(aliases=[TARGET_ALIAS])}
    container = client.containers.get(engine.create_container(options, client))
    container.start()
    _wait_ready(container)


def _wait_ready(container: Container, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if READY_LINE in container.logs().decode("utf-8", "replace"):
            return
        container.reload()
        if container.status not in ("created", "running"):
            break
        time.sleep(0.1)
    logs = container.logs().decode("utf-8", "replace")[-500:]
    raise SandboxError(
        f"The kit's target container did not start: {logs or container.status}",
        hint="Run 'python -m sandbox doctor' and check the engine's log.",
    )
