ATTACK = {
    "title": "A folder loop in out/",
    "category": "harvest",
    "control": "harvest",
    "hardened": "out/loop is refused as a symbolic link, never followed; a.txt comes back",
    "ablated": "the naive harvester follows the loop down until the kernel says ELOOP, then either loses every "
               "file, a.txt too, or hands back a.txt again under ever longer names (loop/loop/.../a.txt)",
    # Either ending is the escape: which one a run gets is the kernel's race, not the kit's.
    "escape_files": [{"missing": ["a.txt"]}, {"contains": {"loop/a.txt": "the answer"}}],
    "expect": {
        "hardened": {
            "status": "ok",
            "files_refused": (("loop", "a symbolic link (never followed): only regular files are harvested"),),
            "report": {"achieved": False, "planted": "out/loop -> . (its own folder), out/a.txt"},
        },
        "ablated": {"status": "ok", "report": {"achieved": False}},
        "naive": {"status": "ok", "report": {"achieved": False}},
    },
    "explain": """
        out/loop is a symbolic link to its own folder. A walker that follows links to folders,
        as os.walk(followlinks=True) does, finds out/loop/a.txt, out/loop/loop/a.txt and so on:
        the same file under ever longer names, read again at every level. The kernel stops the
        descent when a path holds 40 links (ELOOP); os.walk then takes the next out/loop for a
        file, and the open() that fails ends a harvest that handles no error, with every file
        lost. The kernel may stop it sooner: a lookup it has to retry (its lock-free first try
        failed) counts its links again, so a folder some levels short of 40 can fail to open,
        os.walk skips it without a word, and the harvest ends with a.txt handed back twenty
        times and more under names the program never wrote. Which of the two a run gets is a
        race in the kernel, likelier on a busy machine; both are the escape.
        With two such links the walk would double at every level and never end. The kit's
        harvest never follows a link, so the loop is one refused entry and a.txt comes back.
    """,
}

import json
import os

with open("out/a.txt", "w") as handle:
    handle.write("the answer\n")
os.symlink(".", "out/loop")
print("ATTACK_REPORT " + json.dumps({"achieved": False, "planted": "out/loop -> . (its own folder), out/a.txt"}))
