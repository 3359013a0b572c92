"""``Sandbox``: the public Python API -- build data, run the server, inspect and mutate data, inject faults.

This is the contract of docs/architecture.md section 1. All data mutations and query evaluation take one
lock, so tests can modify data while a client is paging (and ``edit_during_scan`` does exactly that).
The sandbox clock is real UTC time plus an offset (``advance_clock``); token expiry uses the same clock.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import threading
import time
from collections import Counter

from .data_generator import Generator, utc_midnight_today
from .faults import FaultInjector
from .object_defs import OBJECTS_BY_PATH, SERVED_PATHS
from .query_engine import MOD, QueryEngine, Scope
from .server import PREFIX, SandboxHTTPServer
from .store import Store
from .tokens import CLIENT_ID, CLIENT_SECRET, USERNAME, TokenService

_DOC_LINES = {"accounts-payable/bill": "accounts-payable/bill-line",
              "accounts-receivable/invoice": "accounts-receivable/invoice-line",
              "general-ledger/journal-entry": "general-ledger/journal-entry-line"}


class Sandbox:
    """A local Sage Intacct REST API (``/ia/api/v1``) backed by generated data."""

    client_id = CLIENT_ID
    client_secret = CLIENT_SECRET
    username = USERNAME

    def __init__(self, lines: int = 2_000, seed: int = 7, token_lifetime_s: int = 43_200,
                 host: str = "127.0.0.1", port: int = 0):
        if lines < 2:
            raise ValueError("lines must be >= 2")
        self.lines, self.seed, self.host, self.port = lines, seed, host, port
        self._offset = 0.0
        self._lock = threading.RLock()
        self._count_lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._page_cache: dict = {}  # last few serialized query pages (retries of the same page are free)
        self.admin_token = os.urandom(16).hex()
        t0 = time.perf_counter()
        self.store = Store()
        self._gen = Generator(self.store, seed, utc_midnight_today())
        self._gen.build(lines)
        self._gen.rng = random.Random(seed + 1)  # mutations: deterministic given the call sequence
        self.build_seconds = time.perf_counter() - t0
        self.engine = QueryEngine(self.store, self._lock)
        ents = self.store.table("company-config/entity")
        self._entity_rows = {ents.cols["id"][r]: r for r in range(ents.n)}
        self.tokens = TokenService(self._now_epoch, token_lifetime_s, set(self._entity_rows))
        self.faults = FaultInjector()
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url: str | None = None

    # ------------------------------------------------------------------------------------------ lifecycle
    def start(self) -> str:
        if self._server is None:
            self._server = SandboxHTTPServer((self.host, self.port), self)
            port = self._server.server_address[1]
            self.base_url = f"http://{self.host}:{port}{PREFIX}"
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                            name=f"intacct-sandbox-{port}", daemon=True)
            self._thread.start()
        return self.base_url  # type: ignore[return-value]

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
            if self._thread is not None:
                self._thread.join(timeout=5)
        self.engine.close()

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/oauth2/token"

    # ------------------------------------------------------------------------------------------ clock & tokens
    def _now_epoch(self) -> float:
        return time.time() + self._offset

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self._now_epoch(), dt.timezone.utc)

    def _today_ordinal(self) -> int:
        return self.now().date().toordinal()

    def advance_clock(self, seconds: float) -> None:
        self._offset += float(seconds)

    def expire_tokens(self) -> None:
        self.tokens.expire_all()

    def issue_refresh_token(self, entity_id: str | None = None) -> str:
        return self.tokens.issue_refresh_token(entity_id)

    def issue_auth_code(self, entity_id: str | None = None) -> str:
        return self.tokens.issue_auth_code(entity_id)

    # ------------------------------------------------------------------------------------------ faults
    def inject_fault(self, kind: str, times: int = 1, path_contains: str | None = None, after: int = 0,
                     **params) -> None:
        self.faults.add(kind, times=times, path_contains=path_contains, after=after, **params)

    def clear_faults(self) -> None:
        self.faults.clear()

    # ------------------------------------------------------------------------------------------ inspection
    def object_paths(self) -> list[str]:
        return list(SERVED_PATHS)

    def _entity_row(self, entity_id: str) -> int | None:
        return self._entity_rows.get(entity_id)

    def _scope(self, entity_id: str | None, include_private: bool) -> Scope:
        if entity_id is None:
            return Scope(None, include_private)
        row = self._entity_row(entity_id)
        if row is None:
            raise ValueError(f"unknown entity {entity_id!r}; known: {sorted(self._entity_rows)}")
        return Scope(row, False)

    def rows(self, path: str, entity_id: str | None = None, include_private: bool = False) -> list[dict]:
        self._check_path(path)
        with self._lock:
            vis = list(self.engine.indexes.visible_rows(path, self._scope(entity_id, include_private)))
            return self.store.flat_rows(path, vis, self.store.model_field_names(path))

    def keys(self, path: str, entity_id: str | None = None, include_private: bool = False) -> set[str]:
        """Keys of the records ``rows()`` would return (same scoping arguments)."""
        self._check_path(path)
        with self._lock:
            vis = self.engine.indexes.visible_rows(path, self._scope(entity_id, include_private))
            return {str(r + 1) for r in vis}

    def _count_request(self, descriptor: str) -> None:
        with self._count_lock:
            self._requests[descriptor] += 1

    def request_count(self, path_contains: str | None = None) -> int:
        with self._count_lock:
            return sum(n for d, n in self._requests.items() if path_contains is None or path_contains in d)

    def reset_request_count(self) -> None:
        with self._count_lock:
            self._requests.clear()

    @staticmethod
    def _check_path(path: str) -> None:
        if path not in OBJECTS_BY_PATH or OBJECTS_BY_PATH[path].hidden:
            raise KeyError(f"unknown object path {path!r}")

    # ------------------------------------------------------------------------------------------ mutation
    def _pick_rows(self, path: str, n: int) -> list[int]:
        rng = self._gen.rng
        alive = self.engine.indexes.visible_rows(path, Scope(None, True))
        n = min(n, len(alive))
        return sorted(alive[i] for i in rng.sample(range(len(alive)), n))

    def modify(self, path: str, n: int = 1) -> list[str]:
        """Change a value of ``n`` records and bump their ``audit.modifiedDateTime`` to now. Returns keys."""
        self._check_path(path)
        with self._lock:
            t = self.store.table(path)
            now = int(self._now_epoch())
            rows = self._pick_rows(path, n)
            changes = []
            before = t.version
            field = t.odef.mutate_field
            col = t.cols[field]
            for r in rows:
                old_mod = t.cols[MOD][r] if t.odef.has_audit else None
                self._gen.rng.random()
                col[r] = f"Revised {now} #{t.version + 1}"
                if t.odef.has_audit:
                    t.cols[MOD][r] = max(now, old_mod)
                    t.cols["audit.modifiedBy"][r] = "ws_user"
                t.version += 1
                changes.append((r, old_mod, False, False))
            self.engine.indexes.apply(path, before, changes)
            return [str(r + 1) for r in rows]

    def create(self, path: str, n: int = 1) -> list[str]:
        """Create ``n`` records (journal-entry lines come as whole balanced entries). Returns new keys."""
        self._check_path(path)
        with self._lock:
            now = int(self._now_epoch())
            before = {p: (t.n, t.version) for p, t in self.store.tables.items()}
            if path == "general-ledger/journal-entry-line":
                self._gen.create_entries(max(2, n), bulk=False, now=now)
            elif path in ("accounts-payable/bill-line", "accounts-receivable/invoice-line"):
                t = self.store.table(path)
                while t.n - before[path][0] < n:
                    self._gen.create_row(path, now=now)
            else:
                for _ in range(n):
                    self._gen.create_row(path, now=now)
            for p, t in self.store.tables.items():
                n0, v0 = before[p]
                if t.n > n0:
                    self.engine.indexes.apply(p, v0, [(r, None, True, False) for r in range(n0, t.n)])
            n0 = before[path][0]
            return [str(r + 1) for r in range(n0, self.store.table(path).n)]

    def delete(self, path: str, n: int = 1) -> list[str]:
        """Delete ``n`` records. Entries/bills/invoices take their lines along; deleting journal-entry lines
        deletes their whole entries (so the ledger stays balanced). Returns deleted keys of ``path``."""
        self._check_path(path)
        with self._lock:
            rows = self._pick_rows(path, n)
            doomed: dict[str, set[int]] = {path: set(rows)}
            if path == "general-ledger/journal-entry-line":
                entries = {self.store.table(path).cols["journalEntry"][r] for r in rows}
                doomed = {"general-ledger/journal-entry": entries}
                path_parent = "general-ledger/journal-entry"
                doomed[path] = self._children(path_parent, entries)
            elif path in _DOC_LINES:
                doomed[_DOC_LINES[path]] = self._children(path, set(rows))
            for p, rs in doomed.items():
                t = self.store.table(p)
                before = t.version
                changes = []
                for r in sorted(rs):
                    if not t.alive[r]:
                        continue
                    t.alive[r] = 0
                    t.version += 1
                    changes.append((r, t.cols[MOD][r] if t.odef.has_audit else None, False, True))
                self.engine.indexes.apply(p, before, changes)
            return [str(r + 1) for r in sorted(doomed[path])]

    def _children(self, parent_path: str, parents: set[int]) -> set[int]:
        child_path = _DOC_LINES[parent_path]
        idx = self.store.child_index(child_path)
        alive = self.store.table(child_path).alive
        return {c for p in parents for c in idx.get(p, ()) if alive[c]}

    # ------------------------------------------------------------------------------------------ admin HTTP
    def _admin_call(self, action: str, args: dict):
        def _int(name, default=None):
            v = args.get(name, default)
            return int(v) if v is not None else None

        if action == "now":
            return self.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        if action == "advance_clock":
            self.advance_clock(float(args["seconds"]))
            return self.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        if action in ("modify", "create", "delete"):
            return getattr(self, action)(args["path"], _int("n", 1))
        if action == "expire_tokens":
            return self.expire_tokens()
        if action == "inject_fault":
            a = dict(args)
            kind = a.pop("kind")
            times = int(a.pop("times", 1))
            after = int(a.pop("after", 0))
            pc = a.pop("path_contains", None)
            return self.inject_fault(kind, times=times, path_contains=pc, after=after, **a)
        if action == "clear_faults":
            return self.clear_faults()
        if action == "rows":
            inc = str(args.get("include_private", "false")).lower() in ("1", "true")
            return self.rows(args["path"], args.get("entity_id"), inc)
        if action == "keys":
            return sorted(self.keys(args["path"]), key=int)
        if action == "stats":
            e = self.engine
            return {"fast_hits": e.fast_hits, "slow_hits": e.slow_hits, "prefetch_hits": e.prefetch_hits,
                    "requests": self.request_count(), "build_seconds": self.build_seconds}
        if action == "object_paths":
            return self.object_paths()
        if action == "request_count":
            return self.request_count(args.get("path_contains"))
        if action == "reset_request_count":
            return self.reset_request_count()
        if action == "issue_refresh_token":
            return self.issue_refresh_token(args.get("entity_id"))
        if action == "issue_auth_code":
            return self.issue_auth_code(args.get("entity_id"))
        raise KeyError(action)
