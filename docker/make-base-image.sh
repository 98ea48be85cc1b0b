#!/usr/bin/env bash
# Build a minimal Debian base image (python3 by default, or other packages) without any registry.
#
# Offline classrooms and CI can reach Debian's package mirror but no image registry, so
# `FROM python:3.11-slim` cannot be pulled. debootstrap makes a minimal root filesystem with
# python3 and `docker import` turns it into an image the kit's Dockerfile can build FROM.
# Usage: make-base-image.sh [image-name] [packages]
#   default: safe-python-base:bookworm with python3's runtime;
#   e.g. make-base-image.sh safe-node-base:bookworm nodejs
# The packages are a comma-separated list. An entry `stub:NAME` installs an empty stand-in for
# NAME instead of NAME itself: for a dependency Debian declares that the runtime never uses
# (python3-scipy depends on pythran, a compiler front end that brings g++ and Boost, about
# 630 MB, none of it needed to import or run scipy). A stand-in is a local empty package, so
# apt counts the dependency met and installs nothing for it.
set -euo pipefail

name=${1:-safe-python-base:bookworm}
# minbase + python3's runtime (the stdlib including multiprocessing, sqlite3, asyncio) and the
# scientific stack; the same list as SCIENCE_BASE in sandbox/images.py, which the builder passes.
packages=${2:-python3-minimal,libpython3.11-stdlib,netbase,python3-numpy,python3-pandas,python3-scipy,python3-matplotlib,libopenblas0-pthread,stub:python3-pythran,stub:python3-sympy,stub:unicode-data,stub:python3-lxml,stub:python3-fs,stub:python3-ufolib2}
install=() stubs=()
for entry in ${packages//,/ }; do
  case $entry in stub:*) stubs+=("${entry#stub:}") ;; *) install+=("$entry") ;; esac
done
suite=${SANDBOX_BASE_SUITE:-bookworm}

if [ "$(id -u)" != 0 ]; then
  echo "base: debootstrap needs root. Run: sudo $0 $name" >&2
  exit 1
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  echo "base: installing debootstrap ..."
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null; }
fi

# Use the mirror this machine already trusts (deb822 .sources or a classic sources.list line).
mirror=${SANDBOX_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)
fi
if [ -z "$mirror" ]; then
  mirror=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}

root=$(mktemp -d /tmp/safe-python-base.XXXXXX)

echo "base: debootstrap $suite from $mirror (about a minute) ..."
log=$(mktemp /tmp/safe-python-base-log.XXXXXX)
trap 'rm -rf "$root" "$log"' EXIT
fail() { tail -n 30 "$log" >&2; exit 1; }
debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$log" 2>&1 || fail
# The packages go in with apt inside the new root, not debootstrap's --include: apt honours
# alternatives and virtual packages (libblas.so.3 from OpenBLAS), leaves Recommends out and
# accepts the stand-ins; debootstrap's resolver takes the first alternative of everything.
if [ ${#stubs[@]} -gt 0 ]; then
  for stub in "${stubs[@]}"; do
    mkdir -p "$root/tmp/stub-$stub/DEBIAN"
    printf 'Package: %s\nVersion: 0.0-safe.python\nArchitecture: all\nMaintainer: safe-python <nobody@invalid>\nDescription: stand-in: a dependency the runtime does not use\n' \
      "$stub" >"$root/tmp/stub-$stub/DEBIAN/control"
    { chroot "$root" dpkg-deb -b "/tmp/stub-$stub" "/tmp/stub-$stub.deb" \
      && chroot "$root" dpkg -i "/tmp/stub-$stub.deb"; } >>"$log" 2>&1 || fail
    rm -rf "$root/tmp/stub-$stub" "$root/tmp/stub-$stub.deb"
  done
fi
{ chroot "$root" apt-get update -q \
  && DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get install -y -q --no-install-recommends "${install[@]}" \
  ; } >>"$log" 2>&1 || fail
# Package caches, docs and the packages' own test suites are dead weight in a sandbox image
# (pandas' tests alone are 36 MB, apt's own caches 75 MB); nothing imports a package's tests folder.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/*
find "$root"/usr/lib/python3/dist-packages -depth -type d -name tests -exec rm -rf {} + 2>/dev/null || true

echo "base: importing as $name ..."
# An imported image has no CMD; the docker SDK refuses to create a container without one.
cmd=${SANDBOX_BASE_CMD:-python3}
# The label lets the builder tell a base made with other packages (and make it again).
tar -C "$root" -c . | docker import -c "CMD [\"$cmd\"]" -c "LABEL org.safe-python.base-packages=$packages" \
  - "$name" >/dev/null
echo "base: $name ready ($(docker image inspect -f '{{.Size}}' "$name" | awk '{printf "%.0f MB", $1/1e6}'))"
