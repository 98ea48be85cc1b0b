"""Lesson 13, exercise solution. Run: .venv/bin/python notebooks/solutions/13_defense_in_depth.py"""

from sandbox import catalog

escaped = []
for attack in catalog.all_attacks():
    if attack.category in ("cpu", "timeout"):
        continue
    limits = attack.limits("hardened")
    if not limits.is_on("seccomp"):
        continue                      # seccomp is already one of this attack's `given` controls
    outcome = catalog.run_attack(attack, limits.without("seccomp"))
    print(f"{attack.name:26} {outcome.verdict:10} {outcome.evidence[:90]}")
    if outcome.verdict == "escaped":
        escaped.append(attack.name)

expected = sorted(a.name for a in catalog.all_attacks() if a.control == "seccomp")
print("escaped without the kit's seccomp profile:", escaped)
assert sorted(escaped) == expected, (escaped, expected)
print("all lesson 13 answers hold")
