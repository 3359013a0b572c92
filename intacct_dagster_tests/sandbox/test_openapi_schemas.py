"""What the sandbox accepts and serves validates against Sage's own OpenAPI (common-resources.json)."""

from __future__ import annotations

import pytest

MOD = "audit.modifiedDateTime"
QUERIES = [
    {"object": "accounts-payable/vendor", "fields": ["id", "name", "status", "href"],
     "filters": [{"$eq": {"status": "active"}}, {"$eq": {"billingType": "openItem"}}], "filterExpression": "1 and 2",
     "filterParameters": {"caseSensitiveComparison": True, "includePrivate": True}, "orderBy": [{"id": "asc"}]},
    {"object": "general-ledger/journal-entry-line",
     "fields": ["key", "journalEntry.key", "glAccount.id", "txnType", "txnAmount", "entryDate",
                "dimensions.department.id", MOD],
     "filters": [{"$gte": {MOD: "2025-05-01T00:00:00Z"}}, {"$eq": {"state": "posted"}},
                 {"$in": {"txnType": ["debit", "credit"]}}, {"$between": {"txnAmount": ["1", "999999"]}}],
     "filterExpression": "(1 and 2) or (3 and 4)",
     "filterParameters": {"includePrivate": True, "asOfDate": "2025-12-31"},
     "orderBy": [{MOD: "asc"}, {"key": "asc"}], "start": 1, "size": 2000},
    {"object": "accounts-receivable/customer", "fields": ["key", "nsp::CUSTOMER_SEGMENT", "count:key"],
     "filters": [{"$ne": {"nsp::CUSTOMER_SEGMENT": None}}]},
]


@pytest.mark.parametrize("body", QUERIES)
def test_query_request_and_response_validate(spec, api, body):
    spec.component("core-query").validate(body)
    r = api.query(body)
    assert r.status_code == 200, r.text
    spec.validator(spec.response("/services/core/query", "post")).validate(r.json())
    spec.component("metadata-pages").validate(r.json()["ia::meta"])


def test_model_responses_validate(spec, api, sandbox):
    object_branch = next(s for s in spec.raw["components"]["schemas"]["object-model"]["oneOf"] if s["title"] == "object")
    list_branch = next(s for s in spec.raw["components"]["schemas"]["object-model"]["oneOf"] if s["title"] == "resource")
    meta = spec.component("metadata")
    full = spec.validator(spec.response("/services/core/model", "get"))
    for path in sandbox.readable_paths():
        body = api.get("/services/core/model", params={"name": path}).json()
        model = body["ia::result"]
        # the live API sends "lists": [] when an object owns nothing (recorded from real models), although
        # Sage's object branch types lists as an object: check the rest of the model against that branch
        assert model["lists"] == [] or all(set(v) == {"apiObject"} for v in model["lists"].values())
        spec.validator(object_branch).validate({**model, "lists": model["lists"] or {}})
        meta.validate(body["ia::meta"])
        # Sage's oneOf is ambiguous for objects (two branches with no required keys): check it errs only on that
        errors = list(full.iter_errors(body))
        assert all("is valid under each of" in e.message for e in errors), [e.message for e in errors]
    listing = api.get("/services/core/model").json()
    spec.validator(list_branch).validate(listing["ia::result"])
    full.validate(listing)


def test_error_responses_validate(spec, api, sandbox):
    v = spec.component("error-response")
    bodies = [
        api.query({"object": "accounts-payable/vendor", "fields": ["newDate"]}).json(),
        api.query({"object": "accounts-payable/vendor", "fields": ["id"], "size": 5000}).json(),
        api.get("/objects/accounts-payable/vendor/999999").json(),
        api.get("/nope").json(),
        api.s.get(f"{sandbox.base_url}/objects/accounts-payable/vendor",
                  headers={"Authorization": "Bearer nope"}).json(),
    ]
    sandbox.inject_fault("throttle")
    bodies.append(api.query({"object": "accounts-payable/vendor", "fields": ["id"]}).json())
    for b in bodies:
        v.validate(b)
        err = b.get("ia::result", {}).get("ia::error") or b["ia::error"]
        assert err["code"] and err["message"]
    nested = bodies[0]["ia::result"]["ia::error"]
    assert nested["details"][0]["errorId"] == "REST-1043"


def test_list_and_get_responses_validate(spec, api):
    body = api.get("/objects/general-ledger/journal-entry").json()
    spec.component("metadata-pages").validate(body["ia::meta"])
    ref = spec.component("object-reference")
    for item in body["ia::result"]:
        ref.validate(item)
    got = api.get(f"/objects/general-ledger/journal-entry/{body['ia::result'][0]['key']}").json()
    spec.component("metadata").validate(got["ia::meta"])
    audit = spec.component("audit.s1")
    audit.validate(got["ia::result"]["audit"])
    for line in got["ia::result"]["lines"]:
        audit.validate(line["audit"])


def test_validators_are_not_vacuous(spec):
    import jsonschema

    with pytest.raises(jsonschema.ValidationError):
        spec.component("core-query").validate({"object": 1, "fields": "key"})
    with pytest.raises(jsonschema.ValidationError):
        spec.component("metadata-pages").validate({"totalCount": "3", "next": "x"})
    with pytest.raises(jsonschema.ValidationError):
        spec.component("error-response").validate({"ia::result": {"ia::error": {"code": 5}}})
    with pytest.raises(jsonschema.ValidationError):
        spec.validator(spec.response("/services/core/query", "post")).validate({"ia::result": [{"a": [1]}]})
    spec.component("metadata-pages").validate({"totalCount": 3, "next": None, "previous": None})
