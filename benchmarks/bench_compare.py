"""Full + incremental load of the large sandbox dataset: Dagster assets vs plain dlt rest_api vs raw fetch.

    .venv/bin/python benchmarks/bench_compare.py [--lines 1000000] [--baseline-max-rows N] [--modify-frac 0.001]

What is measured (each contender runs in its own child process; the sandbox is a separate process that is
NOT counted in peak RSS):
  dagster   the project's Dagster assets (intacct/journal_entry_lines) materialized with the Definitions'
            resources into a fresh DuckDB file (in-process executor inside the child)
  rest_api  dlt.sources.rest_api with default settings: POST /services/core/query, offset paging in the JSON
            body (`start`/`size`, 4000 per page), same sandbox, same DuckDB destination, merge on `key`
  raw       the fetch+parse ceiling: requests.Session + orjson, keyset pages (key > last), rows counted,
            nothing written
Then 0.1% of the lines are modified in the sandbox and each contender runs incrementally
(filter audit.modifiedDateTime >= previous high-water mark).

Figures: rows/s, wall seconds (the load itself, measured inside the child after imports), peak RSS of the
child's process tree (psutil), API requests per 1M rows (counted by the sandbox).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, PeakRSS, SandboxProcess  # noqa: E402

PY = sys.executable
OBJECT = "general-ledger/journal-entry-line"
TABLE = "journal_entry_lines"
CURSOR = "audit.modifiedDateTime"
PAGE = 4000


# --------------------------------------------------------------------------------------------------- helpers


class Sandbox(SandboxProcess):
    """The sandbox as a separate process, plus what this benchmark asks of it."""

    def request_count(self) -> int:
        """Every API request the sandbox served (token, model and query calls), retries included."""
        return int(self.admin("request_count"))

    def modify(self, n: int) -> list[str]:
        return self.admin("modify", path=OBJECT, n=n)


def mint_token(session, env: dict[str, str]) -> str:
    r = session.post(f"{env['INTACCT_BASE_URL']}/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": env["INTACCT_CLIENT_ID"],
        "client_secret": env["INTACCT_CLIENT_SECRET"], "username": env["INTACCT_USERNAME"]}, timeout=60)
    r.raise_for_status()
    return r.json()["access_token"]


def model_fields(session, base_url: str, token: str) -> list[str]:
    """The readable scalar fields of the object, as the model service describes them (flat dotted names: plain
    fields, groups such as `audit.*`, references such as `glAccount.id`, references inside groups such as
    `dimensions.department.id`), without `href` links, write-only fields and arrays -- the same field list the
    project's source requests (`intacct_dagster.intacct.schema.model_fields`, not imported here so that the
    contenders' RSS does not include pyarrow)."""
    r = session.get(f"{base_url}/services/core/model", params={"name": OBJECT},
                    headers={"Authorization": f"Bearer {token}"}, timeout=60)
    r.raise_for_status()
    out: list[str] = []

    def walk(node: dict, prefix: str) -> None:
        for name, spec in (node.get("fields") or {}).items():
            spec = spec or {}
            if name == "href" or spec.get("writeOnly") or str(spec.get("type") or "").lower() in ("array", "object"):
                continue
            out.append(prefix + name)
        for kind in ("groups", "refs"):
            for name, sub in (node.get(kind) or {}).items():
                walk(sub or {}, f"{prefix}{name}.")

    walk(r.json()["ia::result"], "")
    return list(dict.fromkeys(out))


# --------------------------------------------------------------------------------------------------- contenders
# Each runs inside a child process and prints one line `BENCH_RESULT {json}`.


def child_raw(args: argparse.Namespace) -> dict:
    import orjson
    import requests

    env = os.environ
    s = requests.Session()
    token = mint_token(s, env)  # type: ignore[arg-type]
    fields = model_fields(s, env["INTACCT_BASE_URL"], token)
    state = Path(args.state)
    since = json.loads(state.read_text())["hwm"] if (args.phase == "incremental" and state.exists()) else None
    t0 = time.perf_counter()
    rows = 0
    last_key = None
    hwm = since or ""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    url = f"{env['INTACCT_BASE_URL']}/services/core/query"
    while True:
        filters = []
        if last_key is not None:
            filters.append({"$gt": {"key": last_key}})
        if since:
            filters.append({"$gte": {CURSOR: since}})
        body: dict = {"object": OBJECT, "fields": fields, "orderBy": [{"key": "asc"}], "start": 1, "size": PAGE}
        if filters:
            body["filters"] = filters
        r = s.post(url, data=orjson.dumps(body), headers=headers, timeout=120)
        r.raise_for_status()
        page = orjson.loads(r.content)["ia::result"]
        if not page:
            break
        rows += len(page)
        last_key = page[-1]["key"]
        for rec in page:
            v = rec.get(CURSOR) or ""
            if v > hwm:
                hwm = v
        if len(page) < PAGE:
            break
    wall = time.perf_counter() - t0
    state.write_text(json.dumps({"hwm": hwm}))
    return {"rows": rows, "wall": wall}


def child_rest_api(args: argparse.Namespace) -> dict:
    import dlt
    import requests
    from dlt.sources.rest_api import rest_api_source

    env = os.environ
    s = requests.Session()
    token = mint_token(s, env)  # type: ignore[arg-type]
    fields = model_fields(s, env["INTACCT_BASE_URL"], token)
    paginator = {"type": "offset", "limit": PAGE, "offset": 1, "offset_body_path": "start",
                 "limit_body_path": "size", "total_path": None, "stop_after_empty_page": True}
    if args.max_rows:
        paginator["maximum_offset"] = args.max_rows + 1
    body = {"object": OBJECT, "fields": fields, "orderBy": [{"key": "asc"}],
            "filters": [{"$gte": {CURSOR: "{incremental.start_value}"}}]}
    source = rest_api_source({
        "client": {"base_url": env["INTACCT_BASE_URL"] + "/", "auth": {"type": "bearer", "token": token}},
        "resources": [{
            "name": TABLE, "primary_key": "key", "write_disposition": "merge",
            "endpoint": {
                "path": "services/core/query", "method": "POST", "json": body, "data_selector": "['ia::result']",
                "paginator": paginator,
                "incremental": {"cursor_path": f"'{CURSOR}'", "initial_value": "2000-01-01T00:00:00Z"},
            },
        }],
    })
    pipeline = dlt.pipeline("bench_rest_api", destination=dlt.destinations.duckdb(args.db),
                            dataset_name="intacct", pipelines_dir=args.pipelines_dir)
    t0 = time.perf_counter()
    info = pipeline.run(source)
    wall = time.perf_counter() - t0
    info.raise_on_failed_jobs()
    rows = sum(pipeline.last_trace.last_normalize_info.row_counts.get(t, 0) for t in (TABLE,))
    return {"rows": rows, "wall": wall}


def child_dagster(args: argparse.Namespace) -> dict:
    os.environ.setdefault("INTACCT_DESTINATION", "duckdb")
    os.environ["INTACCT_DUCKDB_PATH"] = args.db
    os.environ["INTACCT_DLT_PIPELINES_DIR"] = args.pipelines_dir
    from dagster import AssetKey, DagsterInstance

    from intacct_dagster.factory import build_intacct_defs

    defs = build_intacct_defs()  # the project's default company, as `intacct_dagster.definitions` builds it
    job = defs.resolve_implicit_global_asset_job_def()
    instance = DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()
    t0 = time.perf_counter()
    result = job.execute_in_process(instance=instance, asset_selection=[AssetKey(["intacct", TABLE])])
    wall = time.perf_counter() - t0
    assert result.success, "Dagster run failed"
    rows = 0
    for ev in result.get_asset_materialization_events():
        mat = ev.event_specific_data.materialization
        if mat.asset_key == AssetKey(["intacct", TABLE]) and "rows_loaded" in mat.metadata:
            rows = int(mat.metadata["rows_loaded"].value)
    return {"rows": rows, "wall": wall}


CHILDREN = {"raw": child_raw, "rest_api": child_rest_api, "dagster": child_dagster}


def run_child(name: str, phase: str, sb: Sandbox, workdir: Path, extra: list[str], extra_env: dict[str, str]) -> dict:
    db = workdir / f"{name}.duckdb"
    args = [PY, str(Path(__file__).resolve()), "--child", name, "--phase", phase, "--db", str(db),
            "--state", str(workdir / f"{name}.state.json"), "--pipelines-dir", str(workdir / f"{name}_pipelines"), *extra]
    env = {**os.environ, **sb.env(), **extra_env, "DAGSTER_HOME": str(workdir / "dagster_home")}
    (workdir / "dagster_home").mkdir(exist_ok=True)
    before = sb.request_count()
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=REPO)
    rss = PeakRSS(proc.pid, exclude={sb.proc.pid} if sb.proc else set()).start()
    out, _ = proc.communicate()
    peak = rss.stop()
    proc_wall = time.perf_counter() - t0
    requests_made = sb.request_count() - before
    m = re.search(r"^BENCH_RESULT (.*)$", out, re.M)
    if proc.returncode != 0 or not m:
        tail = "\n".join(out.splitlines()[-40:])
        return {"name": name, "phase": phase, "error": f"exit {proc.returncode}:\n{tail}"}
    res = json.loads(m.group(1))
    rows = res["rows"]
    return {"name": name, "phase": phase, "rows": rows, "wall": res["wall"], "proc_wall": proc_wall,
            "rows_per_s": rows / res["wall"] if res["wall"] else 0.0, "peak_rss_mb": peak / 2**20,
            "requests": requests_made, "requests_per_1m": requests_made * 1_000_000 / rows if rows else None}


def table(results: list[dict], phase: str, ref: str = "dagster") -> str:
    rs = [r for r in results if r["phase"] == phase]
    base = next((r for r in rs if r["name"] == ref and "error" not in r), None)
    hdr = f"{'contender':<10} {'rows':>10} {'wall s':>8} {'rows/s':>10} {'peak RSS MB':>12} {'requests':>9} {'req/1M rows':>12} {'speed vs dagster':>17} {'RSS vs dagster':>15}"
    lines = [f"## {phase}", hdr, "-" * len(hdr)]
    for r in rs:
        if "error" in r:
            lines.append(f"{r['name']:<10} FAILED: {r['error'].splitlines()[-1] if r['error'] else ''}")
            continue
        sp = f"{r['rows_per_s'] / base['rows_per_s']:.2f}x" if base and base["rows_per_s"] else "-"
        mem = f"{r['peak_rss_mb'] / base['peak_rss_mb']:.2f}x" if base and base["peak_rss_mb"] else "-"
        rq = f"{r['requests_per_1m']:.0f}" if r["requests_per_1m"] is not None else "-"
        lines.append(f"{r['name']:<10} {r['rows']:>10} {r['wall']:>8.2f} {r['rows_per_s']:>10.0f} {r['peak_rss_mb']:>12.0f} "
                     f"{r['requests']:>9} {rq:>12} {sp:>17} {mem:>15}")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=1_000_000, help="journal-entry lines in the sandbox (default 1,000,000)")
    ap.add_argument("--baseline-max-rows", type=int, default=50_000,
                    help="cap the rest_api baseline's full load at this many rows (default 50,000; 0 = no cap). "
                         "dlt's default DuckDB loader for JSON rows (insert_values) needs ~80 KB of RSS per row "
                         "and runs at ~1k rows/s here, so 1M uncapped rows would take ~20 min and tens of GB")
    ap.add_argument("--modify-frac", type=float, default=0.001, help="fraction of lines modified before the incremental run")
    ap.add_argument("--only", default="dagster,rest_api,raw", help="comma-separated contenders")
    ap.add_argument("--json", help="also write the results as JSON here")
    ap.add_argument("--keep", action="store_true", help="keep the work dir")
    ap.add_argument("--child", choices=sorted(CHILDREN))
    ap.add_argument("--phase", default="full")
    ap.add_argument("--db")
    ap.add_argument("--state")
    ap.add_argument("--pipelines-dir")
    ap.add_argument("--max-rows", type=int, default=0)
    args = ap.parse_args()

    if args.child:
        res = CHILDREN[args.child](args)
        print("BENCH_RESULT " + json.dumps(res), flush=True)
        return 0

    names = [n.strip() for n in args.only.split(",") if n.strip()]
    workdir = Path(tempfile.mkdtemp(prefix="intacct-bench-"))
    sb = Sandbox(args.lines)
    results: list[dict] = []
    t_build = time.perf_counter()
    sb.start()
    print(f"sandbox: {args.lines:,} journal-entry lines at {sb.base_url} (built in {time.perf_counter() - t_build:.1f}s, "
          f"pid {sb.proc.pid if sb.proc else '?'}, not counted in RSS)", flush=True)
    try:
        for name in names:
            cap = args.baseline_max_rows and args.baseline_max_rows < args.lines
            extra = ["--max-rows", str(args.baseline_max_rows)] if (name == "rest_api" and cap) else []
            r = run_child(name, "full", sb, workdir, extra, {})
            results.append(r)
            print(json.dumps(r), flush=True)
        n_mod = max(1, int(args.lines * args.modify_frac))
        time.sleep(1.1)  # the modified timestamps must be later than the full load's high-water mark
        keys = sb.modify(n_mod)
        print(f"modified {len(keys) if hasattr(keys, '__len__') else n_mod} lines ({args.modify_frac:.2%})", flush=True)
        for name in names:
            r = run_child(name, "incremental", sb, workdir, [], {})
            results.append(r)
            print(json.dumps(r), flush=True)
    finally:
        sb.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(f"# bench_compare: {args.lines:,} journal-entry lines, page size {PAGE}, {os.cpu_count()} CPUs")
    if "rest_api" in names and args.baseline_max_rows and args.baseline_max_rows < args.lines:
        print(f"# NOTE: the rest_api baseline's FULL load was capped at {args.baseline_max_rows:,} rows (--baseline-max-rows; "
              "its rows/s and req/1M are per row it loaded; its peak RSS is for that smaller load). See benchmarks/README.md")
    print(table(results, "full"))
    print()
    print(table(results, "incremental"))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
