"""Access to the Docker Engine: one shared client, the kit's labels, the image check.

The engine is found the standard way (DOCKER_HOST, else the local socket), so the kit works
with Docker Desktop, a system dockerd, or the one `docker/ensure-engine.sh` starts.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import hashlib
import logging
import os
import socket
import stat
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import docker
import requests
from docker.errors import APIError, DockerException, ImageNotFound, NotFound

from . import images
from .errors import EngineUnavailable, ImageMissing, RunRefused, RuntimeMissing, SandboxError
from .languages import DEFAULT_LANGUAGE, LANGUAGES
from .text import clip

IMAGE = LANGUAGES[DEFAULT_LANGUAGE].image

log = logging.getLogger(__name__)

LABEL = "org.safe-python.kit"  # on everything the kit creates
LABEL_ROLE = "org.safe-python.role"  # run, target, audit, ...
LABEL_SESSION = "org.safe-python.session"
LABEL_CREATED = "org.safe-python.created"
LABEL_OWNER = "org.safe-python.owner"  # host:pid of the process that made it (for the reaper)

# One id per process (or the caller's SANDBOX_SESSION), so that a test suite, a server and a
# lesson on the same engine clean up only what they made; the reaper can still remove all.
SESSION = os.environ.get("SANDBOX_SESSION") or uuid.uuid4().hex[:12]


def use(url: str) -> None:
    """Point the kit (and the processes it starts) at another engine: unix:///path/docker.sock,
    tcp://host:2376, ssh://user@host, or a Podman socket. The same as setting DOCKER_HOST."""
    os.environ["DOCKER_HOST"] = url
    forget_clients()


# SANDBOX_ENGINE names the kit's engine and wins over DOCKER_HOST, which other tools share.
if os.environ.get("SANDBOX_ENGINE"):
    os.environ["DOCKER_HOST"] = os.environ["SANDBOX_ENGINE"]

# Engine-level failures that mean "the engine is not there (any more)".
CONNECTION_ERRORS = (requests.exceptions.ConnectionError, ConnectionError)

_lock = threading.Lock()
_clients: dict[str, docker.DockerClient] = {}
_images_ok: set[str] = set()
_failed_removals = 0  # containers remove_container gave up on, since this process started
# Removals under way in threads of their own (box.py), off the answer's path: the reaper's
# functions and the interpreter's exit wait for them (the exit for at most EXIT_WAIT_S).
_removals = threading.Condition()
_under_way = 0
EXIT_WAIT_S = 20.0


def removing(delta: int) -> None:
    """Count a removal under way (+1, as it is handed over) or done (-1)."""
    global _under_way
    with _removals:
        _under_way += delta
        _removals.notify_all()


def wait_for_removals(timeout_s: float = 60.0) -> bool:
    """Wait until every removal this process has under way is done; False if some still are."""
    with _removals:
        return _removals.wait_for(lambda: _under_way <= 0, timeout_s)


atexit.register(wait_for_removals, EXIT_WAIT_S)


def client() -> docker.DockerClient:
    """The shared client for the engine DOCKER_HOST names; raises EngineUnavailable if none answers."""
    key = os.environ.get("DOCKER_HOST", "")
    with _lock:
        found = _clients.get(key)
    if found is not None:
        return found
    # Made outside the lock: asking a hung engine for its version must not block every other run.
    try:
        # Each run holds one connection open for its output stream; leave room for a worker
        # pool's worth of them plus the calls around them.
        made = docker.from_env(max_pool_size=64, timeout=60)
    except (DockerException, *CONNECTION_ERRORS) as exc:
        where = key or "the default socket (/var/run/docker.sock)"
        raise EngineUnavailable(f"No Docker Engine answered at {where} ({_reason(exc)}).") from exc
    with _lock:
        return _clients.setdefault(key, made)


def forget_clients() -> None:
    """Drop cached clients (after DOCKER_HOST changed, or in tests)."""
    with _lock:
        _clients.clear()
        _images_ok.clear()
        _kinds.clear()


@dataclass(frozen=True)
class Kind:
    """What kind of engine answers, and the facts about it the kit adapts to.

    Read once per engine from `version()`: Podman names itself in Components ("Podman Engine").
    Everything that differs between engines and the core adapts to is a field here, read where it
    matters, so no other module of the core asks which engine this is. What an engine changes for
    the lessons (the words doctor shows, the audit items it does not apply) is the lab's
    (sandbox/lab/engines.py).
    """

    name: str  # "docker" or "podman"
    version: str  # the engine's own version: Docker 26.1.5, Podman 4.3.1
    seccomp_inline: bool  # takes a seccomp profile as JSON text in SecurityOpt (else a path)
    masks_field: bool  # applies HostConfig.MaskedPaths (else SecurityOpt "mask=a:b")
    read_only_tmpfs: tuple[str, ...]  # tmpfs mounts it adds, uncapped, to a read-only root
    oom_flag: bool  # State.OOMKilled is set after an OOM kill in the container
    # Its internal networks resolve the names of their members (Docker's embedded DNS); else the
    # kit writes the target's address into the run's /etc/hosts (sandbox.network.hosts_entry).
    names_on_networks: bool = True
    # A container on a network without IPv6 has none (Docker turns it off); else the kit turns
    # it off inside (net.ipv6.conf.*.disable_ipv6), so no link-local address is left either.
    ipv6_off_on_networks: bool = True
    # --privileged drops every seccomp filter (Docker); Podman keeps a profile asked for by name.
    privileged_drops_seccomp: bool = True
    # Its internal networks give a container a default route, to a gateway address nobody holds
    # (Docker, inhibit_ipv4); Podman's have no gateway at all: only the subnet's own route.
    internal_gateway: bool = True
    # info's Runtimes lists only the runtimes it has (Docker); Podman lists every runtime its
    # containers.conf names, installed or not, so the kit trusts only its default runtime there.
    runtimes_listed: bool = True


DOCKER_KIND = Kind("docker", "?", seccomp_inline=True, masks_field=True, read_only_tmpfs=(), oom_flag=True)


_kinds: dict[str, Kind] = {}


def called() -> str:
    """What a message calls the engine DOCKER_HOST names: its kind where it was asked already
    (never asked here: it may have just gone away)."""
    with _lock:
        found = _kinds.get(os.environ.get("DOCKER_HOST", ""))
    return "Podman service" if found is not None and found.name == "podman" else "Docker Engine"


def kind() -> Kind:
    """The kind of the engine DOCKER_HOST names (asked once per engine)."""
    key = os.environ.get("DOCKER_HOST", "")
    with _lock:
        found = _kinds.get(key)
    if found is not None:
        return found
    with translated_errors("saying what it is"):
        version = client().version()
    names = {c.get("Name"): c.get("Version") for c in version.get("Components") or []}
    if "Podman Engine" in names:
        found = Kind(
            "podman",
            str(names["Podman Engine"]),
            seccomp_inline=False,
            masks_field=False,
            read_only_tmpfs=("/run", "/tmp", "/var/tmp"),
            oom_flag=False,
            names_on_networks=False,
            ipv6_off_on_networks=False,
            privileged_drops_seccomp=False,
            internal_gateway=False,
            runtimes_listed=False,
        )
    else:
        found = dataclasses.replace(DOCKER_KIND, version=str(version.get("Version", "?")))
    log.info("the engine at %s is %s %s", key or "the default socket", found.name, found.version)
    with _lock:
        return _kinds.setdefault(key, found)


def kit_file(text: str, name: str = "seccomp-{}.json", mode: int = 0o600) -> str:
    """`text` (a seccomp profile's JSON, the run's /etc/hosts) in a file of the kit's own, for an
    engine that takes a path: $XDG_CACHE_HOME/safe-python/, named by its hash, written once, in a
    folder only this user (and root) can reach. The engine must share this machine's files (a
    local socket)."""
    folder = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "safe-python")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    path = os.path.join(folder, name.format(hashlib.sha256(text.encode()).hexdigest()[:16]))
    if not os.path.exists(path):
        temporary = f"{path}.{os.getpid()}.{threading.get_ident()}"
        with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode), "w") as handle:
            handle.write(text)
        os.chmod(temporary, mode)  # whatever the umask took away
        os.replace(temporary, path)
    return path


# A run without a network is created with the engine's networking disabled (network_disabled):
# no hook sets its namespace up (Docker's re-executes dockerd once per run), and the engine writes
# no /etc/hosts or /etc/resolv.conf. An image's own cannot serve: Docker's init layer puts empty
# ones over them. So the kit binds its own, read-only, as the engine would have written them:
# without a resolver a lookup would go to 127.0.0.1 and fail there, unseen by the kernel's count
# of packets with no route, which is how a run is known to have been stopped by the network.
HOSTS = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
DEFAULT_RESOLVERS = ("8.8.8.8", "8.8.4.4")  # what Docker writes when the host has none but loopback


def _without_engine_network(create: dict[str, Any], host_config: dict[str, Any]) -> None:
    if not create.get("network_disabled"):
        return
    if socket_path() is None:  # a remote engine cannot bind this machine's file: its own set-up stays
        create.pop("network_disabled")
        return
    binds = [f"{hosts_file()}:/etc/hosts:ro", f"{resolv_file()}:/etc/resolv.conf:ro"]
    host_config["Binds"] = [*(host_config.get("Binds") or []), *binds]


def hosts_file() -> str:
    """The kit's /etc/hosts for a run without a network, on this machine (any uid reads it)."""
    return kit_file(HOSTS, "hosts-{}", 0o644)


def resolv_file() -> str:
    """The kit's /etc/resolv.conf for a run without a network: the host's resolvers but those on
    loopback, or Docker's defaults, as the engine would have written it (any uid reads it)."""
    try:
        with open("/etc/resolv.conf", encoding="utf-8", errors="replace") as handle:
            words = [line.split() for line in handle]
    except OSError:
        words = []
    found = [w[1] for w in words if len(w) > 1 and w[0] == "nameserver" and not w[1].startswith(("127.", "::1"))]
    text = "".join(f"nameserver {address}\n" for address in found or DEFAULT_RESOLVERS)
    return kit_file(text, "resolv-{}", 0o644)


def _as_this_engine_takes_it(host_config: dict[str, Any]) -> None:
    """HostConfig as this engine takes it: an inline seccomp profile becomes a path, and masked
    paths a SecurityOpt of their own, where the engine wants them so."""
    found = kind()
    options = list(host_config.get("SecurityOpt") or [])
    if not found.seccomp_inline:
        options = [f"seccomp={kit_file(o[len('seccomp=') :])}" if o.startswith("seccomp={") else o for o in options]
    if not found.masks_field and host_config.get("MaskedPaths"):
        options.append("mask=" + ":".join(host_config.pop("MaskedPaths")))
    if options:
        host_config["SecurityOpt"] = options
    if not found.ipv6_off_on_networks and host_config.get("NetworkMode") not in (None, "", "none", "host"):
        # A network without IPv6 must leave no IPv6 address inside, not even a link-local one.
        sysctls = host_config.setdefault("Sysctls", {})
        sysctls.setdefault("net.ipv6.conf.all.disable_ipv6", "1")
        sysctls.setdefault("net.ipv6.conf.default.disable_ipv6", "1")
    if host_config.get("ReadonlyRootfs") and found.read_only_tmpfs:
        # The engine's own would be writable without a size cap: read-only, as the root is.
        tmpfs = host_config.setdefault("Tmpfs", {})
        for path in found.read_only_tmpfs:
            tmpfs.setdefault(path, "ro,nosuid,nodev,noexec,size=64k")


def labels(role: str) -> dict[str, str]:
    return {
        LABEL: "1",
        LABEL_ROLE: role,
        LABEL_SESSION: SESSION,
        LABEL_CREATED: str(int(time.time())),
        LABEL_OWNER: f"{socket.gethostname()}:{os.getpid()}",
    }


def ensure_image(name: str | None = None) -> None:
    """Raise ImageMissing unless `name` (Python's image by default) is present and current."""
    name = name or IMAGE
    if name in _images_ok:
        return
    kit = images.for_tag(name)
    build = "'python -m sandbox build'" + (f" (or '--image {kit.key}')" if kit and kit.key != "python" else "")
    try:
        image = client().images.get(name)
    except ImageNotFound as exc:
        if kit is None:
            raise ImageMissing(
                f"The image {name} is not on this engine.",
                hint=f"Build or load {name} first ({build} builds only the kit's images).",
            ) from exc
        raise ImageMissing(
            f"The sandbox image {name} is not on this engine.", hint=f"Build it with {build} (works offline too)."
        ) from exc
    except CONNECTION_ERRORS as exc:
        raise EngineUnavailable(f"The {called()} stopped answering ({_reason(exc)}).") from exc
    found = (image.labels or {}).get(images.VERSION_LABEL)
    wanted = images.version(kit) if kit else None
    if kit is not None and wanted is not None and found != wanted:
        raise ImageMissing(
            f"The sandbox image {name} was built from another docker/{kit.dockerfile} "
            f"(version {found or 'unknown'}, this checkout's is {wanted}).",
            hint=f"Rebuild it with {build}.",
        )
    with _lock:
        _images_ok.add(name)


def runtimes() -> list[str]:
    """The OCI runtimes the engine has registered (runc, and runsc where gVisor is)."""
    listed = kind().runtimes_listed
    try:
        info = client().info()
        return sorted(info.get("Runtimes") or {}) if listed else [info.get("DefaultRuntime") or "runc"]
    except CONNECTION_ERRORS as exc:
        raise EngineUnavailable(f"The {called()} stopped answering ({_reason(exc)}).") from exc


def ensure_runtime(name: str) -> None:
    """Raise RuntimeMissing unless the engine has the runtime `name` (runc always passes)."""
    key = "runtime:" + os.environ.get("DOCKER_HOST", "") + ":" + name
    if name == "runc" or key in _images_ok:
        return
    found = runtimes()
    if name not in found:
        gvisor, entry = name == "runsc", f'"runtimes": {{"{name}": {{"path": "/usr/bin/{name}"}}}}'
        hint = None if gvisor else f"Install {name}, add '{entry}' to the engine's daemon.json and restart it."
        why = ": gVisor is not registered on it." if gvisor else "."
        raise RuntimeMissing(
            f"This engine has no {name!r} runtime (it has {', '.join(found) or 'none'}){why}", hint=hint
        )
    with _lock:
        _images_ok.add(key)


def ping() -> None:
    """Raise EngineUnavailable unless the engine answers now."""
    with translated_errors("checking that it answers"):
        client().ping()


def check_image(name: str | None = None, *, fresh: bool = False) -> None:
    """ensure_image, translated; `fresh` asks the engine again rather than trusting earlier runs."""
    if fresh:
        forget_image(name)
    with translated_errors("checking the image"):
        ensure_image(name)


def forget_image(name: str | None = None) -> None:
    name = name or IMAGE
    with _lock:
        _images_ok.discard(name)


def refusal(exc: APIError, doing: str) -> RunRefused:
    """The kit's error for an engine that answered and refused (a configuration it cannot apply,
    e.g. privileged while dropping capabilities, not an engine that went away): RunRefused, in the
    engine's words. The one place an APIError becomes a kit error; raise it `from exc`."""
    log.info("the engine refused %s: %s", doing, exc)
    return RunRefused(f"The engine refused {doing}: {clip(str(exc.explanation or exc))}")


@contextlib.contextmanager
def translated_errors(doing: str, refusing: str | None = None) -> Iterator[None]:
    """Turn the SDK's exceptions into the kit's: a refusal is RunRefused (saying it refused
    `refusing`, else `doing`), silence EngineUnavailable."""
    try:
        yield
    except SandboxError:
        raise
    except APIError as exc:
        raise refusal(exc, refusing or doing) from exc
    except (requests.exceptions.RequestException, DockerException, *CONNECTION_ERRORS) as exc:
        log.info("the engine stopped answering while %s: %r", doing, exc)
        raise EngineUnavailable(f"The {called()} stopped answering while {doing} ({exc.__class__.__name__}).") from exc


# The options that go into the container's own config: the keyword arguments of the documented
# `APIClient.create_container` that it hands straight to `create_container_config`. Every other
# option is the HostConfig's (`create_host_config`), a container's network, or its volumes.
CONTAINER_CONFIG_KEYS = frozenset(
    {
        "command",
        "detach",
        "domainname",
        "entrypoint",
        "environment",
        "healthcheck",
        "hostname",
        "image",
        "labels",
        "mac_address",
        "network_disabled",
        "stdin_open",
        "stop_signal",
        "tty",
        "user",
        "working_dir",
    }
)


def create_container(options: dict[str, Any], docker_client: docker.DockerClient | None = None) -> str:
    """Create one container from the kit's options; return its id.

    The one place a missing image is told, and where the options docker-py has no keyword for
    go into the engine's HostConfig (masked and read-only paths) and a run's stdin closes when
    the kit detaches (StdinOnce: the supervisor then knows the kit is gone). Only docker-py's
    documented low-level API is used.
    """
    options = dict(options)
    extra, name = options.pop("host_config_extra", {}), options.pop("name", None)
    create = {k: options.pop(k) for k in list(options) if k in CONTAINER_CONFIG_KEYS}
    network = options.pop("network", None)
    endpoints = options.pop("networking_config", None)
    volumes = options.pop("volumes", None)
    host = options
    api = (docker_client or client()).api
    if network:
        host["network_mode"] = network
        endpoints = endpoints or {network: api.create_endpoint_config()}
        # types-docker wants one EndpointConfig; the SDK takes (and needs) {network: config}
        create["networking_config"] = api.create_networking_config(endpoints)  # type: ignore[arg-type]
    if volumes:
        host["binds"] = volumes
        create["volumes"] = [v["bind"] for v in volumes.values()]
    try:
        host_config = api.create_host_config(**host)
    except TypeError as exc:  # an option that is nobody's, or of the wrong type
        raise SandboxError(f"Container options the engine cannot take: {exc}.") from exc
    host_config.update(extra)
    _as_this_engine_takes_it(host_config)
    _without_engine_network(create, host_config)
    config = api.create_container_config(**create, host_config=host_config)
    if create.get("stdin_open"):
        config["StdinOnce"] = True
    try:
        return api.create_container_from_config(config, name)["Id"]
    except ImageNotFound as exc:
        forget_image(create.get("image"))
        raise ImageMissing(f"The sandbox image {create.get('image')} is not on this engine.") from exc


def wait_exit(container_id: str, timeout_s: float, api: docker.APIClient | None = None) -> bool:
    """Wait up to `timeout_s` for the container to exit; False if it is still running.

    The SDK's `wait(timeout=)` is only an HTTP read timeout, reported as ReadTimeout or as a
    ConnectionError that says "timed out"; either means "not yet", never "stopped".
    """
    try:
        # An HTTP read timeout: the SDK takes a float though types-docker says int.
        (api or client().api).wait(container_id, timeout=max(timeout_s, 0.05))  # type: ignore[arg-type]
        return True
    except requests.exceptions.ReadTimeout:
        return False
    except requests.exceptions.ConnectionError as exc:
        if "timed out" in str(exc).lower():
            return False
        raise


def remove_container(name_or_id: str, attempts: int = 3, api: docker.APIClient | None = None) -> bool:
    """Force-remove a container; True if it is gone. Never raises: leftovers are the reaper's job,
    and each one is logged and counted (`failed_removals()`, shown by the server's /health)."""
    problem: BaseException | None = None
    for attempt in range(attempts):
        try:
            (api or client().api).remove_container(name_or_id, force=True)
            return True
        except NotFound:
            return True
        except APIError as exc:
            if exc.status_code == 409 and "in progress" in str(exc):
                return True  # the engine is already removing it
            problem = exc
            log.debug("removing container %s failed (attempt %d of %d): %s", name_or_id, attempt + 1, attempts, exc)
            time.sleep(0.2 * (attempt + 1))
        except (requests.exceptions.RequestException, SandboxError, *CONNECTION_ERRORS) as exc:
            problem = exc
            break
    _count_failed_removal(name_or_id, problem)
    return False


def _count_failed_removal(name_or_id: str, problem: BaseException | None) -> None:
    global _failed_removals
    with _lock:
        _failed_removals += 1
    log.warning(
        "could not remove container %s (left to the reaper): %s: %s", name_or_id, type(problem).__name__, problem
    )


def failed_removals() -> int:
    """How many containers this process failed to remove (each left to the reaper): a number
    that should stay 0; one that grows means the engine refuses or loses removals."""
    with _lock:
        return _failed_removals


def socket_path() -> str | None:
    """The host path of the unix socket the engine listens on, as DOCKER_HOST names it.

    No DOCKER_HOST means Docker's default, /var/run/docker.sock. None when the engine is not on
    a local unix socket here: DOCKER_HOST names tcp:// (or ssh://...), or no socket is there.
    """
    host = os.environ.get("DOCKER_HOST", "").strip()
    if not host:
        path = "/var/run/docker.sock"
    elif host.startswith("unix://"):
        path = host[len("unix://") :]
    else:
        return None
    return path if is_socket(path) else None


def is_socket(path: str) -> bool:
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return False


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return clip(text, 160)
