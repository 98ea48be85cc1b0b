"""Files in and out of a run: the names a file may have, the bounds, and what came back.

In: `run(code, files={"data.csv": b"...", "helpers.py": "..."})` puts the files in the
program's working directory before it starts. They travel in the delivery to the supervisor
(sandbox/supervisor.py), never as a host path or a bind mount, and the supervisor writes each
one with O_EXCL|O_NOFOLLOW below the working directory.

Out: the supervisor makes `out/` there before the program starts and, once every process of
the run is dead, harvests it itself (sandbox/inside/supervisor.py: regular files with one link,
printable names, within the bounds; everything else is a reported refusal, never followed). The
host checks the names it gets back by the same rules (`check_name`) before a face writes one
anywhere, and types each file from its name, checked against its first bytes for an image.

    >>> from sandbox import run
    >>> r = run(
    ...     "open('out/r.txt', 'w').write(open('d.csv').read().upper())", files={"d.csv": "a,b"}
    ... )  # doctest: +ENGINE
    >>> r.files["r.txt"].data  # doctest: +ENGINE
    b'A,B'
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import posixpath
import unicodedata
from collections.abc import Mapping
from typing import Any

from .errors import InvalidCode, InvalidLimits
from .limits import Limits
from .result import OutputFile
from .text import clip

KIB, MIB = 1024, 1024 * 1024

# In: what a caller may hand a run (the delivery carries it on the supervisor's stdin).
MAX_FILES = 20
MAX_FILE_BYTES = 1 * MIB
MAX_TOTAL_BYTES = 4 * MIB

# Out: what the supervisor harvests from out/ (the same figures are in sandbox/inside/supervisor.py;
# a unit test holds them equal). At most HARVEST_ENTRIES entries are examined, so the report and
# the time the harvest takes are bounded whatever the program left there.
OUT = "out"
HARVEST_FILES = 20
HARVEST_FILE_BYTES = 2 * MIB
HARVEST_TOTAL_BYTES = 4 * MIB
HARVEST_ENTRIES = 200
HARVEST_DEPTH = 4  # out/a/b/c/file: a folder four levels down is not read
SHOWN_NAME_CHARS = 200  # a refused name, escaped, is clipped to this in the report

# Names: POSIX's NAME_MAX for a component, and a bound for the whole relative path.
MAX_COMPONENT_BYTES = 255
MAX_NAME_BYTES = 1024

# How the supervisor harvests, as the delivery names it (Limits.harvest): b"safe" by the rules
# above; b"naive" is the lab's naive harvester, the `harvest` control's "off", never served.
# Whatever the mode, the host re-checks what comes back (`received`), and says when it refused
# what the supervisor handed over ("refused by the host"): that is how an ablation is seen.
HARVEST_SAFE = b"safe"
HOST = "refused by the host: "

# Image types whose bytes are checked: a name says .png, the first bytes must say PNG too.
MAGIC = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/bmp": (b"BM",),
    "image/webp": (b"RIFF",),
    "image/tiff": (b"II*\x00", b"MM\x00*"),
    "image/vnd.microsoft.icon": (b"\x00\x00\x01\x00",),
}
UNKNOWN_TYPE = "application/octet-stream"
# The standard library's own table, not this host's /etc/mime.types: the same type everywhere.
_TYPES = mimetypes.MimeTypes()


def name_problem(name: object) -> str | None:
    """What is wrong with `name` as a file's relative path, or None. The rules are the same for
    files sent in and files harvested: plain relative paths of printable text."""
    if not isinstance(name, str):
        return f"must be text, not {type(name).__name__}"
    if not name:
        return "is empty"
    if name.startswith("/"):
        return "is an absolute path: give a path relative to the working directory, such as 'data.csv'"
    bad = next((ch for ch in name if not ch.isprintable() or ch == "\\"), None)
    if bad is not None:
        return (
            f"holds the character U+{ord(bad):04X}: names are printable text without backslashes or control characters"
        )
    parts = name.split("/")
    if "" in parts:
        return "has an empty component (a doubled or trailing '/')"
    if "." in parts or ".." in parts:
        return "has a '.' or '..' component: give a plain path below the working directory"
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        return f"is over {MAX_NAME_BYTES} bytes"
    if any(len(part.encode("utf-8")) > MAX_COMPONENT_BYTES for part in parts):
        return f"has a component over {MAX_COMPONENT_BYTES} bytes"
    return None


def same_name(name: str) -> str:
    """The form two names that would be the same file (or look the same) share."""
    return posixpath.normpath(unicodedata.normalize("NFC", name))


def check_files(files: object, limits: Limits) -> list[tuple[bytes, bytes]]:
    """The run's files as (name, content) in UTF-8 and bytes, or InvalidCode/InvalidLimits."""
    if files is None:
        return []
    if not isinstance(files, Mapping):
        raise InvalidCode(f"files must be a dict of name to content (str or bytes), not {type(files).__name__}.")
    if not files:
        return []
    if limits.read_only and limits.tmpfs_mib is None:
        raise InvalidLimits(
            f"The {limits.name} profile's working directory is read-only (read_only on and no tmpfs), "
            "so files cannot be placed in it.",
            hint="Use a profile with a writable /tmp (tmpfs_mib set, as hardened has), or send the data on stdin.",
        )
    if len(files) > MAX_FILES:
        raise InvalidCode(f"{len(files)} files given; the limit is {MAX_FILES}.")
    placed, total = [], 0
    seen: set[str] = set()
    for name, content in files.items():
        key = _checked_name(name, seen)
        data = _content(name, content)
        seen.add(key)
        total += len(data)
        if total > MAX_TOTAL_BYTES:
            raise InvalidCode(f"The files add up to more than {MAX_TOTAL_BYTES // MIB} MiB; send less.")
        placed.append((name.encode("utf-8"), data))
    return placed


def _checked_name(name: object, seen: set[str]) -> str:
    problem = name_problem(name)
    if problem is not None:
        raise InvalidCode(f"The file name {_shown(name)} {problem}.")
    key = same_name(name)  # type: ignore[arg-type]
    if key in seen:
        raise InvalidCode(f"The file name {_shown(name)} is given twice (the same name once normalised).")
    if key.split("/")[0] == OUT:
        raise InvalidCode(
            f"The file name {_shown(name)} is inside {OUT}/, the program's output folder, "
            "which starts empty; choose another folder."
        )
    return key


def _content(name: object, content: object) -> bytes:
    if isinstance(content, str):
        try:
            content = content.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidCode(f"The file {_shown(name)} is not valid Unicode text (character {exc.start}).") from exc
    if not isinstance(content, (bytes, bytearray, memoryview)):
        raise InvalidCode(f"The file {_shown(name)} must be str or bytes, not {type(content).__name__}.")
    data = bytes(content)
    if len(data) > MAX_FILE_BYTES:
        raise InvalidCode(
            f"The file {_shown(name)} is {len(data)} bytes; the limit is {MAX_FILE_BYTES // MIB} MiB a file."
        )
    return data


def _shown(name: object) -> str:
    """A name as it may be printed: escaped where it is not printable, and clipped."""
    if not isinstance(name, str):
        return clip(repr(name), SHOWN_NAME_CHARS)
    return clip(repr(name)[1:-1] if not name.isprintable() else name, SHOWN_NAME_CHARS)


# -- what came back ------------------------------------------------------------------------


def file_type(name: str, data: bytes) -> str:
    """A MIME type from the name's extension; an image's only if its bytes are that image."""
    found, _ = _TYPES.guess_type(name, strict=True)
    if found is None:
        return UNKNOWN_TYPE
    magic = MAGIC.get(found)
    if found.startswith("image/") and found != "image/svg+xml":
        if magic is None or not data.startswith(magic):
            return UNKNOWN_TYPE
        if found == "image/webp" and data[8:12] != b"WEBP":
            return UNKNOWN_TYPE
    return found


def received(report: Any) -> tuple[dict[str, OutputFile], tuple[tuple[str, str], ...], int]:
    """(files, refusals, entries not examined) from the supervisor's report, re-checked here:
    a name the rules refuse, a duplicate or a body that is not the bound's base64 is refused."""
    if report is None:
        return {}, (), 0
    kept: dict[str, OutputFile] = {}
    refused = [_refusal(item) for item in list(report.files_refused)[:HARVEST_ENTRIES]]
    seen: set[str] = set()
    handed = list(report.files)
    for item in handed[:HARVEST_FILES]:
        name, problem, data = _received_file(item, seen)
        if problem is not None:
            refused.append((_shown(name), problem))
            continue
        seen.add(same_name(name))
        kept[name] = OutputFile(name=name, data=data, size=len(data), type=file_type(name, data))
    unexamined = report.files_unexamined if isinstance(report.files_unexamined, int) else 0
    # Files past the bound (only a harvester without one sends them): refused by name while the
    # list of refusals has room, then counted, so that none is dropped unsaid.
    extra = handed[HARVEST_FILES:]
    room = max(0, 2 * HARVEST_ENTRIES - len(refused))
    for item in extra[:room]:
        name = item[0] if isinstance(item, (list, tuple)) and item else "?"
        refused.append((_shown(name), f"{HOST}past the bound of {HARVEST_FILES} files"))
    return dict(sorted(kept.items())), tuple(refused), max(0, unexamined) + max(0, len(extra) - room)


def _received_file(item: object, seen: set[str]) -> tuple[Any, str | None, bytes]:
    if not (isinstance(item, (list, tuple)) and len(item) == 2 and isinstance(item[1], str)):
        return "?", "a malformed entry in the report", b""
    name, body = item
    problem = name_problem(name)
    if problem is not None:
        return name, HOST + "the name " + problem, b""
    if same_name(name) in seen:
        return name, HOST + "the same name as another file once normalised", b""
    try:
        data = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return name, "a malformed body in the report", b""
    if len(data) > HARVEST_FILE_BYTES:
        return name, f"{HOST}over the {HARVEST_FILE_BYTES // MIB} MiB bound a file", b""
    return name, None, data


def _refusal(item: object) -> tuple[str, str]:
    if isinstance(item, (list, tuple)) and len(item) == 2 and all(isinstance(x, str) for x in item):
        return _escaped(item[0]), clip(_escaped(item[1]), 120)
    return "?", "a malformed entry in the report"


def _escaped(text: str) -> str:
    """The supervisor escapes refused names already; again here, so nothing raw reaches a face
    (backslashes are left alone, so an escaped name reads the same)."""
    return clip("".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text), SHOWN_NAME_CHARS)


def left_out(refused: tuple[tuple[str, str], ...], unexamined: int) -> str:
    """The words added to a Result's message when out/ held more than came back."""
    count = len(refused) + unexamined
    if not count:
        return ""
    return f"; {count} output file{'s' if count != 1 else ''} left out: see files_refused"
