#!/usr/bin/env bash
# Every check and every test: lint, types, event contracts, then unit, integration (real Kafka, FerretDB and SMTP,
# started here from deploy/local) and end-to-end tests. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh dev
scripts/ensure-chromium.sh
export PATH="$PWD/.venv/bin:$PATH"

started_infra=0
stop_infra() { if [ "$started_infra" = 1 ]; then deploy/local/infra.sh down || true; fi; }
trap stop_infra EXIT
if ! deploy/local/infra.sh status >/dev/null 2>&1; then
  started_infra=1
  deploy/local/infra.sh up
fi

echo "==> ruff";      ruff check .
echo "==> mypy";      mypy
echo "==> contracts"; helpdesk contracts check
echo "==> pytest";    pytest "$@"
