"""Fault injection: each kind, counting down, ``after``, ``path_contains`` and clearing."""

from __future__ import annotations

import time

import pytest
import requests

VENDOR = "accounts-payable/vendor"
JEL = "general-ledger/journal-entry-line"
Q = {"object": VENDOR, "fields": ["key"]}


def test_throttle(sandbox, api):
    sandbox.inject_fault("throttle", times=2, retry_after=3)
    for _ in range(2):
        r = api.query(Q)
        assert r.status_code == 429
        assert r.json()["ia::error"]["code"] == "GW-0010"
        assert r.json()["ia::error"]["message"] == "API rate limit exceeded"
        assert r.json()["ia::error"]["details"]["requestId"]
        assert r.headers["Retry-After"] == "3" and r.headers["X-IA-Throttle-Limit-RetryAfter"] == "3"
        assert r.headers["X-IA-Throttle-Limit-Remaining"] == "0" and "X-IA-Throttle-Limit" in r.headers
    assert api.query(Q).status_code == 200


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_error(sandbox, api, status):
    sandbox.inject_fault("server_error", status=status)
    r = api.query(Q)
    assert r.status_code == status and r.json()
    assert api.query(Q).status_code == 200


def test_token_faults(sandbox, api):
    sandbox.inject_fault("token_invalid")
    r = api.query(Q)
    assert r.status_code == 401 and r.json()["ia::error"]["errorId"] == "REST-2102"
    sandbox.inject_fault("token_invalid_400")
    r = api.query(Q)
    assert r.status_code == 400 and "token is not valid" in r.text.lower()
    sandbox.inject_fault("gw_invalid_token")
    r = api.query(Q)
    assert r.status_code == 401 and r.json()["ia::error"]["code"] == "GW-0031"
    assert api.query(Q).status_code == 200


def test_reset(sandbox, api):
    sandbox.inject_fault("reset")
    with pytest.raises(requests.ConnectionError):
        api.query(Q)
    assert api.query(Q).status_code == 200


def test_truncated(sandbox, api):
    sandbox.inject_fault("truncated")
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.ConnectionError, ValueError)):
        r = api.query({"object": JEL, "fields": ["key", "description"], "size": 500})
        r.json()
    assert api.query(Q).status_code == 200


def test_slow(sandbox, api):
    sandbox.inject_fault("slow", delay_s=0.4)
    t = time.perf_counter()
    assert api.query(Q).status_code == 200
    assert time.perf_counter() - t >= 0.4


def test_after_and_path_contains(sandbox, api):
    sandbox.inject_fault("server_error", path_contains="journal-entry-line", after=1, status=503)
    assert api.query(Q).status_code == 200  # other object: not matched
    assert api.query({"object": JEL, "fields": ["key"]}).status_code == 200  # first match passes (after=1)
    assert api.query({"object": JEL, "fields": ["key"]}).status_code == 503
    assert api.query({"object": JEL, "fields": ["key"]}).status_code == 200


def test_default_faults_spare_the_token_endpoint_and_clear(sandbox, api):
    sandbox.inject_fault("throttle", times=5)
    r = requests.post(sandbox.token_url, timeout=10, data={
        "grant_type": "client_credentials", "client_id": sandbox.client_id, "client_secret": sandbox.client_secret,
        "username": sandbox.username})
    assert r.status_code == 200
    sandbox.clear_faults()
    assert api.query(Q).status_code == 200
    sandbox.inject_fault("throttle", path_contains="oauth2/token")
    r = requests.post(sandbox.token_url, timeout=10, data={})
    assert r.status_code == 429
    with pytest.raises(ValueError):
        sandbox.inject_fault("nope")


def test_edit_during_scan(sandbox, api):
    mod = "audit.modifiedDateTime"
    before = {r["key"]: r[mod] for r in sandbox.rows(JEL, include_private=True)}
    sandbox.advance_clock(10)
    sandbox.inject_fault("edit_during_scan", path_contains=JEL, n=4)
    r = api.query({"object": JEL, "fields": ["key", mod], "orderBy": [{mod: "asc"}, {"key": "asc"}],
                   "filterParameters": {"includePrivate": True}, "size": 4000})
    assert r.status_code == 200
    served = {x["key"]: x[mod] for x in r.json()["ia::result"]}
    changed = [k for k, v in served.items() if v != before[k]]
    assert len(changed) == 4  # the page already reflects the edits made just before serving it


def test_faults_are_thread_safe(sandbox, api):
    from concurrent.futures import ThreadPoolExecutor

    from .helpers import Api

    sandbox.inject_fault("throttle", times=10)
    apis = [Api(sandbox) for _ in range(4)]
    with ThreadPoolExecutor(4) as ex:
        codes = list(ex.map(lambda i: apis[i % 4].query(Q).status_code, range(40)))
    assert codes.count(429) == 10 and codes.count(200) == 30
