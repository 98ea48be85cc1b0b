ATTACK = {
    "title": "A link in out/ to the supervisor's environment",
    "category": "harvest",
    "control": "harvest",
    # As root: for the runner user the supervisor's /proc/1/environ is root's (it is non-dumpable),
    # so a naive harvester running as the runner gets EACCES too (see explain).
    "given": ["user"],
    "hardened": "out/environ is refused as a symbolic link; the program itself gets EACCES on /proc/1/environ",
    "ablated": "the program still gets EACCES, but the naive harvester, process 1 itself, follows the link and hands back its own environment",
    "escape_files": {"contains": {"environ": "PATH="}},
    "expect": {
        "hardened": {
            "status": "ok",
            "files_refused": (("environ", "a symbolic link (never followed): only regular files are harvested"),),
            "report": {"achieved": False, "direct": "EACCES"},
        },
        "ablated": {"status": "ok", "files_refused": (), "report": {"achieved": False, "direct": "EACCES"}},
        "naive": {"status": "ok", "files_refused": (), "report": {"achieved": False, "direct": "EACCES"}},
    },
    "gvisor": {
        "why": "gVisor's /proc does not close a non-dumpable process's environ to its own uid or to root (seen "
               "with runsc 20240729 in Docker 26): the program reads /proc/1/environ itself, as root here and as "
               "the runner too, the supervisor running under the run's uid. It holds the image's variables, the "
               "program's own (the run's secret travels on stdin). The harvest refuses the link as under runc",
        "expect": {
            "status": "ok",
            "files_refused": (("environ", "a symbolic link (never followed): only regular files are harvested"),),
            "report": {"achieved": False, "direct": "read"},
        },
    },
    "explain": """
        A confused deputy. The program cannot read the supervisor's environment: the supervisor
        makes itself non-dumpable, so /proc/1/environ needs CAP_SYS_PTRACE, which even root in the
        container lacks (the program reports EACCES). But a process may always read its own. The
        program leaves out/environ, a link to /proc/1/environ, and exits; a harvester that follows
        links opens it as process 1, and hands back its own environment: in a careless deployment,
        the secrets passed to the runner. The attack runs as root in both cases: as the runner
        user, /proc/1/environ of a non-dumpable process belongs to root, so a naive harvester of
        that uid gets EACCES too (and, handling no error, loses the whole harvest). The kit's
        harvest never follows the link.
    """,
}

import errno
import json
import os

try:
    with open("/proc/1/environ", "rb") as handle:
        handle.read()
    direct = "read"
except OSError as exc:
    direct = errno.errorcode.get(exc.errno, str(exc.errno))
os.symlink("/proc/1/environ", "out/environ")
print("ATTACK_REPORT " + json.dumps({"achieved": False, "direct": direct, "planted": "out/environ -> /proc/1/environ"}))
