#!/usr/bin/env bash
# Make sure the HTTP load generators that `python -m bench.gateway` drives are built: hey (a fixed number of
# connections) and vegeta (a constant arrival rate), each built once with Go from the module proxy into
# $HELPDESK_INFRA_DIR/bin (default .infra/bin) and kept there. The test suite does not use them.
# Usage: scripts/ensure-load-tools.sh
set -euo pipefail
cd "$(dirname "$0")/.."

HEY="github.com/rakyll/hey@v0.1.4"
VEGETA="github.com/tsenart/vegeta/v12@v12.13.0"
BIN="${HELPDESK_INFRA_DIR:-$PWD/.infra}/bin"

missing=()
[ -x "$BIN/hey" ] || missing+=("$HEY")
[ -x "$BIN/vegeta" ] || missing+=("$VEGETA")
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "Go is needed to build ${missing[*]} into $BIN" >&2
  exit 1
fi
mkdir -p "$BIN"
for module in "${missing[@]}"; do
  echo "==> building $module into $BIN" >&2
  GOBIN="$BIN" GOFLAGS=-mod=mod go install "$module"
done
