"""The attack catalog: the hostile programs in `attacks/`, read on the host without running them.

Each `attacks/<name>.py` is a plain Python program that runs INSIDE the sandbox. It starts with
a literal `ATTACK = {...}` dict (its metadata) that the host reads with `ast.literal_eval`, so
the host never imports or executes an attack. The program ends by printing one line,
`ATTACK_REPORT {json}`, saying what it achieved (`{"achieved": false, "errno": "EAGAIN", ...}`).

    >>> from sandbox.lab import catalog
    >>> attack = catalog.load("fork_bomb")
    >>> attack.control, attack.title
    ('pids', 'Fork bomb')
    >>> outcome = catalog.run_attack(attack, "hardened")       # doctest: +ENGINE
    >>> outcome.verdict, outcome.evidence                      # doctest: +ENGINE
    ('contained', "the kernel's record (supervisor): forks_refused=... achieved=false children=... errno=EAGAIN")
    >>> catalog.run_attack(attack, "ablated").verdict          # the pids control removed  # doctest: +ENGINE
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
"""

from __future__ import annotations

import ast
import contextlib
import functools
import json
import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox import (
    CONTROLS,
    IMAGES,
    PROFILES,
    EngineUnavailable,
    ImageMissing,
    Limits,
    Mount,
    Result,
    RuntimeMissing,
    SandboxError,
    Status,
    Usage,
    engine,
    run,
)
from sandbox.engine import socket_path as engine_socket_path
from sandbox.errors import AttackError
from sandbox.text import clip

from . import hostcpu

HARDENED, NAIVE, GVISOR = PROFILES["hardened"], PROFILES["naive"], PROFILES["gvisor"]

ATTACKS_DIR = Path(os.environ.get("SANDBOX_ATTACKS_DIR")
                   or Path(__file__).resolve().parents[2] / "attacks")
REPORT_PREFIX = "ATTACK_REPORT "
DEFAULT_TIMEOUT_S = 10.0

CASES = ("hardened", "ablated", "naive")
# Under another runtime, where the engine has it: hardened through gVisor, and, for the attacks
# whose metadata says what a second kernel changes on its own, the ablated case through gVisor.
RUNTIME_CASES = ("gvisor", "gvisor_ablated")

# In the order the scorecard lists them.
CATEGORIES: dict[str, str] = {
    "cpu": "burning CPU",
    "timeout": "outliving the time limit",
    "memory": "eating memory",
    "processes": "fork and thread bombs",
    "disk": "filling or changing the filesystem",
    "output": "flooding the output",
    "files": "exhausting file descriptors",
    "network": "reaching the network",
    "info": "reading secrets and host facts",
    "privilege": "becoming more powerful",
    "supervisor": "reaching the supervisor that reports the run",
    "escape": "escape routes opened by a misconfiguration",
}

# Misconfigurations are not controls: no profile has them, a careless deployment adds them.
# An attack that shows one names it in `misconfiguration`; its "ablated" case switches it on.
MISCONFIGURATIONS: dict[str, str] = {
    "privileged": "the container runs with --privileged",
    "docker_socket": "the host's Docker socket is mounted into the container (read-only, which protects nothing)",
    "host_mount": "a host directory is mounted into the container",
    "cap_sys_admin": "the container is given CAP_SYS_ADMIN (--cap-add SYS_ADMIN)",
    "seccomp_unconfined": "the container runs with --security-opt seccomp=unconfined",
    "env_secret": "a secret is passed to the container in an environment variable",
    "cap_sys_ptrace": "the container is given CAP_SYS_PTRACE (--cap-add SYS_PTRACE)",
}

# Where the harness plants things for the misconfiguration cases. DOCKER_SOCKET is where the
# attack looks inside the container, and where the engine listens on a host by default.
DOCKER_SOCKET = "/var/run/docker.sock"
HOST_MOUNT_TARGET = "/host"
HOST_MOUNT_FILE = "canary.txt"
CANARY_ENV = "DEMO_API_TOKEN"

# Host prerequisites an attack may name in `needs`, with the check for each.
NEEDS: dict[str, Callable[[], bool]] = {
    "docker_socket": lambda: engine_socket_path() is not None,
}

# `needs` names what the misconfiguration takes from the host, so only the cases that may
# switch it on check it (custom Limits are usually built from the ablated case).
NEEDS_CASES = ("ablated", "custom", "gvisor_ablated")

REQUIRED = ("title", "category", "hardened", "ablated", "explain", "expect")
OPTIONAL = ("control", "misconfiguration", "given", "timeout", "needs", "not_applicable", "image",
            "known_limit", "companion", "only_on", "engines", "gvisor", "varies", "escape_record")
# The kit images an attack may ask for: "lab" holds fixtures the served images never carry.
ATTACK_IMAGES = ("python", "lab")


@dataclass(frozen=True)
class Attack:
    """One attack's metadata, read from its file without running it."""

    name: str
    title: str
    category: str
    control: str | None            # the control that stops it (None for a misconfiguration)
    misconfiguration: str | None   # the misconfiguration it shows (None for a control)
    given: tuple[str, ...]         # controls removed in the hardened and ablated cases alike
    timeout: float                 # the timeout control's value wherever that control is on
    hardened: str                  # expected outcome under the hardened case, in words
    ablated: str                   # expected outcome with the control removed / misconfiguration on
    explain: str                   # one paragraph for learners
    expect: dict[str, dict]        # machine-checked facts per case (see `check_expectations`)
    needs: tuple[str, ...]
    not_applicable: str | None     # why this engine cannot show it (never counted), else None
    image: str = "python"          # the kit image it runs in (see sandbox/images.py)
    known_limit: dict = field(default_factory=dict)   # {"cgroup": "1", "why": ...}: not contained there
    companion: str | None = None   # a program run beside it under the same limits (a neighbour)
    only_on: dict = field(default_factory=dict)   # {"architecture": "x86_64"}: the engine it needs
    # Where engines differ: [{"docker_from": "25", "why": ..., "expect": {case: facts},
    # "not_applicable": true}]; the first entry the engine in use matches applies. "podman_from"
    # names Podman's versions the same way (an entry may name both); "known_limit": why hardened
    # does not contain it on that engine.
    engines: tuple[dict, ...] = ()
    # What differs when gVisor's kernel answers: {"why": ..., "expect": facts of the gvisor case}.
    # Without it, the gvisor case must show exactly the hardened case's facts. Its "ablated"
    # entry, {"verdict", "why", "expect"}, runs the ablated case through gVisor too.
    gvisor: dict = field(default_factory=dict)
    # Report fields whose value is the run's own (an address the engine assigned, a planted
    # canary, the engine's version): the report across engines does not count them as differences.
    varies: tuple[str, ...] = ()
    # The supervisor's record of an escape: Usage fields and what each is when the attack got what
    # it wanted ({"forks_refused": 0, "peak_tasks": {"min": 200}}). Where the run kept them all,
    # they decide the verdict, not the program's report.
    escape_record: dict = field(default_factory=dict)
    source: str = field(repr=False, default="")
    path: Path = field(repr=False, default=Path())

    @property
    def applicable(self) -> bool:
        return self.not_applicable is None and self.not_here() is None

    def not_here(self) -> str | None:
        """Why the engine in use cannot show this attack (its `only_on`, or an `engines` entry
        that says so), or None."""
        wanted = self.only_on.get("architecture")
        if wanted and engine_architecture() != wanted:
            return f"needs an {wanted} engine; this one is {engine_architecture()}"
        variant = self.on_this_engine()
        if variant and variant.get("not_applicable"):
            return f"on {engine_kind_name().capitalize()} {engine_version_text()}: {variant['why']}"
        return None

    def why_not_applicable(self) -> str | None:
        """Why this attack cannot apply here: its own `not_applicable`, or the engine's reason."""
        return self.not_applicable or self.not_here()

    def on_this_engine(self) -> dict | None:
        """The `engines` entry the engine in use matches, or None: a `docker_from` entry matches
        Docker from that version on, a `podman_from` entry Podman from that version on."""
        name = engine_kind_name()
        for variant in self.engines:
            since = variant.get(f"{name}_from")
            if since is not None and engine_version() >= parse_version(since):
                return variant
        return None

    def expected(self, case: str) -> dict | None:
        """The facts a case must show on the engine in use (an `engines` entry may restate them)."""
        if case == "gvisor":
            return self.gvisor["expect"] if "expect" in self.gvisor else self.expected("hardened")
        if case == "gvisor_ablated":
            return self.gvisor.get("ablated", {}).get("expect")
        variant = self.on_this_engine() if self.engines else None
        if variant and case in variant.get("expect", {}):
            return variant["expect"][case]
        return self.expect.get(case)

    @property
    def limit_here(self) -> str | None:
        """Why hardened does not contain this attack on the engine in use (a known limit), or None."""
        variant = self.on_this_engine() if self.engines else None
        if variant and variant.get("known_limit"):
            return variant["known_limit"]
        cgroup = self.known_limit.get("cgroup")
        if not self.known_limit or (cgroup and engine_cgroup_version() != cgroup):
            return None
        return self.known_limit.get("why", "a known limit")

    def runs(self, case: str) -> bool:
        """Whether the case is part of this attack's matrix (gvisor_ablated: where its metadata asks)."""
        return case != "gvisor_ablated" or "ablated" in self.gvisor

    def wanted(self, case: str) -> str | None:
        """The verdict the case should give: hardened contains, ablated escapes. A known limit
        escapes under hardened too, and says so; an attack that cannot apply here is contained."""
        if case == "gvisor_ablated":
            return self.gvisor.get("ablated", {}).get("verdict")
        if not self.applicable:
            return "contained" if case in ("hardened", "ablated", "gvisor") else None
        if case in ("hardened", "gvisor"):   # a second kernel may only add to what hardened holds
            return "escaped" if self.limit_here else "contained"
        return "escaped" if case == "ablated" else None

    @property
    def removes(self) -> str:
        """What the ablated case changes, in words: 'without pids' or 'with privileged'."""
        return f"without {self.control}" if self.control else f"with {self.misconfiguration}"

    def limits(self, case: str) -> Limits:
        """The Limits of one case (misconfigurations that need host files are added by run_attack)."""
        if case == "naive":
            return NAIVE
        if case == "gvisor":
            gvisor = GVISOR.replace(name="gvisor", timeout_s=self.timeout)
            return gvisor.without(*self.given) if self.given else gvisor
        if case == "gvisor_ablated":
            ablated = self.limits("ablated")
            memory = ablated.memory_mib and GVISOR.memory_mib    # gVisor's own room, unless memory is off
            return ablated.replace(runtime="runsc", memory_mib=memory, name=f"gvisor {ablated.name}")
        base = HARDENED.replace(name="hardened", timeout_s=self.timeout)
        if self.given:
            base = base.without(*self.given)
        if case == "hardened":
            return base
        if case != "ablated":
            raise AttackError(f"Unknown case {case!r}. Cases: {', '.join(CASES + RUNTIME_CASES)}.", hint="")
        if self.control:
            return base.without(self.control)
        return _misconfigure(base, self.misconfiguration or "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "title": self.title, "category": self.category,
            "control": self.control, "misconfiguration": self.misconfiguration,
            "given": list(self.given), "timeout": self.timeout, "hardened": self.hardened,
            "ablated": self.ablated, "explain": self.explain, "expect": self.expect,
            "needs": list(self.needs), "not_applicable": self.why_not_applicable(),
            "image": self.image, "known_limit": self.limit_here, "companion": bool(self.companion),
            "gvisor": self.gvisor.get("why"), "engine_note": self._engine_note(), "varies": list(self.varies),
        }

    def _engine_note(self) -> str | None:
        """Why this engine's expectations differ (its `engines` entry), for reports."""
        try:
            return (self.on_this_engine() or {}).get("why") if self.engines else None
        except SandboxError:
            return None


@dataclass
class AttackOutcome:
    """One attack run under one case, judged."""

    attack: Attack
    case: str                      # "hardened", "ablated", "naive" or "custom"
    limits: Limits
    result: Result | None          # None when the run could not happen (skipped / error)
    report: dict | None            # the attack's ATTACK_REPORT, parsed
    verdict: str                   # contained / escaped / error / skipped
    evidence: str                  # one line of facts
    surprises: list[str] = field(default_factory=list)  # expectations for this case that failed

    @property
    def as_expected(self) -> bool:
        """Hardened contained, ablated escaped, and every machine-checked fact as the metadata says."""
        wanted = self.attack.wanted(self.case)
        verdict_ok = wanted is None or self.verdict == wanted
        return verdict_ok and not self.surprises and self.verdict not in ("error", "skipped")

    def to_dict(self) -> dict[str, Any]:
        r = self.result
        return {
            "attack": self.attack.name, "case": self.case, "limits": self.limits.name,
            "controls": self.limits.controls(), "verdict": self.verdict, "evidence": self.evidence,
            "as_expected": self.as_expected, "surprises": list(self.surprises), "report": self.report,
            "status": r.status if r else None, "stopped_by": r.stopped_by if r else None,
            "exit_code": r.exit_code if r else None, "oom_killed": r.oom_killed if r else None,
            "truncated": r.truncated if r else None, "duration_s": round(r.duration_s, 2) if r else None,
            "message": r.message if r else None,
        }


# -- reading attack files ---------------------------------------------------------------------

def names() -> list[str]:
    """Every attack's name (its file name without .py), sorted."""
    if not ATTACKS_DIR.is_dir():
        raise AttackError(f"No attacks folder at {ATTACKS_DIR}.",
                          hint="Run from a checkout of safe-python, or set SANDBOX_ATTACKS_DIR.")
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
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id == "ATTACK"):
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
        name=name, title=str(meta["title"]), category=meta["category"], control=control,
        misconfiguration=misconf, given=given, timeout=float(timeout), hardened=str(meta["hardened"]),
        ablated=str(meta["ablated"]), explain=" ".join(str(meta["explain"]).split()), expect=expect,
        needs=needs, not_applicable=meta.get("not_applicable"), image=image,
        known_limit=dict(meta.get("known_limit") or {}), companion=meta.get("companion"),
        only_on=dict(meta.get("only_on") or {}), engines=_engines(meta.get("engines"), fail),
        gvisor=_gvisor(meta.get("gvisor"), fail), varies=tuple(meta.get("varies") or ()),
        escape_record=_escape_record(meta.get("escape_record"), fail), source=source, path=path,
    )


def _engines(value: Any, fail: Callable[[str], AttackError]) -> tuple[dict, ...]:
    entries = list(value or ())
    for entry in entries:
        if not isinstance(entry, dict) or set(entry) - {"docker_from", "podman_from", "why", "expect", "not_applicable",
                                                          "known_limit"}:
            raise fail("each engines entry has docker_from and/or podman_from, why, and expect, not_applicable "
                       "and/or known_limit (why hardened does not contain it on that engine)")
        keys = [k for k in ("docker_from", "podman_from") if k in entry]
        if not entry.get("why") or not keys or not all(isinstance(entry[k], str) for k in keys):
            raise fail("each engines entry names docker_from and/or podman_from (a version) and why")
        if set(entry.get("expect", {})) - set(CASES):
            raise fail(f"an engines entry's expect maps cases ({', '.join(CASES)}) to facts")
    return tuple(entries)


def _gvisor(value: Any, fail: Callable[[str], AttackError]) -> dict:
    entry = value or {}
    if not isinstance(entry, dict) or set(entry) - {"why", "expect", "ablated"} or ("expect" in entry and not entry.get("why")):
        raise fail("gvisor is {'why': ..., 'expect': facts of the gvisor case, 'ablated': {...}}; an expect needs its why")
    if not isinstance(entry.get("expect", {}), dict):
        raise fail("gvisor's expect maps fact names to values, as a case's expect does")
    ablated = entry.get("ablated")
    if ablated is not None and (not isinstance(ablated, dict) or set(ablated) != {"verdict", "why", "expect"}
                                or ablated["verdict"] not in ("contained", "escaped")):
        raise fail("gvisor's ablated is {'verdict': 'contained' or 'escaped', 'why': ..., 'expect': facts}")
    return dict(entry)


# The Usage fields a verdict may rest on: counts and sizes the supervisor reads from the kernel.
RECORD_FIELDS = ("cpu_s", "peak_mib", "memory_limit_hits", "oom_kills", "peak_tasks", "forks_refused",
                 "cpu_periods", "throttled_periods", "no_route")


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


def parse_version(text: str) -> tuple[int, ...]:
    """'26.1.5+dfsg1' -> (26, 1, 5)."""
    parts = []
    for piece in text.split("+")[0].split("-")[0].split("."):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return tuple(parts) or (0,)


def _misconfigure(limits: Limits, misconfiguration: str) -> Limits:
    name = f"{limits.name} with {misconfiguration}"
    if misconfiguration == "privileged":
        return limits.replace(privileged=True, name=name)
    if misconfiguration == "docker_socket":
        host_socket = engine_socket_path() or DOCKER_SOCKET  # without one, run_attack skips the case
        return limits.replace(mounts=(Mount(host_socket, DOCKER_SOCKET, read_only=True),), name=name)
    if misconfiguration == "cap_sys_admin":
        return limits.replace(cap_add=("SYS_ADMIN",), name=name)
    if misconfiguration == "cap_sys_ptrace":
        return limits.replace(cap_add=("SYS_PTRACE",), name=name)
    if misconfiguration == "seccomp_unconfined":
        return limits.replace(seccomp="unconfined", name=name)
    # host_mount and env_secret need host-side set-up: run_attack adds them.
    return limits.replace(name=name)


# -- running ----------------------------------------------------------------------------------

def run_attack(attack: Attack, case: str | Limits = "hardened", *,
               on_output: Callable[[str, str], None] | None = None) -> AttackOutcome:
    """Run one attack under a case ("hardened", "ablated", "naive") or under any Limits.

    Never raises for what happens inside the sandbox; a run the engine refuses, or a host that
    lacks what the attack needs, comes back as an AttackOutcome with verdict "error" or "skipped".
    EngineUnavailable and ImageMissing are raised as usual when no run can happen at all.
    """
    case_name = case if isinstance(case, str) else "custom"
    limits = case if isinstance(case, Limits) else attack.limits(case)
    lacking = [n for n in attack.needs if not NEEDS[n]()] if case_name in NEEDS_CASES else []
    if lacking:
        return AttackOutcome(attack, case_name, limits, None, None, "skipped",
                       f"this host lacks: {', '.join(lacking)}")
    try:
        with (_staged(attack, case_name, limits) as (staged, env, canary), _companion(attack, staged),
              _host_cpu(attack, staged) as host_cpu):
            result = run(attack.source, staged, env=env, on_output=on_output, image=IMAGES[attack.image].tag)
    except (EngineUnavailable, ImageMissing):
        raise
    except RuntimeMissing as exc:
        return AttackOutcome(attack, case_name, limits, None, None, "skipped", f"this engine lacks: {exc.message}")
    except SandboxError as exc:
        return AttackOutcome(attack, case_name, limits, None, None, "error", f"the run did not start: {exc}")
    report = parse_report(result.stdout)
    verdict, evidence = judge(result, report, canary)
    if host_cpu is not None:
        verdict, evidence = judge_host_cpu(host_cpu, evidence)
    elif result.usage is not None:
        verdict, evidence = judge_on_record(attack, result.usage, verdict, evidence)
    surprises = check_expectations(attack.expected(case_name), result, report, host_cpu)
    return AttackOutcome(attack, case_name, staged, result, report, verdict, evidence, surprises)


# A CPU attack escapes when the kernel held it back in no period, and either enforced no quota
# at all (no CFS bandwidth periods) or gave it clearly more CPU than the 0.5 quota allows: the
# rule the cpu attacks apply to their own figures, applied to the kernel's record of the run.
ABOVE_QUOTA = 0.6


@contextlib.contextmanager
def _host_cpu(attack: Attack, limits: Limits) -> Iterator[dict | None]:
    """Under gVisor, a CPU attack's figures come from the host (hostcpu.py); else None."""
    if attack.category != "cpu" or limits.runtime == "runc":
        yield None
        return
    with hostcpu.watch_cpu() as figures:
        yield figures


def judge_host_cpu(figures: dict, evidence: str) -> tuple[str, str]:
    """(verdict, evidence) from the host's CPU figures, keeping the program's own as evidence."""
    if "cpu_per_wall" not in figures:
        return "error", f"the engine gave no CPU figures for the run; {evidence}"
    escaped = figures["throttled_periods"] == 0 and figures["cpu_per_wall"] >= ABOVE_QUOTA
    return ("escaped" if escaped else "contained"), (
        f"the host's record (engine stats): cpu_per_wall={figures['cpu_per_wall']} "
        f"throttled_periods={figures['throttled_periods']}; the program's own clock: {evidence}")


def judge_on_record(attack: Attack, usage: Usage, verdict: str, evidence: str) -> tuple[str, str]:
    """(verdict, evidence) from the supervisor's record of the run, where the attack names the facts
    that tell an escape (its `escape_record`, or the CPU rule); else the run's own verdict stands."""
    if attack.category == "cpu":
        return judge_kernel_cpu(usage, verdict, evidence)
    facts = {name: getattr(usage, name) for name in attack.escape_record}
    if not facts or any(value is None for value in facts.values()):
        return verdict, evidence
    escaped = all(_matches(facts[name], want) for name, want in attack.escape_record.items())
    return _on_record(escaped, facts, verdict, evidence)


def judge_kernel_cpu(usage: Usage, verdict: str, evidence: str) -> tuple[str, str]:
    """(verdict, evidence) from the supervisor's record of the run's cgroup, nothing the program
    wrote; the program's own verdict stands where the kernel keeps no such record."""
    periods, throttled = usage.cpu_periods, usage.throttled_periods
    if periods is None or throttled is None or not usage.cpu_s or not usage.wall_s:
        return verdict, evidence
    ratio = round(usage.cpu_s / usage.wall_s, 2)
    escaped = throttled == 0 and (periods == 0 or ratio >= ABOVE_QUOTA)
    facts = {"cpu_periods": periods, "throttled_periods": throttled, "cpu_per_wall": ratio}
    return _on_record(escaped, facts, verdict, evidence)


def _on_record(escaped: bool, facts: dict, verdict: str, evidence: str) -> tuple[str, str]:
    shown = " ".join(f"{name}={value}" for name, value in facts.items())
    if not escaped and verdict == "error":
        # The record shows no escape, but an attack that broke may never have tried: not "contained".
        return verdict, f"{evidence}; the kernel's record (supervisor) shows no escape: {shown}"
    return ("escaped" if escaped else "contained"), (
        f"the kernel's record (supervisor): {shown}; the run and its report: {evidence}")


@contextlib.contextmanager
def _staged(attack: Attack, case: str, limits: Limits) -> Iterator[tuple[Limits, dict | None, str | None]]:
    """Limits, environment and canary for one run, with any host-side set-up made and removed."""
    if case != "ablated" or attack.misconfiguration not in ("env_secret", "host_mount"):
        yield limits, None, None
        return
    canary = f"canary-{secrets.token_hex(8)}"
    if attack.misconfiguration == "env_secret":
        yield limits, {CANARY_ENV: canary}, canary
        return
    folder = tempfile.mkdtemp(prefix="safe-python-hostmount-")
    try:
        # World-readable, so the sandbox's non-root user can read what a careless mount exposes.
        os.chmod(folder, 0o755)
        canary_path = os.path.join(folder, HOST_MOUNT_FILE)
        with open(canary_path, "w", encoding="utf-8") as handle:
            handle.write(canary + "\n")
        os.chmod(canary_path, 0o644)
        yield limits.replace(mounts=(Mount(folder, HOST_MOUNT_TARGET, read_only=True),),
                             name=limits.name), None, canary
    finally:
        shutil.rmtree(folder, ignore_errors=True)


COMPANION_READY = "COMPANION_READY"


@contextlib.contextmanager
def _companion(attack: Attack, limits: Limits) -> Iterator[None]:
    """The attack's neighbour, running under the same limits until the attack is done.

    The companion prints COMPANION_READY once it holds what it means to hold; the attack only
    starts then, and the companion is cancelled (its container killed and removed) after.
    """
    companion = attack.companion
    if not companion:
        yield
        return
    ready, stop = threading.Event(), threading.Event()
    ended: dict[str, Any] = {}    # "result": the companion's Result, or "error": what it raised

    def watch(stream: str, text: str) -> None:
        if COMPANION_READY in text:
            ready.set()

    def neighbour() -> None:
        try:
            ended["result"] = run(companion, limits.replace(timeout_s=60, name=limits.name),
                                  on_output=watch, cancel=stop, image=IMAGES[attack.image].tag)
        except Exception as exc:  # noqa: BLE001 - told below, as the attack's error
            ended["error"] = exc
        finally:
            ready.set()

    thread = threading.Thread(target=neighbour, name=f"companion-{attack.name}", daemon=True)
    thread.start()
    try:
        ready.wait(60)
        if "result" in ended or "error" in ended:
            raise AttackError(f"Attack {attack.name}: its companion ended before it was ready "
                              f"({ended.get('error') or ended['result'].message}).", hint="")
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


@functools.lru_cache(maxsize=4)
def _engine_info(host: str) -> dict:
    return engine.client().info()


def engine_architecture() -> str:
    """The engine's machine (on a Mac: Docker Desktop's Linux VM), as the kernel names it."""
    found = _engine_info(os.environ.get("DOCKER_HOST", "")).get("Architecture", "?")
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(found, found)   # Podman spells Go's names


def engine_version_text() -> str:
    return str(_engine_info(os.environ.get("DOCKER_HOST", "")).get("ServerVersion", "?"))


def engine_kind_name() -> str:
    """'docker' or 'podman' (sandbox.engine.kind), what an `engines` entry's key names."""
    return engine.kind().name


def engine_version() -> tuple[int, ...]:
    """The Docker Engine's version as numbers, e.g. (26, 1, 5)."""
    return parse_version(engine_version_text())


def engine_cgroup_version() -> str:
    return str(_engine_info(os.environ.get("DOCKER_HOST", "")).get("CgroupVersion", "1"))


def parse_report(stdout: str) -> dict | None:
    """The last `ATTACK_REPORT {json}` line of the output, or None (cut off, killed, malformed)."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(REPORT_PREFIX):
            try:
                value = json.loads(line[len(REPORT_PREFIX):])
            except ValueError:
                return None
            return value if isinstance(value, dict) else None
    return None


# Output above this size is worth a mention in the evidence (it is what output attacks are about).
_BIG_OUTPUT = 64 * 1024

# Statuses that mean the sandbox (not the attack) ended the run.
_STOPPED = (Status.TIMEOUT, Status.MEMORY, Status.OUTPUT_LIMIT, Status.KILLED)


def judge(result: Result, report: dict | None, canary: str | None = None) -> tuple[str, str]:
    """(verdict, evidence) from the engine's facts and the attack's own report."""
    status = result.status + (f" ({result.stopped_by})" if result.stopped_by else "")
    received = len(result.stdout.encode("utf-8", "replace")) + len(result.stderr.encode("utf-8", "replace"))
    if result.truncated or received > _BIG_OUTPUT:
        status += f", host received {received:,} bytes" + (" (truncated)" if result.truncated else "")
    if report is None:
        if result.status in _STOPPED:
            extra = ", OOMKilled" if result.oom_killed else ""
            return "contained", f"{status}{extra}: {result.message}"
        return "error", f"{status}: no {REPORT_PREFIX.strip()} line ({result.message})"
    achieved = report.get("achieved")
    if not isinstance(achieved, bool):
        return "error", f"{status}: the report has no true/false 'achieved'"
    facts = _facts(report)
    if achieved and canary is not None and canary not in json.dumps(report):
        return "error", f"{status}: claimed success without the planted canary; {facts}"
    return ("escaped" if achieved else "contained"), f"{status}; {facts}"


def _facts(report: dict, limit: int = 220) -> str:
    parts = [f"achieved={json.dumps(report['achieved'])}"]
    for key, value in report.items():
        if key != "achieved":
            text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
            parts.append(f"{key}={text}")
    return clip(" ".join(parts), limit)


def check_expectations(expect: dict | None, result: Result, report: dict | None,
                       host_cpu: dict | None = None) -> list[str]:
    """Which machine-checked facts of `expect` the run contradicts (empty: all hold).

    Keys name Result fields (status, stopped_by, hint, oom_killed, truncated, timed_out, exit_code,
    duration_s), `output_bytes` (stdout+stderr received by the host) or `report` (a dict of
    the attack's report fields, or None: no report at all), or `host_cpu` (the host's CPU figures,
    see hostcpu.py). A value is matched exactly; a list
    means one of (against a list-valued fact: that exact list); a dict {"min": a, "max": b} is
    a numeric range; an empty dict {} means the fact is an empty dict; any other dict matches
    the keys it lists in a dict-valued fact.
    """
    if not expect:
        return []
    problems = []
    for key, want in expect.items():
        if key == "report":
            if want is None:
                if report is not None:
                    problems.append(f"report: expected none, got {report}")
                continue
            if report is None:
                problems.append("report: expected one, got none")
                continue
            for rkey, rwant in want.items():
                if not _matches(report.get(rkey), rwant):
                    problems.append(f"report.{rkey}: expected {rwant!r}, got {report.get(rkey)!r}")
            continue
        if key == "host_cpu":
            if not _matches(host_cpu, want):
                problems.append(f"host_cpu: expected {want!r}, got {host_cpu!r}")
            continue
        if key == "output_bytes":
            got = len(result.stdout.encode("utf-8", "replace")) + len(result.stderr.encode("utf-8", "replace"))
        else:
            got = getattr(result, key)
        if not _matches(got, want):
            problems.append(f"{key}: expected {want!r}, got {got!r}")
    return problems


def _matches(got: Any, want: Any) -> bool:
    if want == {}:
        return got == {}  # "nothing at all", never "anything"
    if isinstance(want, list):
        return got == want if isinstance(got, list) else got in want
    if isinstance(want, dict) and set(want) <= {"min", "max"}:
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            return False
        return want.get("min", got) <= got <= want.get("max", got)
    if isinstance(want, dict):
        # Any other dict: the listed keys of a dict-valued fact, each matched by these rules.
        return isinstance(got, dict) and all(_matches(got.get(k), v) for k, v in want.items())
    return got == want
