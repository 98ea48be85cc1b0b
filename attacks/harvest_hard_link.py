ATTACK = {
    "title": "A hard link in out/ to a file outside it",
    "category": "harvest",
    "control": "harvest",
    "hardened": "out/copy is refused: a hard link (two names for one file)",
    "ablated": "the naive harvester reads out/copy and hands back /tmp/secret.txt's canary",
    "escape_files": {"contains": {"copy": "HARVEST-CANARY-hard-link"}},
    "expect": {
        "hardened": {
            "status": "ok",
            "files_refused": (("copy", "a hard link (2 names for one file)"),),
            "report": {"achieved": False, "planted": "out/copy = /tmp/secret.txt"},
        },
        "ablated": {"status": "ok", "files_refused": (), "report": {"achieved": False}},
        "naive": {"status": "ok", "files_refused": (), "report": {"achieved": False}},
    },
    "explain": """
        A hard link is not a link a reader can see: out/copy is the same file as /tmp/secret.txt,
        under a second name, and O_NOFOLLOW does not stop it. It matters where the file outside
        out/ is one the reader guards: a harvester that copies, chmods or later rewrites out/copy
        acts on the original, and one with more rights than the program hands back what the
        program could only link to. The program plants a canary outside out/, links it into
        out/ and exits. The kit's harvest takes a file only when it has exactly one name
        (st_nlink is 1), and refuses this one with the count; a naive harvester hands the canary
        back.
    """,
}

import json
import os

with open("/tmp/secret.txt", "w") as handle:
    handle.write("HARVEST-CANARY-hard-link\n")
os.link("/tmp/secret.txt", "out/copy")
print("ATTACK_REPORT " + json.dumps({"achieved": False, "planted": "out/copy = /tmp/secret.txt"}))
