ATTACK = {
    "title": "A system call through the 32-bit ABI",
    "category": "privilege",
    "control": "seccomp",
    "only_on": {"architecture": "x86_64"},
    "hardened": "the kit's filter lists only the native ABI: the int 0x80 call kills the process with SIGSYS",
    "ablated": "Docker's default profile also allows the 32-bit x86 ABI: the same call returns the pid",
    "expect": {
        "hardened": {"status": "killed", "stopped_by": None, "hint": "seccomp", "signal": "SIGSYS", "report": None},
        "ablated": {"status": "ok", "report": {"achieved": True}},
    },
    "gvisor": {
        "why": "gVisor implements no 32-bit system-call ABI: its kernel answers int 0x80 with an error, the "
               "process lives on, and the host's kernel never sees the call",
        "expect": {"status": "ok", "report": {"achieved": False}},
    },
    "explain": """
        An x86_64 kernel still answers system calls made the old 32-bit way (the int 0x80
        instruction), with their own numbers and their own code paths. A filter that lists
        64-bit calls only would be dodged by making the same call through the other ABI, and
        the compatibility code has had its own bugs. The kit's seccomp profile lists only the
        native architecture, so such a call never reaches the kernel: the filter kills the
        process with SIGSYS, and the kit reports the run killed, with seccomp as the hint (a
        program can send itself SIGSYS, so the signal alone names no control). Python
        gets there through mmap and ctypes: eight bytes of machine code that ask for getpid.
    """,
}

import ctypes
import json
import mmap
import os
import platform

if platform.machine() != "x86_64":
    print("ATTACK_REPORT " + json.dumps({"achieved": False, "machine": platform.machine()}))
    raise SystemExit(0)
CODE = bytes.fromhex("b814000000cd80c3")   # mov eax, 20 (getpid in the 32-bit table); int 0x80; ret
page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
page.write(CODE)
call = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(page)))
answer = call()
print("ATTACK_REPORT " + json.dumps({"achieved": answer == os.getpid(), "returned": answer}))
