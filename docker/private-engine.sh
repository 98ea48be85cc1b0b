#!/usr/bin/env bash
# A private Docker Engine for the tests, beside the system's: its own socket, data root, exec
# root, pid file, cgroup parent, network namespace and mount namespace.
#
#   bash docker/private-engine.sh start docker26 DIR   # prints the DOCKER_HOST to use
#   bash docker/private-engine.sh stop DIR
#
# docker26 is Docker 26 from Debian trixie's packages, fetched with a private APT configuration
# (the system's sources are never changed) and unpacked under $SANDBOX_ENGINES_CACHE; it runs on
# this system's glibc with bookworm's runc and the static tini as docker-init (trixie's builds of
# those two need a newer glibc). It never touches the host's docker0 or iptables: it has no
# bridge, no iptables rules, no masquerading, and lives in a network namespace of its own, so
# nothing in it can reach past this machine. The kit's images are copied in from the system's
# engine. `stop` ends it by its own pid and leaves nothing: no process, mount or file.
set -euo pipefail

cache=${SANDBOX_ENGINES_CACHE:-/var/cache/safe-python/engines}
images=(safe-python:latest safe-node:latest safe-python-lab:latest)

die() { echo "private-engine: $*" >&2; exit 1; }

fetch_docker26() {
  local root=$cache/docker26
  if [ -x "$root/usr/sbin/dockerd" ]; then echo "$root"; return; fi
  [ "$(id -u)" = 0 ] || die "fetching Docker 26 needs root (it unpacks packages)"
  local apt=$cache/apt-trixie
  mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/parts" "$root"
  : >"$apt/status"
  local uri
  uri=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${uri:-http://deb.debian.org/debian} trixie main" \
    >"$apt/sources.list"
  cat >"$apt/apt.conf" <<EOF
Dir::Etc::SourceList "$apt/sources.list";
Dir::Etc::SourceParts "$apt/parts";
Dir::State::Lists "$apt/lists";
Dir::Cache "$apt";
Dir::Cache::archives "$apt/archives";
Dir::State::status "$apt/status";
APT::Sandbox::User "root";
EOF
  echo "private-engine: fetching docker.io and containerd from trixie (a private APT configuration)" >&2
  APT_CONFIG=$apt/apt.conf apt-get update -q >/dev/null
  (cd "$apt/archives" && APT_CONFIG=$apt/apt.conf apt-get download -q docker.io/trixie containerd/trixie >/dev/null)
  for deb in "$apt"/archives/docker.io_*.deb "$apt"/archives/containerd_*.deb; do
    dpkg-deb -x "$deb" "$root"
  done
  [ -x "$root/usr/sbin/dockerd" ] || die "the trixie packages held no dockerd"
  echo "$root"
}

start() {
  local kind=$1 dir=$2
  [ "$kind" = docker26 ] || die "unknown engine kind '$kind' (known: docker26)"
  [ -x /usr/sbin/runc ] && [ -x /usr/bin/tini-static ] || die "needs Debian's runc and tini (apt-get install runc tini)"
  local root bin
  root=$(fetch_docker26)
  mkdir -p "$dir/bin" "$dir/data" "$dir/exec"
  bin=$dir/bin
  ln -sf "$root/usr/sbin/dockerd" "$bin/dockerd"
  ln -sf "$root/usr/bin/containerd" "$bin/containerd"
  ln -sf "$root/usr/bin/containerd-shim-runc-v2" "$bin/containerd-shim-runc-v2"
  ln -sf /usr/sbin/runc "$bin/runc"
  ln -sf /usr/bin/tini-static "$bin/docker-init"
  echo "{\"cgroup-parent\": \"/safe-python-$(basename "$dir")\"}" >"$dir/daemon.json"
  local sock=$dir/docker.sock
  setsid unshare --net --mount --propagation private -- env PATH="$bin:$PATH" \
    dockerd --host "unix://$sock" --data-root "$dir/data" --exec-root "$dir/exec" \
    --pidfile "$dir/docker.pid" --config-file "$dir/daemon.json" --bridge=none \
    --iptables=false --ip6tables=false --ip-masq=false \
    >"$dir/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 90); do
    if DOCKER_HOST=unix://$sock timeout 10 docker info >/dev/null 2>&1; then break; fi
    sleep 1
  done
  DOCKER_HOST=unix://$sock timeout 10 docker info >/dev/null 2>&1 ||
    { tail -n 20 "$dir/dockerd.log" >&2; die "the private $kind engine did not answer"; }
  local present=()
  for image in "${images[@]}"; do
    if docker image inspect "$image" >/dev/null 2>&1; then present+=("$image"); fi
  done
  [ ${#present[@]} -gt 0 ] || die "the system's engine has none of the kit's images: run 'make image' first"
  docker save "${present[@]}" | DOCKER_HOST=unix://$sock docker load -q >/dev/null
  echo "private-engine: $kind $(DOCKER_HOST=unix://$sock docker version --format '{{.Server.Version}}')" \
       "on unix://$sock with ${present[*]}" >&2
  echo "unix://$sock"
}

stop() {
  local dir=$1 sock=$1/docker.sock
  [ -d "$dir" ] || return 0
  if DOCKER_HOST=unix://$sock timeout 10 docker info >/dev/null 2>&1; then
    ids=$(DOCKER_HOST=unix://$sock docker ps -aq)
    [ -z "$ids" ] || DOCKER_HOST=unix://$sock timeout 60 docker rm -f $ids >/dev/null 2>&1 || true
  fi
  if [ -f "$dir/docker.pid" ]; then
    kill "$(cat "$dir/docker.pid")" 2>/dev/null || true
    for _ in $(seq 30); do [ -f "$dir/docker.pid" ] || break; sleep 0.5; done
  fi
  # Whatever still holds the folder (a shim, its containerd) goes the hard way.
  pkill -KILL -f "$dir/" 2>/dev/null || true
  awk -v d="$dir" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m" || true; done
  rm -rf "$dir"
}

case "${1:-}" in
  start) [ $# -eq 3 ] || die "usage: $0 start docker26 DIR"; start "$2" "$3" ;;
  stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
  *) die "usage: $0 start docker26 DIR | stop DIR" ;;
esac
