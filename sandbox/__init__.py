"""safe-python: run untrusted code in a fresh Docker container under layered limits.

    >>> from sandbox import run, PROFILES
    >>> result = run("print(2 + 2)")  # hardened profile   # doctest: +ENGINE
    >>> result.status, result.stdout  # doctest: +ENGINE
    (<Status.OK: 'ok'>, '4\\n')
    >>> weaker = PROFILES["hardened"].without("network")  # exactly one control removed
    >>> run("print(2 + 2)", limits=weaker).status  # doctest: +ENGINE
    <Status.OK: 'ok'>

This package is the kit's core: what runs a program and what the server needs. The lessons'
and the evidence tools (attacks, scorecard, probe, audit, demo, widgets) are in `sandbox.lab`;
the terminal face is `python -m sandbox` (`sandbox.cli`). ARCHITECTURE.md says what each room
may import. Everything the kit creates carries its labels; `cleanup()` removes leftovers.
`sandbox.grade(submission, tests, limits=...)` grades with hidden tests (`sandbox.grading`,
imported on first use of the name).
"""

from typing import TYPE_CHECKING, Any

from . import network, seccomp
from .controls import CONTROLS, EXTRA, FIELDS, REGISTRY, Control, Field, Spec
from .engine import IMAGE, SESSION, check_image, create_container, failed_removals, labels, wait_for_removals
from .engine import client as engine_client
from .engine import kind as engine_kind
from .engine import ping as engine_ping
from .engine import runtimes as engine_runtimes
from .engine import socket_path as engine_socket_path
from .engine import use as use_engine
from .errors import (
    EngineUnavailable,
    ImageMissing,
    InvalidCode,
    InvalidLimits,
    OutputCallbackError,
    PoolClosed,
    QueueFull,
    RunRefused,
    RuntimeMissing,
    SandboxError,
)
from .files import MAX_FILE_BYTES, MAX_FILES, MAX_NAME_BYTES, MAX_TOTAL_BYTES, check_files
from .images import IMAGES, LAB_IMAGE, KitImage
from .languages import DEFAULT_LANGUAGE, LANGUAGES, Language
from .limits import PROFILES, Limits, Mount
from .network import teardown
from .options import container_options
from .pool import Pool
from .reaper import cleanup, leftover_networks, leftovers
from .result import SAFETY_NET, SAFETY_OUTPUT_BYTES, SAFETY_TIMEOUT_S, STATUSES, OutputFile, Result, Status, Usage
from .runner import KILL_GRACE_S, MAX_CODE_CHARS, check_code, check_stdin, program_argv, run
from .supervisor import MAX_STDIN_BYTES
from .uids import RUNNER_UIDS
from .warm import WarmPool

if TYPE_CHECKING:
    from .grading import grade


def __getattr__(name: str) -> Any:
    """`sandbox.grade`, imported on first use (PEP 562): the grader imports the core, so the core
    cannot import it while it loads; `import sandbox` alone never loads the grader."""
    if name == "grade":
        from .grading import grade

        return grade
    raise AttributeError(f"module 'sandbox' has no attribute {name!r}")


__version__ = "0.2.0"

__all__ = [
    # running a program
    "run",
    "grade",
    "Result",
    "OutputFile",
    "Usage",
    "Status",
    "STATUSES",
    "check_code",
    "check_stdin",
    "check_files",
    "program_argv",
    "MAX_CODE_CHARS",
    "MAX_STDIN_BYTES",
    "MAX_FILES",
    "MAX_FILE_BYTES",
    "MAX_TOTAL_BYTES",
    "MAX_NAME_BYTES",
    "SAFETY_TIMEOUT_S",
    "KILL_GRACE_S",
    "SAFETY_OUTPUT_BYTES",
    "SAFETY_NET",
    "Pool",
    "WarmPool",
    "RUNNER_UIDS",
    # what a run is held to
    "Limits",
    "Mount",
    "PROFILES",
    "Control",
    "CONTROLS",
    "EXTRA",
    "REGISTRY",
    "FIELDS",
    "Spec",
    "Field",
    "container_options",
    "create_container",
    # languages and images
    "LANGUAGES",
    "DEFAULT_LANGUAGE",
    "Language",
    "IMAGES",
    "KitImage",
    "IMAGE",
    "LAB_IMAGE",
    # the engine and what the kit leaves on it
    "engine_client",
    "engine_kind",
    "engine_runtimes",
    "use_engine",
    "engine_ping",
    "engine_socket_path",
    "check_image",
    "labels",
    "SESSION",
    "cleanup",
    "leftovers",
    "leftover_networks",
    "teardown",
    "failed_removals",
    "wait_for_removals",
    # modules a lesson reads: the internal networks, the seccomp profile
    "network",
    "seccomp",
    # errors
    "SandboxError",
    "InvalidCode",
    "InvalidLimits",
    "EngineUnavailable",
    "ImageMissing",
    "RunRefused",
    "RuntimeMissing",
    "OutputCallbackError",
    "QueueFull",
    "PoolClosed",
    "__version__",
]
