"""The kit's supervisor: process 1 of every sandboxed run, the one trusted process inside.

The host never imports this file: sandbox/supervisor.py hands its source to `python3 -I -S -c`
as the container's command. It runs under the same controls as the program it watches.

1. It makes itself non-dumpable, so that without CAP_SYS_PTRACE nothing in the container can
   read or write its memory, its environment or its file descriptors through /proc/1, whatever
   the uid. gVisor closes only its memory so: there the program can read its environment (the
   container's) and open its stdin, stdout and stderr again (attacks/supervisor_proc_fds.py).
   Its stdout and stderr are the program's own anyway, its stdin cannot be written, and its
   wake-up channel is a socket pair, which /proc cannot open again; a reader of its stdin can
   take the kit's kill word, but the kit closes that stdin after it, and the end of file comes
   to every reader (4.).
2. It reads the run from its stdin, which only the kit holds: a one-off secret, how to harvest
   out/, the program's argv, its files and the bytes of the program's stdin. Until then the
   container only waits; in a warm box (its command names a program to pre-start: the
   language's command with a bootstrap in the code's place, sandbox/languages.py) the
   program's interpreter waits too, started as its child, blocked reading its code from fd 3.
3. It writes the run's files into the working directory and makes out/ there, then starts the
   program as its child (or, in a warm box, writes the code to the waiting interpreter, if the
   run's argv is the one it was started for; else it kills it and starts the program afresh),
   feeds it its stdin through a pipe, and reaps every orphan, as process 1 of a PID namespace
   must. The program's clock starts here, at delivery, in both.
4. On the kit's word ("k" on its stdin), or when its stdin closes (the kit closes it after the
   word, or went away), it kills every process it can signal.
5. When the program has ended it kills whatever is left, reads the kernel's own records of the
   run (the container's cgroup, v1 or v2; wait4's rusage; the network stack's count of packets
   that found no route; whether the scratch space filled up), harvests out/, ends stderr with
   the secret and writes one line on stdout that begins with it. The program cannot forge
   either, because it never learns the secret, and cannot write after them: every process it
   made is dead by then (or counted as a survivor), and the kernel kills every process of the
   namespace when process 1 exits.
6. The harvest runs when nothing of the run is left alive to change out/ under it, and even so
   it trusts nothing there: it walks folders by file descriptor, never follows a link, opens a
   file only with O_NOFOLLOW|O_NONBLOCK and checks it is the same regular file it examined,
   reads at most its size and one byte more, and stops at bounds on entries, depth, count and
   bytes. A link to /proc/1/environ, to the supervisor's stdin or to /etc/shadow, a FIFO, a
   device, a hard link, a sparse terabyte: each is a refusal in the report, with its name
   escaped, never something read.

It imports only what is built in or cheap (no json, no signal or ctypes wrappers), so that it
adds a few milliseconds to a run.
"""

import _signal
import os
import select
import stat
import sys
import time

MAGIC = b"SAFE-PYTHON/2"
HEADER_MAX = 4096  # the header line: magic, secret, harvest mode, counts, sizes
DELIVERY_MAX = 8 << 20  # everything after it: the kit sends at most 4 MiB of files, 64 KiB of stdin
PR_SET_DUMPABLE = 4
SCRATCH = ("/tmp", "/dev/shm")

# The harvest's bounds (sandbox/files.py has the same figures; a unit test holds them equal).
OUT = "out"
HARVEST_FILES = 20
HARVEST_FILE_BYTES = 2 << 20
HARVEST_TOTAL_BYTES = 4 << 20
HARVEST_ENTRIES = 200  # entries examined; past it, entries are only counted ...
COUNT_MAX = 100000  # ... up to this many, so that a million of them costs nothing
HARVEST_DEPTH = 4
MAX_NAME_BYTES = 1024
SHOWN_NAME_CHARS = 200
# Read a file only with this much memory to spare in the container's cgroup: the files a run
# leaves on its tmpfs are charged there, and a supervisor the OOM killer takes reports nothing.
MEMORY_MARGIN = 8 << 20
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


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

    prctl = Prctl(_ctypes.dlsym(_ctypes.dlopen(None, 0), "prctl"))  # type: ignore[arg-type]  # None: this program
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


def read_header():
    line = bytearray()
    while not line.endswith(b"\n"):
        byte = os.read(0, 1)
        if not byte:
            raise EOFError("the kit closed the run's stdin before the run was delivered")
        line += byte
        if len(line) > HEADER_MAX:
            raise ValueError("the run's header is too long")
    return bytes(line).split()


def read_run():
    """(secret, harvest mode, argv, [(name, content)], stdin bytes) from the header
    `MAGIC secret HARVEST NARGV NFILES size...` and the bytes that follow it."""
    fields = read_header()
    if len(fields) < 6 or fields[0] != MAGIC:
        raise ValueError("the run's header is not the kit's")
    secret, mode, nargv, nfiles = fields[1], fields[2], int(fields[3]), int(fields[4])
    sizes = [int(n) for n in fields[5:]]
    if mode not in HARVESTS or len(sizes) != nargv + 2 * nfiles + 1 or min(sizes) < 0 or sum(sizes) > DELIVERY_MAX:
        raise ValueError("the run's header does not add up")
    blob, parts, at = read_exactly(sum(sizes)), [], 0
    for size in sizes:
        parts.append(blob[at : at + size])
        at += size
    named = parts[nargv:-1]
    return secret, mode, parts[:nargv], list(zip(named[::2], named[1::2], strict=True)), parts[-1]


def place_files(files):
    """Write the run's files into the working directory, then make out/ (mode 0o700) there.
    Returns whether out/ was made: where the directory is read-only there is nothing to harvest."""
    for name, content in files:
        write_new(name, content)
    try:
        os.mkdir(OUT, 0o700)
    except OSError:
        return False
    return True


def write_new(name, content):
    """Create `name` (a relative path the kit checked) by file descriptor: no component is followed."""
    parts = name.split(b"/")
    if name.startswith(b"/") or any(part in (b"", b".", b"..") for part in parts):
        raise ValueError(f"the run's file name {name!r} is not a plain relative path")
    at = os.open(".", DIR_FLAGS)
    try:
        for folder in parts[:-1]:
            try:
                os.mkdir(folder, 0o700, dir_fd=at)
            except FileExistsError:
                pass
            inner = os.open(folder, DIR_FLAGS, dir_fd=at)
            os.close(at)
            at = inner
        fd = os.open(parts[-1], os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=at)
        try:
            view = memoryview(content)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
    finally:
        os.close(at)


def become_program(stdin_read, stdin_write, argv, code_read=None):
    """In the child: the program's stdin (and a warm box's code pipe as fd 3), default signal
    dispositions, then exec."""
    # Python ignores SIGPIPE and SIGXFSZ and catches SIGINT; exec keeps "ignored", so restore
    # what a program started by a shell would have.
    for number in (_signal.SIGPIPE, _signal.SIGXFSZ, _signal.SIGINT, _signal.SIGCHLD):
        _signal.signal(number, _signal.SIG_DFL)
    os.dup2(stdin_read, 0)
    os.close(stdin_read)
    os.close(stdin_write)
    if code_read is not None:
        os.dup2(code_read, 3)  # inheritable; every other descriptor here closes on exec
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
        os.kill(-1, 9)  # every process this one may signal; process 1 itself is spared
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


def prestart(argv):
    """A warm box's program, started before its run arrives: the language's bootstrap, which
    blocks reading its code from fd 3. Returns (argv, pid, stdin's write end, code's write end)."""
    stdin_read, stdin_write = os.pipe()
    code_read, code_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        become_program(stdin_read, stdin_write, argv, code_read)
    os.close(stdin_read)
    os.close(code_read)
    return argv, pid, stdin_write, code_write


def take_prestarted(ready, argv):
    """(pid, stdin's write end) of the pre-started program once it has its code, if it is the
    program this run asks for (its argv with the bootstrap in the code's place) and still
    waiting; else it is killed and None."""
    started, pid, stdin_write, code_write = ready
    waiting = os.waitpid(pid, os.WNOHANG)[0] == 0
    if waiting and len(argv) == len(started) and argv[:-1] == started[:-1]:
        try:
            write_all(argv[-1], code_write)
            os.close(code_write)
            return pid, stdin_write
        except OSError:  # it died since: start the program afresh
            pass
    if waiting:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    os.close(stdin_write)
    return None


def supervise(argv, stdin, ready=None):
    import _socket

    # SIGCHLD wakes the poll below through a socket pair, not a pipe: under gVisor /proc/1/fd is
    # open to the program, and a pipe found there can be opened again (and its wake-ups taken),
    # a socket cannot.
    wake_read, wake_write = (end.detach() for end in _socket.socketpair())
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    _signal.set_wakeup_fd(wake_write)
    _signal.signal(_signal.SIGCHLD, lambda number, frame: None)
    began = time.monotonic()  # the clock starts at delivery, for a warm box's program too
    taken = ready and take_prestarted(ready, argv)
    if taken:
        main_pid, stdin_write = taken
    else:
        stdin_read, stdin_write = os.pipe()
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
        os.close(stdin_write)  # no stdin: the program reads end-of-file at once
    killed = False
    while True:
        # Reap first: a program that ended before the kill arrived ended on its own.
        ended = reap(main_pid)
        if ended is not None:
            break
        for fd, _events in poll.poll():
            if fd == 0:
                word = os.read(0, 64)
                if not word or b"k" in word:  # the kit's kill, or the kit went away
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
                except OSError:  # the program closed its stdin: the rest is not wanted
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
    if os.path.exists(root + "cgroup.controllers"):  # v2: one unified hierarchy
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
        "memory_limit_hits": max(
            first_number(read(root + "memory/memory.failcnt")) or 0,
            first_number(read(root + "memory/memory.memsw.failcnt")) or 0,
        ),
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
    for names, values in zip(snmp[::2], snmp[1::2], strict=False):  # a cut file reads as far as it goes
        if names.startswith("Ip:") and values.startswith("Ip:"):
            row = dict(zip(names.split()[1:], values.split()[1:], strict=False))
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


class Harvest:
    """out/'s files, read by the trusted supervisor after every process of the run is dead.

    Folders are opened by file descriptor with O_NOFOLLOW and walked with scandir on that
    descriptor, so no path is resolved twice and no link anywhere is followed. Each entry is
    examined by lstat (fstatat without following); only a regular file with one link, a
    printable name and a size within the bounds is opened, and kept only if the opened file
    is the same inode, still regular, and holds exactly the size examined.
    """

    def __init__(self):
        self.files, self.refused = [], []
        self.examined = self.unexamined = self.total = 0

    def run(self):
        try:
            top = os.open(OUT, DIR_FLAGS)
        except OSError as exc:
            self.refused.append([OUT, f"not the folder the supervisor made ({exc.strerror})"])
        else:
            try:
                self.walk(top, b"", 1)
            finally:
                os.close(top)
        return {"files": self.files, "files_refused": self.refused, "files_unexamined": self.unexamined}

    def walk(self, folder, prefix, depth):
        with os.scandir(folder) as entries:
            for entry in entries:
                if self.examined >= HARVEST_ENTRIES:
                    self.unexamined += 1  # counted, never looked at
                    if self.unexamined >= COUNT_MAX:
                        return
                    continue
                self.examined += 1
                name = prefix + os.fsencode(entry.name)
                reason = self.examine(folder, entry, name, depth)
                if reason:
                    self.refused.append([shown(name), reason])

    def examine(self, folder, entry, name, depth):
        """Why the entry is left out, or None once it is harvested (or walked, for a folder)."""
        try:
            found = entry.stat(follow_symlinks=False)
        except OSError as exc:
            return f"cannot be examined ({exc.strerror})"
        problem = name_problem(name)
        if problem:
            return problem
        if stat.S_ISDIR(found.st_mode):
            return self.enter(folder, entry.name, found, name, depth)
        if not stat.S_ISREG(found.st_mode):
            return kind_of(found.st_mode) + ": only regular files are harvested"
        if found.st_nlink != 1:
            return f"a hard link ({found.st_nlink} names for one file)"
        if found.st_size > HARVEST_FILE_BYTES:
            return f"{found.st_size} bytes: over the bound of {HARVEST_FILE_BYTES} a file"
        if len(self.files) >= HARVEST_FILES:
            return f"past the bound of {HARVEST_FILES} files"
        if self.total + found.st_size > HARVEST_TOTAL_BYTES:
            return f"{found.st_size} bytes: past the bound of {HARVEST_TOTAL_BYTES} in all"
        if not memory_to_spare(found.st_size):
            return "the container's memory is nearly full: reading it could cost the report"
        return self.take(folder, entry.name, found, name)

    def enter(self, folder, leaf, found, name, depth):
        if depth >= HARVEST_DEPTH:
            return f"a folder {depth} levels down: its contents are not read"
        try:
            inner = os.open(leaf, DIR_FLAGS, dir_fd=folder)
        except OSError as exc:
            return f"a folder that cannot be opened ({exc.strerror})"
        try:
            if not same_file(os.fstat(inner), found):
                return "changed while it was read"
            self.walk(inner, name + b"/", depth + 1)
        finally:
            os.close(inner)
        return None

    def take(self, folder, leaf, found, name):
        import binascii  # here, not at the top: most runs harvest nothing

        try:
            fd = os.open(leaf, FILE_FLAGS, dir_fd=folder)
        except OSError as exc:
            return f"cannot be opened ({exc.strerror})"
        try:
            opened = os.fstat(fd)
            if not (same_file(opened, found) and stat.S_ISREG(opened.st_mode) and opened.st_nlink == 1):
                return "changed while it was read"
            data = read_up_to(fd, found.st_size + 1)
        finally:
            os.close(fd)
        if len(data) != found.st_size:
            return "changed while it was read"
        self.total += len(data)
        self.files.append([name.decode("utf-8"), Base64(binascii.b2a_base64(data, newline=False))])
        return None


class Base64(bytes):
    """A file's body in the report: its alphabet needs no escaping, so it is written as it is."""


def same_file(a, b):
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino) and stat.S_IFMT(a.st_mode) == stat.S_IFMT(b.st_mode)


def read_up_to(fd, limit):
    data = bytearray()
    while len(data) < limit:
        chunk = os.read(fd, limit - len(data))
        if not chunk:
            break
        data += chunk
    return bytes(data)


def kind_of(mode):
    for test, words in (
        (stat.S_ISLNK, "a symbolic link (never followed)"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
    ):
        if test(mode):
            return words
    return "not a regular file"


def name_problem(name):
    """The host's rules for a name (sandbox/files.py), on the bytes of one found in out/."""
    try:
        text = name.decode("utf-8")
    except UnicodeDecodeError:
        return "a name that is not UTF-8"
    if not text.isprintable() or "\\" in text:
        return "a name with a control, unprintable or backslash character"
    if len(name) > MAX_NAME_BYTES:
        return f"a name over {MAX_NAME_BYTES} bytes"
    return None


def shown(name):
    """A name found in out/ as the report may carry it: bytes that are not UTF-8 as \\xNN, a
    backslash doubled, anything unprintable escaped as repr() would; clipped."""
    text = name.replace(b"\\", b"\\\\").decode("utf-8", "backslashreplace")
    text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
    return text if len(text) <= SHOWN_NAME_CHARS else text[: SHOWN_NAME_CHARS - 1] + "\u2026"


def memory_to_spare(size):
    """Whether reading `size` bytes (its copy and base64) leaves the cgroup a margin; True where
    the limit or the usage cannot be read (no limit, or gVisor's own kernel)."""
    root = "/sys/fs/cgroup/"
    limit = first_number(read(root + "memory.max")) or first_number(read(root + "memory/memory.limit_in_bytes"))
    usage = first_number(read(root + "memory.current")) or first_number(read(root + "memory/memory.usage_in_bytes"))
    if limit is None or usage is None:
        return True
    return limit - usage >= 3 * size + MEMORY_MARGIN


def harvest_safe():
    return Harvest().run()


# The naive harvester's safety net, not rules: the report it makes must fit what the host reads
# (sandbox/output.py's REPORT_MAX holds HARVEST_TOTAL_BYTES of base64 and about 650 KiB of
# names), and a loop of folder links must end.
NAIVE_REPORT_BYTES = (HARVEST_TOTAL_BYTES + 2) // 3 * 4 + (512 << 10)
NAIVE_ENTRIES = 20000


def harvest_naive():
    """The `harvest` control's "off", for the lab's ablations only (no server offers it): what
    many graders do. It walks out/ with os.walk following links, opens whatever it finds and
    reads it, keeps every name as it is, counts nothing, handles no error (one entry it cannot
    open loses the whole harvest). Two things keep a demonstration bounded: it opens with
    O_NONBLOCK, so a FIFO reads as empty where a plain open() would wait for a writer for ever
    (every writer is dead), and it stops, saying so, at NAIVE_ENTRIES entries or when the report
    would outgrow what the host reads."""
    import binascii

    files: list = []
    room, seen = NAIVE_REPORT_BYTES, 0
    for folder, _, leaves in os.walk(OUT.encode(), followlinks=True):
        for leaf in leaves:
            path = os.path.join(folder, leaf)
            name = path[len(OUT) + 1 :].decode("utf-8", "replace")
            seen, room = seen + 1, room - 6 * len(name) - 16  # a name's JSON: at worst 6 bytes a byte
            if seen > NAIVE_ENTRIES or room <= 0:
                net = f"the naive harvester's safety net: {NAIVE_ENTRIES} entries or {NAIVE_REPORT_BYTES} bytes"
                return {"files": files, "files_refused": [[shown(path), net]]}
            with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC), "rb") as handle:
                data = handle.read(room // 4 * 3)
            room -= (len(data) + 2) // 3 * 4
            files.append([name, Base64(binascii.b2a_base64(data, newline=False))])
    return {"files": files}


# The harvest modes the kit's delivery names (Limits.harvest): the kit's, and the lab's naive one.
HARVESTS = {b"safe": harvest_safe, b"naive": harvest_naive}


def encode(value, out):
    """Append the report's JSON to `out`, piece by piece: numbers, booleans, None, strings
    (escaped to ASCII), a file's Base64 body as it is, lists and dicts."""
    if isinstance(value, Base64):
        out += (b'"', value, b'"')  # base64's alphabet needs no escaping
    elif value is None or value is True or value is False:
        out.append({None: b"null", True: b"true", False: b"false"}[value])
    elif isinstance(value, (int, float)):
        out.append(repr(value).encode("ascii"))
    elif isinstance(value, str):
        out.append(json_string(value))
    elif isinstance(value, (list, tuple)):
        out.append(b"[")
        for at, item in enumerate(value):
            out.append(b"," if at else b"")
            encode(item, out)
        out.append(b"]")
    else:
        out.append(b"{")
        for at, (key, item) in enumerate(value.items()):
            out += (b"," if at else b"", json_string(str(key)), b":")
            encode(item, out)
        out.append(b"}")


def json_string(text):
    """A JSON string in ASCII: anything outside printable ASCII, a quote or a backslash as \\u
    escapes (a character past U+FFFF as its UTF-16 pair), so a name can never break the line."""
    escaped = []
    for char in text:
        code = ord(char)
        if 0x20 <= code < 0x7F and char not in '"\\':
            escaped.append(char)
        elif code > 0xFFFF:
            code -= 0x10000
            escaped.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            escaped.append(f"\\u{code:04x}")
    return ('"' + "".join(escaped) + '"').encode("ascii")


def write_report(secret, report):
    """One line, the secret first. Small pieces go out in blocks, a file's body as it is: the
    report is never joined into one copy (memory is the container's, and may be short)."""
    pieces = [secret, b" "]
    encode(report, pieces)
    pieces.append(b"\n")
    block = bytearray()
    for piece in pieces:
        if len(block) + len(piece) > 65536:
            write_all(block)
            block = bytearray()
        if len(piece) > 65536:
            write_all(piece)
        else:
            block += piece
    write_all(block)


def write_all(data, fd=1):
    """Write every byte, even where the program made the file non-blocking: its stdout and
    stderr are this process's own open files, and O_NONBLOCK set on them holds here too."""
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
        except BlockingIOError:  # the pipe is full: wait until the kit's side has read some
            select.select([], [fd], [])


def main():
    if os.getpid() != 1:
        # Its kill is kill(-1, SIGKILL): outside a PID namespace of its own, every process the
        # user may signal. It runs as process 1 of a container, or not at all.
        raise SystemExit("the kit's supervisor runs only as process 1 of a container")
    _signal.signal(_signal.SIGINT, _signal.SIG_DFL)  # as process 1, default-action signals from inside are dropped
    make_nondumpable()
    secret, harvest = b"", None
    report: dict = {"v": 1}  # values of every JSON kind (not evaluated: no import needed)
    # A warm box's command names its program's bootstrap (sandbox/languages.py): start it now.
    ready = prestart([os.fsencode(arg) for arg in sys.argv[1:]]) if len(sys.argv) > 1 else None
    try:
        secret, mode, argv, files, stdin = read_run()
        if place_files(files):
            harvest = HARVESTS[mode]
        report.update(supervise(argv, stdin, ready))
    except EOFError:
        return  # nobody will read a report
    except BaseException as exc:  # noqa: BLE001 - a bug here must still end the run and say so
        kill_all()
        harvest = None  # what is left may still be running: harvest nothing
        report["supervisor_error"] = f"{type(exc).__name__}: {exc}"
    gathers = [("cgroup", cgroup_facts), ("no_route", no_route_count), ("scratch_full", full_scratch)]
    if harvest is not None:
        gathers.append(("files", harvest))  # last: what it reads is not the run's usage
    for name, gather in gathers:
        try:
            found = gather()
            report.update(found) if isinstance(found, dict) else report.__setitem__(name, found)
        except Exception as exc:  # noqa: BLE001 - a fact that cannot be read is missing, not invented
            report.setdefault("unread", []).append(f"{name}: {type(exc).__name__}")
    if secret:
        write_all(secret + b" \n", 2)  # the end of stderr, which the kit waits for beside the report
        write_report(secret, report)


if __name__ == "__main__":  # `python3 -c SOURCE` runs it; a unit test may load its functions
    main()
