#!/usr/bin/env bash
# Create .venv and install the project into it; a no-op when nothing changed since the last install.
# Usage: scripts/bootstrap.sh [dev]
set -euo pipefail
cd "$(dirname "$0")/.."

extras="${1:-}"
python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Python 3.11 or newer is needed (found: $("$python" --version 2>&1))" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$python" -m venv .venv
fi
spec="."
[ "$extras" = dev ] && spec=".[dev]"
stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)-${extras:-run}"
if [ ! -f "$stamp" ]; then
  echo "==> installing the project and its dependencies into .venv"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e "$spec"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
# tests/unit/deploy render deploy/k8s with kubectl, or with a kustomize built here where kubectl is missing.
if [ "$extras" = dev ]; then
  scripts/ensure-kustomize.sh
fi
