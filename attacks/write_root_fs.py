ATTACK = {
    "title": "Plant code in the image",
    "category": "disk",
    "control": "read_only",
    "given": ["user"],
    "hardened": "even as root, writing into Python's standard library fails with EROFS",
    "ablated": "root writes a new module into the standard library",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "errno": "EROFS"}},
        "ablated": {"status": "ok", "report": {"achieved": True}},
        "naive": {"status": "ok", "report": {"achieved": True}},
    },
    "explain": """
        If the image's own files are writable, a program can plant code that runs later:
        a module in the standard library, a sitecustomize.py that every Python start imports,
        a changed binary. In a kit that reuses containers, the next user's code would run it.
        Two layers stop this: the non-root user cannot write root's files (EACCES), and the
        read_only control makes the whole root filesystem read-only (EROFS), for root too.
        This attack runs as root in both cases (the user control is given away) to show the
        second layer alone. It writes a harmless one-line module.
    """,
}

import errno
import json
import os

target = os.path.join(os.path.dirname(os.__file__), "planted_by_attack.py")
try:
    with open(target, "w") as f:
        f.write("print('this module was planted by an attack')\n")
    facts = {"achieved": True, "path": target, "errno": None}
except OSError as exc:
    facts = {"achieved": False, "path": target, "errno": errno.errorcode.get(exc.errno, str(exc.errno))}
facts["uid"] = os.getuid()
print("ATTACK_REPORT " + json.dumps(facts))
