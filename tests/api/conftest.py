"""In-process clients of the real app (WebTest), and helpers shared by the API tests.

Under --import-mode=importlib test modules cannot import this file, so helpers are fixtures.
"""

from __future__ import annotations

import pytest
import webtest

from sandbox import Pool
from server import Settings, create_app

HOST = "127.0.0.1:8000"  # the Host header a browser sends to the default server


def _client(pool, **settings) -> webtest.TestApp:
    app = create_app(Settings(**settings), pool)
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": HOST, "REMOTE_ADDR": "127.0.0.1"})


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
