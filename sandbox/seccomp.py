"""The kit's seccomp profile: an allowlist of the system calls a Python program needs.

Docker's default profile is written for every container (databases, build tools, debuggers),
so it allows calls a sandbox for short untrusted scripts never needs. This profile starts from
"deny everything" and allows only what CPython and its standard library use (threads,
subprocess, multiprocessing, asyncio, sockets, sqlite3, tempfile). Every other call of the
native ABI fails with EPERM, which the program sees as an ordinary `PermissionError`/`OSError`;
a call through a 32-bit ABI kills the process (see the end of this docstring).

What Docker 20.10's default profile (the floor when the kit's control is removed) lets through
and this profile denies, on purpose (checked on the real engine by tests/attacks/test_seccomp_evidence.py):

- ptrace: reads and rewrites another process's memory and registers. Docker allows it (kernel
  >= 4.8). In a sandbox there is nothing legitimate to debug, and ptrace is the classic tool
  for stealing secrets and for seccomp-bypass tricks on old kernels. Refusing it does not make
  a same-uid process's memory private: /proc/<pid>/mem reads it too on a host without the Yama
  LSM. Within one run every process is the same program, so that is no boundary; the kit's
  supervisor (process 1) protects itself by being non-dumpable.
- adjtimex / clock_adjtime: Docker allows the clock queries (setting needs CAP_SYS_TIME);
  nothing here needs the kernel's clock discipline.
- sync / syncfs: sync() flushes every filesystem of the host, so any program could make the
  whole machine wait on its disks.
- ioctl with a request outside IOCTLS, socket(2) outside SOCKET_FAMILIES and their protocols
  (see below): less of the drivers' and the network stack's code is reachable.
- io_uring_setup / io_uring_enter / io_uring_register: a second system-call interface that
  seccomp cannot see into, and a leading source of kernel privilege-escalation bugs since 2021.
  (Docker removed them from its default only in 25.0.)
- io_setup / io_submit / io_getevents / io_cancel / io_destroy: legacy Linux AIO; unused by
  CPython, more kernel surface.
- personality: Docker allows a few values (PER_LINUX32, the query); it already refuses
  ADDR_NO_RANDOMIZE, which would turn off address-space randomisation. Nothing here needs any.
- memfd_create without MFD_NOEXEC_SEAL: an anonymous in-memory file lives on no mount, so the
  noexec of /tmp and /dev/shm does not cover it; a program can copy any binary into one and
  execve() it through /proc/self/fd. The kit allows memfd_create only with MFD_NOEXEC_SEAL (such
  a file can never be made executable), which still serves memfd's real use, shared data.
- prlimit64, setpriority, sched_setscheduler, sched_setparam, sched_setaffinity and ioprio_set
  on any process but the caller (SELF_ONLY): the kernel allows them between processes of one
  uid, and the supervisor shares the program's. A program could starve its supervisor of CPU
  past the deadline or take its file descriptors away and so choose its own verdict (the
  `supervisor_*` attacks). `os.nice`, `resource.setrlimit` and `os.sched_setaffinity(0, ...)`
  still work; naming one's own pid instead of 0 is refused too.

Denied here and by Docker's default too; the kit lists them itself rather than rely on Docker's:

- process_vm_readv / process_vm_writev, kcmp, pidfd_getfd: the memory access of ptrace without
  attaching, and comparing or stealing another process's file descriptors. Docker 20.10 allows
  them only to a container granted CAP_SYS_PTRACE (Docker 23 and later, process_vm_* to all).
- chroot: Docker allows it to a container with CAP_SYS_CHROOT, which its default capabilities
  give root; the kit refuses it whoever asks.
- keyctl / add_key / request_key: the kernel keyring is not namespaced.
- bpf: loading programs into the kernel.
- userfaultfd: lets an exploit pause the kernel mid-copy; the core of many race exploits.
- perf_event_open: hardware counters leak information across processes and have a long CVE record.
- unshare / setns / clone with namespace flags / the new mount API: new user namespaces hand an
  unprivileged process capabilities over fresh namespaces, a door to kernel code that assumes
  root. clone3 answers ENOSYS (not EPERM) so glibc falls back to clone, which is checked.
- the 32-bit system-call ABIs (x86, x32, arm): only the native architecture is listed, so a
  call through another ABI (an int 0x80 from x86_64 code) does not reach the kernel: the
  filter kills the process with SIGSYS (the kit reports `killed`, with `seccomp` as the hint).
- sockets of rare address families (AF_VSOCK, AF_ALG, AF_PACKET, AF_RDS, AF_TIPC, ...): socket(2)
  is allowed only for UNIX, INET, INET6 and NETLINK. Docker 20.10's default lets the others reach
  the kernel, whose less-used protocol code has a long record of escalation bugs.
"""

from __future__ import annotations

import functools
import json

EPERM = 1
ENOSYS = 38

# The namespace bits of clone(2): CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC
# | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET. clone is allowed only when none is set.
CLONE_NAMESPACE_FLAGS = 0x7E020000

# Grouped by purpose, so a reviewer can see why each call is here. Names that do not exist on
# an architecture (open, stat, fork... on arm64) are skipped by the runtime.
ALLOWED: dict[str, tuple[str, ...]] = {
    "memory": (
        "brk",
        "mmap",
        "munmap",
        "mremap",
        "mprotect",
        "madvise",
        "msync",
        "mincore",
        "mlock",
        "munlock",
        "membarrier",
    ),
    "files": (
        "read",
        "write",
        "readv",
        "writev",
        "pread64",
        "pwrite64",
        "preadv",
        "pwritev",
        "preadv2",
        "pwritev2",
        "open",
        "openat",
        "close",
        "close_range",
        "creat",
        "lseek",
        "stat",
        "fstat",
        "lstat",
        "newfstatat",
        "statx",
        "statfs",
        "fstatfs",
        "access",
        "faccessat",
        "faccessat2",
        "readlink",
        "readlinkat",
        "getdents",
        "getdents64",
        "getcwd",
        "chdir",
        "fchdir",
        "rename",
        "renameat",
        "renameat2",
        "unlink",
        "unlinkat",
        "mkdir",
        "mkdirat",
        "rmdir",
        "link",
        "linkat",
        "symlink",
        "symlinkat",
        "chmod",
        "fchmod",
        "fchmodat",
        "chown",
        "fchown",
        "lchown",
        "fchownat",
        "truncate",
        "ftruncate",
        "fallocate",
        "fsync",
        "fdatasync",
        "sync_file_range",
        "utime",
        "utimes",
        "utimensat",
        "futimesat",
        "umask",
        "dup",
        "dup2",
        "dup3",
        "pipe",
        "pipe2",
        "fcntl",
        "flock",
        "sendfile",
        "copy_file_range",
        "splice",
        "tee",
        "fadvise64",
        "readahead",
        "mknod",
        "mknodat",
        "getxattr",
        "lgetxattr",
        "fgetxattr",
        "listxattr",
        "llistxattr",
        "flistxattr",
        "inotify_init",
        "inotify_init1",
        "inotify_add_watch",
        "inotify_rm_watch",
    ),
    "waiting": (
        "select",
        "pselect6",
        "poll",
        "ppoll",
        "epoll_create",
        "epoll_create1",
        "epoll_ctl",
        "epoll_wait",
        "epoll_pwait",
        "epoll_pwait2",
        "eventfd",
        "eventfd2",
        "futex",
        "futex_waitv",
        "nanosleep",
        "clock_nanosleep",
        "pause",
        "sched_yield",
    ),
    "signals": (
        "rt_sigaction",
        "rt_sigprocmask",
        "rt_sigreturn",
        "rt_sigpending",
        "rt_sigsuspend",
        "rt_sigtimedwait",
        "rt_sigqueueinfo",
        "rt_tgsigqueueinfo",
        "sigaltstack",
        "kill",
        "tgkill",
        "tkill",
        "signalfd",
        "signalfd4",
        "alarm",
        "pidfd_open",
        "pidfd_send_signal",
    ),
    "processes": (
        "fork",
        "vfork",
        "execve",
        "execveat",
        "exit",
        "exit_group",
        "wait4",
        "waitid",
        "set_tid_address",
        "set_robust_list",
        "get_robust_list",
        "rseq",
        "arch_prctl",
        "prctl",
        "restart_syscall",
    ),
    "identity": (
        # Changing identity still needs CAP_SETUID/CAP_SETGID, so a non-root caller gets
        # EPERM from the kernel's own check; allowing the calls keeps that lesson honest.
        "getpid",
        "getppid",
        "gettid",
        "getpgid",
        "setpgid",
        "getpgrp",
        "getsid",
        "setsid",
        "getuid",
        "geteuid",
        "getgid",
        "getegid",
        "getgroups",
        "getresuid",
        "getresgid",
        "setuid",
        "setgid",
        "setreuid",
        "setregid",
        "setresuid",
        "setresgid",
        "setgroups",
        "setfsuid",
        "setfsgid",
        "capget",
        "capset",
    ),
    "scheduling": (
        # Reading any process's is harmless; changing one is allowed on the caller only
        # (SELF_ONLY below).
        "sched_getaffinity",
        "sched_getparam",
        "sched_getscheduler",
        "sched_get_priority_max",
        "sched_get_priority_min",
        "sched_rr_get_interval",
        "getpriority",
        "ioprio_get",
        "getcpu",
    ),
    "limits and clocks": (
        "getrlimit",
        "setrlimit",
        "getrusage",
        "times",
        "uname",
        "sysinfo",
        "getrandom",
        "clock_gettime",
        "clock_getres",
        "gettimeofday",
        "time",
        "timer_create",
        "timer_settime",
        "timer_gettime",
        "timer_getoverrun",
        "timer_delete",
        "timerfd_create",
        "timerfd_settime",
        "timerfd_gettime",
        "getitimer",
        "setitimer",
    ),
    "ipc": (
        # System V IPC lives in the container's own IPC namespace; multiprocessing needs it.
        "shmget",
        "shmat",
        "shmdt",
        "shmctl",
        "semget",
        "semop",
        "semtimedop",
        "semctl",
        "msgget",
        "msgsnd",
        "msgrcv",
        "msgctl",
        "mq_open",
        "mq_unlink",
        "mq_timedsend",
        "mq_timedreceive",
        "mq_notify",
        "mq_getsetattr",
    ),
    "sockets": (
        # Reaching anything is the network control's job; these only make sockets work.
        # `socket` itself is allowed per address family below (SOCKET_FAMILIES).
        "socketpair",
        "bind",
        "listen",
        "accept",
        "accept4",
        "connect",
        "getsockname",
        "getpeername",
        "sendto",
        "recvfrom",
        "sendmsg",
        "recvmsg",
        "sendmmsg",
        "recvmmsg",
        "shutdown",
        "setsockopt",
        "getsockopt",
    ),
}

# socket(2) is allowed only for these address families. The kernel has some forty, and the rare
# ones (AF_PACKET, AF_ALG, AF_KEY, AF_VSOCK, AF_RDS, AF_TIPC, ...) have a long record of
# privilege-escalation bugs while no Python program here needs them. Within a family:
# - AF_INET/AF_INET6: TCP and UDP (protocol 0 means the type's own), and raw sockets, which
#   CAP_NET_RAW still gates. Not ping sockets, UDP-Lite, SCTP or the other IP protocols.
# - AF_NETLINK: only NETLINK_ROUTE, which glibc's if_nameindex() and getaddrinfo() use to read
#   interfaces; not KOBJECT_UEVENT (the host's device events), AUDIT, XFRM, ...
SOCKET_FAMILIES: dict[str, int] = {"AF_UNIX": 1, "AF_INET": 2, "AF_INET6": 10, "AF_NETLINK": 16}
IP_PROTOCOLS = {"default": 0, "IPPROTO_TCP": 6, "IPPROTO_UDP": 17}
SOCK_RAW, SOCK_TYPE_MASK = 3, 0xF  # the type's low bits; the rest are SOCK_NONBLOCK/CLOEXEC
NETLINK_ROUTE = 0

# ioctl(2) only for these requests: the ones CPython, Node.js and the C library use on pipes,
# files, sockets and terminals. Every other request (device and filesystem ioctls, TIOCSTI,
# ...) is refused before a driver sees it.
IOCTLS: dict[str, int] = {
    "TCGETS": 0x5401,
    "TCSETS": 0x5402,
    "TCSETSW": 0x5403,
    "TCSETSF": 0x5404,
    "TIOCGPGRP": 0x540F,
    "TIOCSPGRP": 0x5410,  # tini (the init of the target and of lessons' own containers) asks for it
    "TIOCOUTQ": 0x5411,
    "TIOCGWINSZ": 0x5413,
    "FIONREAD": 0x541B,
    "FIONBIO": 0x5421,
    "FIONCLEX": 0x5450,
    "FIOCLEX": 0x5451,
    "FIOASYNC": 0x5452,
    # Opening a pseudo-terminal: whether one may is the ptys control's to say, not the filter's.
    "TIOCGPTN": 0x80045430,
    "TIOCSPTLCK": 0x40045431,
    "TIOCGPTPEER": 0x5441,
    "SIOCGIFNAME": 0x8910,
    "SIOCGIFCONF": 0x8912,
    "SIOCGIFFLAGS": 0x8913,
    "SIOCGIFADDR": 0x8915,
    "SIOCGIFMTU": 0x8921,
    "SIOCGIFHWADDR": 0x8927,
    "SIOCGIFINDEX": 0x8933,
}

# Calls that change another process's scheduling, I/O priority or resource limits, allowed only
# with the caller itself as their target: (name, {argument index: value}). The kernel lets any
# process change those of another process of its uid, and the kit's supervisor (process 1) shares
# the program's uid: with these calls a program put its supervisor in the idle class, pinned it
# to a busy CPU or took away its file descriptors, and so chose its own verdict. Pid 0 means "the
# calling thread" to each; setpriority and ioprio_set must also name a process, not a process
# group or a user (the supervisor is in the program's process group and is its user).
PRIO_PROCESS, IOPRIO_WHO_PROCESS = 0, 1
SELF_ONLY: tuple[tuple[str, dict[int, int]], ...] = (
    ("prlimit64", {0: 0}),
    ("sched_setaffinity", {0: 0}),
    ("sched_setscheduler", {0: 0}),
    ("sched_setparam", {0: 0}),
    ("setpriority", {0: PRIO_PROCESS, 1: 0}),
    ("ioprio_set", {0: IOPRIO_WHO_PROCESS, 1: 0}),
)

# memfd_create only with MFD_NOEXEC_SEAL: an anonymous file whose mode can never gain an
# execute bit (Linux >= 6.3; older kernels answer EINVAL to the flag, so memfd is then closed).
# Without the rule a program copies any binary into a memfd and execve()s /proc/self/fd/N: the
# one file it can write that no noexec mount covers.
MFD_NOEXEC_SEAL = 0x0008

# Denied on purpose although Docker's default allows them (see the module docstring). They
# need no rule, the default action refuses them; the list documents intent and feeds tests.
DENIED_BEYOND_DOCKER: tuple[str, ...] = (
    "ptrace",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "io_setup",
    "io_submit",
    "io_getevents",
    "io_cancel",
    "io_destroy",
    "personality",
    "adjtimex",
    "clock_adjtime",
    "sync",
    "syncfs",
)
# Denied here and by Docker's default too: the kit does not rely on Docker's list for these.
# (Docker's default allows the first four to a container granted CAP_SYS_PTRACE.)
DENIED_ALSO_BY_DOCKER: tuple[str, ...] = (
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "pidfd_getfd",
    "keyctl",
    "add_key",
    "request_key",
    "bpf",
    "userfaultfd",
    "perf_event_open",
    "mount",
    "umount2",
    "pivot_root",
    "unshare",
    "setns",
    "chroot",
    "init_module",
    "finit_module",
    "delete_module",
    "kexec_load",
    "kexec_file_load",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "settimeofday",
    "clock_settime",
    "syslog",
    "quotactl",
    "open_by_handle_at",
    "name_to_handle_at",
    "fanotify_init",
    "iopl",
    "ioperm",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "move_mount",
    "open_tree",
)
# Both lists are written against Docker 20.10's default profile, the oldest engine the kit
# supports. Newer engines' defaults moved some calls across (the kit's profile is the same).
DOCKER_DEFAULT_SINCE: tuple[tuple[tuple[int, ...], str, tuple[str, ...]], ...] = (
    ((23,), "allows", ("process_vm_readv", "process_vm_writev")),
    ((25,), "denies", ("io_uring_setup", "io_uring_enter", "io_uring_register")),
)


# Podman 4.3.1's default profile (containers-common's /usr/share/containers/seccomp.json) is
# not Docker's: a call it does not list answers ENOSYS, not EPERM, and against Docker 20.10's it
# lets through the calls below (most relying on the capabilities the kit drops) and refuses
# io_uring. The probed ones are measured by tests/attacks/test_seccomp_evidence.py on Podman;
# the others are read from that file (setns, in both an allow and a deny rule there, stays put).
PODMAN_DEFAULT_ALLOWS: tuple[str, ...] = (
    "process_vm_readv",
    "process_vm_writev",
    "pidfd_getfd",
    "keyctl",
    "mount",
    "umount2",
    "pivot_root",
    "unshare",
    "reboot",
    "syslog",
    "name_to_handle_at",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "move_mount",
    "open_tree",
)
PODMAN_DEFAULT_DENIES: tuple[str, ...] = ("io_uring_setup", "io_uring_enter", "io_uring_register")
# How each engine's default filter answers a call it refuses.
DEFAULT_DENIALS = {"docker": ("EPERM",), "podman": ("EPERM", "ENOSYS")}


def default_split(kind: str, version: tuple[int, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """(denied here beyond the engine's default profile, denied by both) for an engine kind
    ('docker' or 'podman', sandbox.engine.Kind.name) and version."""
    if kind == "podman":
        allows, denies = set(PODMAN_DEFAULT_ALLOWS), set(PODMAN_DEFAULT_DENIES)
        return (
            frozenset((set(DENIED_BEYOND_DOCKER) - denies) | allows),
            frozenset((set(DENIED_ALSO_BY_DOCKER) - allows) | denies),
        )
    return docker_default_split(version)


def docker_default_split(version: tuple[int, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """(denied here beyond Docker's default, denied by both) for a Docker Engine version."""
    beyond, also = set(DENIED_BEYOND_DOCKER), set(DENIED_ALSO_BY_DOCKER)
    for since, change, names in DOCKER_DEFAULT_SINCE:
        if version >= since:
            moved = set(names)
            if change == "allows":
                also, beyond = also - moved, beyond | moved
            else:
                beyond, also = beyond - moved, also | moved
    return frozenset(beyond), frozenset(also)


@functools.lru_cache(maxsize=2)
def profile(runtime: str = "runc") -> dict[str, object]:
    """The profile as Docker's JSON structure (a fresh parse each caller should not mutate).

    Under gVisor (`runtime="runsc"`, with runsc's --oci-seccomp) the filter runs inside gVisor's
    kernel, which answers every refused call with EPERM whatever errno the profile names. glibc
    falls back from clone3 to clone only on ENOSYS, so there clone3 is left to gVisor's kernel
    (a namespace it made would be gVisor's own, not the host's).
    """
    allowed = sorted({name for group in ALLOWED.values() for name in group})
    return {
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": EPERM,
        # Native ABIs only; see the module docstring.
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"],
        "syscalls": [
            {"names": allowed, "action": "SCMP_ACT_ALLOW"},
            {
                "names": ["clone"],
                "action": "SCMP_ACT_ALLOW",
                "args": [{"index": 0, "value": CLONE_NAMESPACE_FLAGS, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}],
            },
            # Rules are alternatives: any one that matches allows the call. Within a rule, the
            # conditions on its arguments must all hold.
            *_socket_rules(),
            *(
                {"names": [name], "action": "SCMP_ACT_ALLOW", "args": [_arg(i, v) for i, v in sorted(args.items())]}
                for name, args in SELF_ONLY
            ),
            *(
                {"names": ["ioctl"], "action": "SCMP_ACT_ALLOW", "args": [_arg(1, request)]}
                for request in IOCTLS.values()
            ),
            {
                "names": ["memfd_create"],
                "action": "SCMP_ACT_ALLOW",
                "args": [
                    {"index": 1, "value": MFD_NOEXEC_SEAL, "valueTwo": MFD_NOEXEC_SEAL, "op": "SCMP_CMP_MASKED_EQ"}
                ],
            },
            # glibc >= 2.34 tries clone3 first and falls back to clone only on ENOSYS.
            {
                "names": ["clone3"],
                **(
                    {"action": "SCMP_ACT_ALLOW"}
                    if runtime == "runsc"
                    else {"action": "SCMP_ACT_ERRNO", "errnoRet": ENOSYS}
                ),
            },
        ],
    }


def _arg(index: int, value: int, mask: int | None = None) -> dict[str, object]:
    if mask is None:
        return {"index": index, "value": value, "valueTwo": 0, "op": "SCMP_CMP_EQ"}
    return {"index": index, "value": mask, "valueTwo": value, "op": "SCMP_CMP_MASKED_EQ"}


def _socket_rules() -> list[dict[str, object]]:
    def rule(*conditions: dict[str, object]) -> dict[str, object]:
        return {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": list(conditions)}

    family = SOCKET_FAMILIES
    rules = [rule(_arg(0, family["AF_UNIX"])), rule(_arg(0, family["AF_NETLINK"]), _arg(2, NETLINK_ROUTE))]
    for ip in (family["AF_INET"], family["AF_INET6"]):
        rules += [rule(_arg(0, ip), _arg(2, protocol)) for protocol in IP_PROTOCOLS.values()]
        rules.append(rule(_arg(0, ip), _arg(1, SOCK_RAW, mask=SOCK_TYPE_MASK)))
    return rules


@functools.lru_cache(maxsize=2)
def profile_json(runtime: str = "runc") -> str:
    """The profile as the JSON text Docker's `--security-opt seccomp=` takes."""
    return json.dumps(profile(runtime), separators=(",", ":"))
