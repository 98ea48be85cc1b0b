"""`python -m sandbox ...`: the kit from a terminal.

    python -m sandbox run hello.py            # run a file (or - for stdin) in the hardened sandbox
    python -m sandbox run plot.py --file data.csv --out results/   # files in, out/ back
    python -m sandbox run - --without network < probe.py
    python -m sandbox build                   # build the images (offline too)
    python -m sandbox doctor                  # is this machine ready? what to fix?
    python -m sandbox cleanup                 # remove what crashed processes left behind
    python -m sandbox probe | audit | attacks | demo
    python -m sandbox grade submission.py --tests tests/   # the instructor's tests, hidden ones too
    python -m sandbox worker --broker unix:///run/safe-python/redis.sock   # runs from a queue (docs/scale.md)

This package is the terminal face: argparse and the rich renderers live here, the work in the
core (`sandbox`) and the lab (`sandbox.lab`). Each command is one function; reports.py and
demo.py add theirs. Heavy imports (rich) wait inside the handlers, so `run` stays quick.
"""

from __future__ import annotations

import argparse
import json
import sys

import requests
from docker.errors import DockerException

from sandbox import (
    DEFAULT_LANGUAGE,
    IMAGES,
    LANGUAGES,
    EngineUnavailable,
    ImageMissing,
    Result,
    SandboxError,
    Status,
    use_engine,
)
from sandbox.languages import for_path
from sandbox.text import clip

from . import demo, grading, reports
from .arguments import add_limit_options, limits_from
from .files import files_from, listed, write_out

# Exit codes for runs the kit ended (the program's own code otherwise), after GNU timeout's.
EXIT_TIMEOUT = 124
EXIT_OUTPUT_LIMIT = 125
EXIT_MEMORY = 137
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3


def cmd_run(args: argparse.Namespace) -> int:
    from sandbox import run
    from sandbox.lab.widgets import usage_text

    if args.file == "-" and args.stdin == "-":
        raise SandboxError(
            "Only one of the program and its --stdin can come from standard input.",
            hint="Give the program as a file: python -m sandbox run prog.py --stdin -",
        )
    code = _read_source(args.file)
    stdin = _read(args.stdin) if args.stdin is not None else None
    language = args.language or (for_path(args.file) if args.file != "-" else DEFAULT_LANGUAGE)
    result = run(code, limits_from(args), language=language, stdin=stdin, files=files_from(args.files))
    not_written = write_out(result, args.out) if args.out else []
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        sys.stdout.write(result.stdout)
        sys.stdout.flush()
        sys.stderr.write(result.stderr)
        if result.status != Status.OK:
            control = (
                f" [stopped by {result.stopped_by}]"
                if result.stopped_by
                else (f" [its error text points at {result.hint}]" if result.hint else "")
            )
            print(f"sandbox: {result.status}: {result.message}{control}", file=sys.stderr)
        if (result.status != Status.OK or args.usage) and result.usage is not None:
            print(f"sandbox: the kernel counted {usage_text(result)}", file=sys.stderr)
        for line in listed(result):
            print(f"sandbox: {line}", file=sys.stderr)
    for line in not_written:
        print(f"sandbox: {line}", file=sys.stderr)
    return _exit_code(result)


def _read(path: str) -> bytes:
    """A file's bytes, or standard input's for '-'."""
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise SandboxError(f"Cannot read {path}: {exc.strerror}.") from exc


def _read_source(path: str) -> str:
    data = _read(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SandboxError(f"{path} is not UTF-8 text (byte {exc.start}).") from exc


def _exit_code(result: Result) -> int:
    if result.status == Status.TIMEOUT:
        return EXIT_TIMEOUT
    if result.status == Status.OUTPUT_LIMIT:
        return EXIT_OUTPUT_LIMIT
    if result.status == Status.MEMORY:
        return EXIT_MEMORY
    return result.exit_code if result.exit_code is not None else 1


def cmd_build(args: argparse.Namespace) -> int:
    from . import build

    if args.base and not args.image:
        raise SandboxError("--base applies to one image: add --image python (or javascript).")
    build.build(force=args.force, base=args.base, keys=tuple(args.image or IMAGES))
    return 0


def cmd_cleanup(args: argparse.Namespace) -> int:
    from sandbox import cleanup

    removed = cleanup(older_than_s=args.older_than, everything=args.all)
    what = "of the kit" if args.all else "left behind by ended processes"
    print(f"removed {removed['containers']} container(s) and {removed['networks']} network(s) {what}")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from sandbox.lab import doctor

    found = doctor.checks()
    if args.json:
        print(json.dumps([c.to_dict() for c in found], indent=2))
    else:
        for check in found:
            print(check.line())
        print("ready" if doctor.healthy(found) else "not ready: fix the FAIL lines above")
    return 0 if doctor.healthy(found) else 1


def cmd_worker(args: argparse.Namespace) -> int:
    from sandbox import fleet

    if args.concurrency is not None and not 1 <= args.concurrency <= 64:
        raise SandboxError(f"--concurrency must be from 1 to 64, not {args.concurrency}.")
    if args.max_run_s is not None and not 1 <= args.max_run_s <= 600:
        raise SandboxError(f"--max-run-s must be from 1 to 600 seconds, not {args.max_run_s:g}.")
    return fleet.worker(args.broker, args.concurrency, args.max_run_s, args.name)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox", description="Run untrusted Python code in a locked-down Docker container."
    )
    parser.add_argument(
        "--engine",
        metavar="URL",
        help="the engine to use: unix:///path/docker.sock, tcp://host:2376, ssh://user@host "
        "(default: $SANDBOX_ENGINE, then $DOCKER_HOST, then the local socket)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="run a Python file (or - for stdin) in the sandbox")
    p.add_argument("file", help="a .py (or .js) file, or - to read the code from stdin")
    p.add_argument(
        "--language",
        choices=sorted(LANGUAGES),
        help=f"the program's language (default: by file extension, else {DEFAULT_LANGUAGE})",
    )
    add_limit_options(p)
    p.add_argument(
        "--stdin",
        metavar="FILE",
        help="what the program reads from its standard input: a file, or - for this command's own (at most 64 KiB)",
    )
    p.add_argument(
        "--file",
        dest="files",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="put a file in the program's working directory (repeatable); PATH alone keeps its base "
        "name. At most 20 files, 1 MiB each, 4 MiB in all",
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        help="write the files the program left in out/ into DIR "
        "(made if missing; an existing file is never written over)",
    )
    p.add_argument("--json", action="store_true", help="print the whole Result as JSON (usage and files included)")
    p.add_argument(
        "--usage",
        action="store_true",
        help="print what the kernel counted (CPU, memory, tasks) after a successful run too",
    )
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser("build", help="build the sandbox images (falls back to a local base offline)")
    p.add_argument("--force", action="store_true", help="rebuild even if the image is current")
    p.add_argument("--base", help="base image to build FROM (default: the official image, else a local one)")
    p.add_argument(
        "--image",
        "--language",
        dest="image",
        action="append",
        choices=tuple(IMAGES),
        help="build only this image (repeatable; default: all); lab is Python's plus the lab fixtures",
    )
    p.set_defaults(handler=cmd_build)

    p = sub.add_parser("cleanup", help="remove containers and networks the kit left behind")
    p.add_argument(
        "--older-than",
        type=float,
        metavar="S",
        help="also those older than S seconds whose owner cannot be checked (another host)",
    )
    p.add_argument(
        "--all",
        action="store_true",
        help="everything of the kit, even of running processes (nothing else may be running)",
    )
    p.set_defaults(handler=cmd_cleanup)

    p = sub.add_parser("doctor", help="check the engine, kernel features and image; say what to fix")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_doctor)

    p = sub.add_parser("worker", help="take runs from a Redis broker and run them on this machine's engine")
    p.add_argument(
        "--broker",
        required=True,
        metavar="URL",
        help="the broker: unix:///path/redis.sock (this machine) or redis://:PASSWORD@HOST:PORT/0 (a private address)",
    )
    p.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        help="runs at once (default: the host's CPUs over each run's 0.5 CPU)",
    )
    p.add_argument(
        "--max-run-s",
        type=float,
        metavar="S",
        help="the longest run this worker takes, in seconds (default 60, the kit's safety net); "
        "the broker's visibility timeout is this plus the kill's grace and a margin",
    )
    p.add_argument("--name", help="this worker's name in /health (default: safe-python-HOST-PID)")
    p.set_defaults(handler=cmd_worker)

    reports.register(sub)
    demo.register(sub)
    grading.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.engine:
        use_engine(args.engine)
    try:
        return args.handler(args)
    except SandboxError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE if isinstance(exc, (EngineUnavailable, ImageMissing)) else EXIT_USAGE
    except KeyboardInterrupt:
        print("sandbox: interrupted; the run's container was removed", file=sys.stderr)
        return 130
    except (DockerException, requests.exceptions.RequestException, OSError) as exc:
        # Last resort: nothing the kit expected, but still one line and what to do, no traceback.
        print(
            f"sandbox: {type(exc).__name__}: {clip(str(exc))}. "
            "Run 'python -m sandbox doctor' to check the engine and the image.",
            file=sys.stderr,
        )
        return EXIT_UNAVAILABLE
