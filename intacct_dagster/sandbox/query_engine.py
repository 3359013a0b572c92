"""The query service (``POST /services/core/query``): strict validation, filtering, ordering and paging.

Validation mirrors the real API (unknown keys, missing ``object``/``fields``, ``*``, unknown fields -> 400
with REST-1043 details). Evaluation has two paths:

* fast path: filters only on ``audit.modifiedDateTime``/``key`` and ordering by (modifiedDateTime[, key]) or by
  ``key`` -- the shape of keyset pagination. The filter expression is turned into a set of intervals over a
  per-scope sorted index of ``(modified, key)`` composites and answered with ``bisect`` (no scan), so a
  1M-row extract costs O(page) per page.
* general path: column-wise scan of the visible rows + sort, cached per (query, data version) so offset paging
  through one query scans once.

While a client parses a page of an ordered scan, a background thread renders the next page (see
``QueryEngine.run_json``), so with the server in its own process serving and parsing overlap.

Comparison semantics follow field types: money and JSON numbers as decimals, date-times as instants, ``key`` as
an integer -- or as text under ``key_collation="text"`` (``"10" < "9"``; which one the real API uses is unknown).
Null ``audit.modifiedDateTime`` sorts before every instant (after them in descending order) and matches only
``$eq null`` / the negative operators, in both evaluation paths.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
import queue
import re
import threading
from array import array
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import compress, repeat
from operator import itemgetter

import orjson

from .models import non_queryable
from .object_defs import OBJECTS_BY_PATH
from .store import (
    NULL_INT,
    Accessor,
    Store,
    Table,
    date_to_ordinal,
    fmt_money,
    parse_datetime,
    parse_money,
)

MAX_SIZE = 4000
DEFAULT_SIZE = 100
TOP_KEYS = {"object", "fields", "filters", "filterExpression", "filterParameters", "orderBy", "start", "size"}
PARAM_KEYS = {"asOfDate", "includeHierarchyFields", "caseSensitiveComparison", "includePrivate"}
SCALAR_OPS = {"$eq", "$ne", "$lt", "$lte", "$gt", "$gte"}
LIST_OPS = {"$in", "$notIn"}
RANGE_OPS = {"$between", "$notBetween"}
STRING_OPS = {"$contains", "$notContains", "$startsWith", "$notStartsWith", "$endsWith", "$notEndsWith"}
ALL_OPS = SCALAR_OPS | LIST_OPS | RANGE_OPS | STRING_OPS
AGG_FUNCS = {"count", "sum", "avg", "min", "max"}
MACROS = {"today", "yesterday", "currentWeek", "lastWeek", "currentMonth", "priorMonth", "currentQuarter",
          "priorQuarter", "currentYear", "priorYear"}
MOD = "audit.modifiedDateTime"
BASE_EPOCH = 946684800  # 2000-01-01; composite = (modified - BASE) << 31 | key
SHIFT = 31
KMASK = (1 << SHIFT) - 1
NEG_INF = -(1 << 90)
POS_INF = 1 << 90
NULL_MOD = -(1 << 31)  # composite "modified - BASE" of a null modifiedDateTime: below every real instant
NONNULL_LO = (NULL_MOD + 1) << SHIFT  # first composite of a non-null modifiedDateTime
VERSION = "1"


def composite(mod: int, row: int) -> int:
    """Sort key of a row in the (modifiedDateTime, key) index."""
    return ((NULL_MOD if mod == NULL_INT else mod - BASE_EPOCH) << SHIFT) | (row + 1)
_EPOCH_ORD = dt.date(1970, 1, 1).toordinal()


class QueryError(Exception):
    """400 with ``details`` (list of (message, target, errorId, messageId[, placeholders]))."""

    def __init__(self, details: list[tuple[str, str, str, str]]):
        super().__init__("; ".join(d[0] for d in details))
        self.details = details


def _bad(msg: str, target: str = "", error_id: str = "REST-1043", message_id: str = "IA.NOT_A_VALID_FIELD"):
    return QueryError([(msg, target, error_id, message_id)])


@dataclass
class Scope:
    entity_row: int | None = None  # None = top level
    include_private: bool = False

    @property
    def cache_key(self) -> tuple:
        return (self.entity_row, self.include_private if self.entity_row is None else False)


@dataclass
class DateRange:
    lo: float
    hi: float  # inclusive


@dataclass
class Filter:
    op: str
    field: str
    acc: Accessor
    value: object  # converted comparable value(s)


@dataclass
class QuerySpec:
    path: str
    fields: list[str]
    filters: list[Filter]
    expr: object  # AST: int (1-based filter index) | ("and"|"or", [children])
    order: list[tuple[str, bool]]  # (field, descending)
    start: int
    size: int
    include_private: bool
    case_sensitive: bool
    aggregates: list[tuple[str, str, str]] = field(default_factory=list)  # (output name, func, field)
    cache_key: tuple = ()
    collation: str = "numeric"  # how ``key`` fields compare: numeric | text


# ---------------------------------------------------------------------------------------------------- parsing
def _not_in_query(f: str, obj: str) -> tuple:
    return (f"The {f} field in {obj} object cannot be used in query in version {VERSION}", f"/{f}", "REST-1106",
            "IA.THE_FIELD_IN_OBJECT_CANNOT_BE_USED_IN_QUERY", {"FIELD": f, "OBJECT": obj, "VERSION": VERSION})


def _refused(fname: str, odef) -> bool:
    """Write-only and array fields and owned lists (and anything under a list) cannot be used in a query."""
    return fname in non_queryable(odef) or fname.split(".", 1)[0] in odef.list_names


def validate(body, store: Store, today_ordinal: int, collation: str = "numeric") -> QuerySpec:
    if not isinstance(body, dict):
        raise _bad("The query payload must be a JSON object", "/", "REST-1064", "IA.PAYLOAD_CONTAINS_ERRORS")
    unknown = [k for k in body if k not in TOP_KEYS]
    if unknown:
        raise QueryError([(f"Unrecognized key {k} in query payload", f"/{k}", "REST-1043", "IA.NOT_A_VALID_FIELD")
                          for k in unknown])
    obj = body.get("object")
    if obj is None or obj == "":
        raise _bad("object is required", "/object", "REST-1040", "IA.REQUIRED_FIELD_MISSING")
    if not isinstance(obj, str):
        raise _bad("object must be a string", "/object")
    odef = OBJECTS_BY_PATH.get(obj)
    if odef is None or odef.hidden:
        raise _bad(f"{obj} is not a valid object", "/object", "REST-1043", "IA.NOT_A_VALID_OBJECT")
    fields = body.get("fields")
    if fields is None:
        raise _bad("fields is required", "/fields", "REST-1040", "IA.REQUIRED_FIELD_MISSING")
    if not isinstance(fields, list) or not fields or not all(isinstance(f, str) for f in fields):
        raise _bad("fields must be a non-empty array of field names", "/fields")
    odef = store.table(obj).odef
    refused = [f for f in fields if isinstance(f, str) and _refused(f, odef)]
    if refused:  # the real API answers these first, one detail per field
        raise QueryError([_not_in_query(f, obj) for f in refused])
    errors = []
    aggregates = []
    plain = []
    for f in fields:
        if f == "*" or f.endswith(".*"):
            errors.append(("Wildcard '*' is not supported in fields", f"/{f}", "REST-1043", "IA.NOT_A_VALID_FIELD"))
            continue
        if ":" in f and not f.startswith("nsp::") and f.split(":", 1)[0] in AGG_FUNCS:
            func, fname = f.split(":", 1)
            if _refused(fname, odef):
                errors.append(_not_in_query(fname, obj))
                continue
            acc = store.accessor(obj, fname)
            if acc is None or acc.kind == "href":
                errors.append((f"/{fname} is not a valid field", f"/{f}", "REST-1043", "IA.NOT_A_VALID_FIELD"))
            elif func in ("sum", "avg") and acc.kind not in ("money", "integer", "number"):
                errors.append((f"{func} is not supported on {fname}", f"/{f}", "REST-1043", "IA.NOT_A_VALID_FIELD"))
            else:
                aggregates.append((f, func, fname))
            continue
        if store.accessor(obj, f) is None:
            errors.append((f"/{f} is not a valid field", f"/{f}", "REST-1043", "IA.NOT_A_VALID_FIELD"))
        else:
            plain.append(f)
    if len(set(fields)) != len(fields):
        errors.append(("fields contains duplicates", "/fields", "REST-1043", "IA.NOT_A_VALID_FIELD"))
    if errors:
        raise QueryError(errors)

    params = body.get("filterParameters") or {}
    if not isinstance(params, dict):
        raise _bad("filterParameters must be an object", "/filterParameters")
    for k, v in params.items():
        if k not in PARAM_KEYS:
            raise _bad(f"Unrecognized key {k} in filterParameters", f"/filterParameters/{k}")
        if k != "asOfDate" and not isinstance(v, bool):
            raise _bad(f"filterParameters.{k} must be a boolean", f"/filterParameters/{k}")
    as_of = today_ordinal
    if params.get("asOfDate") is not None:
        try:
            as_of = date_to_ordinal(str(params["asOfDate"]))
        except ValueError:
            raise _bad("filterParameters.asOfDate must be a date (YYYY-MM-DD)", "/filterParameters/asOfDate") from None
    case_sensitive = params.get("caseSensitiveComparison", True)

    raw_filters = body.get("filters") or []
    if not isinstance(raw_filters, list):
        raise _bad("filters must be an array", "/filters")
    filters = [_parse_filter(i, f, obj, store, case_sensitive, as_of, collation) for i, f in enumerate(raw_filters)]

    expr_src = body.get("filterExpression")
    if expr_src is not None and not isinstance(expr_src, str):
        raise _bad("filterExpression must be a string", "/filterExpression")
    expr = parse_expression(expr_src, len(filters))

    order = []
    raw_order = body.get("orderBy") or []
    if not isinstance(raw_order, list):
        raise _bad("orderBy must be an array", "/orderBy")
    agg_names = {a[0] for a in aggregates}
    for i, o in enumerate(raw_order):
        if not isinstance(o, dict) or len(o) != 1:
            raise _bad("each orderBy item must be an object with one field", f"/orderBy/{i}")
        (fname, direction), = o.items()
        if direction not in ("asc", "desc"):
            raise _bad(f"orderBy direction for {fname} must be asc or desc", f"/orderBy/{i}/{fname}")
        if _refused(fname, odef):
            raise QueryError([_not_in_query(fname, obj)])
        acc = store.accessor(obj, fname)
        if fname not in agg_names and (acc is None or acc.kind == "href"):
            raise _bad(f"/{fname} is not a valid field", f"/orderBy/{i}/{fname}")
        order.append((fname, direction == "desc"))

    start = body.get("start", 1)
    size = body.get("size", DEFAULT_SIZE)
    for k, v in (("start", start), ("size", size)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise _bad(f"{k} must be an integer", f"/{k}")
    if start < 1:
        raise _bad("start must be 1 or greater", "/start")
    if size < 1 or size > MAX_SIZE:
        raise _bad(f"size must be between 1 and {MAX_SIZE}", "/size")
    if aggregates:
        for fname, _ in order:
            if fname not in agg_names and fname not in plain:
                raise _bad(f"orderBy field {fname} must be a group-by field", f"/orderBy/{fname}")
    ckey = (obj, repr(raw_filters), expr_src, params.get("includePrivate", False), case_sensitive, as_of,
            tuple(order), tuple(fields) if aggregates else (), collation)
    return QuerySpec(obj, list(fields), filters, expr, order, start, size, bool(params.get("includePrivate", False)),
                     case_sensitive, aggregates, ckey, collation)


def _parse_filter(i: int, f, obj: str, store: Store, case_sensitive: bool, as_of: int,
                  collation: str = "numeric") -> Filter:
    target = f"/filters/{i}"
    if not isinstance(f, dict) or len(f) != 1:
        raise _bad("each filter must be an object with exactly one operator", target)
    (op, cond), = f.items()
    if op not in ALL_OPS:
        raise _bad(f"{op} is not a valid operator", target, "REST-1043", "IA.NOT_A_VALID_OPERATOR")
    if not isinstance(cond, dict) or len(cond) != 1:
        raise _bad(f"{op} must name exactly one field", f"{target}/{op}")
    (fname, value), = cond.items()
    if _refused(fname, store.table(obj).odef):
        raise QueryError([_not_in_query(fname, obj)])
    acc = store.accessor(obj, fname)
    if acc is None:
        raise _bad(f"/{fname} is not a valid field", f"/{fname}")
    if acc.kind == "href":
        raise _bad("href cannot be used in filters", f"/{fname}")
    ci = not case_sensitive
    try:
        if op in SCALAR_OPS:
            if isinstance(value, (list, dict)):
                raise ValueError(f"{op} takes a single value")
            if value is None and op not in ("$eq", "$ne"):
                raise ValueError(f"{op} does not accept null")
            conv = _convert(acc, value, ci, as_of, collation)
        elif op in LIST_OPS:
            if not isinstance(value, list) or not value:
                raise ValueError(f"{op} takes a non-empty array")
            conv = [_convert(acc, v, ci, as_of, collation) for v in value]
            if any(isinstance(v, DateRange) for v in conv):
                raise ValueError("date macros are not allowed in lists")
        elif op in RANGE_OPS:
            if not isinstance(value, list) or len(value) != 2:
                raise ValueError(f"{op} takes an array of two values")
            lo, hi = (_convert(acc, v, ci, as_of, collation) for v in value)
            if isinstance(lo, DateRange):
                lo = lo.lo
            if isinstance(hi, DateRange):
                hi = hi.hi
            conv = (lo, hi)
        else:
            if acc.kind not in ("string", "enum", "key"):
                raise ValueError(f"{op} is only valid for text fields")
            if isinstance(value, (list, dict, bool)) or value is None:
                raise ValueError(f"{op} takes a text value")
            conv = str(value).lower() if ci else str(value)
    except (ValueError, ArithmeticError) as exc:
        raise _bad(f"Invalid value for {fname} in {op}: {exc}", f"/{fname}", "REST-1043",
                   "IA.INVALID_FILTER_VALUE") from None
    return Filter(op, fname, acc, conv)


def _convert(acc: Accessor, v, ci: bool, as_of: int, collation: str = "numeric"):
    if v is None:
        return None
    kind = acc.kind
    if isinstance(v, (list, dict)):
        raise ValueError("expected a scalar")
    if kind == "key":
        if isinstance(v, bool) or (isinstance(v, float) and not v.is_integer()):
            raise ValueError("key must be an integer")
        s = str(int(v)) if isinstance(v, (int, float)) else str(v).strip()
        if not s.lstrip("-").isdigit():
            raise ValueError(f"{v!r} is not a valid key")
        return s if collation == "text" else int(s)
    if kind in ("string", "enum"):
        s = str(v).lower() if isinstance(v, bool) else str(v)
        return s.lower() if ci else s
    if kind == "money":
        if isinstance(v, bool):
            raise ValueError("expected a decimal")
        d = parse_money(v)
        return int(d) if d == d.to_integral_value() else d
    if kind in ("integer", "number"):
        if isinstance(v, bool):
            raise ValueError("expected a number")
        d = Decimal(str(v).strip())
        if not d.is_finite():
            raise ValueError("expected a number")
        if kind == "number":
            return d
        return int(d) if d == d.to_integral_value() else float(d)
    if kind == "boolean":
        if isinstance(v, bool):
            return v
        if str(v).lower() in ("true", "false"):
            return str(v).lower() == "true"
        raise ValueError("expected true or false")
    if kind in ("date", "datetime"):
        if not isinstance(v, str):
            raise ValueError("expected a date string")
        if v in MACROS:
            lo, hi = _macro(v, as_of)
            if kind == "date":
                return DateRange(lo, hi)
            return DateRange((lo - _EPOCH_ORD) * 86400, (hi + 1 - _EPOCH_ORD) * 86400 - 1e-6)
        if kind == "date":
            return date_to_ordinal(v)
        return parse_datetime(v)
    raise ValueError("unsupported field")


def _macro(name: str, as_of: int) -> tuple[int, int]:
    d = dt.date.fromordinal(as_of)

    def month(y, m):
        first = dt.date(y, m, 1)
        nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
        return first.toordinal(), nxt.toordinal() - 1

    if name == "today":
        return as_of, as_of
    if name == "yesterday":
        return as_of - 1, as_of - 1
    if name in ("currentWeek", "lastWeek"):
        lo = as_of - d.weekday() - (7 if name == "lastWeek" else 0)
        return lo, lo + 6
    if name == "currentMonth":
        return month(d.year, d.month)
    if name == "priorMonth":
        return month(d.year - (d.month == 1), (d.month - 2) % 12 + 1)
    if name in ("currentQuarter", "priorQuarter"):
        q = (d.month - 1) // 3 + (-1 if name == "priorQuarter" else 0)
        y = d.year + q // 4
        q %= 4
        lo = dt.date(y, q * 3 + 1, 1).toordinal()
        return lo, month(y, q * 3 + 3)[1]
    y = d.year - (name == "priorYear")
    return dt.date(y, 1, 1).toordinal(), dt.date(y, 12, 31).toordinal()


_TOKEN = re.compile(r"\s*(\d+|\(|\)|and\b|or\b|AND\b|OR\b|And\b|Or\b)", re.IGNORECASE)


def parse_expression(src: str | None, n: int):
    """AST for a filterExpression over 1-based filter positions (``and`` binds tighter than ``or``)."""
    if n == 0:
        if src and src.strip().lower() not in ("and", "or"):
            raise _bad("filterExpression given without filters", "/filterExpression")
        return None
    if src is None or src.strip().lower() in ("", "and", "or"):
        op = "or" if src and src.strip().lower() == "or" else "and"
        return (op, list(range(1, n + 1))) if n > 1 else 1
    tokens = []
    pos = 0
    s = src.strip()
    while pos < len(s):
        m = _TOKEN.match(s, pos)
        if not m:
            raise _bad(f"Invalid filterExpression near '{s[pos:]}'", "/filterExpression")
        tokens.append(m.group(1).lower())
        pos = m.end()
    it = {"i": 0}

    def peek():
        return tokens[it["i"]] if it["i"] < len(tokens) else None

    def take():
        t = peek()
        it["i"] += 1
        return t

    def parse_or():
        parts = [parse_and()]
        while peek() == "or":
            take()
            parts.append(parse_and())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def parse_and():
        parts = [parse_atom()]
        while peek() == "and":
            take()
            parts.append(parse_atom())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def parse_atom():
        t = take()
        if t == "(":
            node = parse_or()
            if take() != ")":
                raise _bad("Unbalanced parentheses in filterExpression", "/filterExpression")
            return node
        if t is not None and t.isdigit():
            k = int(t)
            if not 1 <= k <= n:
                raise _bad(f"filterExpression refers to filter {k} but there are {n} filters", "/filterExpression")
            return k
        raise _bad(f"Invalid filterExpression '{src}'", "/filterExpression")

    ast = parse_or()
    if peek() is not None:
        raise _bad(f"Invalid filterExpression '{src}'", "/filterExpression")
    return ast


# ---------------------------------------------------------------------------------------------------- indexes
class Indexes:
    """Per-(object, scope) visible-row lists (key order) and sorted (modified, key) composites."""

    def __init__(self, store: Store):
        self.store = store
        self._rows: dict[tuple, tuple[int, array]] = {}
        self._comp: dict[tuple, tuple[int, array]] = {}
        self._lock = threading.RLock()

    @staticmethod
    def visible_fn(t: Table, scope: Scope):
        alive, private = t.alive, t.private
        if not t.odef.has_entity:
            return lambda r: alive[r]
        ent = t.cols["entity"]
        if scope.entity_row is None:
            if scope.include_private:
                return lambda r: alive[r]
            return lambda r: alive[r] and not private[r]
        e = scope.entity_row
        return lambda r: alive[r] and (ent[r] == e or ent[r] < 0)

    def visible_rows(self, path: str, scope: Scope) -> array:
        t = self.store.table(path)
        k = (path, scope.cache_key)
        with self._lock:
            hit = self._rows.get(k)
            if hit and hit[0] == t.version:
                return hit[1]
            rows = array("i", compress(range(t.n), self._visible_mask(t, scope)))
            self._rows[k] = (t.version, rows)
            return rows

    @staticmethod
    def _visible_mask(t: Table, scope: Scope):
        """Iterator of truthy flags per row, computed with C-level maps (1M rows in tens of ms)."""
        alive = t.alive
        if not t.odef.has_entity:
            return alive
        if scope.entity_row is None:
            return alive if scope.include_private else map(operator.gt, alive, t.private)
        ent = t.cols["entity"]
        in_scope = map(operator.or_, map(scope.entity_row.__eq__, ent), map((0).__gt__, ent))
        return map(operator.and_, alive, in_scope)

    def composites(self, path: str, scope: Scope) -> array:
        t = self.store.table(path)
        k = (path, scope.cache_key)
        with self._lock:
            hit = self._comp.get(k)
            if hit and hit[0] == t.version:
                return hit[1]
            rows = self.visible_rows(path, scope)
            mod = t.cols[MOD]
            mods = itemgetter(*rows)(mod) if len(rows) > 1 else [mod[r] for r in rows]
            if NULL_INT in mods:
                mods = [NULL_MOD + BASE_EPOCH if m == NULL_INT else m for m in mods]
            shifted = map(operator.lshift, map((-BASE_EPOCH).__add__, mods), repeat(SHIFT))
            comp = array("q", sorted(map(operator.or_, shifted, map((1).__add__, rows))))
            self._comp[k] = (t.version, comp)
            return comp

    def apply(self, path: str, version_before: int, changes: list[tuple[int, int | None, bool, bool]]) -> None:
        """Incrementally update cached indexes of ``path`` after rows changed.

        ``changes``: (row, old modifiedDateTime or None, created, deleted). Indexes not in sync with
        ``version_before`` are dropped (rebuilt lazily)."""
        t = self.store.table(path)
        bulk = len(changes) > 2000  # cheaper to rebuild (one sort) than to memmove per change
        with self._lock:
            for cache, is_comp in ((self._rows, False), (self._comp, True)):
                for k, (ver, arr) in list(cache.items()):
                    if k[0] != path:
                        continue
                    if ver != version_before or (bulk and (is_comp or any(c[2] or c[3] for c in changes))):
                        del cache[k]
                        continue
                    vis = self.visible_fn(t, Scope(k[1][0], k[1][1]))
                    for row, old_mod, created, deleted in changes:
                        if is_comp:
                            if not created and old_mod is not None:
                                _remove(arr, composite(old_mod, row))
                            if not deleted and vis(row):
                                c = composite(t.cols[MOD][row], row)
                                arr.insert(bisect_left(arr, c), c)
                        elif deleted:
                            _remove(arr, row)
                        elif created and vis(row):
                            arr.insert(bisect_left(arr, row), row)
                    cache[k] = (t.version, arr)


def _remove(arr: array, value: int) -> None:
    i = bisect_left(arr, value)
    if i < len(arr) and arr[i] == value:
        del arr[i]


# ---------------------------------------------------------------------------------------------------- execution
class QueryEngine:
    def __init__(self, store: Store, lock: threading.RLock | None = None, prefetch: bool = True):
        self.store = store
        self.lock = lock or threading.RLock()  # the data lock (shared with mutations)
        self.indexes = Indexes(store)
        self._cache: OrderedDict = OrderedDict()
        self.fast_hits = 0
        self.slow_hits = 0
        self.prefetch = prefetch
        self.prefetch_hits = 0
        self._prefetched: tuple | None = None
        self._last_served: int | None = None
        self._pf_queue: queue.Queue = queue.Queue(maxsize=1)
        self._pf_thread: threading.Thread | None = None

    def run(self, spec: QuerySpec, scope: Scope) -> tuple[list[dict], int]:
        """Returns (page rows as flat dicts, totalCount)."""
        if spec.aggregates:
            return self._aggregate(spec, scope)
        page_rows, total = self.page_rows(spec, scope)
        return self.store.flat_rows(spec.path, page_rows, spec.fields), total

    def run_json(self, spec: QuerySpec, scope: Scope, extra: str = "") -> tuple[str, int]:
        """Returns (JSON text of the page's ``ia::result`` array, totalCount) -- the server's hot path.

        Ordered scans (keyset or offset) also get the *following* page rendered by a background thread while
        the client is busy parsing this one; if the next request asks for exactly those rows, serving it is a
        string join. Any data change invalidates the prefetched rows (they are keyed by all table versions)."""
        if spec.aggregates:
            rows, total = self._aggregate(spec, scope)
            return orjson.dumps(rows).decode(), total
        hint: list = []
        page_rows, total = self.page_rows(spec, scope, hint)
        names = (tuple(spec.fields), extra)
        versions = self.versions()
        js = None
        pf = self._prefetched
        if self.prefetch and pf is not None and pf[0] == versions and pf[1] == spec.path and pf[2] == names and page_rows:
            cached = pf[3]
            if all(r in cached for r in page_rows):
                js = "[" + ",".join([cached[r] for r in page_rows]) + "]"
                self.prefetch_hits += 1
        if js is None:
            js = self.store.json_rows(spec.path, page_rows, spec.fields, extra)
        if page_rows:
            self._last_served = page_rows[-1]
        if self.prefetch and hint and len(page_rows) == spec.size:
            self._schedule_prefetch((versions, spec.path, names, *hint[0], page_rows[-1], spec.size))
        return js, total

    def versions(self) -> tuple:
        return tuple(t.version for t in self.store.tables.values())

    def _schedule_prefetch(self, job: tuple) -> None:
        if self._pf_thread is None:
            self._pf_thread = threading.Thread(target=self._prefetch_loop, name="sandbox-prefetch", daemon=True)
            self._pf_thread.start()
        try:
            self._pf_queue.get_nowait()  # only the latest scan position matters
        except queue.Empty:
            pass
        self._pf_queue.put(job)

    def _prefetch_loop(self) -> None:
        while True:
            job = self._pf_queue.get()
            if job is None:
                return
            try:
                self._prefetch_one(job)
            except Exception:  # pragma: no cover - prefetch is an optimisation; never let it die
                self._prefetched = None

    def _prefetch_one(self, job: tuple) -> None:
        versions, path, names, arr, is_comp, desc, last_row, size = job
        with self.lock:
            if self.versions() != versions or self._last_served != last_row:
                return  # data changed, or the client already fetched that page (we lost the race)
            last = composite(self.store.table(path).cols[MOD][last_row], last_row) if is_comp else last_row
            if desc:
                j = bisect_left(arr, last)
                seg = list(reversed(arr[max(0, j - size): j]))
            else:
                j = bisect_right(arr, last)
                seg = list(arr[j: j + size])
            rows = [(c & KMASK) - 1 for c in seg] if is_comp else seg
            if rows:
                texts = self.store.json_row_texts(path, rows, list(names[0]), names[1])
                self._prefetched = (versions, path, names, dict(zip(rows, texts, strict=True)))

    def close(self) -> None:
        """Stop the prefetch thread (it restarts on demand)."""
        if self._pf_thread is not None:
            try:
                self._pf_queue.get_nowait()
            except queue.Empty:
                pass
            self._pf_queue.put(None)
            self._pf_thread.join(timeout=5)
            self._pf_thread = None

    def page_rows(self, spec: QuerySpec, scope: Scope, hint: list | None = None) -> tuple[list[int], int]:
        page = self._fast(spec, scope, hint)
        if page is None:
            self.slow_hits += 1
            ordered = self._slow_ordered(spec, scope)
            return list(ordered[spec.start - 1: spec.start - 1 + spec.size]), len(ordered)
        self.fast_hits += 1
        return page

    # -- fast path ----------------------------------------------------------------------------------------
    def _fast(self, spec: QuerySpec, scope: Scope, hint: list | None = None):
        t = self.store.table(spec.path)
        order = spec.order
        if spec.collation == "text" and (any(f.field == "key" for f in spec.filters)
                                         or any(o[0] == "key" for o in order)):
            return None  # the indexes are in numeric key order
        if t.odef.has_audit and order and order[0][0] == MOD and (
                len(order) == 1 or (len(order) == 2 and order[1] == ("key", order[0][1]))):
            res = self._intervals(spec.expr, spec.filters)
            if res is None:
                return None
            kind, ivs = res
            if kind == "K":
                if ivs != [(0, KMASK + 1)]:
                    return None
                ivs = [(NEG_INF, POS_INF)]
            arr = self.indexes.composites(spec.path, scope)
            spans = [(bisect_left(arr, lo), bisect_left(arr, hi)) for lo, hi in ivs]
            rows = _take(arr, spans, spec.start, spec.size, order[0][1])
            if hint is not None:
                hint.append((arr, True, order[0][1]))
            return [(c & KMASK) - 1 for c in rows], sum(b - a for a, b in spans)
        if not order or (len(order) == 1 and order[0][0] == "key"):
            res = self._intervals(spec.expr, spec.filters, key_only=True)
            if res is None:
                return None
            _, kivs = res
            arr = self.indexes.visible_rows(spec.path, scope)
            spans = [(bisect_left(arr, lo - 1), bisect_left(arr, hi - 1)) for lo, hi in kivs]
            desc = bool(order and order[0][1])
            rows = _take(arr, spans, spec.start, spec.size, desc)
            if hint is not None:
                hint.append((arr, False, desc))
            return list(rows), sum(b - a for a, b in spans)
        return None

    def _intervals(self, node, filters: list[Filter], key_only: bool = False):
        """("I", composite intervals) | ("K", key intervals) | None when not expressible."""
        if node is None:
            return ("K", [(0, KMASK + 1)])
        if isinstance(node, int):
            f = filters[node - 1]
            if f.field == "key":
                ki = _key_intervals(f)
                return None if ki is None else ("K", ki)
            if f.field == MOD and not key_only and f.acc.kind == "datetime":
                ci = _mod_intervals(f)
                return None if ci is None else ("I", ci)
            return None
        op, kids = node
        parts = [self._intervals(k, filters, key_only) for k in kids]
        if any(p is None for p in parts):
            return None
        acc = parts[0]
        for p in parts[1:]:
            acc = _combine(op, acc, p)
            if acc is None:
                return None
        return acc

    # -- general path -------------------------------------------------------------------------------------
    def _matching_rows(self, spec: QuerySpec, scope: Scope) -> list[int]:
        rows = list(self.indexes.visible_rows(spec.path, scope))
        if spec.expr is None:
            return rows
        masks: dict[int, list[bool]] = {}
        for i, f in enumerate(spec.filters, 1):
            vals = f.acc.raw(rows)
            if f.acc.kind == "key" and spec.collation == "text":
                vals = [None if v is None else str(v) for v in vals]
            masks[i] = _mask(f, vals, spec.case_sensitive)
        mask = _eval(spec.expr, masks)
        return [r for r, m in zip(rows, mask, strict=False) if m]

    def _slow_ordered(self, spec: QuerySpec, scope: Scope) -> array:
        # any table may matter (filters/sorts on related fields read the target tables)
        ck = (spec.cache_key, scope.cache_key, tuple(t.version for t in self.store.tables.values()))
        hit = self._cache.get(ck)
        if hit is not None:
            self._cache.move_to_end(ck)
            return hit
        rows = self._matching_rows(spec, scope)
        rows = self._sort(spec.path, rows, spec.order, spec.collation)
        result = array("i", rows)
        self._cache[ck] = result
        while len(self._cache) > 8:
            self._cache.popitem(last=False)
        return result

    def _sort(self, path: str, rows: list[int], order: list[tuple[str, bool]], collation: str = "numeric"
              ) -> list[int]:
        order = [o for o in order if o[0] != "key"] + [o for o in order if o[0] == "key"][:1]
        if not any(o[0] == "key" for o in order):
            order = order + [("key", False)]
        idx = list(range(len(rows)))
        text = collation == "text"
        for fname, desc in reversed(order):
            if fname == "key":
                vals = [str(r + 1) for r in rows] if text else rows
                idx.sort(key=vals.__getitem__, reverse=desc)
                continue
            acc = self.store.accessor(path, fname)
            vals = acc.raw(rows)
            if text and acc.kind == "key":
                vals = [None if v is None else str(v) for v in vals]
            keys = [(v is not None, v) if v is not None else (False, 0) for v in vals]
            idx.sort(key=keys.__getitem__, reverse=desc)
        return [rows[i] for i in idx]

    # -- aggregates ---------------------------------------------------------------------------------------
    def _aggregate(self, spec: QuerySpec, scope: Scope):
        if spec.fields == ["count:key"] and spec.expr is None:  # "how many rows?" -- no scan needed
            return [{"count:key": len(self.indexes.visible_rows(spec.path, scope))}][spec.start - 1: spec.start], 1
        rows = self._matching_rows(spec, scope)
        agg_names = {a[0] for a in spec.aggregates}
        group_fields = [f for f in spec.fields if f not in agg_names]
        gvals = [self.store.accessor(spec.path, g).render(rows) for g in group_fields]
        avals = {a[0]: self.store.accessor(spec.path, a[2]).raw(rows) for a in spec.aggregates}
        groups: dict[tuple, list[int]] = {}
        for i, key in enumerate(zip(*gvals, strict=False) if gvals else (() for _ in rows)):
            groups.setdefault(key, []).append(i)
        if not group_fields and not groups:
            groups[()] = []
        out = []
        for key, members in groups.items():
            rec = dict(zip(group_fields, key, strict=False))
            for name, func, fname in spec.aggregates:
                kind = self.store.accessor(spec.path, fname).kind
                vals = [avals[name][i] for i in members]
                vals = [v for v in vals if v is not None]
                rec[name] = _agg(func, kind, vals, self.store, spec.path, fname)
            out.append(rec)
        for fname, desc in reversed(spec.order or [(g, False) for g in group_fields]):
            out.sort(key=lambda r, f=fname: (r.get(f) is not None, r.get(f) if r.get(f) is not None else 0),
                     reverse=desc)
        total = len(out)
        return out[spec.start - 1: spec.start - 1 + spec.size], total


def _num(v):
    """A Decimal aggregate as a JSON-friendly number."""
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v


def _agg(func: str, kind: str, vals: list, store: Store, path: str, fname: str):
    if func == "count":
        return len(vals)
    if not vals:
        return None
    if kind == "number":
        total = sum(vals)
        return _num({"min": min, "max": max}[func](vals) if func in ("min", "max")
                    else total if func == "sum" else total / len(vals))
    if func in ("min", "max"):
        v = min(vals) if func == "min" else max(vals)
        if kind == "money":
            return fmt_money(v)
        if kind == "key":
            return str(v)
        if kind == "date":
            return dt.date.fromordinal(v).isoformat()
        if kind == "datetime":
            return dt.datetime.fromtimestamp(v, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return v
    total = sum(vals)
    if func == "sum":
        return fmt_money(total) if kind == "money" else total
    avg = total / len(vals)
    return fmt_money(round(avg)) if kind == "money" else avg


def _take(arr, spans, start: int, size: int, desc: bool) -> list:
    out: list = []
    skip = start - 1
    seq = reversed(spans) if desc else spans
    for a, b in seq:
        n = b - a
        if n <= 0:
            continue
        if skip >= n:
            skip -= n
            continue
        need = size - len(out)
        if desc:
            hi = b - skip
            lo = max(a, hi - need)
            out.extend(reversed(arr[lo:hi]))
        else:
            lo = a + skip
            out.extend(arr[lo: min(b, lo + need)])
        skip = 0
        if len(out) >= size:
            break
    return out


def _norm(ivs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    ivs = sorted((a, b) for a, b in ivs if a < b)
    out: list[list[int]] = []
    for a, b in ivs:
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def _intersect(x, y):
    out = []
    for a, b in x:
        for c, d in y:
            lo, hi = max(a, c), min(b, d)
            if lo < hi:
                out.append((lo, hi))
    return _norm(out)


def _complement(ivs, lo_all, hi_all):
    out = []
    cur = lo_all
    for a, b in ivs:
        if a > cur:
            out.append((cur, a))
        cur = max(cur, b)
    if cur < hi_all:
        out.append((cur, hi_all))
    return out


def _combine(op: str, x, y):
    (kx, ix), (ky, iy) = x, y
    if kx == ky:
        return (kx, _intersect(ix, iy) if op == "and" else _norm(ix + iy))
    i_part, k_part = (ix, iy) if kx == "I" else (iy, ix)
    if k_part == [(0, KMASK + 1)]:
        return ("I", i_part) if op == "and" else ("I", [(NEG_INF, POS_INF)])
    if not k_part:
        return ("I", []) if op == "and" else ("I", i_part)
    if op == "or":
        return None
    out = []
    for lo, hi in i_part:
        if lo <= NEG_INF // 2 or hi >= POS_INF // 2:
            return None
        sec = lo >> SHIFT
        if (hi - 1) >> SHIFT != sec:
            return None
        base = sec << SHIFT
        out += _intersect([(base + a, base + b) for a, b in k_part], [(lo, hi)])
    return ("I", _norm(out))


def _key_intervals(f: Filter):
    v = f.value
    full = [(0, KMASK + 1)]
    op = f.op

    def clamp(x):
        return max(0, min(KMASK + 1, x))

    if op in ("$eq", "$ne"):
        if v is None:
            return [] if op == "$eq" else full
        eq = [(clamp(v), clamp(v + 1))]
        return _norm(eq) if op == "$eq" else _complement(_norm(eq), 0, KMASK + 1)
    if op == "$gt":
        return [(clamp(v + 1), KMASK + 1)]
    if op == "$gte":
        return [(clamp(v), KMASK + 1)]
    if op == "$lt":
        return _norm([(0, clamp(v))])
    if op == "$lte":
        return _norm([(0, clamp(v + 1))])
    if op in LIST_OPS:
        eq = _norm([(clamp(x), clamp(x + 1)) for x in v if x is not None])
        return eq if op == "$in" else _complement(eq, 0, KMASK + 1)
    if op in RANGE_OPS:
        lo, hi = v
        if lo is None or hi is None:
            return None
        r = _norm([(clamp(lo), clamp(hi + 1))])
        return r if op == "$between" else _complement(r, 0, KMASK + 1)
    return None


def _mod_intervals(f: Filter):
    v = f.value
    op = f.op

    def c(sec):
        return (int(sec) - BASE_EPOCH) << SHIFT

    if isinstance(v, DateRange) or (isinstance(v, tuple) and any(isinstance(x, DateRange) for x in v)):
        return None
    if op in ("$eq", "$ne"):
        if v is None:  # null modifiedDateTime: its own band below every instant
            return [(NEG_INF, NONNULL_LO)] if op == "$eq" else [(NONNULL_LO, POS_INF)]
        eq = [(c(v), c(v + 1))] if float(v).is_integer() else []
        return eq if op == "$eq" else _complement(eq, NEG_INF, POS_INF)
    if op == "$gt":
        return [(max(NONNULL_LO, c(math.floor(v) + 1)), POS_INF)]
    if op == "$gte":
        return [(max(NONNULL_LO, c(math.ceil(v))), POS_INF)]
    if op == "$lt":
        return _norm([(NONNULL_LO, c(math.ceil(v)))])
    if op == "$lte":
        return _norm([(NONNULL_LO, c(math.floor(v) + 1))])
    if op in LIST_OPS:
        eq = _norm([(c(x), c(x + 1)) for x in v if x is not None and float(x).is_integer()])
        return eq if op == "$in" else _complement(eq, NEG_INF, POS_INF)
    if op in RANGE_OPS:
        lo, hi = v
        if lo is None or hi is None:
            return None
        r = _norm([(max(NONNULL_LO, c(math.ceil(lo))), c(math.floor(hi) + 1))])
        return r if op == "$between" else _complement(r, NEG_INF, POS_INF)
    return None


def _mask(f: Filter, vals: list, case_sensitive: bool) -> list[bool]:
    op, x = f.op, f.value
    if not case_sensitive and f.acc.kind in ("string", "enum"):
        vals = [v.lower() if isinstance(v, str) else v for v in vals]
    if f.acc.kind == "key" and op in STRING_OPS:
        vals = [None if v is None else str(v) for v in vals]
    if isinstance(x, DateRange):
        lo, hi = x.lo, x.hi
        if op == "$eq":
            return [v is not None and lo <= v <= hi for v in vals]
        if op == "$ne":
            return [v is None or not (lo <= v <= hi) for v in vals]
        x = {"$lt": lo, "$lte": hi, "$gt": hi, "$gte": lo}[op]
    if op == "$eq":
        return [v is None for v in vals] if x is None else [v == x for v in vals]
    if op == "$ne":
        return [v is not None for v in vals] if x is None else [v != x for v in vals]
    if op == "$lt":
        return [v is not None and v < x for v in vals]
    if op == "$lte":
        return [v is not None and v <= x for v in vals]
    if op == "$gt":
        return [v is not None and v > x for v in vals]
    if op == "$gte":
        return [v is not None and v >= x for v in vals]
    if op in LIST_OPS:
        s = set(x)
        return [v in s for v in vals] if op == "$in" else [v not in s for v in vals]
    if op in RANGE_OPS:
        lo, hi = x
        inside = [v is not None and lo <= v <= hi for v in vals]
        return inside if op == "$between" else [not m for m in inside]
    if op == "$contains":
        return [v is not None and x in v for v in vals]
    if op == "$notContains":
        return [v is None or x not in v for v in vals]
    if op == "$startsWith":
        return [v is not None and v.startswith(x) for v in vals]
    if op == "$notStartsWith":
        return [v is None or not v.startswith(x) for v in vals]
    if op == "$endsWith":
        return [v is not None and v.endswith(x) for v in vals]
    if op == "$notEndsWith":
        return [v is None or not v.endswith(x) for v in vals]
    raise AssertionError(op)


def _eval(node, masks: dict[int, list[bool]]) -> list[bool]:
    if isinstance(node, int):
        return masks[node]
    op, kids = node
    res = _eval(kids[0], masks)
    for k in kids[1:]:
        other = _eval(k, masks)
        res = [a and b for a, b in zip(res, other, strict=False)] if op == "and" else [a or b for a, b in zip(res, other, strict=False)]
    return res
