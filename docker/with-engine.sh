#!/usr/bin/env bash
# Run a command against a private engine of another kind, then stop that engine, whatever the
# command's fate:
#
#   bash docker/with-engine.sh docker26 -- .venv/bin/python -m pytest tests/engine tests/attacks
#
# The command sees DOCKER_HOST pointing at the private engine and SANDBOX_ENGINE_KIND naming
# it. Where a private engine cannot run (not root, not Linux, no apt), this says
# so and exits 0, unless SANDBOX_REQUIRE_ENGINES=1 (CI sets it), which makes that a failure.
set -euo pipefail

kind=${1:?usage: $0 KIND -- COMMAND...}
shift
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { echo "usage: $0 KIND -- COMMAND..." >&2; exit 2; }

here=$(cd "$(dirname "$0")" && pwd)
unable() {
  if [ "${SANDBOX_REQUIRE_ENGINES:-0}" = 1 ]; then
    echo "engines: cannot run a private $kind engine here: $1 (SANDBOX_REQUIRE_ENGINES=1)" >&2
    exit 1
  fi
  echo "engines: the $kind rooms are not run here: $1. Set up a Debian machine as root to run them."
  exit 0
}
[ "$(uname -s)" = Linux ] || unable "it needs Linux"
[ "$(id -u)" = 0 ] || unable "it needs root"
command -v apt-get >/dev/null 2>&1 || unable "it needs Debian's apt"

dir=/tmp/safe-python-$kind-$$
trap 'bash "$here/private-engine.sh" stop "$dir"' EXIT
host=$(bash "$here/private-engine.sh" start "$kind" "$dir")
echo "engines: running on $kind ($host): $*"
# Every line is prefixed with the engine's name, so that two engines' passes run side by side
# (make -j2) stay readable; pipefail keeps the command's exit status.
DOCKER_HOST=$host SANDBOX_ENGINE_KIND=$kind "$@" 2>&1 | sed -u "s/^/$kind│ /"
