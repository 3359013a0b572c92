"""Materializing the assets against a real sandbox over HTTP into a real DuckDB file."""

from __future__ import annotations

import duckdb
from dagster import DagsterInstance

from intacct_dagster.intacct.catalog import DEFAULT_OBJECTS
from intacct_dagster_tests.compare import check_table, duckdb_rows
from intacct_dagster_tests.dagster._helpers import checks, db_tables, materialize, rows_loaded

VENDOR = "accounts-payable/vendor"


def test_all_assets_twice_second_run_is_incremental(sandbox, point_at):
    db = point_at(sandbox)
    instance = DagsterInstance.ephemeral()

    first = materialize(instance=instance)
    assert sandbox.request_count("/oauth2/token") == 1  # one TokenProvider shared by every table of the run
    loaded = rows_loaded(first)
    assert set(loaded) == {o.name for o in DEFAULT_OBJECTS}
    tables = db_tables(db)
    expected = {obj.name: len(sandbox.rows(obj.path)) for obj in DEFAULT_OBJECTS}
    assert tables == expected
    for obj in DEFAULT_OBJECTS:
        assert not check_table(sandbox, db, "intacct", obj.name, obj.path), obj.name
    assert all(checks(first).values()), checks(first)
    first_requests = sandbox.request_count()

    sandbox.reset_request_count()
    changed = sandbox.modify(VENDOR, 3)
    second = materialize(instance=instance)
    again = rows_loaded(second)
    # only what changed (plus the one-hour lookback window) comes back: every table is incremental
    assert all(o.incremental for o in DEFAULT_OBJECTS)
    assert 3 <= again["vendors"] < loaded["vendors"]
    assert sum(again.values()) < 0.2 * sum(loaded.values())
    assert sandbox.request_count() <= first_requests
    assert db_tables(db) == tables  # modified rows merged, not appended
    assert all(checks(second).values())

    # the changed values are in DuckDB
    source = {r["key"]: r for r in sandbox.rows(VENDOR) if r["key"] in changed}
    con = duckdb.connect(str(db), read_only=True)
    got = dict(con.execute(
        "SELECT key, audit_modified_date_time FROM intacct.vendors WHERE key IN (SELECT unnest(?))", [changed]
    ).fetchall())
    con.close()
    for key, row in source.items():
        assert got[key].strftime("%Y-%m-%dT%H:%M:%SZ") == row["audit.modifiedDateTime"]
    assert not check_table(sandbox, db, "intacct", "vendors", VENDOR)
    # rows_loaded (the asset metadata) counts each record once
    assert loaded == expected


def test_subset_loads_only_selected_objects(sandbox, point_at):
    db = point_at(sandbox)
    result = materialize(["vendors", "gl_accounts"])
    assert set(rows_loaded(result)) == {"vendors", "gl_accounts"}
    assert set(db_tables(db)) == {"vendors", "gl_accounts"}
    assert sandbox.request_count("journal-entry") == 0
    assert sandbox.request_count("accounts-receivable") == 0
    # checks ran for exactly the loaded tables
    assert set(checks(result)) == {"vendors:key_unique_not_null", "gl_accounts:key_unique_not_null"}


def test_run_config_objects_full_resync_and_reconcile_deletes(sandbox, point_at):
    db = point_at(sandbox)
    instance = DagsterInstance.ephemeral()
    materialize(instance=instance, objects=["vendors", "gl_accounts", "departments"])
    assert set(db_tables(db)) == {"vendors", "gl_accounts", "departments"}

    deleted = sandbox.delete(VENDOR, 2)
    incremental = materialize(instance=instance, objects=["vendors", "gl_accounts"], full_resync=["gl_accounts"])
    loaded = rows_loaded(incremental)
    assert set(loaded) == {"vendors", "gl_accounts"}
    resynced = loaded["gl_accounts"]
    assert resynced >= len(sandbox.rows("general-ledger/account"))  # cursor ignored (exact count checked last)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM intacct.vendors WHERE key IN (SELECT unnest(?))", [deleted]).fetchone()[0] == 2
    con.close()

    # asset selection and run config combine: select two, exclude one
    reconcile = materialize(["vendors", "gl_accounts"], instance=instance, mode="reconcile_deletes",
                            exclude=["gl_accounts"])
    assert set(rows_loaded(reconcile)) == {"vendors"}
    assert set(checks(reconcile)) == {"vendors:key_unique_not_null"}
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM intacct.vendors WHERE key IN (SELECT unnest(?))", [deleted]).fetchone()[0] == 0
    con.close()
    assert db_tables(db)["vendors"] == len(sandbox.rows(VENDOR))
    assert all(checks(reconcile).values())
    assert not check_table(sandbox, db, "intacct", "vendors", VENDOR)
    assert resynced == len(sandbox.rows("general-ledger/account"))  # every record re-read once


def test_start_date_setting_bounds_the_first_load_and_mode_full_removes_deleted_rows(sandbox, point_at,
                                                                                     project_env):
    """`start_date` (a setting) is the lower bound of a first load; run config `mode: full` re-reads every
    table from it and removes rows deleted at the source; a full re-sync without it loads everything."""
    lines, path, mod = "journal_entry_lines", "general-ledger/journal-entry-line", "audit.modifiedDateTime"
    db = point_at(sandbox)
    stamps = sorted(r[mod] for r in sandbox.rows(path) if r[mod] is not None)
    start = stamps[len(stamps) // 2]
    project_env.setenv("INTACCT_START_DATE", start)

    def bounded() -> set[str]:
        return {r["key"] for r in sandbox.rows(path) if r[mod] is None or r[mod] >= start}

    def in_destination() -> set[str]:
        return {r["key"] for r in duckdb_rows(db, "intacct", lines)}

    materialize([lines])
    assert in_destination() == bounded() and len(bounded()) < len(sandbox.rows(path))

    deleted = set(sandbox.delete(path, 4)) & in_destination()  # whole entries, some of them loaded
    assert deleted
    result = materialize([lines], mode="full")
    [mat] = [e.materialization for e in result.get_asset_materialization_events()]
    assert mat.metadata["intacct/mode"].value == "full"
    assert in_destination() == bounded() and not in_destination() & deleted

    project_env.delenv("INTACCT_START_DATE")
    materialize([lines], full_resync=[lines])
    assert not check_table(sandbox, db, "intacct", lines, path)
