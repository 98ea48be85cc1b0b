"""The queue's logic without a broker: the JSON a task carries, the worker's handling of one
(its runner and Redis replaced by fakes: what is tested is our bookkeeping, not a run), the
Celery settings the guarantees rest on, and the server's answers for a broker that is gone.
The real thing (Redis, two workers on two engines, a worker killed) is tests/api/test_fleet.py."""

from __future__ import annotations

import json

import pytest

from sandbox import KILL_GRACE_S, PROFILES, EngineUnavailable, InvalidLimits, Result, RunRefused, SandboxError, Status
from sandbox.fleet import protocol as P
from sandbox.fleet.client import worker_error
from sandbox.fleet.worker import Worker, celery_app, default_concurrency


def test_a_task_is_plain_json_and_gives_back_the_same_run():
    limits = PROFILES["hardened"].replace(timeout_s=3, name="hardened").without("network")
    message = P.task(
        "abc", "print(input())", limits, language="python", stdin="hi\n", files={"a.txt": "A", "b.bin": b"\x00\xff"}
    )
    wire = json.loads(json.dumps(message))  # JSON, nothing else, survives the trip
    args = P.run_arguments(wire)
    assert args["code"] == "print(input())" and args["stdin"] == "hi\n" and args["language"] == "python"
    assert args["limits"] == limits and args["limits"].name == limits.name
    assert args["files"] == {"a.txt": b"A", "b.bin": b"\x00\xff"}
    assert P.run_arguments(json.loads(json.dumps(P.task("x", "1", limits, stdin=b"\x01"))))["stdin"] == b"\x01"


def test_a_tasks_limits_are_checked_as_limits_are():
    fields = P.limits_fields(PROFILES["hardened"])
    with pytest.raises(InvalidLimits):
        P.limits_from({**fields, "memory_mib": -5})
    with pytest.raises(SandboxError, match="unknown fields"):
        P.limits_from({**fields, "command": "rm -rf /"})
    with pytest.raises(SandboxError):
        P.run_arguments({"v": 99, "code": "1"})


@pytest.mark.parametrize(
    ("given", "celery", "redis"),
    [
        ("unix:///run/r.sock", "redis+socket:///run/r.sock", "unix:///run/r.sock"),
        ("unix://:pw@/run/r.sock", "redis+socket://:pw@/run/r.sock", "unix://:pw@/run/r.sock"),
        ("redis://:pw@10.0.0.5:6379/0", "redis://:pw@10.0.0.5:6379/0", "redis://:pw@10.0.0.5:6379/0"),
    ],
)
def test_broker_addresses(given, celery, redis):
    assert P.urls(given) == (celery, redis)


@pytest.mark.parametrize("bad", ["http://x", "unix://relative", "redis://", "amqp://guest@host//"])
def test_a_broker_address_that_is_not_redis_is_refused_in_words(bad):
    with pytest.raises(SandboxError):
        P.urls(bad)


def test_the_visibility_timeout_always_exceeds_the_run_and_its_kill_grace():
    for longest in (1, 10, 60, 300):
        assert P.visibility_timeout(longest) > longest + KILL_GRACE_S
    assert P.longest(PROFILES["hardened"]) == PROFILES["hardened"].timeout_s
    assert P.longest(PROFILES["hardened"].without("timeout")) == 60


def test_celery_is_set_for_json_late_acks_and_one_run_at_a_time():
    conf = celery_app("redis+socket:///nowhere.sock", P.visibility_timeout(10), lambda m: None).conf
    assert conf.task_serializer == "json" and list(conf.accept_content) == ["json"]
    assert conf.task_acks_late and conf.task_reject_on_worker_lost and conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options["visibility_timeout"] == P.visibility_timeout(10)
    assert conf.task_default_queue == P.QUEUE


def test_a_worker_runs_by_default_what_the_host_cpus_hold():
    assert default_concurrency(2) == 4 and default_concurrency(1) == 2 and default_concurrency(16) == 32


class FakeRedis:
    """Just the calls the worker makes, in memory: keys and what was published."""

    def __init__(self):
        self.keys: dict[str, object] = {}
        self.published: list[tuple[str, dict]] = []

    def exists(self, name):
        return int(name in self.keys)

    def publish(self, channel, data):
        self.published.append((channel, json.loads(data) if data.startswith("{") else data))

    def pipeline(self, transaction=True):
        return FakePipe(self)


class FakePipe:
    def __init__(self, redis):
        self.redis, self.calls = redis, []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __getattr__(self, name):
        return lambda *a, **k: self.calls.append((name, a))

    def execute(self):
        out = []
        for name, args in self.calls:
            if name == "incr":
                self.redis.keys[args[0]] = int(self.redis.keys.get(args[0], 0)) + 1
                out.append(self.redis.keys[args[0]])
            elif name == "set":
                self.redis.keys[args[0]] = args[1]
            elif name == "publish":
                self.redis.publish(*args)
            out.append(None)
        return out


@pytest.fixture
def worker(monkeypatch):
    ran: list[dict] = []

    def fake_run(code, limits=None, **kw):
        ran.append({"code": code, **kw})
        return Result(Status.OK, "out\n", "", 0, 0.1, limits)

    monkeypatch.setattr("sandbox.fleet.worker.run", fake_run)
    w = Worker("unix:///nowhere.sock", concurrency=2, max_run_s=20, name="w1")
    w.redis = FakeRedis()
    w.ran = ran
    return w


def _events(worker, run_id):
    return [e for channel, e in worker.redis.published if channel == P.events(run_id)]


def test_a_worker_answers_once_and_says_which_attempt(worker):
    message = P.task("r1", "print(1)", PROFILES["hardened"])
    worker.handle(message)
    assert [e["event"] for e in _events(worker, "r1")] == ["started", "result"]
    assert _events(worker, "r1")[-1]["attempt"] == 1 and worker.redis.keys[P.key("done", "r1")] == "1"
    worker.handle(message)  # delivered again after its answer: not run again
    assert len(worker.ran) == 1 and len(_events(worker, "r1")) == 2


def test_a_redelivered_run_says_attempt_2(worker):
    worker.redis.keys[P.key("attempt", "r2")] = 1  # a first worker started it and was lost
    worker.handle(P.task("r2", "print(1)", PROFILES["hardened"]))
    assert _events(worker, "r2")[-1]["attempt"] == 2
    remote = P.RemoteResult(_events(worker, "r2")[-1]["result"], 2, "w1")
    assert remote.to_dict()["attempt"] == 2 and remote.ok and remote.output == "out\n"


def test_a_run_whose_client_left_is_skipped_and_one_too_long_refused(worker):
    worker.redis.keys[P.key("cancelled", "r3")] = "1"
    worker.handle(P.task("r3", "print(1)", PROFILES["hardened"]))
    assert [e["event"] for e in _events(worker, "r3")] == ["skipped"] and worker.ran == []
    worker.handle(P.task("r4", "print(1)", PROFILES["hardened"].without("timeout")))
    last = _events(worker, "r4")[-1]
    assert last["event"] == "error" and "at most 20 s" in last["message"] and worker.ran == []


def test_a_streamed_run_publishes_its_output_and_a_cancel_reaches_the_run(worker, monkeypatch):
    def fake_run(code, limits=None, on_output=None, cancel=None, **kw):
        on_output("stdout", "part")
        assert worker.cancel("r5") and cancel.is_set()  # the cancel channel's message, as it arrives
        return Result(Status.KILLED, "part", "", None, 0.1, limits)

    monkeypatch.setattr("sandbox.fleet.worker.run", fake_run)
    worker.handle(P.task("r5", "print(1)", PROFILES["hardened"], streamed=True))
    kinds = [e["event"] for e in _events(worker, "r5")]
    assert kinds == ["started", "output", "result"] and _events(worker, "r5")[-1]["result"]["status"] == "killed"
    assert not worker.cancel("r5")  # no longer running here


def test_a_workers_error_becomes_the_same_kit_error_on_the_server():
    assert isinstance(worker_error({"kind": "EngineUnavailable", "message": "gone"}), EngineUnavailable)
    refused = worker_error({"kind": "RunRefused", "message": "no"})
    assert isinstance(refused, RunRefused) and refused.message == "no"
    assert type(worker_error({"kind": "SomethingElse", "message": "?"})) is SandboxError


class GonePool:
    """A pool whose broker is gone, as FleetPool says it: only the server's answer is tested."""

    workers, queue = 2, 4

    def __init__(self, error):
        self.error = error

    def submit(self, *args, **kw):
        raise self.error

    def stats(self):
        return {"running": 0, "queued": 0, "workers": 2, "queue": 4}


@pytest.mark.parametrize(
    ("error", "reason"),
    [(P.BrokerUnavailable("Redis does not answer."), "broker_unavailable"), (P.NoWorkers("none"), "no_workers")],
)
def test_the_server_answers_503_with_the_reason_when_the_broker_is_gone(error, reason):
    import webtest

    from server import Settings, create_app

    app = webtest.TestApp(
        create_app(Settings(), GonePool(error)),
        extra_environ={"HTTP_HOST": "127.0.0.1:8000", "REMOTE_ADDR": "127.0.0.1"},
    )
    for path in ("/run", "/run/stream"):
        answer = app.post_json(path, {"code": "print(1)"}, status=503)
        assert answer.json["reason"] == reason and answer.headers["Retry-After"] == "5"
        assert str(error) in answer.json["error"]


def test_the_server_takes_broker_from_a_flag_or_the_environment():
    from server.settings import from_args

    assert from_args([]).broker is None and from_args([]).warm_size > 0
    given = from_args(["--broker", "unix:///r.sock"])
    assert given.broker == "unix:///r.sock" and given.warm_size == 0
    assert from_args([], {"SANDBOX_BROKER": "redis://:p@10.0.0.5:6379/0"}).broker == "redis://:p@10.0.0.5:6379/0"
