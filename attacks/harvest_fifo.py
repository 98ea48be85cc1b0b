ATTACK = {
    "title": "A FIFO in out/",
    "category": "harvest",
    "control": "harvest",
    "hardened": "out/pipe is refused as a FIFO, never opened; result.txt comes back",
    "ablated": "the naive harvester opens the FIFO and hands it back as an empty file named pipe",
    "escape_files": {"contains": {"pipe": ""}},
    "expect": {
        "hardened": {
            "status": "ok",
            "files_refused": (("pipe", "a FIFO: only regular files are harvested"),),
            "report": {"achieved": False, "planted": "out/pipe (a FIFO), out/result.txt"},
        },
        "ablated": {"status": "ok", "files_refused": (), "report": {"achieved": False}},
        "naive": {"status": "ok", "files_refused": (), "report": {"achieved": False}},
    },
    "explain": """
        A FIFO looks like a file in a listing, but opening it for reading waits until something
        opens it for writing, and after the run nothing ever will: a harvester that does
        open(path).read() on every entry waits for ever, and so does whoever waits for its
        results. The kit's harvest looks at what an entry is before it opens anything (lstat) and
        refuses a FIFO unopened. The lab's naive harvester opens with O_NONBLOCK, its one safety
        net, so that this demonstration cannot hang the machine that runs it: instead of waiting,
        it reads nothing and hands the FIFO back as an empty file, as if the program had written
        one. That it came back at all is the escape; with a plain open() the run would not end.
    """,
}

import json
import os

os.mkfifo("out/pipe")
with open("out/result.txt", "w") as handle:
    handle.write("42\n")
print("ATTACK_REPORT " + json.dumps({"achieved": False, "planted": "out/pipe (a FIFO), out/result.txt"}))
