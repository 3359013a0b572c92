"""Counts the API calls a run makes, per object and kind, because Intacct bills them.

Intacct grants each company a monthly allowance of API transactions (tier 1: 100k; overage is billed). A
run records here every HTTP request it sends (query pages, model calls, retries) and how long it waited on
throttling, so the Dagster layer can show the cost per object and warn before a budget is exceeded.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class ApiMeter:
    """Thread-safe call counter: `calls[(object_path, kind)]`, `retries[object_path]`, `wait_s` total."""

    calls: Counter = field(default_factory=Counter)
    retries: Counter = field(default_factory=Counter)
    wait_s: float = 0.0
    busy_s: float = 0.0  # summed duration of the HTTP exchanges themselves (send to last byte)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, object_path: str, kind: str, retry: bool = False) -> None:
        with self._lock:
            self.calls[(object_path, kind)] += 1
            if retry:
                self.retries[object_path] += 1

    def busy(self, seconds: float) -> None:
        with self._lock:
            self.busy_s += seconds

    def waited(self, seconds: float) -> None:
        with self._lock:
            self.wait_s += seconds

    def for_object(self, object_path: str) -> dict[str, int]:
        """`{"query": n, "model": n, "retries": n, "total": n}` for one object."""
        with self._lock:
            out = {kind: n for (path, kind), n in self.calls.items() if path == object_path}
            out["retries"] = self.retries.get(object_path, 0)
        out["total"] = sum(n for k, n in out.items() if k != "retries")
        return out

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.calls.values())

    def summary(self) -> str:
        """One line per object, most expensive first (for the run log)."""
        with self._lock:
            per: Counter = Counter()
            for (path, _kind), n in self.calls.items():
                per[path or "(other)"] += n
        lines = [f"{path}: {n} calls" + (f" ({self.retries[path]} retries)" if self.retries.get(path) else "")
                 for path, n in per.most_common()]
        return "; ".join(lines)
