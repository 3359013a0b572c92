"""The arrow fast path must give exactly what the exact path (`exact_page` + `rows_to_table`) gives, and fall
back whenever it cannot be sure (odd layout, type surprises, values that do not fit). JSON punctuation inside
a value (`},{`) is read exactly, not sent to the slow path."""

from __future__ import annotations

from decimal import Decimal

import orjson
import pytest

from intacct_dagster.intacct import ClientCredentialsAuth, IntacctClient
from intacct_dagster.intacct.catalog import resolve_objects
from intacct_dagster.intacct.errors import IntacctDataError
from intacct_dagster.intacct.keyset import KeysetQuery
from intacct_dagster.intacct.rawjson import ArrowPage, PageDecoder, exact_page
from intacct_dagster.intacct.schema import arrow_schema, build_columns, rows_to_table

MODEL = {"fields": {"key": {"type": "string"}, "description": {"type": "string"},
                    "txnAmount": {"type": "string", "format": "decimal-precision-2"},
                    "entryDate": {"type": "string", "format": "date"}, "rate": {"type": "number"},
                    "n": {"type": "integer"}, "ok": {"type": "boolean"}},
         "groups": {"audit": {"fields": {"modifiedDateTime": {"type": "string", "format": "date-time"}}}}}
CURSOR = "audit.modifiedDateTime"


def _decoder():
    cols = build_columns(MODEL)
    schema = arrow_schema(cols)
    return cols, schema, PageDecoder(cols, schema, "key", CURSOR)


def _body(rows, meta=None):
    return orjson.dumps({"ia::result": rows, "ia::meta": meta or {"next": None}})


def _exact(body: bytes, cols, schema):
    """The exact path: the body parsed with decimals, then converted row by row."""
    return rows_to_table(exact_page(body)["ia::result"], cols, schema, "t")


ROWS = [
    {"key": "1", "description": "plain", "txnAmount": "10.50", "entryDate": "2024-01-31", "rate": 1.5, "n": 3,
     "ok": True, "audit.modifiedDateTime": "2024-02-01T10:00:00Z"},
    {"key": "2", "description": None, "txnAmount": None, "entryDate": None, "rate": None, "n": None, "ok": None,
     "audit.modifiedDateTime": "2024-02-01T10:00:01Z", "unknownField": "ignored"},
    {"key": "3", "audit.modifiedDateTime": "2024-02-01T10:00:02Z"},  # fields missing -> nulls
]


def test_fast_path_equals_slow_path():
    cols, schema, dec = _decoder()
    body = _body(ROWS, {"next": 4})
    page = dec(body)
    assert isinstance(page, ArrowPage)
    assert page.meta == {"next": 4} and page.last == ("2024-02-01T10:00:02Z", "3")
    assert page.table.equals(_exact(body, cols, schema))
    assert page.table.column("rate").to_pylist()[0] == Decimal("1.5")  # a JSON number, read exactly


def test_json_numbers_are_read_exactly_on_both_paths():
    cols, schema, dec = _decoder()
    # 17 significant digits: a binary float would round it; both paths must keep every digit
    body = b'{"ia::result":[{"key":"1","rate":12345678901234567.89,"txnAmount":10.5}],"ia::meta":{"next":null}}'
    page = dec(body)
    assert page is not None
    assert page.table.equals(_exact(body, cols, schema))
    row = page.table.to_pylist()[0]
    assert row["rate"] == Decimal("12345678901234567.89") and row["txn_amount"] == Decimal("10.50")


def test_ten_decimal_amounts_are_exact_on_both_paths():
    """`decimal-precision-10` (item costs and prices) keeps all ten decimals; an eleventh is refused."""
    model = {"fields": {"key": {"type": "string"},
                        "standardCost": {"type": "string", "format": "decimal-precision-10"}}}
    cols = build_columns(model)
    schema = arrow_schema(cols)
    dec = PageDecoder(cols, schema, "key", None)
    values = ["12.3456789012", "-0.0000000001", "123456789012345.1234567890", "7"]
    body = _body([{"key": str(i), "standardCost": v} for i, v in enumerate(values, 1)])
    page = dec(body)
    assert page is not None and page.table.equals(_exact(body, cols, schema))
    assert page.table.column("standard_cost").to_pylist() == [Decimal(v) for v in values]
    body = _body([{"key": "9", "standardCost": "1.12345678901"}])
    assert dec(body) is None
    with pytest.raises(IntacctDataError, match=r"column standard_cost .*key 9"):
        _exact(body, cols, schema)


def test_empty_page():
    _, schema, dec = _decoder()
    page = dec(_body([]))
    assert page.table.num_rows == 0 and page.table.schema == schema and page.last is None


def test_json_punctuation_inside_a_value_is_read_exactly():
    cols, schema, dec = _decoder()
    tricky_text = 'x},{"key":"999","audit.modifiedDateTime":"2030-01-01T00:00:00Z'
    tricky = [dict(ROWS[0], description=tricky_text), dict(ROWS[1], description="{Ann},{Bob} }},{{")]
    body = _body(tricky)
    page = dec(body)
    assert page is not None  # rows are cut only where a `"` follows `},{`, which never happens inside a string
    assert page.table.column("description").to_pylist() == [tricky_text, "{Ann},{Bob} }},{{"]
    assert page.table.column("key").to_pylist() == ["1", "2"] and page.last[1] == "2"
    assert page.table.equals(_exact(body, cols, schema))


def test_falls_back_when_unsure():
    cols, schema, dec = _decoder()
    assert dec(orjson.dumps({"ia::result": ROWS, "ia::meta": {}}, option=orjson.OPT_INDENT_2)) is None
    assert dec(orjson.dumps({"ia::meta": {"next": None}, "ia::result": ROWS})) is None
    assert dec(_body([dict(ROWS[0], entryDate="")])) is None
    assert dec(_body(ROWS)[:-40]) is None  # truncated
    assert dec(orjson.dumps({"ia::result": {"ia::error": {"code": "x"}}})) is None
    # more decimals than the column holds (as text or as a JSON number): the fast path declines, and the
    # exact path refuses the value naming table, column and key (never a rounded value, never a NULL)
    for bad in ("1.234", 10.505):
        body = _body([dict(ROWS[0], txnAmount=bad)])
        assert dec(body) is None
        with pytest.raises(IntacctDataError, match=r"table t, column txn_amount .*key 1"):
            _exact(body, cols, schema)


def test_fast_path_matches_sandbox_rows(sandbox):
    auth = ClientCredentialsAuth(sandbox.base_url + "/oauth2/token", sandbox.client_id, sandbox.client_secret,
                                 sandbox.username)
    client = IntacctClient(sandbox.base_url, auth)
    for obj in resolve_objects():
        cols = build_columns(client.model(obj.path))
        schema = arrow_schema(cols)
        cursor = obj.cursor if obj.cursor in {c.field for c in cols} else None
        body = KeysetQuery(obj.path, [c.field for c in cols], cursor=cursor, page_size=500).body()
        fast = client.query(body, decode=PageDecoder(cols, schema, "key", cursor))
        slow = client.query(body, decode=exact_page)["ia::result"]
        assert isinstance(fast, ArrowPage), obj.name
        assert fast.table.num_rows == len(slow) > 0, obj.name
        assert fast.table.equals(rows_to_table(slow, cols, schema)), obj.name
        if slow:
            assert fast.last == ((slow[-1][cursor] if cursor else None), slow[-1]["key"])
