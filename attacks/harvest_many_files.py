ATTACK = {
    "title": "Ten thousand files in out/",
    "category": "harvest",
    "control": "harvest",
    "hardened": "20 files come back, 180 are refused past the bound, 9,800 are counted and never examined",
    "ablated": "the naive harvester hands the host all 10,000: only the host's own bound keeps 20",
    "escape_files": {"host_refused": {"min": 1}},
    "expect": {
        "hardened": {"status": "ok", "files_unexamined": 9800, "report": {"achieved": False, "planted": 10000}},
        "ablated": {"status": "ok", "files_unexamined": 9580, "report": {"achieved": False}},
        "naive": {"status": "ok", "files_unexamined": 9580, "report": {"achieved": False}},
    },
    "explain": """
        Ten thousand empty files cost the program a second and no disk blocks. A harvester with
        no count bound examines, reads and reports every one: its time, its memory and the size
        of its report grow with whatever the program chose, and a face that lists the results
        lists ten thousand names. The kit's harvest examines at most 200 entries, keeps at most
        20 files, and only counts the rest. The lab's naive harvester hands all 10,000 to the
        host, whose own re-check keeps 20, refuses the next 400 by name ("refused by the host")
        and counts the others: the escape is that the host had to.
    """,
}

import json

for i in range(10000):
    open(f"out/f{i:05}", "wb").close()
print("ATTACK_REPORT " + json.dumps({"achieved": False, "planted": 10000}))
