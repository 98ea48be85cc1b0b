"""Lesson 01, exercise solution. Run: .venv/bin/python notebooks/solutions/01_first_run.py"""

from sandbox import run

with_stderr = run("import sys\nprint('out')\nprint('err', file=sys.stderr)\nsys.exit(3)\n")
print(with_stderr.status, with_stderr.exit_code, repr(with_stderr.message), with_stderr.stopped_by)
assert (with_stderr.status, with_stderr.exit_code, with_stderr.stopped_by) == ("error", 3, None)
assert with_stderr.message == "err"            # the last line of stderr
assert with_stderr.stdout == "out\n"

quiet = run("import sys\nprint('out')\nsys.exit(3)\n")
print(quiet.status, quiet.exit_code, repr(quiet.message))
assert quiet.message == "Exited with code 3"
print("all lesson 01 answers hold")
