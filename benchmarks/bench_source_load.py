"""Benchmark: load N journal-entry lines from the sandbox into DuckDB through the `intacct` dlt source.

Prints rows/s, peak RSS of the loader process tree (the sandbox runs in its own process and is not counted),
API request count, and the "ceiling": the same keyset pages fetched and orjson-parsed with no dlt at all.
Targets: source rate >= 0.7x ceiling, peak RSS <= 400 MB.

    python benchmarks/bench_source_load.py                 # 1,000,000 lines, sandbox started here
    python benchmarks/bench_source_load.py --lines 200000 --base-url http://127.0.0.1:PORT/ia/api/v1

Each measured phase runs in a fresh child process so that one phase's heap does not inflate the other's RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

OBJECT = "journal_entry_lines"
CLIENT_ID, CLIENT_SECRET, USERNAME = "sandbox-client-id", "sandbox-client-secret", "ws_user@SANDBOX"


# ---------------------------------------------------------------------------------------------- child roles
def _client(base_url: str):
    from intacct_dagster.intacct import ClientCredentialsAuth, IntacctClient

    auth = ClientCredentialsAuth(base_url.rstrip("/") + "/oauth2/token", CLIENT_ID, CLIENT_SECRET, USERNAME)
    return IntacctClient(base_url, auth)


def role_ceiling(base_url: str, page_size: int) -> dict:
    """Sequential fetch + orjson parse of the same keyset queries a first load of the source sends (its plan:
    every record by (modifiedDateTime, key), plus those with a null modifiedDateTime); no conversion, no dlt,
    no concurrent ranges."""
    from intacct_dagster.intacct.catalog import resolve_objects
    from intacct_dagster.intacct.keyset import iter_pages
    from intacct_dagster.intacct.plan import RunOptions, make_plan
    from intacct_dagster.intacct.scan import TableScan
    from intacct_dagster.intacct.state import TableState

    obj = resolve_objects([OBJECT])[0]
    client = _client(base_url)
    plan = make_plan(obj, client.model(obj.path), TableState(), RunOptions(page_size=page_size), client.server_time())
    queries = TableScan(plan, client, include_private=False, page_size=page_size).queries()
    t0, c0 = time.perf_counter(), time.process_time()
    rows = 0
    for query in queries:
        for page in iter_pages(client.query, query, prefetch=0):
            rows += page.count
    elapsed = time.perf_counter() - t0
    return {"rows": rows, "seconds": elapsed, "cpu_s": time.process_time() - c0, "requests": client.request_count,
            "fields": len(plan.fields)}


def role_load(base_url: str, page_size: int, file_format: str, workdir: str, memory_limit: str) -> dict:
    """The real thing: `intacct_source` -> dlt pipeline -> DuckDB file."""
    import dlt

    from intacct_dagster.intacct import intacct_source

    client = _client(base_url)
    db = os.path.join(workdir, "bench.duckdb")
    if memory_limit:
        # DuckDB runs inside the loader process: cap its buffer pool (the merge SQL is its biggest user).
        # Same setting an operator would use: dlt's DuckDB credentials `global_config`.
        os.environ["DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG"] = json.dumps(
            {"memory_limit": memory_limit, "preserve_insertion_order": False})
    pipeline = dlt.pipeline(pipeline_name="bench_intacct", destination=dlt.destinations.duckdb(db),
                            dataset_name="intacct", pipelines_dir=os.path.join(workdir, "pipelines"))
    source = intacct_source(objects=[OBJECT], client=client, page_size=page_size)
    t0, c0 = time.perf_counter(), time.process_time()
    pipeline.extract(source, loader_file_format=file_format)
    t_extract = time.perf_counter() - t0
    rss_extract = _max_rss_mb()
    normalize_info = pipeline.normalize()
    t_normalize = time.perf_counter() - t0 - t_extract
    pipeline.load()
    elapsed = time.perf_counter() - t0
    with pipeline.sql_client() as sql:
        loaded = sql.execute_sql(f"select count(*) from {sql.make_qualified_table_name(OBJECT)}")[0][0]
    read = normalize_info.row_counts.get(OBJECT, 0)  # rows the source yielded
    return {"rows": read, "table_rows": loaded, "seconds": elapsed, "extract_s": t_extract, "normalize_s": t_normalize,
            "load_s": elapsed - t_extract - t_normalize, "requests": client.request_count,
            "cpu_s": time.process_time() - c0,
            "max_rss_extract_mb": rss_extract, "max_rss_mb": _max_rss_mb()}


def _max_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------------------------------------- parent
def _peak_rss_of(proc: subprocess.Popen, interval: float = 0.05) -> tuple[dict, int]:
    """Wait for a child that prints one JSON line; sample RSS of it and its descendants meanwhile."""
    import psutil

    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            try:
                root = psutil.Process(proc.pid)
                total = 0
                for p in [root, *root.children(recursive=True)]:
                    try:
                        total += p.memory_info().rss
                    except psutil.NoSuchProcess:
                        pass
                peak = max(peak, total)
            except psutil.NoSuchProcess:
                return
            stop.wait(interval)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    out, _ = proc.communicate()
    stop.set()
    t.join(2)
    if proc.returncode != 0:
        raise SystemExit(f"child failed ({proc.returncode}):\n{out[-4000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    return result, peak


def _run_child(role: str, args: argparse.Namespace, base_url: str, workdir: str) -> tuple[dict, int]:
    cmd = [sys.executable, __file__, "--role", role, "--base-url", base_url, "--page-size", str(args.page_size),
           "--format", args.format, "--workdir", workdir, "--duckdb-memory-limit", args.duckdb_memory_limit]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=str(REPO))
    return _peak_rss_of(proc)


def _start_sandbox(lines: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "intacct_dagster.sandbox", "--port", "0", "--lines", str(lines)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=str(REPO))
    deadline = time.monotonic() + 600
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit(f"sandbox exited ({proc.poll()})")
        m = re.search(r"(https?://127\.0\.0\.1:\d+/ia/api/v1)", line)
        if m:
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # keep pipe drained
            return proc, m.group(1)
    raise SystemExit("sandbox did not print its URL")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--page-size", type=int, default=4000)
    ap.add_argument("--format", default="parquet", choices=["parquet", "insert_values", "jsonl"],
                    help="dlt loader_file_format")
    ap.add_argument("--base-url", help="use an already running sandbox instead of starting one")
    ap.add_argument("--duckdb-memory-limit", default="256MB",
                    help="DuckDB memory_limit in the loader process (the project default, INTACCT_DUCKDB_MEMORY_LIMIT) ('' = DuckDB's default, 80%% of RAM)")
    ap.add_argument("--repeat", type=int, default=1, help="alternate ceiling/load runs N times, report the best")
    ap.add_argument("--role", choices=["ceiling", "load"], help=argparse.SUPPRESS)
    ap.add_argument("--workdir", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.role == "ceiling":
        print(json.dumps(role_ceiling(args.base_url, args.page_size)))
        return
    if args.role == "load":
        print(json.dumps(role_load(args.base_url, args.page_size, args.format, args.workdir, args.duckdb_memory_limit)))
        return

    sandbox = None
    base_url = args.base_url
    t0 = time.perf_counter()
    if not base_url:
        sandbox, base_url = _start_sandbox(args.lines)
        print(f"sandbox with {args.lines:,} lines ready in {time.perf_counter() - t0:.1f}s at {base_url}")
    try:
        runs = []
        for _ in range(args.repeat):  # alternate, keep the best of each: the box may be shared
            with tempfile.TemporaryDirectory(prefix="bench-intacct-") as workdir:
                runs.append((_run_child("ceiling", args, base_url, workdir), _run_child("load", args, base_url, workdir)))
        (ceiling, ceiling_rss) = min((r[0] for r in runs), key=lambda x: x[0]["seconds"])
        (load, _) = min((r[1] for r in runs), key=lambda x: x[0]["seconds"])
        load_rss = max(r[1][1] for r in runs)
    finally:
        if sandbox is not None:
            sandbox.terminate()
            sandbox.wait(30)

    c_rate = ceiling["rows"] / ceiling["seconds"]
    l_rate = load["rows"] / load["seconds"]
    mb = 1024 * 1024
    print(f"object: {OBJECT} ({ceiling['fields']} fields), page size {args.page_size}, format {args.format}, "
          f"DuckDB memory_limit {args.duckdb_memory_limit or 'default'}")
    print(f"ceiling (fetch + orjson parse, no dlt): {ceiling['rows']:,} rows in {ceiling['seconds']:.1f}s = "
          f"{c_rate:,.0f} rows/s, {ceiling['requests']} requests, CPU {ceiling['cpu_s']:.1f}s, "
          f"peak RSS {ceiling_rss / mb:.0f} MB")
    print(f"source -> DuckDB:                       {load['rows']:,} rows in {load['seconds']:.1f}s = "
          f"{l_rate:,.0f} rows/s (extract {load['extract_s']:.1f}s, normalize {load['normalize_s']:.1f}s, "
          f"load {load['load_s']:.1f}s), {load['requests']} API requests, CPU {load['cpu_s']:.1f}s")
    print(f"peak RSS of the loader process tree:    {load_rss / mb:.0f} MB (target <= 400 MB); "
          f"process high-water mark {load['max_rss_mb']:.0f} MB, of which extract {load['max_rss_extract_mb']:.0f} MB")
    print(f"ratio to ceiling:                       {l_rate / c_rate:.2f}x (target >= 0.70x)")
    if ceiling["rows"] != load["rows"]:
        print(f"WARNING: row counts differ (ceiling {ceiling['rows']}, source {load['rows']})")
    if load["table_rows"] != load["rows"]:
        print(f"note: the source yielded {load['rows']:,} rows for {load['table_rows']:,} records (merged on key)")


if __name__ == "__main__":
    main()
