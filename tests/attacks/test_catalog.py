"""The attack files and the catalog's own logic: no engine needed.

The metadata is checked for completeness and consistency; the judging rules are checked on
hand-made Results (our logic only, never evidence that a control works).
"""

from __future__ import annotations

import ipaddress
import re
import textwrap

import pytest

from sandbox import CONTROLS, MAX_CODE_CHARS, PROFILES
from sandbox.lab import catalog, staging
from sandbox.lab.errors import AttackError
from sandbox.result import Result

ATTACKS = catalog.all_attacks()
REQUIRED_CATEGORIES = set(catalog.CATEGORIES)


def test_there_are_at_least_25_applicable_attacks_covering_every_category():
    applicable = [a for a in ATTACKS if a.applicable]
    assert len(applicable) >= 25, len(applicable)
    assert {a.category for a in applicable} == REQUIRED_CATEGORIES


def test_every_control_is_shown_by_at_least_one_attack():
    shown = {a.control for a in ATTACKS if a.applicable and a.control}
    assert shown == set(CONTROLS), set(CONTROLS) - shown


def test_every_misconfiguration_is_shown_and_the_escape_ones_are_there():
    shown = {a.misconfiguration for a in ATTACKS if a.misconfiguration}
    assert shown == set(catalog.MISCONFIGURATIONS)
    escapes = {a.misconfiguration for a in ATTACKS if a.category == "escape"}
    assert {"privileged", "docker_socket", "host_mount", "cap_sys_admin"} <= escapes


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_metadata_is_complete_and_consistent(attack):
    assert attack.title and attack.hardened and attack.ablated
    assert len(attack.explain) >= 200, "the explanation should be a real paragraph"
    assert (attack.control in CONTROLS) != bool(attack.misconfiguration)
    assert attack.category in catalog.CATEGORIES
    assert all(g in CONTROLS and g != attack.control for g in attack.given)
    assert {"hardened", "ablated"} <= set(attack.expect)
    # The source is sent as it is: it must fit the runner's limit on code.
    assert len(attack.source) <= MAX_CODE_CHARS, len(attack.source)
    # The ablated case really differs from the hardened one in exactly the named way.
    hardened, ablated = attack.limits("hardened"), attack.limits("ablated")
    if attack.control:
        assert hardened.is_on(attack.control) and not ablated.is_on(attack.control)
        assert set(hardened.controls()) - set(ablated.controls()) == {attack.control}
    else:
        assert hardened.controls() == ablated.controls()
    for control in attack.given:
        assert not hardened.is_on(control) and not ablated.is_on(control)
    assert hardened.timeout_s == attack.timeout


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_attack_programs_report_and_aim_at_nothing_but_the_target(attack):
    code = attack.source
    assert 'print("ATTACK_REPORT " + json.dumps(' in code
    # No address literal other than loopback, and no URL anywhere: only the name "target".
    for literal in re.findall(r"\b\d{1,3}(?:\.\d{1,3}){3}\b", code):
        assert ipaddress.ip_address(literal).is_loopback, literal
    assert "http://" not in code and "https://" not in code
    for host in re.findall(r"getaddrinfo\(\s*\"([^\"]+)\"", code):
        assert host == "target", host
    # Never near a cgroup release_agent, never the cloud metadata address.
    assert "release_agent" not in code and "169.254" not in code


def test_timeout_attacks_outlive_their_limit_but_end_on_their_own():
    timed = [a for a in ATTACKS if a.control == "timeout"]
    assert len(timed) >= 3
    for attack in timed:
        assert attack.timeout <= 5  # short, so the suite stays quick
        assert "sleep(8)" in attack.source or "< 8" in attack.source


def test_load_never_executes_the_attack(tmp_path, monkeypatch):
    marker = tmp_path / "executed"
    (tmp_path / "sneaky.py").write_text(
        textwrap.dedent(f"""
        open({str(marker)!r}, "w").write("ran on the host")
        ATTACK = {{"title": "t", "category": "cpu", "control": "cpu", "hardened": "h", "ablated": "a",
                  "explain": "e", "expect": {{"hardened": {{}}, "ablated": {{}}}}}}
    """)
    )
    monkeypatch.setattr(catalog, "ATTACKS_DIR", tmp_path)
    attack = catalog.load("sneaky")
    assert attack.control == "cpu" and not marker.exists()


@pytest.mark.parametrize(
    "body, complaint",
    [
        ("ATTACK = dict(title='x')", "literal"),
        ("x = 1", "no top-level ATTACK"),
        ("ATTACK = {'title': 't'}", "missing"),
        (
            "ATTACK = {'title': 't', 'category': 'cpu', 'control': 'teleport', 'hardened': 'h', 'ablated': 'a',"
            " 'explain': 'e', 'expect': {'hardened': {}, 'ablated': {}}}",
            "control 'teleport'",
        ),
        (
            "ATTACK = {'title': 't', 'category': 'cpu', 'control': 'cpu', 'misconfiguration': 'privileged',"
            " 'hardened': 'h', 'ablated': 'a', 'explain': 'e', 'expect': {'hardened': {}, 'ablated': {}}}",
            "exactly one",
        ),
        (
            "ATTACK = {'title': 't', 'category': 'moon', 'control': 'cpu', 'hardened': 'h', 'ablated': 'a',"
            " 'explain': 'e', 'expect': {'hardened': {}, 'ablated': {}}}",
            "category 'moon'",
        ),
        ("def broken(:", "not valid Python"),
        *(
            (
                f"ATTACK = {{'title': 't', 'category': 'processes', 'control': 'pids', 'hardened': 'h', 'ablated': 'a',"
                f" 'explain': 'e', 'expect': {{'hardened': {{}}, 'ablated': {{}}}}, 'escape_record': {record}}}",
                "escape_record",
            )
            for record in (
                "{'achieved': True}",
                "{'peak_tasks': 'many'}",
                "{'peak_tasks': True}",
                "{'peak_tasks': {}}",
                "{'peak_tasks': {'least': 1}}",
                "['peak_tasks']",
            )
        ),
        *(
            (
                f"ATTACK = {{'title': 't', 'category': 'harvest', 'control': 'harvest', 'hardened': 'h',"
                f" 'ablated': 'a', 'explain': 'e', 'expect': {{'hardened': {{}}, 'ablated': {{}}}},"
                f" 'escape_files': {found}}}",
                "escape_files",
            )
            for found in (
                "{'achieved': True}",
                "{'contains': ['leak']}",
                "{'contains': {'leak': 1}}",
                "{'missing': 'a.txt'}",
                "{'host_refused': 'some'}",
                "{'files': {'least': 1}}",
                "['contains']",
                "[]",
                "[{}]",
                "[{'missing': ['a.txt']}, {'missing': 'a.txt'}]",
            )
        ),
    ],
)
def test_malformed_metadata_is_refused_clearly(tmp_path, monkeypatch, body, complaint):
    (tmp_path / "bad.py").write_text(body + "\n")
    monkeypatch.setattr(catalog, "ATTACKS_DIR", tmp_path)
    with pytest.raises(AttackError) as caught:
        catalog.load("bad")
    assert complaint in str(caught.value) and "bad" in str(caught.value)


def test_unknown_names_and_categories_are_refused_with_the_known_ones():
    with pytest.raises(AttackError, match="fork_bomb"):
        catalog.load("no_such_attack")
    with pytest.raises(AttackError, match="not an attack name"):
        catalog.load("../etc/passwd")
    with pytest.raises(AttackError, match="Categories: cpu"):
        catalog.all_attacks(categories=["moon"])
    with pytest.raises(AttackError, match="Cases"):
        catalog.load("fork_bomb").limits("sideways")


def test_cases_are_built_as_documented():
    raw = catalog.load("raw_socket")  # control capabilities, given user
    assert raw.limits("hardened").user == "root" and raw.limits("hardened").cap_drop_all
    assert raw.limits("ablated").user == "root" and not raw.limits("ablated").cap_drop_all
    assert raw.limits("naive") == PROFILES["naive"]
    priv = catalog.load("privileged_host_devices")
    assert not priv.limits("hardened").privileged and priv.limits("ablated").privileged
    sock = catalog.load("docker_socket")
    assert [m.target for m in sock.limits("ablated").mounts] == ["/var/run/docker.sock"]
    assert catalog.load("cap_sys_admin_mount").limits("ablated").cap_add == ("SYS_ADMIN",)
    assert catalog.load("userns_unshare").limits("ablated").seccomp == "unconfined"
    assert catalog.load("sleep_forever").limits("hardened").timeout_s == 3


def test_needs_are_checked_only_for_the_case_that_mounts_the_socket(monkeypatch):
    """Hardened and naive mount nothing of the host: a host without a socket still runs them."""
    ran = []

    def fake_run(code, limits, **kwargs):
        ran.append(limits.name)
        return fake(stdout='ATTACK_REPORT {"achieved": false, "errno": "ENOENT"}')

    monkeypatch.setitem(catalog.NEEDS, "docker_socket", lambda: False)
    monkeypatch.setattr(staging, "run", fake_run)
    attack = catalog.load("docker_socket")
    assert catalog.run_attack(attack, "hardened").verdict == "contained"
    assert catalog.run_attack(attack, "naive").verdict == "contained"
    ablated = catalog.run_attack(attack, "ablated")
    assert ablated.verdict == "skipped" and "docker_socket" in ablated.evidence
    assert catalog.run_attack(attack, attack.limits("ablated")).verdict == "skipped"
    assert ran == [attack.limits("hardened").name, "naive"]


# -- judging, on hand-made results (the logic, not the evidence) --------------------------------


def fake(status="ok", stdout="", stderr="", oom=False, truncated=False, message="m", stopped_by=None):
    return Result(
        status=status,
        stdout=stdout,
        stderr=stderr,
        exit_code=0,
        duration_s=1.0,
        limits=PROFILES["hardened"],
        oom_killed=oom,
        truncated=truncated,
        message=message,
        stopped_by=stopped_by,
    )


def test_parse_report_takes_the_last_report_line_and_ignores_garbage():
    out = 'noise\nATTACK_REPORT {"achieved": false}\nmore\nATTACK_REPORT {"achieved": true, "n": 2}\n'
    assert catalog.parse_report(out) == {"achieved": True, "n": 2}
    assert catalog.parse_report("ATTACK_REPORT {not json") is None
    assert catalog.parse_report("ATTACK_REPORT [1, 2]") is None
    assert catalog.parse_report("nothing here") is None


def test_judge_uses_the_report_and_the_engines_facts():
    assert catalog.judge(fake(), {"achieved": True, "errno": None})[0] == "escaped"
    verdict, evidence = catalog.judge(fake(), {"achieved": False, "errno": "EAGAIN"})
    assert verdict == "contained" and "errno=EAGAIN" in evidence
    verdict, evidence = catalog.judge(fake("memory", oom=True, stopped_by="memory"), None)
    assert verdict == "contained" and "OOMKilled" in evidence
    # Neither a report nor a stop by the sandbox: the attack is broken, not "contained".
    assert catalog.judge(fake("error"), None)[0] == "error"
    assert catalog.judge(fake(), {"errno": "EPERM"})[0] == "error"
    # A planted canary must be quoted for an escape to count.
    assert catalog.judge(fake(), {"achieved": True, "secrets": {}}, canary="canary-1")[0] == "error"
    assert catalog.judge(fake(), {"achieved": True, "secrets": {"K": "canary-1"}}, canary="canary-1")[0] == "escaped"


def test_expectations_match_exact_values_lists_ranges_and_nested_dicts():
    result = fake("output_limit", stdout="x" * 10, truncated=True)
    report = {"achieved": False, "errno": "EAGAIN", "children": 61, "errors": {"/tmp": "ENOSPC"}, "ifs": ["lo"]}
    good = {
        "status": "output_limit",
        "truncated": True,
        "output_bytes": 10,
        "report": {
            "errno": ["EAGAIN", "ENOMEM"],
            "children": {"min": 40, "max": 63},
            "errors": {"/tmp": "ENOSPC"},
            "ifs": ["lo"],
        },
    }
    assert catalog.check_expectations(good, result, report) == []
    bad = {"status": "ok", "report": {"children": {"max": 10}, "errors": {"/tmp": "EROFS"}}}
    problems = catalog.check_expectations(bad, result, report)
    assert len(problems) == 3 and any("children" in p for p in problems)
    assert catalog.check_expectations({"report": None}, result, report) == [f"report: expected none, got {report}"]
    assert catalog.check_expectations({"report": {"achieved": False}}, result, None) == [
        "report: expected one, got none"
    ]


def test_what_came_back_decides_a_harvest_attack_not_its_report():
    """The program cannot see the harvest: `escape_files` is judged on the Result's files and
    refusals, and the evidence carries the refusal's reason."""
    from sandbox import OutputFile, Result, Status
    from sandbox.files import HOST

    attack = catalog.load("harvest_canary_link")

    def result(files=(), refused=()):
        kept = {n: OutputFile(name=n, data=d, size=len(d), type="text/plain") for n, d in files}
        return Result(Status.OK, "", "", 0, 0.2, catalog.HARDENED, files=kept, files_refused=tuple(refused))

    link = ("leak", "a symbolic link (never followed): only regular files are harvested")
    verdict, evidence = catalog.judge_on_files(attack, result(refused=[link]), catalog.Verdict.CONTAINED, "ok")
    assert verdict == "contained" and "leak: a symbolic link (never followed)" in evidence
    leaked = result(files=[("leak", b"HARVEST-CANARY-outside-out\n")])
    verdict, evidence = catalog.judge_on_files(attack, leaked, catalog.Verdict.CONTAINED, "ok")
    assert verdict == "escaped" and "leak (27 B holding 'HARVEST-CANARY-outside-out')" in evidence
    # A file by that name that does not hold the canary is not the escape.
    other = result(files=[("leak", b"written by the program")])
    assert catalog.judge_on_files(attack, other, catalog.Verdict.CONTAINED, "ok")[0] == "contained"
    # A run that broke stays an error unless what came back shows the escape.
    assert catalog.judge_on_files(attack, result(), catalog.Verdict.ERROR, "no report")[0] == "error"
    # A file missing is an escape only where the program's report says it was left there.
    socket_attack = catalog.load("harvest_socket")
    assert catalog.judge_on_files(socket_attack, result(), catalog.Verdict.CONTAINED, "ok")[0] == "escaped"
    assert catalog.judge_on_files(socket_attack, result(), catalog.Verdict.ERROR, "no report")[0] == "error"
    # The counts: what only the host's re-check refused.
    sparse = catalog.load("harvest_sparse_file")
    big = result(refused=[("huge", HOST + "over the 2 MiB bound a file")])
    assert catalog.judge_on_files(sparse, big, catalog.Verdict.CONTAINED, "ok")[0] == "escaped"
    unread = result(refused=[("huge", "1099511627776 bytes: over the bound of 2097152 a file")])
    assert catalog.judge_on_files(sparse, unread, catalog.Verdict.CONTAINED, "ok")[0] == "contained"
    # Several ways an escape can end: any one of them is the escape. The folder loop's naive walk
    # loses every file, or (the kernel stopped it early) hands a.txt back under loop/ names.
    loop = catalog.load("harvest_dir_loop")
    answer = b"the answer\n"
    kept = result(files=[("a.txt", answer)], refused=[("loop", "a symbolic link (never followed): ...")])
    assert catalog.judge_on_files(loop, kept, catalog.Verdict.CONTAINED, "ok")[0] == "contained"
    assert catalog.judge_on_files(loop, result(), catalog.Verdict.CONTAINED, "ok")[0] == "escaped"
    walked = result(files=[("a.txt", answer), ("loop/a.txt", answer), ("loop/loop/a.txt", answer)])
    assert catalog.judge_on_files(loop, walked, catalog.Verdict.CONTAINED, "ok")[0] == "escaped"
    # A run that broke: a file missing proves nothing, a file back under a followed name does.
    assert catalog.judge_on_files(loop, result(), catalog.Verdict.ERROR, "no report")[0] == "error"
    assert catalog.judge_on_files(loop, walked, catalog.Verdict.ERROR, "no report")[0] == "escaped"
    # Without escape_files, nothing changes.
    bomb = catalog.load("fork_bomb")
    assert catalog.judge_on_files(bomb, leaked, catalog.Verdict.CONTAINED, "ok") == ("contained", "ok")
