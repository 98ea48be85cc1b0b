"""The kit's supervisor: process 1 of every sandboxed run, the one trusted process inside.

The host never imports this file: sandbox/supervisor.py hands its source to `python3 -I -S -c`
as the container's command. It runs under the same controls as the program it watches.

1. It makes itself non-dumpable, so that nothing in the container can read or write its
   memory, its environment or its file descriptors through /proc/1, whatever the uid.
2. It reads the run from its stdin, which only the kit holds: a one-off secret, the program's
   argv and the bytes of the program's stdin. Until then the container only waits.
3. It starts the program as its child, feeds it its stdin through a pipe, and reaps every
   orphan, as process 1 of a PID namespace must.
4. On the kit's word ("k" on its stdin), or when its stdin closes because the kit went away,
   it kills every process it can signal.
5. When the program has ended it kills whatever is left, reads the kernel's own records of the
   run (the container's cgroup, v1 or v2; wait4's rusage; the network stack's count of packets
   that found no route; whether the scratch space filled up) and writes one line that begins
   with the secret. The program cannot forge that line, because it never learns the secret,
   and cannot write after it, because the kernel kills every process of the namespace when
   process 1 exits.

It imports only what is built in or cheap (no json, no signal or ctypes wrappers), so that it
adds a few milliseconds to a run.
"""

import os
import select
import time

import _signal

MAGIC = b"SAFE-PYTHON/1"
HEADER_MAX = 4096          # the header line: magic, secret, sizes
PR_SET_DUMPABLE = 4
SCRATCH = ("/tmp", "/dev/shm")


def make_nondumpable():
    """prctl(PR_SET_DUMPABLE, 0), declared through _ctypes (ctypes itself costs 8 ms to import)."""
    import _ctypes

    class Int(_ctypes._SimpleCData):
        _type_ = "i"

    class ULong(_ctypes._SimpleCData):
        _type_ = "L"

    class Prctl(_ctypes.CFuncPtr):
        _flags_ = _ctypes.FUNCFLAG_CDECL
        _restype_ = Int
        _argtypes_ = (Int, ULong, ULong, ULong, ULong)

    prctl = Prctl(_ctypes.dlsym(_ctypes.dlopen(None, 0), "prctl"))
    if prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError("prctl(PR_SET_DUMPABLE, 0) failed")


def read_exactly(size):
    data = bytearray()
    while len(data) < size:
        chunk = os.read(0, size - len(data))
        if not chunk:
            raise EOFError("the kit closed the run's stdin before the run was delivered")
        data += chunk
    return bytes(data)


def read_run():
    """(secret, argv, stdin bytes) from `MAGIC secret len... \\n` and the bytes that follow."""
    line = bytearray()
    while not line.endswith(b"\n"):
        byte = os.read(0, 1)
        if not byte:
            raise EOFError("the kit closed the run's stdin before the run was delivered")
        line += byte
        if len(line) > HEADER_MAX:
            raise ValueError("the run's header is too long")
    fields = line.split()
    if len(fields) < 4 or fields[0] != MAGIC:
        raise ValueError("the run's header is not the kit's")
    secret, sizes = fields[1], [int(n) for n in fields[2:]]
    blob, parts, at = read_exactly(sum(sizes)), [], 0
    for size in sizes:
        parts.append(blob[at:at + size])
        at += size
    return secret, parts[:-1], parts[-1]


def become_program(stdin_read, stdin_write, argv):
    """In the child: the program's stdin, default signal dispositions, then exec."""
    # Python ignores SIGPIPE and SIGXFSZ and catches SIGINT; exec keeps "ignored", so restore
    # what a program started by a shell would have.
    for number in (_signal.SIGPIPE, _signal.SIGXFSZ, _signal.SIGINT, _signal.SIGCHLD):
        _signal.signal(number, _signal.SIG_DFL)
    os.dup2(stdin_read, 0)
    os.close(stdin_read)
    os.close(stdin_write)
    try:
        # When memory runs out, the kernel should pick the program, never its supervisor.
        with open("/proc/self/oom_score_adj", "w") as adj:
            adj.write("1000")
    except OSError:
        pass
    try:
        os.execvp(argv[0], argv)
    except OSError as exc:
        os.write(2, b"sandbox: cannot start the program: " + str(exc).encode() + b"\n")
    os._exit(127)


def kill_all():
    try:
        os.kill(-1, 9)   # every process this one may signal; process 1 itself is spared
    except ProcessLookupError:
        pass


def reap(main_pid):
    """Reap every child that ended; return (status, rusage) if the program was among them."""
    found = None
    while True:
        try:
            pid, status, rusage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return found
        if pid == 0:
            return found
        if pid == main_pid:
            found = (status, rusage)


def supervise(argv, stdin):
    stdin_read, stdin_write = os.pipe()
    wake_read, wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    _signal.set_wakeup_fd(wake_write)                    # SIGCHLD wakes the poll below
    _signal.signal(_signal.SIGCHLD, lambda number, frame: None)
    began = time.monotonic()
    main_pid = os.fork()
    if main_pid == 0:
        become_program(stdin_read, stdin_write, argv)
    os.close(stdin_read)
    poll = select.poll()
    poll.register(0, select.POLLIN)
    poll.register(wake_read, select.POLLIN)
    pending, written = memoryview(stdin), 0
    if pending:
        os.set_blocking(stdin_write, False)
        poll.register(stdin_write, select.POLLOUT)
    else:
        os.close(stdin_write)            # no stdin: the program reads end-of-file at once
    killed = False
    while True:
        # Reap first: a program that ended before the kill arrived ended on its own.
        ended = reap(main_pid)
        if ended is not None:
            break
        for fd, events in poll.poll():
            if fd == 0:
                word = os.read(0, 64)
                if not word or b"k" in word:   # the kit's kill, or the kit went away
                    killed = True
                    kill_all()
                    poll.unregister(0)
            elif fd == wake_read:
                try:
                    os.read(wake_read, 512)
                except BlockingIOError:
                    pass
            elif fd == stdin_write:
                try:
                    sent = os.write(stdin_write, pending[:65536])
                    pending, written = pending[sent:], written + sent
                except BlockingIOError:
                    sent = 0
                except OSError:                # the program closed its stdin: the rest is not wanted
                    pending = pending[:0]
                if not pending:
                    poll.unregister(stdin_write)
                    os.close(stdin_write)
    elapsed = time.monotonic() - began
    status, rusage = ended
    kill_all()
    survivors = finish_others()
    return {
        "exit_code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "killed": killed and os.WIFSIGNALED(status),
        "elapsed_s": round(elapsed, 4),
        "user_s": round(rusage.ru_utime, 4),
        "system_s": round(rusage.ru_stime, 4),
        "stdin_bytes": written,
        "survivors": survivors,
    }


def finish_others(grace_s=2.0):
    """Reap the processes the kill reached; count those it could not (another uid)."""
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        try:
            if os.wait4(-1, os.WNOHANG)[0] == 0:
                time.sleep(0.01)
        except ChildProcessError:
            return 0
    return sum(1 for name in os.listdir("/proc") if name.isdigit() and name != "1")


def read(path):
    try:
        with open(path) as handle:
            return handle.read()
    except OSError:
        return None


def first_number(text):
    try:
        return int(text.split()[0])
    except (AttributeError, ValueError, IndexError):
        return None


def keyed(text, key):
    """The number after `key` in a 'key value' file such as cpu.stat or pids.events."""
    for line in (text or "").splitlines():
        name, _, value = line.partition(" ")
        if name == key:
            return first_number(value)
    return None


def scaled(value, factor):
    return None if value is None else round(value / factor, 4)


def cgroup_facts():
    """The container's own cgroup counters, as its mounted /sys/fs/cgroup shows them."""
    root = "/sys/fs/cgroup/"
    if os.path.exists(root + "cgroup.controllers"):           # v2: one unified hierarchy
        cpu, memory = read(root + "cpu.stat"), read(root + "memory.events")
        return {
            "cgroup": 2,
            "cpu_s": scaled(keyed(cpu, "usage_usec"), 1e6),
            "memory_peak_bytes": first_number(read(root + "memory.peak")),
            "memory_limit_hits": keyed(memory, "max"),
            "oom_kills": keyed(memory, "oom_kill"),
            "tasks_peak": first_number(read(root + "pids.peak")),
            "forks_refused": keyed(read(root + "pids.events"), "max"),
            "cpu_periods": keyed(cpu, "nr_periods"),
            "cpu_throttled": keyed(cpu, "nr_throttled"),
            "cpu_throttled_s": scaled(keyed(cpu, "throttled_usec"), 1e6),
        }
    cpu = read(root + "cpu/cpu.stat") or read(root + "cpu,cpuacct/cpu.stat")
    usage = read(root + "cpuacct/cpuacct.usage") or read(root + "cpu,cpuacct/cpuacct.usage")
    return {
        "cgroup": 1,
        "cpu_s": scaled(first_number(usage), 1e9),
        "memory_peak_bytes": first_number(read(root + "memory/memory.max_usage_in_bytes")),
        "memory_limit_hits": max(first_number(read(root + "memory/memory.failcnt")) or 0,
                                 first_number(read(root + "memory/memory.memsw.failcnt")) or 0),
        "oom_kills": keyed(read(root + "memory/memory.oom_control"), "oom_kill"),
        "tasks_peak": first_number(read(root + "pids/pids.peak")),
        "forks_refused": keyed(read(root + "pids/pids.events"), "max"),
        "cpu_periods": keyed(cpu, "nr_periods"),
        "cpu_throttled": keyed(cpu, "nr_throttled"),
        "cpu_throttled_s": scaled(keyed(cpu, "throttled_time"), 1e9),
    }


def no_route_count():
    """Packets the container's network stack refused for want of a route (IPv4 and IPv6)."""
    total = 0
    snmp = (read("/proc/net/snmp") or "").splitlines()
    for names, values in zip(snmp[::2], snmp[1::2]):
        if names.startswith("Ip:") and values.startswith("Ip:"):
            row = dict(zip(names.split()[1:], values.split()[1:]))
            total += int(row.get("OutNoRoutes", 0))
    for line in (read("/proc/net/snmp6") or "").splitlines():
        name, _, value = line.partition(" ")
        if name == "Ip6OutNoRoutes":
            total += first_number(value) or 0
    return total


def full_scratch():
    """The scratch mounts with no free block left (the size cap of /tmp or /dev/shm fired)."""
    full = []
    for path in SCRATCH:
        try:
            found = os.statvfs(path)
        except OSError:
            continue
        if found.f_blocks and found.f_bavail == 0 and os.stat(path).st_dev != os.stat("/").st_dev:
            full.append(path)
    return full


def encode(value):
    """JSON for the report's plain values: numbers, booleans, None, ASCII strings, lists, dicts."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        text = value.encode("ascii", "replace").decode("ascii")
        return '"' + "".join(c if c.isprintable() and c not in '"\\' else "\\u%04x" % ord(c) for c in text) + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(encode(item) for item in value) + "]"
    return "{" + ",".join(encode(str(k)) + ":" + encode(v) for k, v in value.items()) + "}"


def main():
    if os.getpid() != 1:
        # Its kill is kill(-1, SIGKILL): outside a PID namespace of its own, every process the
        # user may signal. It runs as process 1 of a container, or not at all.
        raise SystemExit("the kit's supervisor runs only as process 1 of a container")
    _signal.signal(_signal.SIGINT, _signal.SIG_DFL)   # as process 1, default-action signals from inside are dropped
    make_nondumpable()
    secret = b""
    report = {"v": 1}
    try:
        secret, argv, stdin = read_run()
        report.update(supervise(argv, stdin))
    except EOFError:
        return                                   # nobody will read a report
    except BaseException as exc:                 # a bug here must still end the run and say so
        kill_all()
        report["supervisor_error"] = "%s: %s" % (type(exc).__name__, exc)
    for name, gather in (("cgroup", cgroup_facts), ("no_route", no_route_count), ("scratch_full", full_scratch)):
        try:
            found = gather()
            report.update(found) if isinstance(found, dict) else report.__setitem__(name, found)
        except Exception as exc:                 # a fact that cannot be read is missing, not invented
            report.setdefault("unread", []).append("%s: %s" % (name, type(exc).__name__))
    if secret:
        os.write(1, secret + b" " + encode(report).encode("ascii") + b"\n")


main()
