"""Load as fast as Intacct allows: tables and ranges are read concurrently within the company's request
grant, and a run that meets the gateway's limit backs off and recovers."""

from __future__ import annotations

import time

from dagster import AssetKey, DagsterInstance

from intacct_dagster.factory import build_intacct_defs
from intacct_dagster_tests.compare import check_table

TABLES = {"vendors": "accounts-payable/vendor", "customers": "accounts-receivable/customer",
          "gl_accounts": "general-ledger/account", "journal_entries": "general-ledger/journal-entry",
          "journal_entry_lines": "general-ledger/journal-entry-line", "ap_bills": "accounts-payable/bill",
          "ar_invoices": "accounts-receivable/invoice", "ap_payment_details": "accounts-payable/payment-detail"}


def _run(tables):
    job = build_intacct_defs().resolve_implicit_global_asset_job_def()
    instance = DagsterInstance.ephemeral()
    t0 = time.monotonic()
    result = job.execute_in_process(instance=instance, asset_selection=[AssetKey(["intacct", t]) for t in tables])
    return result, time.monotonic() - t0, "\n".join(r.user_message or "" for r in instance.all_logs(result.run_id))


def test_tables_and_ranges_load_concurrently_within_the_grant(sandbox_factory, point_at, project_env):
    sb = sandbox_factory(lines=6000, latency_s=0.4, concurrency_limit=8)
    db = point_at(sb)
    project_env.setenv("INTACCT_MAX_CONCURRENT_REQUESTS", "8")
    project_env.setenv("INTACCT_PAGE_SIZE", "300")  # many pages: the line table is split into ranges
    sb.reset_stats()
    result, wall, logs = _run(TABLES)
    stats = sb.stats()
    company = next(iter(stats["peak_in_flight"]))
    assert stats["throttled"] == 0, stats  # never beyond the grant
    assert 4 <= stats["peak_in_flight"][company] <= 8, stats
    serial = stats["latency_total_s"]
    assert serial / wall >= 3, f"{serial:.1f}s of call latency took {wall:.1f}s"
    assert "concurrent ranges" in logs
    for table, path in TABLES.items():
        assert not check_table(sb, db, "intacct", table, path), table


def test_a_run_beyond_the_companys_limit_backs_off_and_recovers(sandbox_factory, point_at, project_env):
    sb = sandbox_factory(lines=3000, latency_s=0.05, concurrency_limit=2, retry_after_s=0)
    db = point_at(sb)
    project_env.setenv("INTACCT_MAX_CONCURRENT_REQUESTS", "8")  # asks for more than Intacct grants
    project_env.setenv("INTACCT_PAGE_SIZE", "300")
    sb.reset_stats()
    result, _, logs = _run(TABLES)
    assert result.success
    stats = sb.stats()
    assert stats["throttled"] > 0  # it did meet the limit...
    assert stats["throttled"] < stats["requests"] / 4, stats  # ...and stopped exceeding it
    assert "concurrent requests" in logs and "throttled" in logs
    for table, path in TABLES.items():
        assert not check_table(sb, db, "intacct", table, path), table
