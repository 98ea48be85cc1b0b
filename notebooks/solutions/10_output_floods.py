"""Lesson 10, exercise solutions. Run: .venv/bin/python notebooks/solutions/10_output_floods.py"""

from sandbox import PROFILES, run

hardened = PROFILES["hardened"]

# 1. Three-byte characters against a 1000-byte cap: 333 fit (999 bytes), the 334th is cut.
euros = run("print('€' * 1000)", hardened.replace(output_cap_bytes=1000))
print(euros.status, len(euros.stdout), repr(euros.stdout[-2:]))
assert euros.status == "output_limit" and euros.truncated
assert euros.stdout == "€" * 333 + "\ufffd"

# 2. A program's own buffer is lost when the clock kills it; python -u's print is not.
# The buffered program says on stderr (unbuffered) that its write is done, so an empty stdout
# means the written text was lost, not that the clock came before the program wrote anything.
BUFFERED = (
    "import sys\n"
    "out = open(1, 'w', buffering=8192, closefd=False)\n"
    "out.write('started\\n')\n"
    "sys.stderr.write('wrote\\n')\n"
    "while True:\n    pass\n"
)
PLAIN = "print('started')\nwhile True:\n    pass\n"
short = hardened.replace(timeout_s=3)
buffered, plain = run(BUFFERED, short), run(PLAIN, short)
print(
    "buffered:",
    buffered.status,
    repr(buffered.stdout),
    repr(buffered.stderr),
    "| plain:",
    plain.status,
    repr(plain.stdout),
)
assert buffered.status == plain.status == "timeout"
assert buffered.stderr == "wrote\n" and buffered.stdout == ""  # written, and lost in the buffer
assert plain.stdout == "started\n"
print("all lesson 10 answers hold")
