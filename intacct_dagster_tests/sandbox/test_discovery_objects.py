"""Every object the company has: the model list names all of them (50+), one object is forbidden to the API user
(403), one module is not subscribed (400); the rest load, reference each other sensibly, are deterministic per
seed and can be created, modified and deleted. (Their values against Sage's schemas: test_sage_conformance.)"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from intacct_dagster.sandbox import Sandbox

from .helpers import Api, admin
from .sage_objects import nest, validator

FMT = "%Y-%m-%dT%H:%M:%SZ"

FORBIDDEN = "company-config/employee-rate"
TIME = ("time/timesheet-rule", "time/timesheet-approval-record")
NEW = ("accounts-payable/vendor-type", "accounts-receivable/customer-type", "general-ledger/journal",
       "company-config/user", "company-config/contact", "company-config/role", "company-config/exchange-rate-type",
       "company-config/exchange-rate", "company-config/exchange-rate-line", FORBIDDEN,
       "cash-management/checking-account", "cash-management/savings-account", "cash-management/credit-card-account",
       "cash-management/bank-transaction", "contracts/contract-type", "contracts/contract", "contracts/contract-line",
       "fixed-assets/depreciation-method", "fixed-assets/asset-classification", "fixed-assets/asset",
       "accounts-payable/adjustment", "accounts-receivable/adjustment", "general-ledger/account-group",
       "general-ledger/budget", "general-ledger/budget-detail", "tax/tax-detail", *TIME)


def test_model_list_names_every_served_object(api, sandbox, spec):
    body = api.get("/services/core/model").json()
    items = body["ia::result"]
    listed = {i["apiObject"] for i in items}
    assert listed == {f"objects/{p}" for p in sandbox.object_paths()}
    assert len(listed) >= 50 and {f"objects/{p}" for p in NEW} <= listed
    assert f"objects/{FORBIDDEN}" in listed and {f"objects/{p}" for p in TIME} <= listed  # discovery sees them
    by = {i["apiObject"]: i for i in items}
    for p in ("company-config/exchange-rate-line", "general-ledger/budget-detail"):
        assert by[f"objects/{p}"]["type"] == "ownedObject"
    for p in ("cash-management/bank-transaction", "contracts/contract", "fixed-assets/asset"):
        assert by[f"objects/{p}"]["type"] == "rootObject"
    for i in items:
        assert set(i) == {"apiObject", "type", "httpMethods", "href"}
        assert i["href"] == f"/services/core/model?version=v1&name={i['apiObject']}"
    assert body["ia::meta"]["totalCount"] == len(items)
    budget = api.get("/services/core/model", params={"name": "general-ledger/budget"}).json()["ia::result"]
    assert budget["lists"] == {"lines": {"apiObject": "general-ledger/budget-detail"}}
    rate = api.get("/services/core/model", params={"name": "company-config/exchange-rate"}).json()["ia::result"]
    assert rate["lists"] == {"lines": {"apiObject": "company-config/exchange-rate-line"}}


def test_every_readable_object_has_rows(sandbox, api):
    readable = sandbox.readable_paths()
    assert FORBIDDEN not in readable and not set(TIME) & set(readable)
    assert len(readable) >= 40
    for path in readable:
        body = api.query({"object": path, "fields": ["key"], "size": 1})
        assert body.status_code == 200, (path, body.text)
        assert body.json()["ia::meta"]["totalCount"] > 0, path


# ------------------------------------------------------------------------------------------ permission
def test_forbidden_object_answers_403_permission_error(sandbox, api, spec):
    r = api.query({"object": FORBIDDEN, "fields": ["key", "hourlyRate"]})
    assert r.status_code == 403
    body = r.json()
    spec.component("error-response").validate(body)
    err = body["ia::result"]["ia::error"]
    assert err["code"] == "permissionDenied"
    assert err["message"] == f"You do not have permission for API operation READ on objects of type {FORBIDDEN}"
    assert err["details"][0]["code"] == "PL04000005" and err["details"][0]["target"] == FORBIDDEN
    assert err["additionalInfo"]["placeholders"] == {"OPERATION": "READ", "OBJECT": FORBIDDEN}
    assert body["ia::meta"] == {"totalCount": 1, "totalSuccess": 0, "totalError": 1}
    # the same for list and GET by key, and before any payload check
    for resp in (api.get(f"/objects/{FORBIDDEN}"), api.get(f"/objects/{FORBIDDEN}/1"),
                 api.query({"object": FORBIDDEN, "fields": ["nope"]})):
        assert resp.status_code == 403 and resp.json()["ia::result"]["ia::error"]["code"] == "permissionDenied"
    # its model is served (metadata, not records): discovery can describe it
    m = api.get("/services/core/model", params={"name": FORBIDDEN})
    assert m.status_code == 200 and "hourlyRate" in m.json()["ia::result"]["fields"]
    # one object's refusal does not touch the others
    assert api.query({"object": "company-config/employee", "fields": ["key"]}).status_code == 200
    # the Python API still sees the data (tests compare against it)
    assert sandbox.rows(FORBIDDEN) and sandbox.access_error(FORBIDDEN) == "forbidden"


def test_unsubscribed_module_answers_400_on_query_model_list_and_get(sandbox, api, spec):
    for path in TIME:
        answers = [api.query({"object": path, "fields": ["key"]}), api.get("/services/core/model", params={"name": path}),
                   api.get("/services/core/model", params={"name": f"objects/{path}"}), api.get(f"/objects/{path}"),
                   api.get(f"/objects/{path}/1")]
        for r in answers:
            assert r.status_code == 400, (path, r.url, r.text)
            body = r.json()
            spec.component("error-response").validate(body)
            err = body["ia::result"]["ia::error"]
            assert err["code"] == "invalidRequest" and err["message"] == "Time module is not subscribed"
            assert err["additionalInfo"]["messageId"] == "IA.MODULE_NOT_SUBSCRIBED"
            assert err["details"][0]["target"] == path
        assert sandbox.access_error(path) == "unsubscribed"
    assert api.query({"object": "tax/tax-detail", "fields": ["key"]}).status_code == 200


def test_access_is_configurable(sandbox_factory):
    sb = sandbox_factory(lines=200, forbidden_objects=("general-ledger/budget",),
                         unsubscribed_modules=("fixed-assets", "contracts"))
    api = Api(sb)
    assert api.query({"object": "general-ledger/budget", "fields": ["key"]}).status_code == 403
    assert api.query({"object": FORBIDDEN, "fields": ["key"]}).status_code == 200
    assert api.query({"object": TIME[0], "fields": ["key"]}).status_code == 200
    for path in ("fixed-assets/asset", "contracts/contract-line"):
        assert api.query({"object": path, "fields": ["key"]}).status_code == 400
    sb.options.unsubscribed_modules = ()
    sb.options.forbidden_objects = FORBIDDEN  # a single path is accepted as well
    assert api.query({"object": "fixed-assets/asset", "fields": ["key"]}).status_code == 200
    assert api.query({"object": FORBIDDEN, "fields": ["key"]}).status_code == 403
    r = admin(sb, "options", forbidden_objects="", unsubscribed_modules="time,fixed-assets")
    assert r.status_code == 200 and r.json()["result"]["unsubscribed_modules"] == ["time", "fixed-assets"]
    assert api.query({"object": FORBIDDEN, "fields": ["key"]}).status_code == 200
    assert api.query({"object": "fixed-assets/asset", "fields": ["key"]}).status_code == 400
    assert set(admin(sb, "readable_paths").json()["result"]) == set(sb.readable_paths())
    for bad in ({"forbidden_objects": ["nope/nope"]}, {"unsubscribed_modules": ["payroll"]}):
        assert admin(sb, "options", **bad).status_code == 400
    with pytest.raises(ValueError):
        Sandbox(lines=10, forbidden_objects=("company-config/txn-currency",))  # hidden: not a served object


# ------------------------------------------------------------------------------------------ data
def _ref_targets(api, path: str) -> dict[str, str]:
    """ref name (dotted) -> apiObject, from the object's model."""
    out: dict[str, str] = {}

    def walk(node: dict, prefix: str) -> None:
        for name, ref in node.get("refs", {}).items():
            out[prefix + name] = ref["apiObject"]
        for name, group in node.get("groups", {}).items():
            walk(group, f"{prefix}{name}.")

    walk(api.get("/services/core/model", params={"name": path}).json()["ia::result"], "")
    return out


def test_references_point_at_live_records(sandbox, api):
    served = set(sandbox.object_paths())
    for path in sandbox.readable_paths():
        rows = sandbox.rows(path, include_private=True)
        assert rows, path
        for ref, target in _ref_targets(api, path).items():
            keys = {r[f"{ref}.key"] for r in rows if r.get(f"{ref}.key") is not None}
            if target in served:
                assert keys <= sandbox.keys(target, include_private=True), (path, ref, target)
            ids = {r[f"{ref}.key"]: r.get(f"{ref}.id") for r in rows if r.get(f"{ref}.key") is not None}
            assert all(ids.values()), (path, ref)


def test_amounts_and_relations_add_up(sandbox, api):
    lines = sandbox.rows("contracts/contract-line")
    for c in sandbox.rows("contracts/contract"):
        mine = [x for x in lines if x["contract.key"] == c["key"]]
        assert mine and sum(int(x["billing.flatFixedAmount"].replace(".", "")) for x in mine) == \
            int(c["contractTotalAmount"].replace(".", ""))
        assert all(x["currency.txnCurrency"] == c["currency.txnCurrency"] for x in mine)
        assert c["startDate"] <= c["endDate"]
    for a in sandbox.rows("accounts-payable/adjustment"):
        assert a["txnTotalDue"] == ("0.00" if a["state"] == "paid" else a["txnTotalEntered"])
        assert a["totalBaseAmountDue"] == ("0.00" if a["state"] == "paid" else a["totalEntered"])
    for a in sandbox.rows("accounts-receivable/adjustment"):
        assert a["txnCurrency.totalDue"] == ("0.00" if a["state"] == "paid" else a["txnCurrency.totalEntered"])
    for line in sandbox.rows("company-config/exchange-rate-line"):
        assert abs(line["rate"] * line["reciprocalRate"] - 1) < 1e-5
    rates = {r["key"]: r for r in sandbox.rows("company-config/exchange-rate")}
    assert {(r["fromCurrency"], r["toCurrency"]) for r in rates.values()} >= {("USD", "GBP"), ("GBP", "USD")}
    details = sandbox.rows("general-ledger/budget-detail")
    assert all(d["reportingPeriod.startDate"] <= d["reportingPeriod.endDate"] for d in details)
    assert all(d["reportingPeriod.id"].startswith("Month Ended ") for d in details)
    # reference sub-fields that are dates are served as dates (and filter as dates)
    jan = [d for d in details if d["reportingPeriod.startDate"].endswith("-01-01")]
    got = api.all_rows({"object": "general-ledger/budget-detail", "fields": ["key", "reportingPeriod.startDate"],
                        "filters": [{"$eq": {"reportingPeriod.startDate": jan[0]["reportingPeriod.startDate"]}}]})
    assert got and {g["reportingPeriod.startDate"] for g in got} == {jan[0]["reportingPeriod.startDate"]}
    # bank transactions follow their account's entity
    e2 = api.all_rows({"object": "cash-management/bank-transaction", "fields": ["key", "financialAccount.currency"]},
                      entity="E2")
    assert e2 and {r["financialAccount.currency"] for r in e2} == {"GBP"}
    users = {u["id"] for u in sandbox.rows("company-config/user")}
    assert {r["audit.createdBy"] for r in sandbox.rows("cash-management/bank-transaction")} <= users


def test_sizes_scale_with_lines_and_are_deterministic():
    small, again, other = Sandbox(lines=300, seed=5), Sandbox(lines=300, seed=5), Sandbox(lines=300, seed=6)
    big = Sandbox(lines=6000, seed=5)
    for path in NEW:
        assert small.rows(path) == again.rows(path), path
    assert small.rows("cash-management/bank-transaction") != other.rows("cash-management/bank-transaction")
    for path in ("cash-management/bank-transaction", "contracts/contract", "fixed-assets/asset",
                 "accounts-payable/adjustment"):
        assert len(big.keys(path)) > len(small.keys(path)), path
    assert json.dumps(small.rows("company-config/contact")[:3])  # serialisable as served


def test_create_modify_delete_new_objects(sandbox):
    for path in NEW:
        v = validator(path)
        keys = sandbox.create(path, 1)
        assert keys, path
        row = next(r for r in sandbox.rows(path, include_private=True) if r["key"] == keys[-1])
        errs = [e.message for e in v.iter_errors(nest(row))]
        assert not errs, (path, errs[:3])
        if "audit.createdDateTime" in row:  # created just now
            assert row["audit.createdDateTime"] >= (sandbox.now() - dt.timedelta(seconds=5)).strftime(FMT), path
            assert row["audit.modifiedDateTime"] == row["audit.createdDateTime"]
        changed = sandbox.modify(path, 1)
        assert len(changed) == 1
    rate_key = sandbox.create("company-config/exchange-rate", 1)[0]
    before = len(sandbox.keys("company-config/exchange-rate-line"))
    line_keys = [r["key"] for r in sandbox.rows("company-config/exchange-rate-line")
                 if r["exchangeRate.key"] == rate_key]
    assert len(line_keys) == 1
    sandbox.delete("general-ledger/budget", 1)
    owners = sandbox.keys("general-ledger/budget")
    assert {d["budget.key"] for d in sandbox.rows("general-ledger/budget-detail")} <= owners
    assert len(sandbox.keys("company-config/exchange-rate-line")) == before
