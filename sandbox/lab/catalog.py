"""The attack catalog: the hostile programs in `attacks/`, read on the host without running them.

Each `attacks/<name>.py` is a plain Python program that runs INSIDE the sandbox. It starts with
a literal `ATTACK = {...}` dict (its metadata) that the host reads with `ast.literal_eval`, so
the host never imports or executes an attack. The program ends by printing one line,
`ATTACK_REPORT {json}`, saying what it achieved (`{"achieved": false, "errno": "EAGAIN", ...}`).

    >>> from sandbox.lab import catalog
    >>> attack = catalog.load("fork_bomb")
    >>> attack.control, attack.title
    ('pids', 'Fork bomb')
    >>> outcome = catalog.run_attack(attack, "hardened")  # doctest: +ENGINE
    >>> str(outcome.verdict), outcome.evidence  # doctest: +ENGINE
    ('contained', "the kernel's record (supervisor): forks_refused=... achieved=false children=... errno=EAGAIN")
    >>> str(catalog.run_attack(attack, "ablated").verdict)  # the pids control removed  # doctest: +ENGINE
    'escaped'

Cases (what `run_attack` runs an attack under):
- `hardened`: the hardened profile (with the attack's `timeout`), minus the attack's `given`
  controls. `given` is for layered defences: a capability lesson runs as root in both cases,
  because for a non-root process the capability set changes nothing.
- `ablated`: the same, with the attack's one `control` removed, or, for an attack that shows a
  misconfiguration instead of a control, with that misconfiguration switched on.
- `naive`: Docker's defaults (the `naive` profile), no misconfiguration.

Verdicts come from facts only: the engine's status and OOMKilled flag, the supervisor's record of
the run (`result.usage`), and the fields of the attack's own report. Where an attack names the
record that tells its escape (`escape_record`: the fork bombs' tasks and refused forks, the
memory hogs' peak and OOM kills; the CPU attacks' throttling), that record decides and the
report is kept as evidence. Otherwise: `contained`: the attack reported it failed, or the sandbox
ended it (timeout, OOM kill, output cap, a signal) before it could report. `escaped`: it reported
success (and, where the harness planted a canary, quoted it). `error`: the attack neither
reported nor was stopped (a bug in the attack), or the run could not start. `skipped`: the
host lacks what the attack's misconfigured case needs (e.g. no local Docker socket to mount);
`needs` is checked for the ablated case (and for custom Limits) only, since the hardened and
naive cases mount nothing of the host.

The API other modules rely on: `Attack`, `AttackOutcome`, `load()`, `all_attacks()`, `run_attack()`,
`CATEGORIES`, `CASES`, `MISCONFIGURATIONS`. Keep it small and stable.

This module reads the attack files; the work is split by job, and everything public is
re-exported here: metadata.py (the `Attack` record, its cases, the engine facts it matches),
staging.py (a case's set-up and `run_attack`), judging.py (verdicts, evidence, expectations).
"""

from __future__ import annotations

import ast
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sandbox import CONTROLS
from sandbox.engine import socket_path as engine_socket_path

from .errors import AttackError
from .judging import (
    ABOVE_QUOTA,
    FILES_FACTS,
    REPORT_PREFIX,
    AttackOutcome,
    check_expectations,
    judge,
    judge_host_cpu,
    judge_kernel_cpu,
    judge_on_files,
    judge_on_record,
    parse_report,
)
from .metadata import (
    CASES,
    CATEGORIES,
    DOCKER_SOCKET,
    GVISOR,
    HARDENED,
    MISCONFIGURATIONS,
    NAIVE,
    RUNTIME_CASES,
    Attack,
    engine_architecture,
    engine_cgroup_version,
    engine_kind_name,
    engine_version,
    engine_version_text,
    parse_version,
)
from .staging import CANARY_ENV, COMPANION_READY, HOST_MOUNT_FILE, HOST_MOUNT_TARGET, NEEDS, NEEDS_CASES, run_attack
from .verdict import Verdict

# The catalog's face: what other modules, the lessons and the tests use as `catalog.NAME`.
__all__ = [
    "Attack",
    "AttackOutcome",
    "AttackError",
    "load",
    "names",
    "all_attacks",
    "read_metadata",
    "run_attack",
    "CASES",
    "RUNTIME_CASES",
    "CATEGORIES",
    "MISCONFIGURATIONS",
    "NEEDS",
    "NEEDS_CASES",
    "REQUIRED",
    "OPTIONAL",
    "ATTACK_IMAGES",
    "ATTACKS_DIR",
    "DEFAULT_TIMEOUT_S",
    "RECORD_FIELDS",
    "HARDENED",
    "NAIVE",
    "GVISOR",
    "DOCKER_SOCKET",
    "HOST_MOUNT_TARGET",
    "HOST_MOUNT_FILE",
    "CANARY_ENV",
    "COMPANION_READY",
    "REPORT_PREFIX",
    "ABOVE_QUOTA",
    "parse_report",
    "judge",
    "judge_host_cpu",
    "judge_on_record",
    "judge_on_files",
    "FILES_FACTS",
    "judge_kernel_cpu",
    "check_expectations",
    "Verdict",
    "parse_version",
    "engine_architecture",
    "engine_version_text",
    "engine_kind_name",
    "engine_version",
    "engine_cgroup_version",
    "engine_socket_path",
]

ATTACKS_DIR = Path(os.environ.get("SANDBOX_ATTACKS_DIR") or Path(__file__).resolve().parents[2] / "attacks")
DEFAULT_TIMEOUT_S = 10.0

REQUIRED = ("title", "category", "hardened", "ablated", "explain", "expect")
OPTIONAL = (
    "control",
    "misconfiguration",
    "given",
    "timeout",
    "needs",
    "not_applicable",
    "image",
    "known_limit",
    "companion",
    "only_on",
    "engines",
    "gvisor",
    "varies",
    "escape_record",
    "escape_files",
    "foreign",
)
# The kit images an attack may ask for: "lab" holds fixtures the served images never carry.
ATTACK_IMAGES = ("python", "lab")


# -- reading attack files ---------------------------------------------------------------------


def names() -> list[str]:
    """Every attack's name (its file name without .py), sorted."""
    if not ATTACKS_DIR.is_dir():
        raise AttackError(
            f"No attacks folder at {ATTACKS_DIR}.",
            hint="Run from a checkout of safe-python, or set SANDBOX_ATTACKS_DIR.",
        )
    return sorted(p.stem for p in ATTACKS_DIR.glob("*.py") if not p.name.startswith("_"))


def load(name: str) -> Attack:
    """Read one attack's metadata (never executing it). Raises AttackError."""
    if not isinstance(name, str) or not name.isidentifier():
        raise AttackError(f"{name!r} is not an attack name (letters, digits and _ only).")
    path = ATTACKS_DIR / f"{name}.py"
    if not path.is_file():
        known = ", ".join(names()) if ATTACKS_DIR.is_dir() else "none"
        raise AttackError(f"No attack named {name!r}. Known: {known}.", hint="")
    source = path.read_text(encoding="utf-8")
    return _from_metadata(name, read_metadata(source, name), source, path)


def all_attacks(only: list[str] | None = None, categories: list[str] | None = None) -> list[Attack]:
    """Attacks in scorecard order (by category, then name), optionally filtered."""
    if categories:
        unknown = sorted(set(categories) - set(CATEGORIES))
        if unknown:
            raise AttackError(f"Unknown category {', '.join(unknown)}. Categories: {', '.join(CATEGORIES)}.", hint="")
    chosen = [load(n) for n in dict.fromkeys(only or names())]
    if categories:
        chosen = [a for a in chosen if a.category in categories]
    order = list(CATEGORIES)
    return sorted(chosen, key=lambda a: (order.index(a.category), a.name))


def read_metadata(source: str, name: str = "?") -> dict:
    """The literal `ATTACK = {...}` at the top level of `source`, evaluated as a literal only."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise AttackError(f"Attack {name}: not valid Python (line {exc.lineno}: {exc.msg}).") from exc
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "ATTACK"
        ):
            try:
                value = ast.literal_eval(node.value)
            except ValueError as exc:
                raise AttackError(f"Attack {name}: ATTACK must be a literal dict ({exc}).") from exc
            if not isinstance(value, dict):
                raise AttackError(f"Attack {name}: ATTACK must be a dict.")
            return value
    raise AttackError(f"Attack {name}: no top-level ATTACK = {{...}} metadata.")


def _from_metadata(name: str, meta: dict, source: str, path: Path) -> Attack:
    def fail(why: str) -> AttackError:
        return AttackError(f"Attack {name}: {why}.")

    missing = [k for k in REQUIRED if not meta.get(k)]
    if missing:
        raise fail(f"missing {', '.join(missing)}")
    unknown = sorted(set(meta) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise fail(f"unknown field(s) {', '.join(unknown)}")
    control, misconf = meta.get("control"), meta.get("misconfiguration")
    if bool(control) == bool(misconf):
        raise fail("name exactly one of control and misconfiguration")
    if control and control not in CONTROLS:
        raise fail(f"control {control!r} is not one of {', '.join(CONTROLS)}")
    if misconf and misconf not in MISCONFIGURATIONS:
        raise fail(f"misconfiguration {misconf!r} is not one of {', '.join(MISCONFIGURATIONS)}")
    if meta["category"] not in CATEGORIES:
        raise fail(f"category {meta['category']!r} is not one of {', '.join(CATEGORIES)}")
    given = tuple(meta.get("given") or ())
    if any(g not in CONTROLS or g == control for g in given):
        raise fail(f"given must list other controls, not {list(given)!r}")
    needs = tuple(meta.get("needs") or ())
    if any(n not in NEEDS for n in needs):
        raise fail(f"needs must be among {', '.join(NEEDS)}")
    expect = meta["expect"]
    if not isinstance(expect, dict) or not {"hardened", "ablated"} <= set(expect) or set(expect) - set(CASES):
        raise fail("expect must map 'hardened' and 'ablated' (and optionally 'naive') to facts")
    image = meta.get("image", "python")
    if image not in ATTACK_IMAGES:
        raise fail(f"image must be one of {', '.join(ATTACK_IMAGES)}")
    timeout = meta.get("timeout", DEFAULT_TIMEOUT_S)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 1 <= timeout <= 30:
        raise fail("timeout must be a number of seconds from 1 to 30")
    return Attack(
        name=name,
        title=str(meta["title"]),
        category=meta["category"],
        control=control,
        misconfiguration=misconf,
        given=given,
        timeout=float(timeout),
        hardened=str(meta["hardened"]),
        ablated=str(meta["ablated"]),
        explain=" ".join(str(meta["explain"]).split()),
        expect=expect,
        needs=needs,
        not_applicable=meta.get("not_applicable"),
        image=image,
        known_limit=dict(meta.get("known_limit") or {}),
        companion=meta.get("companion"),
        only_on=dict(meta.get("only_on") or {}),
        engines=_engines(meta.get("engines"), fail),
        gvisor=_gvisor(meta.get("gvisor"), fail),
        varies=tuple(meta.get("varies") or ()),
        escape_record=_escape_record(meta.get("escape_record"), fail),
        escape_files=_escape_files(meta.get("escape_files"), fail),
        foreign=_foreign(meta.get("foreign"), fail),
        source=source,
        path=path,
    )


def _engines(value: Any, fail: Callable[[str], AttackError]) -> tuple[dict, ...]:
    entries = list(value or ())
    for entry in entries:
        if not isinstance(entry, dict) or set(entry) - {
            "docker_from",
            "podman_from",
            "why",
            "expect",
            "not_applicable",
            "known_limit",
        }:
            raise fail(
                "each engines entry has docker_from and/or podman_from, why, and expect, not_applicable "
                "and/or known_limit (why hardened does not contain it on that engine)"
            )
        keys = [k for k in ("docker_from", "podman_from") if k in entry]
        if not entry.get("why") or not keys or not all(isinstance(entry[k], str) for k in keys):
            raise fail("each engines entry names docker_from and/or podman_from (a version) and why")
        if set(entry.get("expect", {})) - set(CASES):
            raise fail(f"an engines entry's expect maps cases ({', '.join(CASES)}) to facts")
    return tuple(entries)


def _gvisor(value: Any, fail: Callable[[str], AttackError]) -> dict:
    entry = value or {}
    if (
        not isinstance(entry, dict)
        or set(entry) - {"why", "expect", "ablated"}
        or ("expect" in entry and not entry.get("why"))
    ):
        raise fail(
            "gvisor is {'why': ..., 'expect': facts of the gvisor case, 'ablated': {...}}; an expect needs its why"
        )
    if not isinstance(entry.get("expect", {}), dict):
        raise fail("gvisor's expect maps fact names to values, as a case's expect does")
    ablated = entry.get("ablated")
    if ablated is not None and (
        not isinstance(ablated, dict)
        or set(ablated) != {"verdict", "why", "expect"}
        or ablated["verdict"] not in (Verdict.CONTAINED, Verdict.ESCAPED)
    ):
        raise fail("gvisor's ablated is {'verdict': 'contained' or 'escaped', 'why': ..., 'expect': facts}")
    return dict(entry)


# The Usage fields a verdict may rest on: counts and sizes the supervisor reads from the kernel.
RECORD_FIELDS = (
    "cpu_s",
    "peak_mib",
    "memory_limit_hits",
    "oom_kills",
    "peak_tasks",
    "forks_refused",
    "cpu_periods",
    "throttled_periods",
    "no_route",
)


def _escape_record(value: Any, fail: Callable[[str], AttackError]) -> dict:
    record = value or {}
    if not isinstance(record, dict) or set(record) - set(RECORD_FIELDS):
        raise fail(f"escape_record maps fields of the kernel's record ({', '.join(RECORD_FIELDS)}) to values")
    for want in record.values():
        plain = isinstance(want, (int, float)) and not isinstance(want, bool)
        ranged = isinstance(want, dict) and want and set(want) <= {"min", "max"}
        if not (plain or ranged):
            raise fail("each escape_record value is a number or a range {'min': a, 'max': b}")
    return dict(record)


def _foreign(value: Any, fail: Callable[[str], AttackError]) -> str | None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise fail("foreign says, in words, what the attack judges from on a target the kit does not control")
    return " ".join(value.split()) if value else None


def _escape_files(value: Any, fail: Callable[[str], AttackError]) -> tuple[dict, ...]:
    """The ways an escape shows in what came back: one dict of facts, or a list of them where the
    same escape can end in more than one way (any one whose facts all hold is the escape)."""
    ways = value if isinstance(value, list) else [value] if value else []
    if isinstance(value, list) and not value:
        raise fail("escape_files' list names at least one way an escape shows")
    return tuple(_files_facts(found, fail) for found in ways)


def _files_facts(found: Any, fail: Callable[[str], AttackError]) -> dict:
    if not isinstance(found, dict) or not found or set(found) - set(FILES_FACTS):
        raise fail(f"escape_files maps facts of what came back ({', '.join(FILES_FACTS)}) to values")
    contains = found.get("contains", {})
    if not isinstance(contains, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in contains.items()
    ):
        raise fail("escape_files' contains maps a file's name to the text its bytes hold")
    missing = found.get("missing", [])
    if not isinstance(missing, list) or not all(isinstance(name, str) for name in missing):
        raise fail("escape_files' missing lists the names of files that did not come back")
    for key in set(found) - {"contains", "missing"}:
        want = found[key]
        plain = isinstance(want, (int, float)) and not isinstance(want, bool)
        if not (plain or (isinstance(want, dict) and want and set(want) <= {"min", "max"})):
            raise fail(f"escape_files' {key} is a number or a range {{'min': a, 'max': b}}")
    return dict(found)
