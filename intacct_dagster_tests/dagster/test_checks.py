"""The data checks pass on a good load and fail when the DuckDB tables are tampered with."""

from __future__ import annotations

import duckdb
from dagster import AssetSelection, materialize

from intacct_dagster.checks import build_checks
from intacct_dagster.destination import IntacctDestination
from intacct_dagster_tests.dagster._helpers import checks
from intacct_dagster_tests.dagster._helpers import materialize as load

TABLES = ["vendors", "journal_entries", "journal_entry_lines"]


def _run_checks():
    """Only the checks (no load), through Dagster, on whatever the destination holds now."""
    return materialize(
        build_checks(TABLES), selection=AssetSelection.all_asset_checks(),
        resources={"intacct_destination": IntacctDestination.from_env()}, raise_on_error=False,
    )


def _metadata(result, name: str) -> dict:
    for e in result.get_asset_check_evaluations():
        if f"{e.asset_key.path[-1]}:{e.check_name}" == name:
            return {k: v.value for k, v in e.metadata.items()}
    raise KeyError(name)


def test_checks_pass_then_fail_on_duplicates_and_unbalanced_entries(sandbox, point_at):
    db = point_at(sandbox)
    good = load(TABLES)
    assert checks(good) == {
        "vendors:key_unique_not_null": True,
        "journal_entries:key_unique_not_null": True,
        "journal_entry_lines:key_unique_not_null": True,
        "journal_entry_lines:journal_entries_balance": True,
    }
    assert _metadata(good, "journal_entry_lines:journal_entries_balance")["journal_entries"] > 0

    con = duckdb.connect(str(db))
    con.execute("INSERT INTO intacct.vendors SELECT * FROM intacct.vendors ORDER BY key LIMIT 1")
    dup_key = con.execute("SELECT min(key) FROM intacct.vendors").fetchone()[0]
    entry = con.execute("SELECT min(journal_entry_key) FROM intacct.journal_entry_lines").fetchone()[0]
    con.execute(
        "UPDATE intacct.journal_entry_lines SET txn_amount = txn_amount + 1 WHERE key = "
        "(SELECT min(key) FROM intacct.journal_entry_lines WHERE journal_entry_key = ?)", [entry])
    con.close()

    bad = _run_checks()
    assert not bad.success  # blocking checks fail the run
    assert checks(bad) == {
        "vendors:key_unique_not_null": False,
        "journal_entries:key_unique_not_null": True,
        "journal_entry_lines:key_unique_not_null": True,
        "journal_entry_lines:journal_entries_balance": False,
    }
    dup = _metadata(bad, "vendors:key_unique_not_null")
    assert dup["duplicate_keys"] == 1 and str(dup_key) in dup["sample_duplicate_keys"]
    unbalanced = _metadata(bad, "journal_entry_lines:journal_entries_balance")
    assert unbalanced["unbalanced_entries"] == 1 and str(entry) in unbalanced["sample_unbalanced"]


def test_checks_pass_on_tables_not_created_yet(sandbox, point_at):
    point_at(sandbox)
    load(["gl_accounts"])  # creates the dataset, but none of TABLES
    result = _run_checks()
    assert result.success and all(checks(result).values())
