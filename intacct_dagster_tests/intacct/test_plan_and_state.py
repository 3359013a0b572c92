"""The plan (what to scan) and the state rules (cursor, column names, scope), without a server."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from intacct_dagster.intacct.catalog import IntacctObject
from intacct_dagster.intacct.errors import IntacctScopeError
from intacct_dagster.intacct.plan import RunOptions, make_plan
from intacct_dagster.intacct.schema import build_columns, model_fields
from intacct_dagster.intacct.state import TableState, check_scope, next_cursor

VENDOR = IntacctObject("vendors", "accounts-payable/vendor")
MODEL = {
    "fields": {
        "key": {"type": "string", "readOnly": True}, "id": {"type": "string"}, "href": {"type": "string"},
        "creditLimit": {"type": "number"}, "vendorId": {"type": "string"},
        "action": {"type": "string", "writeOnly": True}, "businessDays": {"type": "array"},
    },
    "groups": {"audit": {"fields": {"modifiedDateTime": {"type": "string", "format": "date-time"}},
                         "refs": {"createdByUser": {"apiObject": "company-config/user",
                                                    "fields": {"key": {"type": "string"}, "href": {"type": "string"}}}}}},
    "refs": {"term": {"apiObject": "accounts-payable/term", "fields": {"id": {"type": "string"},
                                                                     "key": {"type": "string"}}}},
    "lists": {"contacts": {"apiObject": "accounts-payable/vendor-contact"}},
}
NOW = datetime(2026, 12, 1, 12, 0, 0, tzinfo=timezone.utc)


def test_only_readable_scalar_fields_are_queried():
    names = [f for f, _ in model_fields(MODEL)]
    assert "action" not in names and "businessDays" not in names and "contacts" not in names
    assert not any(n.endswith("href") or n == "href" for n in names)
    assert {"key", "id", "creditLimit", "audit.modifiedDateTime", "audit.createdByUser.key", "term.id"} <= set(names)


def test_column_names_never_change_meaning():
    before = {"fields": {"key": {}}, "refs": {"vendor": {"fields": {"id": {}}}}}
    first = {c.field: c.name for c in build_columns(before)}
    assert first["vendor.id"] == "vendor_id"
    # an admin adds a field `vendorId`: computed from scratch it would take `vendor_id` (fewer dots win)...
    after = {**before, "fields": {"key": {}, "vendorId": {"type": "string"}}}
    fresh = {c.field: c.name for c in build_columns(after)}
    assert fresh["vendorId"] == "vendor_id"
    # ...but with the saved names the existing column keeps its meaning and the newcomer gets a new name
    later = {c.field: c.name for c in build_columns(after, known=first)}
    assert later["vendor.id"] == "vendor_id" and later["vendorId"] == "vendor_id_2"


def test_numbers_are_exact_decimals():
    kinds = {c.field: (c.kind, str(c.arrow_type)) for c in build_columns(MODEL)}
    assert kinds["creditLimit"] == ("number", "decimal128(38, 16)")


@pytest.mark.parametrize("case, saved, options, expect", [
    ("first load", TableState(), RunOptions(), dict(kind="full", lower=None, include_null_cursor=True,
                                                     deletes="unseen", save_cursor=True)),
    ("first load from start_date", TableState(), RunOptions(start_date="2025-01-01T00:00:00Z"),
     dict(kind="full", lower="2025-01-01T00:00:00Z", include_null_cursor=True, deletes="key_scan")),
    ("incremental", TableState("2026-11-30T10:00:00Z", {}), RunOptions(),
     dict(kind="incremental", lower="2026-11-30T09:00:00Z", include_null_cursor=False, deletes="none")),
    ("lookback 0 resumes at >= the cursor's second", TableState("2026-11-30T10:00:00Z", {}),
     RunOptions(lookback=timedelta(0)), dict(kind="incremental", lower="2026-11-30T10:00:00Z")),
    ("reconcile", TableState("2026-11-30T10:00:00Z", {}), RunOptions(mode="reconcile_deletes"),
     dict(kind="incremental", deletes="key_scan")),
    ("full resync of the table", TableState("2026-11-30T10:00:00Z", {}), RunOptions(full_resync=frozenset({"vendors"})),
     dict(kind="full", lower=None, include_null_cursor=True, deletes="unseen")),
    ("full resync of another table", TableState("2026-11-30T10:00:00Z", {}),
     RunOptions(full_resync=frozenset({"customers"})), dict(kind="incremental")),
    ("window keeps the cursor", TableState("2026-11-30T10:00:00Z", {}),
     RunOptions(window=("2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z")),
     dict(kind="window", lower="2025-01-01T00:00:00Z", upper="2025-02-01T00:00:00Z", save_cursor=False,
          deletes="none")),
])
def test_plan(case, saved, options, expect):
    plan = make_plan(VENDOR, MODEL, saved, options, NOW)
    got = {k: getattr(plan, k) for k in expect}
    assert got == expect, case
    assert plan.describe().startswith("vendors (accounts-payable/vendor)")


def test_model_gaining_fields_rereads_every_row():
    saved_columns = {c.field: c.name for c in build_columns(MODEL)}
    saved = TableState("2026-11-30T10:00:00Z", saved_columns)
    assert make_plan(VENDOR, MODEL, saved, RunOptions(), NOW).kind == "incremental"
    grown = {**MODEL, "fields": {**MODEL["fields"], "nsp::REGION": {"type": "string"}}}
    plan = make_plan(VENDOR, grown, saved, RunOptions(), NOW)
    assert plan.kind == "full" and plan.new_fields == ["nsp::REGION"] and plan.deletes == "unseen"
    assert "nsp::REGION" in plan.describe()


def test_object_without_audit_is_read_in_full_every_run():
    model = {"fields": {"key": {}, "name": {}}}
    plan = make_plan(VENDOR, model, TableState("2026-11-30T10:00:00Z", {}), RunOptions(), NOW)
    assert (plan.cursor_field, plan.kind, plan.deletes) == (None, "full", "unseen")


def test_cursor_never_moves_backwards_nor_past_the_servers_clock():
    assert next_cursor(None, "2026-12-01T11:00:00Z", NOW) == "2026-12-01T11:00:00Z"
    # a record stamped a day ahead: the cursor stops at the server's clock
    assert next_cursor("2026-12-01T11:00:00Z", "2026-12-02T12:00:00Z", NOW) == "2026-12-01T12:00:00Z"
    # older rows seen (a window, a deleted newest record): the cursor stays
    assert next_cursor("2026-12-01T11:00:00Z", "2026-06-01T00:00:00Z", NOW) == "2026-12-01T11:00:00Z"
    assert next_cursor("2026-12-01T11:00:00Z", None, NOW) == "2026-12-01T11:00:00Z"
    assert next_cursor(None, None, NOW) is None
    # no Date header: no cap, still forward only
    assert next_cursor("2026-12-01T11:00:00Z", "2026-12-01T11:30:00Z", None) == "2026-12-01T11:30:00Z"


def test_scope_belongs_to_company_and_entity():
    state: dict = {}
    check_scope(state, {"company": "ACME", "entity": ""}, "'intacct'")
    check_scope(state, {"company": "ACME", "entity": ""}, "'intacct'")
    with pytest.raises(IntacctScopeError, match="entity 'E2'.*INTACCT_ENTITY_ID"):
        check_scope(state, {"company": "ACME", "entity": "E2"}, "'intacct'")
    with pytest.raises(IntacctScopeError, match="company 'GLOBEX'.*INTACCT_ACME_DATASET"):
        check_scope(state, {"company": "GLOBEX", "entity": ""}, "'intacct'", prefix="INTACCT_ACME")
    assert state["scope"] == {"company": "ACME", "entity": ""}


def test_documents_are_completed_only_under_a_history_bound():
    lines = IntacctObject("journal_entry_lines", "general-ledger/journal-entry-line", parent="journalEntry.key")
    model = {"fields": {"key": {"type": "string"}},
             "groups": {"audit": {"fields": {"modifiedDateTime": {"type": "string", "format": "date-time"},
                                             "createdDateTime": {"type": "string", "format": "date-time"}}}},
             "refs": {"journalEntry": {"fields": {"key": {"type": "string"}}}}}
    bound = RunOptions(start_date="2025-01-01T00:00:00Z")
    assert make_plan(lines, model, TableState(), bound, NOW).complete_before == "2025-01-01T00:00:00Z"
    assert make_plan(lines, model, TableState(cursor="2026-01-01T00:00:00Z"), bound,
                     NOW).complete_before == "2025-01-01T00:00:00Z"  # incremental runs too
    assert make_plan(lines, model, TableState(), RunOptions(), NOW).complete_before is None  # whole history
    no_created = {**model, "groups": {"audit": {"fields": {"modifiedDateTime": model["groups"]["audit"]["fields"][
        "modifiedDateTime"]}}}}
    assert make_plan(lines, no_created, TableState(), bound, NOW).complete_before is None
    assert make_plan(VENDOR, MODEL, TableState(), bound, NOW).complete_before is None  # not a line object
