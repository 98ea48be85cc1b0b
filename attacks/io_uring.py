ATTACK = {
    "title": "Open an io_uring",
    "category": "privilege",
    "control": "seccomp",
    "hardened": "io_uring_setup and the older io_setup fail with EPERM under the kit's seccomp profile",
    "ablated": "under Docker 20.10's default profile both succeed: the program holds an io_uring",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "io_uring_setup": "EPERM", "io_setup": "EPERM"}},
        "ablated": {"status": "ok", "report": {"achieved": True, "io_uring_setup": "OK", "io_setup": "OK"}},
        "naive": {"status": "ok", "report": {"achieved": True}},
    },
    "engines": [
        {"podman_from": "4", "not_applicable": True,
         "why": "Podman's default seccomp profile refuses io_uring too (ENOSYS, its answer to calls it does not "
                "list), so removing the kit's profile leaves nothing to open one with (io_setup gets through)",
         "expect": {"ablated": {"status": "ok", "report": {"achieved": False, "io_uring_setup": "ENOSYS", "io_setup": "OK"}},
                    "naive": {"status": "ok", "report": {"achieved": False, "io_uring_setup": "ENOSYS"}}}},
        {"docker_from": "25", "not_applicable": True,
         "why": "Docker 25 and later refuse io_uring in their default seccomp profile too, so removing "
                "the kit's profile leaves nothing to open one with (legacy AIO, io_setup, still gets "
                "through Docker's default; the kit's profile refuses it)",
         "expect": {"ablated": {"status": "ok", "report": {"achieved": False, "io_uring_setup": "EPERM", "io_setup": "OK"}},
                    "naive": {"status": "ok", "report": {"achieved": False, "io_uring_setup": "EPERM"}}}},
    ],
    "explain": """
        io_uring is a second way to ask the kernel for work: the program writes requests into
        a ring of shared memory and the kernel carries them out, without a system call per
        request. A seccomp filter only sees system calls, so it cannot see or filter those
        requests, and io_uring has been one of the richest sources of kernel privilege
        escalations since 2021; Google disabled it on ChromeOS, Android apps and its servers.
        Docker 20.10's default profile still allows it (Docker removed it only in 25.0). The
        kit's profile denies it, and legacy Linux AIO (io_setup) too. The attack only sets up
        a 4-entry ring and closes it.
    """,
}

import ctypes
import errno
import json
import os
import platform

# io_uring_setup has the same number everywhere; io_setup differs by architecture.
NUMBERS = {"x86_64": {"io_uring_setup": 425, "io_setup": 206, "io_destroy": 207},
           "aarch64": {"io_uring_setup": 425, "io_setup": 0, "io_destroy": 1}}
nr = NUMBERS[platform.machine()]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.argtypes = [ctypes.c_long] * 7   # syscall(number, ...): six arguments, all passed
libc.syscall.restype = ctypes.c_long


def err():
    return errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))


facts = {}
params = ctypes.create_string_buffer(120)  # struct io_uring_params, zeroed
ctypes.set_errno(0)
ring = libc.syscall(nr["io_uring_setup"], 4, ctypes.addressof(params), 0, 0, 0, 0)
facts["io_uring_setup"] = "OK" if ring >= 0 else err()
if ring >= 0:
    os.close(ring)
context = ctypes.c_ulong(0)
ctypes.set_errno(0)
done = libc.syscall(nr["io_setup"], 1, ctypes.addressof(context), 0, 0, 0, 0)
facts["io_setup"] = "OK" if done == 0 else err()
if done == 0:
    libc.syscall(nr["io_destroy"], context.value, 0, 0, 0, 0, 0)
facts["achieved"] = facts["io_uring_setup"] == "OK"
print("ATTACK_REPORT " + json.dumps(facts))
