#!/usr/bin/env bash
# The test command: installs the stack first if needed (idempotent), then runs pytest.
#   bash tools/run_tests.sh [pytest args]
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$REPO/tools/install.sh"
cd "$REPO"
exec "${MMSSL_DET_VENV:-$REPO/.venv}/bin/python" -m pytest tests -q -ra --durations=15 "$@"
