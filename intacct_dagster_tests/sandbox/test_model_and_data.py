"""Model service and the generated data: types, balanced journal entries, referential integrity, determinism."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from decimal import Decimal

from intacct_dagster.sandbox import Sandbox
from intacct_dagster.sandbox.models import flat_names

JEL = "general-ledger/journal-entry-line"
JE = "general-ledger/journal-entry"


def test_model_lists_resources(api, sandbox):
    body = api.get("/services/core/model").json()
    names = {r["apiObject"] for r in body["ia::result"]}
    assert names == {f"objects/{p}" for p in sandbox.object_paths()}


def test_model_of_journal_entry_line(api):
    for name in (JEL, f"objects/{JEL}"):
        m = api.get("/services/core/model", params={"name": name}).json()["ia::result"]
        assert m["type"] == "ownedObject" and m["apiObject"] == f"objects/{JEL}"
        f = m["fields"]
        assert f["key"]["type"] == "string" and f["key"]["readOnly"] is True
        assert f["txnAmount"] == {**f["txnAmount"], "type": "string", "format": "decimal-precision-2"}
        assert f["entryDate"]["format"] == "date" and f["lineNumber"]["type"] == "integer"
        assert f["txnType"]["enum"] == ["debit", "credit"] and f["isBillable"]["type"] == "boolean"
        assert m["groups"]["audit"]["fields"]["modifiedDateTime"]["format"] == "date-time"
        assert m["groups"]["currency"]["fields"]["exchangeRate"]["type"] == "number"
        assert m["refs"]["glAccount"]["apiObject"] == "general-ledger/account"
        assert set(m["groups"]["dimensions"]["refs"]) >= {"department", "location", "class", "project", "vendor",
                                                          "customer", "employee", "item"}
        assert "nsp::APPROVED_ON" in f


def test_model_names_are_exactly_the_queryable_fields(api, sandbox):
    for path in sandbox.readable_paths():
        m = api.get("/services/core/model", params={"name": path}).json()["ia::result"]
        names = flat_names(m)
        assert sorted(names) == sorted(sandbox.store.model_field_names(path)), path
        r = api.query({"object": path, "fields": names, "size": 3})
        assert r.status_code == 200, (path, r.text)
        assert all(list(row) == names for row in r.json()["ia::result"])


def test_term_groups_and_custom_object(api, sandbox):
    term = api.get("/services/core/model", params={"name": "accounts-payable/term"}).json()["ia::result"]
    assert {"audit", "due", "discount", "penalty"} <= set(term["groups"])  # Sage's term has these groups
    assert "name" not in term["fields"] and term["groups"]["discount"]["fields"]["amount"]["format"] == \
        "decimal-precision-2"
    rows = api.rows({"object": "accounts-payable/term", "fields": ["id", "due.days", "discount.amount",
                                                                 "audit.modifiedDateTime"]})
    assert {r["id"] for r in rows} >= {"Net 30", "Due on receipt"} and all(isinstance(r["due.days"], int)
                                                                            for r in rows)
    assert api.query({"object": "accounts-payable/term", "fields": ["key", "name"]}).status_code == 400
    rows = api.rows({"object": "platform-apps/nsp::project_budget", "fields": ["key", "id", "project.id"]})
    assert rows and all(r["key"] == r["id"] for r in rows)
    assert api.get("/services/core/model", params={"name": "accounts-payable/nope"}).status_code == 404


def test_value_formats(sandbox):
    date = re.compile(r"^\d{4}-\d{2}-\d{2}$")
    ts = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
    money = re.compile(r"^-?\d+\.\d{2}$")
    now = sandbox.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    tomorrow = (sandbox.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    seen_null = seen_future = 0
    for path in sandbox.object_paths():
        for r in sandbox.rows(path, include_private=True):
            assert r["key"].isdigit()
            if "audit.createdDateTime" in r:
                created, modified = r["audit.createdDateTime"], r["audit.modifiedDateTime"]
                assert ts.match(created)
                if modified is None:
                    seen_null += 1
                    continue
                assert ts.match(modified) and created <= modified
                if modified > now:
                    seen_future += 1
                    assert modified >= tomorrow  # stamped (at least) a day ahead
            for k in ("txnAmount", "baseAmount", "totalTxnAmount", "totalDue", "totalTxnAmountDue"):
                if r.get(k) is not None:
                    assert money.match(r[k]), (path, k, r[k])
            for k in ("entryDate", "postingDate", "dueDate", "invoiceDate"):
                if r.get(k) is not None:
                    assert date.match(r[k])
    assert seen_null and seen_future


def test_journal_entries_balance(sandbox):
    base: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    txn: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    currencies: dict[str, set] = defaultdict(set)
    for r in sandbox.rows(JEL, include_private=True):
        base[r["journalEntry.key"]][r["txnType"] == "credit"] += Decimal(r["baseAmount"])
        txn[r["journalEntry.key"]][r["txnType"] == "credit"] += Decimal(r["txnAmount"])
        currencies[r["journalEntry.key"]].add(r["currency.txnCurrency"])
    assert set(base) == sandbox.keys(JE, include_private=True)
    assert all(d == c and d > 0 for d, c in base.values())
    assert all(txn[k][0] == txn[k][1] for k, cur in currencies.items() if len(cur) == 1)


def test_referential_integrity(sandbox):
    def keys(path):
        return sandbox.keys(path, include_private=True)

    checks = {
        JEL: {"journalEntry.key": JE, "glAccount.key": "general-ledger/account",
              "dimensions.department.key": "company-config/department", "dimensions.location.key": "company-config/location",
              "dimensions.vendor.key": "accounts-payable/vendor", "dimensions.customer.key": "accounts-receivable/customer",
              "dimensions.project.key": "projects/project", "dimensions.employee.key": "company-config/employee",
              "dimensions.item.key": "inventory-control/item"},
        JE: {"entity.key": "company-config/entity"},
        "accounts-payable/bill-line": {"bill.key": "accounts-payable/bill", "glAccount.key": "general-ledger/account",
                                       "vendor.key": "accounts-payable/vendor"},
        "accounts-payable/bill": {"vendor.key": "accounts-payable/vendor", "term.key": "accounts-payable/term"},
        "accounts-payable/vendor": {"term.key": "accounts-payable/term"},
        "accounts-payable/payment": {"vendor.key": "accounts-payable/vendor"},
        "accounts-payable/payment-detail": {"bill.key": "accounts-payable/bill",
                                            "apPayment.key": "accounts-payable/payment"},
        "accounts-receivable/invoice-line": {"invoice.key": "accounts-receivable/invoice"},
        "accounts-receivable/payment": {"customer.key": "accounts-receivable/customer"},
        "accounts-receivable/payment-detail": {"arInvoice.key": "accounts-receivable/invoice",
                                               "arPayment.key": "accounts-receivable/payment"},
        "projects/project": {"customer.key": "accounts-receivable/customer"},
        "projects/task": {"project.key": "projects/project"},
    }
    for path, refs in checks.items():
        rows = sandbox.rows(path, include_private=True)
        for field, target in refs.items():
            values = {r[field] for r in rows if r[field] is not None}
            assert values, (path, field)
            assert values <= keys(target), (path, field)
    for doc, line, ref in (("accounts-payable/bill", "accounts-payable/bill-line", "bill.key"),
                           ("accounts-receivable/invoice", "accounts-receivable/invoice-line", "invoice.key")):
        docs = {r["key"]: (Decimal(r["totalTxnAmount"]), Decimal(r["totalBaseAmount"]))
                for r in sandbox.rows(doc, include_private=True)}
        sums: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for r in sandbox.rows(line, include_private=True):
            sums[r[ref]][0] += Decimal(r["txnAmount"])
            sums[r[ref]][1] += Decimal(r["baseAmount"])
        assert {k: tuple(v) for k, v in sums.items()} == docs


def test_deterministic_and_scales():
    a, b = Sandbox(lines=400, seed=3), Sandbox(lines=400, seed=3)
    assert a.rows(JEL, include_private=True) == b.rows(JEL, include_private=True)
    assert a.rows("accounts-payable/vendor") == b.rows("accounts-payable/vendor")
    c = Sandbox(lines=400, seed=4)
    assert c.rows(JEL, include_private=True) != a.rows(JEL, include_private=True)
    big = Sandbox(lines=20_000, seed=3)
    assert len(big.keys(JEL, include_private=True)) == 20_000
    assert len(big.keys("accounts-payable/vendor", include_private=True)) == 100 and len(big.keys("accounts-payable/bill", include_private=True)) == 1000


def test_referential_integrity_inside_each_entity(sandbox):
    refs = {JEL: {"dimensions.vendor.key": "accounts-payable/vendor", "dimensions.customer.key": "accounts-receivable/customer",
                  "dimensions.location.key": "company-config/location", "dimensions.project.key": "projects/project",
                  "dimensions.employee.key": "company-config/employee", "dimensions.item.key": "inventory-control/item"},
            "accounts-payable/bill": {"vendor.key": "accounts-payable/vendor"},
            "accounts-receivable/invoice": {"customer.key": "accounts-receivable/customer"},
            "company-config/employee": {"location.key": "company-config/location"}}
    for ent in ("E1", "E2", "E3"):
        for path, fields in refs.items():
            rows = sandbox.rows(path, entity_id=ent)
            for field, target in fields.items():
                values = {r[field] for r in rows if r[field] is not None}
                assert values <= sandbox.keys(target, entity_id=ent), (ent, path, field)
