"""Query service: rows shape, operators, filterExpression, ordering, paging, aggregates, validation errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

JEL = "general-ledger/journal-entry-line"
VENDOR = "accounts-payable/vendor"
MOD = "audit.modifiedDateTime"


def _ts(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def test_flat_dotted_rows_in_requested_order(api):
    fields = ["txnAmount", "key", "journalEntry.key", "glAccount.id", "dimensions.department.id", MOD,
              "nsp::APPROVED_ON", "href"]
    rows = api.rows({"object": JEL, "fields": fields, "size": 5})
    assert len(rows) == 5
    for r in rows:
        assert list(r) == fields
        assert r["key"].isdigit() and r["journalEntry.key"].isdigit()
        assert Decimal(r["txnAmount"]).as_tuple().exponent == -2
        assert r[MOD].endswith("Z")
        assert r["href"] == f"/objects/{JEL}/{r['key']}"


def test_key_compares_and_sorts_as_integer(api):
    keys = [r["key"] for r in api.rows({"object": VENDOR, "fields": ["key"], "orderBy": [{"key": "asc"}]})]
    assert keys == sorted(keys, key=int) and "10" in keys and "9" in keys
    desc = [r["key"] for r in api.rows({"object": VENDOR, "fields": ["key"], "orderBy": [{"key": "desc"}]})]
    assert desc == keys[::-1]
    gt9 = {r["key"] for r in api.rows({"object": VENDOR, "fields": ["key"], "filters": [{"$gt": {"key": "9"}}]})}
    assert gt9 == {k for k in keys if int(k) > 9}
    between = api.rows({"object": VENDOR, "fields": ["key"], "filters": [{"$between": {"key": ["8", "11"]}}]})
    assert [r["key"] for r in between] == ["8", "9", "10", "11"]


def test_money_compares_as_decimal(api, sandbox):
    rows = sandbox.rows(JEL, include_private=True)
    threshold = "1000.5"
    got = api.all_rows({"object": JEL, "fields": ["key", "txnAmount"], "filters": [{"$gte": {"txnAmount": threshold}}],
                        "filterParameters": {"includePrivate": True}})
    assert {r["key"] for r in got} == {r["key"] for r in rows if Decimal(r["txnAmount"]) >= Decimal(threshold)}
    ordered = api.all_rows({"object": JEL, "fields": ["key", "txnAmount"], "orderBy": [{"txnAmount": "desc"}],
                            "filterParameters": {"includePrivate": True}})
    amounts = [Decimal(r["txnAmount"]) for r in ordered]
    assert amounts == sorted(amounts, reverse=True)


def test_ten_decimal_amounts_compare_order_and_sum_exactly(api, sandbox):
    """`decimal-precision-10` fields (item costs) keep their decimals through filters, ordering and sums."""
    item, cost = "inventory-control/item", "purchasing.standardCost"
    rows = sandbox.rows(item)
    ten = [r for r in rows if len(r[cost].split(".")[1]) == 10]
    assert ten, "no item cost with ten decimals"
    pivot = ten[0][cost]  # an edge: the pivot itself must not pass $gt but must pass $eq
    got = {r["key"] for r in api.all_rows({"object": item, "fields": ["key"], "filters": [{"$gt": {cost: pivot}}]})}
    assert got == {r["key"] for r in rows if Decimal(r[cost]) > Decimal(pivot)}
    assert ten[0]["key"] in {r["key"] for r in api.all_rows(
        {"object": item, "fields": ["key"], "filters": [{"$eq": {cost: pivot}}]})}
    ordered = [Decimal(r[cost]) for r in api.all_rows({"object": item, "fields": [cost], "orderBy": [{cost: "asc"}]})]
    assert ordered == sorted(Decimal(r[cost]) for r in rows)
    [total] = api.rows({"object": item, "fields": [f"sum:{cost}"]})
    assert Decimal(str(total[f"sum:{cost}"])) == sum(Decimal(r[cost]) for r in rows)


def test_datetime_compares_as_instant(api, sandbox):
    rows = [r for r in sandbox.rows(JEL) if r[MOD] is not None]
    mods = sorted({r[MOD] for r in rows})
    pivot = mods[len(mods) // 2]
    as_offset = _ts(pivot).astimezone(dt.timezone(dt.timedelta(hours=2))).isoformat()
    for value in (pivot, as_offset):
        got = api.all_rows({"object": JEL, "fields": ["key"], "filters": [{"$gte": {MOD: value}}]})
        assert {r["key"] for r in got} == {r["key"] for r in rows if r[MOD] >= pivot}


@pytest.mark.parametrize(
    "flt, pred",
    [
        ({"$eq": {"txnType": "debit"}}, lambda r: r["txnType"] == "debit"),
        ({"$ne": {"txnType": "debit"}}, lambda r: r["txnType"] != "debit"),
        ({"$lt": {"lineNumber": 3}}, lambda r: r["lineNumber"] < 3),
        ({"$lte": {"entryDate": "2025-06-30"}}, lambda r: r["entryDate"] <= "2025-06-30"),
        ({"$in": {"glAccount.id": ["1000", "2000", "6010"]}}, lambda r: r["glAccount.id"] in ("1000", "2000", "6010")),
        ({"$notIn": {"dimensions.department.id": ["D100", "D110"]}},
         lambda r: r["dimensions.department.id"] not in ("D100", "D110")),
        ({"$between": {"txnAmount": ["100", "2000.00"]}}, lambda r: 100 <= Decimal(r["txnAmount"]) <= 2000),
        ({"$notBetween": {"lineNumber": [2, 3]}}, lambda r: not 2 <= r["lineNumber"] <= 3),
        ({"$contains": {"description": "Rent"}}, lambda r: "Rent" in r["description"]),
        ({"$startsWith": {"description": "Pay"}}, lambda r: r["description"].startswith("Pay")),
        ({"$endsWith": {"description": "entry"}}, lambda r: r["description"].endswith("entry")),
        ({"$notContains": {"description": "Rent"}}, lambda r: "Rent" not in r["description"]),
        ({"$eq": {"dimensions.vendor.id": None}}, lambda r: r["dimensions.vendor.id"] is None),
        ({"$ne": {"dimensions.vendor.id": None}}, lambda r: r["dimensions.vendor.id"] is not None),
        ({"$eq": {"isBillable": True}}, lambda r: r["isBillable"] is True),
        ({"$gt": {"journalEntry.key": "100"}}, lambda r: int(r["journalEntry.key"]) > 100),
    ],
)
def test_operators(api, sandbox, flt, pred):
    expected = {r["key"] for r in sandbox.rows(JEL) if pred(r)}
    got = api.all_rows({"object": JEL, "fields": ["key"], "filters": [flt]})
    assert {r["key"] for r in got} == expected
    assert expected, "filter should match something in the default data"


def test_case_insensitive_comparison(api, sandbox):
    body = {"object": JEL, "fields": ["key"], "filters": [{"$eq": {"txnType": "DEBIT"}}]}
    assert api.rows(body) == []
    body["filterParameters"] = {"caseSensitiveComparison": False}
    got = api.all_rows(body)
    assert {r["key"] for r in got} == {r["key"] for r in sandbox.rows(JEL) if r["txnType"] == "debit"}


def test_filter_expression(api, sandbox):
    rows = sandbox.rows(JEL)
    filters = [{"$eq": {"txnType": "debit"}}, {"$lt": {"lineNumber": 2}}, {"$gt": {"txnAmount": "5000"}}]
    p = [lambda r: r["txnType"] == "debit", lambda r: r["lineNumber"] < 2, lambda r: Decimal(r["txnAmount"]) > 5000]
    cases = {
        None: lambda r: p[0](r) and p[1](r) and p[2](r),
        "1 and 2 and 3": lambda r: p[0](r) and p[1](r) and p[2](r),
        "(1 and 2) or 3": lambda r: (p[0](r) and p[1](r)) or p[2](r),
        "1 and (2 or 3)": lambda r: p[0](r) and (p[1](r) or p[2](r)),
        "1 or 2 and 3": lambda r: p[0](r) or (p[1](r) and p[2](r)),
        "or": lambda r: p[0](r) or p[1](r) or p[2](r),
    }
    for expr, pred in cases.items():
        body = {"object": JEL, "fields": ["key"], "filters": filters}
        if expr:
            body["filterExpression"] = expr
        assert {r["key"] for r in api.all_rows(body)} == {r["key"] for r in rows if pred(r)}, expr


def test_order_by_multiple_fields(api):
    rows = api.all_rows({"object": JEL, "fields": ["key", "glAccount.id", "txnAmount"],
                         "orderBy": [{"glAccount.id": "asc"}, {"txnAmount": "desc"}]})
    keys = [(r["glAccount.id"], -Decimal(r["txnAmount"]), int(r["key"])) for r in rows]
    assert keys == sorted(keys)


def test_paging_meta(api, sandbox):
    total = len(sandbox.rows(JEL))
    r = api.query({"object": JEL, "fields": ["key"], "size": 250}).json()
    assert r["ia::meta"] == {"totalCount": total, "start": 1, "pageSize": 250, "next": 251, "previous": None}
    r = api.query({"object": JEL, "fields": ["key"], "start": 251, "size": 250}).json()
    assert r["ia::meta"]["previous"] == 1 and r["ia::meta"]["next"] == 501
    last = api.query({"object": JEL, "fields": ["key"], "start": 501, "size": 250}).json()
    assert last["ia::meta"]["next"] is None and len(last["ia::result"]) == total - 500
    default = api.query({"object": JEL, "fields": ["key"]}).json()
    assert len(default["ia::result"]) == 100 and default["ia::meta"]["pageSize"] == 100
    keys = [r["key"] for r in api.all_rows({"object": JEL, "fields": ["key"]}, size=97)]
    assert keys == sorted({r["key"] for r in sandbox.rows(JEL)}, key=int)


def test_keyset_pagination_with_ties_returns_each_row_once(api, sandbox):
    expected = sandbox.keys(JEL, include_private=True)
    seen: list[str] = []
    last = None
    body = {"object": JEL, "fields": ["key", MOD], "orderBy": [{MOD: "asc"}, {"key": "asc"}], "size": 3,
            "filterParameters": {"includePrivate": True}}
    while True:
        q = dict(body)
        if last and last[0] is None:  # null modifiedDateTime sorts first: finish the nulls, then the rest
            q["filters"] = [{"$eq": {MOD: None}}, {"$gt": {"key": last[1]}}, {"$ne": {MOD: None}}]
            q["filterExpression"] = "(1 and 2) or 3"
        elif last:
            q["filters"] = [{"$gt": {MOD: last[0]}}, {"$eq": {MOD: last[0]}}, {"$gt": {"key": last[1]}}]
            q["filterExpression"] = "1 or (2 and 3)"
        page = api.rows(q)
        if not page:
            break
        seen += [r["key"] for r in page]
        last = (page[-1][MOD], page[-1]["key"])
    assert len(seen) == len(set(seen)) and set(seen) == expected
    mods = [r[MOD] for r in sandbox.rows(JEL, include_private=True)]
    assert len(set(mods)) < len(mods) / 2, "data should have many modifiedDateTime ties"
    assert sandbox.engine.fast_hits > 0


def test_keyset_desc_and_bounded_window(api, sandbox):
    rows = [r for r in sandbox.rows(JEL) if r[MOD] is not None]
    mods = sorted({r[MOD] for r in rows})
    lo, hi = mods[len(mods) // 4], mods[3 * len(mods) // 4]
    body = {"object": JEL, "fields": ["key", MOD], "orderBy": [{MOD: "desc"}, {"key": "desc"}],
            "filters": [{"$gte": {MOD: lo}}, {"$lt": {MOD: hi}}]}
    got = api.all_rows(body, size=50)
    exp = sorted(((r[MOD], int(r["key"])) for r in rows if lo <= r[MOD] < hi), reverse=True)
    assert [(r[MOD], int(r["key"])) for r in got] == exp


def test_date_macro(api, sandbox):
    year = sandbox.now().year
    got = api.all_rows({"object": JEL, "fields": ["key"], "filters": [{"$eq": {"entryDate": "currentYear"}}]})
    assert {r["key"] for r in got} == {r["key"] for r in sandbox.rows(JEL) if r["entryDate"].startswith(str(year))}


def test_count_aggregate(api, sandbox):
    rows = api.rows({"object": JEL, "fields": ["count:key"]})
    assert rows == [{"count:key": len(sandbox.rows(JEL))}]
    grouped = api.rows({"object": JEL, "fields": ["txnType", "count:key", "sum:txnAmount"]})
    assert {g["txnType"] for g in grouped} == {"debit", "credit"}
    # the books balance over all visible lines only if whole entries are visible: check counts instead
    assert sum(g["count:key"] for g in grouped) == len(sandbox.rows(JEL))


def _error(resp, status=400):
    assert resp.status_code == status, resp.text
    err = resp.json()["ia::result"]["ia::error"]
    assert err["code"] and err["errorId"] and err["supportId"]
    return err


@pytest.mark.parametrize(
    "body, target",
    [
        ({"object": VENDOR, "fields": ["id"], "includePrivate": True}, "/includePrivate"),
        ({"fields": ["id"]}, "/object"),
        ({"object": VENDOR}, "/fields"),
        ({"object": VENDOR, "fields": []}, "/fields"),
        ({"object": VENDOR, "fields": ["*"]}, "/*"),
        ({"object": VENDOR, "fields": ["id", "newDate"]}, "/newDate"),
        ({"object": VENDOR, "fields": ["id", "vendorType.nope"]}, "/vendorType.nope"),
        ({"object": "accounts-payable/nope", "fields": ["id"]}, "/object"),
        ({"object": VENDOR, "fields": ["id"], "filters": [{"$like": {"name": "A"}}]}, "/filters/0"),
        ({"object": VENDOR, "fields": ["id"], "filters": [{"$eq": {"bogus": "A"}}]}, "/bogus"),
        ({"object": VENDOR, "fields": ["id"], "filters": [{"$in": {"name": "A"}}]}, "/name"),
        ({"object": VENDOR, "fields": ["id"], "filters": [{"$between": {"key": ["1"]}}]}, "/key"),
        ({"object": VENDOR, "fields": ["id"], "filters": [{"$eq": {"key": "abc"}}]}, "/key"),
        ({"object": VENDOR, "fields": ["id"], "filters": [{"$contains": {"creditLimit": "1"}}]}, "/creditLimit"),
        ({"object": VENDOR, "fields": ["id"], "filters": [{"$eq": {"id": "1"}}], "filterExpression": "1 and 2"},
         "/filterExpression"),
        ({"object": VENDOR, "fields": ["id"], "filters": [{"$eq": {"id": "1"}}], "filterExpression": "(1"},
         "/filterExpression"),
        ({"object": VENDOR, "fields": ["id"], "filterParameters": {"private": True}}, "/filterParameters/private"),
        ({"object": VENDOR, "fields": ["id"], "orderBy": [{"id": "up"}]}, "/orderBy/0/id"),
        ({"object": VENDOR, "fields": ["id"], "orderBy": [{"nope": "asc"}]}, "/orderBy/0/nope"),
        ({"object": VENDOR, "fields": ["id"], "size": 4001}, "/size"),
        ({"object": VENDOR, "fields": ["id"], "size": 0}, "/size"),
        ({"object": VENDOR, "fields": ["id"], "start": 0}, "/start"),
        ({"object": VENDOR, "fields": ["id"], "start": "1"}, "/start"),
    ],
)
def test_validation_errors(api, body, target):
    err = _error(api.query(body))
    assert err["errorId"] == "REST-1064"
    assert target in [d["target"] for d in err["details"]]


def test_unknown_field_detail_shape(api):
    err = _error(api.query({"object": VENDOR, "fields": ["id", "newDate"]}))
    d = err["details"][0]
    assert d == {**d, "errorId": "REST-1043", "target": "/newDate", "message": "/newDate is not a valid field"}
    assert d["additionalInfo"]["messageId"] == "IA.NOT_A_VALID_FIELD"


def test_size_4000_is_accepted(api):
    r = api.query({"object": JEL, "fields": ["key"], "size": 4000})
    assert r.status_code == 200 and r.json()["ia::meta"]["pageSize"] == 4000


def test_empty_and_invalid_bodies(api, sandbox):
    url = f"{sandbox.base_url}/services/core/query"
    r = api.s.post(url, data=b"", timeout=10)
    assert _error(r)["errorId"] == "REST-1028"
    r = api.s.post(url, data=b"{not json", headers={"Content-Type": "application/json"}, timeout=10)
    _error(r)
    _error(api.query([1, 2]))


def test_prefetched_next_page_is_identical(sandbox):
    import time

    from intacct_dagster.sandbox.query_engine import Scope, validate

    eng = sandbox.engine
    scope = Scope(None, True)
    body = {"object": JEL, "fields": ["key", "txnAmount", "glAccount.name", MOD], "size": 50,
            "orderBy": [{MOD: "asc"}, {"key": "asc"}], "filterParameters": {"includePrivate": True}}
    import orjson

    with sandbox._lock:
        first, _ = eng.run_json(validate(body, sandbox.store, 0), scope)
    last = orjson.loads(first)[-1]
    nxt = {**body, "filters": [{"$gt": {MOD: last[MOD]}}, {"$eq": {MOD: last[MOD]}}, {"$gt": {"key": last["key"]}}],
           "filterExpression": "1 or (2 and 3)"}
    deadline = time.time() + 5
    while eng._prefetched is None and time.time() < deadline:
        time.sleep(0.01)
    hits = eng.prefetch_hits
    with sandbox._lock:
        served, _ = eng.run_json(validate(nxt, sandbox.store, 0), scope)
    assert eng.prefetch_hits == hits + 1
    eng.prefetch = False
    with sandbox._lock:
        plain, _ = eng.run_json(validate(nxt, sandbox.store, 0), scope)
    assert served == plain and len(orjson.loads(plain)) == 50
    sandbox.modify(JEL, 1)  # any change invalidates what was prefetched
    eng.prefetch = True
    with sandbox._lock:
        eng.run_json(validate(nxt, sandbox.store, 0), scope)
    assert eng.prefetch_hits == hits + 1
