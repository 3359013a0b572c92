"""Fault injection: queued, thread-safe, counting-down failures that the HTTP layer applies to requests.

A fault matches a request when ``path_contains`` is a substring of the request descriptor
(``"<METHOD> <path>"`` plus ``" object=<app>/<object>"`` for query requests) -- so ``path_contains="vendor"``
hits both ``GET /objects/accounts-payable/vendor`` and a query of the vendor object. Faults without
``path_contains`` match every API request except the token endpoint (so a client can still get the token
it needs to observe the fault); to fault the token endpoint name it: ``path_contains="oauth2/token"``.

Kinds: ``throttle`` (429 ``GW-0010``, ``retry_after`` seconds), ``server_error`` (``status`` 500/502/503),
``token_invalid`` (401 ``tokenInvalid``), ``token_invalid_400`` (400 "Invalid token"), ``gw_invalid_token`` (401
``GW-0031``), ``reset`` (connection reset before the request is processed), ``reset_after`` (the request IS
processed -- a refresh token rotates, a query runs -- then the connection is reset without an answer: the
client's "answer lost after the server acted" case), ``slow`` (``delay_s`` before processing), ``truncated``
(half the body, then the connection closes), ``edit_during_scan`` (``n`` records of the queried object change
just before the page is read).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

KINDS = {"throttle", "server_error", "token_invalid", "token_invalid_400", "gw_invalid_token", "reset", "slow",
         "truncated", "edit_during_scan", "reset_after"}


@dataclass
class Fault:
    kind: str
    times: int = 1
    path_contains: str | None = None
    after: int = 0
    params: dict = field(default_factory=dict)

    def matches(self, descriptor: str) -> bool:
        if self.path_contains is None:
            return "/oauth2/" not in descriptor
        return self.path_contains in descriptor


class FaultInjector:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, kind: str, times: int = 1, path_contains: str | None = None, after: int = 0, **params) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(KINDS)}")
        if times < 1 or after < 0:
            raise ValueError("times must be >= 1 and after >= 0")
        if kind == "server_error" and params.get("status", 500) not in (500, 502, 503):
            raise ValueError("server_error status must be 500, 502 or 503")
        with self._lock:
            self._faults.append(Fault(kind, times, path_contains, after, params))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> int:
        with self._lock:
            return sum(f.times for f in self._faults)

    def take(self, descriptor: str) -> Fault | None:
        """The fault to apply to this request (consuming one use), or None. First matching fault wins."""
        with self._lock:
            for f in self._faults:
                if not f.matches(descriptor):
                    continue
                if f.after > 0:
                    f.after -= 1
                    continue
                f.times -= 1
                if f.times <= 0:
                    self._faults.remove(f)
                return f
        return None
