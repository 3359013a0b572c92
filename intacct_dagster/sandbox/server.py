"""HTTP layer of the sandbox: stdlib ``ThreadingHTTPServer`` speaking HTTP/1.1 keep-alive under ``/ia/api/v1``.

Routing, authentication, entity headers, fault application and JSON (orjson) encoding live here; data work is
delegated to the ``Sandbox`` (control.py), the query engine and the token service. Responses go out in one
``sendall`` with ``TCP_NODELAY`` so multi-MB query pages are not delayed by Nagle/delayed-ACK.

The gateway (``_dispatch``): each API request bearing a valid token takes one of its company's (``cnyId``)
concurrent slots for as long as it runs; beyond ``options.concurrency_limit`` it is answered at once with 429
``GW-0010``. With a limit set, every answer carries ``X-IA-Throttle-Limit`` and ``X-IA-Throttle-Limit-Remaining``
(limit minus requests in flight when it is sent); 429s add ``X-IA-Throttle-Limit-RetryAfter`` and
``Retry-After``. The simulated latency (``options.latency_s + latency_per_row_s x rows``) is slept after the
answer is computed, outside the data lock, before it is sent. The token endpoint is not counted against the
limit (no token yet) and has no latency unless ``latency_token``. Objects the API user may not use answer
403/400 (``Handler._denied``).

Every response carries an HTTP ``Date`` header from the *sandbox* clock (real time + ``advance_clock``), which
clients may use as the server's time. Bodies follow ``Sandbox.options.json_layout``: ``compact`` (as recorded
from the real API), ``pretty`` (indented; numbers and strings kept byte for byte) or ``meta_first``
(``ia::meta`` before ``ia::result``).
"""

from __future__ import annotations

import base64
import re
import socket
import struct
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

import orjson

from . import errors
from .models import object_model, resource_list
from .object_defs import OBJECTS_BY_PATH
from .query_engine import Indexes, QueryError, Scope, validate
from .tokens import OAuthError

if TYPE_CHECKING:
    from .control import Sandbox

PREFIX = "/ia/api/v1"
ADMIN = "/__sandbox__/"
MAX_KEYS = 500
LIST_PAGE = 100
EXTRA_ROW_KEY = '"API_QUERY_ALIAS__25":null'  # an unrequested key, as recorded on real invoice rows
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^"{}\[\],:\s]+')


def pretty_json(text: str) -> str:
    """Indent JSON text (2 spaces) at the token level: strings and numbers are kept exactly as they are."""
    out: list[str] = []
    level = 0
    toks = _JSON_TOKEN.findall(text)
    i, n = 0, len(toks)
    while i < n:
        t = toks[i]
        if t in ("{", "["):
            close = "}" if t == "{" else "]"
            if i + 1 < n and toks[i + 1] == close:
                out.append(t + close)
                i += 2
                continue
            level += 1
            out.append(t + "\n" + "  " * level)
        elif t in ("}", "]"):
            level -= 1
            out.append("\n" + "  " * level + t)
        elif t == ",":
            out.append(",\n" + "  " * level)
        elif t == ":":
            out.append(": ")
        else:
            out.append(t)
        i += 1
    return "".join(out)


def encode(body, layout: str) -> bytes:
    """A response body (dict/list, or JSON bytes already built) in the configured layout."""
    if isinstance(body, (bytes, bytearray)):
        return pretty_json(body.decode()).encode() if layout == "pretty" else bytes(body)
    if layout == "meta_first" and isinstance(body, dict) and "ia::meta" in body:
        body = {"ia::meta": body["ia::meta"], **{k: v for k, v in body.items() if k != "ia::meta"}}
    data = orjson.dumps(body)
    return pretty_json(data.decode()).encode() if layout == "pretty" else data


def request_kind(sub: str) -> str:
    """``token``, ``query``, ``model``, ``list`` (``/objects/<app>/<object>``), ``get`` (``.../<keys>``) or
    ``other``, for the latency model and the statistics."""
    if sub.startswith("/oauth2/"):
        return "token"
    if sub == "/services/core/query":
        return "query"
    if sub == "/services/core/model":
        return "model"
    if sub.startswith("/objects/"):
        n = len([p for p in sub[len("/objects/"):].split("/") if p])
        return {2: "list", 3: "get"}.get(n, "other")
    return "other"


class _Abort(Exception):
    """Response already handled (or deliberately not sent)."""


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, sandbox: Sandbox):
        super().__init__(addr, Handler)
        self.sandbox = sandbox


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "IntacctSandbox/1.0"
    server: SandboxHTTPServer

    def setup(self) -> None:
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        pass

    # ------------------------------------------------------------------------------------------ plumbing
    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PATCH(self):
        self._dispatch("PATCH")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def do_PUT(self):
        self._dispatch("PUT")

    def _send(self, status: int, body, headers: dict | None = None, truncate: bool = False) -> None:
        sb = self.server.sandbox
        data = encode(body, sb.options.json_layout)
        sb._record_status(status)
        if self._company is not None:  # the gateway's throttle headers, on every answer to a company's request
            headers = {**sb._throttle_headers(self._company, retry=status == 429), **(headers or {})}
            # the slot is free before the answer leaves: a client that keeps at most `limit` requests in
            # flight (counting from send to answer received) is never refused
            sb._leave(self._company)
            self._company = None
        lines = [f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}\r\n",
                 f"Date: {formatdate(sb._now_epoch(), usegmt=True)}\r\n",
                 "Content-Type: application/json\r\n", f"Content-Length: {len(data)}\r\n"]
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}\r\n")
        if self.close_connection or truncate:
            lines.append("Connection: close\r\n")
        lines.append("\r\n")
        head = "".join(lines).encode("latin-1")
        if truncate:
            self.wfile.write(head + data[: len(data) // 2])
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        else:
            self.wfile.write(head + data)
        self._responded = True

    def _reset(self) -> None:
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
        self._responded = True

    def _read_body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _dispatch(self, method: str) -> None:
        sb = self.server.sandbox
        self._responded = False
        self._company: str | None = None  # set while this request holds one of its company's concurrent slots
        self._rows = 0  # rows the answer carries (for the per-row latency)
        try:
            body = self._read_body()
            url = urlsplit(self.path)
            path = unquote(url.path)
            qs = {k: v[-1] for k, v in parse_qs(url.query).items()}
            if path.startswith(ADMIN) or path.startswith(PREFIX + ADMIN):
                return self._admin(method, path.split(ADMIN, 1)[1].strip("/"), qs, body)
            if not path.startswith(PREFIX + "/"):
                return self._send(404, errors.not_found(f"{path} is not a valid resource"))
            sub = path[len(PREFIX):]
            descriptor = f"{method} {sub}"
            parsed = None
            if sub == "/services/core/query" and body:
                try:
                    parsed = orjson.loads(body)
                except orjson.JSONDecodeError:
                    parsed = None
                if isinstance(parsed, dict) and isinstance(parsed.get("object"), str):
                    descriptor += f" object={parsed['object']}"
            kind = request_kind(sub)
            sb._count_request(descriptor, kind)
            company = self._company_of_request(kind)
            if company is not None:
                if not sb._enter(company):  # over the company's concurrency limit: 429 at once
                    return self._send(429, errors.gateway_error("GW-0010", "API rate limit exceeded"),
                                      sb._throttle_headers(company, retry=True))
                self._company = company
            try:
                fault = sb.faults.take(descriptor)
                truncate = False
                if fault is not None:
                    truncate = self._apply_fault(fault, sub, parsed)
                    if self._responded:
                        return
                status, payload, headers = self._route(method, sub, qs, body, parsed)
                if fault is not None and fault.kind == "reset_after":
                    return self._reset()  # the request was processed (a refresh token rotated): no answer
                delay = sb._latency(kind, self._rows)
                if delay > 0:  # the gateway's pace: sleep on this thread only, no lock held
                    time.sleep(delay)
                    sb._record_latency(delay)
                self._send(status, payload, headers, truncate=truncate)
            finally:
                if self._company is not None:
                    sb._leave(self._company)
        except _Abort:
            return
        except (ConnectionError, BrokenPipeError):
            self.close_connection = True
        except Exception as exc:  # pragma: no cover - last-resort 500 so clients see an HTTP error
            if not self._responded:
                try:
                    self._send(500, errors.rest_error("operationFailed", f"Sandbox internal error: {exc!r}",
                                                      "REST-1001", "IA.INTERNAL_ERROR"))
                except OSError:
                    self.close_connection = True
            raise

    def _company_of_request(self, kind: str) -> str | None:
        """The company (token ``cnyId``) an API request counts against; None for the token endpoint and for
        requests without a valid token (the gateway cannot attribute those; they are answered 401 anyway)."""
        if kind == "token":
            return None
        auth = self.headers.get("Authorization") or ""
        if not auth.startswith("Bearer "):
            return None
        claims = self.server.sandbox.tokens.validate(auth[7:].strip())
        return str(claims.get("cnyId")) if claims else None

    def _apply_fault(self, fault, sub: str, parsed) -> bool:
        sb = self.server.sandbox
        k, p = fault.kind, fault.params
        if k == "reset":
            self._reset()
        elif k == "slow":
            time.sleep(float(p.get("delay_s", 1.0)))
        elif k == "truncated":
            return True
        elif k == "throttle":
            ra = int(p.get("retry_after", 1))
            limit = sb.options.concurrency_limit
            self._send(429, errors.gateway_error("GW-0010", "API rate limit exceeded"),
                       {"X-IA-Throttle-Limit": str(limit or 8), "X-IA-Throttle-Limit-Remaining": "0",
                        "X-IA-Throttle-Limit-RetryAfter": str(ra), "Retry-After": str(ra)})
        elif k == "server_error":
            status = int(p.get("status", 500))
            body = errors.internal_error() if status == 500 else errors.gateway_error("GW-0001",
                                                                                      "Unable to process request")
            self._send(status, body)
        elif k == "token_invalid":
            self._send(401, errors.token_invalid())
        elif k == "token_invalid_400":
            self._send(400, errors.token_invalid_400())
        elif k == "gw_invalid_token":
            self._send(401, errors.gateway_error("GW-0031", "Invalid Token"))
        elif k == "edit_during_scan":
            obj = parsed.get("object") if isinstance(parsed, dict) else None
            if obj is None and sub.startswith("/objects/"):
                obj = "/".join(sub[len("/objects/"):].split("/")[:2])
            if obj in OBJECTS_BY_PATH and not OBJECTS_BY_PATH[obj].hidden:
                sb.modify(obj, int(p.get("n", 1)))
        return False

    # ------------------------------------------------------------------------------------------ routes
    def _route(self, method: str, sub: str, qs: dict, body: bytes, parsed):
        sb = self.server.sandbox
        if sub.startswith("/oauth2/"):
            if sub.rstrip("/") == "/oauth2/token" and method == "POST":
                return self._token(body)
            return 404, errors.gateway_error("GW-0033", "Invalid Token Endpoint"), None
        auth = self.headers.get("Authorization")
        if not auth or not auth.startswith("Bearer "):
            return 401, errors.gateway_error("GW-0034", "Invalid Authorization Header"), None
        claims = sb.tokens.validate(auth[7:].strip())
        if claims is None:
            return 401, errors.token_invalid(), None
        entity_id = (self.headers.get("X-IA-API-Param-Entity") or self.headers.get("X-IA-API-ParamEntity")
                     or claims.get("entityId") or None)
        entity_row = None
        if entity_id:
            entity_row = sb._entity_row(entity_id)
            if entity_row is None:
                return 400, errors.rest_error("invalidRequest", f"Entity {entity_id} is not valid", "REST-1043",
                                              "IA.INVALID_ENTITY", [errors.detail(f"Entity {entity_id} is not valid",
                                                                                  "X-IA-API-Param-Entity")]), None
        if sub == "/services/core/query":
            if method != "POST":
                return 405, self._method_not_allowed(method), {"Allow": "POST"}
            obj = parsed.get("object") if isinstance(parsed, dict) else None
            denied = self._denied(obj, "READ") if isinstance(obj, str) else None
            if denied is not None:
                return denied
            return self._query(body, parsed, entity_row)
        if sub == "/services/core/model":
            if method != "GET":
                return 405, self._method_not_allowed(method), {"Allow": "GET"}
            name = qs.get("name") or ""
            denied = self._denied(name[len("objects/"):] if name.startswith("objects/") else name, "MODEL")
            if denied is not None:
                return denied
            return self._model(qs)
        if sub.startswith("/objects/"):
            parts = [p for p in sub[len("/objects/"):].split("/") if p]
            if len(parts) in (2, 3):
                path = f"{parts[0]}/{parts[1]}"
                odef = OBJECTS_BY_PATH.get(path)
                if odef is None or odef.hidden:
                    return 404, errors.not_found(f"{path} is not a valid object", "/objects/" + path), None
                if method != "GET":
                    return 405, self._method_not_allowed(method), {"Allow": "GET"}
                denied = self._denied(path, "READ")
                if denied is not None:
                    return denied
                if len(parts) == 2:
                    return self._list(path, qs, entity_row)
                return self._get(path, parts[2], entity_row)
        return 404, errors.not_found(f"{sub} is not a valid resource", sub), None

    def _denied(self, path: str, operation: str):
        """The answer for an object this API user may not use, else None.

        * A forbidden object (``options.forbidden_objects``): HTTP 403 on query, list and GET. Its model IS
          served: the model service describes the company's object definitions (metadata), while permissions are
          granted per operation on records (Sage's permission text names the operation: "You do not have
          permission for API operation READ_BY_QUERY on objects of type arinvoice", error ``PL04000005``,
          recorded from the XML API; the REST API reports 403 "Authenticated user lacks permission to run the
          operation or access the target resource" per Sage's error-handling guide). Discovery therefore sees
          the object, and the first read fails -- what a loader must survive.
        * An object of an unsubscribed module (``options.unsubscribed_modules``): HTTP 400 on query, model, list
          and GET. The object exists in the API version (it is in Sage's OpenAPI, so the model list names it) but
          this company cannot use it at all, model included; a request naming it cannot succeed however often it
          is retried, like the query service's answer to any object it cannot serve (400). The text follows the
          XML API's recorded "Account allocation module is not subscribed". Exact REST codes: UNCONFIRMED.
        """
        sb = self.server.sandbox
        err = sb.access_error(path) if path in OBJECTS_BY_PATH else None
        if err == "unsubscribed":
            return 400, errors.not_subscribed(path), None
        if err == "forbidden" and operation != "MODEL":
            return 403, errors.permission_denied(path), None
        return None

    @staticmethod
    def _method_not_allowed(method: str) -> dict:
        return errors.rest_error("invalidRequest", f"Method {method} is not allowed on this resource", "REST-1005",
                                 "IA.METHOD_NOT_ALLOWED")

    def _token(self, body: bytes):
        sb = self.server.sandbox
        ctype = (self.headers.get("Content-Type") or "").lower()
        params: dict = {}
        if body:
            if "json" in ctype or body.lstrip()[:1] == b"{":
                try:
                    loaded = orjson.loads(body)
                except orjson.JSONDecodeError:
                    return 400, errors.gateway_error("GW-0032", "Invalid Token Payload"), None
                if not isinstance(loaded, dict):
                    return 400, errors.gateway_error("GW-0032", "Invalid Token Payload"), None
                params = {k: v for k, v in loaded.items()}
            else:
                for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items():
                    params[k] = v if len(v) > 1 else v[0]
        basic = None
        auth = self.headers.get("Authorization") or ""
        if auth.lower().startswith("basic "):
            try:
                cid, _, secret = base64.b64decode(auth[6:].strip()).decode().partition(":")
                basic = (unquote(cid), unquote(secret))
            except (ValueError, UnicodeDecodeError):
                return 401, errors.gateway_error("GW-0011", "Invalid Request"), None
        try:
            return 200, sb.tokens.token_request(params, basic), {"Cache-Control": "no-store"}
        except OAuthError as e:
            body = errors.gateway_error(e.code, e.message) if e.code.startswith("GW-") else {
                "ia::error": {"code": e.code, "message": e.message, "errorId": "REST-2102" if e.code == "tokenInvalid"
                              else "REST-1064", "supportId": errors.support_id()}}
            body["error"] = e.oauth_error
            body["error_description"] = e.message
            return e.status, body, None

    def _query(self, body: bytes, parsed, entity_row):
        sb = self.server.sandbox
        if not body:
            return 400, errors.rest_error("invalidRequest", "A POST request requires a payload", "REST-1028",
                                          "IA.REQUEST_REQUIRES_A_PAYLOAD", placeholders={"OPERATION": "POST"}), None
        if parsed is None:
            try:
                parsed = orjson.loads(body)
            except orjson.JSONDecodeError:
                return 400, errors.invalid_request([errors.detail("Request body is not valid JSON", "/",
                                                                  "REST-1064", "IA.INVALID_JSON")]), None
        opts = sb.options
        try:
            with sb._lock:
                today = sb._today_ordinal()
                spec = validate(parsed, sb.store, today, opts.key_collation)
                scope = Scope(entity_row, spec.include_private)
                ckey = (body, scope.cache_key, tuple(t.version for t in sb.store.tables.values()), today,
                        opts.key())
                hit = sb._page_cache.get(ckey)
                if hit is not None:  # a retried page (after a fault or a client timeout)
                    self._rows = hit[1]
                    return 200, hit[0], None
                extra = EXTRA_ROW_KEY if opts.extra_row_keys and not spec.aggregates else ""
                rows_json, total = sb.engine.run_json(spec, scope, extra)
                self._rows = max(0, min(spec.size, total - spec.start + 1))
        except QueryError as e:
            return 400, errors.query_errors(e.details), None
        start, size = spec.start, spec.size
        meta = {"totalCount": total, "start": start, "pageSize": size,
                "next": start + size if start - 1 + size < total else None,
                "previous": max(1, start - size) if start > 1 else None}
        meta_js = orjson.dumps(meta).decode()
        if opts.json_layout == "meta_first":
            out = ('{"ia::meta":' + meta_js + ',"ia::result":' + rows_json + "}").encode()
        else:
            out = ('{"ia::result":' + rows_json + ',"ia::meta":' + meta_js + "}").encode()
        with sb._lock:
            sb._page_cache[ckey] = (out, self._rows)
            while len(sb._page_cache) > 4:
                sb._page_cache.pop(next(iter(sb._page_cache)))
        return 200, out, None

    def _model(self, qs: dict):
        name = qs.get("name")
        if not name:
            res = resource_list()
            return 200, {"ia::result": res, "ia::meta": {"totalCount": len(res), "totalSuccess": len(res),
                                                          "totalError": 0}}, None
        path = name[len("objects/"):] if name.startswith("objects/") else name
        odef = OBJECTS_BY_PATH.get(path)
        if odef is None or odef.hidden:
            return 404, errors.not_found(f"Model {name} was not found", "name"), None
        return 200, {"ia::result": object_model(self.server.sandbox.store.table(path).odef),
                     "ia::meta": {"totalCount": 1, "totalSuccess": 1, "totalError": 0}}, None

    def _list(self, path: str, qs: dict, entity_row):
        sb = self.server.sandbox
        try:
            start = int(qs.get("start", 1))
            size = int(qs.get("size", LIST_PAGE))
        except ValueError:
            return 400, errors.invalid_request([errors.detail("start and size must be integers", "start")]), None
        if start < 1 or not 1 <= size <= LIST_PAGE:
            return 400, errors.invalid_request([errors.detail(f"start must be >= 1 and size 1..{LIST_PAGE}",
                                                              "size")]), None
        with sb._lock:
            vis = sb.engine.indexes.visible_rows(path, Scope(entity_row, False))
            total = len(vis)
            rows = list(vis[start - 1: start - 1 + size])
            res = sb.store.object_refs(path, rows)
        self._rows = len(res)
        meta = {"totalCount": total, "start": start, "pageSize": size,
                "next": start + size if start - 1 + size < total else None,
                "previous": max(1, start - size) if start > 1 else None}
        return 200, {"ia::result": res, "ia::meta": meta}, None

    def _get(self, path: str, keys_part: str, entity_row):
        sb = self.server.sandbox
        keys = [k.strip() for k in keys_part.split(",") if k.strip()]
        if not keys or len(keys) > MAX_KEYS:
            return 400, errors.invalid_request([errors.detail(f"Between 1 and {MAX_KEYS} keys per request",
                                                              "key")]), None
        with sb._lock:
            t = sb.store.table(path)
            vis = Indexes.visible_fn(t, Scope(entity_row, True))
            rows, missing = [], []
            for k in keys:
                r = t.row_of_key(k)
                if r is None or not vis(r):
                    missing.append(k)
                else:
                    rows.append(r)
            if missing:
                return 404, errors.not_found(f"{path} with key {','.join(missing)} was not found",
                                             ",".join(missing)), None
            recs = sb.store.full_records(path, rows)
        n = self._rows = len(recs)
        result = recs[0] if len(keys) == 1 else recs
        return 200, {"ia::result": result, "ia::meta": {"totalCount": n, "totalSuccess": n, "totalError": 0}}, None

    # ------------------------------------------------------------------------------------------ admin
    def _admin(self, method: str, action: str, qs: dict, body: bytes) -> None:
        sb = self.server.sandbox
        if self.headers.get("X-Sandbox-Admin") != sb.admin_token:
            return self._send(403, errors.gateway_error("GW-0042", "Forbidden: X-Sandbox-Admin header required"))
        try:
            args = orjson.loads(body) if body else {}
        except orjson.JSONDecodeError:
            return self._send(400, {"error": "body must be JSON"})
        args = {**qs, **(args if isinstance(args, dict) else {})}
        try:
            result = sb._admin_call(action, args)
        except KeyError as e:
            return self._send(404, {"error": f"unknown admin action or object: {e}"})
        except (ValueError, TypeError) as e:
            return self._send(400, {"error": str(e)})
        self._send(200, {"result": result})
