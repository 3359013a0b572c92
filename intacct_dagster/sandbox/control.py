"""``Sandbox``: the public Python API -- build data, run the server, inspect and mutate data, inject faults.

This is the contract of docs/architecture.md section 1. All data mutations and query evaluation take one
lock, so tests can modify data while a client is paging (and ``edit_during_scan`` does exactly that).
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
from .object_defs import OBJECTS_BY_PATH, SERVED_PATHS, custom_field
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
    """Runtime-switchable behaviours whose real-API counterpart is unknown or varies (clients must cope with all):

    * ``key_collation``: ``"numeric"`` (default) or ``"text"`` -- how ``key`` compares in ``orderBy`` and
      ``$gt``/``$lt``/... (text: ``"10" < "9"``).
    * ``json_layout``: ``"compact"`` (default, as recorded), ``"pretty"`` or ``"meta_first"``.
    * ``extra_row_keys``: when true, query rows also carry a key that was not requested
      (``"API_QUERY_ALIAS__25": null``), as real invoice rows were recorded doing.
    """

    _CHOICES = {"key_collation": ("numeric", "text"), "json_layout": ("compact", "pretty", "meta_first"),
                "extra_row_keys": (False, True)}

    def __init__(self, on_change=None, **values):
        object.__setattr__(self, "_on_change", None)
        self.key_collation = "numeric"
        self.json_layout = "compact"
        self.extra_row_keys = False
        for k, v in values.items():
            setattr(self, k, v)
        object.__setattr__(self, "_on_change", on_change)

    def __setattr__(self, name: str, value) -> None:
        if name not in self._CHOICES:
            raise AttributeError(f"unknown sandbox option {name!r}; known: {sorted(self._CHOICES)}")
        if value not in self._CHOICES[name] or (name == "extra_row_keys" and not isinstance(value, bool)):
            raise ValueError(f"option {name} must be one of {list(self._CHOICES[name])}, got {value!r}")
        object.__setattr__(self, name, value)
        if self._on_change is not None:
            self._on_change()

    def key(self) -> tuple:
        return (self.key_collation, self.json_layout, self.extra_row_keys)

    def as_dict(self) -> dict:
        return dict(zip(self._CHOICES, self.key(), strict=True))

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
                 key_collation: str = "numeric", json_layout: str = "compact", extra_row_keys: bool = False):
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
        self._page_cache: dict = {}  # last few serialized query pages (retries of the same page are free)
        self.admin_token = os.urandom(16).hex()
        self.options = SandboxOptions(self._options_changed, key_collation=key_collation, json_layout=json_layout,
                                      extra_row_keys=extra_row_keys)
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
                for r in rows:
                    t.kill(r)
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
        if action == "options":
            opts = {k: v for k, v in args.items() if k in SandboxOptions._CHOICES}
            if "extra_row_keys" in opts and isinstance(opts["extra_row_keys"], str):
                opts["extra_row_keys"] = opts["extra_row_keys"].lower() in ("1", "true")
            self.options.update(**opts)
            return self.options.as_dict()
        if action == "set_field":
            touch = str(args.get("touch", "false")).lower() in ("1", "true")
            return self.set_field(args["path"], str(args["key"]), args["field"], args.get("value"), touch=touch)
        if action == "set_modified":
            return self.set_modified(args["path"], str(args["key"]), args.get("when"))
        if action == "add_custom_field":
            return self.add_custom_field(args["path"], args["name"], args.get("kind", "string"), args.get("default"))
        raise KeyError(action)
