"""How many requests may be in flight at once: Intacct grants each company a few concurrent slots.

Tier 1 grants 6 concurrent requests per application and 8 per company; beyond them the gateway answers 429
`GW-0010`. The limiter starts at the configured `max_concurrent_requests`, halves on a 429 and grows back by
one after a run of successes (additive increase, multiplicative decrease), and never exceeds what the
gateway says it grants (`X-IA-Throttle-Limit`) or sends while it says none remain
(`X-IA-Throttle-Limit-Remaining: 0`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from contextlib import contextmanager
from typing import Any

logger = logging.getLogger("intacct_dagster.intacct")


class RequestLimiter:
    """A resizable semaphore shared by every thread of a run."""

    def __init__(self, max_slots: int = 4) -> None:
        if max_slots < 1:
            raise ValueError("max_concurrent_requests must be at least 1")
        self.max_slots = max_slots
        self.limit = max_slots
        self.in_flight = 0
        self.peak = 0
        self.shrinks = 0
        self._successes = 0
        self._cond = threading.Condition()

    def __repr__(self) -> str:
        return f"RequestLimiter(limit={self.limit}/{self.max_slots}, in_flight={self.in_flight})"

    @contextmanager
    def slot(self):
        with self._cond:
            while self.in_flight >= self.limit:
                self._cond.wait()
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            yield
        finally:
            with self._cond:
                self.in_flight -= 1
                self._cond.notify_all()

    def throttled(self) -> None:
        """A 429: halve the window (not below one request)."""
        with self._cond:
            new = max(1, self.limit // 2)
            if new < self.limit:
                logger.info("intacct: throttled by Intacct; concurrent requests %d -> %d", self.limit, new)
                self.shrinks += 1
            self.limit = new
            self._successes = 0

    def succeeded(self, headers: Mapping[str, Any] | None = None) -> None:
        """A success: follow the gateway's throttle headers, else grow by one after `limit` successes."""
        granted = _int(headers.get("X-IA-Throttle-Limit")) if headers is not None else None
        remaining = _int(headers.get("X-IA-Throttle-Limit-Remaining")) if headers is not None else None
        with self._cond:
            if granted is not None and granted >= 1 and self.limit > granted:
                self.limit = granted
            if remaining == 0:
                self._successes = 0
                return
            self._successes += 1
            ceiling = min(self.max_slots, granted) if granted else self.max_slots
            if self.limit < ceiling and self._successes >= self.limit:
                self.limit += 1
                self._successes = 0
                self._cond.notify_all()


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None
