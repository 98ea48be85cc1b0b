ATTACK = {
    "title": "A unix socket in out/",
    "category": "harvest",
    "control": "harvest",
    "hardened": "out/sock is refused as a socket, never opened; result.txt comes back",
    "ablated": "the naive harvester's open() of the socket fails (ENXIO), which ends its harvest: result.txt is lost too",
    "escape_files": {"missing": ["result.txt"]},
    "expect": {
        "hardened": {
            "status": "ok",
            "files_refused": (("sock", "a socket: only regular files are harvested"),),
            "report": {"achieved": False, "planted": "out/sock (a unix socket), out/result.txt"},
        },
        "ablated": {"status": "ok", "files_refused": (), "report": {"achieved": False}},
        "naive": {"status": "ok", "files_refused": (), "report": {"achieved": False}},
    },
    "explain": """
        Not every attack on a harvester reads something it should not; some make it lose what it
        should have kept. The program writes its answer to out/result.txt and binds a unix
        socket at out/sock. A socket cannot be opened like a file: open() fails with ENXIO. A
        harvester that loops over open(path).read() with no error handling stops at that
        exception, and every file, the honest result.txt included, is lost: one entry denies the
        whole run its output. The kit's harvest refuses the socket with its reason and goes on;
        the verdict comes from what came back (result.txt missing is the escape).
    """,
}

import json
import socket

with open("out/result.txt", "w") as handle:
    handle.write("42\n")
server = socket.socket(socket.AF_UNIX)
server.bind("out/sock")
server.close()  # the socket's file stays in out/
print("ATTACK_REPORT " + json.dumps({"achieved": False, "planted": "out/sock (a unix socket), out/result.txt"}))
