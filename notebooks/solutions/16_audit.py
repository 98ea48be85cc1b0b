"""Lesson 16, exercise solution. Run: .venv/bin/python notebooks/solutions/16_audit.py"""

from sandbox.lab import catalog, targets

epicbox = targets.parse("epicbox")  # built by `make peers` (part of `make setup`)
found = targets.audit(catalog.all_attacks(only=["become_root", "fork_bomb"]), [epicbox])
escapes = {c.attack.name: c.attack.control for c in found.cells if c.verdict == "escaped"}
print("escaped, with the kit's control that stops each:", escapes)
assert escapes == {"become_root": "user", "fork_bomb": "pids"}
print("all lesson 16 answers hold")
