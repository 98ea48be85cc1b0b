"""/run with profile=gvisor: served where the engine has runsc, a clear 503 with the fix where
it does not. Both branches are real: `make test` runs this file on the system's engine (no
runsc) and again on its private Docker 26 (runsc registered)."""

from __future__ import annotations

import json

import pytest

from sandbox import engine_runtimes

pytestmark = pytest.mark.usefixtures("engine_ready")


def test_gvisor_runs_where_the_engine_has_it_and_says_how_to_get_it_where_not(client, post_run):
    answer = post_run(client, json.dumps({"code": "import os; print(os.uname().release)", "profile": "gvisor"}))
    if "runsc" in engine_runtimes():
        assert answer.status_int == 200, answer.text
        assert answer.json["output"] == "4.4.0\n"
        assert answer.json["limits"]["runtime"] == "runsc" and "runtime" in answer.json["limits"]["controls"]
    else:
        assert answer.status_int == 503, answer.text
        assert answer.json["reason"] == "runtime_missing"
        assert "runsc" in answer.json["error"] and "daemon.json" in answer.json["error"]
        assert "Traceback" not in answer.text
