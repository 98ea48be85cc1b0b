"""Exceptions the sandbox raises before (or instead of) running code.

Every one carries a `hint`: the one thing the reader should do about it. Faces (CLI, server,
lessons) show `str(error)`, which already ends with the hint, and never a traceback.
"""


class SandboxError(Exception):
    """Base class: something stopped the sandbox from running the code at all."""

    hint = ""

    def __init__(self, message: str, hint: str | None = None):
        self.message = message
        if hint is not None:
            self.hint = hint
        super().__init__(message)

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip() if self.hint else self.message


class InvalidCode(SandboxError, ValueError):
    """The program or its input was refused before any container started (code, language,
    stdin, environment: wrong type, empty, too long, a NUL...)."""


class InvalidLimits(SandboxError, ValueError):
    """A Limits value, a control's name or a pool's size is out of range or of the wrong type."""


class EngineUnavailable(SandboxError):
    """No Docker Engine answered, or it went away during a run."""

    hint = (
        "Start Docker (Docker Desktop, or 'sudo systemctl start docker'; on a bare Linux box "
        "run 'bash docker/ensure-engine.sh' as root), check DOCKER_HOST (or SANDBOX_ENGINE, or --engine), "
        "then try again. 'python -m sandbox doctor' checks everything."
    )


class ImageMissing(SandboxError):
    """The sandbox image is not on this engine (or is too old for this version of the kit)."""

    hint = "Build it with 'python -m sandbox build' (works offline too)."


class RuntimeMissing(SandboxError):
    """The Limits ask for an OCI runtime (gVisor's runsc) the engine does not have registered."""

    hint = (
        "Register gVisor's runsc in the engine's daemon.json "
        '(\'"runtimes": {"runsc": '
        '{"path": "/usr/bin/runsc", "runtimeArgs": ["--network=none", "--oci-seccomp"]}}\'), '
        "then restart the engine; or use the kit's private engine, which has it: "
        "'bash docker/with-engine.sh docker26 -- COMMAND'. 'python -m sandbox doctor' checks it."
    )


class RunRefused(SandboxError):
    """The engine answered but would not create or start the container with these limits."""

    hint = "Check the Limits (some combinations cannot be applied together) and the engine's log."


class OutputCallbackError(SandboxError):
    """The caller's `on_output` callback raised; the run went on to its end without it."""

    hint = "Fix the on_output callback; the finished run's Result is on this exception as `.result`."

    def __init__(self, message: str, result: object):
        super().__init__(message)
        self.result = result


class QueueFull(SandboxError):
    """Every worker of a Pool is busy and its queue is full: try again later."""

    hint = "Too many programs are running or waiting; try again in a few seconds."

    def __init__(self, message: str, retry_after_s: int):
        super().__init__(message)
        self.retry_after_s = retry_after_s


class PoolClosed(SandboxError):
    """The pool was shut down and takes no new work."""

    hint = "The server is shutting down; start it again to run more code."
