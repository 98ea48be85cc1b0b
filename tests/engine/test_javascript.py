"""JavaScript (Node.js): the seed's bonus idea, held to the same controls as Python."""

import pytest

from sandbox import PROFILES, RUNNER_UIDS, engine, run
from sandbox.languages import LANGUAGES

H = PROFILES["hardened"]
SHORT = H.replace(timeout_s=3)


def js(code, limits=H, **kw):
    return run(code, limits, language="javascript", **kw)


@pytest.fixture(autouse=True, scope="module")
def _node_image(engine_ready):
    from sandbox.errors import SandboxError

    try:
        engine.ensure_image(LANGUAGES["javascript"].image)
    except SandboxError as exc:
        pytest.fail(f"the JavaScript image is part of the kit's set-up: {exc}", pytrace=False)


def test_hello():
    r = js("console.log(2 + 2)")
    assert (r.status, r.stdout, r.exit_code) == ("ok", "4\n", 0)


def test_an_error_is_its_first_line_not_nodes_version_trailer():
    r = js("function f() { throw new TypeError('bad thing') }\nf()")
    assert r.status == "error" and r.message == "TypeError: bad thing"


def test_infinite_loop_times_out_and_is_removed():
    r = js("while (true) {}", SHORT)
    assert (r.status, r.stopped_by) == ("timeout", "timeout") and 3 <= r.duration_s < 4.5


def test_memory_hog_is_oom_killed():
    r = js("const a = []\nfor (let i = 0; i < 36; i++) a.push(Buffer.alloc(8 * 1024 * 1024, 1))")
    assert (r.status, r.stopped_by, r.oom_killed) == ("memory", "memory", True)


def test_network_is_unreachable():
    r = js("require('net').connect(7007, '192.0.2.1').on('error', e => { console.error(e.message); process.exit(1) })")
    assert r.status == "error" and "ENETUNREACH" in r.stderr and r.stopped_by == "network"


def test_root_filesystem_is_read_only_and_user_is_runner():
    r = js("require('fs').writeFileSync('/etc/owned', 'x')")
    assert r.status == "error" and "EROFS" in r.message and r.stopped_by is None and r.hint == "read_only"
    assert int(js("console.log(process.getuid())").stdout) in RUNNER_UIDS


def test_child_processes_are_held_by_the_pids_limit():
    # Up to 200 children that stay alive through the run; the report comes once every attempt
    # has settled ('spawn' or 'error'), so it waits for events, not for a fixed time.
    code = """
const { spawn } = require('child_process')
let born = 0, refused = null, tried = 0, settled = 0
const report = () => { console.log(JSON.stringify({ born, refused, tried })); process.exit(0) }
const settle = () => { if (++settled === tried) report() }
for (let i = 0; i < 200 && !refused; i++) {
  try {
    const child = spawn('sleep', ['60'])
    tried++
    child.on('spawn', () => { born++; settle() })
    child.on('error', e => { refused = refused || e.code; settle() })
  } catch (e) { refused = e.code }
}
if (tried === 0) report()
"""
    r = js(code)
    assert r.status == "ok", (r.status, r.message, r.stderr[-2000:])
    facts = __import__("json").loads(r.stdout)
    assert facts["refused"] == "EAGAIN", facts


def test_output_flood_is_capped():
    # 10 MB at most (the kit's bound for floods): a write loop that never ends can outrun the
    # pipe, and Node then queues the rest in memory until the memory limit ends it first.
    r = js("for (let i = 0; i < 10000; i++) process.stdout.write('y'.repeat(1000) + '\\n')")
    assert r.status == "output_limit" and r.truncated


def test_the_kits_seccomp_holds_node_too():
    r = js("console.log(require('os').cpus().length > 0, typeof require('crypto').randomBytes(4))")
    assert r.stdout == "true object\n"
