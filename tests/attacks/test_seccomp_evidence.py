"""The kit's seccomp profile against Docker's default, call by call, on the real engine.

Each system call is made with arguments the kernel itself would reject with something other
than EPERM (a bad fd, a zero size, a query), so EPERM can only come from the seccomp filter:
- every call in DENIED_BEYOND_DOCKER gets EPERM under the kit's profile and reaches the
  kernel under Docker's default (the profile really is stricter, and by exactly these);
- every call checked from DENIED_ALSO_BY_DOCKER gets EPERM under both, and reaches the kernel
  with no filter at all (so it was the filter, not the kernel, that said no).
"""

from __future__ import annotations

import json
import platform

import pytest

from sandbox import PROFILES, run, seccomp
from sandbox.lab.catalog import engine_kind_name, engine_version

pytestmark = pytest.mark.usefixtures("engine_ready")

H = PROFILES["hardened"]

# Arguments whose kernel answer is not EPERM when the call gets through.
CALLS: dict[str, tuple[int | str, ...]] = {
    "ptrace": (3, 0, 0, 0),  # PTRACE_PEEKUSER on pid 0: ESRCH
    "io_uring_setup": (0, 0),  # zero entries: EINVAL / EFAULT
    "io_uring_enter": (-1, 0, 0, 0, 0, 0),  # bad fd: EBADF
    "io_uring_register": (-1, 0, 0, 0),
    "io_setup": (0, 0),  # zero events: EINVAL
    "io_destroy": (0,),
    "io_getevents": (0, 0, 0, 0, 0),
    "io_submit": (0, 0, 0),
    "io_cancel": (0, 0, 0),
    "personality": (0xFFFFFFFF,),  # query only: changes nothing
    "process_vm_readv": ("self", 0, 0, 0, 0, 0),  # zero vectors on itself: 0
    "process_vm_writev": ("self", 0, 0, 0, 0, 0),
    "kcmp": ("self", "self", 0, 0, 0),  # KCMP_FILE fd 0 with itself
    "pidfd_getfd": (-1, 0, 0),  # bad pidfd: EBADF
    "keyctl": (0, -3, 0),  # the session keyring's id
    "add_key": (0, 0, 0, 0, 0),  # NULL type: EFAULT
    "request_key": (0, 0, 0, 0),
    "bpf": (0, 0, 0),  # BPF_MAP_CREATE with no attr: EINVAL
    "perf_event_open": (0, 0, -1, -1, 0),  # NULL attr: EFAULT
    "adjtimex": ("buffer",),  # a zeroed struct timex: a query, changes nothing
    "clock_adjtime": (0, "buffer"),  # CLOCK_REALTIME, the same query
    "chroot": (0,),  # NULL path: EFAULT before any capability check
    "sync": (),  # flushes the filesystems: harmless
    "syncfs": (-1,),  # bad fd: EBADF
}

# The system-call numbers of the two architectures the kit's profile covers (arm64 uses the
# generic table of asm-generic/unistd.h, as attacks/io_uring.py and kernel_interfaces.py do).
NUMBERS: dict[str, dict[str, int]] = {
    "x86_64": {
        "ptrace": 101,
        "io_uring_setup": 425,
        "io_uring_enter": 426,
        "io_uring_register": 427,
        "io_setup": 206,
        "io_destroy": 207,
        "io_getevents": 208,
        "io_submit": 209,
        "io_cancel": 210,
        "personality": 135,
        "process_vm_readv": 310,
        "process_vm_writev": 311,
        "kcmp": 312,
        "pidfd_getfd": 438,
        "keyctl": 250,
        "add_key": 248,
        "request_key": 249,
        "bpf": 321,
        "perf_event_open": 298,
        "adjtimex": 159,
        "clock_adjtime": 305,
        "chroot": 161,
        "sync": 162,
        "syncfs": 306,
    },
    "aarch64": {
        "ptrace": 117,
        "io_uring_setup": 425,
        "io_uring_enter": 426,
        "io_uring_register": 427,
        "io_setup": 0,
        "io_destroy": 1,
        "io_submit": 2,
        "io_cancel": 3,
        "io_getevents": 4,
        "personality": 92,
        "process_vm_readv": 270,
        "process_vm_writev": 271,
        "kcmp": 272,
        "pidfd_getfd": 438,
        "keyctl": 219,
        "add_key": 217,
        "request_key": 218,
        "bpf": 280,
        "perf_event_open": 241,
        "adjtimex": 171,
        "clock_adjtime": 266,
        "chroot": 51,
        "sync": 81,
        "syncfs": 267,
    },
}

PROBE = """
import ctypes, errno, json, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.argtypes = [ctypes.c_long] * 7    # the number and six arguments, each a full long
libc.syscall.restype = ctypes.c_long
calls = json.loads(CALLS)
answers = {}
buffer = ctypes.create_string_buffer(512)        # a zeroed struct, where a call wants one
for name, (number, args) in calls.items():
    args = [os.getpid() if a == "self" else ctypes.addressof(buffer) if a == "buffer" else a for a in args]
    args += [0] * (6 - len(args))                # unused arguments are 0, not register garbage
    ctypes.set_errno(0)
    result = libc.syscall(number, *args)
    answers[name] = "OK" if result >= 0 else errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
print(json.dumps(answers))
"""


def answers(limits, numbers: dict[str, int]) -> dict[str, str]:
    calls = {name: (numbers[name], args) for name, args in CALLS.items()}
    code = PROBE.replace("json.loads(CALLS)", f"json.loads({json.dumps(json.dumps(calls))})")
    r = run(code, limits)
    assert r.status == "ok", r.stderr
    return json.loads(r.stdout)


@pytest.fixture(scope="module")
def table(require):
    numbers = NUMBERS.get(platform.machine())
    if numbers is None:
        require(
            "An x86_64 or arm64 engine",
            f"this is {platform.machine()}, whose system-call numbers are not listed here",
            "SANDBOX_REQUIRE_DOCKER",
        )
    return {
        "kit": answers(H, numbers),
        "docker": answers(H.without("seccomp"), numbers),
        "none": answers(H.replace(seccomp="unconfined"), numbers),
    }


def test_both_architectures_number_every_probed_call():
    assert all(set(numbers) == set(CALLS) for numbers in NUMBERS.values())


def test_every_probed_call_is_listed_in_the_profile_docs():
    listed = set(seccomp.DENIED_BEYOND_DOCKER) | set(seccomp.DENIED_ALSO_BY_DOCKER)
    assert set(CALLS) <= listed
    assert set(seccomp.DENIED_BEYOND_DOCKER) <= set(CALLS)


def test_the_kits_profile_denies_every_probed_call(table):
    assert {name: table["kit"][name] for name in CALLS} == {name: "EPERM" for name in CALLS}


def test_docker_default_lets_through_exactly_what_the_kit_says_it_adds(table):
    # This engine's default profile (Docker's by version, or Podman's, which answers ENOSYS too).
    beyond, _ = seccomp.default_split(engine_kind_name(), engine_version())
    denials = seccomp.DEFAULT_DENIALS[engine_kind_name()]
    for name in beyond & set(CALLS):
        assert table["docker"][name] not in denials, (name, table["docker"][name])


def test_calls_docker_also_denies_are_denied_by_its_filter_not_the_kernel(table):
    _, also_here = seccomp.default_split(engine_kind_name(), engine_version())
    denials = seccomp.DEFAULT_DENIALS[engine_kind_name()]
    also = [n for n in CALLS if n in also_here]
    assert also
    for name in also:
        assert table["docker"][name] in denials, (name, table["docker"][name])
        assert table["none"][name] != table["docker"][name], (name, table["none"][name])


IOCTL_PROBE = """
import errno, fcntl, os, struct
def answer(fd, request):
    try:
        fcntl.ioctl(fd, request, struct.pack('l', 0))
        return 'OK'
    except OSError as e:
        return errno.errorcode[e.errno]
r, w = os.pipe()
f = os.open('/tmp/probe', os.O_CREAT | os.O_RDWR)
print(answer(r, 0x541B), answer(f, 0x80086601), answer(f, 0x5412))   # FIONREAD, FS_IOC_GETFLAGS, TIOCSTI
"""


def test_only_the_listed_ioctls_reach_the_kernel():
    kit = run(IOCTL_PROBE, H).stdout.split()
    docker = run(IOCTL_PROBE, H.without("seccomp")).stdout.split()
    # FIONREAD is listed and works under both; a filesystem ioctl and TIOCSTI (typing into a
    # terminal) are not: the kit's filter answers EPERM where the kernel itself answers otherwise.
    assert kit == ["OK", "EPERM", "EPERM"], kit
    assert docker[0] == "OK" and "EPERM" not in docker[1:], docker
