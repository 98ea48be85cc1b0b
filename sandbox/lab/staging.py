"""Staging and running an attack: one case's Limits, the host-side set-up a misconfiguration
needs (a planted canary, a mounted folder), a companion beside it, and the run, judged.

`run_attack` never raises for what happens inside the sandbox; see its docstring.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from typing import Any

from sandbox import IMAGES, EngineUnavailable, ImageMissing, Limits, Mount, RuntimeMissing, SandboxError, run
from sandbox.engine import socket_path as engine_socket_path

from . import hostcpu
from .errors import AttackError
from .judging import (
    AttackOutcome,
    check_expectations,
    judge,
    judge_host_cpu,
    judge_on_files,
    judge_on_record,
    parse_report,
)
from .metadata import Attack
from .verdict import Verdict

# Where the harness plants things for the misconfiguration cases.
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


# -- running ----------------------------------------------------------------------------------


def run_attack(
    attack: Attack,
    case: str | Limits = "hardened",
    *,
    on_output: Callable[[str, str], None] | None = None,
    runtime: str | None = None,
) -> AttackOutcome:
    """Run one attack under a case ("hardened", "ablated", "naive") or under any Limits.

    Never raises for what happens inside the sandbox; a run the engine refuses, or a host that
    lacks what the attack needs, comes back as an AttackOutcome with verdict "error" or "skipped".
    EngineUnavailable and ImageMissing are raised as usual when no run can happen at all.
    `runtime` names another OCI runtime (such as crun) for a case that runs under runc.
    """
    case_name = case if isinstance(case, str) else "custom"
    limits = case if isinstance(case, Limits) else attack.limits(case)
    if runtime and limits.runtime == "runc":
        limits = limits.replace(runtime=runtime)
    lacking = [n for n in attack.needs if not NEEDS[n]()] if case_name in NEEDS_CASES else []
    if lacking:
        return AttackOutcome(
            attack, case_name, limits, None, None, Verdict.SKIPPED, f"this host lacks: {', '.join(lacking)}"
        )
    try:
        with (
            _staged(attack, case_name, limits) as (staged, env, canary),
            _companion(attack, staged),
            _host_cpu(attack, staged) as host_cpu,
        ):
            result = run(attack.source, staged, env=env, on_output=on_output, image=IMAGES[attack.image].tag)
    except (EngineUnavailable, ImageMissing):
        raise
    except RuntimeMissing as exc:
        return AttackOutcome(
            attack, case_name, limits, None, None, Verdict.SKIPPED, f"this engine lacks: {exc.message}"
        )
    except SandboxError as exc:
        return AttackOutcome(attack, case_name, limits, None, None, Verdict.ERROR, f"the run did not start: {exc}")
    report = parse_report(result.stdout)
    verdict, evidence = judge(result, report, canary)
    if host_cpu is not None:
        verdict, evidence = judge_host_cpu(host_cpu, evidence)
    elif result.usage is not None:
        verdict, evidence = judge_on_record(attack, result.usage, verdict, evidence)
    verdict, evidence = judge_on_files(attack, result, verdict, evidence)
    surprises = check_expectations(attack.expected(case_name), result, report, host_cpu)
    return AttackOutcome(attack, case_name, staged, result, report, verdict, evidence, surprises)


# A CPU attack escapes when the kernel held it back in no period, and either enforced no quota


@contextlib.contextmanager
def _host_cpu(attack: Attack, limits: Limits) -> Iterator[dict | None]:
    """Under gVisor, a CPU attack's figures come from the host (hostcpu.py); else None."""
    if attack.category != "cpu" or limits.runtime != "runsc":
        yield None
        return
    with hostcpu.watch_cpu() as figures:
        yield figures


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
        yield limits.replace(mounts=(Mount(folder, HOST_MOUNT_TARGET, read_only=True),), name=limits.name), None, canary
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
    ended: dict[str, Any] = {}

    def watch(stream: str, text: str) -> None:
        if COMPANION_READY in text:
            ready.set()

    def neighbour() -> None:
        try:
            ended["result"] = run(
                companion,
                limits.replace(timeout_s=60, name=limits.name),
                on_output=watch,
                cancel=stop,
                image=IMAGES[attack.image].tag,
            )
        except Exception as exc:  # noqa: BLE001 - told below, as the attack's error
            ended["error"] = exc
        finally:
            ready.set()

    thread = threading.Thread(target=neighbour, name=f"companion-{attack.name}", daemon=True)
    thread.start()
    try:
        ready.wait(60)
        if "result" in ended or "error" in ended:
            raise AttackError(
                f"Attack {attack.name}: its companion ended before it was ready "
                f"({ended.get('error') or ended['result'].message}).",
                hint="",
            )
        yield
    finally:
        stop.set()
        thread.join(timeout=30)
