"""The gateway's pace: simulated latency (overlapping across requests, never holding the data lock), the
per-company concurrency limit (429 GW-0010 with Intacct's throttle headers), statistics, and the ``reset_after``
fault (the server acts, then the answer is lost)."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from intacct_dagster.sandbox import Sandbox

from .helpers import Api, admin

VENDOR = "accounts-payable/vendor"
Q = {"object": VENDOR, "fields": ["key", "id"], "size": 5}


def _parallel(sb, n: int, body: dict = Q) -> tuple[list[requests.Response], list[float]]:
    """``n`` queries started together, each on its own connection; (responses, seconds each took)."""
    token = Api(sb).token
    barrier = threading.Barrier(n)
    out: list = [None] * n
    took = [0.0] * n

    def one(i: int) -> None:
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {token}"
        barrier.wait()
        t0 = time.perf_counter()
        out[i] = s.post(f"{sb.base_url}/services/core/query", json=body, timeout=30)
        took[i] = time.perf_counter() - t0

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out, took


# ------------------------------------------------------------------------------------------ latency
def test_latency_is_off_by_default(sandbox, api):
    t0 = time.perf_counter()
    assert api.query(Q).status_code == 200
    assert time.perf_counter() - t0 < 0.5
    assert sandbox.stats()["latency_total_s"] == 0 and sandbox.stats()["latency_calls"] == 0


def test_latency_fixed_and_per_row_part(sandbox_factory):
    sb = sandbox_factory(lines=300, latency_s=0.15, latency_per_row_s=0.002)
    t0 = time.perf_counter()
    api = Api(sb)
    assert time.perf_counter() - t0 < 0.1  # the token endpoint has no latency by default
    sb.reset_stats()
    t0 = time.perf_counter()
    r = api.query({"object": VENDOR, "fields": ["key"], "size": 20})
    took = time.perf_counter() - t0
    assert r.status_code == 200 and len(r.json()["ia::result"]) == 20
    assert took >= 0.15 + 20 * 0.002 - 0.01
    st = sb.stats()
    assert st["latency_calls"] == 1 and st["latency_total_s"] == pytest.approx(0.19, abs=1e-6)
    # model, list and get are delayed too (list: one row per reference; get: one per record)
    for path, rows in (("/services/core/model", 0), (f"/objects/{VENDOR}", 20), (f"/objects/{VENDOR}/1,2,3", 3)):
        t0 = time.perf_counter()
        params = {"name": VENDOR} if "model" in path else ({"size": 20} if path.endswith("vendor") else None)
        assert api.get(path, params=params).status_code == 200
        assert time.perf_counter() - t0 >= 0.15 + rows * 0.002 - 0.01, path
    assert sb.stats()["latency_total_s"] == pytest.approx(0.19 + 0.15 + 0.19 + 0.156, abs=1e-6)
    # errors of those calls take the fixed part too
    t0 = time.perf_counter()
    assert api.query({"object": VENDOR, "fields": ["nope"]}).status_code == 400
    assert time.perf_counter() - t0 >= 0.14
    # the token endpoint only when asked
    sb.options.latency_token = True
    t0 = time.perf_counter()
    Api(sb)
    assert time.perf_counter() - t0 >= 0.14
    assert sb.stats()["requests_by_kind"]["token"] == 1


def test_latency_overlaps_and_does_not_hold_the_data_lock(sandbox_factory):
    sb = sandbox_factory(lines=300, latency_s=0.6)
    rs, took = _parallel(sb, 6)
    assert all(r.status_code == 200 for r in rs)
    assert all(t >= 0.59 for t in took)
    assert max(took) < 1.5  # six 0.6 s calls overlapped (serially they take 3.6 s)
    st = sb.stats()
    assert st["peak_in_flight"][sb.company_id] >= 4 and st["latency_calls"] == 6
    assert st["latency_total_s"] == pytest.approx(3.6, abs=1e-6)
    # while a request sleeps, data can change (the sleep holds no lock): with a 3 s sleep, an edit and a read
    # that waited for it would take over 2.5 s; unblocked they take milliseconds (1 s leaves room for a busy CI)
    sb.options.latency_s = 3.0
    api = Api(sb)
    done = threading.Event()
    th = threading.Thread(target=lambda: (api.query(Q), done.set()))
    th.start()
    time.sleep(0.3)
    t0 = time.perf_counter()
    sb.modify(VENDOR, 2)
    sb.rows(VENDOR)
    assert time.perf_counter() - t0 < 1.0 and not done.is_set()
    th.join()


def test_latency_is_switchable_at_runtime_and_over_admin(sandbox, api):
    sandbox.options.latency_s = 0.2
    t0 = time.perf_counter()
    api.query(Q)
    assert time.perf_counter() - t0 >= 0.19
    r = admin(sandbox, "options", latency_s="0", latency_per_row_s=0.0, concurrency_limit="8")
    assert r.status_code == 200, r.text
    assert r.json()["result"]["latency_s"] == 0.0 and r.json()["result"]["concurrency_limit"] == 8
    t0 = time.perf_counter()
    assert api.query(Q).headers["X-IA-Throttle-Limit"] == "8"
    assert time.perf_counter() - t0 < 0.15
    for bad in ({"latency_s": -1}, {"concurrency_limit": 0}, {"latency_s": "soon"}, {"nope": 1}):
        assert admin(sandbox, "options", **bad).status_code == 400, bad
    with pytest.raises(ValueError):
        sandbox.options.concurrency_limit = 0
    with pytest.raises(ValueError):
        Sandbox(lines=10, latency_s=-0.1)


# ------------------------------------------------------------------------------------------ concurrency limit
def test_concurrency_limit_answers_429_at_once_with_the_gateway_headers(sandbox_factory, spec):
    sb = sandbox_factory(lines=300, concurrency_limit=2, latency_s=0.8)
    rs, took = _parallel(sb, 5)
    ok = [i for i, r in enumerate(rs) if r.status_code == 200]
    refused = [i for i, r in enumerate(rs) if r.status_code == 429]
    assert len(ok) == 2 and len(refused) == 3
    for i in refused:
        r = rs[i]
        assert took[i] < 0.5  # answered at once, not after the latency
        err = r.json()["ia::error"]
        assert err["code"] == "GW-0010" and err["message"] == "API rate limit exceeded"
        assert set(err["details"]) == {"requestId"} and err["details"]["requestId"]
        spec.component("error-response").validate(r.json())
        assert r.headers["X-IA-Throttle-Limit"] == "2"
        assert r.headers["X-IA-Throttle-Limit-Remaining"] == "0"
        assert r.headers["X-IA-Throttle-Limit-RetryAfter"] == "1" and r.headers["Retry-After"] == "1"
    for i in ok:
        assert rs[i].headers["X-IA-Throttle-Limit"] == "2"
        assert rs[i].headers["X-IA-Throttle-Limit-Remaining"] in ("0", "1")
        assert "Retry-After" not in rs[i].headers
    st = sb.stats()
    assert st["peak_in_flight"] == {sb.company_id: 2}
    assert st["rejected_by_limit"] == 3 and st["throttled"] == 3 and st["in_flight"] == {}
    assert st["requests_by_kind"]["query"] == 5
    # slots come back: the next request passes, and says how many remain
    sb.options.latency_s = 0.0
    r = Api(sb).query(Q)
    assert r.status_code == 200 and r.headers["X-IA-Throttle-Limit-Remaining"] == "1"


def test_every_answer_carries_the_throttle_headers(sandbox_factory):
    sb = sandbox_factory(lines=200, concurrency_limit=8, company_id="ACME")
    api = Api(sb)
    answers = [api.query(Q), api.query({"object": VENDOR, "fields": ["nope"]}), api.get(f"/objects/{VENDOR}"),
               api.get(f"/objects/{VENDOR}/1"), api.get(f"/objects/{VENDOR}/999999"),
               api.get("/services/core/model", params={"name": VENDOR}), api.get("/services/core/model"),
               api.get("/nope/here"), api.s.patch(f"{sb.base_url}/objects/{VENDOR}/1", json={}, timeout=10)]
    for r in answers:
        assert r.headers["X-IA-Throttle-Limit"] == "8", r.url
        assert r.headers["X-IA-Throttle-Limit-Remaining"] == "7", r.url  # this request was in flight
    assert {r.status_code for r in answers} == {200, 400, 404, 405}
    sb.inject_fault("throttle", retry_after=3)
    r = api.query(Q)
    assert r.status_code == 429 and r.headers["Retry-After"] == "3"
    assert r.headers["X-IA-Throttle-Limit"] == "8" and r.headers["X-IA-Throttle-Limit-Remaining"] == "0"
    st = sb.stats()
    assert st["throttled"] == 1 and st["rejected_by_limit"] == 0
    assert st["peak_in_flight"] == {"ACME": 1}  # counted per company: the token's cnyId
    # requests the gateway cannot attribute (no valid token) and the token endpoint are not counted
    bad = requests.get(f"{sb.base_url}/objects/{VENDOR}", headers={"Authorization": "Bearer x"}, timeout=10)
    assert bad.status_code == 401 and "X-IA-Throttle-Limit" not in bad.headers
    tok = requests.post(sb.token_url, data={"grant_type": "client_credentials", "client_id": sb.client_id,
                                            "client_secret": sb.client_secret, "username": sb.username}, timeout=10)
    assert tok.status_code == 200 and "X-IA-Throttle-Limit" not in tok.headers


def test_unlimited_by_default_without_throttle_headers(sandbox, api):
    r = api.query(Q)
    assert "X-IA-Throttle-Limit" not in r.headers and sandbox.options.concurrency_limit is None
    assert sandbox.stats()["peak_in_flight"] == {sandbox.company_id: 1}


def test_limit_of_one_serialises_a_company(sandbox_factory):
    sb = sandbox_factory(lines=200, concurrency_limit=1, latency_s=0.4)
    rs, _ = _parallel(sb, 3)
    assert sorted(r.status_code for r in rs) == [200, 429, 429]
    assert sb.stats()["peak_in_flight"][sb.company_id] == 1


# ------------------------------------------------------------------------------------------ stats
def test_stats_counts_requests_by_kind_and_resets(sandbox, api):
    api.query(Q)
    api.query(Q)
    api.get("/services/core/model", params={"name": VENDOR})
    api.get(f"/objects/{VENDOR}")
    api.get(f"/objects/{VENDOR}/1")
    api.get("/nope")
    st = sandbox.stats()
    assert st["requests_by_kind"] == {"token": 1, "query": 2, "model": 1, "list": 1, "get": 1, "other": 1}
    assert st["requests"] == 7 == sandbox.request_count()
    assert sandbox.request_count("object=accounts-payable/vendor") == 2
    assert set(st) >= {"requests", "requests_by_kind", "in_flight", "peak_in_flight", "throttled",
                       "rejected_by_limit", "latency_total_s", "latency_calls", "concurrency_limit",
                       "fast_hits", "slow_hits", "prefetch_hits", "build_seconds"}
    over_http = admin(sandbox, "stats").json()["result"]
    assert over_http["requests_by_kind"] == st["requests_by_kind"] and over_http["peak_in_flight"] == {"SANDBOX": 1}
    assert admin(sandbox, "reset_stats").status_code == 200
    st = sandbox.stats()
    assert st["requests"] == 0 and st["requests_by_kind"] == {} and st["peak_in_flight"] == {}
    assert sandbox.request_count() == 0


# ------------------------------------------------------------------------------------------ reset_after
def _refresh(sb, rt: str) -> requests.Response:
    return requests.post(sb.token_url, data={"grant_type": "refresh_token", "refresh_token": rt,
                                             "client_id": sb.client_id, "client_secret": sb.client_secret},
                         timeout=10)


def test_reset_after_rotates_the_refresh_token_then_drops_the_answer(sandbox):
    rt = sandbox.issue_refresh_token()
    sandbox.inject_fault("reset_after", path_contains="oauth2/token")
    with pytest.raises(requests.ConnectionError):
        _refresh(sandbox, rt)
    # the server acted: the old refresh token is spent, although the client never saw the new one
    again = _refresh(sandbox, rt)
    assert again.status_code == 401 and again.json()["ia::error"]["code"] == "tokenInvalid"
    assert sandbox.stats()["requests_by_kind"]["token"] == 2
    fresh = sandbox.issue_refresh_token()
    ok = _refresh(sandbox, fresh)
    assert ok.status_code == 200 and ok.json()["refresh_token"] != fresh


def test_reset_after_on_a_query_runs_it_then_resets(sandbox, api):
    sandbox.inject_fault("reset_after", path_contains="object=accounts-payable/vendor")
    with pytest.raises(requests.ConnectionError):
        api.query(Q)
    assert sandbox.request_count("object=accounts-payable/vendor") == 1
    assert sandbox.stats()["fast_hits"] + sandbox.stats()["slow_hits"] >= 1  # the query ran
    api.s.close()
    assert api.query(Q).status_code == 200
    with pytest.raises(ValueError):
        sandbox.inject_fault("reset_before")
