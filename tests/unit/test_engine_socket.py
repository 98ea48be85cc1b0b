"""Which host socket the catalog and the demo mount: the one DOCKER_HOST names (our logic only)."""

import socket

import pytest

from sandbox import engine
from sandbox.cli import demo
from sandbox.lab import catalog


@pytest.fixture
def listening(tmp_path):
    """A real unix socket in a temporary folder, as an engine on another socket would have."""
    path = tmp_path / "engine.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    yield str(path)
    server.close()


def test_docker_host_names_the_socket(monkeypatch, listening):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{listening}")
    assert catalog.engine_socket_path() == listening
    assert catalog.NEEDS["docker_socket"]()
    # The ablated case mounts that socket where the attack looks for it inside the container.
    mounts = catalog.load("docker_socket").limits("ablated").mounts
    assert [(m.source, m.target, m.read_only) for m in mounts] == [(listening, catalog.DOCKER_SOCKET, True)]


@pytest.mark.parametrize("host", ["tcp://127.0.0.1:2375", "ssh://user@host", "unix:///nonexistent/docker.sock"])
def test_no_local_socket_is_none_and_the_socket_case_is_not_runnable(monkeypatch, host):
    monkeypatch.setenv("DOCKER_HOST", host)
    assert catalog.engine_socket_path() is None
    assert not catalog.NEEDS["docker_socket"]()


def test_a_plain_file_is_not_a_socket(monkeypatch, tmp_path):
    (tmp_path / "docker.sock").write_text("not a socket")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'docker.sock'}")
    assert catalog.engine_socket_path() is None


def test_no_docker_host_means_dockers_default_path(monkeypatch):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setattr(engine, "is_socket", lambda path: path == "/var/run/docker.sock")
    assert catalog.engine_socket_path() == "/var/run/docker.sock"


def test_the_demo_asks_the_same_function():
    assert demo.engine.socket_path is catalog.engine_socket_path
