"""Lesson 11, exercise solutions. Run: .venv/bin/python notebooks/solutions/11_escape_misconfigurations.py"""

from sandbox import PROFILES, Mount, engine_kind
from sandbox.lab import catalog, engines
from sandbox.lab.audit import audit

hardened = PROFILES["hardened"]

# 1. Which views of the host does --privileged unmask?
attack = catalog.load("proc_sys_views")
masked = catalog.run_attack(attack, "hardened")
unmasked = catalog.run_attack(attack, "ablated")
print("hardened:  ", masked.verdict, masked.report["revealed"])
print("privileged:", unmasked.verdict, unmasked.report["revealed"])
print("visible either way:", masked.report["always_visible"])
assert masked.verdict == "contained" and masked.report["revealed"] == []
assert unmasked.verdict == "escaped" and {"/proc/keys", "/sys/firmware"} <= set(unmasked.report["revealed"])
assert set(masked.report["always_visible"]) >= {"kernel", "host_mem_mib", "host_cpus", "host_path_prefix"}

# 2. A host system directory mounted in, even read-only, fails the benchmark's 5.6.
report = audit(hardened.replace(mounts=(Mount("/etc", "/host-etc"),)))
print(report.summary(), report.failed_ids())
# Where the engine does not apply a control the kit asks for (Podman: sandbox.lab.engines.unapplied),
# those items fail whatever the profile; each says why in the audit.
gaps = [item for item, _ in engines.unapplied(engine_kind())]
assert [i for i in report.failed_ids() if i not in gaps] == ["5.6 sensitive-mounts"]
print("evidence:", report.get("5.6 sensitive-mounts").evidence)
print("all lesson 11 answers hold")
