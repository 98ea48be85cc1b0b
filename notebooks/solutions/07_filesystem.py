"""Lesson 07, exercise solutions. Run: .venv/bin/python notebooks/solutions/07_filesystem.py"""

from sandbox import PROFILES, engine_kind, run

hardened = PROFILES["hardened"]

FILL_BODY = r"""
import errno
written = 0
try:
    for n in range(FILES):
        with open(f"{FOLDER}/fill-{n}", "wb") as f:
            for _ in range(FILE_MIB):
                f.write(b"\0" * 1048576)
                f.flush()
                written += 1
    print("error=none")
except OSError as e:
    print(f"error={errno.errorcode[e.errno]}")
    raise
finally:
    print(f"written_mib={written}")
"""


def fill_program(folder, file_mib, files=1):
    return f"FOLDER, FILE_MIB, FILES = {folder!r}, {file_mib}, {files}\n" + FILL_BODY


def facts(result):
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)


# 1. /dev/shm. 25 files of 4 MiB ask for 100 MiB (each file is under the 8 MiB fsize).
# The hardened profile sizes /dev/shm like /tmp: 16 MiB.
shm = run(fill_program("/dev/shm", 4, files=25))
print("/dev/shm, hardened:", shm.status, shm.stopped_by, facts(shm))
assert facts(shm) == {"error": "ENOSPC", "written_mib": "16"}
assert shm.usage.scratch_full == ("/dev/shm",) and shm.stopped_by == "read_only"  # the supervisor found it full

# The seed profile has no tmpfs of the kit's, so the engine's default applies: Docker's 64 MiB,
# Podman's 64,000,000 bytes (62,500 KiB: 61 whole MiB fit).
podman = engine_kind().name == "podman"
seed_shm = run(fill_program("/dev/shm", 4, files=25), PROFILES["seed"])
print("/dev/shm, seed:    ", seed_shm.status, seed_shm.stopped_by, facts(seed_shm))
assert facts(seed_shm) == {"error": "ENOSPC", "written_mib": "61" if podman else "64"}

# ... and its pages are memory: with 32 MiB of memory the OOM killer ends the run first.
shm_small = run(fill_program("/dev/shm", 4, files=25), hardened.replace(memory_mib=32, tmpfs_mib=64))
print("/dev/shm, 32 MiB of memory:", shm_small.status, shm_small.oom_killed, shm_small.hint)
if shm_small.usage is None and not engine_kind().oom_flag:
    # The supervisor was killed too, on an engine that records no OOM kills (see the lesson).
    assert shm_small.status == "error" and shm_small.exit_code == 137 and shm_small.hint == "memory"
else:
    assert shm_small.status == "memory" and shm_small.oom_killed

# 2. Root on a read-only root: the mount flag is checked before any permission.
WRITE_IMAGE = r"""
import errno
try:
    open("/etc/motd", "w").write("x")
    print("image_file=ok")
except OSError as e:
    print("image_file=" + errno.errorcode[e.errno])
"""
as_root = run(WRITE_IMAGE, hardened.without("user"))
print("root, read-only root:", facts(as_root))
assert facts(as_root) == {"image_file": "EROFS"}

# 3. A socket in out/ next to an honest result. The kit's harvest looks before it opens (lstat)
# and refuses the socket; the naive harvester's open() fails with ENXIO and, handling no error,
# loses the whole harvest, result.txt too.
SOCKET_IN_OUT = r"""
import socket
with open("out/result.txt", "w") as f:
    f.write("42\n")
s = socket.socket(socket.AF_UNIX)
s.bind("out/sock")
s.close()
"""
safe = run(SOCKET_IN_OUT)
print("socket, hardened:        ", sorted(safe.files), safe.files_refused)
assert sorted(safe.files) == ["result.txt"] and safe.files["result.txt"].data == b"42\n"
assert safe.files_refused == (("sock", "a socket: only regular files are harvested"),)
naive = run(SOCKET_IN_OUT, hardened.without("harvest"))
print("socket, without harvest: ", sorted(naive.files), naive.files_refused)
assert naive.status == "ok" and naive.files == {} and naive.files_refused == ()
print("all lesson 07 answers hold")
