"""doctor: is this machine ready to run sandboxes, and what to do about each problem.

>>> from sandbox.lab import doctor
>>> for check in doctor.checks():
...     print(check.line())  # doctest: +ENGINE
ok    engine: ... at ...
...
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

from sandbox import IMAGES, EngineUnavailable, RuntimeMissing, SandboxError, engine, reaper, run, seccomp
from sandbox.images import version

from . import engines


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True  # a failed required check means runs cannot work

    def line(self) -> str:
        mark = "ok" if self.ok else ("FAIL" if self.required else "warn")
        text = f"{mark:5} {self.name}: {self.detail}"
        return text + (f"\n      -> {self.fix}" if not self.ok and self.fix else "")

    def to_dict(self) -> dict:
        return asdict(self)


def checks() -> list[Check]:
    """Every check, in the order a person would fix them. Never raises."""
    where = os.environ.get("DOCKER_HOST") or "the default socket"
    try:
        api = engine.client().api
        info = api.info()
        version = api.version()
    except SandboxError as exc:
        return [Check("engine", False, f"no Docker Engine answered at {where}", exc.hint)]
    except Exception as exc:  # noqa: BLE001 - doctor reports, it does not crash
        return [Check("engine", False, f"the engine at {where} answered with an error: {exc}", EngineUnavailable.hint)]
    kind = engine.kind()
    found = [
        Check("engine", True, f"{kind.name.capitalize()} {kind.version} (API {version.get('ApiVersion')}) at {where}")
    ]
    found += _kernel_checks(info)
    found += [
        _runtime_check(version, info),
        gvisor_check(info, listed=kind.runtimes_listed),
        _differences_check(version),
        *_image_checks(),
        _stack_check(),
        _leftovers_check(),
    ]
    return found


def _differences_check(version: dict) -> Check:
    """What the engine's own defaults change in the lessons and the attack matrix."""
    from .catalog import parse_version  # one way to read a version: the catalog's

    kind = engine.kind()
    if engines.differences(kind):
        return Check(
            "engine differences",
            True,
            f"{kind.name.capitalize()} {kind.version}: " + "; ".join(engines.differences(kind)),
            required=False,
        )
    number = parse_version(str(version.get("Version", "0")))
    changes = [
        f"Docker's default seccomp profile {change} {', '.join(names)} (since {since[0]})"
        for since, change, names in seccomp.DOCKER_DEFAULT_SINCE
        if number >= since
    ]
    if not changes:
        return Check(
            "engine differences",
            True,
            "none: the kit's claims were written against this engine's defaults",
            required=False,
        )
    return Check(
        "engine differences",
        True,
        "; ".join(changes) + ". The kit's own profile is the same; what "
        "changes is the floor an ablated seccomp case falls back to (see the attacks' engines notes)",
        required=False,
    )


def healthy(found: list[Check]) -> bool:
    return all(c.ok for c in found if c.required)


def _kernel_checks(info: dict) -> list[Check]:
    cgroup = info.get("CgroupVersion", "1")
    security = info.get("SecurityOptions") or []
    seccomp = any("name=seccomp" in opt for opt in security)
    return [
        Check(
            "cgroups",
            True,
            f"cgroup v{cgroup} ({info.get('CgroupDriver', '?')} driver), kernel {info.get('KernelVersion', '?')}",
        ),
        Check(
            "memory limit",
            bool(info.get("MemoryLimit")),
            "the engine can limit memory",
            "Enable the memory cgroup (cgroup_enable=memory on the kernel command line).",
        ),
        Check(
            "swap limit",
            bool(info.get("SwapLimit")),
            "the engine can limit swap (memory-swap)",
            "Add 'swapaccount=1' to the kernel command line, or use cgroup v2.",
            required=False,
        ),
        Check(
            "pids limit",
            bool(info.get("PidsLimit")),
            "the engine can limit processes",
            "Enable the pids cgroup controller.",
        ),
        Check(
            "seccomp",
            seccomp,
            "seccomp filtering is available" if seccomp else "seccomp is not available",
            "Use a kernel and Docker build with seccomp support; the hardened profile depends on it.",
        ),
    ]


def _runtime_check(version: dict, info: dict) -> Check:
    components = {c.get("Name"): c.get("Version") for c in version.get("Components") or []}
    runtime = info.get("DefaultRuntime", "?")
    runc = components.get("runc") or (info.get("RuncCommit") or {}).get("ID", "?")
    init = info.get("InitBinary") or ""
    if "Podman Engine" in components and not init:
        # Podman names no init in its info: it is containers.conf's init_path (catatonit), and a
        # run that asks for it fails at its start, loudly, where it is missing.
        return Check(
            "runtime",
            True,
            f"{runtime} (Podman {components['Podman Engine']}), init not reported "
            "by Podman (containers.conf init_path)",
            "",
        )
    return Check(
        "runtime",
        bool(init),
        f"{runtime} {runc}, containerd {components.get('containerd', '?')}, init {init or 'missing'}",
        "Install tini/docker-init: the kit runs an init process as PID 1 to reap orphans.",
    )


def gvisor_check(info: dict, *, listed: bool = True) -> Check:
    """Whether the gvisor profile can run here (runsc registered); never required.

    `listed` is False where info's Runtimes names runtimes that may not be installed (Podman).
    """
    runtimes = info.get("Runtimes") or {}
    if not listed:
        return Check(
            "gvisor",
            False,
            f"this engine lists runtimes it may not have ({', '.join(sorted(runtimes))}), "
            "so the kit uses only its default runtime here: the gvisor profile is not offered",
            "Run the gvisor profile on a Docker engine with runsc registered (docker/private-engine.sh "
            "start docker26 DIR does that).",
            required=False,
        )
    if "runsc" in runtimes:
        args = " ".join(runtimes["runsc"].get("runtimeArgs") or [])
        return Check(
            "gvisor",
            True,
            f"runsc registered ({runtimes['runsc'].get('path', '?')} {args}): the gvisor profile runs here",
            required=False,
        )
    return Check(
        "gvisor",
        False,
        "runsc is not registered: the gvisor profile cannot run here (every other profile can)",
        RuntimeMissing.hint,
        required=False,
    )


def _image_checks() -> list[Check]:
    found = []
    for image in IMAGES.values():
        required = image.key == "python"  # the kit's subject; other languages and the lab are extras
        name = "image" if required else f"image ({image.key})"
        try:
            engine.ensure_image(image.tag)
        except SandboxError as exc:
            found.append(Check(name, False, exc.message, exc.hint, required=required))
            continue
        size = engine.client().images.get(image.tag).attrs.get("Size", 0) / 1e6
        found.append(Check(name, True, f"{image.tag} present ({size:.0f} MB, version {version(image)})"))
    return found


STACK = ("numpy", "pandas", "scipy", "matplotlib")

# Imported, not only looked up: a version printed means the library loads in the sandbox.
_VERSIONS = f"""
import importlib, json
found = {{}}
for name in {STACK!r}:
    try:
        found[name] = importlib.import_module(name).__version__
    except Exception:
        found[name] = None
print(json.dumps(found))
"""


def stack_versions() -> dict[str, str | None]:
    """The scientific stack's versions as a run finds them in the Python image (None: missing).

    Run under the hardened profile; raises SandboxError if the run itself fails.
    """
    result = run(_VERSIONS)
    if result.status != "ok":
        raise SandboxError(f"The version check ran but ended {result.status}: {result.message}")
    return json.loads(result.stdout)


def _stack_check() -> Check:
    try:
        versions = stack_versions()
    except SandboxError as exc:
        return Check("science stack", False, exc.message, exc.hint, required=False)
    missing = [name for name, found in versions.items() if found is None]
    detail = ", ".join(f"{name} {found}" for name, found in versions.items() if found)
    if missing:
        return Check(
            "science stack",
            False,
            f"missing in the image: {', '.join(missing)}" + (f" ({detail})" if detail else ""),
            "Rebuild from the Debian base, which carries the stack: "
            "'python -m sandbox build --force --base safe-python-base:bookworm' after "
            "'sudo bash docker/make-base-image.sh'.",
            required=False,
        )
    return Check("science stack", True, detail + " (inside the image)")


def _leftovers_check() -> Check:
    left = reaper.leftovers()
    orphans = [c for c in left if c["orphan"]]
    if not orphans:
        live = f" ({len(left)} belong to running processes)" if left else ""
        return Check("leftovers", True, f"no orphaned containers of the kit{live}")
    return Check(
        "leftovers",
        False,
        f"{len(orphans)} container(s) of the kit outlived their process",
        "Remove them with 'python -m sandbox cleanup' (it leaves running sandboxes alone).",
        required=False,
    )
