ATTACK = {
    "title": "Read the supervisor's memory through /proc/1/mem",
    "category": "escape",
    "misconfiguration": "cap_sys_ptrace",
    "given": ["user"],
    "hardened": "the supervisor (process 1) is non-dumpable: even root without CAP_SYS_PTRACE gets EACCES on "
                "/proc/1/mem",
    "ablated": "with CAP_SYS_PTRACE, root reads process 1's memory: the supervisor, its secret and its report are at "
               "the program's mercy",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "maps": "EACCES", "mem": "EACCES"}},
        "ablated": {"status": "ok", "report": {"achieved": True, "maps": "OK", "mem": "OK"}},
    },
    "gvisor": {
        "why": "gVisor's /proc lets the same uid read a non-dumpable process's maps (its addresses, none of "
               "its contents); its memory stays closed",
        "expect": {"status": "ok", "report": {"achieved": False, "maps": "OK", "mem": "EACCES"}},
    },
    "explain": """
        The kit's supervisor is process 1 of every run: it holds the one-off secret its report
        is signed with, and it reads the kernel's counters the kit trusts. On a host without
        the Yama security module, any process may read and write another's memory through
        /proc/<pid>/mem if it could ptrace it, and by default that means any process of the
        same uid. The supervisor therefore makes itself non-dumpable first thing: from then on
        only a process with CAP_SYS_PTRACE may look inside it, and the sandbox drops every
        capability. Shown here as root (the given user control removed), so that the one
        capability a careless deployment adds is what opens the door.
    """,
}

import errno
import json


def attempt(read):
    try:
        return "OK", read()
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno)), None


def read_maps():
    with open("/proc/1/maps") as maps:
        return maps.read()


maps, text = attempt(read_maps)
facts = {"maps": maps}
start = int(text.split("-", 1)[0], 16) if text else 0x400000


def peek():
    with open("/proc/1/mem", "rb") as mem:
        mem.seek(start)
        return len(mem.read(64))


facts["mem"], read = attempt(peek)
facts["bytes_read"] = read or 0
facts["achieved"] = facts["mem"] == "OK" and facts["bytes_read"] > 0
print("ATTACK_REPORT " + json.dumps(facts))
