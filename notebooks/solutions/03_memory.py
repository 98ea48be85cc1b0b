"""Lesson 03, exercise solution. Run: .venv/bin/python notebooks/solutions/03_memory.py"""

from sandbox import run

runs = 0


def fits(mib):
    """Can a program hold a bytearray of `mib` MiB under the hardened profile (128 MiB)?"""
    global runs
    runs += 1
    result = run(f"x = bytearray({mib} * 1024 * 1024)\nprint('held')")
    assert result.status in ("ok", "memory"), result.message
    return result.status == "ok"


low, high = 0, 128  # low always fits (nothing); high never fits (the whole limit)
assert not fits(high)
while high - low > 1:
    middle = (low + high) // 2
    if fits(middle):
        low = middle
    else:
        high = middle
print(f"largest bytearray: {low} MiB, found in {runs} runs")
assert 96 <= low < 128  # the interpreter and the supervisor take the rest of the 128 MiB
print("all lesson 03 answers hold")
