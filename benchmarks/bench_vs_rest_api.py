"""One object, locally: this project's source against the best plain dlt pipeline a competent user would build.

    .venv/bin/python benchmarks/bench_vs_rest_api.py [--lines 1000000]

Contenders (each in its own child process; the sandbox runs in a separate process, not counted):
  ours       `intacct_source(["journal_entry_lines"])` into DuckDB with the project's default settings
  rest_api   `dlt.sources.rest_api` tuned: POST /services/core/query with the same field list (every
             readable scalar field of the model, `href` left out), offset paging in the JSON body (`start`/
             `size`, 4000 rows), merge on `key`, **parquet loader** (`loader_file_format="parquet"`) into the
             same kind of DuckDB destination (same memory cap and threads)
Printed: rows, wall seconds (the load, measured inside the child), rows/s, speed ratio, peak RSS of the child.
Targets of the issue: ours >= 1.5x rest_api's speed at <= its RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, PeakRSS, SandboxProcess  # noqa: E402

OBJECT, TABLE = "general-ledger/journal-entry-line", "journal_entry_lines"


def child_ours(db: str) -> dict:
    os.environ["INTACCT_DUCKDB_PATH"] = db
    from intacct_dagster.destination import IntacctDestination
    from intacct_dagster.intacct import intacct_source

    with IntacctDestination().run_pipeline() as pipeline:
        t0 = time.perf_counter()
        pipeline.run(intacct_source([TABLE])).raise_on_failed_jobs()
        wall = time.perf_counter() - t0
        with pipeline.sql_client() as sql:
            rows = sql.execute_sql(f"SELECT count(*) FROM {TABLE}")[0][0]
    return {"rows": rows, "wall": wall}


def child_rest_api(db: str) -> dict:
    import dlt
    import requests
    from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
    from dlt.sources.rest_api import rest_api_source

    from intacct_dagster.intacct.schema import build_columns
    from intacct_dagster.intacct.settings import SettingsReader

    env = os.environ
    s = requests.Session()
    token = s.post(f"{env['INTACCT_BASE_URL']}/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": env["INTACCT_CLIENT_ID"],
        "client_secret": env["INTACCT_CLIENT_SECRET"], "username": env["INTACCT_USERNAME"]}, timeout=60).json()[
        "access_token"]
    model = s.get(f"{env['INTACCT_BASE_URL']}/services/core/model", params={"name": OBJECT},
                  headers={"Authorization": f"Bearer {token}"}, timeout=60).json()["ia::result"]
    fields = [c.field for c in build_columns(model)]
    source = rest_api_source({
        "client": {"base_url": env["INTACCT_BASE_URL"] + "/", "auth": {"type": "bearer", "token": token}},
        "resources": [{
            "name": TABLE, "primary_key": "key", "write_disposition": "merge",
            "endpoint": {
                "path": "services/core/query", "method": "POST", "data_selector": "['ia::result']",
                "json": {"object": OBJECT, "fields": fields, "orderBy": [{"key": "asc"}]},
                "paginator": {"type": "offset", "limit": 4000, "offset": 1, "offset_body_path": "start",
                              "limit_body_path": "size", "total_path": None, "stop_after_empty_page": True},
            },
        }],
    })
    settings = SettingsReader().group("destination")  # the same DuckDB memory cap and threads as ours
    credentials = DuckDbCredentials(db, global_config={"memory_limit": settings["duckdb_memory_limit"],
                                                       "threads": int(settings["duckdb_threads"]),
                                                       "preserve_insertion_order": False})
    pipeline = dlt.pipeline("bench_rest_api", destination=dlt.destinations.duckdb(credentials),
                            dataset_name="intacct", pipelines_dir=tempfile.mkdtemp(prefix="rest-api-"))
    t0 = time.perf_counter()
    pipeline.run(source, loader_file_format="parquet").raise_on_failed_jobs()
    wall = time.perf_counter() - t0
    with pipeline.sql_client() as sql:
        rows = sql.execute_sql(f"SELECT count(*) FROM {TABLE}")[0][0]
    return {"rows": rows, "wall": wall}


CHILDREN = {"ours": child_ours, "rest_api": child_rest_api}


def run_child(name: str, sb: SandboxProcess, work: Path) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, "--db", str(work / f"{name}.duckdb")]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO,
                            env={**os.environ, **sb.env(), "RUNTIME__DLTHUB_TELEMETRY": "false"})
    rss = PeakRSS(proc.pid).start()
    out, _ = proc.communicate()
    peak = rss.stop()
    m = re.search(r"^BENCH_RESULT (.*)$", out, re.M)
    if proc.returncode or not m:
        raise RuntimeError(f"{name} failed:\n" + "\n".join(out.splitlines()[-30:]))
    res = json.loads(m.group(1))
    return {"name": name, **res, "rows_per_s": res["rows"] / res["wall"], "peak_rss_mb": peak / 2**20}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--child", choices=sorted(CHILDREN))
    ap.add_argument("--db")
    args = ap.parse_args()
    if args.child:
        print("BENCH_RESULT " + json.dumps(CHILDREN[args.child](args.db)), flush=True)
        return 0
    sb = SandboxProcess(args.lines)
    sb.start()
    work = Path(tempfile.mkdtemp(prefix="bench-vs-rest-api-"))
    try:
        results = [run_child(name, sb, work) for name in ("rest_api", "ours")]
    finally:
        sb.stop()
    base = results[0]
    print(f"\n# bench_vs_rest_api: {args.lines:,} journal-entry lines (one object), {os.cpu_count()} CPUs")
    print(f"{'contender':<10} {'rows':>10} {'wall s':>8} {'rows/s':>9} {'speed':>7} {'peak RSS MB':>12}")
    for r in results:
        print(f"{r['name']:<10} {r['rows']:>10} {r['wall']:>8.1f} {r['rows_per_s']:>9.0f} "
              f"{r['rows_per_s'] / base['rows_per_s']:>6.2f}x {r['peak_rss_mb']:>12.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
