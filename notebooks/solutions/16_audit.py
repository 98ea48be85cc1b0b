"""Lesson 16, exercise solution. Run: .venv/bin/python notebooks/solutions/16_audit.py"""

from sandbox.lab import catalog, targets

bare = targets.parse("docker-run:--network none --user 0")  # no limits at all, and root
found = targets.audit(catalog.all_attacks(only=["become_root", "fork_bomb"]), [bare])
escapes = {c.attack.name: c.attack.control for c in found.cells if c.verdict == "escaped"}
print("escaped, with the kit's control that stops each:", escapes)
assert escapes == {"become_root": "user", "fork_bomb": "pids"}
print("all lesson 16 answers hold")
