#!/usr/bin/env bash
# The test command: sets up .venv with the dev extras, lints, and runs the whole suite.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
INTACCT_DAGSTER_EXTRAS=dev source scripts/setup.sh
ruff check intacct_dagster intacct_dagster_tests benchmarks
exec python -m pytest -q -p no:cacheprovider "$@"
