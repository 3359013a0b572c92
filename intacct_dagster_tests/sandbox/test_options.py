"""Switchable behaviours whose real-API counterpart is unknown (key collation, body layout, unrequested keys), the
HTTP Date header from the sandbox clock, and the company id."""

from __future__ import annotations

import base64
import datetime as dt
import json
from email.utils import parsedate_to_datetime

import orjson
import pytest
import requests

from intacct_dagster.sandbox import Sandbox

from .helpers import Api

VENDOR = "accounts-payable/vendor"
INVOICE = "accounts-receivable/invoice"
JEL = "general-ledger/journal-entry-line"


def test_key_collation_text_orders_and_filters_keys_as_text(sandbox, api):
    assert sandbox.options.key_collation == "numeric"
    keys = [r["key"] for r in api.all_rows({"object": VENDOR, "fields": ["key"], "orderBy": [{"key": "asc"}]})]
    assert keys == sorted(keys, key=int) and "10" in keys
    sandbox.options.key_collation = "text"
    text_keys = [r["key"] for r in api.all_rows({"object": VENDOR, "fields": ["key"], "orderBy": [{"key": "asc"}]})]
    assert text_keys == sorted(keys) and text_keys.index("10") < text_keys.index("9")
    desc = [r["key"] for r in api.all_rows({"object": VENDOR, "fields": ["key"], "orderBy": [{"key": "desc"}]})]
    assert desc == sorted(keys, reverse=True)
    gt9 = {r["key"] for r in api.all_rows({"object": VENDOR, "fields": ["key"], "filters": [{"$gt": {"key": "9"}}]})}
    assert gt9 == {k for k in keys if k > "9"} and "10" not in gt9
    lt2 = {r["key"] for r in api.all_rows({"object": VENDOR, "fields": ["key"], "filters": [{"$lt": {"key": "2"}}]})}
    assert lt2 == {k for k in keys if k < "2"} and "10" in lt2
    # keyset paging on (modifiedDateTime, key) still returns every row exactly once under text collation
    seen, last = [], None
    while True:
        q = {"object": JEL, "fields": ["key", "audit.modifiedDateTime"], "size": 50,
             "orderBy": [{"audit.modifiedDateTime": "asc"}, {"key": "asc"}], "filterParameters": {"includePrivate": True}}
        if last is not None:
            m, k = last
            q["filters"] = ([{"$eq": {"audit.modifiedDateTime": None}}, {"$gt": {"key": k}},
                             {"$ne": {"audit.modifiedDateTime": None}}] if m is None else
                            [{"$gt": {"audit.modifiedDateTime": m}}, {"$eq": {"audit.modifiedDateTime": m}},
                             {"$gt": {"key": k}}])
            q["filterExpression"] = "(1 and 2) or 3" if m is None else "1 or (2 and 3)"
        page = api.rows(q)
        if not page:
            break
        seen += [r["key"] for r in page]
        last = (page[-1]["audit.modifiedDateTime"], page[-1]["key"])
    assert len(seen) == len(set(seen)) and set(seen) == sandbox.keys(JEL, include_private=True)
    sandbox.options.key_collation = "numeric"
    assert [r["key"] for r in api.all_rows({"object": VENDOR, "fields": ["key"], "orderBy": [{"key": "asc"}]})] == keys


def test_json_layouts_parse_to_the_same_data(sandbox, api):
    body = {"object": VENDOR, "fields": ["key", "name", "creditLimit", "notes"], "orderBy": [{"key": "asc"}],
            "size": 30}
    compact = api.query(body)
    assert compact.content.startswith(b'{"ia::result":[{') and b"\n" not in compact.content
    sandbox.options.json_layout = "pretty"
    pretty = api.query(body)
    assert pretty.content.count(b"\n") > 30 and b'  "ia::result": [' in pretty.content
    assert pretty.json() == compact.json()
    # numbers are kept digit for digit (no float round trip): the 12345678901234567.89 credit limit survives
    assert b"12345678901234567.89" in compact.content and b"12345678901234567.89" in pretty.content
    sandbox.options.json_layout = "meta_first"
    first = api.query(body)
    assert first.content.startswith(b'{"ia::meta":') and first.json() == compact.json()
    model = api.get("/services/core/model", params={"name": VENDOR})
    assert model.content.startswith(b'{"ia::meta":')
    err = api.query({"object": VENDOR, "fields": ["nope"]})
    assert err.status_code == 400 and err.content.startswith(b'{"ia::meta":')
    sandbox.options.json_layout = "compact"
    assert api.query(body).content == compact.content


def test_extra_row_keys(sandbox, api):
    body = {"object": INVOICE, "fields": ["key", "state"], "size": 5}
    assert all(list(r) == ["key", "state"] for r in api.rows(body))
    sandbox.options.extra_row_keys = True
    rows = api.rows(body)
    assert rows and all(list(r) == ["API_QUERY_ALIAS__25", "key", "state"] and r["API_QUERY_ALIAS__25"] is None
                        for r in rows)
    assert api.rows({"object": INVOICE, "fields": ["count:key"]}) == [{"count:key": len(sandbox.rows(INVOICE))}]
    sandbox.options.extra_row_keys = False
    assert all(list(r) == ["key", "state"] for r in api.rows(body))


def test_options_validation_constructor_and_admin_endpoint(sandbox, api, sandbox_factory):
    with pytest.raises(ValueError):
        sandbox.options.key_collation = "binary"
    with pytest.raises(AttributeError):
        sandbox.options.nope = 1
    sb = sandbox_factory(key_collation="text", json_layout="meta_first", extra_row_keys=True)
    shape = ("key_collation", "json_layout", "extra_row_keys")
    assert {k: sb.options.as_dict()[k] for k in shape} == {"key_collation": "text", "json_layout": "meta_first",
                                                             "extra_row_keys": True}
    base = sandbox.base_url.replace("/ia/api/v1", "")
    hdr = {"X-Sandbox-Admin": sandbox.admin_token}
    r = requests.post(f"{base}/__sandbox__/options", json={"json_layout": "pretty", "extra_row_keys": True},
                      headers=hdr, timeout=10)
    assert r.status_code == 200 and b"\n" in r.content
    assert {k: json.loads(r.content)["result"][k] for k in shape} == {"key_collation": "numeric",
                                                                        "json_layout": "pretty", "extra_row_keys": True}
    assert "API_QUERY_ALIAS__25" in api.rows({"object": VENDOR, "fields": ["key"], "size": 1})[0]
    assert requests.post(f"{base}/__sandbox__/options", json={"json_layout": "xml"}, headers=hdr,
                         timeout=10).status_code == 400


def test_date_header_follows_the_sandbox_clock(sandbox, api):
    def server_time(resp):
        return parsedate_to_datetime(resp.headers["Date"])

    r = api.query({"object": VENDOR, "fields": ["key"], "size": 1})
    assert abs((server_time(r) - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 5
    sandbox.advance_clock(3 * 86400 + 3600)
    for resp in (api.query({"object": VENDOR, "fields": ["key"], "size": 1}), api.get(f"/objects/{VENDOR}/1"),
                 api.get("/objects/nope/nope"), requests.post(sandbox.token_url, data={}, timeout=10)):
        assert abs((server_time(resp) - sandbox.now()).total_seconds()) < 5
    sandbox.inject_fault("throttle")
    throttled = api.query({"object": VENDOR, "fields": ["key"]})
    assert throttled.status_code == 429 and abs((server_time(throttled) - sandbox.now()).total_seconds()) < 5


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_company_id_makes_two_sandboxes_two_companies(sandbox_factory):
    a = sandbox_factory(lines=200)
    b = sandbox_factory(lines=200, company_id="ACME-IMP")
    assert a.username == "ws_user@SANDBOX" and b.username == "ws_user@ACME-IMP"
    api_b = Api(b)
    assert _claims(api_b.token)["cnyId"] == "ACME-IMP"
    assert _claims(Api(b, entity_username="ws_user@ACME-IMP|E2").token)["entityId"] == "E2"
    wrong = requests.post(b.token_url, timeout=10, data={"grant_type": "client_credentials", "client_id": b.client_id,
                                                         "client_secret": b.client_secret, "username": a.username})
    assert wrong.status_code == 401
    assert _claims(Api(a).token)["cnyId"] == "SANDBOX"
    with pytest.raises(ValueError):
        Sandbox(lines=10, company_id="a@b")
