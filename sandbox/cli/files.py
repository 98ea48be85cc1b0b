"""`run --file` and `run --out`: files from this machine into a run, and its out/ back onto it.

Writing what a run gave back is where a path traversal would land on the host, so nothing here
trusts a name: each is checked again by the core's rules (sandbox.files.name_problem), every
folder is made and opened by file descriptor below DIR without following a link, and a file is
created with O_EXCL|O_NOFOLLOW, never written over.
"""

from __future__ import annotations

import os
from pathlib import Path

from sandbox import Result, SandboxError
from sandbox.files import name_problem

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def files_from(options: list[str]) -> dict[str, bytes]:
    """`--file NAME=PATH` (or `--file PATH`, named by its base name) as run()'s `files`."""
    files: dict[str, bytes] = {}
    for option in options:
        name, _, path = option.partition("=") if "=" in option else (Path(option).name, "", option)
        if not name or not path:
            raise SandboxError(f"--file {option!r}: give NAME=PATH or PATH.")
        if name in files:
            raise SandboxError(f"--file: the name {name!r} is given twice.", hint="Name one of them: --file NAME=PATH.")
        try:
            files[name] = Path(path).read_bytes()
        except OSError as exc:
            raise SandboxError(f"--file: cannot read {path}: {exc.strerror}.") from exc
    return files


def listed(result: Result) -> list[str]:
    """A line for each file the run gave back, and for each it left out (names escaped)."""
    lines = [f"file {f.name} ({f.size} bytes, {f.type})" for f in result.files.values()]
    lines += [f"left out: {name}: {reason}" for name, reason in result.files_refused]
    if result.files_unexamined:
        lines.append(f"left out: {result.files_unexamined} more entries in out/, not examined")
    return lines


def write_out(result: Result, folder: str) -> list[str]:
    """Write the run's files below `folder` (made if missing); a line for each one not written."""
    try:
        os.makedirs(folder, exist_ok=True)
        top = os.open(folder, DIR_FLAGS)
    except OSError as exc:
        raise SandboxError(f"--out: cannot use {folder} as a folder: {exc.strerror}.") from exc
    problems = []
    try:
        for output in result.files.values():
            why = _write_one(top, output.name, output.data)
            if why:
                problems.append(f"not written: {output.name}: {why}")
    finally:
        os.close(top)
    return problems


def _write_one(top: int, name: str, data: bytes) -> str | None:
    problem = name_problem(name)
    if problem is not None:
        return f"the name {problem}"
    *folders, leaf = name.split("/")
    at = os.dup(top)
    try:
        for depth, part in enumerate(folders, 1):
            try:
                os.mkdir(part, 0o755, dir_fd=at)
            except FileExistsError:
                pass
            try:
                inner = os.open(part, DIR_FLAGS, dir_fd=at)
            except OSError as exc:
                return f"{'/'.join(folders[:depth])} is not a folder (a link is never followed): {exc.strerror}"
            os.close(at)
            at = inner
        with os.fdopen(os.open(leaf, NEW_FILE, 0o644, dir_fd=at), "wb") as handle:
            handle.write(data)
    except FileExistsError:
        return "exists already (never written over)"
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    finally:
        os.close(at)
    return None
