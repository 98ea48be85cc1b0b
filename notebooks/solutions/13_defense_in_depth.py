"""Lesson 13, exercise solution. Run: .venv/bin/python notebooks/solutions/13_defense_in_depth.py"""

import re

from sandbox import engine_client, engine_kind
from sandbox.lab import catalog

escaped, known_limits = [], []
for attack in catalog.all_attacks():
    if attack.category in ("cpu", "timeout"):
        continue
    if attack.limit_here:
        # A known limit escapes the hardened profile itself on this engine (socket_memory on
        # cgroup v1): removing seccomp on top would say nothing about seccomp.
        known_limits.append(attack.name)
        continue
    limits = attack.limits("hardened")
    if not limits.is_on("seccomp"):
        continue  # seccomp is already one of this attack's `given` controls
    outcome = catalog.run_attack(attack, limits.without("seccomp"))
    print(f"{attack.name:26} {outcome.verdict:10} {outcome.evidence[:90]}")
    if outcome.verdict == "escaped":
        escaped.append(attack.name)

# Docker 25 and later refuse io_uring in their own default profile, so there it stays contained;
# an attack this engine cannot show (int80_syscall off x86-64) stays contained too.
version = engine_client().version()["Version"]
release = tuple(int(n) for n in re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", version).groups(default="0"))
held_by_docker = {"io_uring"} if release >= (25, 0, 0) else set()
# Podman's default profile allows keyctl and unshare (sandbox.seccomp.PODMAN_DEFAULT_ALLOWS), which
# Docker's refuses: there the kit's profile is the one layer that holds these two as well.
also_by_podman = {"kernel_interfaces", "userns_unshare"} if engine_kind().name == "podman" else set()
expected = sorted(
    {
        a.name
        for a in catalog.all_attacks()
        if a.control == "seccomp" and a.applicable and not a.limit_here and a.name not in held_by_docker
    }
    | also_by_podman
)
print(f"engine {version}; known limits here, left out: {known_limits or 'none'}")
print("escaped without the kit's seccomp profile:", escaped)
assert sorted(escaped) == expected, (escaped, expected)
print("all lesson 13 answers hold")
