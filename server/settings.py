"""Settings: where the server listens and how much it runs, from flags and environment.

Every flag has an environment variable (the flag wins), so a classroom can set them once:

    python -m server --port 8080 --workers 3 --queue 10 --timeout 5
    SANDBOX_PORT=8080 SANDBOX_WORKERS=3 python -m server
"""

from __future__ import annotations

import argparse
import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path

from sandbox import PROFILES, Pool

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
LOOPBACK = ("127.0.0.1", "localhost", "::1")
WEB_ROOT = Path(__file__).resolve().parent.parent / "web"

# Profiles a visitor may pick: each keeps the kit's seccomp allowlist, drops every capability,
# sets no-new-privileges and gives each run a uid of its own, and each keeps the controls over
# what the host shares between containers (ptys, ulimits, host views): a visitor's run must not
# spend the host's pty count or file table. `seed_hardened` is the seed's flags plus those
# guards. The exact seed (Docker's default seccomp and capabilities, no
# no-new-privileges) and `naive` remove controls, so, like `without`, they are only offered
# when the teacher started the server with --allow-ablation.
# gvisor is hardened with a kernel of its own in between; where the engine lacks runsc its runs
# answer 503 runtime_missing with the fix.
SAFE_PROFILES = ("hardened", "seed_hardened", "gvisor")
ABLATION_PROFILES = tuple(p for p in PROFILES if p not in SAFE_PROFILES)


@dataclass(frozen=True)
class Settings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    workers: int = Pool.DEFAULT_WORKERS
    queue: int = Pool.DEFAULT_QUEUE
    timeout_s: float | None = None  # None: each profile's own (10 s)
    allow_ablation: bool = False
    allowed_hosts: tuple[str, ...] = ()  # extra Host names, e.g. a classroom machine's name
    web_root: Path = field(default=WEB_ROOT)
    warm: int | None = None  # warm containers waiting (None: one per worker; 0: none)
    klass: str | None = None  # a class of the classroom store: its join codes are needed to run
    open: bool = False  # bound beyond loopback without a class, on purpose
    per_minute: int = 30  # a student's runs a minute (with a class)
    at_once: int = 2  # a student's runs queued or running at once (with a class)
    data: Path | None = None  # the classroom store's folder (None: $SANDBOX_DATA or ~/.local/share/safe-python)
    broker: str | None = None  # a Redis broker: runs go to the workers there (sandbox.fleet), not to a local pool

    @property
    def loopback(self) -> bool:
        """Bound to this machine only (127.0.0.0/8, ::1, localhost): no class needed."""
        if self.host in LOOPBACK:
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False  # a name other than localhost may resolve to anything

    @property
    def profiles(self) -> tuple[str, ...]:
        return SAFE_PROFILES + (ABLATION_PROFILES if self.allow_ablation else ())

    @property
    def warm_size(self) -> int:
        if self.broker is not None:
            return 0  # the runs happen on the workers' machines: nothing to start ahead here
        return self.workers if self.warm is None else self.warm

    @property
    def threads(self) -> int:
        """Waitress threads: one per running or queued run, plus a few for pages and /health.

        With fewer, requests would wait inside waitress where the pool cannot see them, and the
        fast 429 would never be sent.
        """
        return self.workers + self.queue + 4


_ENV = {
    "host": "SANDBOX_HOST",
    "port": "SANDBOX_PORT",
    "workers": "SANDBOX_WORKERS",
    "queue": "SANDBOX_QUEUE",
    "timeout": "SANDBOX_TIMEOUT",
    "allow_ablation": "SANDBOX_ALLOW_ABLATION",
    "allow_host": "SANDBOX_ALLOWED_HOSTS",
    "web_root": "SANDBOX_WEB_ROOT",
    "warm": "SANDBOX_WARM",
    "klass": "SANDBOX_CLASS",
    "per_minute": "SANDBOX_PER_MINUTE",
    "at_once": "SANDBOX_AT_ONCE",
    "broker": "SANDBOX_BROKER",
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m server",
        description="Serve the safe-python web page and its /run API (loopback only by default).",
        epilog="Each flag can also be set by the environment variable named in its help.",
    )
    p.add_argument("--host", help=f"address to bind (default {DEFAULT_HOST}; ${_ENV['host']})")
    p.add_argument("--port", type=_port, help=f"TCP port (default {DEFAULT_PORT}; ${_ENV['port']})")
    p.add_argument(
        "--workers",
        type=_bounded_int(1, 64),
        help=f"sandboxes running at once (default {Pool.DEFAULT_WORKERS}; ${_ENV['workers']})",
    )
    p.add_argument(
        "--queue",
        type=_bounded_int(0, 1000),
        help=f"runs waiting for a worker before 429 (default {Pool.DEFAULT_QUEUE}; ${_ENV['queue']})",
    )
    p.add_argument(
        "--timeout", type=_seconds, help=f"wall-clock limit per run in seconds (default 10; ${_ENV['timeout']})"
    )
    p.add_argument(
        "--allow-ablation",
        action="store_true",
        default=None,
        help="let visitors remove controls and pick the naive profile: ONLY on a teacher's "
        f"own machine, never on a shared one (${_ENV['allow_ablation']}=1)",
    )
    p.add_argument(
        "--allow-host",
        action="append",
        metavar="NAME",
        help="also answer to this Host name (repeatable), e.g. when binding a classroom "
        f"address (${_ENV['allow_host']}, comma-separated)",
    )
    p.add_argument("--web-root", type=Path, help=f"folder of the page (default: web/; ${_ENV['web_root']})")
    p.add_argument(
        "--warm",
        type=_bounded_int(0, 32),
        help="containers started ahead and waiting for a program, each used once "
        f"(default: one per worker; 0 turns it off; ${_ENV['warm']})",
    )
    p.add_argument(
        "--class",
        dest="klass",
        metavar="NAME",
        help="serve a class: every run needs one of its join codes (python -m server class new NAME "
        f"--students N makes them; ${_ENV['klass']})",
    )
    p.add_argument(
        "--open",
        action="store_true",
        help="listen beyond loopback WITHOUT a class: anyone who can reach the address may run code",
    )
    p.add_argument(
        "--per-minute",
        type=_bounded_int(1, 10_000),
        help=f"with a class: a student's runs a minute (default 30; ${_ENV['per_minute']})",
    )
    p.add_argument(
        "--at-once",
        type=_bounded_int(1, 100),
        help=f"with a class: a student's runs queued or running at once (default 2; ${_ENV['at_once']})",
    )
    p.add_argument(
        "--broker",
        metavar="URL",
        help="send runs to the workers behind this Redis broker (python -m sandbox worker) instead of this "
        "machine's engine: unix:///path/redis.sock or redis://:PASSWORD@HOST:PORT/0; --workers is then the runs "
        f"this server waits on at once and --queue the runs waiting in the broker (${_ENV['broker']})",
    )
    p.add_argument(
        "--data", type=Path, help="the classroom store's folder (default $SANDBOX_DATA or ~/.local/share/safe-python)"
    )
    return p


def from_args(argv: list[str] | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Settings from flags, then environment, then defaults. Bad values exit with a usage line."""
    p = parser()
    args = p.parse_args(argv)
    env = os.environ if environ is None else environ

    def pick(name: str, convert, default):
        value = getattr(args, name)
        if value is not None:
            return value
        raw = env.get(_ENV[name], "").strip()
        if not raw:
            return default
        try:
            return convert(raw)
        except (argparse.ArgumentTypeError, ValueError) as exc:
            p.error(f"{_ENV[name]}={raw!r}: {exc}")

    hosts = args.allow_host or [h.strip() for h in env.get(_ENV["allow_host"], "").split(",") if h.strip()]
    return Settings(
        host=pick("host", str, DEFAULT_HOST),
        port=pick("port", _port, DEFAULT_PORT),
        workers=pick("workers", _bounded_int(1, 64), Pool.DEFAULT_WORKERS),
        queue=pick("queue", _bounded_int(0, 1000), Pool.DEFAULT_QUEUE),
        timeout_s=pick("timeout", _seconds, None),
        allow_ablation=bool(pick("allow_ablation", _flag, False)),
        allowed_hosts=tuple(hosts),
        web_root=pick("web_root", Path, WEB_ROOT),
        warm=pick("warm", _bounded_int(0, 32), None),
        klass=pick("klass", str, None),
        open=bool(args.open),
        per_minute=pick("per_minute", _bounded_int(1, 10_000), 30),
        at_once=pick("at_once", _bounded_int(1, 100), 2),
        data=args.data,
        broker=pick("broker", str, None),
    )


def _bounded_int(low: int, high: int):
    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}, not {value}")
        return value

    return convert


_port = _bounded_int(1, 65535)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0.5 <= value <= 300:
        raise argparse.ArgumentTypeError(f"must be from 0.5 to 300 seconds, not {value:g}")
    return value


def _flag(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected 1 or 0, not {text!r}")
