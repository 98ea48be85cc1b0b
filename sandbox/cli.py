"""`python -m sandbox ...`: the kit from a terminal.

    python -m sandbox run hello.py            # run a file (or - for stdin) in the hardened sandbox
    python -m sandbox run - --without network < probe.py
    python -m sandbox build                   # build the image (offline too)
    python -m sandbox doctor                  # is this machine ready? what to fix?
    python -m sandbox cleanup                 # remove what crashed processes left behind

Each command lives in its own function; other modules add theirs through COMMAND_MODULES.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys

import requests
from docker.errors import DockerException

from . import result as R
from .engine import clip as engine_clip
from .errors import SandboxError
from .languages import LANGUAGES, for_path
from .limits import CONTROLS, PROFILES, Limits

# Exit codes for runs the kit ended (the program's own code otherwise), after GNU timeout's.
EXIT_TIMEOUT = 124
EXIT_OUTPUT_LIMIT = 125
EXIT_MEMORY = 137
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3


def add_limit_options(parser: argparse.ArgumentParser) -> None:
    """--profile / --without / a few values: the same on every command that runs code."""
    parser.add_argument("--profile", choices=sorted(PROFILES), default="hardened",
                        help="the starting profile (default: hardened)")
    parser.add_argument("--without", action="append", default=[], metavar="CONTROL", choices=CONTROLS,
                        help="remove one control (repeatable): " + ", ".join(CONTROLS))
    parser.add_argument("--timeout", type=float, metavar="S", help="wall-clock limit in seconds")
    parser.add_argument("--memory", type=int, metavar="MIB", help="memory limit in MiB")


def add_report_command(subparsers, name: str, help: str, make, render, ok=lambda report: True) -> None:
    """A command that builds a report from --profile/--without, prints it (or --json), exits 0 if ok."""
    def handler(args: argparse.Namespace) -> int:
        report = make(limits_from(args))
        if args.json:
            print(json.dumps(report.to_dict(), indent=2))
        else:
            render(report)
        return 0 if ok(report) else 1

    p = subparsers.add_parser(name, help=help)
    add_limit_options(p)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=handler)


def limits_from(args: argparse.Namespace) -> Limits:
    limits = PROFILES[args.profile]
    if args.without:
        limits = limits.without(*args.without)
    changes = {}
    if getattr(args, "timeout", None) is not None:
        changes["timeout_s"] = args.timeout
    if getattr(args, "memory", None) is not None:
        changes["memory_mib"] = args.memory
    return limits.replace(**changes) if changes else limits


def cmd_run(args: argparse.Namespace) -> int:
    from .runner import run

    code = _read_source(args.file)
    language = args.language or (for_path(args.file) if args.file != "-" else "python")
    result = run(code, limits_from(args), language=language)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        sys.stdout.write(result.stdout)
        sys.stdout.flush()
        sys.stderr.write(result.stderr)
        if result.status != R.OK:
            control = f" [stopped by {result.stopped_by}]" if result.stopped_by else ""
            print(f"sandbox: {result.status}: {result.message}{control}", file=sys.stderr)
    return _exit_code(result)


def _read_source(path: str) -> str:
    if path == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise SandboxError(f"Cannot read {path}: {exc.strerror}.") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SandboxError(f"{path} is not UTF-8 text (byte {exc.start}).") from exc


def _exit_code(result: R.Result) -> int:
    if result.status == R.TIMEOUT:
        return EXIT_TIMEOUT
    if result.status == R.OUTPUT_LIMIT:
        return EXIT_OUTPUT_LIMIT
    if result.status == R.MEMORY:
        return EXIT_MEMORY
    return result.exit_code if result.exit_code is not None else 1


def cmd_build(args: argparse.Namespace) -> int:
    from . import build
    from .images import IMAGES

    if args.base and not args.image:
        raise SandboxError("--base applies to one image: add --image python (or javascript).")
    build.build(force=args.force, base=args.base, keys=tuple(args.image or IMAGES))
    return 0


def cmd_cleanup(args: argparse.Namespace) -> int:
    from .reaper import cleanup

    removed = cleanup(older_than_s=args.older_than, everything=args.all)
    what = "of the kit" if args.all else "left behind by ended processes"
    print(f"removed {removed['containers']} container(s) and {removed['networks']} network(s) {what}")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from . import doctor

    found = doctor.checks()
    if args.json:
        print(json.dumps([c.to_dict() for c in found], indent=2))
    else:
        for check in found:
            print(check.line())
        print("ready" if doctor.healthy(found) else "not ready: fix the FAIL lines above")
    return 0 if doctor.healthy(found) else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sandbox",
                                     description="Run untrusted Python code in a locked-down Docker container.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="run a Python file (or - for stdin) in the sandbox")
    p.add_argument("file", help="a .py (or .js) file, or - to read the code from stdin")
    p.add_argument("--language", choices=sorted(LANGUAGES),
                   help="the program's language (default: by file extension, else python)")
    add_limit_options(p)
    p.add_argument("--json", action="store_true", help="print the whole Result as JSON")
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser("build", help="build the sandbox images (falls back to a local base offline)")
    p.add_argument("--force", action="store_true", help="rebuild even if the image is current")
    p.add_argument("--base", help="base image to build FROM (default: the official image, else a local one)")
    p.add_argument("--image", "--language", dest="image", action="append", choices=("python", "javascript", "lab"),
                   help="build only this image (repeatable; default: all); lab is Python's plus the lab fixtures")
    p.set_defaults(handler=cmd_build)

    p = sub.add_parser("cleanup", help="remove containers and networks the kit left behind")
    p.add_argument("--older-than", type=float, metavar="S",
                   help="also those older than S seconds whose owner cannot be checked (another host)")
    p.add_argument("--all", action="store_true",
                   help="everything of the kit, even of running processes (nothing else may be running)")
    p.set_defaults(handler=cmd_cleanup)

    p = sub.add_parser("doctor", help="check the engine, kernel features and image; say what to fix")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_doctor)

    for module in COMMAND_MODULES:
        importlib.import_module(module).register(sub)
    return parser


# Modules that add their own commands: each has register(subparsers) and keeps heavy imports
# (rich, ipywidgets) inside its handlers, so `python -m sandbox run` stays quick.
COMMAND_MODULES: tuple[str, ...] = (
    "sandbox.probe",
    "sandbox.audit",
    "sandbox.demo",
    "sandbox.scorecard",
)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.handler(args)
    except SandboxError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        from .errors import EngineUnavailable, ImageMissing
        return EXIT_UNAVAILABLE if isinstance(exc, (EngineUnavailable, ImageMissing)) else EXIT_USAGE
    except KeyboardInterrupt:
        print("sandbox: interrupted; the run's container was removed", file=sys.stderr)
        return 130
    except (DockerException, requests.exceptions.RequestException, OSError) as exc:
        # Last resort: nothing the kit expected, but still one line and what to do, no traceback.
        print(f"sandbox: {type(exc).__name__}: {engine_clip(str(exc))}. "
              "Run 'python -m sandbox doctor' to check the engine and the image.", file=sys.stderr)
        return EXIT_UNAVAILABLE
