"""The source against the sandbox over real HTTP, into real DuckDB files: full, incremental, deletes,
edits during a scan, crash safety of the cursor, entity scoping, config-driven extra objects."""

from __future__ import annotations

import json
import logging
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


def run(pipeline, sb, **kw):
    kw.setdefault("settings", settings_for(sb))
    return pipeline.run(intacct_source(**kw), loader_file_format="parquet")


def loaded(pipeline) -> dict[str, int]:
    counts = pipeline.last_trace.last_normalize_info.row_counts
    return {k: v for k, v in counts.items() if not k.startswith("_dlt")}


def visible(sb, name: str) -> set[str]:
    """Keys a top-level query sees (records of private entities are hidden)."""
    return {r["key"] for r in sb.rows(PATHS[name])}


def cursor_state(pipeline, table: str):
    return pipeline.state.get("sources", {}).get("intacct", {}).get("resources", {}).get(table, {}).get("cursor")


def test_full_load_equals_source_for_every_object(sandbox_factory, tmp_path):
    sb = sandbox_factory(lines=LINES)
    p = make_pipeline(tmp_path)
    sb.reset_request_count()
    run(p, sb)
    db = tmp_path / "load.duckdb"
    counts = assert_equal(sb, db)
    assert set(counts) == {o.name for o in DEFAULT_OBJECTS}
    assert counts["journal_entry_lines"] == len(sb.rows(PATHS["journal_entry_lines"])) > LINES * 0.8
    assert all(counts[o.name] > 0 for o in DEFAULT_OBJECTS if sb.rows(o.path)), counts
    assert sb.request_count("core/model") == len(DEFAULT_OBJECTS)  # one model call per object per run

    jel = column_types(db, "journal_entry_lines")
    assert jel["txn_amount"] == "DECIMAL(28,2)" and jel["base_amount"] == "DECIMAL(28,2)"
    assert jel["entry_date"] == "DATE"
    assert jel["audit_modified_date_time"] == "TIMESTAMP WITH TIME ZONE"
    assert jel["currency_exchange_rate"] == "DOUBLE"
    assert jel["line_number"] == "BIGINT" and jel["is_billable"] == "BOOLEAN"
    assert jel["nsp_cost_center_code"] == "VARCHAR" and jel["nsp_approved_on"] == "DATE"
    assert jel["dimensions_department_id"] == "VARCHAR"
    assert "nsp_customer_segment" in column_types(db, "customers")
    assert cursor_state(p, "journal_entry_lines")["key"]
    assert cursor_state(p, "ap_terms") is None  # full-replace object keeps no cursor


def test_incremental_run_loads_only_changes(sandbox_factory, tmp_path):
    sb = sandbox_factory(lines=LINES)
    p = make_pipeline(tmp_path)
    names = ["journal_entry_lines", "vendors", "gl_accounts", "ap_terms"]
    run(p, sb, objects=names, lookback_seconds=0)
    changed_lines = set(sb.modify(PATHS["journal_entry_lines"], 7)) & visible(sb, "journal_entry_lines")
    changed_vendors = (set(sb.modify(PATHS["vendors"], 3)) | set(sb.create(PATHS["vendors"], 2))) & visible(sb, "vendors")
    assert changed_lines and changed_vendors

    sb.reset_request_count()
    run(p, sb, objects=names, lookback_seconds=0)
    counts = loaded(p)
    assert counts.get("journal_entry_lines") == len(changed_lines)
    assert counts.get("vendors") == len(changed_vendors)
    assert counts.get("gl_accounts", 0) == 0
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
    sb.modify(PATHS["vendors"], 2)

    run(p, sb, objects=names, lookback_seconds=0)  # plain incremental cannot see deletes
    assert len(table_rows(db, "vendors")) == len(sb.rows(PATHS["vendors"])) + 2

    sb.reset_request_count()
    run(p, sb, objects=names, lookback_seconds=0, mode="reconcile_deletes")
    assert_equal(sb, db, names)
    assert sb.request_count("core/query") >= len(names)

    sb.delete(PATHS["journal_entry_lines"], 4)
    sb.create(PATHS["vendors"], 1)
    run(p, sb, objects=names, mode="full")
    assert_equal(sb, db, names)


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


def test_full_resync_ignores_stored_cursor(sandbox_factory, tmp_path):
    sb = sandbox_factory(lines=LINES)
    p = make_pipeline(tmp_path)
    run(p, sb, objects=["vendors", "gl_accounts"], lookback_seconds=0)
    run(p, sb, objects=["vendors", "gl_accounts"], lookback_seconds=0, full_resync=["vendors"])
    counts = loaded(p)
    assert counts["vendors"] == len(sb.rows(PATHS["vendors"]))
    assert counts.get("gl_accounts", 0) == 0


def test_bounded_resync_with_end_date(sandbox_factory, tmp_path):
    sb = sandbox_factory(lines=LINES)
    p = make_pipeline(tmp_path)
    rows = sb.rows(PATHS["vendors"])
    stamps = sorted(r["audit.modifiedDateTime"] for r in rows)
    start, end = stamps[len(stamps) // 4], stamps[3 * len(stamps) // 4]
    run(p, sb, objects=["vendors"], start_date=start, end_date=end)
    expected = [r for r in rows if start <= r["audit.modifiedDateTime"] < end]
    assert len(table_rows(tmp_path / "load.duckdb", "vendors")) == len(expected)


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
    run(p2, sb, objects=names, include_private=True)
    assert_equal(sb, tmp_path / "load.duckdb", names, include_private=True)


def test_extra_object_from_config(sandbox_factory, tmp_path, monkeypatch):
    sb = sandbox_factory(lines=300)
    extra = {"budgets_copy": "platform-apps/nsp::project_budget"}
    monkeypatch.setenv("SOURCES__INTACCT__EXTRA_OBJECTS", json.dumps(extra))
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
    code = ("from intacct_dagster.intacct import intacct_source; s = intacct_source(); "
            "print(sorted(s.resources))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "my_custom" in out.stdout and "vendors" in out.stdout


def test_progress_is_logged_per_page(sandbox_factory, tmp_path, caplog):
    sb = sandbox_factory(lines=300)
    caplog.set_level(logging.INFO, logger="intacct_dagster.intacct")
    run(make_pipeline(tmp_path), sb, objects=["journal_entry_lines"], page_size=100)
    pages = [r.getMessage() for r in caplog.records if "journal_entry_lines page" in r.getMessage()]
    assert len(pages) >= 3 and "so far" in pages[-1]
