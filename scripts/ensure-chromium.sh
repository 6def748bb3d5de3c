#!/usr/bin/env bash
# Make sure Debian's Chromium is installed at /usr/bin/chromium (the browser the UI tests drive headless).
# Idempotent: does nothing but print the version when it is already there.
# Usage: scripts/ensure-chromium.sh
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ ! -x "$CHROMIUM" ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "$CHROMIUM is missing and apt-get is not available: install Chromium with your package manager" >&2
    exit 1
  fi
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "$CHROMIUM is missing; installing it needs root (or sudo)" >&2
      exit 1
    fi
    sudo=(sudo)
  fi
  echo "==> installing Debian's chromium package"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update
  "${sudo[@]}" apt-get install -y --no-install-recommends chromium
fi

"$CHROMIUM" --version
