#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright drives it; no browser download works offline).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  echo "browser: $(chromium --version 2>/dev/null | head -n1)"
  exit 0
fi
echo "browser: installing Debian's chromium ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core >/dev/null
echo "browser: $(chromium --version 2>/dev/null | head -n1)"
