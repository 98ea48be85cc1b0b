#!/usr/bin/env bash
# Make sure a Docker Engine answers on this machine.
#
# If one already answers (Docker Desktop, a system dockerd), do nothing. Otherwise, on a
# Linux box where we are root (CI, a bare classroom server), install Debian's docker.io and
# start dockerd in the background, then wait for its socket. Everything the kit claims is
# only true of a real engine, so there is no fallback to a fake one.
set -euo pipefail

log=${SANDBOX_DOCKERD_LOG:-/var/log/safe-python-dockerd.log}
wait_s=${SANDBOX_ENGINE_WAIT:-60}

engine_answers() { command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1; }

if engine_answers; then
  echo "engine: answering ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
  exit 0
fi

if [ "$(uname -s)" != Linux ]; then
  echo "engine: no Docker Engine answers. Start Docker Desktop, then run this again." >&2
  exit 1
fi
if [ "$(id -u)" != 0 ]; then
  echo "engine: no Docker Engine answers and this is not root." >&2
  echo "  Start it with 'sudo systemctl start docker' (or run this script as root)," >&2
  echo "  and make sure your user may use it: 'sudo usermod -aG docker \$USER', then log in again." >&2
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "engine: installing Debian's docker.io ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends docker.io >/dev/null
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
  echo "engine: starting dockerd (log: $log)"
  # setsid detaches it from this shell so it outlives the script; the log keeps its story.
  setsid dockerd >"$log" 2>&1 < /dev/null &
fi

for _ in $(seq "$wait_s"); do
  if engine_answers; then
    echo "engine: answering ($(docker version --format '{{.Server.Version}}'))"
    exit 0
  fi
  sleep 1
done
echo "engine: dockerd did not answer within ${wait_s}s; last lines of $log:" >&2
tail -n 20 "$log" >&2 || true
exit 1
