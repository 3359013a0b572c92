#!/usr/bin/env bash
# One command for every benchmark: sets up the repo .venv (dev extras) and runs bench_compare.py.
#   bash benchmarks/run_all.sh                      # 1,000,000 journal-entry lines
#   bash benchmarks/run_all.sh --lines 200000       # any bench_compare.py argument passes through
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ ! -x "$ROOT/.venv/bin/python" ]; then
  INTACCT_DAGSTER_EXTRAS=dev source scripts/setup.sh
fi
exec "$ROOT/.venv/bin/python" benchmarks/bench_compare.py "$@"
