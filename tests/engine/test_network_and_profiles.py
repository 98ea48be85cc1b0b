"""The internal network, the seccomp profile's day-to-day cost, and the CPU quota."""

import json

from sandbox import PROFILES, run

H = PROFILES["hardened"]

REACH_TARGET = """
import json, socket
facts = {}
try:
    facts["target"] = socket.gethostbyname("target")
    s = socket.create_connection(("target", 7007), timeout=3)
    s.sendall(b"ping")
    facts["echo"] = s.recv(16).decode()
except OSError as e:
    facts["error"] = type(e).__name__ + ": " + str(e)
try:
    socket.gethostbyname("outside.invalid")
    facts["outside_name"] = "resolved"
except socket.gaierror as e:
    facts["outside_name"] = "refused"
print(json.dumps(facts))
"""


def test_without_network_reaches_only_the_kits_target():
    facts = json.loads(run(REACH_TARGET, H.without("network")).stdout)
    assert facts["echo"] == "ping"
    # Names outside the internal network do not resolve: nothing is forwarded to the host's resolver.
    assert facts["outside_name"] == "refused"


def test_two_runs_with_a_network_cannot_reach_each_other():
    import threading
    import time

    # The listener waits 25 s for a knock (its run has a 30 s clock): far longer than the
    # caller needs to be created, started and give up, so "nobody came" means the knock came
    # while it listened and did not get through, not that it came too late.
    listener = """
import socket, time
s = socket.socket()
s.bind(("0.0.0.0", 9000))
s.listen()
s.settimeout(25)
print(socket.gethostbyname(socket.gethostname()), flush=True)
try:
    s.accept()
    print("someone connected")
except OSError:
    print("nobody came")
"""
    address = {}
    seen = threading.Event()
    listener_done_at = []

    def note(stream, text):
        if stream == "stdout" and "ip" not in address:
            address["ip"] = text.split()[0]
            seen.set()
        if "nobody came" in text or "someone connected" in text:
            listener_done_at.append(time.monotonic())

    box = {}
    listening = H.without("network").replace(timeout_s=30)
    first = threading.Thread(target=lambda: box.setdefault("r", run(listener, listening, on_output=note)))
    first.start()
    assert seen.wait(20), "the listener never started"
    caller = (
        f"import socket\ntry:\n    socket.create_connection(({address['ip']!r}, 9000), timeout=3)\n"
        "    print('reached')\nexcept OSError as e:\n    print('unreachable', type(e).__name__)"
    )
    reached = run(caller, H.without("network")).stdout
    caller_done_at = time.monotonic()
    first.join(60)
    assert "unreachable" in reached, reached
    assert box["r"].status == "ok" and "nobody came" in box["r"].stdout, box["r"]
    # The caller had given up before the listener stopped listening: the test proved something.
    assert listener_done_at and caller_done_at < listener_done_at[0], (caller_done_at, listener_done_at)
    # ...while each still reaches the target (checked above in the first test of this file).


def test_hardened_cannot_even_resolve_the_target():
    facts = json.loads(run(REACH_TARGET).stdout)
    assert "echo" not in facts and "error" in facts and facts["outside_name"] == "refused"


def test_the_internal_network_gives_the_host_no_address_and_no_ipv6_beyond_loopback():
    from sandbox import engine, network

    with network.isolated() as name:  # the network one run gets
        attrs = engine.client().api.inspect_network(name)
        members = {c["Name"] for c in attrs["Containers"].values()}
    assert attrs["Internal"] is True and attrs["EnableIPv6"] is False
    if not engine.kind().internal_gateway:
        # Podman drops the option: its internal networks have no gateway address at all, so
        # the host (here the private engine's own network namespace) holds none to inhibit.
        assert [c.get("Gateway") for c in attrs["IPAM"]["Config"]] == ["<nil>"]
    else:
        assert attrs["Options"].get(network.INHIBIT_IPV4) == "true"
    assert members == {network.target_name()}  # the target, waiting for the run; nothing else
    # From inside: the default route's gateway is an address nobody holds (only an ARP
    # request on the local bridge is sent), and there is no IPv6 at all.
    code = """
import socket
route = open('/proc/net/route').read().split()
gateway = '.'.join(str(int(route[13][i:i + 2], 16)) for i in (6, 4, 2, 0))
try:
    socket.create_connection((gateway, 8000), timeout=2)
    print('gateway answered')
except OSError as e:
    print('gateway silent', type(e).__name__)
# One line per address; the last field names the interface. (Docker 25 and later keep ::1 on
# the loopback interface, which reaches nothing outside the container.)
print('ipv6 addresses:', sum(1 for line in open('/proc/net/if_inet6') if line.split()[-1] != 'lo'))
"""
    out = run(code, H.without("network")).stdout
    assert "gateway silent" in out and "ipv6 addresses: 0" in out, out


STDLIB = """
import asyncio, multiprocessing, sqlite3, subprocess, tempfile, threading
done = []
t = threading.Thread(target=lambda: done.append("thread")); t.start(); t.join()
with multiprocessing.Pool(2) as pool:
    done.append("pool=%d" % sum(pool.map(abs, [-1, -2, 3])))
done.append(subprocess.run(["echo", "subprocess"], capture_output=True, text=True).stdout.strip())
async def main():
    await asyncio.sleep(0.01)
    return "asyncio"
done.append(asyncio.run(main()))
done.append("sqlite=%d" % sqlite3.connect(":memory:").execute("select 40 + 2").fetchone()[0])
with tempfile.TemporaryDirectory() as d:
    done.append("tempdir")
print(" ".join(done))
"""


def test_the_kits_seccomp_profile_keeps_the_standard_library_working():
    r = run(STDLIB)
    assert r.status == "ok", r.stderr
    assert r.stdout.split() == ["thread", "pool=6", "subprocess", "asyncio", "sqlite=42", "tempdir"]


def test_cpu_quota_holds_several_spinning_processes_to_half_a_cpu():
    code = """
import json, os, time, multiprocessing
def read(*paths):
    for path in paths:
        try:
            return open(path).read().strip()
        except OSError:
            pass
    return ""
def throttled():
    text = read("/sys/fs/cgroup/cpu/cpu.stat", "/sys/fs/cgroup/cpu,cpuacct/cpu.stat", "/sys/fs/cgroup/cpu.stat")
    return int(dict(line.split() for line in text.splitlines()).get("nr_throttled", 0))
def quota():
    v1 = read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")
    if v1:
        return ("max" if int(v1) < 0 else v1) + "/" + read("/sys/fs/cgroup/cpu/cpu.cfs_period_us")
    return read("/sys/fs/cgroup/cpu.max").replace(" ", "/")
def spin(deadline):
    while time.time() < deadline:
        pass
deadline = time.time() + 2.0
procs = [multiprocessing.Process(target=spin, args=(deadline,)) for _ in range(4)]
before = throttled()
start = time.time(); cpu0 = sum(os.times()[2:4])
for p in procs: p.start()
for p in procs: p.join()
wall = time.time() - start
print(json.dumps({"ratio": round((sum(os.times()[2:4]) - cpu0) / wall, 2), "quota": quota(),
                  "throttled": throttled() - before}))
"""
    held = json.loads(run(code).stdout)
    # 0.5 CPU quota: generous bounds for a noisy machine, yet far from the 2 CPUs four spinners want.
    assert held["quota"] == "50000/100000" and held["throttled"] > 0, held
    assert 0.2 <= held["ratio"] <= 0.8, held
    # Without the control the kernel's facts say it: no quota, never throttled. How much CPU the
    # spinners then get depends on what else the host is doing, so the ratio is only a sanity check.
    free = json.loads(run(code, H.without("cpu")).stdout)
    assert free["quota"].startswith("max") and free["throttled"] == 0, free
    # How much CPU the unlimited run got depends on how busy the machine is (0.54 was seen under
    # CI's load): no quota and no throttling are the facts; its ratio is only shown.


FAMILIES = """
import errno, json, socket
out = {}
for name, family, kind in (("unix", 1, socket.SOCK_STREAM), ("inet", 2, socket.SOCK_STREAM),
                           ("inet6", 10, socket.SOCK_DGRAM), ("netlink", 16, socket.SOCK_RAW),
                           ("alg", 38, socket.SOCK_SEQPACKET), ("vsock", 40, socket.SOCK_STREAM),
                           ("rds", 21, socket.SOCK_SEQPACKET), ("tipc", 30, socket.SOCK_RDM)):
    try:
        socket.socket(family, kind).close()
        out[name] = "ok"
    except OSError as e:
        out[name] = errno.errorcode.get(e.errno, str(e.errno))
print(json.dumps(out))
"""


def test_the_kits_seccomp_allows_sockets_only_of_the_common_families():
    kit = json.loads(run(FAMILIES).stdout)
    assert {kit[f] for f in ("unix", "inet", "inet6", "netlink")} == {"ok"}
    rare = ("alg", "vsock", "rds", "tipc")
    assert {kit[f] for f in rare} == {"EPERM"}, kit
    # Docker's default lets these reach the kernel (which may or may not support them).
    default = json.loads(run(FAMILIES, H.without("seccomp")).stdout)
    assert any(default[f] != "EPERM" for f in rare), default
