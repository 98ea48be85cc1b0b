ATTACK = {
    "title": "Change the process personality",
    "category": "privilege",
    "control": "seccomp",
    "hardened": "personality() fails with EPERM: the machine stays x86_64 and ASLR stays on",
    "ablated": "Docker's default lets PER_LINUX32 through (uname now says i686); it already refuses ADDR_NO_RANDOMIZE",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "linux32": "EPERM", "no_randomize": "EPERM"}},
        "ablated": {"status": "ok", "report": {"achieved": True, "linux32": "OK", "no_randomize": "EPERM"}},
    },
    "gvisor": {
        "ablated": {"verdict": "contained", "expect": {"status": "ok", "report": {"achieved": False, "linux32": "EINVAL"}},
                    "why": "with the kit's filter removed, gVisor's kernel itself refuses the 32-bit personality "
                           "(EINVAL): it implements no 32-bit ABI"},
    },
    "engines": [
        {"podman_from": "4",
         "why": "Podman's default seccomp profile allows only the personalities Docker's does, but refuses the "
                "others with ENOSYS (its answer to what it does not list), not EPERM",
         "expect": {"ablated": {"status": "ok", "report": {"achieved": True, "linux32": "OK", "no_randomize": "ENOSYS"}}}},
    ],
    "explain": """
        personality() changes how the kernel treats a process and everything it executes:
        report a 32-bit machine, emulate other Unix flavours, or turn off address-space layout
        randomisation (ADDR_NO_RANDOMIZE), which makes memory-corruption exploits predictable.
        Credit where due: Docker's default profile already refuses ADDR_NO_RANDOMIZE and allows
        only a few harmless values. What it lets through here is cosmetic (uname reports i686),
        so this attack is about surface, not an exploit: the kit's profile allows no
        personality changes at all, because nothing a Python script does needs one.
    """,
}

import ctypes
import errno
import json
import os

PER_LINUX32, ADDR_NO_RANDOMIZE = 0x0008, 0x0040000
libc = ctypes.CDLL(None, use_errno=True)
libc.personality.argtypes = [ctypes.c_ulong]     # int personality(unsigned long persona)
libc.personality.restype = ctypes.c_int


def attempt(persona):
    ctypes.set_errno(0)
    if libc.personality(persona) == -1:
        return errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
    return "OK"


facts = {"linux32": attempt(PER_LINUX32), "machine": os.uname().machine}
facts["no_randomize"] = attempt(ADDR_NO_RANDOMIZE)
facts["achieved"] = facts["linux32"] == "OK"
print("ATTACK_REPORT " + json.dumps(facts))
