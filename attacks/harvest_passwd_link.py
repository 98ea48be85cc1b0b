ATTACK = {
    "title": "A link in out/ to a system file",
    "category": "harvest",
    "control": "harvest",
    "hardened": "out/passwd is refused as a symbolic link, never followed",
    "ablated": "the naive harvester follows it and hands back the container's /etc/passwd",
    "escape_files": {"contains": {"passwd": "root:x:0:0:"}},
    "expect": {
        "hardened": {
            "status": "ok",
            "files_refused": (("passwd", "a symbolic link (never followed): only regular files are harvested"),),
            "report": {"achieved": False, "planted": "out/passwd -> /etc/passwd"},
        },
        "ablated": {"status": "ok", "files_refused": (), "report": {"achieved": False}},
        "naive": {"status": "ok", "files_refused": (), "report": {"achieved": False}},
    },
    "explain": """
        The same trick as the canary link, aimed at a file the program did not write: out/passwd
        is a symbolic link to /etc/passwd. /etc/passwd is readable by anyone, so it stands in for
        what a harvester running with more rights than the program would hand back from
        /etc/shadow, a mounted key or another run's files. A harvester that follows links returns
        whatever the link names, read with the harvester's own rights, under a name that says it
        came from the program's output. The kit's harvest looks at the entry itself (lstat, then
        O_NOFOLLOW) and refuses any link; the verdict comes from what came back.
    """,
}

import json
import os

os.symlink("/etc/passwd", "out/passwd")
print("ATTACK_REPORT " + json.dumps({"achieved": False, "planted": "out/passwd -> /etc/passwd"}))
