"""Python control API and its admin HTTP twin: modify/create/delete, clock, request counts."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal

import requests

JEL = "general-ledger/journal-entry-line"
JE = "general-ledger/journal-entry"
VENDOR = "accounts-payable/vendor"
MOD = "audit.modifiedDateTime"


def _by_key(rows):
    return {r["key"]: r for r in rows}


def _balanced(sb) -> bool:
    """Every entry balances in base currency (entries mixing two txn currencies balance only there)."""
    t: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for r in sb.rows(JEL, include_private=True):
        t[r["journalEntry.key"]][r["txnType"] == "credit"] += Decimal(r["baseAmount"])
    return all(d == c for d, c in t.values()) and set(t) == sb.keys(JE, include_private=True)


def test_modify_bumps_modified_and_is_seen_by_incremental_query(sandbox, api):
    before = _by_key(sandbox.rows(VENDOR, include_private=True))
    # prime the query indexes, then modify: incremental index maintenance must keep results right
    api.all_rows({"object": VENDOR, "fields": ["key"], "orderBy": [{MOD: "asc"}, {"key": "asc"}]})
    sandbox.advance_clock(5)
    keys = sandbox.modify(VENDOR, 3)
    assert len(keys) == 3
    after = _by_key(sandbox.rows(VENDOR, include_private=True))
    now = sandbox.now()
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    for k in keys:
        assert before[k][MOD] is None or after[k][MOD] > before[k][MOD]
        assert after[k]["notes"] != before[k]["notes"] and after[k]["audit.modifiedByUser.id"] == "ws_user"
        if before[k][MOD] is None or before[k][MOD] <= stamp:  # a future stamp is never moved back
            assert abs(dt.datetime.fromisoformat(after[k][MOD].replace("Z", "+00:00")) - now).total_seconds() < 3
    cutoff = max(r[MOD] for r in before.values() if r[MOD] is not None and r[MOD] <= stamp)
    got = api.all_rows({"object": VENDOR, "fields": ["key", MOD], "filters": [{"$gt": {MOD: cutoff}}],
                        "orderBy": [{MOD: "asc"}, {"key": "asc"}], "filterParameters": {"includePrivate": True}})
    future = {k for k, r in before.items() if r[MOD] is not None and r[MOD] > stamp}
    assert future, "the default data has vendors stamped in the future"
    assert {r["key"] for r in got} == set(keys) | future


def test_modify_lines_keeps_balance(sandbox):
    keys = sandbox.modify(JEL, 10)
    assert len(set(keys)) == 10 and _balanced(sandbox)


def test_create_and_delete(sandbox, api):
    n0 = len(sandbox.keys(VENDOR, include_private=True))
    new = sandbox.create(VENDOR, 2)
    assert len(new) == 2 and sandbox.keys(VENDOR, include_private=True) >= set(new) and len(sandbox.keys(VENDOR, include_private=True)) == n0 + 2
    assert all(int(k) > n0 for k in new)
    rows = api.all_rows({"object": VENDOR, "fields": ["key"], "filterParameters": {"includePrivate": True}})
    assert set(new) <= {r["key"] for r in rows}
    gone = sandbox.delete(VENDOR, 1)
    assert not set(gone) & sandbox.keys(VENDOR, include_private=True)
    assert api.get(f"/objects/{VENDOR}/{gone[0]}").status_code == 404


def test_create_and_delete_journal_entries_keep_ledger_balanced(sandbox, api):
    api.all_rows({"object": JEL, "fields": ["key"], "orderBy": [{MOD: "asc"}, {"key": "asc"}],
                  "filterParameters": {"includePrivate": True}})
    lines = sandbox.create(JEL, 5)
    assert len(lines) >= 5 and _balanced(sandbox)
    entries = sandbox.create(JE, 2)
    assert len(entries) == 2 and _balanced(sandbox)
    deleted_lines = sandbox.delete(JEL, 3)
    assert len(deleted_lines) >= 3 and not set(deleted_lines) & sandbox.keys(JEL, include_private=True) and _balanced(sandbox)
    deleted_entries = sandbox.delete(JE, 2)
    assert not set(deleted_entries) & sandbox.keys(JE, include_private=True) and _balanced(sandbox)
    got = api.all_rows({"object": JEL, "fields": ["key"], "orderBy": [{MOD: "asc"}, {"key": "asc"}],
                        "filterParameters": {"includePrivate": True}})
    assert [r["key"] for r in got] and {r["key"] for r in got} == sandbox.keys(JEL, include_private=True)


def test_clock(sandbox):
    t0 = sandbox.now()
    sandbox.advance_clock(3600)
    assert 3599 < (sandbox.now() - t0).total_seconds() < 3700
    assert sandbox.now().tzinfo is not None


def test_request_count(sandbox, api):
    sandbox.reset_request_count()
    api.rows({"object": VENDOR, "fields": ["key"]})
    api.get(f"/objects/{VENDOR}")
    api.rows({"object": JE, "fields": ["key"]})
    assert sandbox.request_count() == 3
    assert sandbox.request_count("vendor") == 2
    assert sandbox.request_count("services/core/query") == 2


def test_admin_endpoints(sandbox, api):
    base = sandbox.base_url.replace("/ia/api/v1", "")
    hdr = {"X-Sandbox-Admin": sandbox.admin_token}
    assert requests.get(f"{base}/__sandbox__/object_paths", timeout=10).status_code == 403
    r = requests.get(f"{base}/__sandbox__/object_paths", headers={"Authorization": f"Bearer {api.token}"},
                     timeout=10)
    assert r.status_code == 403
    assert requests.get(f"{base}/__sandbox__/object_paths", headers=hdr, timeout=10).json()["result"] == \
        sandbox.object_paths()
    keys = requests.post(f"{base}/__sandbox__/modify", json={"path": VENDOR, "n": 2}, headers=hdr, timeout=10)
    assert len(keys.json()["result"]) == 2
    r = requests.post(f"{sandbox.base_url}/__sandbox__/inject_fault", json={"kind": "throttle", "retry_after": 2},
                      headers=hdr, timeout=10)
    assert r.status_code == 200
    assert api.get(f"/objects/{VENDOR}").status_code == 429
    rows = requests.get(f"{base}/__sandbox__/rows", params={"path": VENDOR}, headers=hdr, timeout=10).json()
    assert rows["result"] == sandbox.rows(VENDOR)
    assert requests.post(f"{base}/__sandbox__/expire_tokens", headers=hdr, timeout=10).ok
    assert api.get(f"/objects/{VENDOR}").status_code == 401
    assert requests.post(f"{base}/__sandbox__/nope", headers=hdr, timeout=10).status_code == 404


def test_cli_prints_url_and_serves():
    proc = subprocess.Popen([sys.executable, "-m", "intacct_dagster.sandbox", "--port", "0", "--lines", "300"],
                            stdout=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        url = first.split()[2]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/ia/api/v1")
        out = [proc.stdout.readline() for _ in range(5)]
        assert any("sandbox-client-secret" in line for line in out)
        r = requests.post(f"{url}/oauth2/token", timeout=10,
                          data={"grant_type": "client_credentials", "client_id": "sandbox-client-id",
                                "client_secret": "sandbox-client-secret", "username": "ws_user@SANDBOX"})
        assert r.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
