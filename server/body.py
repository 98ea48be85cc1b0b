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

Unknown fields are refused rather than ignored: a misspelt `"profil": "seed"` silently ignored
would run under a different profile than the caller believes, which is the wrong surprise for a
security tool.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sandbox import (
    CONTROLS,
    DEFAULT_LANGUAGE,
    LANGUAGES,
    MAX_CODE_CHARS,
    MAX_STDIN_BYTES,
    PROFILES,
    InvalidCode,
    check_code,
    check_stdin,
)

from .jsonerr import JSON_TYPE, Refusal
from .settings import Settings

# 5000 characters of code, each escaped in JSON as up to 12 bytes (a surrogate pair of \uXXXX),
# fit in 60 KiB, and 64 KiB of stdin in 6 bytes per byte at worst (\u00XX) in 384 KiB; the rest is
# room for the other fields. Anything larger is refused unread.
MAX_BODY_BYTES = 448 * 1024
FIELDS = ("code", "language", "profile", "without", "stdin")


@dataclass(frozen=True)
class RunRequest:
    code: str
    profile: str = "hardened"
    without: tuple[str, ...] = ()
    language: str = DEFAULT_LANGUAGE
    stdin: str = ""


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
    return RunRequest(code, profile, without, language, _check_stdin(data.get("stdin", "")))


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
        f"(code is limited to {MAX_CODE_CHARS} characters)."
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
