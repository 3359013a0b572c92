"""Model -> columns/types, without a server: names must be stable, dlt-compatible and collision-free,
values exact (money never becomes a float)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest
from dlt.common.normalizers.naming.snake_case import NamingConvention

from intacct_dagster.intacct.errors import IntacctDataError
from intacct_dagster.intacct.schema import (
    DELETED_COLUMN,
    build_columns,
    column_name,
    dlt_columns,
    model_fields,
    rows_to_table,
)

MODEL = {
    "fields": {
        "key": {"type": "string"},
        "id": {"type": "string"},
        "txnAmount": {"type": "string", "format": "decimal-precision-2"},
        "entryDate": {"type": "string", "format": "date"},
        "exchangeRate": {"type": "number"},
        "lineNumber": {"type": "integer"},
        "isBillable": {"type": "boolean"},
        "nsp::CUSTOMER_SEGMENT": {"type": "string"},
        "vendorId": {"type": "string"},
    },
    "groups": {
        "audit": {"fields": {"modifiedDateTime": {"type": "string", "format": "date-time"}}},
        "dimensions": {"refs": {"department": {"fields": {"key": {}, "id": {}, "name": {}}}}},
    },
    "refs": {"vendor": {"fields": {"key": {"type": "string"}, "id": {"type": "string"}}}},
    "lists": {"lines": {"apiObject": "x/line"}},
}


def test_column_names_match_dlt_snake_case():
    naming = NamingConvention()
    for field, expected in [
        ("audit.modifiedDateTime", "audit_modified_date_time"),
        ("vendor.id", "vendor_id"),
        ("nsp::CUSTOMER_SEGMENT", "nsp_customer_segment"),
        ("dimensions.department.id", "dimensions_department_id"),
        ("contacts.default.mailingAddress.city", "contacts_default_mailing_address_city"),
        ("webURL", "web_url"),
        ("glAccount.id", "gl_account_id"),
    ]:
        assert column_name(field) == expected
        assert naming.normalize_identifier(field) == expected
        assert naming.normalize_identifier(expected) == expected  # dlt leaves our names alone


def test_model_walk_includes_groups_refs_and_custom_fields_but_not_lists():
    names = [f for f, _ in model_fields(MODEL)]
    for f in ["key", "txnAmount", "nsp::CUSTOMER_SEGMENT", "audit.modifiedDateTime", "vendor.key", "vendor.id",
              "dimensions.department.key", "dimensions.department.id", "dimensions.department.name"]:
        assert f in names
    assert not any(n.startswith("lines") for n in names)


def test_collisions_get_stable_suffixes():
    cols = build_columns(MODEL)
    by_field = {c.field: c.name for c in cols}
    assert cols[0].field == "key" and cols[0].name == "key"
    # `vendorId` and `vendor.id` both want vendor_id: the top-level field keeps it
    assert by_field["vendorId"] == "vendor_id"
    assert by_field["vendor.id"] == "vendor_id_2"
    assert len(set(by_field.values())) == len(by_field)
    assert build_columns(MODEL) == cols


def test_types_and_hints():
    cols = {c.field: c for c in build_columns(MODEL)}
    assert cols["txnAmount"].arrow_type == pa.decimal128(28, 2)
    assert cols["entryDate"].arrow_type == pa.date32()
    assert cols["audit.modifiedDateTime"].arrow_type == pa.timestamp("us", tz="UTC")
    assert cols["exchangeRate"].arrow_type == pa.decimal128(38, 16)  # JSON numbers: exact, never a double
    assert cols["lineNumber"].arrow_type == pa.int64()
    assert cols["isBillable"].arrow_type == pa.bool_()
    hints = dlt_columns(cols.values(), "key", "audit.modifiedDateTime")
    assert hints["txn_amount"] == {"name": "txn_amount", "data_type": "decimal", "nullable": True,
                                   "precision": 28, "scale": 2}
    assert hints["exchange_rate"] == {"name": "exchange_rate", "data_type": "decimal", "nullable": True,
                                      "precision": 38, "scale": 16}
    assert hints["key"]["primary_key"] is True and hints["key"]["nullable"] is False
    assert hints["audit_modified_date_time"]["dedup_sort"] == "desc"
    assert hints["audit_modified_date_time"]["timezone"] is True
    assert hints[DELETED_COLUMN]["hard_delete"] is True


def test_rows_to_table_is_exact():
    cols = build_columns(MODEL)
    rows = [
        {"key": "1", "txnAmount": "12345678901234567.89", "entryDate": "2024-02-29",
         "exchangeRate": Decimal("12345678901234567.89"), "lineNumber": 3, "isBillable": True,
         "audit.modifiedDateTime": "2025-09-14T21:23:42Z"},
        {"key": "2", "txnAmount": None, "entryDate": None, "audit.modifiedDateTime": None},
        # odd values take the slow path: an exactly parsed JSON number for money, blank date, string
        # integer, non-string text
        {"key": "3", "txnAmount": Decimal("0.1"), "entryDate": "", "lineNumber": "7", "id": 5},
    ]
    t = rows_to_table(rows, cols).to_pylist()
    assert t[0]["txn_amount"] == Decimal("12345678901234567.89")
    assert t[0]["entry_date"] == dt.date(2024, 2, 29)
    assert t[0]["audit_modified_date_time"] == dt.datetime(2025, 9, 14, 21, 23, 42, tzinfo=dt.timezone.utc)
    assert t[0]["exchange_rate"] == Decimal("12345678901234567.89")  # 19 digits: a double would round it
    assert t[1]["txn_amount"] is None and t[1]["entry_date"] is None
    assert t[2]["txn_amount"] == Decimal("0.10")
    assert t[2]["entry_date"] is None
    assert t[2]["line_number"] == 7
    assert t[2]["id"] == "5"


@pytest.mark.parametrize("field, value, why", [
    ("txnAmount", 0.1, "binary float"),  # money that went through a float is refused, never rounded
    ("txnAmount", "1.234", "more than 2 decimals"),
    ("exchangeRate", Decimal("1e30"), "more than 38 digits"),
    ("lineNumber", "7.5", "not an integer"),
    ("isBillable", "maybe", "not a boolean"),
])
def test_a_value_that_does_not_fit_names_table_column_and_key(field, value, why):
    cols = build_columns(MODEL)
    rows = [{"key": "1"}, {"key": "42", field: value}]
    with pytest.raises(IntacctDataError, match=why) as ei:
        rows_to_table(rows, cols, table="journal_entry_lines")
    text = str(ei.value)
    column = next(c.name for c in cols if c.field == field)
    assert "table journal_entry_lines" in text and f"column {column}" in text and "key 42" in text


def test_empty_page_has_full_schema():
    cols = build_columns(MODEL)
    t = rows_to_table([], cols)
    assert t.num_rows == 0 and t.schema.field("txn_amount").type == pa.decimal128(28, 2)
