"""Full load of every object against a sandbox with real-API latency and a concurrent-request limit, reported as
a ratio to the physical limit.

    .venv/bin/python benchmarks/bench_concurrency.py [--lines 1000000] [--latency 1.0] [--slots 8]

On the real API each call takes about a second and a company gets a few concurrent slots (tier 1: 8 per
company). No schedule can beat the larger of
  - total call latency / slots   (every call must be waited for, at most `slots` at a time), and
  - the longest chain of calls that cannot be split (token, model, first page, range edges, then the longest
    range's pages, one after another).
The sandbox runs in its own process with `--latency` seconds per call and `--concurrency-limit slots`; it
counts the latency it imposed. The loader (the project's dlt source, `max_concurrent_requests = slots`) writes
into a fresh DuckDB file. Printed: extraction wall time, the physical limit, their ratio (target <= 1.3x),
and the whole run including DuckDB's load.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SandboxProcess  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--latency", type=float, default=1.0, help="seconds per API call (default 1.0)")
    ap.add_argument("--slots", type=int, default=8, help="concurrent requests Intacct grants (default 8)")
    ap.add_argument("--page-size", type=int, default=4000)
    args = ap.parse_args()

    sb = SandboxProcess(args.lines, extra=["--latency", str(args.latency), "--concurrency-limit", str(args.slots)])
    t0 = time.perf_counter()
    sb.start()
    print(f"sandbox: {args.lines:,} lines, {args.latency}s per call, {args.slots} slots "
          f"(built in {time.perf_counter() - t0:.0f}s)", flush=True)
    try:
        os.environ.update(sb.env())
        os.environ["INTACCT_MAX_CONCURRENT_REQUESTS"] = str(args.slots)
        os.environ["INTACCT_PAGE_SIZE"] = str(args.page_size)
        work = Path(tempfile.mkdtemp(prefix="bench-concurrency-"))
        os.environ["INTACCT_DUCKDB_PATH"] = str(work / "warehouse.duckdb")
        from intacct_dagster.destination import IntacctDestination
        from intacct_dagster.intacct import Connection, SettingsReader, intacct_source
        from intacct_dagster.intacct.source import RunReport

        report = RunReport()
        connection = Connection(reader=SettingsReader())
        sb.admin("reset_stats")
        with IntacctDestination().run_pipeline() as pipeline:
            t_start = time.perf_counter()
            pipeline.extract(intacct_source(report=report, connection=connection))
            t_extract = time.perf_counter() - t_start
            stats = sb.admin("stats")
            pipeline.normalize()
            pipeline.load().raise_on_failed_jobs()
            t_total = time.perf_counter() - t_start
            rows = sum(pipeline.last_trace.last_normalize_info.row_counts.values())
        total_latency = float(stats["latency_total_s"])
        measured = connection.client().meter.busy_s
        calls = int(stats["latency_calls"])
        chain = longest_chain(report, args.latency, args.slots, args.page_size)
        limit = max(total_latency / args.slots, chain)
        peak = max(stats["peak_in_flight"].values()) if stats["peak_in_flight"] else 0
        print()
        print(f"# bench_concurrency: {args.lines:,} journal-entry lines, every catalog object, {args.latency}s/call, "
              f"{args.slots} slots, {os.cpu_count()} CPUs")
        print(f"rows loaded                 {rows:,} in {len(report.plans)} tables ({len(report.failures)} failed)")
        print(f"API calls                   {calls} ({stats['throttled']} answered 429), peak in flight {peak}")
        print(f"total call latency          {total_latency:.0f}s  -> / {args.slots} slots = {total_latency / args.slots:.1f}s")
        print(f"longest unsplittable chain  {chain:.1f}s")
        print(f"physical limit              {limit:.1f}s")
        print(f"extraction wall time        {t_extract:.1f}s  = {t_extract / limit:.2f}x the physical limit")
        print(f"calls as the client timed them (latency + the sandbox's own work): {measured:.0f}s -> / {args.slots} = "
              f"{measured / args.slots:.1f}s; the extraction took {t_extract / max(limit, measured / args.slots):.2f}x that")
        print(f"whole run (incl. DuckDB)    {t_total:.1f}s  = {t_total / limit:.2f}x")
        print(f"serial (one call at a time) {total_latency:.0f}s would be {total_latency / t_extract:.1f}x slower")
    finally:
        sb.stop()
    return 0


def longest_chain(report, latency: float, slots: int, page_size: int) -> float:
    """Model call, first page, range edges (one round), then the longest range (its pages one by one) plus
    the null-cursor page of a first load, for the table with the most rows."""
    worst = 0.0
    for name in report.plans:
        pages = max(1, math.ceil(report.rows.get(name, 0) / page_size))
        after_first = max(0, pages - 1)
        ranges = min(slots, after_first // 2) if after_first >= 4 else 1
        chain = 1 + 1 + (1 if ranges > 1 else 0) + math.ceil(after_first / max(1, ranges)) + 1
        worst = max(worst, chain * latency)
    return worst


if __name__ == "__main__":
    sys.exit(main())
