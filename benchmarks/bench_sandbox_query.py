"""Benchmark: how fast can one client pull every journal-entry line out of the sandbox?

Builds the sandbox (default 1,000,000 lines), then pages through ``general-ledger/journal-entry-line`` with
keyset pagination (``modified > T or (modified = T and key > K)``, ordered by modifiedDateTime, key; 4000 rows
per page; null modifiedDateTime -- migrated records -- sorts first) over one ``requests.Session`` and parses
every page with orjson -- the access pattern of the dlt source. Prints rows/s, pages, build time and peak RSS,
to show the sandbox is not the pipeline's bottleneck.

By default the server runs in its own process (``python -m intacct_dagster.sandbox``), as it does for the demo,
so client and server do not share one GIL; ``--in-process`` runs it in a thread of this process instead
(the way tests use it).

``--latency``/``--latency-per-row``/``--concurrency-limit`` turn on the sandbox's gateway model (off by default,
so the default run measures the sandbox itself); the server's statistics (requests by kind, peak in flight,
429s, simulated latency) are printed at the end.

    python benchmarks/bench_sandbox_query.py [--lines 1000000] [--page-size 4000] [--in-process]
        [--latency 0.2] [--latency-per-row 0.00002] [--concurrency-limit 8]
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import time

import orjson
import psutil
import requests

FIELDS = ["key", "id", "journalEntry.key", "lineNumber", "txnType", "txnAmount", "baseAmount", "entryDate",
          "glAccount.id", "dimensions.department.id", "dimensions.location.id", "dimensions.vendor.id",
          "state", "audit.createdDateTime", "audit.modifiedDateTime"]
MOD = "audit.modifiedDateTime"
OBJ = "general-ledger/journal-entry-line"
CREDS = {"client_id": "sandbox-client-id", "client_secret": "sandbox-client-secret", "username": "ws_user@SANDBOX"}


def _peak_rss_mb(pid: int | None) -> float:
    if pid is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open(f"/proc/{pid}/status") as f:
        m = re.search(r"VmHWM:\s+(\d+) kB", f.read())
    return int(m.group(1)) / 1024 if m else float("nan")


def _start(lines: int, in_process: bool, gateway: dict):
    """(base_url, build_seconds, server pid or None, stop callable, admin token)"""
    if in_process:
        from intacct_dagster.sandbox import Sandbox

        sb = Sandbox(lines=lines, **gateway)
        return sb.start(), sb.build_seconds, None, sb.stop, sb.admin_token
    t0 = time.perf_counter()
    flags = ["--latency", str(gateway["latency_s"]), "--latency-per-row", str(gateway["latency_per_row_s"])]
    if gateway["concurrency_limit"] is not None:
        flags += ["--concurrency-limit", str(gateway["concurrency_limit"])]
    proc = subprocess.Popen([sys.executable, "-m", "intacct_dagster.sandbox", "--port", "0", "--lines", str(lines),
                             *flags], stdout=subprocess.PIPE, text=True)
    first = proc.stdout.readline()
    m = re.search(r"(http://\S+) .*built \d+ lines in ([\d.]+)s", first)
    if not m:
        proc.kill()
        raise SystemExit(f"could not start the sandbox: {first!r}")
    print(f"(server process up after {time.perf_counter() - t0:.1f} s incl. interpreter start)")
    admin = None
    for _ in range(6):
        m2 = re.search(r"admin token\s+(\S+)", proc.stdout.readline())
        if m2:
            admin = m2.group(1)
            break

    def stop():
        proc.terminate()
        proc.wait(timeout=10)

    return m.group(1), float(m.group(2)), proc.pid, stop, admin


def _stats(base: str, admin: str | None) -> dict:
    if admin is None:
        return {}
    r = requests.get(f"{base}/__sandbox__/stats", headers={"X-Sandbox-Admin": admin}, timeout=10)
    return r.json().get("result", {}) if r.ok else {}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--page-size", type=int, default=4000)
    ap.add_argument("--in-process", action="store_true", help="run the server in a thread of this process")
    ap.add_argument("--latency", type=float, default=0.0, help="sandbox latency per call (s)")
    ap.add_argument("--latency-per-row", type=float, default=0.0, help="sandbox latency per row (s)")
    ap.add_argument("--concurrency-limit", type=int, default=None, help="sandbox requests in flight per company")
    args = ap.parse_args()
    gateway = {"latency_s": args.latency, "latency_per_row_s": args.latency_per_row,
               "concurrency_limit": args.concurrency_limit}

    base, build_s, pid, stop, admin = _start(args.lines, args.in_process, gateway)
    try:
        s = requests.Session()
        tok = s.post(f"{base}/oauth2/token", data={"grant_type": "client_credentials", **CREDS})
        tok.raise_for_status()
        s.headers["Authorization"] = "Bearer " + tok.json()["access_token"]
        s.headers["Content-Type"] = "application/json"
        params = {"includePrivate": True}
        count = s.post(f"{base}/services/core/query",
                       data=orjson.dumps({"object": OBJ, "fields": ["count:key"], "filterParameters": params}))
        expected = count.json()["ia::result"][0]["count:key"]
        body = {"object": OBJ, "fields": FIELDS, "orderBy": [{MOD: "asc"}, {"key": "asc"}],
                "filterParameters": params, "size": args.page_size}
        rows = pages = nbytes = 0
        last = None
        first_page_s = None
        server = psutil.Process(pid) if pid is not None else None
        srv_t0 = server.cpu_times() if server else None
        cpu0 = time.process_time()
        t1 = time.perf_counter()
        while True:
            q = dict(body)
            if last is not None and last[0] is None:  # null modifiedDateTime sorts first (migrated records)
                q["filters"] = [{"$eq": {MOD: None}}, {"$gt": {"key": last[1]}}, {"$ne": {MOD: None}}]
                q["filterExpression"] = "(1 and 2) or 3"
            elif last is not None:
                q["filters"] = [{"$gt": {MOD: last[0]}}, {"$eq": {MOD: last[0]}}, {"$gt": {"key": last[1]}}]
                q["filterExpression"] = "1 or (2 and 3)"
            resp = s.post(f"{base}/services/core/query", data=orjson.dumps(q))
            resp.raise_for_status()
            nbytes += len(resp.content)
            page = orjson.loads(resp.content)["ia::result"]
            pages += 1
            if first_page_s is None:
                first_page_s = time.perf_counter() - t1
            rows += len(page)
            if len(page) < args.page_size:
                break
            last = (page[-1][MOD], page[-1]["key"])
        elapsed = time.perf_counter() - t1
        cpu = time.process_time() - cpu0
        srv_t1 = server.cpu_times() if server else None
        srv_user = srv_t1.user - srv_t0.user if server else 0.0
        srv_sys = srv_t1.system - srv_t0.system if server else 0.0
        srv_cpu = srv_user + srv_sys if server else None
        peak = _peak_rss_mb(pid)
        stats = _stats(base, admin)
    finally:
        stop()
    where = "in-process (one GIL for client and server)" if args.in_process else "separate server process"
    print(f"mode               {where}")
    print(f"lines built        {args.lines:,} in {build_s:.1f} s")
    print(f"rows fetched       {rows:,} of {expected:,} in {pages} pages of {args.page_size}")
    print(f"elapsed            {elapsed:.2f} s  (first page {first_page_s * 1000:.0f} ms, builds the sorted index)")
    print(f"throughput         {rows / elapsed:,.0f} rows/s, {nbytes / elapsed / 1e6:.1f} MB/s of JSON")
    if srv_cpu is None:
        print(f"CPU                {cpu:.1f} s for client+server = {rows / cpu:,.0f} rows per CPU-second")
    else:
        print(f"CPU                server {srv_cpu:.1f} s (user {srv_user:.1f} + sys {srv_sys:.1f}; "
              f"{rows / srv_cpu:,.0f} rows per server CPU-second), client {cpu:.1f} s")
    if stats:
        print(f"server stats       {stats}")
    print(f"peak RSS           {peak:,.0f} MB ({'this process' if pid is None else 'server process'})")
    if rows != expected:
        raise SystemExit(f"row count mismatch: fetched {rows}, sandbox has {expected}")


if __name__ == "__main__":
    main()
