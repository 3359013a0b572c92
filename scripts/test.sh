#!/usr/bin/env bash
# The test command: sets up .venv with the dev extras, lints, and runs the whole suite.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
INTACCT_DAGSTER_EXTRAS=dev source scripts/setup.sh
# Tests talk only to 127.0.0.1: no usage telemetry from dlt or Dagster, whatever the working directory.
export RUNTIME__DLTHUB_TELEMETRY=false DAGSTER_DISABLE_TELEMETRY=1
ruff check intacct_dagster intacct_dagster_tests benchmarks
exec python -m pytest -q -p no:cacheprovider "$@"
