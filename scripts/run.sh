#!/usr/bin/env bash
# Run the whole product in one process, seeded with demo data, at http://127.0.0.1:8000
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/helpdesk up "$@"
