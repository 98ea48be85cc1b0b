"""Lesson 09, exercise solution. Run: .venv/bin/python notebooks/solutions/09_seccomp.py"""

import re

from sandbox import PROFILES, engine_client, engine_kind, run

hardened = PROFILES["hardened"]

# The numbers of the engine's machine (on a Mac: Docker Desktop's Linux VM), not this process's.
NUMBERS = {
    "x86_64": {"personality": 135, "process_vm_readv": 310},
    "aarch64": {"personality": 92, "process_vm_readv": 270},
}
client = engine_client()
arch = client.info()["Architecture"]
arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(arch, arch)  # Podman spells it as Go does
version = client.version()["Version"]
release = tuple(int(n) for n in re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", version).groups(default="0"))
assert arch in NUMBERS, f"this solution knows x86_64 and aarch64, not {arch}"

PROBE = (
    f"SYS_personality, SYS_process_vm_readv = {NUMBERS[arch]['personality']}, {NUMBERS[arch]['process_vm_readv']}\n"
    + r"""
import ctypes, errno, os

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.argtypes = [ctypes.c_long] * 7      # long syscall(long number, ...): the number + six arguments
libc.syscall.restype = ctypes.c_long

def syscall(number, *args):
    args = list(args) + [0] * (6 - len(args))    # plain ints; pointers as ctypes.addressof(...), NULL as 0
    ctypes.set_errno(0)
    if libc.syscall(number, *args) == -1:
        return errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
    return "ok"

class IoVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("length", ctypes.c_size_t)]

secret = ctypes.create_string_buffer(b"my own secret")
copy = ctypes.create_string_buffer(len(secret))
local = IoVec(ctypes.cast(copy, ctypes.c_void_p), len(secret))
remote = IoVec(ctypes.cast(secret, ctypes.c_void_p), len(secret))
print("personality_query=" + syscall(SYS_personality, 0xFFFFFFFF))
print("process_vm_readv=" + syscall(SYS_process_vm_readv, os.getpid(), ctypes.addressof(local), 1,
                                    ctypes.addressof(remote), 1, 0))
"""
)


def facts(result):
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)


kit = facts(run(PROBE, hardened))
default = facts(run(PROBE, hardened.without("seccomp")))
default_with_caps = facts(run(PROBE, hardened.without("seccomp", "capabilities", "user")))
with_sys_ptrace = facts(run(PROBE, hardened.without("seccomp").replace(cap_drop_all=False, cap_add=("SYS_PTRACE",))))
unconfined = facts(run(PROBE, hardened.replace(seccomp="unconfined")))
for name, found in [
    ("kit", kit),
    ("docker default", default),
    ("docker default, root with caps", default_with_caps),
    ("docker default + SYS_PTRACE", with_sys_ptrace),
    ("unconfined", unconfined),
]:
    print(f"{name:32} {found}")

assert kit == {"personality_query": "EPERM", "process_vm_readv": "EPERM"}
assert default["personality_query"] == "ok"
# Docker 23 put process_vm_readv/writev beside ptrace (allowed on Linux >= 4.8); before, only
# CAP_SYS_PTRACE opened them, and no default capability set includes it.
opened_to_all = release >= (23, 0, 0) or engine_kind().name == "podman"  # Podman's default allows them too
print(
    f"engine {version} on {arch}: Docker's default should",
    "allow process_vm_readv to everyone" if opened_to_all else "allow process_vm_readv only with CAP_SYS_PTRACE",
)
expected = "ok" if opened_to_all else "EPERM"
assert default["process_vm_readv"] == expected
assert default_with_caps["process_vm_readv"] == expected  # Docker's default set lacks SYS_PTRACE
assert with_sys_ptrace["process_vm_readv"] == "ok"  # the capability opens Docker's rule either way
assert unconfined["process_vm_readv"] == "ok"
print("all lesson 09 answers hold")
