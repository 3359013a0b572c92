#!/usr/bin/env bash
# The main job: sets up .venv and materializes every Intacct asset into DuckDB.
# With no real credentials set it starts the built-in sandbox and loads from it (and says so).
# Pass --ui to start `dagster dev` against the sandbox instead.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh
exec python -m intacct_dagster.demo "$@"
