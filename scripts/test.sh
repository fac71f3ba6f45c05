#!/usr/bin/env bash
# The whole suite: lint, type check, unit, component and integration tests. Prints its duration.
set -uo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash scripts/ensure-postgres.sh
bash scripts/ensure-chromium.sh
status=0
echo "== ruff"; .venv/bin/ruff check hub connectors schemas topics tests benchmarks || status=1
echo "== mypy"; .venv/bin/mypy || status=1
echo "== import contracts"; .venv/bin/lint-imports --no-cache || status=1
echo "== pytest (${HUB_TEST_WORKERS:-4} xdist workers)"
.venv/bin/python -m pytest -q -p no:cacheprovider -n "${HUB_TEST_WORKERS:-4}" --maxschedchunk 1 "$@" || status=$?
echo "make test finished in $(( $(date +%s) - start ))s with exit code ${status}"
exit "${status}"
