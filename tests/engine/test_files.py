"""Files in and out on the real engine: what a program is given, what it leaves, what is refused.

Files in travel in the delivery and the supervisor writes them before the program starts; bad
input is refused before any container exists. Files out are harvested by the supervisor from
out/ once nothing of the run is alive, and every hostile entry a program can leave there is a
reported refusal that changes neither the verdict nor the run's time.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from sandbox import PROFILES, InvalidCode, InvalidLimits, engine, run
from sandbox import files as F

H = PROFILES["hardened"]
REPO = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


# -- files in ------------------------------------------------------------------------------


def test_the_program_reads_its_files_and_imports_its_helpers():
    code = (
        "import csv, helpers\nfrom pkg import tool\n"
        "rows = list(csv.reader(open('data.csv')))\n"
        "print(helpers.total(int(r[1]) for r in rows[1:]), tool.NAME, open('raw/b.bin', 'rb').read().hex())"
    )
    r = run(
        code,
        files={
            "data.csv": "name,n\na,2\nb,40\n",
            "helpers.py": b"def total(xs):\n    return sum(xs)\n",
            "pkg/__init__.py": "",
            "pkg/tool.py": "NAME = 'tool'",
            "raw/b.bin": b"\x00\xff\x10",
        },
    )
    assert (r.status, r.stdout) == ("ok", "42 tool 00ff10\n"), r.stderr


def test_files_are_the_programs_and_out_starts_empty():
    code = (
        "import os, stat\nfor p in ('data.csv', 'out'):\n    s = os.stat(p)\n"
        "    print(p, oct(s.st_mode & 0o777), s.st_uid == os.getuid())\nprint(os.listdir('out'))"
    )
    r = run(code, files={"data.csv": "1"})
    assert r.stdout == "data.csv 0o600 True\nout 0o700 True\n[]\n", r.stderr


def test_javascript_requires_its_helpers_and_writes_out():
    code = (
        "const h = require('./helpers.js'); const fs = require('fs');\n"
        "const n = fs.readFileSync('data.txt', 'utf8').trim();\n"
        "fs.writeFileSync('out/answer.txt', String(h.double(Number(n))));"
    )
    r = run(code, language="javascript", files={"helpers.js": "exports.double = x => 2 * x;", "data.txt": "21\n"})
    assert r.status == "ok", r.stderr
    assert r.files["answer.txt"].data == b"42" and r.files_refused == ()


def kit_creates(since: float) -> list[str]:
    """The kit's containers this session created on the engine since `since` (its own events)."""
    api = engine.client().api
    filters = {"type": "container", "event": "create", "label": [f"{engine.LABEL_SESSION}={engine.SESSION}"]}
    return [
        e.get("id", "?") for e in api.events(since=int(since), until=int(time.time()) + 1, filters=filters, decode=True)
    ]


@pytest.mark.parametrize(
    "files, error",
    [
        ({"../escape.py": "x"}, InvalidCode),
        ({"/etc/cron.d/x": "x"}, InvalidCode),
        ({"a\nb": "x"}, InvalidCode),
        ({"out/pre.png": b"x"}, InvalidCode),
        ({"big": b"x" * (F.MAX_FILE_BYTES + 1)}, InvalidCode),
        ({f"f{i}": "" for i in range(F.MAX_FILES + 1)}, InvalidCode),
        ({"a.txt": 1}, InvalidCode),
    ],
    ids=["parent", "absolute", "newline", "in out", "too big", "too many", "not bytes"],
)
def test_bad_files_are_refused_before_any_container_starts(files, error):
    since = time.time() - 1
    run("print('warm up the clock')")  # one run that did start: the count can see one
    assert len(kit_creates(since)) >= 1
    since = time.time()
    time.sleep(1.1)  # the engine's events are by the second
    with pytest.raises(error):
        run("print(1)", files=files)
    assert kit_creates(since) == []


def test_a_profile_whose_working_directory_is_read_only_refuses_files_at_once():
    since = time.time()
    time.sleep(1.1)
    with pytest.raises(InvalidLimits, match="read-only"):
        run("print(1)", PROFILES["seed"], files={"data.csv": "1"})
    assert kit_creates(since) == []


def test_a_read_only_working_directory_harvests_nothing_and_says_nothing():
    r = run("print(1)", PROFILES["seed"])
    assert (r.status, r.files, r.files_refused, r.message) == ("ok", {}, (), "Exited normally")


# -- files out -----------------------------------------------------------------------------


def test_text_and_binary_files_come_back_byte_for_byte():
    code = (
        f"import os\nos.makedirs('out/tables')\nopen('out/notes.txt', 'w').write('h\\u00e9llo\\n')\n"
        f"open('out/plot.png', 'wb').write({PNG!r})\nopen('out/tables/t.csv', 'w').write('a,b\\n1,2\\n')"
    )
    r = run(code)
    assert (r.status, r.message, r.files_refused, r.files_unexamined) == ("ok", "Exited normally", (), 0)
    assert {n: (f.data, f.type) for n, f in r.files.items()} == {
        "notes.txt": ("h\u00e9llo\n".encode(), "text/plain"),
        "plot.png": (PNG, "image/png"),
        "tables/t.csv": (b"a,b\n1,2\n", "text/csv"),
    }


def test_a_plot_shown_or_left_open_comes_back_as_a_png():
    """The image's matplotlib backend: nothing in the program asks for a file."""
    code = "import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.show()\nplt.figure()\nplt.bar([1, 2], [3, 4])\n"
    r = run(code)
    assert (r.status, r.files_refused) == ("ok", ()), r.stderr
    assert {n: f.type for n, f in r.files.items()} == {"figure-1.png": "image/png", "figure-2.png": "image/png"}
    assert all(f.size > 1000 for f in r.files.values())


def test_a_run_that_timed_out_still_gives_back_what_it_wrote():
    r = run("open('out/partial.txt', 'w').write('so far')\nwhile True: pass", H.replace(timeout_s=1))
    assert r.status == "timeout" and r.files["partial.txt"].data == b"so far"


HOSTILE = {
    "symlink to the supervisor's environ": (
        "os.symlink('/proc/1/environ', 'out/environ')",
        "environ",
        "a symbolic link (never followed)",
    ),
    "symlink to the supervisor's stdin": (
        "os.symlink('/proc/1/fd/0', 'out/stdin')",
        "stdin",
        "a symbolic link (never followed)",
    ),
    "symlink to /etc/shadow": ("os.symlink('/etc/shadow', 'out/shadow')", "shadow", "a symbolic link (never followed)"),
    "symlink outside out/": (
        "open('secret', 'w').write('s')\nos.symlink('/tmp/secret', 'out/secret')",
        "secret",
        "a symbolic link (never followed)",
    ),
    "hard link": ("open('secret', 'w').write('s')\nos.link('secret', 'out/hard')", "hard", "a hard link (2 names"),
    "unix socket": ("import socket\ns = socket.socket(socket.AF_UNIX)\ns.bind('out/sock')", "sock", "a socket"),
    "newline in a name": ("open('out/a\\nb.txt', 'w').write('x')", "a\\nb.txt", "a name with a control"),
    "ANSI escape in a name": (
        "open('out/\\x1b[2J\\x1b[31mred', 'w').write('x')",
        "\\x1b[2J\\x1b[31mred",
        "a name with a control",
    ),
    "invalid UTF-8 in a name": (
        "os.close(os.open(b'out/bad\\xff\\xfe', os.O_CREAT | os.O_WRONLY))",
        "bad\\xff\\xfe",
        "a name that is not UTF-8",
    ),
    "a folder ten deep": (
        "p = 'out/' + '/'.join('d%d' % i for i in range(10))\nos.makedirs(p)\nopen(p + '/f', 'w').write('x')",
        "d0/d1/d2/d3",
        "a folder 4 levels down",
    ),
    "a file past the size bound": (
        f"open('out/big', 'wb').write(b'x' * {F.HARVEST_FILE_BYTES + 1})",
        "big",
        f"{F.HARVEST_FILE_BYTES + 1} bytes: over the bound",
    ),
}


@pytest.mark.parametrize("make, name, reason", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_entry_is_a_refusal_never_read(make, name, reason):
    r = run("import os\n" + make + "\nopen('out/fine.txt', 'w').write('fine')")
    assert (r.status, r.exit_code) == ("ok", 0), r.stderr
    assert {n: f.data for n, f in r.files.items()} == {"fine.txt": b"fine"}
    assert len(r.files_refused) == 1 and r.files_refused[0][0] == name and r.files_refused[0][1].startswith(reason)
    assert r.message == "Exited normally; 1 output file left out: see files_refused"


def test_a_sparse_terabyte_is_refused_from_its_size_unread():
    """Hardened's file-size rlimit stops the truncate itself; without it, the file exists."""
    r = run("open('out/huge', 'wb').truncate(1 << 40)", H.without("ulimits"))
    assert r.status == "ok" and r.files == {} and r.duration_s < 5
    assert r.files_refused == (("huge", f"{1 << 40} bytes: over the bound of {F.HARVEST_FILE_BYTES} a file"),)


def test_a_fifo_is_refused_without_blocking_the_harvest():
    r = run("import os\nos.mkfifo('out/pipe')\nopen('out/fine.txt', 'w').write('fine')")
    assert r.status == "ok" and r.files_refused == (("pipe", "a FIFO: only regular files are harvested"),)
    assert list(r.files) == ["fine.txt"] and r.duration_s < 5


def test_ten_thousand_tiny_files_give_a_bounded_report():
    r = run("for i in range(10000):\n    open('out/t%05d' % i, 'w').close()", H.replace(timeout_s=30))
    assert r.status == "ok", r.message
    assert len(r.files) == F.HARVEST_FILES
    assert len(r.files_refused) == F.HARVEST_ENTRIES - F.HARVEST_FILES
    assert r.files_unexamined == 10_000 - F.HARVEST_ENTRIES
    assert r.message == "Exited normally; 9980 output files left out: see files_refused"


def test_the_count_is_bounded():
    r = run("for i in range(25):\n    open('out/f%02d' % i, 'w').write(str(i))")
    assert r.status == "ok" and len(r.files) == F.HARVEST_FILES
    assert len(r.files_refused) == 5 and {reason for _, reason in r.files_refused} == {"past the bound of 20 files"}


def test_the_total_is_bounded():
    r = run("for i in range(10):\n    open('out/f%02d' % i, 'wb').write(b'x' * (600 << 10))")
    assert r.status == "ok" and len(r.files) == 6  # 6 x 600 KiB: 3.5 of the 4 MiB
    assert len(r.files_refused) == 4 and all("past the bound of 4194304 in all" in why for _, why in r.files_refused)


GROWING = """
import os, time
if os.fork() == 0:                     # outlives the program, writing all the while
    with open('out/grow.log', 'a') as log:
        while True:
            log.write('x' * 4096)
            log.flush()
time.sleep(0.3)
"""


def test_a_file_still_growing_at_exit_is_read_whole_or_refused():
    r = run(GROWING)
    assert r.status == "ok" and r.duration_s < 8
    if "grow.log" in r.files:
        assert set(r.files["grow.log"].data) <= {ord("x")}  # consistent: the writer was dead
    else:
        assert r.files_refused[0][0] == "grow.log"


def test_out_replaced_by_a_link_is_refused():
    r = run("import os, shutil\nos.rmdir('out')\nos.symlink('/proc/1', 'out')")
    assert r.status == "ok" and r.files == {}
    assert r.files_refused == (("out", "not the folder the supervisor made (Not a directory)"),)


# -- the harvest control's "off": the lab's naive harvester ---------------------------------

LINKS = (
    "import os\nopen('/tmp/s', 'w').write('CANARY')\nos.symlink('/tmp/s', 'out/leak')\nopen('out/r', 'w').write('1')"
)


def test_without_harvest_the_supervisor_runs_the_naive_harvester():
    """Limits.harvest travels in the delivery's HARVEST word: the same program, refused by the
    kit's rules, comes back through the naive one, link followed."""
    safe, naive = run(LINKS), run(LINKS, H.without("harvest"))
    assert sorted(safe.files) == ["r"] and safe.files_refused[0][0] == "leak"
    assert {n: f.data for n, f in naive.files.items()} == {"leak": b"CANARY", "r": b"1"}
    assert naive.files_refused == () and naive.status == "ok"


def test_the_naive_harvester_as_the_runner_cannot_read_the_supervisors_environ():
    """Why harvest_proc_environ runs as root: the supervisor is non-dumpable, so its
    /proc/1/environ belongs to root; a naive harvester under the runner's uid gets EACCES, and,
    handling no error, loses the whole harvest (the honest file too). As root it reads it."""
    code = "import os\nos.symlink('/proc/1/environ', 'out/environ')\nopen('out/r', 'w').write('1')"
    as_runner = run(code, H.without("harvest"))
    assert as_runner.status == "ok" and as_runner.files == {} and as_runner.files_refused == ()
    as_root = run(code, H.without("harvest", "user"))
    assert b"PATH=" in as_root.files["environ"].data and as_root.files["r"].data == b"1"


FILL_MEMORY = """
def number(path):
    return int(open(path).read().split()[0])
try:
    limit, used = number('/sys/fs/cgroup/memory.max'), lambda: number('/sys/fs/cgroup/memory.current')
except (OSError, ValueError):
    limit = number('/sys/fs/cgroup/memory/memory.limit_in_bytes')
    used = lambda: number('/sys/fs/cgroup/memory/memory.usage_in_bytes')
for i in range(2):
    open('out/r%d.bin' % i, 'wb').write(b'y' * (2 << 20))
chunk, n = b'x' * (1 << 20), 0
while used() < limit - (3 << 20):       # the tmpfs pages are charged to the container
    with open('/dev/shm/fill%d' % n if n % 2 else '/tmp/fill%d' % n, 'wb') as f:
        f.write(chunk)
    n += 1
print(n)
"""


def test_a_container_with_its_memory_nearly_full_still_reports():
    """Files on the run's tmpfs are charged to its memory. Reading 4 MiB of them into a full
    container got the supervisor OOM-killed (the run came back `memory`, with no usage, though
    the program exited 0); it reads a file only with room to spare, so a full container costs
    the files, never the report or the verdict."""
    r = run(FILL_MEMORY, H.replace(tmpfs_mib=128))
    assert (r.status, r.exit_code) == ("ok", 0) and r.usage is not None, r.message
    assert int(r.stdout) > 90  # MiB on the tmpfs: it was full
    assert len(r.files) + len(r.files_refused) == 2
    assert all(
        why == "the container's memory is nearly full: reading it could cost the report" for _, why in r.files_refused
    )


def test_the_cli_sends_files_and_writes_what_came_back(tmp_path, child_env):
    program = tmp_path / "p.py"
    program.write_text(
        "import os\nopen('out/r.txt', 'w').write(open('d.csv').read().upper())\nos.symlink('/etc/shadow', 'out/s')\n"
    )
    (tmp_path / "data.csv").write_text("a,b")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sandbox",
            "run",
            str(program),
            "--file",
            f"d.csv={tmp_path / 'data.csv'}",
            "--out",
            str(tmp_path / "results"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        env=child_env(),
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "results" / "r.txt").read_text() == "A,B" and not (tmp_path / "results" / "s").exists()
    assert done.stderr.splitlines() == [
        "sandbox: file r.txt (3 bytes, text/plain)",
        "sandbox: left out: s: a symbolic link (never followed): only regular files are harvested",
    ]
