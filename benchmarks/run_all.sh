#!/usr/bin/env bash
# Every benchmark, one command, with the repo's .venv (created with the dev extras if missing):
#   1. bench_sandbox_query.py  - how fast the sandbox serves keyset pages (is the test server a bottleneck?)
#   2. bench_source_load.py    - the `intacct` dlt source alone into DuckDB vs the raw fetch+parse ceiling
#   3. bench_compare.py        - Dagster assets vs plain dlt rest_api vs raw fetch, full + incremental
#
#   bash benchmarks/run_all.sh                        # 1,000,000 journal-entry lines everywhere
#   bash benchmarks/run_all.sh --lines 200000         # smaller; --lines goes to every benchmark
#   bash benchmarks/run_all.sh --only-compare [...]   # just bench_compare.py; other args pass through to it
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ ! -x "$ROOT/.venv/bin/python" ]; then
  INTACCT_DAGSTER_EXTRAS=dev source scripts/setup.sh
fi
PY="$ROOT/.venv/bin/python"

lines=1000000
only_compare=0
compare_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --lines) lines="$2"; shift 2 ;;
    --lines=*) lines="${1#--lines=}"; shift ;;
    --only-compare) only_compare=1; shift ;;
    *) compare_args+=("$1"); shift ;;
  esac
done

if [ "$only_compare" -eq 0 ]; then
  for b in bench_sandbox_query.py bench_source_load.py; do
    if [ -f "benchmarks/$b" ]; then
      echo "===== $b --lines $lines"
      "$PY" "benchmarks/$b" --lines "$lines"
      echo
    fi
  done
fi
echo "===== bench_compare.py --lines $lines ${compare_args[*]:-}"
exec "$PY" benchmarks/bench_compare.py --lines "$lines" "${compare_args[@]}"
