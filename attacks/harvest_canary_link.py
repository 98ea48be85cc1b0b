ATTACK = {
    "title": "A link in out/ to a file outside it",
    "category": "harvest",
    "control": "harvest",
    "hardened": "out/leak is refused as a symbolic link, never followed: the canary stays where it was planted",
    "ablated": "the naive harvester follows out/leak and hands back /tmp/secret.txt's bytes, canary and all",
    "escape_files": {"contains": {"leak": "HARVEST-CANARY-outside-out"}},
    "expect": {
        "hardened": {
            "status": "ok",
            "files_refused": (("leak", "a symbolic link (never followed): only regular files are harvested"),),
            "report": {"achieved": False, "planted": "out/leak -> /tmp/secret.txt"},
        },
        "ablated": {"status": "ok", "files_refused": (), "report": {"achieved": False}},
        "naive": {"status": "ok", "files_refused": (), "report": {"achieved": False}},
    },
    "explain": """
        What a run leaves in out/ is read after it ends, by someone who trusts the reader: a
        grader, a runner, the kit's supervisor. The program plants a canary in /tmp/secret.txt,
        outside out/, and leaves out/leak as a symbolic link to it, then exits. A harvester that
        opens out/leak with a plain open() follows the link and hands the canary back as if the
        program had written it there; pointed at a file the reader can see and the program cannot,
        that is a leak. The kit's harvest examines each entry without following it (O_NOFOLLOW,
        by file descriptor) and refuses the link with its reason. The program cannot see the
        harvest, so it reports only what it planted; the verdict comes from what came back.
    """,
}

import json
import os

CANARY = "HARVEST-CANARY-outside-out"
with open("/tmp/secret.txt", "w") as handle:
    handle.write(CANARY + "\n")
os.symlink("/tmp/secret.txt", "out/leak")
# The harvest runs after every process of the run is dead: nothing here can see what it does.
print("ATTACK_REPORT " + json.dumps({"achieved": False, "planted": "out/leak -> /tmp/secret.txt"}))
