"""Lesson 01, exercise solution. Run: .venv/bin/python notebooks/solutions/01_first_run.py"""

from sandbox import run

with_stderr = run("import sys\nprint('out')\nprint('err', file=sys.stderr)\nsys.exit(3)\n")
print(with_stderr.status, with_stderr.exit_code, with_stderr.signal, repr(with_stderr.message), with_stderr.stopped_by)
assert (with_stderr.status, with_stderr.exit_code, with_stderr.signal, with_stderr.stopped_by) == (
    "error",
    3,
    None,
    None,
)
assert with_stderr.message == "err"  # the last line of stderr
assert with_stderr.stdout == "out\n"

quiet = run("import sys\nprint('out')\nsys.exit(3)\n")
print(quiet.status, quiet.exit_code, repr(quiet.message))
assert quiet.message == "Exited with code 3"

adder = run("a = int(input())\nb = int(input())\nprint(a + b)\n", stdin="3\n4\n")
print(adder.status, repr(adder.stdout), "stdin bytes taken:", adder.usage.stdin_bytes)
assert adder.status == "ok" and adder.stdout == "7\n" and adder.usage.stdin_bytes == 4
print("all lesson 01 answers hold")
