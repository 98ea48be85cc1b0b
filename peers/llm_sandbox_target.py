"""llm-sandbox as an audit target: one JSON request on stdin, one JSON answer on stdout.

Runs in its own environment (.venv-peers/llm-sandbox), never imported by the kit.
"""

import json
import os
import signal
import sys


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the harness's bound: the session closes
    request = json.load(sys.stdin)
    from llm_sandbox import SandboxSession
    from llm_sandbox.exceptions import SandboxTimeoutError

    labels = {"org.safe-python.audit": str(os.getpid())}
    timed_out, stdout, stderr, code = False, "", "", None
    with SandboxSession(
        lang="python",
        image=request["image"],
        skip_environment_setup=True,  # its set-up pip-installs from the internet
        runtime_configs={"labels": labels},
    ) as session:
        # Its Python handler runs `python FILE`; the kit's image, like Debian's, names it python3.
        session.language_handler.config.execution_commands = ["python3 {file}"]
        try:
            out = session.run(request["code"], timeout=request.get("timeout_s") or 10)
            stdout, stderr, code = out.stdout, out.stderr, out.exit_code
        except SandboxTimeoutError:
            timed_out = True
        finally:
            # Its close() stops the container with the engine's 10 s grace, which the image's
            # process 1 (python3 reading a tty) waits out: killed first, it is removed at once.
            if session.container is not None:
                session.container.kill()
    print(json.dumps({"stdout": stdout, "stderr": stderr, "exit_code": code, "timed_out": timed_out}))


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # noqa: BLE001 - the protocol's error answer, never a traceback
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
