ATTACK = {
    "title": "Kernel keyring, BPF, userfaultfd and perf events",
    "category": "privilege",
    "misconfiguration": "seccomp_unconfined",
    "hardened": "keyctl, bpf, userfaultfd and perf_event_open all fail with EPERM",
    "ablated": "with no seccomp filter the calls reach the kernel: the keyring answers, and the rest meet only the "
               "kernel's own checks (sysctls, argument checks)",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "keyctl": "EPERM", "bpf": "EPERM", "userfaultfd": "EPERM", "perf_event_open": "EPERM"}},
        "ablated": {"status": "ok", "report": {"achieved": True, "keyctl": "OK"}},
        "naive": {"status": "ok", "report": {"achieved": False, "keyctl": "EPERM", "bpf": "EPERM", "userfaultfd": "EPERM", "perf_event_open": "EPERM"}},
    },
    "gvisor": {
        "ablated": {"verdict": "escaped", "expect": {"status": "ok", "report": {"achieved": True, "keyctl": "OK",
                                                                               "userfaultfd": "ENOSYS"}},
                    "why": "with the filter removed keyctl works, on gVisor's own keyring; userfaultfd, the race "
                           "exploits' tool, is not implemented by gVisor at all (ENOSYS)"},
    },
    "engines": [
        {"podman_from": "4",
         "why": "Podman's default seccomp profile allows keyctl (Docker's refuses it), so the naive profile "
                "reaches the kernel keyring there",
         "expect": {"naive": {"status": "ok", "report": {"achieved": True, "keyctl": "OK", "bpf": "EPERM",
                                                         "userfaultfd": "EPERM", "perf_event_open": "EPERM"}}}},
    ],
    "explain": """
        Four kernel interfaces with long records of security bugs: the key management
        facility (keyctl; keyrings are not isolated per container), BPF (programs loaded into
        the kernel), userfaultfd (lets an exploit pause the kernel in the middle of copying
        memory, the heart of many race exploits) and perf events. An honest note: Docker
        20.10's default profile already denies all four here (the 'naive' column shows it),
        so removing only the kit's own seccomp control does not open them. The kit denies them
        anyway, without relying on Docker's list. What does open them is a container run with
        '--security-opt seccomp=unconfined'; then only the kernel's own checks remain
        (sysctls and capabilities), and the keyring answers at once. The attack reads its
        session keyring's id and makes three calls with harmless arguments.
    """,
}

import ctypes
import errno
import json
import os
import platform

NUMBERS = {"x86_64": {"keyctl": 250, "bpf": 321, "userfaultfd": 323, "perf_event_open": 298},
           "aarch64": {"keyctl": 219, "bpf": 280, "userfaultfd": 282, "perf_event_open": 241}}
KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING = 0, -3
BPF_MAP_CREATE = 0
nr = NUMBERS[platform.machine()]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.argtypes = [ctypes.c_long] * 7   # syscall(number, ...): six arguments, all passed
libc.syscall.restype = ctypes.c_long


def call(name, *args):
    ctypes.set_errno(0)
    args = list(args) + [0] * (6 - len(args))   # syscall() always takes the number and six arguments
    result = libc.syscall(nr[name], *args)
    if result >= 0:
        return "OK", result
    return errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno())), None


attr = ctypes.create_string_buffer(128)  # struct perf_event_attr: software clock, user space only
attr[0:8] = (1).to_bytes(4, "little") + (128).to_bytes(4, "little")
attr[40:48] = (0b110 << 4).to_bytes(8, "little")  # exclude_kernel | exclude_hv
facts = {}
facts["keyctl"], _ = call("keyctl", KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0)
facts["bpf"], _ = call("bpf", BPF_MAP_CREATE, 0, 0)
facts["userfaultfd"], fd = call("userfaultfd", os.O_CLOEXEC)
if fd is not None:
    os.close(fd)
facts["perf_event_open"], fd = call("perf_event_open", ctypes.addressof(attr), 0, -1, -1, 0)
if fd is not None:
    os.close(fd)
facts["achieved"] = any(v != "EPERM" for v in facts.values())
print("ATTACK_REPORT " + json.dumps(facts))
