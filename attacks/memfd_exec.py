ATTACK = {
    "title": "Execute a binary written at run time, from memory",
    "category": "files",
    "control": "seccomp",
    "hardened": "memfd_create without MFD_NOEXEC_SEAL fails with EPERM: there is no in-memory file to execute",
    "ablated": "under Docker's default profile the copied binary runs from /proc/self/fd/N, around noexec",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "memfd": "EPERM", "tmp_exec": "EACCES", "sealed_memfd": "OK"}},
        "ablated": {"status": "ok", "report": {"achieved": True, "memfd": "OK", "exec": "OK", "tmp_exec": "EACCES"}},
        "naive": {"status": "ok", "report": {"achieved": True}},
    },
    "gvisor": {
        "why": "the kit's filter runs inside gVisor too (runsc --oci-seccomp), and gVisor's kernel does not "
               "know MFD_NOEXEC_SEAL, so even the sealed memfd is refused (EINVAL)",
        "expect": {"status": "ok", "report": {"achieved": False, "memfd": "EPERM", "tmp_exec": "EACCES",
                                              "sealed_memfd": "EINVAL"}},
    },
    "explain": """
        The read-only root and the noexec /tmp together stop "download a tool and run it" from
        a file: nothing the program can write lives on a mount that allows execve. But Linux has
        a file that lives on no mount at all: memfd_create() returns an anonymous in-memory
        file, and execve("/proc/self/fd/N") runs whatever was copied into it. Docker's default
        seccomp profile allows memfd_create, so noexec alone is not enough. The kit's profile
        allows it only with MFD_NOEXEC_SEAL, a flag (Linux 6.3) that makes the file's mode
        unable to ever gain an execute bit; data-only memfds still work. The attack copies the
        Python binary into a memfd and asks a child to execute the copy; it also shows that the
        same bytes written to /tmp cannot be executed (noexec) and that a sealed memfd opens.
    """,
}

import errno
import json
import os
import sys

MFD_NOEXEC_SEAL = 0x0008
PROOF = "memfd exec ran"


def name(exc):
    return errno.errorcode.get(exc.errno, str(exc.errno))


def run_copy(path):
    """Execute `path` in a child; "OK" if the copy ran and printed the proof."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        os.dup2(write_end, 1)
        try:
            os.execv(path, ["python3", "-I", "-c", f"print({PROOF!r})"])
        except OSError as exc:
            os._exit(100 + exc.errno)
    os.close(write_end)
    said = os.read(read_end, 100).decode().strip()
    code = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
    if code >= 100:
        return errno.errorcode.get(code - 100, str(code - 100))
    return "OK" if said == PROOF else f"exit {code}"


with open(sys.executable, "rb") as source:
    binary = source.read()
facts = {}
try:
    fd = os.memfd_create("tool", 0)
    os.write(fd, binary)
    facts["memfd"] = "OK"
    facts["exec"] = run_copy(f"/proc/self/fd/{fd}")
except OSError as exc:
    facts["memfd"] = name(exc)
try:
    with open("/tmp/tool", "wb") as copy:
        copy.write(binary)
    os.chmod("/tmp/tool", 0o755)
    facts["tmp_exec"] = run_copy("/tmp/tool")
    os.unlink("/tmp/tool")
except OSError as exc:
    facts["tmp_exec"] = name(exc)
try:
    os.close(os.memfd_create("data", MFD_NOEXEC_SEAL))
    facts["sealed_memfd"] = "OK"
except OSError as exc:
    facts["sealed_memfd"] = name(exc)
facts["achieved"] = facts.get("exec") == "OK"
print("ATTACK_REPORT " + json.dumps(facts))
