"""safe-python's web face: a Bottle app that runs code through `sandbox`, served by waitress.

    python -m server                      # http://127.0.0.1:8000, 5 workers, a queue of 20
    python -m server --port 8080 --workers 3 --queue 10 --timeout 5

    >>> from server import Settings, create_app
    >>> from sandbox import Pool
    >>> app = create_app(Settings(), Pool(workers=2, queue=4))  # a WSGI app, for tests or embedding

    >>> from server import ServerProcess
    >>> with ServerProcess("--workers", "2") as live:  # a real server on loopback   # doctest: +ENGINE
    ...     live.url
    'http://127.0.0.1:...'

POST /run {"code": "print(2 + 2)"} answers {"output": "4\\n", ...the whole Result}; see
server/app.py for every status code and server/body.py for every refusal.
"""

from .app import create_app
from .process import ServerProcess
from .settings import Settings

__all__ = ["create_app", "Settings", "ServerProcess"]
