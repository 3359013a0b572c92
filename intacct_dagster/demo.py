"""`python -m intacct_dagster.demo`: load every Intacct table through the project's Definitions.

With no Intacct credentials anywhere (env or .dlt/secrets.toml) it starts the built-in sandbox,
says so loudly, and points the resource at it, so a fresh clone shows a real end-to-end load.
With credentials it uses them and never falls back to the sandbox.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

CREDENTIAL_SETTINGS = ("client_id", "client_secret", "username", "refresh_token", "access_token")
SANDBOX_DUCKDB = "data/sandbox.duckdb"
DAGSTER_YAML = """\
# Written by `python -m intacct_dagster.demo`; edit freely (it is not overwritten).
telemetry:
  enabled: false
concurrency:
  pools:
    # The Intacct assets and checks use pool `intacct`: one load at a time (Intacct API concurrency,
    # DuckDB has a single writer). Same as `dagster instance concurrency set intacct 1`.
    default_limit: 1
"""

DESCRIPTION = """\
Load Sage Intacct data into DuckDB through the project's Dagster definitions.

Credentials: if any of INTACCT_CLIENT_ID / INTACCT_CLIENT_SECRET / INTACCT_USERNAME /
INTACCT_REFRESH_TOKEN / INTACCT_ACCESS_TOKEN is set (or .dlt/secrets.toml has [sources.intacct]
credentials) the demo loads from real Intacct into INTACCT_DUCKDB_PATH (default data/warehouse.duckdb).
Otherwise it starts the built-in Intacct sandbox on 127.0.0.1 and loads into data/sandbox.duckdb.
"""

EPILOG = """\
examples:
  python -m intacct_dagster.demo                  # sandbox (no credentials): load, then print tables
  python -m intacct_dagster.demo --lines 100000   # bigger sandbox company
  python -m intacct_dagster.demo --ui             # dagster dev on http://127.0.0.1:3000 (click Materialize)
  INTACCT_CLIENT_ID=... INTACCT_CLIENT_SECRET=... INTACCT_USERNAME=ws_user@CO python -m intacct_dagster.demo
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m intacct_dagster.demo",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--ui", action="store_true", help="start `dagster dev` instead of loading once")
    p.add_argument("--port", type=int, default=3000, help="dagster dev web UI port (default 3000)")
    p.add_argument("--sandbox", action="store_true", help="use the sandbox even if credentials are set")
    p.add_argument("--lines", type=int, default=5000,
                   help="sandbox size in journal-entry lines; other objects scale with it (default 5000)")
    p.add_argument("--no-incremental", action="store_true",
                   help="sandbox: skip the second run that shows an incremental load of changed records")
    return p.parse_args(argv)


def has_real_credentials() -> bool:
    """True when the user configured Intacct credentials anywhere (env or .dlt/ files): then never use the
    sandbox."""
    from intacct_dagster.intacct.errors import IntacctConfigError
    from intacct_dagster.intacct.settings import SettingsReader

    try:
        reader = SettingsReader()
        return any(reader.lookup(name)[1] != "built-in default" for name in CREDENTIAL_SETTINGS)
    except IntacctConfigError:
        return True  # something is configured but invalid: let the run report it, do not fall back


def banner(lines: list[str]) -> None:
    width = max(len(x) for x in lines) + 4
    print("\n" + "#" * width)
    for x in lines:
        print(f"# {x.ljust(width - 4)} #")
    print("#" * width + "\n", flush=True)


def prepare_dagster_home() -> Path:
    home = Path(os.environ.get("DAGSTER_HOME") or ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        (home / "dagster.yaml").write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def start_sandbox(lines: int):
    from intacct_dagster.sandbox import Sandbox

    sb = Sandbox(lines=lines, seed=7)
    sb.start()
    return sb


def isolate_from_user_settings() -> None:
    """The sandbox is not the user's company: none of their INTACCT_* variables or .dlt/ settings applies.
    dlt then reads an empty settings folder, so the project's own dlt defaults are set here."""
    import tempfile

    for var in [v for v in os.environ if v.startswith("INTACCT_")]:
        os.environ.pop(var, None)
    empty = Path(tempfile.mkdtemp(prefix="intacct-demo-dlt-"))
    (empty / ".dlt").mkdir()
    os.environ["DLT_PROJECT_DIR"] = str(empty)
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("NORMALIZE__DATA_WRITER__DISABLE_COMPRESSION", "true")


def sandbox_env(sb) -> dict[str, str]:
    """Env vars that point the project (resource + destination) at a running sandbox."""
    return {
        "INTACCT_BASE_URL": sb.base_url,
        "INTACCT_CLIENT_ID": sb.client_id,
        "INTACCT_CLIENT_SECRET": sb.client_secret,
        "INTACCT_USERNAME": sb.username,
        "INTACCT_DESTINATION": "duckdb",  # never send sandbox rows to a real warehouse
        "INTACCT_DUCKDB_PATH": str(Path(SANDBOX_DUCKDB).resolve()),
    }


def materialize_all():
    """Run the project's `intacct_job` (all assets + checks) in-process on the local instance."""
    from dagster import DagsterInstance

    from intacct_dagster.factory import build_intacct_defs

    job = build_intacct_defs().resolve_job_def("intacct_job")
    # INFO on the console: progress (pages, rows, waits) without Dagster's per-step DEBUG chatter.
    console_info = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
    return job.execute_in_process(instance=DagsterInstance.get(), run_config=console_info, raise_on_error=False)


def summarize(result) -> tuple[dict[str, int], list[str]]:
    loaded: dict[str, int] = {}
    for event in result.get_asset_materialization_events():
        mat = event.materialization
        if len(mat.asset_key.path) > 2:  # finance models (intacct/staging/..., intacct/finance/...), not tables
            continue
        value = mat.metadata.get("rows_loaded")
        loaded[mat.asset_key.path[-1]] = int(value.value) if value is not None else 0
    failed = [
        f"{e.asset_key.to_user_string()}:{e.check_name}"
        for e in result.get_asset_check_evaluations()
        if not e.passed
    ]
    return loaded, failed


def failure_reason(result) -> str:
    """The first step failure's description (e.g. which env var is missing), without the traceback."""
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            data = event.step_failure_data
            if data.user_failure_data is not None and data.user_failure_data.description:
                return data.user_failure_data.description
            if data.error is not None:
                return data.error.message.strip()
    return "see the log above"


def print_tables(loaded: dict[str, int], runs_loaded: dict[str, int] | None = None) -> None:
    """Print table, rows loaded by the run(s) and rows now in the destination."""
    from intacct_dagster.destination import IntacctDestination

    totals: dict[str, int | None] = {}
    from dlt.destinations.exceptions import DatabaseUndefinedRelation

    with IntacctDestination().sql_client() as client:
        for table in loaded:
            try:
                totals[table] = int(
                    client.execute_sql(f"SELECT count(*) FROM {client.make_qualified_table_name(table)}")[0][0]
                )
            except DatabaseUndefinedRelation:
                totals[table] = None
    headers = ["table", "rows loaded"] + (["incremental run"] if runs_loaded is not None else []) + [
        "rows in destination"]
    rows = [
        [t, str(n)] + ([str(runs_loaded.get(t, 0))] if runs_loaded is not None else [])
        + ["-" if totals[t] is None else str(totals[t])]
        for t, n in loaded.items()
    ]
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    line = "  ".join("-" * w for w in widths)
    print(line)
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print(line)
    for r in rows:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))))
    print(line)


def run_once(args: argparse.Namespace, sb) -> int:
    t0 = time.monotonic()
    result = materialize_all()
    took = time.monotonic() - t0
    loaded, failed = summarize(result)
    if not result.success:
        print(f"\nLoad FAILED after {took:.1f}s (run {result.run_id}):\n{failure_reason(result)}", file=sys.stderr)
        return 1
    print(f"\nLoaded {len(loaded)} Intacct tables in {took:.1f}s (run {result.run_id}).")
    second: dict[str, int] | None = None
    if sb is not None and not args.no_incremental:
        changed = sb.modify("accounts-payable/vendor", 3)
        print(f"Changed {len(changed)} vendors in the sandbox; running again (incremental) ...", flush=True)
        t1 = time.monotonic()
        result2 = materialize_all()
        second, failed2 = summarize(result2)
        failed += failed2
        if not result2.success:
            print("Second (incremental) run FAILED.", file=sys.stderr)
            return 1
        print(f"Incremental run took {time.monotonic() - t1:.1f}s.")
    print_tables(loaded, second)
    if second is not None:
        print("(incremental run: records modified since the last run, plus a one-hour safety lookback; the "
              "sandbox also has records stamped a day in the future, which are re-read until their time comes)")
    from intacct_dagster.intacct.settings import SettingsReader

    reader = SettingsReader()
    dest = reader.get("duckdb_path")
    print_statements()
    if reader.get("destination") == "duckdb":
        print(f"\nQuery it: duckdb {dest} \"SELECT * FROM intacct.vendors LIMIT 5\"")
        print(f"           duckdb {dest} \"SELECT * FROM intacct_finance.trial_balance LIMIT 5\"  (docs/finance.md)")
    if failed:
        print(f"\nData checks FAILED: {', '.join(failed)}", file=sys.stderr)
        return 2
    print("All data checks passed (key unique/not null, journal entries balance, finance statements tie out).")
    return 0


# --- finance statements (printing only): a short trial balance and P&L from the dbt marts ---
def _amount(value) -> str:
    return f"{value:,.2f}"


def _table(headers: list[str], rows: list[list[str]], text_columns: int) -> None:
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    line = "  ".join("-" * w for w in widths)
    print(line)
    for r in [headers, None, *rows, None]:
        if r is None:
            print(line)
            continue
        print("  ".join(c.ljust(w) if i < text_columns else c.rjust(w)
                        for i, (c, w) in enumerate(zip(r, widths, strict=True))))


def print_statements() -> None:
    """The latest period's trial balance (by statement section) and the fiscal year-to-date P&L, per entity."""
    from intacct_dagster.destination import IntacctDestination

    destination = IntacctDestination()
    schema = f"{destination.dataset}_finance"
    try:
        with destination.sql_client() as client:
            tb = client.execute_sql(
                f"SELECT coalesce(entity_id, '-'), base_currency, statement_section, section_order, fiscal_year, "
                f"fiscal_period, period_start, sum(opening_balance), sum(debits), sum(credits), sum(closing_balance) "
                f"FROM {schema}.trial_balance WHERE period_start = (SELECT max(period_start) FROM {schema}.trial_balance) "
                f"GROUP BY 1, 2, 3, 4, 5, 6, 7, statement ORDER BY 1, statement, 4, 3")
            pl = client.execute_sql(
                f"SELECT coalesce(entity_id, '-'), base_currency, statement_section, sum(ytd_amount), "
                f"sum(ytd_net_income_amount) FROM {schema}.profit_and_loss "
                f"WHERE period_start = (SELECT max(period_start) FROM {schema}.trial_balance) "
                f"GROUP BY 1, 2, 3 ORDER BY 1, 3")
    except Exception as exc:  # noqa: BLE001 - the statements are extra: never fail the demo over them
        print(f"\n(no finance statements to show: {str(exc).splitlines()[0][:200]})")
        return
    if not tb:
        print("\n(no finance statements to show: the general ledger has no posted entries)")
        return
    year, period, start = tb[0][4], tb[0][5], tb[0][6]
    print(f"\nTrial balance {str(start)[:7]} (fiscal {year} period {period}), base currency, by statement section "
          f"(debit +, credit -):")
    rows, totals = [], {}
    for entity, currency, section, _, _, _, _, opening, debits, credits, closing in tb:
        rows.append([entity, currency, section, *map(_amount, (opening, debits, credits, closing))])
        t = totals.setdefault((entity, currency), [0, 0, 0, 0])
        for i, v in enumerate((opening, debits, credits, closing)):
            t[i] += v
    for (entity, currency), t in totals.items():
        rows.append([entity, currency, "total", *map(_amount, t)])
    _table(["entity", "currency", "section", "opening", "debits", "credits", "closing"], rows, 3)
    sections = ["revenue", "cost_of_sales", "operating_expense", "other_income", "other_expense"]
    by_entity: dict[tuple, dict] = {}
    for entity, currency, section, ytd, ytd_net in pl:
        d = by_entity.setdefault((entity, currency), {"net": 0})
        d[section] = ytd
        d["net"] += ytd_net
    print(f"\nProfit and loss, fiscal {year} year to date through period {period}, base currency:")
    _table(["entity", "currency", *sections, "net income"],
           [[e, c, *(_amount(d.get(s, 0)) for s in sections), _amount(d["net"])] for (e, c), d in by_entity.items()],
           2)
# --- end finance statements ---


def run_ui(args: argparse.Namespace) -> int:
    """`dagster dev` in a subprocess; the sandbox (if any) keeps serving from this process."""
    workspace = Path(__file__).resolve().parent.parent / "workspace.yaml"
    target = ["-w", str(workspace)] if workspace.exists() else ["-m", "intacct_dagster.definitions"]
    cmd = [sys.executable, "-m", "dagster", "dev", *target, "--port", str(args.port), "--host", "127.0.0.1"]
    print(f"Starting: {' '.join(cmd)}\nOpen http://127.0.0.1:{args.port}, then Assets -> Materialize all. Ctrl-C stops.",
          flush=True)
    proc = subprocess.Popen(cmd, env=os.environ.copy())
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGINT)
        try:
            return proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            return 130


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    home = prepare_dagster_home()
    sb = None
    if has_real_credentials() and not args.sandbox:
        from intacct_dagster.intacct.settings import SettingsReader

        reader = SettingsReader()
        dest = reader.get("destination")
        where = reader.get("duckdb_path") if dest == "duckdb" else dest
        print(f"Using REAL Sage Intacct credentials from your environment / .dlt/secrets.toml -> {where}", flush=True)
    else:
        sb = start_sandbox(args.lines)
        isolate_from_user_settings()
        os.environ.update(sandbox_env(sb))
        db = Path(SANDBOX_DUCKDB)
        # Every start generates a new fake company, so rows (and cursors) from an earlier start would
        # mix two companies in one table: always start the sandbox destination empty.
        for stale in (db, db.with_suffix(".duckdb.wal")):
            stale.unlink(missing_ok=True)
        banner([
            "USING THE BUILT-IN INTACCT SANDBOX (no Intacct credentials found)",
            f"sandbox API: {sb.base_url}  ({args.lines} journal-entry lines, fake data)",
            f"destination: {db} (emptied: each sandbox start is a new fake company)",
            "Set INTACCT_CLIENT_ID/INTACCT_CLIENT_SECRET/INTACCT_USERNAME to load real data.",
        ])
    print(f"DAGSTER_HOME={home}", flush=True)
    try:
        return run_ui(args) if args.ui else run_once(args, sb)
    finally:
        if sb is not None:
            sb.stop()


if __name__ == "__main__":
    sys.exit(main())
