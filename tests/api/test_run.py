"""/run against the real engine: the seed's contract, every status, profiles, ablation, and
the read-only endpoints."""

from __future__ import annotations

import json

import pytest

from sandbox import CONTROLS

pytestmark = pytest.mark.usefixtures("engine_ready")

RESULT_FIELDS = {
    "status",
    "stdout",
    "stderr",
    "exit_code",
    "duration_s",
    "truncated",
    "timed_out",
    "oom_killed",
    "stopped_by",
    "message",
    "limits",
    "profile",
}


def run(client, post_run, **body):
    answer = post_run(client, json.dumps(body))
    assert answer.status_int == 200, answer.text
    return answer.json


def test_seed_contract_two_plus_two(client, post_run):
    data = run(client, post_run, code="print(2 + 2)")
    assert data["output"] == "4\n"
    assert "error" not in data
    assert set(data) >= RESULT_FIELDS
    assert (data["status"], data["stdout"], data["stderr"], data["exit_code"]) == ("ok", "4\n", "", 0)
    assert data["stopped_by"] is None and data["truncated"] is False
    assert data["duration_s"] > 0
    assert data["limits"]["controls"] == list(CONTROLS)
    assert data["limits"]["timeout_s"] == 3  # the server's --timeout is in force


def test_timeout_answers_the_seed_error_message(client, post_run):
    data = run(client, post_run, code="while True:\n    pass\n")
    assert data["error"] == "Execution timed out after 3 seconds"
    assert "output" not in data
    assert (data["status"], data["stopped_by"], data["timed_out"]) == ("timeout", "timeout", True)


def test_program_error_is_a_200_with_its_last_line(client, post_run):
    data = run(client, post_run, code="print('before')\n1 / 0\n")
    assert data["error"] == "ZeroDivisionError: division by zero"
    assert data["status"] == "error" and data["exit_code"] == 1
    assert data["stdout"] == "before\n" and "Traceback" in data["stderr"]  # the program's own, kept apart


def test_memory_hog_is_stopped_by_memory(client, post_run):
    code = "x = []\nfor _ in range(36):\n    x.append(bytearray(8 * 1024 * 1024))\n"
    data = run(client, post_run, code=code)
    assert (data["status"], data["stopped_by"], data["oom_killed"]) == ("memory", "memory", True)


def test_output_flood_is_truncated(client, post_run):
    data = run(client, post_run, code="for i in range(1_000_000):\n    print('spam', i)\n")
    assert (data["status"], data["stopped_by"], data["truncated"]) == ("output_limit", "output_cap", True)
    assert len(data["stdout"]) <= 64 * 1024


def test_code_of_exactly_5000_characters_runs(client, post_run):
    code = "print('edge')\n" + "#" * (5000 - len("print('edge')\n"))
    assert len(code) == 5000
    assert run(client, post_run, code=code)["output"] == "edge\n"


def test_unicode_code_and_output_survive(client, post_run):
    assert run(client, post_run, code="print('héllo wörld ✓ 🐍')")["output"] == "héllo wörld ✓ 🐍\n"


def test_the_seed_with_the_kits_guards_is_selectable_and_the_exact_seed_is_not(client, post_run):
    data = run(client, post_run, code="print(1)", profile="seed_hardened")
    assert data["profile"] == "seed_hardened" and data["limits"]["name"] == "seed_hardened"
    controls = data["limits"]["controls"]
    assert {"seccomp", "capabilities", "no_new_privileges", "distinct_uid", "memory"} <= set(controls)
    assert {"ulimits", "ptys", "host_views"} <= set(controls)  # what the host shares between runs
    assert "harvest" in controls  # out/ comes back by the kit's rules, never the naive harvester
    assert "output_cap" in controls  # the server's own addition, see below
    refused = post_run(client, json.dumps({"code": "print(1)", "profile": "seed"}))
    assert (refused.status_int, refused.json["reason"]) == (403, "ablation_disabled")
    assert "seed_hardened" in refused.json["error"]


def test_seed_profile_keeps_the_output_cap_over_http(client, post_run):
    # The seed profile has no cap of its own; over HTTP one answer could otherwise reach the
    # core's 16 MiB safety net.
    flood = next(e for e in client.get("/api/examples").json["examples"] if e["name"] == "output_flood")
    data = run(client, post_run, code=flood["code"], profile="seed_hardened")
    assert (data["status"], data["stopped_by"], data["truncated"]) == ("output_limit", "output_cap", True)
    assert len(data["stdout"].encode("utf-8")) <= 64 * 1024
    assert data["limits"]["output_cap_bytes"] == 64 * 1024


def test_only_a_teachers_server_removes_the_output_cap(client, ablation_client, post_run):
    for profile in ("seed", "naive"):
        limits = ablation_client.get("/api/config").json["limits"][profile]
        assert limits["output_cap_bytes"] == 64 * 1024, profile
    removed = run(ablation_client, post_run, code="print(1)", profile="seed", without=["output_cap"])
    assert removed["limits"]["output_cap_bytes"] is None and "output_cap" not in removed["limits"]["controls"]
    refused = post_run(client, json.dumps({"code": "print(1)", "profile": "seed", "without": ["output_cap"]}))
    assert refused.status_int == 403


def test_ablation_removes_a_control_when_the_teacher_allows_it(ablation_client, post_run):
    code = "import urllib.request\nprint(urllib.request.urlopen('http://target:8080/', timeout=5).read().decode())\n"
    blocked = run(ablation_client, post_run, code=code)
    assert (blocked["status"], blocked["stopped_by"]) == ("error", "network")
    opened = run(ablation_client, post_run, code=code, without=["network"])
    assert opened["status"] == "ok", opened["stderr"]
    assert "kit's own target container" in opened["stdout"]  # only ever the kit's own target
    assert "network" not in opened["limits"]["controls"]


def test_health_reports_engine_image_and_queue(client):
    health = client.get("/health").json
    assert health["ok"] and health["engine"]["ok"] and health["image"]["ok"]
    assert health["pool"] == {"running": 0, "queued": 0, "workers": 2, "queue": 4}
    assert set(health["warm"]) == {"idle", "starting", "busy", "size"}
    assert set(health["removals"]) == {"failed"} and isinstance(health["removals"]["failed"], int)


def test_examples_are_served_with_their_expected_outcome(client):
    examples = {e["name"]: e for e in client.get("/api/examples").json["examples"]}
    for name in ("hello", "infinite_loop", "memory_hog", "fork_bomb", "network_call"):
        assert examples[name]["code"] and examples[name]["expect"]
    assert examples["memory_hog"]["control"] == "memory"


def test_config_lists_only_safe_profiles_unless_ablation(client, ablation_client):
    plain = client.get("/api/config").json
    assert plain["profiles"] == ["hardened", "seed_hardened", "gvisor"] and plain["allow_ablation"] is False
    assert plain["limits"]["hardened"]["timeout_s"] == 3
    teacher = ablation_client.get("/api/config").json
    assert teacher["allow_ablation"] is True and {"naive", "seed"} <= set(teacher["profiles"])
