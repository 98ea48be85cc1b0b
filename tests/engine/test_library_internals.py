"""docker-py's attach socket, on the real engine: what sandbox/docker_internals.py relies on.

tests/unit/test_library_internals.py checks the same names on a socket pair; this checks that
docker-py really hands the attached connection over that way (a unix-socket or plain-TCP engine).
"""

from __future__ import annotations

import socket

from docker.types import Ulimit

from sandbox import docker_internals, engine


def test_docker_attach_socket_is_a_socketio_whose__sock_reaches_the_container_s_stdin():
    api = engine.client().api
    engine.ensure_image(engine.IMAGE)
    # Podman starts no container without explicit nofile and nproc limits (docs/engines.md).
    limits = [Ulimit(name="nofile", soft=64, hard=64), Ulimit(name="nproc", soft=64, hard=64)]
    container = api.create_container(
        engine.IMAGE,
        ["head", "-c", "5"],
        stdin_open=True,
        labels=engine.labels("test"),
        network_disabled=True,
        host_config=api.create_host_config(ulimits=limits),
    )["Id"]
    try:
        attached = api.attach_socket(container, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
        try:
            assert isinstance(attached, socket.SocketIO) and not attached.writable()
            api.start(container)
            docker_internals.send(attached, b"hello, and more than head reads")
            out = b"".join(data for stream, data in docker_internals.frames(attached) if stream == 1)
        finally:
            attached.close()
        assert out == b"hello"
    finally:
        engine.remove_container(container, api=api)
