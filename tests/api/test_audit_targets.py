"""The audit's targets on the real engine: the HTTP target against the kit's own server, a
docker-run target that leaves no container even when the harness has to end it, the network
attacks' foreign mode sending no packet, and the audit of the real peers from PyPI.

These run once, in the main pass (the api room): what they prove is the harness's and the peers'
behaviour, not a claim about what one engine's containers do. About 60 s in all, most of it the
peer audit (four quick attacks and one that cannot apply, on three targets).
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from sandbox import PROFILES, run
from sandbox.lab import catalog, targets
from sandbox.lab.verdict import Verdict
from server.process import ServerProcess

pytestmark = pytest.mark.usefixtures("engine_ready")

NETWORK_ATTACKS = [a.name for a in catalog.all_attacks(categories=["network"]) if a.foreign]
# Counts what each interface other than loopback sent, around the attack's foreign mode.
COUNTED = """
import glob, json
def sent():
    return {p.split('/')[4]: int(open(p).read()) for p in glob.glob('/sys/class/net/*/statistics/tx_packets')
            if p.split('/')[4] != 'lo'}
before = sent()
try:
    exec(compile(SOURCE, 'attack', 'exec'), {'__name__': '__main__'})
except SystemExit:
    pass
CONTROL
after = sent()
print('SENT ' + json.dumps({name: after[name] - before.get(name, 0) for name in after}))
"""
# The test's own control: one datagram to the container's gateway (the engine's bridge on this
# machine, which goes no further) must be counted, or counting proves nothing.
ONE_DATAGRAM = """
import socket, struct
with open('/proc/net/route') as table:
    gateway = next(socket.inet_ntoa(struct.pack('<L', int(row.split()[2], 16)))
                   for row in table.read().splitlines()[1:] if row.split()[1] == '00000000')
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'counted', (gateway, 9))
"""


def packets_sent(source: str, control: str = "") -> dict:
    program = COUNTED.replace("SOURCE", repr(source)).replace("CONTROL", control)
    result = run(program, PROFILES["naive"])  # Docker's defaults: a network with a route out
    line = next(line for line in result.stdout.splitlines() if line.startswith("SENT "))
    return json.loads(line[5:])


@pytest.mark.parametrize("name", NETWORK_ATTACKS)
def test_a_network_attack_sends_no_packet_against_a_foreign_target(name):
    attack = catalog.load(name)
    sent = packets_sent(targets.FOREIGN_HEADER + attack.source)
    assert sent, "the naive profile has a network interface to count on"
    assert sum(sent.values()) == 0, f"{name} in its foreign mode sent packets: {sent}"


def test_the_packet_count_sees_one_datagram():
    sent = packets_sent("", ONE_DATAGRAM)
    assert sum(sent.values()) >= 1, sent


def test_http_target_runs_a_program_on_the_kit_s_own_server(child_session):
    srv = ServerProcess("--warm", "0", session=child_session()).start()
    try:
        target = targets.parse(f"http:{srv.url}/run")
        ran = target.run("print('ATTACK_REPORT {\"achieved\": false}')")
        assert ran.failure is None and ran.exit_code == 0, ran
        assert "ATTACK_REPORT" in ran.stdout
        failed = target.run("raise SystemExit(3)")
        assert failed.exit_code == 3, failed
    finally:
        assert srv.stop() == 0, srv.log()


def test_docker_run_target_leaves_no_container_when_the_harness_ends_it():
    seed = targets.parse("docker-run:seed")
    assert isinstance(seed, targets.DockerRunTarget)
    seed.bound_s = 3
    ran = seed.run("import time\ntime.sleep(60)\n")
    assert ran.harness_killed, ran
    # Other audits may run at once: ours carry this process's id in the label.
    left = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label={targets.AUDIT_LABEL}={os.getpid()}"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert left.stdout.split() == [], left.stdout


# Four quick attacks of four categories a foreign target can be judged on (processes, disk, network,
# privilege), and one that cannot apply there; the whole catalog is `make audit-peers`.
PEER_SUBSET = [
    "sleep_forever",
    "memory_hog",
    "fork_bomb",
    "write_root_fs",
    "tcp_egress",
    "become_root",
    "setuid_binary",
]


def test_the_peers_from_pypi_are_audited_completely_beside_the_kit(require):
    missing = [name for name in targets.PEERS if targets.peer_version(name) is None]
    if missing:
        require("the peers' environments", f"{', '.join(missing)} not built (make peers)", "SANDBOX_REQUIRE_DOCKER")
    chosen = [targets.parse(spec) for spec in ("kit:hardened", "epicbox", "llm-sandbox")]
    found = targets.audit(catalog.all_attacks(only=PEER_SUBSET), chosen)
    assert found.complete
    for cell in found.cells:
        assert cell.verdict in set(Verdict) - {Verdict.SKIPPED}, cell
        assert cell.evidence, cell
    assert found.kit_contained(), [c.to_dict() for c in found.column("kit:hardened")]
    for label in ("epicbox", "llm-sandbox"):
        column = [c for c in found.cells if c.target.startswith(label)]
        # Their verdicts are facts about them; that they ran, each on its report or its end, is ours.
        assert len(column) == len(PEER_SUBSET)
        assert {c.basis for c in column if c.verdict != Verdict.NOT_APPLICABLE} <= {
            "by the program's report",
            "by the target's end",
        }
        assert [c.verdict for c in column if c.attack.name == "setuid_binary"] == [Verdict.NOT_APPLICABLE]
        assert not [c for c in column if c.verdict == Verdict.ERROR], [c.to_dict() for c in column]
