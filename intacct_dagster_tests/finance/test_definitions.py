"""The finance statements in the code location: lineage raw -> staging -> marts, pool, checks, job and schedule,
the dbt profile per destination, and loading with no database and no network."""

from __future__ import annotations

import json

import pytest
from dagster import AssetKey

from intacct_dagster.finance import MARTS
from intacct_dagster.intacct.catalog import DEFAULT_OBJECT_NAMES

TIE_OUTS = {
    "trial_balance": "assert_trial_balance_sums_to_zero",
    "balance_sheet": "assert_balance_sheet_balances",
    "profit_and_loss": "assert_net_income_equals_earnings_movement",
    "ap_aging": "assert_ap_aging_ties_to_open_bills",
    "ar_aging": "assert_ar_aging_ties_to_open_invoices",
}


def _defs(**kwargs):
    from intacct_dagster.factory import build_intacct_defs

    return build_intacct_defs(**kwargs)


def test_lineage_raw_to_staging_to_marts(finance_env):
    graph = _defs().resolve_asset_graph()
    for table in DEFAULT_OBJECT_NAMES:  # one staging model per raw table, fed by the loader's asset
        node = graph.get(AssetKey(["intacct", "staging", f"stg_{table}"]))
        assert node.parent_keys == {AssetKey(["intacct", table])}, (table, node.parent_keys)
        assert node.group_name == "intacct_staging"
    gl = graph.get(AssetKey(["intacct", "finance", "general_ledger"]))
    assert {AssetKey(["intacct", "staging", "stg_journal_entry_lines"]),
            AssetKey(["intacct", "staging", "stg_journal_entries"]),
            AssetKey(["intacct", "staging", "stg_departments"])} <= gl.parent_keys
    assert AssetKey(["intacct", "finance", "general_ledger"]) in graph.get(
        AssetKey(["intacct", "finance", "trial_balance"])).parent_keys
    assert AssetKey(["intacct", "finance", "trial_balance"]) in graph.get(
        AssetKey(["intacct", "finance", "balance_sheet"])).parent_keys
    for mart in MARTS:
        node = graph.get(AssetKey(["intacct", "finance", mart]))
        assert node.group_name == "intacct_finance"
        assert node.pools == {"intacct"}  # the loader's pool: dbt and the load never share the DuckDB file
        assert {"dbt", "duckdb"} <= set(node.kinds)
        assert node.description
        # every path upstream ends at the loader's raw assets (roots), through staging
        seen, todo, roots = set(), [node.key], set()
        while todo:
            key = todo.pop()
            parents = graph.get(key).parent_keys
            roots |= {key} if not parents else set()
            todo += [p for p in parents if p not in seen]
            seen |= parents
        assert roots and roots <= {AssetKey(["intacct", t]) for t in DEFAULT_OBJECT_NAMES}, roots
        assert any(k.path[1] == "staging" for k in seen if len(k.path) == 3)


def test_tie_out_checks_are_blocking_asset_checks(finance_env):
    defs = _defs()
    graph = defs.resolve_asset_graph()
    checks = {(k.asset_key.path[-1], k.name) for k in graph.asset_check_keys}
    for mart, check in TIE_OUTS.items():
        assert (mart, check) in checks
    finance = defs.resolve_assets_def(AssetKey(["intacct", "finance", "trial_balance"]))
    spec = next(s for s in finance.check_specs if s.name == "assert_trial_balance_sums_to_zero")
    assert spec.blocking
    ap = next(s for s in finance.check_specs if s.name == "assert_ap_aging_ties_to_open_bills")
    assert AssetKey(["intacct", "staging", "stg_ap_bills"]) in {d.asset_key for d in ap.additional_deps}
    assert ("stg_vendors", "unique_stg_vendors_vendor_key") in checks


def test_nightly_job_builds_the_marts_after_the_load(finance_env):
    defs = _defs()
    job = defs.resolve_job_def("intacct_job")
    keys = job.asset_layer.selected_asset_keys
    assert AssetKey(["intacct", "vendors"]) in keys
    for mart in MARTS:
        assert AssetKey(["intacct", "finance", mart]) in keys
    from dagster import build_schedule_context, validate_run_config

    for schedule in ("intacct_nightly", "intacct_weekly_reconcile_deletes"):
        definition = defs.resolve_schedule_def(schedule)
        assert definition.job_name == "intacct_job"
        request = definition.evaluate_tick(build_schedule_context()).run_requests[0]
        validate_run_config(job, request.run_config)  # the finance step needs no config of its own
    op_names = {n.name for n in job.graph.node_defs}
    assert {"intacct_assets", "intacct_finance"} <= op_names


def test_finance_off_or_without_the_tables_it_needs(finance_env):
    keys = _defs(finance=False).resolve_asset_graph().get_all_asset_keys()
    assert all(len(k.path) == 2 for k in keys)
    keys = _defs(objects=["vendors", "gl_accounts"]).resolve_asset_graph().get_all_asset_keys()
    assert keys == {AssetKey(["intacct", "vendors"]), AssetKey(["intacct", "gl_accounts"])}


def test_second_company_gets_its_own_finance_assets(finance_env):
    from dagster import Definitions

    defs = Definitions.merge(_defs(), _defs(name="acme"))
    graph = defs.resolve_asset_graph()
    node = graph.get(AssetKey(["acme", "staging", "stg_vendors"]))
    assert node.parent_keys == {AssetKey(["acme", "vendors"])}
    assert graph.get(AssetKey(["acme", "finance", "trial_balance"])).group_name == "acme_finance"
    defs.resolve_job_def("acme_job")


def test_dbt_profile_for_duckdb_and_postgres(finance_env, tmp_path):
    from intacct_dagster.destination import IntacctDestination
    from intacct_dagster.finance import dbt_profile

    finance_env.setenv("INTACCT_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    finance_env.setenv("INTACCT_DATASET", "books")
    finance_env.setenv("INTACCT_DUCKDB_MEMORY_LIMIT", "300MB")
    out = dbt_profile(IntacctDestination())["intacct_finance"]["outputs"]["main"]
    assert out["type"] == "duckdb" and out["path"] == str(tmp_path / "w.duckdb") and out["schema"] == "books_finance"
    assert out["settings"] == {"memory_limit": "1GB", "preserve_insertion_order": False}  # at least 1GB for dbt
    finance_env.setenv("INTACCT_DUCKDB_MEMORY_LIMIT", "4GiB")
    out = dbt_profile(IntacctDestination())["intacct_finance"]["outputs"]["main"]
    assert out["settings"]["memory_limit"] == "4GiB"

    finance_env.setenv("INTACCT_DESTINATION", "postgres")
    finance_env.setenv("DESTINATION__POSTGRES__CREDENTIALS",
                       "postgresql://fin:s%40cret@db.example:6543/ledger?sslmode=require")
    out = dbt_profile(IntacctDestination())["intacct_finance"]["outputs"]["main"]
    assert (out["type"], out["host"], out["port"], out["user"], out["password"], out["dbname"], out["schema"],
            out["sslmode"]) == ("postgres", "db.example", 6543, "fin", "s@cret", "ledger", "books_finance", "require")


def test_manifest_is_parsed_once_without_a_database(finance_env):
    from intacct_dagster.finance import PROJECT_DIR, finance_manifest

    path = finance_manifest("duckdb")
    manifest = json.loads(path.read_text())
    models = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    assert set(MARTS) <= models
    assert {f"stg_{t}" for t in DEFAULT_OBJECT_NAMES} <= models
    assert finance_manifest("duckdb") == path  # cached
    assert not (PROJECT_DIR / "target").exists() and not (PROJECT_DIR / "logs").exists()  # package dir untouched


@pytest.mark.parametrize("start,expected", [(1, (2026, 1, 2026, 12)), (4, (2026, 10, 2027, 9)),
                                            (12, (2026, 2, 2027, 1))])
def test_fiscal_calendar_macro(finance_env, tmp_path, start, expected):
    """(fiscal year, period) of January and December 2026 as the dbt macros compute them, run on DuckDB."""
    import subprocess

    import duckdb

    from intacct_dagster.finance import PROJECT_DIR, _dbt_env, _write_profiles, dbt_executable

    _write_profiles(tmp_path / "p", {"intacct_finance": {"target": "t", "outputs": {"t": {
        "type": "duckdb", "path": str(tmp_path / "x.duckdb"), "schema": "s"}}}})
    sql = ("select {{ fiscal_year(\"cast('2026-01-15' as date)\") }} as y1, "
           "{{ fiscal_period(\"cast('2026-01-15' as date)\") }} as p1, "
           "{{ fiscal_year(\"cast('2026-12-15' as date)\") }} as y2, "
           "{{ fiscal_period(\"cast('2026-12-15' as date)\") }} as p2")
    proc = subprocess.run([dbt_executable(), "compile", "--quiet", "--inline", sql, "--vars",
                           json.dumps({"fiscal_year_start_month": start}), "--project-dir", str(PROJECT_DIR),
                           "--profiles-dir", str(tmp_path / "p")],
                          env=_dbt_env(tmp_path / "target", tmp_path / "p"), capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    compiled = proc.stdout[proc.stdout.index("select"):]
    assert duckdb.connect().execute(compiled).fetchone() == expected
