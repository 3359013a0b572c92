"""The source against the sandbox over real HTTP, into real DuckDB files: full, incremental, deletes,
edits during a scan, crash safety of the cursor, windows and the first-load start date, entity scoping,
config-driven extra objects (with and without an audit timestamp)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap

import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from intacct_dagster.intacct import (
    DEFAULT_OBJECTS,
    ClientCredentialsAuth,
    IntacctClient,
    intacct_source,
)

from ._helpers import assert_equal, column_types, make_pipeline, settings_for, table_rows

pytestmark = pytest.mark.timeout(120)

LINES = 1500
PATHS = {o.name: o.path for o in DEFAULT_OBJECTS}
MOD = "audit.modifiedDateTime"


def run(pipeline, sb, **kw):
    kw.setdefault("settings", settings_for(sb))
    return pipeline.run(intacct_source(**kw), loader_file_format="parquet")


def loaded(pipeline) -> dict[str, int]:
    counts = pipeline.last_trace.last_normalize_info.row_counts
    return {k: v for k, v in counts.items() if not k.startswith("_dlt")}


def visible(sb, name: str) -> set[str]:
    """Keys a top-level query sees (records of private entities are hidden)."""
    return {r["key"] for r in sb.rows(PATHS[name])}


def table_state(pipeline, table: str) -> dict:
    return pipeline.state.get("sources", {}).get("intacct", {}).get("resources", {}).get(table, {})


def cursor_state(pipeline, table: str):
    return table_state(pipeline, table).get("cursor")


@pytest.fixture
def track_loads(monkeypatch):
    """dlt adds `_dlt_load_id` to arrow rows too, so a test can tell which rows one run wrote."""
    monkeypatch.setenv("NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID", "true")


def last_load_keys(pipeline, table: str) -> set[str]:
    """Keys of the rows the pipeline's last load wrote into `table` (needs `track_loads`)."""
    load_id = pipeline.last_trace.last_load_info.loads_ids[-1]
    with pipeline.sql_client() as sql:
        rows = sql.execute_sql(f"select key from {sql.make_qualified_table_name(table)} where _dlt_load_id = %s",
                               load_id)
    return {str(r[0]) for r in rows}


def modified_since(sb, name: str, cursor: str) -> set[str]:
    """Keys an incremental run with lookback 0 must read: modified at or after the cursor's second (the
    records stamped in the future are among them on every run: the cursor never passes the server's clock)."""
    return {r["key"] for r in sb.rows(PATHS[name]) if r[MOD] is not None and r[MOD] >= cursor}


def test_full_load_equals_source_for_every_object(sandbox_factory, tmp_path):
    sb = sandbox_factory(lines=LINES)
    p = make_pipeline(tmp_path)
    sb.reset_request_count()
    run(p, sb)
    assert sb.request_count("core/model") == len(DEFAULT_OBJECTS)  # one model call per object per run
    db = tmp_path / "load.duckdb"
    counts = assert_equal(sb, db)
    assert set(counts) == {o.name for o in DEFAULT_OBJECTS}
    assert counts["journal_entry_lines"] == len(sb.rows(PATHS["journal_entry_lines"])) > LINES * 0.8
    assert all(counts[o.name] > 0 for o in DEFAULT_OBJECTS if sb.rows(o.path)), counts

    jel = column_types(db, "journal_entry_lines")
    assert jel["txn_amount"] == "DECIMAL(28,2)" and jel["base_amount"] == "DECIMAL(28,2)"
    assert jel["entry_date"] == "DATE"
    assert jel["audit_modified_date_time"] == "TIMESTAMP WITH TIME ZONE"
    assert jel["currency_exchange_rate"] == "DECIMAL(38,16)"  # a JSON number: exact, never a double
    assert jel["line_number"] == "BIGINT" and jel["is_billable"] == "BOOLEAN"
    assert jel["nsp_cost_center_code"] == "VARCHAR" and jel["nsp_approved_on"] == "DATE"
    assert jel["dimensions_department_id"] == "VARCHAR" and jel["journal_entry_key"] == "VARCHAR"
    assert column_types(db, "vendors")["credit_limit"] == "DECIMAL(38,16)"
    assert "nsp_customer_segment" in column_types(db, "customers")
    # only readable scalar fields are loaded: no href links (derived from key), no write-only fields
    for obj in DEFAULT_OBJECTS:
        names = column_types(db, obj.name)
        assert not [c for c in names if c == "href" or c.endswith("_href")], obj.name
    assert "payment_date" not in column_types(db, "ap_payments")  # write-only (the query service refuses it)
    # every table keeps its cursor (the newest audit.modifiedDateTime, whole seconds) and its column names
    for obj in DEFAULT_OBJECTS:
        state = table_state(p, obj.name)
        assert state["cursor"]["modified"].endswith("Z"), obj.name
        assert state["cursor"]["modified"] <= sb.now().strftime("%Y-%m-%dT%H:%M:%SZ"), obj.name
        assert state["columns"]["key"] == "key" and state["columns"][MOD] == "audit_modified_date_time"
    # each record is read once (rows the load wrote == records at the source)
    assert loaded(p) == {o.name: len(sb.rows(o.path)) for o in DEFAULT_OBJECTS}


def test_incremental_run_loads_only_changes(sandbox_factory, tmp_path, track_loads):
    sb = sandbox_factory(lines=LINES)
    p = make_pipeline(tmp_path)
    names = ["journal_entry_lines", "vendors", "gl_accounts", "ap_terms"]
    run(p, sb, objects=names, lookback_seconds=0)
    cursors = {n: cursor_state(p, n)["modified"] for n in names}
    # records already at or after the cursor (stamped in the future): every incremental run re-reads them,
    # because the cursor never passes the server's clock
    ahead = {n: modified_since(sb, n, cursors[n]) for n in names}
    assert all(len(ahead[n]) < 0.02 * len(sb.rows(PATHS[n])) + 3 for n in names), ahead
    changed_lines = set(sb.modify(PATHS["journal_entry_lines"], 7)) & visible(sb, "journal_entry_lines")
    changed_vendors = (set(sb.modify(PATHS["vendors"], 3)) | set(sb.create(PATHS["vendors"], 2))) & visible(sb, "vendors")
    assert changed_lines and changed_vendors

    sb.reset_request_count()
    run(p, sb, objects=names, lookback_seconds=0)
    # exactly the changes, plus the few records stamped ahead of the cursor
    for name, changed in (("journal_entry_lines", changed_lines), ("vendors", changed_vendors)):
        assert last_load_keys(p, name) == changed | ahead[name], name
        assert modified_since(sb, name, cursors[name]) == changed | ahead[name], name
    assert last_load_keys(p, "gl_accounts") == ahead["gl_accounts"]
    # one query page per object, no model calls beyond one per object
    assert sb.request_count("core/query") == len(names)
    assert sb.request_count("core/model") == len(names)
    assert_equal(sb, tmp_path / "load.duckdb", names)

    # with the default 1 h lookback the window is re-read, and the result is still exact
    sb.modify(PATHS["journal_entry_lines"], 3)
    run(p, sb, objects=names)
    assert_equal(sb, tmp_path / "load.duckdb", names)


def test_edits_during_scan_lose_nothing(sandbox_factory, tmp_path):
    sb = sandbox_factory(lines=LINES)
    p = make_pipeline(tmp_path)
    run(p, sb, objects=["journal_entry_lines"], page_size=100)
    sb.inject_fault("edit_during_scan", times=5, path_contains="journal-entry-line", after=1, n=7)
    run(p, sb, objects=["journal_entry_lines"], page_size=100, full_resync=True)
    sb.clear_faults()
    # edited records were read twice in this scan: the merge keeps the newest (dedup_sort on the cursor)
    assert_equal(sb, tmp_path / "load.duckdb", ["journal_entry_lines"])


def test_reconcile_and_full_modes_remove_deleted_rows(sandbox_factory, tmp_path):
    sb = sandbox_factory(lines=LINES)
    p = make_pipeline(tmp_path)
    names = ["journal_entries", "journal_entry_lines", "vendors", "project_budgets", "ap_terms"]
    run(p, sb, objects=names, lookback_seconds=0)
    db = tmp_path / "load.duckdb"
    sb.delete(PATHS["journal_entries"], 3)  # takes its lines with it
    sb.delete(PATHS["vendors"], 2)
    sb.delete(PATHS["project_budgets"], 1)
    sb.delete(PATHS["ap_terms"], 1)
    sb.modify(PATHS["vendors"], 2)

    run(p, sb, objects=names, lookback_seconds=0)  # plain incremental cannot see deletes
    assert len(table_rows(db, "vendors")) == len(sb.rows(PATHS["vendors"])) + 2
    assert len(table_rows(db, "ap_terms")) == len(sb.rows(PATHS["ap_terms"])) + 1

    sb.reset_request_count()
    run(p, sb, objects=names, lookback_seconds=0, mode="reconcile_deletes")
    assert_equal(sb, db, names)
    assert sb.request_count("core/query") >= 2 * len(names)  # each table: its changes, then a key-only scan

    sb.delete(PATHS["journal_entry_lines"], 4)
    sb.create(PATHS["vendors"], 1)
    run(p, sb, objects=names, mode="full")
    assert_equal(sb, db, names)


def test_object_without_audit_timestamp_is_read_in_full_and_loses_deleted_rows(sandbox_factory, tmp_path,
                                                                                monkeypatch):
    """An object whose model has no cursor field (here: configured with `cursor: none`) is read in full every
    run and merges; rows deleted at the source are removed without a reconcile run, and it keeps no cursor."""
    sb = sandbox_factory(lines=300)
    extra = {"terms_no_audit": {"path": PATHS["ap_terms"], "cursor": "none"}}
    monkeypatch.setenv("INTACCT_EXTRA_OBJECTS", json.dumps(extra))
    p = make_pipeline(tmp_path)
    db = tmp_path / "load.duckdb"
    run(p, sb, objects=["terms_no_audit"])
    assert_equal(sb, db, ["terms_no_audit"], extra=extra)
    assert cursor_state(p, "terms_no_audit") is None and table_state(p, "terms_no_audit")["columns"]
    sb.delete(PATHS["ap_terms"], 2)
    sb.modify(PATHS["ap_terms"], 1)
    sb.reset_request_count()
    run(p, sb, objects=["terms_no_audit"])
    assert_equal(sb, db, ["terms_no_audit"], extra=extra)
    assert loaded(p)["terms_no_audit"] == len(sb.rows(PATHS["ap_terms"])) + 2  # every row again + 2 delete markers
    assert sb.request_count("core/query") == 1  # the deletes came from the keys it saw, not from another scan
    assert "merge" in str(p.default_schema.get_table("terms_no_audit")["write_disposition"])


def test_failed_run_does_not_move_the_cursor(sandbox_factory, tmp_path):
    sb = sandbox_factory(lines=LINES)
    p = make_pipeline(tmp_path)
    auth = ClientCredentialsAuth(sb.base_url + "/oauth2/token", sb.client_id, sb.client_secret, sb.username)
    client = IntacctClient(sb.base_url, auth, max_attempts=2, backoff_base_s=0.01)
    sb.inject_fault("server_error", times=1000, path_contains="journal-entry-line", after=3, status=500)
    with pytest.raises(PipelineStepFailed):
        p.run(intacct_source(objects=["journal_entry_lines"], client=client, page_size=200))
    sb.clear_faults()
    assert cursor_state(p, "journal_entry_lines") is None
    assert table_rows(tmp_path / "load.duckdb", "journal_entry_lines") == []

    run(p, sb, objects=["journal_entry_lines"], page_size=200)
    assert_equal(sb, tmp_path / "load.duckdb", ["journal_entry_lines"])
    assert cursor_state(p, "journal_entry_lines") is not None


def test_full_resync_ignores_stored_cursor(sandbox_factory, tmp_path, track_loads):
    sb = sandbox_factory(lines=LINES)
    p = make_pipeline(tmp_path)
    run(p, sb, objects=["vendors", "gl_accounts"], lookback_seconds=0)
    run(p, sb, objects=["vendors", "gl_accounts"], lookback_seconds=0, full_resync=["vendors"])
    counts = loaded(p)
    assert last_load_keys(p, "vendors") == {r["key"] for r in sb.rows(PATHS["vendors"])}
    assert counts["vendors"] == len(sb.rows(PATHS["vendors"]))  # every record once
    # gl_accounts stays incremental: only what was modified at or after its cursor (the future-stamped ones)
    assert counts.get("gl_accounts", 0) == len(modified_since(sb, "gl_accounts", cursor_state(p, "gl_accounts")["modified"])) < 5


def test_window_loads_its_range_and_keeps_the_cursor(sandbox_factory, tmp_path):
    sb = sandbox_factory(lines=LINES)
    p = make_pipeline(tmp_path)
    db = tmp_path / "load.duckdb"
    rows = sb.rows(PATHS["vendors"])
    stamps = sorted(r[MOD] for r in rows if r[MOD] is not None)
    start, end = stamps[len(stamps) // 4], stamps[3 * len(stamps) // 4]
    assert start < end
    run(p, sb, objects=["vendors"], window=(start, end))
    expected = {r["key"] for r in rows if r[MOD] is not None and start <= r[MOD] < end}
    assert {r["key"] for r in table_rows(db, "vendors")} == expected
    assert cursor_state(p, "vendors") is None  # a window never sets (nor moves) a cursor

    run(p, sb, objects=["vendors"])  # so the next normal run is still a first load: everything
    assert_equal(sb, db, ["vendors"])
    cursor = cursor_state(p, "vendors")
    run(p, sb, objects=["vendors"], window=("2000-01-01", "2001-01-01"))  # an old window: nothing, cursor kept
    assert cursor_state(p, "vendors") == cursor
    assert_equal(sb, db, ["vendors"])


def test_start_date_bounds_the_first_load_only(sandbox_factory, tmp_path, track_loads):
    """The `start_date` setting is the lower bound of a first load (records without a timestamp are loaded
    too); later runs are incremental from the saved cursor, whatever start_date says. Lines of entries created
    before it that were loaded because they were edited bring their older sibling lines (entries land whole)."""
    sb = sandbox_factory(lines=LINES)
    p = make_pipeline(tmp_path)
    db = tmp_path / "load.duckdb"
    path = PATHS["journal_entry_lines"]
    rows = sb.rows(path)
    stamps = sorted(r[MOD] for r in rows if r[MOD] is not None)
    start = stamps[len(stamps) // 2]

    def siblings(keys: set[str]) -> set[str]:
        """Lines older than start of the entries created before it that have a line in `keys`."""
        current = sb.rows(path)
        entries = {r["journalEntry.key"] for r in current if r["key"] in keys
                   and (r["audit.createdDateTime"] is None or r["audit.createdDateTime"] < start)}
        return {r["key"] for r in current if r["journalEntry.key"] in entries
                and r[MOD] is not None and r[MOD] < start}

    run(p, sb, objects=["journal_entry_lines"], start_date=start, lookback_seconds=0)
    bounded = {r["key"] for r in rows if r[MOD] is None or r[MOD] >= start}
    assert any(r[MOD] is None for r in rows) and len(bounded) < len(rows)
    expected = bounded | siblings(bounded)
    assert len(expected) < len(rows)
    assert {r["key"] for r in table_rows(db, "journal_entry_lines")} == expected
    cursor = cursor_state(p, "journal_entry_lines")["modified"]
    assert cursor >= start

    changed = set(sb.modify(path, 5))
    run(p, sb, objects=["journal_entry_lines"], start_date=start, lookback_seconds=0)
    edited = modified_since(sb, "journal_entry_lines", cursor)
    assert last_load_keys(p, "journal_entry_lines") == edited | siblings(edited)
    assert changed & visible(sb, "journal_entry_lines") <= last_load_keys(p, "journal_entry_lines")
    assert {r["key"] for r in table_rows(db, "journal_entry_lines")} == expected | siblings(edited) | (
        changed & visible(sb, "journal_entry_lines"))


@pytest.mark.parametrize("table, parent", [("ap_bill_lines", "bill.key"), ("ar_invoice_lines", "invoice.key")])
def test_start_date_loads_whole_documents(sandbox_factory, tmp_path, monkeypatch, table, parent):
    """Bill and invoice lines: an edited line of a document created before start_date brings the others
    (one document per `$in` query here, so the completion queries run side by side)."""
    from intacct_dagster.intacct import scan

    monkeypatch.setattr(scan, "COMPLETE_CHUNK", 1)
    sb = sandbox_factory(lines=LINES)
    path = PATHS[table]
    rows = sb.rows(path)
    stamps = sorted(r[MOD] for r in rows if r[MOD] is not None)
    start = stamps[len(stamps) // 2]
    documents: dict[str, list[dict]] = {}
    for r in rows:
        documents.setdefault(r[parent], []).append(r)
    old = [d for _, d in sorted(documents.items())
           if len(d) >= 2 and all(r[MOD] is not None and r[MOD] < start for r in d)][:5]
    assert len(old) == 5
    for lines in old:
        sb.set_field(path, lines[0]["key"], "memo", "edited", touch=True)
    p = make_pipeline(tmp_path)
    run(p, sb, objects=[table], start_date=start)
    loaded_keys = {r["key"] for r in table_rows(tmp_path / "load.duckdb", table)}
    assert {r["key"] for lines in old for r in lines} <= loaded_keys
    assert len(loaded_keys) < len(rows)  # still bounded: other old documents stay out


def test_entity_scoping_and_include_private(sandbox_factory, tmp_path):
    sb = sandbox_factory(lines=LINES)
    entity_ids = sorted({r["id"] for r in sb.rows("company-config/entity")})
    assert entity_ids, "sandbox has no entities"
    names = ["journal_entry_lines", "vendors"]
    eid = entity_ids[-1]
    p = make_pipeline(tmp_path, name="entity", db="entity.duckdb")
    run(p, sb, objects=names, settings=settings_for(sb, entity_id=eid))
    counts = assert_equal(sb, tmp_path / "entity.duckdb", names, entity_id=eid)
    assert 0 < counts["journal_entry_lines"] < len(sb.rows(PATHS["journal_entry_lines"], include_private=True))

    p2 = make_pipeline(tmp_path, name="private", db="load.duckdb")
    run(p2, sb, objects=names, settings=settings_for(sb, include_private=True))
    counts = assert_equal(sb, tmp_path / "load.duckdb", names, include_private=True)
    assert counts["journal_entry_lines"] == len(sb.rows(PATHS["journal_entry_lines"], include_private=True)) > len(
        sb.rows(PATHS["journal_entry_lines"]))


def test_extra_object_from_config(sandbox_factory, tmp_path, monkeypatch):
    sb = sandbox_factory(lines=300)
    extra = {"budgets_copy": "platform-apps/nsp::project_budget"}
    monkeypatch.setenv("INTACCT_EXTRA_OBJECTS", json.dumps(extra))  # the settings reader's env var (JSON)
    p = make_pipeline(tmp_path)
    run(p, sb, objects=["budgets_copy"])
    counts = assert_equal(sb, tmp_path / "load.duckdb", ["budgets_copy"], extra=extra)
    assert counts["budgets_copy"] > 0


def test_extra_objects_read_from_config_toml(tmp_path):
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "config.toml").write_text(textwrap.dedent("""
        [sources.intacct]
        page_size = 250
        [sources.intacct.extra_objects]
        my_custom = "platform-apps/nsp::my_custom_object"
    """))
    code = ("from intacct_dagster.intacct import intacct_source; from intacct_dagster.intacct.source import "
            "run_options; s = intacct_source(); print(sorted(s.resources), run_options().page_size)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTACCT_", "SOURCES__"))}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                         env=env)
    assert out.returncode == 0, out.stderr
    assert "my_custom" in out.stdout and "vendors" in out.stdout
    assert out.stdout.split()[-1] == "250"  # .dlt/config.toml [sources.intacct] is read by the settings reader


def test_progress_is_logged_per_page(sandbox_factory, tmp_path, caplog):
    sb = sandbox_factory(lines=300)
    caplog.set_level(logging.INFO, logger="intacct_dagster.intacct")
    run(make_pipeline(tmp_path), sb, objects=["journal_entry_lines"], page_size=100)
    pages = [r.getMessage() for r in caplog.records if "journal_entry_lines page" in r.getMessage()]
    assert len(pages) >= 3 and "so far" in pages[-1]
