"""Benchmark: how fast can one client pull every journal-entry line out of the sandbox?

Builds the sandbox (default 1,000,000 lines), then pages through ``general-ledger/journal-entry-line`` with
keyset pagination (``modified > T or (modified = T and key > K)``, ordered by modifiedDateTime, key; 4000 rows
per page) over one ``requests.Session`` and parses every page with orjson -- the access pattern of the dlt
source. Prints rows/s, pages, build time and peak RSS, so the sandbox can be shown not to be the bottleneck.

    python benchmarks/bench_sandbox_query.py [--lines 1000000] [--page-size 4000]
"""

from __future__ import annotations

import argparse
import time

import orjson
import psutil
import requests

from intacct_dagster.sandbox import Sandbox

FIELDS = ["key", "id", "journalEntry.key", "lineNumber", "txnType", "txnAmount", "baseAmount", "entryDate",
          "glAccount.id", "dimensions.department.id", "dimensions.location.id", "dimensions.vendor.id",
          "state", "audit.createdDateTime", "audit.modifiedDateTime"]
MOD = "audit.modifiedDateTime"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--page-size", type=int, default=4000)
    args = ap.parse_args()

    proc = psutil.Process()
    t0 = time.perf_counter()
    sb = Sandbox(lines=args.lines)
    build_s = time.perf_counter() - t0
    rss_after_build = proc.memory_info().rss
    base = sb.start()
    try:
        s = requests.Session()
        tok = s.post(f"{base}/oauth2/token", data={"grant_type": "client_credentials", "client_id": sb.client_id,
                                                    "client_secret": sb.client_secret, "username": sb.username})
        tok.raise_for_status()
        s.headers["Authorization"] = "Bearer " + tok.json()["access_token"]
        s.headers["Content-Type"] = "application/json"
        order = [{MOD: "asc"}, {"key": "asc"}]
        body = {"object": "general-ledger/journal-entry-line", "fields": FIELDS, "orderBy": order,
                "filterParameters": {"includePrivate": True}, "size": args.page_size}
        rows = pages = nbytes = 0
        last = None
        peak = rss_after_build
        t1 = time.perf_counter()
        first_page_s = None
        while True:
            q = dict(body)
            if last is not None:
                q["filters"] = [{"$gt": {MOD: last[0]}}, {"$eq": {MOD: last[0]}}, {"$gt": {"key": last[1]}}]
                q["filterExpression"] = "1 or (2 and 3)"
            resp = s.post(f"{base}/services/core/query", data=orjson.dumps(q))
            resp.raise_for_status()
            nbytes += len(resp.content)
            page = orjson.loads(resp.content)["ia::result"]
            pages += 1
            if first_page_s is None:
                first_page_s = time.perf_counter() - t1
            if not page:
                break
            rows += len(page)
            last = (page[-1][MOD], page[-1]["key"])
            if pages % 25 == 0:
                peak = max(peak, proc.memory_info().rss)
            if len(page) < args.page_size:
                break
        elapsed = time.perf_counter() - t1
        peak = max(peak, proc.memory_info().rss)
        expected = len(sb.keys("general-ledger/journal-entry-line"))
    finally:
        sb.stop()
    print(f"lines built        {args.lines:,} in {build_s:.1f} s (RSS after build {rss_after_build / 1e6:.0f} MB)")
    print(f"rows fetched       {rows:,} of {expected:,} in {pages} pages of {args.page_size}")
    print(f"elapsed            {elapsed:.2f} s  (first page {first_page_s * 1000:.0f} ms incl. index build)")
    print(f"throughput         {rows / elapsed:,.0f} rows/s, {nbytes / elapsed / 1e6:.1f} MB/s of JSON")
    print(f"peak RSS           {peak / 1e6:.0f} MB (server and client in one process)")
    if rows != expected:
        raise SystemExit(f"row count mismatch: fetched {rows}, sandbox has {expected}")


if __name__ == "__main__":
    main()
