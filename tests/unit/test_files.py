"""Files in and out, without an engine: the name rules, the bounds, the harvest's walk, the report.

The harvest's own code is the supervisor's (sandbox/inside/supervisor.py, sent to every
container as source): here it is loaded as a namespace and its Harvest run on a folder of this
machine's, which holds the same hostile entries the engine tests leave in a container's out/.
Its main() is never called here (it refuses anyway unless it is process 1: its kill is
kill(-1, SIGKILL)).
"""

from __future__ import annotations

import base64
import errno
import json
import os
import socket
import unicodedata

import pytest

from sandbox import PROFILES, InvalidCode, InvalidLimits, OutputFile, Result, SandboxError, Status, supervisor
from sandbox import files as F
from sandbox.cli.files import files_from, write_out
from sandbox.limits import HARVESTS
from sandbox.output import REPORT_MAX
from sandbox.supervisor import Report, delivery, parse_report

H = PROFILES["hardened"]


@pytest.fixture(scope="module")
def inside():
    namespace = {"__name__": "supervisor_under_test"}
    exec(compile(supervisor.SOURCE, "sandbox/inside/supervisor.py", "exec"), namespace)

    def never(*args):
        raise AssertionError("a unit test must never reach the supervisor's kill")

    namespace["kill_all"] = never
    return namespace


# -- files in ------------------------------------------------------------------------------


def test_good_files_become_utf8_names_and_bytes():
    placed = F.check_files({"data.csv": "a,b\n", "helpers.py": b"X = 1", "sub/deep/é.bin": bytearray(b"\0")}, H)
    assert placed == [(b"data.csv", b"a,b\n"), (b"helpers.py", b"X = 1"), ("sub/deep/é".encode() + b".bin", b"\0")]
    assert F.check_files(None, H) == [] and F.check_files({}, H) == []


BAD_NAMES = {
    "absolute": "/etc/passwd",
    "parent": "../x",
    "inner parent": "a/../../x",
    "dot": "./x",
    "dot inside": "a/./x",
    "empty": "",
    "empty component": "a//b",
    "trailing slash": "a/",
    "NUL": "a\x00b",
    "newline": "a\nb",
    "ESC": "a\x1b[31mb",
    "DEL": "a\x7fb",
    "C1": "a\x85b",
    "right-to-left override": "a\u202egnp.exe",
    "backslash": "a\\b",
    "long component": "x" * 256,
    "long name": "/".join(["x" * 200] * 6),
    "output folder": "out/x.csv",
    "the output folder itself": "out",
}


@pytest.mark.parametrize("name", BAD_NAMES.values(), ids=BAD_NAMES.keys())
def test_a_bad_name_is_refused_with_what_to_fix(name):
    with pytest.raises(InvalidCode) as info:
        F.check_files({name: "x"}, H)
    assert "file name" in str(info.value)
    assert "\n" not in str(info.value) and "\x1b" not in str(info.value)  # shown escaped


def test_a_name_that_is_not_text_is_refused():
    with pytest.raises(InvalidCode, match="must be text, not bytes"):
        F.check_files({b"data.csv": "x"}, H)


def test_two_names_for_one_file_are_refused():
    composed, decomposed = "caf\u00e9.txt", unicodedata.normalize("NFD", "caf\u00e9.txt")
    assert composed != decomposed
    with pytest.raises(InvalidCode, match="given twice"):
        F.check_files({composed: "1", decomposed: "2"}, H)


@pytest.mark.parametrize(
    "files, words",
    [
        ({f"f{i}": "" for i in range(21)}, "21 files given; the limit is 20"),
        ({"big": b"x" * (F.MAX_FILE_BYTES + 1)}, "the limit is 1 MiB a file"),
        ({f"f{i}": b"x" * F.MAX_FILE_BYTES for i in range(5)}, "more than 4 MiB"),
        ({"a": 3}, "must be str or bytes, not int"),
        ({"a": "\ud800"}, "not valid Unicode"),
    ],
)
def test_the_bounds_and_types_are_refused(files, words):
    with pytest.raises(InvalidCode, match=words):
        F.check_files(files, H)


def test_files_must_be_a_mapping():
    with pytest.raises(InvalidCode, match="dict of name to content"):
        F.check_files([("a", "b")], H)


def test_a_profile_with_no_writable_working_directory_says_so():
    with pytest.raises(InvalidLimits, match="read-only") as info:
        F.check_files({"a.csv": "1"}, PROFILES["seed"])
    assert "tmpfs" in info.value.hint
    assert F.check_files({"a.csv": "1"}, PROFILES["naive"])  # writable root, no tmpfs


def test_the_delivery_carries_counts_then_sizes_then_bytes():
    sent = delivery(b"s3cr3t", ["python3", "-c", "pass"], b"in", [(b"a.csv", b"1,2"), (b"d/b", b"")])
    header, body = sent.split(b"\n", 1)
    assert header == b"SAFE-PYTHON/2 s3cr3t safe 3 2 7 2 4 5 3 3 0 2"
    assert body == b"python3-cpassa.csv1,2d/bin"


def test_the_supervisor_reads_the_delivery_back(inside, monkeypatch):
    sent = delivery(b"s3cr3t", ["node", "-e", "1"], b"stdin", [(b"x/y.txt", b"\xff\x00")])
    read_fd, write_fd = os.pipe()
    os.write(write_fd, sent)
    os.close(write_fd)
    real_read = os.read
    monkeypatch.setattr(os, "read", lambda fd, n: real_read(read_fd if fd == 0 else fd, n))
    assert inside["read_run"]() == (b"s3cr3t", b"safe", [b"node", b"-e", b"1"], [(b"x/y.txt", b"\xff\x00")], b"stdin")
    os.close(read_fd)


def test_the_supervisor_writes_files_without_following_links(inside, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", tmp_path / "sub")
    assert inside["place_files"]([(b"a.csv", b"1"), (b"d/e/f.txt", b"2")]) is True
    assert (tmp_path / "a.csv").read_bytes() == b"1" and (tmp_path / "d/e/f.txt").read_bytes() == b"2"
    assert oct((tmp_path / "out").stat().st_mode & 0o777) == "0o700"
    with pytest.raises(OSError):
        inside["write_new"](b"sub/x", b"3")  # a folder that is a link: ELOOP
    with pytest.raises(FileExistsError):
        inside["write_new"](b"a.csv", b"4")
    with pytest.raises(ValueError):
        inside["write_new"](b"../x", b"5")
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_the_bounds_inside_are_the_hosts(inside):
    for name in (
        "OUT",
        "HARVEST_FILES",
        "HARVEST_FILE_BYTES",
        "HARVEST_TOTAL_BYTES",
        "HARVEST_ENTRIES",
        "HARVEST_DEPTH",
        "MAX_NAME_BYTES",
        "SHOWN_NAME_CHARS",
    ):
        assert inside[name] == getattr(F, name), name
    assert inside["MAGIC"] == supervisor.MAGIC and F.HARVEST_SAFE in inside["HARVESTS"]
    assert {mode.decode() for mode in inside["HARVESTS"]} == set(HARVESTS)


# -- the harvest ------------------------------------------------------------------------------


@pytest.fixture
def out(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir(mode=0o700)
    return tmp_path / "out"


def harvested(inside):
    report = inside["Harvest"]().run()
    files = {name: base64.b64decode(bytes(body)) for name, body in report["files"]}
    return files, dict(report["files_refused"]), report["files_unexamined"]


def test_regular_files_come_back_byte_for_byte(inside, out):
    (out / "r.txt").write_text("hello")
    (out / "t").mkdir()
    (out / "t" / "b.bin").write_bytes(bytes(range(256)))
    assert harvested(inside) == ({"r.txt": b"hello", "t/b.bin": bytes(range(256))}, {}, 0)


def test_links_fifos_sockets_and_hard_links_are_refused_unread(inside, out, tmp_path):
    (tmp_path / "outside").write_text("secret")
    for name, target in (
        ("environ", "/proc/1/environ"),
        ("shadow", "/etc/shadow"),
        ("outside", str(tmp_path / "outside")),
        ("fd0", "/proc/self/fd/0"),
        ("up", ".."),
    ):
        os.symlink(target, out / name)
    os.link(tmp_path / "outside", out / "hard")
    os.mkfifo(out / "fifo")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind("out/sock")
        files, refused, _ = harvested(inside)
    assert files == {}
    assert {name: reason.split(":")[0] for name, reason in refused.items()} == {
        "environ": "a symbolic link (never followed)",
        "shadow": "a symbolic link (never followed)",
        "outside": "a symbolic link (never followed)",
        "fd0": "a symbolic link (never followed)",
        "up": "a symbolic link (never followed)",
        "hard": "a hard link (2 names for one file)",
        "fifo": "a FIFO",
        "sock": "a socket",
    }


def test_a_device_is_refused(inside, out):
    try:
        os.mknod(out / "null", 0o600 | 0o020000, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("mknod needs CAP_MKNOD")
    assert harvested(inside)[1] == {"null": "a device: only regular files are harvested"}


def test_a_sparse_terabyte_is_refused_from_its_size(inside, out):
    with open(out / "huge", "wb") as handle:
        handle.truncate(1 << 40)
    assert harvested(inside)[1] == {"huge": f"{1 << 40} bytes: over the bound of {F.HARVEST_FILE_BYTES} a file"}


def test_names_are_refused_and_shown_escaped(inside, out):
    for raw in (b"new\nline", b"\x1b[31mred", b"bad\xffutf8", b"back\\slash"):
        (out / os.fsdecode(raw)).write_text("x")
    (out / "caf\u00e9 \u2603.txt").write_text("ok")
    files, refused, _ = harvested(inside)
    assert files == {"caf\u00e9 \u2603.txt": b"ok"}
    assert refused == {
        "new\\nline": "a name with a control, unprintable or backslash character",
        "\\x1b[31mred": "a name with a control, unprintable or backslash character",
        "bad\\xffutf8": "a name that is not UTF-8",
        "back\\\\slash": "a name with a control, unprintable or backslash character",
    }
    assert all(name.isprintable() for name in refused)


def test_a_folder_past_the_depth_is_refused_unread(inside, out):
    deep = out.joinpath(*[f"d{i}" for i in range(1, 11)])
    deep.mkdir(parents=True)
    (deep / "f").write_text("x")
    (out / "d1" / "d2" / "d3" / "kept").write_text("at depth 4")
    files, refused, _ = harvested(inside)
    assert files == {"d1/d2/d3/kept": b"at depth 4"}
    assert refused == {"d1/d2/d3/d4": "a folder 4 levels down: its contents are not read"}


def test_the_count_the_total_and_the_entries_are_bounded(inside, out):
    for i in range(30):
        (out / f"f{i:02}").write_bytes(b"x" * (300 << 10))  # 30 x 300 KiB: past the 4 MiB total first
    files, refused, unexamined = harvested(inside)
    assert unexamined == 0 and len(files) == 13 and sum(map(len, files.values())) <= F.HARVEST_TOTAL_BYTES
    assert len(refused) == 17 and all("past the bound of 4194304 in all" in r for r in refused.values())
    for i in range(30):
        (out / f"f{i:02}").write_bytes(b"x")
    files, refused, _ = harvested(inside)
    assert len(files) == 20 and set(refused.values()) == {"past the bound of 20 files"}


def test_ten_thousand_entries_cost_a_bounded_report(inside, out):
    for i in range(10_000):
        (out / f"t{i}").write_bytes(b"")
    files, refused, unexamined = harvested(inside)
    assert len(files) == 20 and len(refused) == F.HARVEST_ENTRIES - 20 and unexamined == 10_000 - F.HARVEST_ENTRIES


def test_a_file_that_changed_between_examining_and_reading_is_refused(inside, out, monkeypatch):
    (out / "grows").write_bytes(b"12345")
    real = inside["read_up_to"]

    def grown(fd, limit):
        os.write(os.open(out / "grows", os.O_WRONLY | os.O_APPEND), b"678")
        return real(fd, limit)

    monkeypatch.setitem(inside, "read_up_to", grown)
    assert harvested(inside)[1] == {"grows": "changed while it was read"}


def test_an_out_that_is_not_the_folder_is_refused(inside, out, tmp_path):
    out.rmdir()
    os.symlink("/etc", tmp_path / "out")
    files, refused, _ = harvested(inside)
    assert files == {} and refused == {"out": "not the folder the supervisor made (Not a directory)"}


# -- the report ----------------------------------------------------------------------------


def test_the_report_escapes_every_name_and_writes_bodies_as_they_are(inside):
    names = ['quote"back\\slash', "new\nline", "caf\u00e9", "snow\u2603", "astral \U0001f600", "\u2028"]
    pieces = []
    inside["encode"]({"v": 1, "names": names, "files": [["a", inside["Base64"](b"QUJD")]]}, pieces)
    line = b"".join(pieces)
    assert line.isascii() and b"\n" not in line
    assert json.loads(line) == {"v": 1, "names": names, "files": [["a", "QUJD"]]}


def test_the_report_goes_out_in_blocks_and_a_body_whole(inside, monkeypatch):
    written = []
    monkeypatch.setitem(inside, "write_all", lambda data: written.append(bytes(data)))
    body = inside["Base64"](base64.b64encode(b"z" * 300_000))
    inside["write_report"](b"f00d", {"v": 1, "files": [["a", body]], "n": list(range(20_000))})
    line = b"".join(written)
    assert line.startswith(b"f00d ") and line.endswith(b"\n") and line.count(b"\n") == 1
    assert json.loads(line[5:])["files"] == [["a", body.decode()]]
    assert body in written and all(len(w) <= 65536 for w in written if w != body)


def test_the_largest_report_fits_under_the_cap(inside):
    """Twenty files of the whole total with the worst names, and every refusal with the worst."""
    Base64 = inside["Base64"]
    size = F.HARVEST_TOTAL_BYTES // F.HARVEST_FILES
    worst = '"' * F.MAX_NAME_BYTES
    report = {
        "v": 1,
        "unread": ["cgroup: OSError"] * 5,
        "scratch_full": ["/tmp", "/dev/shm"],
        "files": [[worst, Base64(base64.b64encode(b"x" * size))] for _ in range(F.HARVEST_FILES)],
        "files_refused": [[inside["shown"]("\U0001f600".encode() * 300), "x" * 100]] * F.HARVEST_ENTRIES,
        "files_unexamined": 99999,
        **{f"counter{i}": 10**12 for i in range(30)},
    }
    pieces = [b"0" * 32, b" "]
    inside["encode"](report, pieces)
    assert len(b"".join(pieces)) < REPORT_MAX


def test_the_largest_naive_report_fits_under_the_cap(inside, out):
    """The naive harvester's safety net keeps its report within what the host reads: a terabyte
    read up to the net, and names until the net stops it."""
    (out / "huge").write_bytes(b"")
    os.truncate(out / "huge", 1 << 40)
    for i in range(300):
        (out / f"{'a' * 200}{i:03}").write_bytes(b"")
    report = inside["harvest_naive"]()
    pieces = [b"0" * 32, b" "]
    inside["encode"]({"v": 1, **report, **{f"counter{i}": 10**12 for i in range(30)}}, pieces)
    assert len(b"".join(pieces)) < REPORT_MAX
    assert "safety net" in report["files_refused"][0][1]


def naive(inside):
    report = inside["harvest_naive"]()
    return {name: base64.b64decode(bytes(body)) for name, body in report["files"]}, report.get("files_refused")


def test_the_naive_harvester_follows_links_opens_anything_and_keeps_names(inside, out, tmp_path):
    """What the `harvest` control's "off" hands back: the bytes behind a link, a hard link's, a
    FIFO as an empty file (opened non-blocking, never waited on), and a name as it is."""
    (tmp_path / "secret").write_text("CANARY")
    (out / "leak").symlink_to(tmp_path / "secret")
    os.link(tmp_path / "secret", out / "copy")
    os.mkfifo(out / "pipe")
    (out / "a\nb").write_text("x")
    files, refused = naive(inside)
    assert files == {"leak": b"CANARY", "copy": b"CANARY", "pipe": b"", "a\nb": b"x"} and refused is None


def test_the_naive_harvester_walks_a_folder_loop_until_the_kernel_stops_it(inside, out, monkeypatch):
    """os.walk follows out/loop -> . until a path holds 40 links (the kernel's MAXSYMLINKS),
    reading the one file under a new name at each level; the next `loop` no longer resolves, so
    it is taken for a file, and its open() fails with ELOOP, which ends the whole harvest. Now
    and then the kernel stops it sooner: a lookup it retries (its lock-free first try failed)
    counts its links again, and a folder short of 40 fails to open; os.walk skips it unsaid and
    the harvest ends with the file under every name it reached. Both end the walk; which one is
    the kernel's race, so this test (like the attack) takes either."""
    (out / "a.txt").write_text("x")
    (out / "loop").symlink_to(".")
    opened = []
    real_open = os.open
    monkeypatch.setitem(inside, "os", type(os)("os"))
    inside["os"].__dict__.update(os.__dict__, open=lambda path, *a: opened.append(path) or real_open(path, *a))
    try:
        files, _ = naive(inside)
    except OSError as exc:
        files, failed = None, exc.errno
    reads = [path for path in opened if path.endswith(b"a.txt")]
    # The link was followed, level after level, and never past the kernel's 40 links.
    assert reads == [b"out/" + b"loop/" * level + b"a.txt" for level in range(len(reads))], reads[:3]
    assert 2 <= len(reads) <= 40, len(reads)
    if files is None:
        # A `loop` taken for a file: it does not resolve (ELOOP), or it does, as a folder (EISDIR);
        # or a lookup short of 40 links failed (ELOOP) on its retry.
        assert failed in (errno.ELOOP, errno.EISDIR), failed
    else:
        assert list(files) == [path[len(b"out/") :].decode() for path in reads] and len(reads) < 40


def test_the_naive_harvester_loses_everything_to_one_entry_it_cannot_open(inside, out):
    """No error handled, as in a loop of open().read(): a socket (ENXIO) ends the harvest."""
    (out / "result.txt").write_text("42")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(out / "sock"))
        with pytest.raises(OSError):
            inside["harvest_naive"]()


# -- what the host makes of it ---------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_the_host_types_files_and_checks_images_by_their_bytes():
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 8
    report = Report(
        files=(
            ["plot.png", b64(png)],
            ["fake.png", b64(b"<svg/>")],
            ["a.svg", b64(b"<svg/>")],
            ["t.csv", b64(b"1,2")],
            ["x.unknownext", b64(b"?")],
        )
    )
    files, refused, unexamined = F.received(report)
    assert {n: f.type for n, f in files.items()} == {
        "a.svg": "image/svg+xml",
        "fake.png": "application/octet-stream",
        "plot.png": "image/png",
        "t.csv": "text/csv",
        "x.unknownext": "application/octet-stream",
    }
    assert list(files) == sorted(files) and files["plot.png"].data == png and files["plot.png"].size == len(png)
    assert (refused, unexamined) == ((), 0)


def test_the_host_checks_the_names_again():
    report = Report(
        files=(
            ["../escape", b64(b"1")],
            ["/abs", b64(b"2")],
            ["ok", b64(b"3")],
            ["ok", b64(b"4")],
            ["body", "not base64!"],
            "junk",
        ),
        files_refused=(["x\x1by", "a socket\nreally"],),
        files_unexamined=5,
    )
    files, refused, unexamined = F.received(report)
    assert list(files) == ["ok"] and files["ok"].data == b"3"
    assert refused[0] == ("x\\x1by", "a socket\\nreally")
    assert [name for name, _ in refused[1:]] == ["../escape", "/abs", "ok", "body", "?"]
    assert all(reason for _, reason in refused) and unexamined == 5
    assert F.left_out(refused, unexamined) == "; 11 output files left out: see files_refused"
    assert F.left_out((), 0) == ""


def test_the_host_refuses_and_counts_files_past_the_bound():
    """Only a harvester without bounds sends more than 20 files: each is refused by name while
    the refusals have room, then counted, and the host says it was the one that refused."""
    report = Report(files=tuple([f"f{i}", b64(b"")] for i in range(1000)), files_refused=(["l", "a link"],))
    files, refused, unexamined = F.received(report)
    assert len(files) == F.HARVEST_FILES and refused[0] == ("l", "a link")
    assert refused[1:] == tuple((f"f{i}", F.HOST + "past the bound of 20 files") for i in range(20, 419))
    assert unexamined == 1000 - 20 - 399


def test_a_report_with_files_parses_and_a_result_carries_them():
    raw = json.dumps(
        {
            "v": 1,
            "exit_code": 0,
            "files": [["a.txt", b64(b"hi")]],
            "files_refused": [["l", "a symbolic link (never followed)"]],
            "files_unexamined": 0,
        }
    )
    report = parse_report(raw.encode() + b"\n")
    files, refused, unexamined = F.received(report)
    result = Result(
        status=Status.OK,
        stdout="",
        stderr="",
        exit_code=0,
        duration_s=0.1,
        limits=H,
        files=files,
        files_refused=refused,
        files_unexamined=unexamined,
    )
    data = result.to_dict()
    assert data["files"] == [{"name": "a.txt", "size": 2, "type": "text/plain", "base64": "aGk="}]
    assert data["files_refused"] == [{"name": "l", "reason": "a symbolic link (never followed)"}]
    assert data["files_unexamined"] == 0 and json.dumps(data)


# -- the CLI's --file and --out -------------------------------------------------------------


def returned(**files: bytes) -> Result:
    """A Result that carries `files` as if a run gave them back (names unchecked, as a bug might)."""
    kept = {name: OutputFile(name=name, data=data, size=len(data), type="text/plain") for name, data in files.items()}
    return Result(status=Status.OK, stdout="", stderr="", exit_code=0, duration_s=0.1, limits=H, files=kept)


def test_out_writes_subfolders_and_never_writes_over(tmp_path):
    target = tmp_path / "results" / "deeper"
    assert write_out(returned(**{"a.txt": b"1", "t/b.csv": b"2"}), str(target)) == []
    assert (target / "a.txt").read_bytes() == b"1" and (target / "t" / "b.csv").read_bytes() == b"2"
    assert write_out(returned(**{"a.txt": b"new"}), str(target)) == [
        "not written: a.txt: exists already (never written over)"
    ]
    assert (target / "a.txt").read_bytes() == b"1"


def test_out_never_writes_through_a_name_or_a_link(tmp_path):
    (tmp_path / "victim").mkdir()
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(tmp_path / "victim", out / "sub")
    os.symlink(tmp_path / "victim" / "file", out / "link.txt")
    problems = write_out(
        returned(**{"../escape": b"x", "/abs": b"x", "sub/x": b"x", "link.txt": b"x", "new\nline": b"x"}), str(out)
    )
    assert [p.split(":")[0] for p in problems] == ["not written"] * 5
    assert "sub is not a folder (a link is never followed)" in problems[2]
    assert list((tmp_path / "victim").iterdir()) == [] and not (tmp_path / "escape").exists()


def test_file_options_name_files_by_their_base_name_or_as_told(tmp_path):
    (tmp_path / "data.csv").write_bytes(b"1,2")
    assert files_from([str(tmp_path / "data.csv"), f"in/d.csv={tmp_path / 'data.csv'}"]) == {
        "data.csv": b"1,2",
        "in/d.csv": b"1,2",
    }
    with pytest.raises(SandboxError, match="cannot read"):
        files_from([str(tmp_path / "missing")])
    with pytest.raises(SandboxError, match="given twice"):
        files_from([str(tmp_path / "data.csv"), f"data.csv={tmp_path / 'data.csv'}"])


@pytest.mark.parametrize(
    "given, words",
    [
        ("../x.csv={data}", "The file name ../x.csv has a '.' or '..' component"),
        ("out/a.csv={data}", "The file name out/a.csv is inside out/"),
        ("a\x1b[31m.csv={data}", "holds the character U+001B"),
        ("{big}", "is 1048577 bytes; the limit is 1 MiB a file"),
        ("{folder}", "--file: cannot read"),
    ],
    ids=["parent", "in out", "escape", "too big", "a folder"],
)
def test_the_cli_refuses_a_bad_file_in_one_line_before_any_container(given, words, tmp_path, monkeypatch, capsys):
    from sandbox import box, warm
    from sandbox.cli import main

    def no_container(*args, **kw):
        raise AssertionError("a container was asked for")

    monkeypatch.setattr(box.Box, "start", no_container)
    monkeypatch.setattr(warm, "take", no_container)
    (tmp_path / "p.py").write_text("print(1)")
    (tmp_path / "data.csv").write_text("1")
    (tmp_path / "big.bin").write_bytes(b"x" * (F.MAX_FILE_BYTES + 1))
    (tmp_path / "folder").mkdir()
    paths = {
        name: str(tmp_path / file) for name, file in (("data", "data.csv"), ("big", "big.bin"), ("folder", "folder"))
    }
    assert main(["run", str(tmp_path / "p.py"), "--file", given.format(**paths)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1, captured.err
    assert captured.err.startswith("sandbox: ") and words in captured.err, captured.err
    assert "\x1b" not in captured.err and "Traceback" not in captured.err
