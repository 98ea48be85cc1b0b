"""The core tells a maintainer what went wrong through logging, never by printing, and counts the
containers it could not remove where /health shows them."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import requests

from sandbox import engine, failed_removals

ROOT = Path(__file__).resolve().parents[2]
CORE = sorted(ROOT.glob("sandbox/*.py"))


class RefusingAPI:
    """An engine whose every removal fails: lost (a connection error) or refused (an APIError)."""

    def __init__(self, error: Exception):
        self.error, self.calls = error, 0

    def remove_container(self, name_or_id, force=False):
        self.calls += 1
        raise self.error


def test_a_failed_removal_is_logged_with_the_container_and_counted(caplog, monkeypatch):
    monkeypatch.setattr(engine.time, "sleep", lambda s: None)
    before = failed_removals()
    lost = RefusingAPI(requests.exceptions.ConnectionError("Connection refused"))
    from docker.errors import APIError

    refused = RefusingAPI(APIError("500", explanation="device or resource busy"))
    with caplog.at_level(logging.WARNING, logger="sandbox.engine"):
        assert engine.remove_container("abc123", api=lost) is False
        assert engine.remove_container("def456", attempts=2, api=refused) is False
    assert failed_removals() == before + 2
    assert (lost.calls, refused.calls) == (1, 2)
    told = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("abc123" in m and "Connection refused" in m for m in told)
    assert any("def456" in m and "busy" in m for m in told)


def test_health_reports_the_failed_removals():
    from server.app import health_report

    class Checked:
        def check(self):
            return {"engine": {"ok": True, "detail": ""}, "image": {"ok": True}, "languages": {}}

    class Idle:
        def stats(self):
            return {"running": 0, "queued": 0, "workers": 1, "queue": 1}

    assert health_report(Checked(), Idle())["removals"] == {"failed": failed_removals()}


def _calls(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            names.append(
                func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            )
    return names


def test_the_core_never_prints_nor_configures_logging():
    """Its words go to loggers named after its modules; the application decides what is shown."""
    bad = [
        f"{path.name}: {name}"
        for path in CORE
        for name in _calls(ast.parse(path.read_text()))
        if name in ("print", "basicConfig", "dictConfig", "fileConfig")
    ]
    assert bad == []
    assert _calls(ast.parse("print(1)\nlogging.basicConfig()\n")) == ["print", "basicConfig"]


def test_each_core_logger_is_named_after_its_module():
    for path in CORE:
        source = path.read_text()
        if "getLogger(" in source:
            assert "log = logging.getLogger(__name__)" in source, path.name
