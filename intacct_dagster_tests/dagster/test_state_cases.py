"""State is sacred: each case is driven through the Dagster definitions against the sandbox and ends with
the destination equal to the source, row for row."""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest

from intacct_dagster_tests.compare import check_table, duckdb_rows
from intacct_dagster_tests.dagster._helpers import materialize, step_failures

VENDORS, VENDOR_PATH = "vendors", "accounts-payable/vendor"
LINES, LINE_PATH = "journal_entry_lines", "general-ledger/journal-entry-line"


def saved_state(table: str) -> dict:
    """The table's dlt resource state as stored in the destination."""
    from intacct_dagster.destination import IntacctDestination

    pipeline = IntacctDestination().pipeline(pipelines_dir=tempfile.mkdtemp(prefix="state-"))
    pipeline.sync_destination()
    return pipeline.state["sources"]["intacct"]["resources"][table]


def test_window_run_loads_its_window_and_keeps_the_cursor(sandbox, point_at):
    db = point_at(sandbox)
    materialize([VENDORS])
    cursor = saved_state(VENDORS)["cursor"]
    changed = sandbox.modify(VENDOR_PATH, 3)
    # a backfill of an old window: it must neither move the cursor back nor forward
    result = materialize([VENDORS], start_date="2000-01-01", end_date="2001-01-01")
    assert result.success
    assert saved_state(VENDORS)["cursor"] == cursor
    materialize([VENDORS])  # the next incremental run still picks up the edits made before the window run
    assert saved_state(VENDORS)["cursor"]["modified"] >= cursor["modified"]
    assert not check_table(sandbox, db, "intacct", VENDORS, VENDOR_PATH)
    assert changed


def test_changing_entity_is_refused_and_deletes_nothing(sandbox, point_at, project_env):
    db = point_at(sandbox)
    materialize([VENDORS], mode="reconcile_deletes")
    before = len(sandbox.keys(VENDOR_PATH))
    project_env.setenv("INTACCT_ENTITY_ID", sorted(r["id"] for r in sandbox.rows("company-config/entity"))[1])
    result = materialize([VENDORS], raise_on_error=False, mode="reconcile_deletes")
    assert not result.success
    text, _ = step_failures(result)
    assert "INTACCT_ENTITY_ID" in text and "INTACCT_DATASET" in text and "top level" in text
    project_env.delenv("INTACCT_ENTITY_ID")
    assert not check_table(sandbox, db, "intacct", VENDORS, VENDOR_PATH)
    assert len(sandbox.keys(VENDOR_PATH)) == before


def test_full_resync_removes_deleted_rows(sandbox, point_at):
    db = point_at(sandbox)
    materialize([VENDORS, LINES])
    sandbox.delete(VENDOR_PATH, 2)
    sandbox.delete(LINE_PATH, 3)
    materialize([VENDORS, LINES], full_resync=["*"])
    assert not check_table(sandbox, db, "intacct", VENDORS, VENDOR_PATH)
    assert not check_table(sandbox, db, "intacct", LINES, LINE_PATH)


def test_lookback_zero_never_loses_a_same_second_edit(sandbox, point_at, project_env):
    db = point_at(sandbox)
    project_env.setenv("INTACCT_LOOKBACK_SECONDS", "0")
    materialize([VENDORS])
    cursor = saved_state(VENDORS)["cursor"]["modified"]
    keys = sorted(sandbox.keys(VENDOR_PATH), key=int)
    # an edit stamped in the cursor's own second, on the record with the smallest key
    sandbox.set_field(VENDOR_PATH, keys[0], "name", "Edited in the cursor's second", touch=False)
    sandbox.set_modified(VENDOR_PATH, keys[0], dt.datetime.fromisoformat(cursor.replace("Z", "+00:00")))
    materialize([VENDORS])
    assert not check_table(sandbox, db, "intacct", VENDORS, VENDOR_PATH)


def test_a_record_stamped_in_the_future_does_not_hide_later_edits(sandbox, point_at):
    db = point_at(sandbox)
    keys = sorted(sandbox.keys(VENDOR_PATH), key=int)
    sandbox.set_modified(VENDOR_PATH, keys[1], sandbox.now() + dt.timedelta(days=1))
    materialize([VENDORS])
    assert saved_state(VENDORS)["cursor"]["modified"] <= sandbox.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    sandbox.advance_clock(7200)  # two hours later (beyond the 1 h lookback) an ordinary edit
    sandbox.modify(VENDOR_PATH, 2)
    materialize([VENDORS])
    assert not check_table(sandbox, db, "intacct", VENDORS, VENDOR_PATH)


def test_a_field_added_to_the_model_is_filled_for_every_row(sandbox, point_at):
    db = point_at(sandbox)
    materialize([VENDORS])
    sandbox.add_custom_field(VENDOR_PATH, "nsp::REGION", "string", "EMEA")
    sandbox.modify(VENDOR_PATH, 1)
    materialize([VENDORS])
    assert not check_table(sandbox, db, "intacct", VENDORS, VENDOR_PATH)


@pytest.mark.parametrize("option", [{"key_collation": "text"}, {"json_layout": "pretty"},
                                    {"json_layout": "meta_first"}, {"extra_row_keys": True}])
def test_server_variations_load_the_same_rows(sandbox_factory, point_at, project_env, option):
    sb = sandbox_factory(lines=3000, **option)
    db = point_at(sb)
    project_env.setenv("INTACCT_PAGE_SIZE", "300")  # many pages, so keyset edges are crossed often
    materialize([VENDORS, LINES])
    sb.modify(LINE_PATH, 10)
    sb.delete(VENDOR_PATH, 1)
    materialize([VENDORS, LINES], mode="reconcile_deletes")
    assert not check_table(sb, db, "intacct", VENDORS, VENDOR_PATH)
    assert not check_table(sb, db, "intacct", LINES, LINE_PATH)


def test_json_punctuation_on_the_last_row_of_a_page(sandbox, point_at, project_env):
    db = point_at(sandbox)
    project_env.setenv("INTACCT_PAGE_SIZE", "5")
    keys = sorted(sandbox.keys(VENDOR_PATH), key=int)
    tricky = 'Contacts: {Ann},{Bob} "quoted" \\ back\\slash }},{{ ünïcødé \u2603\nnew line'
    for k in keys[4::5]:  # with 5-row pages ordered by key these end pages (first load orders by time, too)
        sandbox.set_field(VENDOR_PATH, k, "name", tricky, touch=False)
    materialize([VENDORS])
    rows_all = sandbox.rows(VENDOR_PATH)
    assert sum(1 for r in rows_all if r.get("name") == tricky) >= 2
    assert not check_table(sandbox, db, "intacct", VENDORS, VENDOR_PATH)


def test_exact_money_whatever_its_json_form(sandbox, point_at):
    """A 19-digit JSON number (`creditLimit`) and `decimal-precision-10` text amounts with up to ten decimals
    (item costs and prices) land to the last digit."""
    items, item_path = "items", "inventory-control/item"
    db = point_at(sandbox)
    key = sorted(sandbox.keys(VENDOR_PATH), key=int)[0]
    sandbox.set_field(VENDOR_PATH, key, "creditLimit", "12345678901234567.89")  # served as a JSON number
    ten = next(r for r in sandbox.rows(item_path) if len(r["purchasing.standardCost"].split(".")[1]) == 10)
    materialize([VENDORS, items])
    assert not check_table(sandbox, db, "intacct", VENDORS, VENDOR_PATH)
    assert not check_table(sandbox, db, "intacct", items, item_path)
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        value = con.execute("select credit_limit from intacct.vendors where key = ?", [key]).fetchone()[0]
        cost, price = con.execute("select purchasing_standard_cost, sales_base_price from intacct.items "
                                  "where key = ?", [ten["key"]]).fetchone()
    finally:
        con.close()
    assert str(value).rstrip("0").rstrip(".") == "12345678901234567.89"
    assert (cost, price) == (Decimal(ten["purchasing.standardCost"]), Decimal(ten["sales.basePrice"]))


def test_null_modified_records_load_on_first_load_and_full_resync(sandbox, point_at):
    db = point_at(sandbox)
    nulls = [r["key"] for r in sandbox.rows(LINE_PATH) if r.get("audit.modifiedDateTime") is None]
    assert nulls, "the sandbox serves migrated records with a null audit.modifiedDateTime"
    materialize([LINES])
    assert not check_table(sandbox, db, "intacct", LINES, LINE_PATH)
    materialize([LINES], full_resync=[LINES])
    assert not check_table(sandbox, db, "intacct", LINES, LINE_PATH)
    assert Path(db).exists()


def test_history_bound_loads_whole_entries_when_an_old_line_is_edited(sandbox, point_at, project_env):
    """With `start_date` bounding the history, editing one line of an entry created before it brings in that
    line; its unchanged siblings must come too (on the first load and on incremental runs), or the entry lands
    partial and the balance check fails although Intacct's books balance."""
    mod = "audit.modifiedDateTime"
    db = point_at(sandbox)
    rows = sandbox.rows(LINE_PATH)
    stamps = sorted(r[mod] for r in rows if r[mod] is not None)
    start = stamps[len(stamps) // 2]
    project_env.setenv("INTACCT_START_DATE", start)
    entries: dict[str, list[dict]] = {}
    for r in rows:
        entries.setdefault(r["journalEntry.key"], []).append(r)
    old = [k for k, lines in sorted(entries.items(), key=lambda e: int(e[0]))
           if len(lines) >= 2 and all(r[mod] is not None and r[mod] < start for r in lines)]
    first, later = old[0], old[1]

    def edit_one_line(entry: str) -> None:
        sandbox.set_field(LINE_PATH, entries[entry][0]["key"], "description", f"edited {entry}", touch=True)

    def destination() -> set[str]:
        return {r["key"] for r in duckdb_rows(db, "intacct", LINES)}

    def bounded() -> set[str]:
        return {r["key"] for r in sandbox.rows(LINE_PATH) if r[mod] is None or r[mod] >= start}

    def balanced(result) -> bool:
        [evaluation] = [e for e in result.get_asset_check_evaluations() if e.check_name == "journal_entries_balance"]
        return evaluation.passed

    edit_one_line(first)
    result = materialize([LINES])
    whole_first = {r["key"] for r in entries[first]}
    assert balanced(result)
    assert destination() == bounded() | whole_first  # the old entry whole, nothing else from before start

    edit_one_line(later)
    result = materialize([LINES])
    assert balanced(result)
    assert destination() == bounded() | whole_first | {r["key"] for r in entries[later]}
    dest = {r["key"]: r for r in duckdb_rows(db, "intacct", LINES)}
    assert all(dest[r["key"]]["description"] == r["description"] for r in sandbox.rows(LINE_PATH)
               if r["journalEntry.key"] in (first, later))
