"""Lesson 08, exercise solution. Run: .venv/bin/python notebooks/solutions/08_users_capabilities.py"""

from sandbox import PROFILES, run

hardened = PROFILES["hardened"]

POWERS = r"""
import errno, os, socket

def attempt(fn):
    try:
        fn()
        return "ok"
    except OSError as e:
        return errno.errorcode[e.errno]

def bind80():
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", 80))
    finally:
        s.close()

print("read_shadow=" + attempt(lambda: open("/etc/shadow").read()))
print("bind_80=" + attempt(bind80))
print("signal_pid1=" + attempt(lambda: os.kill(1, 0)))
open("/tmp/mine", "w").close()
print("chown=" + attempt(lambda: os.chown("/tmp/mine", 1234, 1234)))
print("port_start=" + open("/proc/sys/net/ipv4/ip_unprivileged_port_start").read().strip())
"""


def facts(result):
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)


root_no_caps = facts(run(POWERS, hardened.without("user")))
print("root, no capabilities:", root_no_caps)
assert root_no_caps == {
    "read_shadow": "ok",
    "bind_80": "ok",
    "signal_pid1": "ok",
    "chown": "EPERM",
    "port_start": "0",
}  # Docker lowered the privileged port range to nothing

runner = facts(run(POWERS, hardened))
print("runner:               ", runner)
assert runner["read_shadow"] == "EACCES" and runner["bind_80"] == "ok"
print("all lesson 08 answers hold")
