"""In-process clients of the real app (WebTest), and helpers shared by the API tests.

Every answer a WebTest client here receives is checked against the OpenAPI document the server
serves (/openapi.json): the contract is tested by every API test, not by one.

Under --import-mode=importlib test modules cannot import this file, so helpers are fixtures.
"""

from __future__ import annotations

import json

import jsonschema
import pytest
import webtest

from sandbox import Pool
from server import Settings, create_app
from server.openapi import OPENAPI

HOST = "127.0.0.1:8000"  # the Host header a browser sends to the default server


class CheckedApp(webtest.TestApp):
    """A WebTest client that checks every answer against the server's OpenAPI document."""

    def do_request(self, req, status=None, expect_errors=None):
        answer = super().do_request(req, status=status, expect_errors=expect_errors)
        path = req.environ.get("PATH_INFO", "")
        problem = contract_problem(req.method, path, answer.status_int, answer.content_type, answer.body)
        assert problem is None, problem
        return answer


def contract_problem(method: str, path: str, status: int, content_type: str, body: bytes) -> str | None:
    """Why an answer breaks /openapi.json, or None. Paths outside the document (the page's
    files) are not the API's; every JSON answer anywhere is at least the error shape or better."""
    operation = OPENAPI["paths"].get(path, {}).get(method.lower())
    if operation is None:
        if content_type == "application/json" and status >= 400:
            return _schema_problem(json.loads(body), OPENAPI["components"]["schemas"]["Error"], f"{method} {path}")
        return None
    responses = operation["responses"]
    documented = responses.get(str(status)) or responses.get("default")
    if documented is None:
        return f"{method} {path} answered {status}, which the document does not list"
    if "$ref" in documented:
        documented = OPENAPI["components"]["responses"][documented["$ref"].rsplit("/", 1)[1]]
    media = documented.get("content", {})
    if content_type not in media:
        return f"{method} {path} {status} answered {content_type}, the document says {sorted(media)}"
    if content_type == "application/json":
        return _schema_problem(json.loads(body), media[content_type]["schema"], f"{method} {path} {status}")
    return None


def _schema_problem(data, schema: dict, where: str) -> str | None:
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=str)
    return f"{where}: {errors[0].message}" if errors else None


def _checked(app) -> webtest.TestApp:
    return CheckedApp(app, extra_environ={"HTTP_HOST": HOST, "REMOTE_ADDR": "127.0.0.1"})


def _client(pool, **settings) -> webtest.TestApp:
    return _checked(create_app(Settings(**settings), pool))


@pytest.fixture
def checked_app():
    """checked_app(wsgi_app) -> a WebTest client whose every answer is checked against /openapi.json."""
    return _checked


@pytest.fixture(scope="module")
def pool():
    with Pool(workers=2, queue=4) as shared:
        yield shared


@pytest.fixture
def make_client():
    """make_client(pool, **Settings fields) -> a WebTest client of that app."""
    return _client


@pytest.fixture(scope="module")
def client(pool):
    """The app as `python -m server --timeout 3` would serve it, without a socket."""
    return _client(pool, timeout_s=3)


@pytest.fixture(scope="module")
def ablation_client(pool):
    return _client(pool, timeout_s=3, allow_ablation=True)


def _post_run(client, body, *, content_type="application/json", headers=None):
    data = body.encode("utf-8") if isinstance(body, str) else body
    return client.post("/run", params=data, content_type=content_type, headers=headers or {}, expect_errors=True)


@pytest.fixture
def post_run():
    """post_run(client, body_bytes_or_str, content_type=..., headers=...) -> the response, any status."""
    return _post_run
