"""Query bodies: keyset filters (never offsets) and validity against Sage's `core-query` schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from intacct_dagster.intacct.keyset import KeysetQuery, iter_pages

# Sage's OpenAPI definitions, vendored with the sandbox (the repository is self-contained)
SPEC = Path(__file__).resolve().parents[2] / "intacct_dagster" / "sandbox" / "sage_openapi" / "common-resources.json"


@pytest.fixture(scope="module")
def validate():
    import jsonschema

    if not SPEC.exists():
        pytest.fail(f"Sage's OpenAPI spec not found at {SPEC}", pytrace=False)
    doc = json.loads(SPEC.read_text())
    schema = {"$ref": "#/components/schemas/core-query", "components": doc["components"]}
    validator = jsonschema.Draft202012Validator(schema)

    def check(body):
        errors = list(validator.iter_errors(body))
        assert not errors, errors[0].message
        allowed = set(doc["components"]["schemas"]["core-query"]["properties"])
        assert set(body) <= allowed, set(body) - allowed
        return body

    return check


def test_first_page_and_keyset_pages(validate):
    q = KeysetQuery("general-ledger/journal-entry-line", ["key", "audit.modifiedDateTime"],
                    cursor="audit.modifiedDateTime", lower="2024-01-01T00:00:00Z", upper="2025-01-01T00:00:00Z",
                    page_size=4000, include_private=True)
    first = validate(q.body())
    assert first["filters"] == [{"$gte": {"audit.modifiedDateTime": "2024-01-01T00:00:00Z"}},
                                {"$lt": {"audit.modifiedDateTime": "2025-01-01T00:00:00Z"}}]
    assert first["filterExpression"] == "1 and 2"
    assert first["orderBy"] == [{"audit.modifiedDateTime": "asc"}, {"key": "asc"}]
    assert first["start"] == 1 and first["size"] == 4000
    assert first["filterParameters"] == {"includePrivate": True}
    nxt = validate(q.body(("2024-03-01T10:00:00Z", "1234")))
    assert nxt["filters"][:3] == [{"$gt": {"audit.modifiedDateTime": "2024-03-01T10:00:00Z"}},
                                  {"$eq": {"audit.modifiedDateTime": "2024-03-01T10:00:00Z"}},
                                  {"$gt": {"key": "1234"}}]
    assert nxt["filterExpression"] == "(1 or (2 and 3)) and 4"
    assert nxt["start"] == 1  # never offsets


def test_key_only_scan(validate):
    q = KeysetQuery("accounts-payable/term", ["key"], page_size=10)
    assert "filters" not in validate(q.body())
    body = validate(q.body((None, "77")))
    assert body["filters"] == [{"$gt": {"key": "77"}}] and body["orderBy"] == [{"key": "asc"}]
    assert "filterExpression" not in body


def test_page_size_is_capped():
    assert KeysetQuery("a/b", ["key"], page_size=10_000).body()["size"] == 4000


@pytest.mark.parametrize("prefetch", [0, 1, 3])
def test_iter_pages_follows_last_row(prefetch):
    data = [{"key": str(k)} for k in range(1, 26)]
    seen_bodies = []

    def fetch(body):
        seen_bodies.append(body)
        after = int(body["filters"][0]["$gt"]["key"]) if body.get("filters") else 0
        rows = [r for r in data if int(r["key"]) > after][: body["size"]]
        return {"ia::result": rows, "ia::meta": {"next": None if int(rows[-1]["key"]) == 25 else 99}}

    pages = list(iter_pages(fetch, KeysetQuery("a/b", ["key"], page_size=10), prefetch=prefetch))
    assert [p.count for p in pages] == [10, 10, 5] and [len(p.rows) for p in pages] == [10, 10, 5]
    assert len(seen_bodies) == 3


def test_speculative_next_request_is_discarded_when_the_peek_was_wrong():
    import pyarrow as pa

    from intacct_dagster.intacct.rawjson import ArrowPage, RawPage

    data = [str(k) for k in range(1, 26)]
    asked = []

    def fetch(body):
        after = int(body["filters"][0]["$gt"]["key"]) if body.get("filters") else 0
        asked.append(after)
        keys = [k for k in data if int(k) > after][: body["size"]]
        peeked = "3" if after == 0 else keys[-1]  # first page: a wrong peek (as if `},{` sat in a value)
        return RawPage(str(after).encode(), {"next": None if keys[-1] == "25" else 1}, (None, peeked))

    def decode(raw):
        keys = [k for k in data if int(k) > int(raw.content)][:10]
        return ArrowPage(pa.table({"key": keys}), raw.meta, (None, keys[-1]))

    pages = list(iter_pages(fetch, KeysetQuery("a/b", ["key"], page_size=10), decode=decode, prefetch=0))
    assert [p.table.column("key").to_pylist()[0] for p in pages] == ["1", "11", "21"]
    assert asked[:3] == [0, 3, 10]  # the speculative request after "3" was made, then ignored
