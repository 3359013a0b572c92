"""``Sandbox``: the public Python API -- build data, run the server, inspect and mutate data, inject faults.

This is the contract of docs/architecture.md section 4. All data mutations and query evaluation take one
lock, so tests can modify data while a client is paging (and ``edit_during_scan`` does exactly that). The
gateway's pace -- simulated latency and the per-company concurrency limit (``SandboxOptions``) -- is applied on
the request threads outside that lock, so concurrent requests really overlap; ``stats()`` counts what happened.
The sandbox clock is real UTC time plus an offset (``advance_clock``); token expiry and the HTTP ``Date`` header
use the same clock. Mutations keep the books consistent: journal entries stay balanced, documents' dues follow
their payment details, and deleting a payment re-opens what it paid.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import threading
import time
from collections import Counter

from .data_generator import Generator, utc_midnight_today
from .faults import FaultInjector
from .object_defs import FORBIDDEN_OBJECTS, OBJECTS_BY_PATH, SERVED_PATHS, UNSUBSCRIBED_MODULES, custom_field
from .query_engine import MOD, QueryEngine, Scope
from .server import PREFIX, SandboxHTTPServer
from .store import NULL_INT, Store, to_storage
from .tokens import CLIENT_ID, CLIENT_SECRET, COMPANY_ID, USER_ID, TokenService

_DOC_LINES = {"accounts-payable/bill": "accounts-payable/bill-line",
              "accounts-receivable/invoice": "accounts-receivable/invoice-line",
              "general-ledger/journal-entry": "general-ledger/journal-entry-line"}
_PAYMENTS = {"accounts-payable/payment": ("accounts-payable/payment-detail", "apPayment", "bill",
                                          "accounts-payable/bill"),
             "accounts-receivable/payment": ("accounts-receivable/payment-detail", "arPayment", "arInvoice",
                                             "accounts-receivable/invoice")}
_DOC_PAYMENT = {v[3]: k for k, v in _PAYMENTS.items()}
_COMPOSITE_RANGE = (-(2**31) + 946684800 + 1, 2**31 + 946684800 - 1)  # instants the (modified, key) index holds


class SandboxOptions:
    """Runtime-switchable behaviours (``sb.options.<name> = value``, or ``POST /__sandbox__/options``).

    Response shapes whose real-API counterpart is unknown or varies (clients must cope with all):

    * ``key_collation``: ``"numeric"`` (default) or ``"text"`` -- how ``key`` compares in ``orderBy`` and
      ``$gt``/``$lt``/... (text: ``"10" < "9"``).
    * ``json_layout``: ``"compact"`` (default, as recorded), ``"pretty"`` or ``"meta_first"``.
    * ``extra_row_keys``: when true, query rows also carry a key that was not requested
      (``"API_QUERY_ALIAS__25": null``), as real invoice rows were recorded doing.

    The gateway's pace (all off by default, so tests run at full speed):

    * ``latency_s`` + ``latency_per_row_s`` x rows: seconds each query/model/list/get call takes before it is
      answered (slept on the request's own thread, outside the data lock, so concurrent calls overlap);
      ``latency_token``: the token endpoint takes ``latency_s`` too.
    * ``concurrency_limit``: requests one company may have in flight (Sage tier 1: 8 per company); beyond it
      the gateway answers 429 ``GW-0010`` at once, with ``Retry-After: retry_after_s``. None = unlimited.

    What the company may use (see ``server.py``): ``forbidden_objects`` (paths the API user has no permission
    for: 403) and ``unsubscribed_modules`` (applications the company does not subscribe to: 400).
    """

    _CHOICES = {"key_collation": ("numeric", "text"), "json_layout": ("compact", "pretty", "meta_first"),
                "extra_row_keys": (False, True)}
    _OTHER = ("latency_s", "latency_per_row_s", "latency_token", "concurrency_limit", "retry_after_s",
              "forbidden_objects", "unsubscribed_modules")
    NAMES = (*_CHOICES, *_OTHER)

    def __init__(self, on_change=None, **values):
        object.__setattr__(self, "_on_change", None)
        self.key_collation = "numeric"
        self.json_layout = "compact"
        self.extra_row_keys = False
        self.latency_s = 0.0
        self.latency_per_row_s = 0.0
        self.latency_token = False
        self.concurrency_limit = None
        self.retry_after_s = 1
        self.forbidden_objects = ()
        self.unsubscribed_modules = ()
        for k, v in values.items():
            setattr(self, k, v)
        object.__setattr__(self, "_on_change", on_change)

    def __setattr__(self, name: str, value) -> None:
        object.__setattr__(self, name, self._check(name, value))
        if self._on_change is not None and name in self._CHOICES:
            self._on_change()

    @classmethod
    def _check(cls, name: str, value):
        if name in cls._CHOICES:
            if value not in cls._CHOICES[name] or (name == "extra_row_keys" and not isinstance(value, bool)):
                raise ValueError(f"option {name} must be one of {list(cls._CHOICES[name])}, got {value!r}")
            return value
        if name in ("latency_s", "latency_per_row_s"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 600:
                raise ValueError(f"option {name} must be a number of seconds in 0..600, got {value!r}")
            return float(value)
        if name == "latency_token":
            if not isinstance(value, bool):
                raise ValueError(f"option {name} must be true or false, got {value!r}")
            return value
        if name in ("concurrency_limit", "retry_after_s"):
            if value is None and name == "concurrency_limit":
                return None
            low = 1 if name == "concurrency_limit" else 0
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"option {name} must be an integer >= {low}"
                                 f"{' or None' if name == 'concurrency_limit' else ''}, got {value!r}")
            return value
        if name == "forbidden_objects":
            vals = (value,) if isinstance(value, str) else tuple(value or ())
            bad = [p for p in vals if p not in SERVED_PATHS]
            if bad:
                raise ValueError(f"forbidden_objects: not served objects: {bad}")
            return vals
        if name == "unsubscribed_modules":
            vals = (value,) if isinstance(value, str) else tuple(value or ())
            apps = {p.split("/", 1)[0] for p in SERVED_PATHS}
            bad = [m for m in vals if m not in apps]
            if bad:
                raise ValueError(f"unsubscribed_modules: unknown applications {bad}; known: {sorted(apps)}")
            return vals
        raise AttributeError(f"unknown sandbox option {name!r}; known: {sorted(cls.NAMES)}")

    @classmethod
    def coerce(cls, name: str, value):
        """An option value given as text (admin endpoint query strings) in its proper type."""
        if not isinstance(value, str):
            return value
        low = value.strip().lower()
        if name in ("extra_row_keys", "latency_token"):
            return low in ("1", "true", "yes", "on")
        if name in ("latency_s", "latency_per_row_s"):
            return float(value)
        if name in ("concurrency_limit", "retry_after_s"):
            return None if low in ("", "none", "null") else int(value)
        if name in ("forbidden_objects", "unsubscribed_modules"):
            return tuple(x for x in (s.strip() for s in value.split(",")) if x)
        return value

    def key(self) -> tuple:
        """The options that shape response bodies (part of the page cache key)."""
        return (self.key_collation, self.json_layout, self.extra_row_keys)

    def as_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in ((n, getattr(self, n)) for n in self.NAMES)}

    def update(self, **values) -> None:
        for k, v in values.items():
            setattr(self, k, v)

    def __repr__(self) -> str:
        return f"SandboxOptions({self.as_dict()})"


class Sandbox:
    """A local Sage Intacct REST API (``/ia/api/v1``) backed by generated data."""

    client_id = CLIENT_ID
    client_secret = CLIENT_SECRET

    def __init__(self, lines: int = 2_000, seed: int = 7, token_lifetime_s: int = 43_200,
                 host: str = "127.0.0.1", port: int = 0, company_id: str = COMPANY_ID,
                 key_collation: str = "numeric", json_layout: str = "compact", extra_row_keys: bool = False,
                 latency_s: float = 0.0, latency_per_row_s: float = 0.0, latency_token: bool = False,
                 concurrency_limit: int | None = None, retry_after_s: int = 1,
                 forbidden_objects=FORBIDDEN_OBJECTS, unsubscribed_modules=UNSUBSCRIBED_MODULES):
        if lines < 2:
            raise ValueError("lines must be >= 2")
        if not company_id or any(c in company_id for c in "@| "):
            raise ValueError(f"company_id must be a non-empty id without '@', '|' or spaces: {company_id!r}")
        self.lines, self.seed, self.host, self.port = lines, seed, host, port
        self.company_id = company_id
        self.username = f"{USER_ID}@{company_id}"
        self._offset = 0.0
        self._lock = threading.RLock()
        self._count_lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._kinds: Counter[str] = Counter()  # requests by kind (token, query, model, list, get, other)
        self._in_flight: Counter[str] = Counter()  # per company (the token's cnyId)
        self._peak: Counter[str] = Counter()
        self._n429 = 0  # 429 answers sent (concurrency limit and throttle faults)
        self._limit_rejections = 0  # of which: over the concurrency limit
        self._latency_total = 0.0  # seconds of simulated latency imposed
        self._latency_calls = 0
        self._page_cache: dict = {}  # last few serialized query pages (retries of the same page are free)
        self.admin_token = os.urandom(16).hex()
        self.options = SandboxOptions(self._options_changed, key_collation=key_collation, json_layout=json_layout,
                                      extra_row_keys=extra_row_keys, latency_s=latency_s,
                                      latency_per_row_s=latency_per_row_s, latency_token=latency_token,
                                      concurrency_limit=concurrency_limit, retry_after_s=retry_after_s,
                                      forbidden_objects=forbidden_objects, unsubscribed_modules=unsubscribed_modules)
        t0 = time.perf_counter()
        self.store = Store()
        self._gen = Generator(self.store, seed, utc_midnight_today())
        self._gen.build(lines)
        self._gen.rng = random.Random(seed + 1)  # mutations: deterministic given the call sequence
        self.build_seconds = time.perf_counter() - t0
        self.engine = QueryEngine(self.store, self._lock)
        ents = self.store.table("company-config/entity")
        self._entity_rows = {ents.cols["id"][r]: r for r in range(ents.n)}
        self.tokens = TokenService(self._now_epoch, token_lifetime_s, set(self._entity_rows), company_id)
        self.faults = FaultInjector()
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url: str | None = None

    def _options_changed(self) -> None:
        with self._lock:
            self._page_cache.clear()
            self.engine._prefetched = None

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

    def rows(self, path: str, entity_id: str | None = None, include_private: bool = False,
             exact_numbers: bool = False) -> list[dict]:
        """Every record as the query service returns it when asked for every queryable field of the model (no
        write-only, array or list fields): flat dotted keys, money as decimal strings, dates ``YYYY-MM-DD``,
        timestamps ``...Z``, JSON numbers as int/float (``exact_numbers=True``: as ``Decimal``, every digit)."""
        self._check_path(path)
        with self._lock:
            vis = list(self.engine.indexes.visible_rows(path, self._scope(entity_id, include_private)))
            return self.store.flat_rows(path, vis, self.store.model_field_names(path), exact=exact_numbers)

    def keys(self, path: str, entity_id: str | None = None, include_private: bool = False) -> set[str]:
        """Keys of the records ``rows()`` would return (same scoping arguments)."""
        self._check_path(path)
        with self._lock:
            vis = self.engine.indexes.visible_rows(path, self._scope(entity_id, include_private))
            return {str(r + 1) for r in vis}

    def _count_request(self, descriptor: str, kind: str = "other") -> None:
        with self._count_lock:
            self._requests[descriptor] += 1
            self._kinds[kind] += 1

    def request_count(self, path_contains: str | None = None) -> int:
        with self._count_lock:
            return sum(n for d, n in self._requests.items() if path_contains is None or path_contains in d)

    def reset_request_count(self) -> None:
        with self._count_lock:
            self._requests.clear()
            self._kinds.clear()

    # ------------------------------------------------------------------------------------------ gateway
    def readable_paths(self) -> list[str]:
        """Served objects this API user can read: ``object_paths()`` less forbidden objects and the objects of
        unsubscribed modules (those are listed by the model service but answer errors)."""
        return [p for p in SERVED_PATHS if self.access_error(p) is None]

    def access_error(self, path: str) -> str | None:
        """``"forbidden"``, ``"unsubscribed"`` or None: how the API answers any use of ``path`` now."""
        opts = self.options
        if path.split("/", 1)[0] in opts.unsubscribed_modules:
            return "unsubscribed"
        if path in opts.forbidden_objects:
            return "forbidden"
        return None

    def _enter(self, company: str) -> bool:
        """Take one of the company's concurrent slots; False (and counted) when none is left."""
        limit = self.options.concurrency_limit
        with self._count_lock:
            n = self._in_flight[company]
            if limit is not None and n >= limit:
                self._limit_rejections += 1
                return False
            self._in_flight[company] = n + 1
            if n + 1 > self._peak[company]:
                self._peak[company] = n + 1
            return True

    def _leave(self, company: str) -> None:
        with self._count_lock:
            self._in_flight[company] -= 1

    def _throttle_headers(self, company: str, retry: bool = False) -> dict:
        """``X-IA-Throttle-Limit`` and ``-Remaining`` (limit minus requests in flight now) as the gateway sends on
        every answer; with ``retry`` also ``X-IA-Throttle-Limit-RetryAfter`` and ``Retry-After``. None when the
        sandbox runs without a limit."""
        limit = self.options.concurrency_limit
        if limit is None:
            return {}
        with self._count_lock:
            remaining = max(0, limit - self._in_flight[company])
        out = {"X-IA-Throttle-Limit": str(limit), "X-IA-Throttle-Limit-Remaining": "0" if retry else str(remaining)}
        if retry:
            ra = str(self.options.retry_after_s)
            out.update({"X-IA-Throttle-Limit-RetryAfter": ra, "Retry-After": ra})
        return out

    def _latency(self, kind: str, rows: int) -> float:
        """Seconds the gateway takes to answer a call of ``kind`` returning ``rows`` rows (0: no latency)."""
        opts = self.options
        if kind in ("query", "model", "list", "get"):
            return opts.latency_s + opts.latency_per_row_s * max(0, rows)
        if kind == "token" and opts.latency_token:
            return opts.latency_s
        return 0.0

    def _record_latency(self, seconds: float) -> None:
        with self._count_lock:
            self._latency_total += seconds
            self._latency_calls += 1

    def _record_status(self, status: int) -> None:
        if status == 429:
            with self._count_lock:
                self._n429 += 1

    def stats(self) -> dict:
        """Counters for tests and benchmarks: requests (total and by kind), requests in flight and the peak per
        company, 429s sent (``throttled``; ``rejected_by_limit`` of them by the concurrency limit), simulated
        latency imposed (sum of the sleeps, and how many calls slept), query-engine counters, build time."""
        e = self.engine
        with self._count_lock:
            return {"requests": sum(self._requests.values()), "requests_by_kind": dict(self._kinds),
                    "in_flight": {k: v for k, v in self._in_flight.items() if v}, "peak_in_flight": dict(self._peak),
                    "throttled": self._n429, "rejected_by_limit": self._limit_rejections,
                    "latency_total_s": round(self._latency_total, 6), "latency_calls": self._latency_calls,
                    "concurrency_limit": self.options.concurrency_limit,
                    "fast_hits": e.fast_hits, "slow_hits": e.slow_hits, "prefetch_hits": e.prefetch_hits,
                    "build_seconds": self.build_seconds}

    def reset_stats(self) -> None:
        """Zero every counter of ``stats()`` (and ``request_count()``); requests in flight stay counted."""
        with self._count_lock:
            self._requests.clear()
            self._kinds.clear()
            self._peak = Counter({k: v for k, v in self._in_flight.items() if v})
            self._n429 = self._limit_rejections = self._latency_calls = 0
            self._latency_total = 0.0

    @staticmethod
    def _check_path(path: str) -> None:
        if path not in OBJECTS_BY_PATH or OBJECTS_BY_PATH[path].hidden:
            raise KeyError(f"unknown object path {path!r}")

    # ------------------------------------------------------------------------------------------ mutation
    @contextlib.contextmanager
    def _mutation(self):
        """Run a data change under the lock; afterwards the query indexes follow every journaled change."""
        with self._lock:
            tables = self.store.tables
            before = {p: t.version for p, t in tables.items()}
            for t in tables.values():
                t.journal = []
            try:
                yield
            finally:
                for p, t in tables.items():
                    changes, t.journal = t.journal, None
                    if changes or t.version != before[p]:
                        self.engine.indexes.apply(p, before[p], changes or [])

    def _pick_rows(self, path: str, n: int) -> list[int]:
        rng = self._gen.rng
        alive = self.engine.indexes.visible_rows(path, Scope(None, True))
        n = min(n, len(alive))
        return sorted(alive[i] for i in rng.sample(range(len(alive)), n))

    def _touch(self, path: str, row: int, now: int) -> None:
        t = self.store.table(path)
        if MOD in t.cols:
            old = t.cols[MOD][row]
            t.touch(row, now if old == NULL_INT else max(now, old))
            t.set("audit.modifiedByUser", row, 0)  # ws_user

    def modify(self, path: str, n: int = 1) -> list[str]:
        """Change a value of ``n`` records and bump their ``audit.modifiedDateTime`` to now. Returns keys.
        (The changed value is a text field -- description/memo/notes... -- so totals and balances hold.)"""
        self._check_path(path)
        with self._mutation():
            t = self.store.table(path)
            now = int(self._now_epoch())
            rows = self._pick_rows(path, n)
            field = t.odef.mutate_field
            for r in rows:
                self._gen.rng.random()
                if field:
                    t.set(field, r, f"Revised {now} #{t.version + 1}")
                self._touch(path, r, now)
            return [str(r + 1) for r in rows]

    def create(self, path: str, n: int = 1) -> list[str]:
        """Create ``n`` records (journal-entry lines come as whole balanced entries, document lines as whole
        documents, payment details as whole payments applied to open documents). Returns new keys of ``path``."""
        self._check_path(path)
        with self._mutation():
            now = int(self._now_epoch())
            t = self.store.table(path)
            n0 = t.n
            if path == "general-ledger/journal-entry-line":
                self._gen.create_entries(max(2, n), bulk=False, now=now)
            while t.n - n0 < n:
                before = t.n
                self._gen.create_row(path, now=now)
                if t.n == before:  # nothing to create from (e.g. no open document): stop
                    break
            if path == "company-config/entity":  # new entities are valid in headers and usernames at once
                self._entity_rows.update({t.cols["id"][r]: r for r in range(n0, t.n)})
                self.tokens.entity_ids |= set(self._entity_rows)
            return [str(r + 1) for r in range(n0, t.n)]

    def delete(self, path: str, n: int = 1) -> list[str]:
        """Delete ``n`` records. Entries/bills/invoices take their lines along; deleting journal-entry or document
        lines deletes their whole entries/documents (the ledger stays balanced, totals = sum of lines); deleting
        a payment (or one of its details) deletes the payment with all its details and re-opens what it paid;
        deleting a document first deletes the payments applied to it. Returns deleted keys of ``path``."""
        self._check_path(path)
        with self._mutation():
            rows = self._pick_rows(path, n)
            now = int(self._now_epoch())
            st = self.store
            t = st.table(path)
            dead_before = {r for r in range(t.n) if not t.alive[r]}
            owners = {v: k for k, v in _DOC_LINES.items()}
            if path in owners:  # lines: their whole entries / documents
                parent = owners[path]
                self._delete_docs(parent, {t.cols[t.odef.owner_ref][r] for r in rows}, now)
            elif path in _DOC_LINES:
                self._delete_docs(path, set(rows), now)
            elif path in _PAYMENTS:
                for r in rows:
                    self._delete_payment(path, r, now)
            elif path in {v[0] for v in _PAYMENTS.values()}:
                pay_path = next(k for k, v in _PAYMENTS.items() if v[0] == path)
                owner = _PAYMENTS[pay_path][1]
                for p in sorted({t.cols[owner][r] for r in rows}):
                    self._delete_payment(pay_path, p, now)
            else:
                owned = [x.target for x in t.odef.lists
                         if x.target in st.tables and st.table(x.target).odef.owner_ref is not None]
                for r in rows:
                    t.kill(r)
                    for child_path in owned:  # owned lines (exchange-rate lines, budget details) go along
                        child = st.table(child_path)
                        for c in st.child_index(child_path).get(r, ()):
                            child.kill(c)
            return [str(r + 1) for r in range(t.n) if not t.alive[r] and r not in dead_before]

    def _delete_docs(self, path: str, rows: set[int], now: int) -> None:
        st = self.store
        if path in _DOC_PAYMENT:  # payments applied to these documents go first (they re-open other documents)
            pay_path = _DOC_PAYMENT[path]
            det_path, owner, doc_ref, _ = _PAYMENTS[pay_path]
            det = st.table(det_path)
            pays = sorted({det.cols[owner][c] for c in range(det.n) if det.alive[c] and det.cols[doc_ref][c] in rows})
            for p in pays:
                self._delete_payment(pay_path, p, now)
        t = st.table(path)
        lines = st.table(_DOC_LINES[path])
        for r in sorted(rows):
            t.kill(r)
        for c in sorted(self._children(path, rows)):
            lines.kill(c)

    def _delete_payment(self, pay_path: str, p: int, now: int) -> None:
        """Delete a payment and its details; the documents it paid get their dues back (and are touched)."""
        st = self.store
        det_path, owner, doc_ref, doc_path = _PAYMENTS[pay_path]
        pay, det, doc = st.table(pay_path), st.table(det_path), st.table(doc_path)
        if not pay.alive[p]:
            return
        from .store import frag_cents

        for c in sorted(st.child_index(det_path).get(p, ())):
            if not det.alive[c]:
                continue
            d = det.cols[doc_ref][c]
            if d >= 0 and doc.alive[d]:
                self._gen.apply_to_document(doc, d, -frag_cents(det.cols["txnCurrency.paymentAmount"][c]),
                                            -frag_cents(det.cols["baseCurrency.paymentAmount"][c]), 0, now)
                self._touch(doc_path, d, now)
            det.kill(c)
        pay.kill(p)

    def _children(self, parent_path: str, parents: set[int]) -> set[int]:
        child_path = _DOC_LINES[parent_path]
        idx = self.store.child_index(child_path)
        alive = self.store.table(child_path).alive
        return {c for p in parents for c in idx.get(p, ()) if alive[c]}

    # ------------------------------------------------------------------------------------------ crafting
    def _row(self, path: str, key: str) -> int:
        self._check_path(path)
        row = self.store.table(path).row_of_key(str(key))
        if row is None:
            raise KeyError(f"{path} has no record with key {key!r}")
        return row

    def set_field(self, path: str, key: str, field: str, value, touch: bool = False) -> None:
        """Set one stored value of one record by flat dotted field name (``description``,
        ``currency.exchangeRate``, ``audit.modifiedDateTime``, ``vendor.key`` to re-point a reference, a custom
        ``nsp::`` field ...). ``value`` is given as the API shows it (decimal string or number for money, JSON
        number as int/float/Decimal/str, ``YYYY-MM-DD``/date, ISO date-time/datetime, None for null); its type is
        checked, enum membership is not (tests may craft values the schema does not list). ``touch=True`` also
        bumps ``audit.modifiedDateTime`` to now. Derived values (key, href, ids equal to keys, names of
        referenced records) cannot be set: set them on the referenced record."""
        with self._mutation():
            t = self.store.table(path)
            row = self._row(path, key)
            odef = t.odef
            f = odef.field(field)
            if f is not None and field in t.cols:
                t.set(field, row, to_storage(t.kinds[field], value))
            elif field.endswith(".key") and odef.ref(field[:-4]) is not None:
                ref = odef.ref(field[:-4])
                target = -1
                if value is not None:
                    target = self.store.table(ref.target).row_of_key(str(value))
                    if target is None:
                        raise ValueError(f"{ref.target} has no record with key {value!r}")
                t.set(ref.name, row, target)
            else:
                raise ValueError(f"{path}.{field} is not a stored field that can be set (derived or unknown)")
            if touch:
                self._touch(path, row, int(self._now_epoch()))

    def set_modified(self, path: str, key: str, when) -> None:
        """Set ``audit.modifiedDateTime`` of one record: a datetime (naive = UTC), ISO text, epoch seconds, or
        None (a migrated record without one)."""
        with self._mutation():
            t = self.store.table(path)
            row = self._row(path, key)
            if MOD not in t.cols:
                raise ValueError(f"{path} has no audit fields")
            epoch = NULL_INT if when is None else to_storage("datetime", when)
            if epoch != NULL_INT and not _COMPOSITE_RANGE[0] <= epoch <= _COMPOSITE_RANGE[1]:
                raise ValueError("modifiedDateTime must be between 1932 and 2068")
            t.touch(row, epoch)

    def add_custom_field(self, path: str, name: str, kind: str = "string", default=None) -> None:
        """Add a custom field (``nsp::NAME``) to an object's model at runtime, filled with ``default`` for every
        existing row without changing any ``audit.modifiedDateTime`` (an admin adding a field with a default).
        ``kind``: string, date, datetime, number, integer, boolean, money."""
        self._check_path(path)
        with self._mutation():
            t = self.store.table(path)
            f = custom_field(name, kind)
            to_storage(kind, default)  # validates the default before changing anything
            t.odef.add_custom_field(f)
            t.add_column(name, kind, default)
            self.store.invalidate(path)
            self._page_cache.clear()

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
            return self.stats()
        if action == "reset_stats":
            return self.reset_stats()
        if action == "readable_paths":
            return self.readable_paths()
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
        if action == "options":
            unknown = [k for k in args if k not in SandboxOptions.NAMES]
            if unknown:
                raise ValueError(f"unknown options {unknown}; known: {list(SandboxOptions.NAMES)}")
            self.options.update(**{k: SandboxOptions.coerce(k, v) for k, v in args.items()})
            return self.options.as_dict()
        if action == "set_field":
            touch = str(args.get("touch", "false")).lower() in ("1", "true")
            return self.set_field(args["path"], str(args["key"]), args["field"], args.get("value"), touch=touch)
        if action == "set_modified":
            return self.set_modified(args["path"], str(args["key"]), args.get("when"))
        if action == "add_custom_field":
            return self.add_custom_field(args["path"], args["name"], args.get("kind", "string"), args.get("default"))
        raise KeyError(action)
