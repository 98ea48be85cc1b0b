"""epicbox as an audit target: one JSON request on stdin, one JSON answer on stdout.

Runs in its own environment (.venv-peers/epicbox: epicbox needs docker<7), never imported by the kit.
"""

import json
import signal
import sys


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the harness's bound: epicbox removes its container
    request = json.load(sys.stdin)
    import epicbox

    epicbox.configure(profiles=[epicbox.Profile("python", request["image"])])
    files = [{"name": "main.py", "content": request["code"].encode()}]
    stdin = request.get("stdin")
    result = epicbox.run("python", "python3 main.py", files=files, stdin=stdin.encode() if stdin else None)
    print(
        json.dumps(
            {
                "stdout": result["stdout"].decode("utf-8", "replace"),
                "stderr": result["stderr"].decode("utf-8", "replace"),
                "exit_code": result["exit_code"],
                "timed_out": bool(result["timeout"]),
            }
        )
    )


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # noqa: BLE001 - the protocol's error answer, never a traceback
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
