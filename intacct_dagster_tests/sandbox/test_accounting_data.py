"""Accounting consistency of the generated data (multi-currency entries, documents vs payments), the hard cases
real companies have (null/future modifiedDateTime, hostile text, long numbers) and the Python API that lets tests
craft such cases precisely."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest

from intacct_dagster.sandbox import Sandbox

JE = "general-ledger/journal-entry"
JEL = "general-ledger/journal-entry-line"
BILL, BILL_LINE = "accounts-payable/bill", "accounts-payable/bill-line"
INV, INV_LINE = "accounts-receivable/invoice", "accounts-receivable/invoice-line"
AP_PAY, AP_DET = "accounts-payable/payment", "accounts-payable/payment-detail"
AR_PAY, AR_DET = "accounts-receivable/payment", "accounts-receivable/payment-detail"
VENDOR = "accounts-payable/vendor"
MOD = "audit.modifiedDateTime"
CENT = Decimal("0.01")
DOCS = ((BILL, AP_PAY, AP_DET, "bill.key", "apPayment.key"), (INV, AR_PAY, AR_DET, "arInvoice.key", "arPayment.key"))


@pytest.fixture(scope="module")
def big():
    """More entries than the default fixture, so that the currency mix is measurable."""
    return Sandbox(lines=20_000, seed=5)


def _entries(sb):
    out: dict[str, list[dict]] = defaultdict(list)
    for r in sb.rows(JEL, include_private=True, exact_numbers=True):
        out[r["journalEntry.key"]].append(r)
    return out


def test_multi_currency_entries_balance_in_base(big):
    entries = _entries(big)
    entity_cur = {r["id"]: r["baseCurrency.id"] for r in big.rows("company-config/entity")}
    je_entity = {r["key"]: r["entity.id"] for r in big.rows(JE, include_private=True)}
    kinds = defaultdict(int)
    for key, lines in entries.items():
        base = {r["currency.baseCurrency"] for r in lines}
        assert base == {entity_cur[je_entity[key]]}, key  # one entity, its base currency
        debit = sum(Decimal(r["baseAmount"]) for r in lines if r["txnType"] == "debit")
        credit = sum(Decimal(r["baseAmount"]) for r in lines if r["txnType"] == "credit")
        assert debit == credit > 0, key  # every entry balances in base currency
        curs = {r["currency.txnCurrency"] for r in lines}
        off = [r for r in lines if Decimal(r["baseAmount"]) != (Decimal(r["txnAmount"]) * r["currency.exchangeRate"]
                                                                ).quantize(CENT, ROUND_HALF_UP)]
        assert len(off) <= 1, key  # base = round(txn x rate); the rounding residue sits on one line at most
        if curs == base:
            kinds["base"] += 1
            assert all(r["currency.exchangeRate"] == 1 and r["txnAmount"] == r["baseAmount"] for r in lines)
        elif len(curs) == 1:
            kinds["foreign"] += 1
            tdebit = sum(Decimal(r["txnAmount"]) for r in lines if r["txnType"] == "debit")
            assert tdebit == sum(Decimal(r["txnAmount"]) for r in lines if r["txnType"] == "credit")
            assert all(abs(r["currency.exchangeRate"].as_tuple().exponent) == 6 for r in lines)
        else:
            kinds["mixed"] += 1
            assert len(curs) == 2
    n = sum(kinds.values())
    assert 0.82 < kinds["base"] / n < 0.92 and 0.07 < kinds["foreign"] / n < 0.13 and 0.015 < kinds["mixed"] / n < 0.05


def check_documents(sb) -> dict:
    """Documents' dues = totals - applied payment details; states follow; payments = sum of their details.
    Returns per-object statistics."""
    stats = {}
    for doc_path, pay_path, det_path, doc_ref, pay_ref in DOCS:
        docs = {r["key"]: r for r in sb.rows(doc_path, include_private=True)}
        applied: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
        per_payment: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
        details = sb.rows(det_path, include_private=True)
        for d in details:
            assert d["id"] == d["key"]
            applied[d[doc_ref]][0] += Decimal(d["txnCurrency.paymentAmount"])
            applied[d[doc_ref]][1] += Decimal(d["baseCurrency.paymentAmount"])
            per_payment[d[pay_ref]][0] += Decimal(d["txnCurrency.paymentAmount"])
            per_payment[d[pay_ref]][1] += Decimal(d["baseCurrency.paymentAmount"])
            assert d["txnCurrency.currency"] == docs[d[doc_ref]]["currency.txnCurrency"]
        states = defaultdict(int)
        for key, doc in docs.items():
            assert doc["id"] == key
            t_total, b_total = Decimal(doc["totalTxnAmount"]), Decimal(doc["totalBaseAmount"])
            t_paid, b_paid = applied.get(key, [Decimal(0), Decimal(0)])
            assert Decimal(doc["totalTxnAmountDue"]) == t_total - t_paid, key
            assert Decimal(doc["totalBaseAmountDue"]) == b_total - b_paid, key
            assert Decimal(doc["paymentInformation.totalTxnAmountPaid"]) == t_paid
            expected = "paid" if t_paid == t_total else "partiallyPaid" if t_paid else ("posted", "draft")
            assert doc["state"] in (expected if isinstance(expected, tuple) else (expected,)), key
            assert (doc["paymentInformation.fullyPaidDate"] is not None) == (doc["state"] == "paid")
            states[doc["state"]] += 1
        pays = sb.rows(pay_path, include_private=True)
        for p in pays:
            assert p["id"] == p["key"]
            assert [Decimal(p["txnCurrency.totalAmount"]), Decimal(p["baseCurrency.totalAmount"])] == \
                per_payment[p["key"]]
        assert set(per_payment) == {p["key"] for p in pays}  # no payment without details, no orphan detail
        by_payment, by_doc = defaultdict(set), defaultdict(set)
        for d in details:
            by_payment[d[pay_ref]].add(d[doc_ref])
            by_doc[d[doc_ref]].add(d[pay_ref])
        stats[doc_path] = {"states": dict(states), "multi_doc_payments": sum(len(v) > 1 for v in by_payment.values()),
                           "instalments": sum(len(v) > 1 for v in by_doc.values())}
    return stats


def test_documents_totals_dues_and_payment_details(big):
    for doc_path, st in check_documents(big).items():
        assert st["states"]["paid"] and st["states"]["partiallyPaid"] and st["states"]["posted"], doc_path
        assert st["multi_doc_payments"] and st["instalments"], doc_path  # one payment for several documents;
        # documents paid in several payments


def test_payment_create_and_delete_keep_dues_consistent(sandbox):
    def dues():
        return {r["key"]: (r["totalTxnAmountDue"], r["state"], r[MOD]) for r in sandbox.rows(BILL, include_private=True)}

    before = dues()
    sandbox.advance_clock(60)
    new = sandbox.create(AP_PAY, 2)
    assert len(new) == 2
    dets = [d for d in sandbox.rows(AP_DET, include_private=True) if d["apPayment.key"] in new]
    after = dues()
    changed = {k for k in after if after[k][:2] != before[k][:2]}
    assert changed == {d["bill.key"] for d in dets}
    assert all(after[k][2] > (before[k][2] or "") for k in changed)  # paying a bill touches it
    check_documents(sandbox)
    n_det = len(sandbox.keys(AP_DET, include_private=True))
    gone = sandbox.delete(AP_PAY, 2)
    assert len(gone) == 2 and not set(gone) & sandbox.keys(AP_PAY, include_private=True)
    assert len(sandbox.keys(AP_DET, include_private=True)) < n_det  # their details went with them
    check_documents(sandbox)
    bills = sandbox.delete(BILL, 3)  # payments applied to them go too; what they paid elsewhere re-opens
    assert len(bills) == 3
    check_documents(sandbox)
    lines = sandbox.delete(BILL_LINE, 1)  # a line takes its whole bill along (totals stay = sum of lines)
    assert lines and not set(lines) & sandbox.keys(BILL_LINE, include_private=True)
    detail_keys = sandbox.create(AR_DET, 1)
    assert detail_keys and set(detail_keys) <= sandbox.keys(AR_DET, include_private=True)
    sandbox.delete(AR_DET, 1)
    check_documents(sandbox)


def test_null_and_future_modified_are_served(sandbox, api):
    now = sandbox.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    for path in (VENDOR, "accounts-receivable/customer", "general-ledger/account", JE, JEL):
        mods = [r[MOD] for r in sandbox.rows(path, include_private=True)]
        assert None in mods, path
        if path != "general-ledger/account":
            assert any(m and m > now for m in mods), path
    null_lines = api.all_rows({"object": JEL, "fields": ["key", MOD], "filters": [{"$eq": {MOD: None}}],
                               "filterParameters": {"includePrivate": True}})
    assert null_lines and all(r[MOD] is None for r in null_lines)
    entry = api.get(f"/objects/{JEL}/{null_lines[0]['key']}").json()["ia::result"]
    assert entry["audit"]["modifiedDateTime"] is None
    future = api.all_rows({"object": VENDOR, "fields": ["key", MOD], "filters": [{"$gt": {MOD: now}}]})
    assert future and all(r[MOD] > now for r in future)
    # null sorts before every instant (after them descending) in both evaluation paths
    asc = api.all_rows({"object": JEL, "fields": ["key", MOD], "orderBy": [{MOD: "asc"}, {"key": "asc"}],
                        "filterParameters": {"includePrivate": True}})
    n_null = sum(1 for r in asc if r[MOD] is None)
    assert n_null and all(r[MOD] is None for r in asc[:n_null])
    slow = api.all_rows({"object": JEL, "fields": ["key", MOD], "orderBy": [{MOD: "desc"}, {"txnAmount": "asc"}],
                         "filterParameters": {"includePrivate": True}})
    assert all(r[MOD] is None for r in slow[-n_null:]) and slow[0][MOD] > now
    lt = api.all_rows({"object": JEL, "fields": ["key"], "filters": [{"$lt": {MOD: "2999-01-01T00:00:00Z"}}],
                       "filterParameters": {"includePrivate": True}})
    assert len(lt) == len(asc) - n_null  # nulls do not compare


def test_hostile_text_and_long_numbers_round_trip(sandbox, api):
    texts = [r["description"] for r in sandbox.rows(JE, include_private=True)]
    for needle in ("},{", '{"a":1}', '"hello"', "\\temp", "日本語", "\n"):
        assert any(needle in t for t in texts), needle
    hostile = [r for r in sandbox.rows(JE, include_private=True) if any(c in r["description"] for c in '{"\\\n')]
    for r in hostile:
        got = api.get(f"/objects/{JE}/{r['key']}").json()["ia::result"]
        assert got["description"] == r["description"]
    vendors = {r["key"]: r for r in sandbox.rows(VENDOR, include_private=True, exact_numbers=True)}
    big = [k for k, r in vendors.items() if r["creditLimit"] == Decimal("12345678901234567.89")]
    assert big
    raw = api.query({"object": VENDOR, "fields": ["key", "creditLimit", "name"],
                     "filters": [{"$eq": {"key": big[0]}}]}).content
    assert b'"creditLimit":12345678901234567.89' in raw
    assert api.rows({"object": VENDOR, "fields": ["key"], "filters": [{"$gt": {"creditLimit": "1E16"}}]}) == \
        [{"key": big[0]}]
    assert any('"' in r["name"] and "\\" in r["name"] for r in vendors.values())


def test_set_field_and_set_modified(sandbox, api):
    key = sorted(sandbox.keys(JEL), key=int)[3]
    before = {r["key"]: r for r in sandbox.rows(JEL)}[key]
    sandbox.set_field(JEL, key, "description", 'crafted },{"x":"\\\\"}\n✓')
    sandbox.set_field(JEL, key, "currency.exchangeRate", "1.2345678")
    sandbox.set_field(JEL, key, "dimensions.vendor.key", None)
    row = {r["key"]: r for r in sandbox.rows(JEL, exact_numbers=True)}[key]
    assert row["description"] == 'crafted },{"x":"\\\\"}\n✓' and row["currency.exchangeRate"] == Decimal("1.2345678")
    assert row["dimensions.vendor.key"] is None and row[MOD] == before[MOD]  # no touch: modified unchanged
    assert api.query({"object": JEL, "fields": ["currency.exchangeRate"], "filters": [{"$eq": {"key": key}}]}
                     ).content.count(b"1.2345678") == 1
    sandbox.advance_clock(30)
    sandbox.set_field(JEL, key, "isBillable", True, touch=True)
    row = {r["key"]: r for r in sandbox.rows(JEL)}[key]
    assert row["isBillable"] is True and row[MOD] == sandbox.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    got = api.rows({"object": JEL, "fields": ["key"], "filters": [{"$gte": {MOD: row[MOD]}}],
                    "orderBy": [{MOD: "asc"}, {"key": "asc"}]})
    assert {"key": key} in got  # the keyset index follows crafted changes
    sandbox.set_modified(JEL, key, None)
    assert {"key": key} in api.rows({"object": JEL, "fields": ["key"], "filters": [{"$eq": {MOD: None}}],
                                     "orderBy": [{MOD: "asc"}, {"key": "asc"}], "size": 4000})
    when = dt.datetime(2031, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc)
    sandbox.set_modified(JEL, key, when)
    assert {r["key"]: r for r in sandbox.rows(JEL)}[key][MOD] == "2031-05-06T07:08:09Z"
    with pytest.raises(ValueError):
        sandbox.set_field(JEL, key, "lineNumber", "one")
    with pytest.raises(ValueError):
        sandbox.set_field(JEL, key, "glAccount.name", "x")  # derived from the account
    with pytest.raises(KeyError):
        sandbox.set_field(JEL, "999999", "description", "x")


def test_add_custom_field_keeps_modified(sandbox, api, sandbox_factory):
    before = {r["key"]: r[MOD] for r in sandbox.rows(VENDOR, include_private=True)}
    versions = api.get("/services/core/model", params={"name": VENDOR}).json()["ia::result"]
    assert "nsp::TIER" not in versions["fields"]
    sandbox.add_custom_field(VENDOR, "nsp::TIER", "string", "gold")
    model = api.get("/services/core/model", params={"name": VENDOR}).json()["ia::result"]
    assert model["fields"]["nsp::TIER"]["type"] == "string"
    rows = sandbox.rows(VENDOR, include_private=True)
    assert all(r["nsp::TIER"] == "gold" for r in rows)
    assert {r["key"]: r[MOD] for r in rows} == before  # no record was touched
    got = api.all_rows({"object": VENDOR, "fields": ["key", "nsp::TIER"], "filters": [{"$eq": {"nsp::TIER": "gold"}}]})
    assert len(got) == len(sandbox.rows(VENDOR))
    new = sandbox.create(VENDOR, 1)[0]
    assert {r["key"]: r for r in sandbox.rows(VENDOR, include_private=True)}[new]["nsp::TIER"] == "gold"
    sandbox.add_custom_field(VENDOR, "nsp::SCORE", "number", 7.25)
    assert api.rows({"object": VENDOR, "fields": ["nsp::SCORE"], "size": 1}) == [{"nsp::SCORE": 7.25}]
    other = sandbox_factory(lines=100)
    assert "nsp::TIER" not in other.rows(VENDOR)[0]  # a custom field is one company's
    with pytest.raises(ValueError):
        sandbox.add_custom_field(VENDOR, "TIER", "string")
    with pytest.raises(ValueError):
        sandbox.add_custom_field(VENDOR, "nsp::TIER", "string")
    with pytest.raises(ValueError):
        sandbox.add_custom_field(VENDOR, "nsp::N", "number", "not a number")
