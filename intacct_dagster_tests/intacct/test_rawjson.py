"""The arrow fast path must give exactly what the row-by-row path gives, and fall back whenever it cannot
be sure (odd layout, `},{` inside a value, type surprises)."""

from __future__ import annotations

import orjson

from intacct_dagster.intacct import ClientCredentialsAuth, IntacctClient
from intacct_dagster.intacct.catalog import resolve_objects
from intacct_dagster.intacct.keyset import KeysetQuery
from intacct_dagster.intacct.rawjson import ArrowPage, PageDecoder
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


ROWS = [
    {"key": "1", "description": "plain", "txnAmount": "10.50", "entryDate": "2024-01-31", "rate": 1.5, "n": 3,
     "ok": True, "audit.modifiedDateTime": "2024-02-01T10:00:00Z"},
    {"key": "2", "description": None, "txnAmount": None, "entryDate": None, "rate": None, "n": None, "ok": None,
     "audit.modifiedDateTime": "2024-02-01T10:00:01Z", "unknownField": "ignored"},
    {"key": "3", "audit.modifiedDateTime": "2024-02-01T10:00:02Z"},  # fields missing -> nulls
]


def test_fast_path_equals_slow_path():
    cols, schema, dec = _decoder()
    page = dec(_body(ROWS, {"next": 4}))
    assert isinstance(page, ArrowPage)
    assert page.meta == {"next": 4} and page.last == ("2024-02-01T10:00:02Z", "3")
    assert page.table.equals(rows_to_table(ROWS, cols, schema))


def test_empty_page():
    _, schema, dec = _decoder()
    page = dec(_body([]))
    assert page.table.num_rows == 0 and page.table.schema == schema and page.last is None


def test_falls_back_when_unsure():
    _, _, dec = _decoder()
    tricky = [dict(ROWS[0], description='x},{"key":"999","audit.modifiedDateTime":"2030-01-01T00:00:00Z'),
              ROWS[1]]
    assert dec(_body(tricky)) is None  # `},{` inside a string: never trust the cut
    assert dec(orjson.dumps({"ia::result": ROWS, "ia::meta": {}}, option=orjson.OPT_INDENT_2)) is None
    assert dec(orjson.dumps({"ia::meta": {"next": None}, "ia::result": ROWS})) is None
    assert dec(_body([dict(ROWS[0], txnAmount=10.5)])) is None  # number where a string was expected
    assert dec(_body([dict(ROWS[0], txnAmount="1.234")])) is None  # more decimals than the money scale
    assert dec(_body([dict(ROWS[0], entryDate="")])) is None
    assert dec(_body(ROWS)[:-40]) is None  # truncated
    assert dec(orjson.dumps({"ia::result": {"ia::error": {"code": "x"}}})) is None


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
        slow = client.query(body)["ia::result"]
        assert isinstance(fast, ArrowPage), obj.name
        assert fast.table.equals(rows_to_table(slow, cols, schema)), obj.name
        if slow:
            assert fast.last == ((slow[-1][cursor] if cursor else None), slow[-1]["key"])
