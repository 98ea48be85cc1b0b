#!/usr/bin/env bash
# A private Docker Engine for the tests, beside the system's: its own socket, data root, exec
# root, pid file, cgroup parent, network namespace and mount namespace.
#
#   bash docker/private-engine.sh start docker26 DIR   # prints the DOCKER_HOST to use
#   bash docker/private-engine.sh start podman DIR     # Podman 4.3: see start_podman
#   bash docker/private-engine.sh stop DIR
#   bash docker/private-engine.sh redis                # prints the path of a redis-server to run
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
# SANDBOX_ENGINE_IMAGES narrows the copy (the queue's test needs Python's image only).
read -r -a images <<<"${SANDBOX_ENGINE_IMAGES:-safe-python:latest safe-node:latest safe-python-lab:latest}"

die() { echo "private-engine: $*" >&2; exit 1; }

# A private APT configuration for one suite of the system's mirror (the system's sources are
# never changed): prints the APT_CONFIG to use.
private_apt() {
  local suite=$1 apt=$cache/apt-$1
  mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/parts"
  : >"$apt/status"
  local uri
  uri=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${uri:-http://deb.debian.org/debian} $suite main" \
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
  APT_CONFIG=$apt/apt.conf apt-get update -q >/dev/null
  echo "$apt/apt.conf"
}

# Download PACKAGE from SUITE and unpack it under ROOT.
unpack() {
  local package=$1 suite=$2 root=$3 conf archives
  conf=$(private_apt "$suite")
  archives=$(dirname "$conf")/archives
  (cd "$archives" && APT_CONFIG=$conf apt-get download -q "$package/$suite" >/dev/null)
  mkdir -p "$root"
  dpkg-deb -x "$(ls -t "$archives/${package}"_*.deb | head -n1)" "$root"
}

fetch_docker26() {
  local root=$cache/docker26
  if [ -x "$root/usr/sbin/dockerd" ]; then echo "$root"; return; fi
  [ "$(id -u)" = 0 ] || die "fetching Docker 26 needs root (it unpacks packages)"
  echo "private-engine: fetching docker.io and containerd from trixie (a private APT configuration)" >&2
  unpack docker.io trixie "$root"
  unpack containerd trixie "$root"
  [ -x "$root/usr/sbin/dockerd" ] || die "the trixie packages held no dockerd"
  echo "$root"
}

# Debian's redis-server (bookworm's, the system's suite) for the queue's tests: the system's own if
# installed, else its packages (redis-tools holds the binary; jemalloc and lzf its libraries)
# unpacked under the cache with a private APT configuration, and a wrapper that finds those
# libraries. Nothing is installed and no service is started: the tests start it, on a unix socket.
# Prints the path to run.
fetch_redis() {
  if command -v redis-server >/dev/null 2>&1; then command -v redis-server; return; fi
  local root=$cache/redis
  if [ ! -x "$root/redis-server" ]; then
    [ "$(id -u)" = 0 ] || die "fetching redis-server needs root (it unpacks packages), or: apt-get install redis-server"
    echo "private-engine: fetching redis-server from bookworm (a private APT configuration)" >&2
    local package
    for package in redis-tools libjemalloc2 liblzf1; do unpack "$package" bookworm "$root/pkg"; done
    [ -x "$root/pkg/usr/bin/redis-check-rdb" ] || die "the redis-tools package held no redis binary"
    # Redis picks its role from its name: redis-server is the same binary as redis-check-rdb.
    ln -sf "$root/pkg/usr/bin/redis-check-rdb" "$root/pkg/usr/bin/redis-server"
    printf '#!/bin/sh\nLD_LIBRARY_PATH=%s exec %s "$@"\n' \
      "$(ls -d "$root"/pkg/usr/lib/*-linux-gnu | head -n1):$root/pkg/usr/lib" "$root/pkg/usr/bin/redis-server" >"$root/redis-server"
    chmod +x "$root/redis-server"
  fi
  echo "$root/redis-server"
}

# gVisor's runsc 20240729 from bookworm-backports (bookworm's own 2022 build fails under
# --memory): one static binary. Prints its path.
fetch_runsc() {
  local root=$cache/runsc
  if [ -x "$root/usr/bin/runsc" ]; then echo "$root/usr/bin/runsc"; return; fi
  echo "private-engine: fetching gVisor's runsc from bookworm-backports (a private APT configuration)" >&2
  unpack runsc bookworm-backports "$root"
  [ -x "$root/usr/bin/runsc" ] || die "the runsc package held no runsc"
  echo "$root/usr/bin/runsc"
}

# The daemon's own configuration: a cgroup parent apart from the host's, and gVisor registered
# as the runtime `runsc` (SANDBOX_RUNSC=0 leaves it out). runsc's network stack is off: the
# kit's gvisor profile has no network, and runsc refuses a network in a namespace it does not
# own. --oci-seccomp applies the container's seccomp profile inside gVisor, to the program's own
# calls (without it, runsc ignores the profile and filters only its own kernel's calls).
daemon_json() {
  local dir=$1 runsc=""
  if [ "${SANDBOX_RUNSC:-1}" = 1 ] && ! runsc=$(fetch_runsc); then
    echo "private-engine: runsc could not be fetched; this engine runs without gVisor" >&2
    runsc=""
  fi
  if [ -n "$runsc" ]; then
    printf '{"cgroup-parent": "/safe-python-%s",\n "runtimes": {"runsc": {"path": "%s", "runtimeArgs": ["--network=none", "--oci-seccomp"]}}}\n' \
      "$(basename "$dir")" "$runsc"
  else
    printf '{"cgroup-parent": "/safe-python-%s"}\n' "$(basename "$dir")"
  fi
}

# Copy the kit's images from the system's engine into the private one at SOCK; print its
# DOCKER_HOST.
load_images() {
  local kind=$1 sock=$2 present=()
  for image in "${images[@]}"; do
    if docker image inspect "$image" >/dev/null 2>&1; then present+=("$image"); fi
  done
  [ ${#present[@]} -gt 0 ] || die "the system's engine has none of the kit's images: run 'make image' first"
  docker save "${present[@]}" | DOCKER_HOST=unix://$sock docker load -q >/dev/null
  echo "private-engine: $kind $(DOCKER_HOST=unix://$sock docker version --format '{{.Server.Version}}')" \
       "on unix://$sock with ${present[*]}" >&2
  echo "unix://$sock"
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
  daemon_json "$dir" >"$dir/daemon.json"
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
  load_images "$kind" "$sock"
}

# Podman 4.3 (bookworm's), its Docker-compatible API on DIR/podman.sock. Its storage, run root,
# configuration, events log, locks and CNI state are all its own: containers.conf and
# storage.conf under DIR, and, in its private mount namespace, fresh tmpfs mounts over /run
# (libpod's tmp dir, runc's state, network namespaces), /dev/shm (its locks), /var/lib/cni
# (addresses handed out) and /etc/cni (network files), which vanish with the namespace. In its
# own network namespace, the bridges and iptables rules CNI makes for the kit's internal
# networks are that namespace's, never the host's; there is no route out of it.
start_podman() {
  local dir=$1 sock=$1/podman.sock
  if ! command -v podman >/dev/null 2>&1 || [ ! -x /usr/bin/catatonit ]; then
    echo "private-engine: installing podman and catatonit (apt-get)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends podman catatonit >&2 ||
      die "apt-get could not install podman"
  fi
  mkdir -p "$dir/root" "$dir/runroot" "$dir/networks"
  # pids_limit = 0: Podman's own default caps every container at 2048 tasks, which Docker does
  # not; the rooms measure the kit's pids control, so a profile without it must have no cap here
  # either. (cgroupns = "private" would be the engine's way to a private cgroup namespace, but
  # Podman 4.3's Docker-compatible API ignores it, as it ignores CgroupnsMode.)
  # shm_size and ip_unprivileged_port_start: Docker's defaults (a 64 MiB /dev/shm; any port may
  # be bound inside the container's own network namespace), where Podman's are 62.5 MiB and 1024.
  cat >"$dir/containers.conf" <<EOF
[containers]
pids_limit = 0
shm_size = "64m"
default_sysctls = ["net.ipv4.ping_group_range=0 0", "net.ipv4.ip_unprivileged_port_start=0"]
[network]
network_backend = "cni"
network_config_dir = "$dir/networks"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$dir/events.log"
runtime = "runc"
init_path = "/usr/bin/catatonit"
tmp_dir = "/run/libpod"
EOF
  cat >"$dir/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$dir/root"
runroot = "$dir/runroot"
EOF
  CONTAINERS_CONF=$dir/containers.conf CONTAINERS_STORAGE_CONF=$dir/storage.conf \
    setsid unshare --net --mount --propagation private -- sh -c '
      for m in /run /dev/shm /var/lib/cni /etc/cni; do
        mkdir -p "$m" && mount -t tmpfs -o mode=755 tmpfs "$m" || exit 1
      done
      ip link set lo up && exec "$@"' podman-in-its-namespaces \
    podman --root "$dir/root" --runroot "$dir/runroot" --cgroup-manager cgroupfs --events-backend file \
    system service --time=0 "unix://$sock" >"$dir/podman.log" 2>&1 </dev/null &
  echo $! >"$dir/podman.pid"
  for _ in $(seq 60); do
    if DOCKER_HOST=unix://$sock timeout 10 docker version >/dev/null 2>&1; then break; fi
    sleep 1
  done
  DOCKER_HOST=unix://$sock timeout 10 docker version >/dev/null 2>&1 ||
    { tail -n 20 "$dir/podman.log" >&2; die "the private podman engine did not answer"; }
  load_images podman "$sock"
}

stop() {
  local dir=$1 sock=$1/docker.sock
  [ -f "$dir/podman.pid" ] && sock=$dir/podman.sock
  [ -d "$dir" ] || return 0
  if DOCKER_HOST=unix://$sock timeout 10 docker info >/dev/null 2>&1; then
    ids=$(DOCKER_HOST=unix://$sock docker ps -aq)
    [ -z "$ids" ] || DOCKER_HOST=unix://$sock timeout 60 docker rm -f $ids >/dev/null 2>&1 || true
  fi
  if [ -f "$dir/docker.pid" ]; then
    kill "$(cat "$dir/docker.pid")" 2>/dev/null || true
    for _ in $(seq 30); do [ -f "$dir/docker.pid" ] || break; sleep 0.5; done
  fi
  if [ -f "$dir/podman.pid" ]; then
    local pid
    pid=$(cat "$dir/podman.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
    # Podman's cgroupfs manager leaves its parent (conmon's and the containers' cgroups) behind.
    find /sys/fs/cgroup/*/libpod_parent -depth -type d -exec rmdir {} + 2>/dev/null || true
  fi
  # Whatever still holds the folder (a shim, its containerd) goes the hard way.
  pkill -KILL -f "$dir/" 2>/dev/null || true
  awk -v d="$dir" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m" || true; done
  rm -rf "$dir"
}

case "${1:-}" in
  start) [ $# -eq 3 ] || die "usage: $0 start docker26|podman DIR"
         if [ "$2" = podman ]; then start_podman "$3"; else start "$2" "$3"; fi ;;
  stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
  redis) fetch_redis ;;
  *) die "usage: $0 start docker26|podman DIR | stop DIR | redis" ;;
esac
