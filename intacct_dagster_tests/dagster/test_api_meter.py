"""API calls are metered per table (Dagster metadata and a log summary), and a monthly budget warns."""

from __future__ import annotations

from dagster import AssetKey, DagsterInstance

from intacct_dagster.factory import build_intacct_defs


def _run(tables: list[str]):
    job = build_intacct_defs().resolve_implicit_global_asset_job_def()
    instance = DagsterInstance.ephemeral()
    result = job.execute_in_process(instance=instance, asset_selection=[AssetKey(["intacct", t]) for t in tables])
    logs = "\n".join(r.user_message or "" for r in instance.all_logs(result.run_id))
    return result, logs


def test_calls_per_table_and_a_budget_warning(sandbox, point_at, project_env):
    point_at(sandbox)
    project_env.setenv("INTACCT_MONTHLY_API_BUDGET", "5")
    sandbox.reset_request_count()
    result, logs = _run(["vendors", "journal_entry_lines"])
    meta = {e.materialization.asset_key.path[-1]: e.materialization.metadata
            for e in result.get_asset_materialization_events()}
    per_table = {t: m["intacct/api_calls"].value for t, m in meta.items()}
    # one model call and at least two queries (rows, then records with a null modifiedDateTime) per table
    assert all(n >= 3 for n in per_table.values()), per_table
    queries = sandbox.request_count("services/core/query") + sandbox.request_count("services/core/model")
    assert sum(per_table.values()) == queries
    assert "Intacct API calls this run" in logs
    month = meta["vendors"]["intacct/api_calls_month_to_date"].value
    assert month >= sum(per_table.values())
    assert "over the monthly budget of 5 (INTACCT_MONTHLY_API_BUDGET)" in logs
    # the month-to-date count is kept with the state and grows run after run
    result2, _ = _run(["vendors"])
    meta2 = result2.get_asset_materialization_events()[0].materialization.metadata
    assert meta2["intacct/api_calls_month_to_date"].value > month
