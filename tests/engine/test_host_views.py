"""What host_views hides and what stays visible, checked together with the docs' words.

The docs (docs/controls.md, docs/threat-model.md) say what a run can learn about the host and
about other runs; each claim here is
read from a real container and asserted beside the sentence that makes it, so that the two
cannot drift apart: the day the kit hides the container's id from mountinfo (or the load
average), this fails until the docs say so.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from sandbox import PROFILES, engine, run

H = PROFILES["hardened"]
DOCS = Path(__file__).resolve().parents[2] / "docs"
DOC_TEXT = re.sub(r"\s+", " ", " ".join(page.read_text(encoding="utf-8") for page in sorted(DOCS.glob("*.md"))))

ID_SENTENCE = (
    "The private cgroup namespace hides the container's cgroup path; the container's id still "
    "shows in `/proc/self/mountinfo` (the source of the `/etc/hostname` bind mount; a run without a "
    "network has the kit's own `/etc/hosts` and `/etc/resolv.conf`), a known limit in "
    "the threat model."
)

READ_IDS = """
import json
mountinfo = open("/proc/self/mountinfo").read()
cgroup = open("/proc/self/cgroup").read()
print(json.dumps({"mountinfo": mountinfo, "cgroup": cgroup}))
"""


def test_the_container_id_shows_in_mountinfo_not_in_the_cgroup_path_as_the_readme_says():
    assert ID_SENTENCE in DOC_TEXT
    result = run(READ_IDS, H)
    assert result.status == "ok", result.stderr
    seen = json.loads(result.stdout)
    short = result.container_id
    assert len(short) == 12
    # /etc/hostname's source names the container's own directory, by its full id; with the
    # engine's network disabled, /etc/hosts and /etc/resolv.conf are the kit's files.
    bound = {
        line.split()[4]: line.split()[3]
        for line in seen["mountinfo"].splitlines()
        if line.split()[4] in ("/etc/resolv.conf", "/etc/hostname", "/etc/hosts")
    }
    assert set(bound) == {"/etc/hostname", "/etc/hosts", "/etc/resolv.conf"}, bound
    assert re.search(rf"/{short}[0-9a-f]{{52}}/", bound["/etc/hostname"]), bound
    for name, file in (("hosts", "/etc/hosts"), ("resolv", "/etc/resolv.conf")):
        assert re.search(rf"/safe-python/{name}-[0-9a-f]{{16}}$", bound[file]) and short not in bound[file], bound
    if engine.kind().name == "podman":
        # Podman 4.3 makes no private cgroup namespace through the Docker API (docs/engines.md).
        assert short in seen["cgroup"]
    else:
        assert short not in seen["cgroup"]
        assert all(line.split(":", 2)[2] == "/" for line in seen["cgroup"].splitlines()), seen["cgroup"]


SHARED_COUNTERS = """
import ctypes, json, os

class SysInfo(ctypes.Structure):
    _fields_ = [("uptime", ctypes.c_long), ("loads", ctypes.c_ulong * 3), ("ram", ctypes.c_ulong * 6),
                ("procs", ctypes.c_ushort), ("rest", ctypes.c_char * 64)]

libc = ctypes.CDLL(None, use_errno=True)
libc.sysinfo.argtypes = [ctypes.POINTER(SysInfo)]
libc.sysinfo.restype = ctypes.c_int
info = SysInfo()
assert libc.sysinfo(ctypes.byref(info)) == 0
loadavg = open("/proc/loadavg").read().split()
print(json.dumps({
    "loadavg_threads": int(loadavg[3].split("/")[1]),
    "sysinfo_procs": info.procs,
    "getloadavg": len(os.getloadavg()),
    "autogroup": open("/proc/self/autogroup").read().split()[0],
    "pid1_start": int(open("/proc/1/stat").read().rsplit(")", 1)[1].split()[19]),
    "processes": [l for l in open("/proc/stat") if l.startswith("processes ")][0].split()[1],
}))
"""


def test_the_host_wide_counters_the_readme_lists_as_visible_are():
    # The threat model's row on other runs: these move with the host's containers, and stay
    # readable under hardened. A thread total far above the run's own two processes is the host's.
    assert "**Other runs leave traces in the host's counters.**" in DOC_TEXT
    for path in ("`/proc/loadavg`", "`sysinfo(2)`", "`/proc/self/autogroup`", "`/proc/1/stat`", "`/proc/stat`"):
        assert path in DOC_TEXT, path
    result = run(SHARED_COUNTERS, H)
    assert result.status == "ok", result.stderr
    seen = json.loads(result.stdout)
    assert seen["loadavg_threads"] > 10 and seen["sysinfo_procs"] > 10, seen
    assert abs(seen["loadavg_threads"] - seen["sysinfo_procs"]) < 50, seen  # one figure, two ways in
    assert seen["getloadavg"] == 3
    assert re.fullmatch(r"/autogroup-\d+", seen["autogroup"]), seen
    assert seen["pid1_start"] > 0 and int(seen["processes"]) > 0
