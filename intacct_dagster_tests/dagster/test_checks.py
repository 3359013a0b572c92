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
        resources={"intacct_destination": IntacctDestination()}, raise_on_error=False,
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
    balance = _metadata(good, "journal_entry_lines:journal_entries_balance")
    assert balance["journal_entries"] > 0
    # the sandbox has multi-currency entries, balanced only in base currency: they pass
    assert balance["multi_currency_entries"] > 0 and balance["unbalanced_in_txn_currency"] == 0

    con = duckdb.connect(str(db))
    con.execute("INSERT INTO intacct.vendors SELECT * FROM intacct.vendors ORDER BY key LIMIT 1")
    dup_key = con.execute("SELECT min(key) FROM intacct.vendors").fetchone()[0]
    # one entry off in base currency, another (single-currency) entry off in transaction currency only
    entry = con.execute("SELECT min(journal_entry_key) FROM intacct.journal_entry_lines").fetchone()[0]
    con.execute(
        "UPDATE intacct.journal_entry_lines SET base_amount = base_amount + 1 WHERE key = "
        "(SELECT min(key) FROM intacct.journal_entry_lines WHERE journal_entry_key = ?)", [entry])
    single = con.execute(
        "SELECT journal_entry_key FROM intacct.journal_entry_lines WHERE journal_entry_key <> ? GROUP BY 1 "
        "HAVING count(DISTINCT currency_txn_currency) = 1 ORDER BY 1 LIMIT 1", [entry]).fetchone()[0]
    con.execute(
        "UPDATE intacct.journal_entry_lines SET txn_amount = txn_amount + 1 WHERE key = "
        "(SELECT min(key) FROM intacct.journal_entry_lines WHERE journal_entry_key = ?)", [single])
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
    assert unbalanced["unbalanced_in_base_currency"] == 1 and unbalanced["unbalanced_in_txn_currency"] == 1
    assert f"{entry}: base off by" in unbalanced["sample_unbalanced"]
    assert f"{single}: base off by 0" in unbalanced["sample_unbalanced"]


def test_multi_currency_entries_are_checked_in_base_currency_only(sandbox, point_at):
    """A multi-currency entry whose transaction amounts do not add up passes; the same entry with one base
    amount changed fails."""
    db = point_at(sandbox)
    load(["journal_entry_lines"])
    con = duckdb.connect(str(db))
    entry = con.execute(
        "SELECT journal_entry_key FROM intacct.journal_entry_lines GROUP BY 1 "
        "HAVING count(DISTINCT currency_txn_currency) > 1 ORDER BY 1 LIMIT 1").fetchone()[0]
    line = con.execute("SELECT min(key) FROM intacct.journal_entry_lines WHERE journal_entry_key = ?",
                       [entry]).fetchone()[0]
    con.execute("UPDATE intacct.journal_entry_lines SET txn_amount = txn_amount + 7 WHERE key = ?", [line])
    con.close()
    assert checks(_run_checks())["journal_entry_lines:journal_entries_balance"] is True

    con = duckdb.connect(str(db))
    con.execute("UPDATE intacct.journal_entry_lines SET base_amount = base_amount + 1 WHERE key = ?", [line])
    con.close()
    result = _run_checks()
    assert checks(result)["journal_entry_lines:journal_entries_balance"] is False
    meta = _metadata(result, "journal_entry_lines:journal_entries_balance")
    assert meta["unbalanced_in_base_currency"] == 1 and str(entry) in meta["sample_unbalanced"]


def test_checks_pass_on_tables_not_created_yet(sandbox, point_at):
    point_at(sandbox)
    load(["gl_accounts"])  # creates the dataset, but none of TABLES
    result = _run_checks()
    assert result.success and all(checks(result).values())
