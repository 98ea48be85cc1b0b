ATTACK = {
    "title": "Read another process's memory with ptrace",
    "category": "privilege",
    "control": "seccomp",
    "hardened": "ptrace (attach and TRACEME) fails with EPERM: the kit's seccomp profile denies it (its own child's "
                "memory stays readable through /proc, see below)",
    "ablated": "under Docker's default profile ptrace is allowed: the attack reads a secret out of its child's memory",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "attach": "EPERM", "traceme": "EPERM",
                                                "process_vm_readv": "EPERM", "proc_mem": "OK"}},
        "ablated": {"status": "ok", "report": {"achieved": True, "attach": "OK", "traceme": "OK", "process_vm_readv": "EPERM"}},
        "naive": {"status": "ok", "report": {"achieved": True}},
    },
    "engines": [
        {"docker_from": "23", "podman_from": "4",
         "why": "Docker 23+ and Podman allow process_vm_readv by default",
         "expect": {"ablated": {"status": "ok", "report": {"achieved": True, "attach": "OK", "traceme": "OK",
                                                           "process_vm_readv": "OK"}}}},
    ],
    "explain": """
        ptrace is the debugger's system call: attach to a process, stop it, read and write its
        memory and registers (on old kernels, a way around seccomp). Docker's default
        seccomp profile allows it (kernel 4.8 and later); the kit's does not. The attack forks a
        child holding a secret, attaches to it and reads the secret with PTRACE_PEEKDATA; it
        also tries PTRACE_TRACEME and process_vm_readv (Docker 20.10's default allows it only
        with CAP_SYS_PTRACE, 23 and later to all). Refusing ptrace does not make the child's
        memory private: without the Yama module, /proc/<pid>/mem reads it anyway (proc_mem),
        as both are the same uid. Within one run every process is the same program, so that is
        no boundary. Between runs the boundaries are PID namespaces and distinct uids, and the
        one trusted process in the container, the kit's supervisor, is non-dumpable (the
        supervisor_memory attack).
    """,
}

import ctypes
import errno
import json
import os
import signal

libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.restype = ctypes.c_long
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
# ssize_t process_vm_readv(pid_t, const struct iovec *, unsigned long, const struct iovec *,
#                          unsigned long, unsigned long)
libc.process_vm_readv.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_void_p,
                                  ctypes.c_ulong, ctypes.c_ulong]
libc.process_vm_readv.restype = ctypes.c_ssize_t
PTRACE_TRACEME, PTRACE_PEEKDATA, PTRACE_ATTACH, PTRACE_DETACH = 0, 2, 16, 17


def err():
    return errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))


secret = ctypes.create_string_buffer(b"hunter2-in-child")  # the child gets a copy at this address
facts = {}
ready_r, ready_w = os.pipe()
hold_r, hold_w = os.pipe()   # the child blocks on it until it is killed (or we are gone)
child = os.fork()
if child == 0:
    os.close(hold_w)
    os.write(ready_w, b"x")
    os.read(hold_r, 1)
    os._exit(0)
os.read(ready_r, 1)
ctypes.set_errno(0)
if libc.ptrace(PTRACE_ATTACH, child, None, None) == 0:
    facts["attach"] = "OK"
    os.waitpid(child, 0)  # the child stops on attach
    words = []
    for offset in range(0, 16, 8):
        ctypes.set_errno(0)
        word = libc.ptrace(PTRACE_PEEKDATA, child, ctypes.addressof(secret) + offset, None)
        words.append((word & (2**64 - 1)).to_bytes(8, "little"))
    facts["read_from_child"] = b"".join(words).decode("ascii", "replace")
    libc.ptrace(PTRACE_DETACH, child, None, None)
else:
    facts["attach"] = err()


class IoVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("length", ctypes.c_size_t)]


copy = ctypes.create_string_buffer(16)
local, remote = IoVec(ctypes.addressof(copy), 16), IoVec(ctypes.addressof(secret), 16)
ctypes.set_errno(0)
got = libc.process_vm_readv(child, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
facts["process_vm_readv"] = "OK" if got == 16 else err()
try:
    with open(f"/proc/{child}/mem", "rb") as mem:
        mem.seek(ctypes.addressof(secret))
        facts["proc_mem"] = "OK" if mem.read(16) == secret.raw[:16] else "read something else"
except OSError as exc:
    facts["proc_mem"] = errno.errorcode.get(exc.errno, str(exc.errno))
os.kill(child, signal.SIGKILL)
os.waitpid(child, 0)

tracee = os.fork()
if tracee == 0:
    ctypes.set_errno(0)
    os._exit(0 if libc.ptrace(PTRACE_TRACEME, 0, None, None) == 0 else ctypes.get_errno())
code = os.waitstatus_to_exitcode(os.waitpid(tracee, 0)[1])
facts["traceme"] = "OK" if code == 0 else errno.errorcode.get(code, str(code))
facts["achieved"] = facts.get("read_from_child") == secret.value.decode()
print("ATTACK_REPORT " + json.dumps(facts))
