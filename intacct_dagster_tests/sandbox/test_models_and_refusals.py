"""Models look like the real ones (recorded from the live API) and the query service refuses what the real one
refuses: write-only fields, array fields and owned lists (REST-1106); unknown fields stay REST-1043."""

from __future__ import annotations

import json

import pytest

from .sage_objects import schema_file

INVOICE = "accounts-receivable/invoice"
JE = "general-ledger/journal-entry"
JEL = "general-ledger/journal-entry-line"
ATTRS = {"type", "readOnly", "writeOnly", "required", "nullable", "mutable"}


def model(api, path: str) -> dict:
    r = api.get("/services/core/model", params={"name": path})
    assert r.status_code == 200, r.text
    return r.json()["ia::result"]


def _schema_props(path: str) -> dict:
    return json.loads(schema_file(path).read_text())["properties"]


def test_field_attributes_have_the_recorded_shape(api, sandbox):
    for path in sandbox.readable_paths():
        m = model(api, path)
        nodes = [m]
        while nodes:
            node = nodes.pop()
            for name, attrs in node.get("fields", {}).items():
                assert ATTRS <= set(attrs), (path, name, attrs)
                assert attrs["required"] is False and attrs["mutable"] is not attrs["readOnly"]
            for ref in node.get("refs", {}).values():
                assert "/" in ref["apiObject"] and "fields" in ref
                nodes.append(ref)
            nodes += list(node.get("groups", {}).values())


def test_gl_account_model_matches_the_recorded_real_model(api):
    """The real GL account model (KBC 05) lists these 14 top-level fields, audit + requireDimensions groups and
    the refs closeToGLAccount and entity; lists is []."""
    m = model(api, "general-ledger/account")
    assert sorted(m["fields"]) == ["accountType", "alternativeGLAccount", "category", "closingType",
                                   "disallowDirectPosting", "href", "id", "isTaxable", "key", "mrcCode", "name",
                                   "normalBalance", "status", "taxCode"]
    assert set(m["groups"]) == {"audit", "requireDimensions"} and len(m["groups"]["requireDimensions"]["fields"]) == 16
    assert set(m["refs"]) == {"closeToGLAccount", "entity"} and m["lists"] == []
    audit = m["groups"]["audit"]
    assert set(audit["refs"]) == {"createdByUser", "modifiedByUser"}
    assert audit["refs"]["createdByUser"]["apiObject"] == "company-config/user"
    assert set(audit["refs"]["createdByUser"]["fields"]) == {"key", "id", "href"}
    assert audit["fields"]["modifiedDateTime"] == {**audit["fields"]["modifiedDateTime"], "format": "date-time",
                                                   "nullable": True, "readOnly": True}
    assert m["fields"]["accountType"]["enum"] == ["balanceSheet", "incomeStatement"]
    assert m["refs"]["entity"] == {"apiObject": "company-config/entity",
                                   "fields": {k: m["refs"]["entity"]["fields"][k] for k in ("href", "id", "key", "name")}}


def test_invoice_model_lists_groups_write_only(api):
    m = model(api, INVOICE)
    assert m["lists"] == {"lines": {"apiObject": "accounts-receivable/invoice-line"}}
    for name in ("action", "createAPBill"):  # write-only in Sage's schema, as in the recorded model
        assert m["fields"][name]["writeOnly"] is True
    cur = m["groups"]["currency"]
    assert set(cur["fields"]) == {"baseCurrency", "txnCurrency"}
    assert cur["groups"]["exchangeRate"]["fields"]["rate"]["type"] == "number"
    assert m["refs"]["term"]["apiObject"] == "accounts-receivable/term"
    line = model(api, "accounts-receivable/invoice-line")
    assert line["type"] == "ownedObject" and line["lists"] == {
        "taxEntries": {"apiObject": "accounts-receivable/invoice-tax-entry"}}
    assert "description" not in line["fields"] and line["fields"]["memo"]["type"] == "string"
    assert "entity" not in line["refs"] and line["fields"]["lineNumber"]["type"] == "number"


def test_models_follow_sage_names_and_types(api):
    je = model(api, JE)
    assert "journal" not in je["refs"] and je["refs"]["glJournal"]["apiObject"] == "general-ledger/journal"
    assert {"partiallyApproved", "reversalPending"} <= set(je["fields"]["state"]["enum"])
    assert je["lists"] == {"lines": {"apiObject": JEL}}
    jel = model(api, JEL)
    assert "entity" not in jel["refs"] and jel["fields"]["lineNumber"]["type"] == "integer"
    assert jel["fields"]["description"]["type"] == "string"
    assert set(jel["groups"]["dimensions"]["refs"]) == {"department", "location", "class", "project", "vendor",
                                                        "customer", "employee", "item"}
    assert jel["groups"]["currency"]["fields"]["exchangeRate"]["type"] == "number"
    vendor = model(api, "accounts-payable/vendor")
    assert "paymentTerm" not in vendor["refs"] and vendor["refs"]["term"]["apiObject"] == "accounts-payable/term"
    assert vendor["fields"]["creditLimit"]["type"] == "number" and "format" not in vendor["fields"]["creditLimit"]
    assert "activeNonPosting" in vendor["fields"]["status"]["enum"]
    bill_line = model(api, "accounts-payable/bill-line")
    assert bill_line["fields"]["lineNumber"]["type"] == "string" and "memo" in bill_line["fields"]
    assert set(bill_line["groups"]["audit"]["fields"]) == {"createdDateTime", "modifiedDateTime"}  # audit.s2
    entity = model(api, "company-config/entity")
    assert entity["refs"]["baseCurrency"]["apiObject"] == "company-config/txn-currency"
    assert entity["fields"]["businessDays"]["type"] == "array"
    term = model(api, "accounts-payable/term")
    assert "audit" in term["groups"] and term["groups"]["due"]["fields"]["days"]["type"] == "integer"
    ap_pay = model(api, "accounts-payable/payment")
    assert ap_pay["fields"]["paymentDate"]["writeOnly"] is True
    assert ap_pay["lists"]["details"] == {"apiObject": "accounts-payable/payment-detail"}
    ar_pay = model(api, "accounts-receivable/payment")
    assert ar_pay["lists"]["paymentDetails"] == {"apiObject": "accounts-receivable/payment-detail"}
    assert model(api, "projects/project")["refs"]["projectStatus"]["apiObject"] == "projects/project-status"


def test_write_only_and_array_fields_exist_exactly_where_the_schema_has_them(api, sandbox):
    for path in sandbox.readable_paths():
        if not schema_file(path).is_file():
            continue
        props = _schema_props(path)
        m = model(api, path)
        for name, attrs in m["fields"].items():
            if name.startswith("nsp::"):
                continue
            assert attrs["writeOnly"] == bool(props[name].get("writeOnly")), (path, name)
            assert (attrs["type"] == "array") == (props[name].get("type") == "array"), (path, name)
        for name in (m["lists"] or {}):
            assert props[name]["type"] == "array", (path, name)


def _refusal(resp, fields):
    assert resp.status_code == 400, resp.text
    err = resp.json()["ia::result"]["ia::error"]
    assert err["errorId"] == "REST-1106"
    assert err["additionalInfo"]["messageId"] == "IA.THE_FIELD_IN_OBJECT_CANNOT_BE_USED_IN_QUERY"
    assert [d["errorId"] for d in err["details"]] == ["REST-1106"] * len(fields)
    assert [d["additionalInfo"]["placeholders"]["FIELD"] for d in err["details"]] == fields
    return err


@pytest.mark.parametrize("obj, fields", [
    (INVOICE, ["action"]),  # write-only
    (INVOICE, ["action", "createAPBill"]),  # one detail per offending field
    ("company-config/entity", ["businessDays"]),  # array
    (JE, ["lines"]),  # owned list
    (JE, ["lines.txnAmount"]),  # nothing under a list either
    ("accounts-payable/payment", ["paymentDate"]),
    ("accounts-receivable/payment", ["paymentDetails", "overPaymentAmount"]),
])
def test_query_refuses_write_only_array_and_list_fields(api, obj, fields):
    err = _refusal(api.query({"object": obj, "fields": ["key", *fields]}), fields)
    assert err["message"] == f"The {fields[0]} field in {obj} object cannot be used in query in version 1"
    assert err["additionalInfo"]["placeholders"] == {"FIELD": fields[0], "OBJECT": obj, "VERSION": "1"}


def test_refusal_in_filters_and_order_and_unknown_fields_unchanged(api):
    _refusal(api.query({"object": INVOICE, "fields": ["key"], "filters": [{"$eq": {"action": "submit"}}]}), ["action"])
    _refusal(api.query({"object": INVOICE, "fields": ["key"], "orderBy": [{"createAPBill": "asc"}]}), ["createAPBill"])
    r = api.query({"object": INVOICE, "fields": ["state", "count:action"]})
    assert r.status_code == 400 and r.json()["ia::result"]["ia::error"]["details"][0]["errorId"] == "REST-1106"
    r = api.query({"object": INVOICE, "fields": ["key", "nope"]})
    err = r.json()["ia::result"]["ia::error"]
    assert r.status_code == 400 and err["errorId"] == "REST-1064" and err["details"][0]["errorId"] == "REST-1043"


def test_rows_hold_every_queryable_field_and_nothing_else(api, sandbox):
    for path in (INVOICE, "company-config/entity", "accounts-payable/payment", JE):
        m = model(api, path)
        row = sandbox.rows(path)[0]
        assert not {"action", "createAPBill", "businessDays", "weekendDays", "paymentDate", "lines"} & set(row)
        assert set(row) == set(sandbox.store.model_field_names(path))
        r = api.query({"object": path, "fields": list(row), "size": 1})
        assert r.status_code == 200 and list(r.json()["ia::result"][0]) == list(row)
        refused = {n for n, a in m["fields"].items() if a["writeOnly"] or a["type"] == "array"}
        assert refused | set(m["lists"] or {})  # each of these objects has something the query refuses


def test_full_records_embed_lists_and_omit_write_only(api, sandbox):
    inv = sorted(sandbox.keys(INVOICE), key=int)[0]
    rec = api.get(f"/objects/{INVOICE}/{inv}").json()["ia::result"]
    assert "action" not in rec and rec["lines"] and all(line["invoice"]["key"] == inv for line in rec["lines"])
    assert rec["id"] == rec["key"] == inv
    ent = api.get("/objects/company-config/entity/1").json()["ia::result"]
    assert ent["businessDays"] == ["monday", "tuesday", "wednesday", "thursday", "friday"]
    assert ent["baseCurrency"]["id"] == "USD" and ent["baseCurrency"]["href"].startswith("/objects/company-config/txn")
