"""safe-python: run untrusted Python code in a fresh Docker container under layered limits.

    >>> from sandbox import run, PROFILES
    >>> result = run("print(2 + 2)")                    # hardened profile   # doctest: +SKIP
    >>> result.status, result.stdout                                          # doctest: +SKIP
    ('ok', '4\\n')
    >>> weaker = PROFILES["hardened"].without("network")  # exactly one control removed
    >>> run(code, limits=weaker)                                              # doctest: +SKIP

Everything the kit creates carries its labels; `cleanup()` removes leftovers after a crash.
"""

from .errors import EngineUnavailable, ImageMissing, InvalidCode, InvalidLimits, RunRefused, SandboxError
from .limits import CONTROL_SUMMARY, CONTROLS, PROFILES, Limits, Mount
from .reaper import cleanup
from .result import STATUSES, Result
from .runner import MAX_CODE_CHARS, run

__all__ = [
    "run", "Result", "Limits", "Mount", "PROFILES", "CONTROLS", "CONTROL_SUMMARY", "STATUSES",
    "MAX_CODE_CHARS", "cleanup", "SandboxError", "InvalidCode", "InvalidLimits",
    "EngineUnavailable", "ImageMissing", "RunRefused",
]
