"""Reading and checking a /run request: every refusal is a `Refusal` with its status.

    refused input                                   status  reason
    body larger than MAX_BODY_BYTES (by length)     413     body_too_large   (refused unread)
    no length and no terminated stream              411     length_required
    Content-Type other than application/json        415     unsupported_media_type
    empty body, bytes that are not UTF-8            400     empty_body, not_utf8
    not JSON, JSON that is not an object            400     not_json, not_object
    a field this API does not know                  422     unknown_field    (refused, not ignored)
    code missing, not a string                      422     missing_code, code_not_string
    code longer than 5000 characters                413     code_too_long
    code empty, holding NUL, unencodable            422     invalid_code
    stdin not a string                              422     stdin_not_string
    stdin over 64 KiB (in UTF-8)                    413     stdin_too_large
    stdin holding NUL or unencodable                422     invalid_stdin
    a language this kit does not run                422     unknown_language
    a profile that does not exist                   422     unknown_profile
    without: not a list of control names            422     bad_without
    seed, naive or `without` with ablation off      403     ablation_disabled
    files: not an object of name to content         422     bad_files
    a file neither a string nor {"base64": "..."}   422     bad_file         (other keys too)
    base64 that is not canonical, padded base64     422     bad_base64
    more than 20 files                              413     too_many_files
    a file over 1 MiB, all of them over 4 MiB       413     file_too_large, files_too_large
    a bad name, a name twice, text not Unicode      422     invalid_files    (the core's words)
    files under a profile with no writable dir      422     files_not_writable

`files` is {"name": "text"} or {"name": {"base64": "..."}}: a string is text, put in the file as
UTF-8; an object with the one key "base64" is bytes. The bounds are the core's
(sandbox/files.py), checked here first so that too much is refused before it is decoded.

Unknown fields are refused rather than ignored: a misspelt `"profil": "seed"` silently ignored
would run under a different profile than the caller believes, which is the wrong surprise for a
security tool.
"""

from __future__ import annotations

import binascii
import json
from dataclasses import dataclass, field

from sandbox import (
    CONTROLS,
    DEFAULT_LANGUAGE,
    LANGUAGES,
    MAX_CODE_CHARS,
    MAX_FILE_BYTES,
    MAX_FILES,
    MAX_NAME_BYTES,
    MAX_STDIN_BYTES,
    MAX_TOTAL_BYTES,
    PROFILES,
    InvalidCode,
    InvalidLimits,
    Limits,
    check_code,
    check_files,
    check_stdin,
)

from .jsonerr import JSON_TYPE, Refusal
from .settings import Settings

KIB, MIB = 1024, 1024 * 1024


def _base64_len(size: int) -> int:
    """The length of `size` bytes in padded base64."""
    return 4 * -(-size // 3)


# The largest body a valid request needs, from the bounds it is checked against; anything larger
# is refused unread (server/serve.py gives waitress the same bound).
# - code: 5000 characters, each escaped in JSON as up to 12 bytes (a surrogate pair of \uXXXX);
# - stdin: 64 KiB in UTF-8, each byte at most 6 bytes of JSON (\u00XX);
# - files: 4 MiB in all, sent as base64 (4/3, and each file's padding); each of the 20 names at
#   most 1 KiB in UTF-8, 6 bytes of JSON a byte, and 64 bytes of quotes, colons and braces. A text
#   file sent as a JSON string costs its escaped length instead: text that escapes to more than
#   4/3 of its bytes is sent as base64 when it comes near the bound (the page always uses base64);
# - 4 KiB for the other fields and whitespace; rounded up to a whole KiB.
_CODE_JSON = MAX_CODE_CHARS * 12
_STDIN_JSON = MAX_STDIN_BYTES * 6
_FILES_JSON = _base64_len(MAX_TOTAL_BYTES + 2 * MAX_FILES) + MAX_FILES * (6 * MAX_NAME_BYTES + 64)
MAX_BODY_BYTES = -(-(_CODE_JSON + _STDIN_JSON + _FILES_JSON + 4 * KIB) // KIB) * KIB
FIELDS = ("code", "language", "profile", "without", "stdin", "files")


@dataclass(frozen=True)
class RunRequest:
    code: str
    profile: str = "hardened"
    without: tuple[str, ...] = ()
    language: str = DEFAULT_LANGUAGE
    stdin: str = ""
    # name -> text (str) or bytes, within the bounds; the names are checked with the limits
    files: dict[str, str | bytes] = field(default_factory=dict)


def read_json(environ: dict) -> dict:
    """The request's JSON object, read from wsgi.input without ever reading past the bound."""
    raw = _read_bounded(environ)
    _check_content_type(environ.get("CONTENT_TYPE", ""))
    if not raw:
        raise Refusal(400, "empty_body", 'The request body is empty; send {"code": "print(2 + 2)"}.')
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refusal(400, "not_utf8", f"The body is not valid UTF-8 (byte {exc.start}).") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise Refusal(400, "not_json", f"The body is not valid JSON{where}.") from None
    if not isinstance(data, dict):
        raise Refusal(400, "not_object", 'The body must be a JSON object like {"code": "print(2 + 2)"}.')
    return data


def parse_run(data: dict, settings: Settings) -> RunRequest:
    """Check the fields of a /run request against what this server allows."""
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise Refusal(
            422, "unknown_field", f"Unknown field(s): {', '.join(map(repr, unknown))}. Known: {', '.join(FIELDS)}."
        )
    code = _check_code(data)
    language = _check_language(data.get("language", DEFAULT_LANGUAGE))
    profile = _check_profile(data.get("profile", "hardened"), settings)
    without = _check_without(data.get("without", []), settings)
    stdin = _check_stdin(data.get("stdin", ""))
    return RunRequest(code, profile, without, language, stdin, _check_files(data.get("files", {})))


def check_run_files(files: dict[str, str | bytes], limits: Limits) -> None:
    """The core's own check of the files under the limits the run gets: names, a name given twice,
    text that is not Unicode, and a profile whose working directory cannot take them."""
    try:
        check_files(files, limits)
    except InvalidCode as exc:
        raise Refusal(422, "invalid_files", str(exc)) from None
    except InvalidLimits as exc:
        raise Refusal(422, "files_not_writable", str(exc)) from None


def _read_bounded(environ: dict) -> bytes:
    stream = environ["wsgi.input"]
    length = (environ.get("CONTENT_LENGTH") or "").strip()
    if length:
        if not length.isdigit():
            raise Refusal(400, "bad_length", "The Content-Length header is not a number.")
        size = int(length)
        if size > MAX_BODY_BYTES:
            raise Refusal(413, "body_too_large", _too_large(size))
        return stream.read(size)
    if environ.get("wsgi.input_terminated"):
        # A chunked body whose size nobody announced: read one byte past the bound, never more.
        raw = stream.read(MAX_BODY_BYTES + 1)
        if len(raw) > MAX_BODY_BYTES:
            raise Refusal(413, "body_too_large", _too_large(None))
        return raw
    raise Refusal(411, "length_required", "Send a Content-Length header (or a chunked body).")


def _too_large(size: int | None) -> str:
    told = f"{size} bytes" if size is not None else "more than that"
    return (
        f"The body is {told}; this server accepts at most {MAX_BODY_BYTES} bytes "
        f"(code is limited to {MAX_CODE_CHARS} characters, files to {MAX_TOTAL_BYTES // MIB} MiB in all)."
    )


def _check_content_type(value: str) -> None:
    kind, _, params = value.partition(";")
    charset = ""
    for param in params.split(";"):
        name, _, val = param.strip().partition("=")
        if name.lower() == "charset":
            charset = val.strip().strip('"').lower()
    if kind.strip().lower() != JSON_TYPE or charset not in ("", "utf-8", "utf8"):
        shown = value or "none"
        raise Refusal(415, "unsupported_media_type", f"Content-Type must be {JSON_TYPE} (UTF-8), not {shown}.")


def _check_code(data: dict) -> str:
    if "code" not in data:
        raise Refusal(422, "missing_code", 'The field "code" is missing: send {"code": "print(2 + 2)"}.')
    code = data["code"]
    if not isinstance(code, str):
        kind = "null" if code is None else type(code).__name__
        raise Refusal(422, "code_not_string", f'"code" must be a string of source code, not {kind}.')
    if len(code) > MAX_CODE_CHARS:
        raise Refusal(413, "code_too_long", f"code is {len(code)} characters long; the limit is {MAX_CODE_CHARS}.")
    try:
        check_code(code)
    except InvalidCode as exc:
        raise Refusal(422, "invalid_code", str(exc)) from None
    return code


def _check_stdin(stdin: object) -> str:
    if not isinstance(stdin, str):
        kind = "null" if stdin is None else type(stdin).__name__
        raise Refusal(422, "stdin_not_string", f'"stdin" must be a string (the text the program reads), not {kind}.')
    if len(stdin.encode("utf-8", "surrogatepass")) > MAX_STDIN_BYTES:
        raise Refusal(413, "stdin_too_large", f"stdin is more than {MAX_STDIN_BYTES} bytes (64 KiB) in UTF-8.")
    try:
        check_stdin(stdin)
    except InvalidCode as exc:
        raise Refusal(422, "invalid_stdin", str(exc)) from None
    return stdin


_FILE_SHAPE = 'a string (its text) or {"base64": "..."} (its bytes)'


def _check_files(files: object) -> dict[str, str | bytes]:
    """`files` decoded and within the bounds; the names are the core's to judge (check_run_files)."""
    if not isinstance(files, dict):
        raise Refusal(
            422, "bad_files", f'"files" must be an object of file name to content, not {_kind(files)}: {_FILE_SHAPE}.'
        )
    if len(files) > MAX_FILES:
        raise Refusal(413, "too_many_files", f"{len(files)} files given; the limit is {MAX_FILES}.")
    decoded: dict[str, str | bytes] = {}
    total = 0
    for name, content in files.items():
        decoded[name] = data = _file_content(name, content)
        size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
        if size > MAX_FILE_BYTES:
            raise Refusal(
                413,
                "file_too_large",
                f"The file {_shown(name)} is {size} bytes; the limit is {MAX_FILE_BYTES} "
                f"({MAX_FILE_BYTES // MIB} MiB) a file.",
            )
        total += size
        if total > MAX_TOTAL_BYTES:
            raise Refusal(
                413,
                "files_too_large",
                f"The files add up to more than {MAX_TOTAL_BYTES} bytes ({MAX_TOTAL_BYTES // MIB} MiB); send less.",
            )
    return decoded


def _file_content(name: str, content: object) -> str | bytes:
    if isinstance(content, str):
        return content
    if not isinstance(content, dict) or set(content) != {"base64"}:
        keys = f" with the keys {', '.join(map(_shown, sorted(content)[:5]))}" if isinstance(content, dict) else ""
        raise Refusal(422, "bad_file", f"The file {_shown(name)} must be {_FILE_SHAPE}, not {_kind(content)}{keys}.")
    text = content["base64"]
    if not isinstance(text, str):
        raise Refusal(422, "bad_file", f'The file {_shown(name)}: "base64" must be a string, not {_kind(text)}.')
    if len(text) > _base64_len(MAX_FILE_BYTES):  # refused before it is decoded
        raise Refusal(
            413,
            "file_too_large",
            f"The file {_shown(name)} is over {MAX_FILE_BYTES} bytes ({MAX_FILE_BYTES // MIB} MiB) a file.",
        )
    try:
        data = binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise Refusal(422, "bad_base64", f"The file {_shown(name)} is not valid base64 ({exc}).") from None
    # One body, one meaning: "QR==" decodes as "QQ==" does, and only the second is what an
    # encoder writes. Refusing the other keeps a file's bytes from depending on a decoder's leniency.
    if binascii.b2a_base64(data, newline=False) != text.encode("ascii"):
        raise Refusal(
            422, "bad_base64", f"The file {_shown(name)} is not canonical base64 (its last bits are not zero)."
        )
    return data


def _shown(name: str) -> str:
    """A file's name in a refusal: quoted, escaped where it is not printable, and clipped (a name
    is not yet checked here and could be megabytes long)."""
    shown = repr(name)
    return shown if len(shown) <= 100 else shown[:99] + "…"


def _kind(value: object) -> str:
    """A JSON value's kind, in JSON's words."""
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def _check_language(language: object) -> str:
    # Exact names only: "Python" or " python" would be a guess at what the caller meant.
    if not isinstance(language, str) or language not in LANGUAGES:
        raise Refusal(
            422,
            "unknown_language",
            f'Unknown language {language!r}. Supported: {", ".join(LANGUAGES)} (the default is "{DEFAULT_LANGUAGE}").',
        )
    return language


def _check_profile(profile: object, settings: Settings) -> str:
    if not isinstance(profile, str) or profile not in PROFILES:
        raise Refusal(
            422, "unknown_profile", f"Unknown profile {profile!r}. Profiles here: {', '.join(settings.profiles)}."
        )
    if profile not in settings.profiles:
        seed = " (seed_hardened is the seed's flags plus the kit's guards)" if profile == "seed" else ""
        raise Refusal(
            403,
            "ablation_disabled",
            f"The {profile} profile removes controls; this server only offers "
            f"{', '.join(settings.profiles)}{seed}. A teacher can start it with --allow-ablation "
            "on their own machine.",
        )
    return profile


def _check_without(without: object, settings: Settings) -> tuple[str, ...]:
    if not isinstance(without, list) or not all(isinstance(c, str) for c in without):
        raise Refusal(422, "bad_without", '"without" must be a list of control names, e.g. ["network"].')
    unknown = [c for c in without if c not in CONTROLS]
    if unknown:
        raise Refusal(
            422, "bad_without", f"Unknown control(s): {', '.join(map(repr, unknown))}. Controls: {', '.join(CONTROLS)}."
        )
    if without and not settings.allow_ablation:
        raise Refusal(
            403,
            "ablation_disabled",
            "Removing controls is off on this server. A teacher can start it with "
            "--allow-ablation on their own machine.",
        )
    return tuple(dict.fromkeys(without))
