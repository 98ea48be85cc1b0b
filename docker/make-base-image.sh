#!/usr/bin/env bash
# Build a minimal Debian base image (python3 by default, or other packages) without any registry.
#
# Offline classrooms and CI can reach Debian's package mirror but no image registry, so
# `FROM python:3.11-slim` cannot be pulled. debootstrap makes a minimal root filesystem with
# python3 and `docker import` turns it into an image the kit's Dockerfile can build FROM.
# Usage: make-base-image.sh [image-name] [packages]
#   default: safe-python-base:bookworm with python3's runtime;
#   e.g. make-base-image.sh safe-node-base:bookworm nodejs
set -euo pipefail

name=${1:-safe-python-base:bookworm}
# minbase + python3's runtime: the stdlib including multiprocessing, sqlite3, asyncio.
packages=${2:-python3-minimal,libpython3.11-stdlib,netbase}
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
trap 'rm -rf "$root"' EXIT

echo "base: debootstrap $suite from $mirror (about a minute) ..."
debootstrap --variant=minbase --include="$packages" \
  "$suite" "$root" "$mirror" >"$root.log" 2>&1 || { tail -n 30 "$root.log" >&2; rm -f "$root.log"; exit 1; }
rm -f "$root.log"
# Package caches and docs are dead weight in a sandbox image.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/*

echo "base: importing as $name ..."
# An imported image has no CMD; the docker SDK refuses to create a container without one.
cmd=${SANDBOX_BASE_CMD:-python3}
# The label lets the builder tell a base made with other packages (and make it again).
tar -C "$root" -c . | docker import -c "CMD [\"$cmd\"]" -c "LABEL org.safe-python.base-packages=$packages" \
  - "$name" >/dev/null
echo "base: $name ready ($(docker image inspect -f '{{.Size}}' "$name" | awk '{printf "%.0f MB", $1/1e6}'))"
