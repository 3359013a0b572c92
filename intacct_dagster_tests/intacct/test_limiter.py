"""The request limiter: never more requests in flight than allowed, halves on 429, grows back, obeys the
gateway's throttle headers."""

from __future__ import annotations

import threading
import time

import pytest

from intacct_dagster.intacct.limiter import RequestLimiter


def test_in_flight_never_exceeds_the_limit():
    limiter = RequestLimiter(3)
    lock = threading.Lock()
    now = [0]
    seen = [0]

    def work():
        with limiter.slot():
            with lock:
                now[0] += 1
                seen[0] = max(seen[0], now[0])
            time.sleep(0.02)
            with lock:
                now[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen[0] == 3 and limiter.peak == 3 and limiter.in_flight == 0


def test_halves_on_429_and_grows_back_by_one():
    limiter = RequestLimiter(8)
    limiter.throttled()
    assert limiter.limit == 4 and limiter.shrinks == 1
    limiter.throttled()
    limiter.throttled()
    limiter.throttled()
    assert limiter.limit == 1  # never below one request
    limiter.succeeded({})
    assert limiter.limit == 2
    for _ in range(2):
        limiter.succeeded({})
    assert limiter.limit == 3


def test_follows_the_gateways_throttle_headers():
    limiter = RequestLimiter(8)
    limiter.succeeded({"X-IA-Throttle-Limit": "6", "X-IA-Throttle-Limit-Remaining": "5"})
    assert limiter.limit == 6  # never above what the gateway grants
    limiter.throttled()
    assert limiter.limit == 3
    for _ in range(20):
        limiter.succeeded({"X-IA-Throttle-Limit": "6", "X-IA-Throttle-Limit-Remaining": "0"})
    assert limiter.limit == 3  # no slot left at the gateway: do not grow
    for _ in range(20):
        limiter.succeeded({"X-IA-Throttle-Limit": "6", "X-IA-Throttle-Limit-Remaining": "2"})
    assert limiter.limit == 6


def test_rejects_a_nonsense_size():
    with pytest.raises(ValueError, match="max_concurrent_requests"):
        RequestLimiter(0)
