ATTACK = {
    "title": "Hostile names in out/",
    "category": "harvest",
    "control": "harvest",
    "hardened": "the names with a newline and an ANSI escape are refused, shown escaped; the dot look-alikes come back as the plain names they are",
    "ablated": "the naive harvester hands the raw names to the host, whose own re-check refuses them",
    "escape_files": {"host_refused": 2, "contains": {"\u2025": "", "\uff0e\uff0e": ""}},
    "expect": {
        "hardened": {"status": "ok", "files_unexamined": 0, "report": {"achieved": False, "planted": 4}},
        "ablated": {"status": "ok", "files_unexamined": 0, "report": {"achieved": False}},
        "naive": {"status": "ok", "files_unexamined": 0, "report": {"achieved": False}},
    },
    "explain": """
        A file's name is the program's to choose, and whoever shows or writes the results uses
        it: a newline in a name forges a second line in a log or a listing, an ANSI escape
        repaints the terminal of whoever lists the folder. The program leaves four empty files:
        one whose name holds a newline, one that starts with an escape sequence, and two that
        look like '..' (a two-dot leader, two full-width full stops). The kit's harvest refuses
        names that are not printable text and shows them escaped; the look-alikes are printable
        and are not '..' to any filesystem, so they come back, as plain names. The lab's naive
        harvester keeps every name as it is: the host's re-check refuses the raw ones ("refused
        by the host"), which is how the escape is seen.
    """,
}

import json

NAMES = ["new\nline.txt", "\x1b[31mred.txt", "\u2025", "\uff0e\uff0e"]
for name in NAMES:
    open("out/" + name, "wb").close()
print("ATTACK_REPORT " + json.dumps({"achieved": False, "planted": len(NAMES)}))
