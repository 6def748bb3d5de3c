#!/usr/bin/env bash
# Make sure tests/unit/deploy can render deploy/k8s's overlays offline: `kubectl kustomize` where kubectl is on
# PATH (nothing to do), otherwise a kustomize binary built once with Go from the module proxy into
# $HELPDESK_INFRA_DIR/bin (default .infra/bin), where the tests look for it.
# Usage: scripts/ensure-kustomize.sh
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=v5.8.1
BIN="${HELPDESK_INFRA_DIR:-$PWD/.infra}/bin"

if command -v kubectl >/dev/null 2>&1 || command -v kustomize >/dev/null 2>&1 || [ -x "$BIN/kustomize" ]; then
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "neither kubectl nor kustomize is on PATH, and Go is needed to build kustomize $VERSION" >&2
  exit 1
fi
echo "==> building kustomize $VERSION into $BIN"
mkdir -p "$BIN"
GOBIN="$BIN" GOFLAGS=-mod=mod go install "sigs.k8s.io/kustomize/kustomize/v5@$VERSION"
