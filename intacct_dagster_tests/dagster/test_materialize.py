"""Materializing the assets against a real sandbox over HTTP into a real DuckDB file."""

from __future__ import annotations

import duckdb
from dagster import DagsterInstance

from intacct_dagster.intacct.catalog import DEFAULT_OBJECTS
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
    for obj in DEFAULT_OBJECTS:
        expected = len(sandbox.rows(obj.path))
        assert tables.get(obj.name, 0) == expected, obj.name
        assert loaded[obj.name] == expected, obj.name
    assert all(checks(first).values()), checks(first)
    first_requests = sandbox.request_count()

    sandbox.reset_request_count()
    changed = sandbox.modify(VENDOR, 3)
    second = materialize(instance=instance)
    again = rows_loaded(second)
    # only what changed (plus the one-hour lookback window) comes back; full-replace objects reload
    incremental = [o.name for o in DEFAULT_OBJECTS if o.incremental]
    assert 3 <= again["vendors"] < loaded["vendors"]
    assert sum(again[t] for t in incremental) < 0.2 * sum(loaded[t] for t in incremental)
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
    assert loaded["gl_accounts"] == len(sandbox.rows("general-ledger/account"))  # cursor ignored
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
