"""HTTP client for the Intacct REST API: auth header, entity scoping, retries, throttling, error mapping.

One `requests.Session` per thread (keep-alive; sessions are not documented thread-safe). Bodies are parsed
with orjson. Nothing secret is logged or put into exceptions.
"""

from __future__ import annotations

import email.utils
import itertools
import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import orjson
import requests

from .auth import TokenProvider
from .errors import (
    IntacctAuthError,
    IntacctConfigError,
    IntacctError,
    IntacctPermissionError,
    IntacctTransientError,
    error_from_body,
    extract_error,
    message_id_of,
)
from .limiter import RequestLimiter
from .meter import ApiMeter

logger = logging.getLogger("intacct_dagster.intacct")

TOKEN_ERROR_CODES = frozenset({"tokenInvalid", "REST-2102", "GW-0031"})
THROTTLE_CODES = frozenset({"GW-0010"})
RETRY_AFTER_HEADERS = ("Retry-After", "X-IA-Throttle-Limit-RetryAfter", "X-IA-Hour-Rate-Limit-Retry-After",
                       "X-IA-TENANT-Throttle-Limit-Retry-After")


class IntacctClient:
    """`query(body)` returns one page, `model(path)` the object model; `request_count` counts HTTP attempts."""

    def __init__(
        self,
        base_url: str,
        auth: TokenProvider,
        entity_id: str | None = None,
        *,
        timeout: float | tuple[float, float] = (10.0, 300.0),
        max_attempts: int = 6,
        max_throttle_waits: int = 20,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        limiter: RequestLimiter | None = None,
        max_concurrent_requests: int = 4,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.entity_id = entity_id or None
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.max_throttle_waits = max_throttle_waits
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self._sleep = sleep
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()
        self._counter = itertools.count(1)
        self._count = 0
        self.meter = ApiMeter()
        self.latest_server_time: datetime | None = None  # the newest `Date` seen on any thread
        self.limiter = limiter or RequestLimiter(max_concurrent_requests)

    def __repr__(self) -> str:
        return f"IntacctClient(base_url={self.base_url!r}, entity_id={self.entity_id!r}, auth={self.auth!r})"

    @property
    def request_count(self) -> int:
        """HTTP requests sent to the API (including retries; token requests excluded)."""
        return self._count

    def query(self, body: dict[str, Any], decode: Callable[[bytes], Any] | None = None) -> Any:
        """One page of `POST /services/core/query`; returns the parsed body (`ia::result`, `ia::meta`).

        `decode(content)` may turn a successful body into something else directly (e.g. an arrow table
        without building Python objects); when it returns None the body is parsed and checked as usual."""
        return self.request("POST", "/services/core/query", json_body=body, decode=decode,
                            meter_key=(str(body.get("object", "")), "query"))

    def model(self, object_path: str | None = None) -> Any:
        """`GET /services/core/model?name=<path>`: the object model (fields, groups, refs, lists) as a dict;
        without a name, the list of every resource the company exposes."""
        params = {"name": object_path} if object_path else None
        body = self.request("GET", "/services/core/model", params=params, meter_key=(object_path or "", "model"))
        result = body.get("ia::result", body)
        if object_path is None:
            return result if isinstance(result, list) else []
        return result if isinstance(result, dict) else {}

    def server_time(self) -> datetime | None:
        """The server's clock (HTTP `Date` header) of the last answer received on this thread."""
        return getattr(self._local, "server_time", None)

    def close(self) -> None:
        with self._sessions_lock:
            for s in self._sessions:
                s.close()
            self._sessions.clear()
        self._local = threading.local()

    def __enter__(self) -> IntacctClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers.update({"Accept": "application/json", "Content-Type": "application/json"})
            self._local.session = session
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def request(self, method: str, path: str, json_body: Any = None, params: dict[str, Any] | None = None,
                decode: Callable[[bytes], Any] | None = None, meter_key: tuple[str, str] | None = None) -> Any:
        """Send with retries: 401/invalid-token -> re-mint once; 429 -> wait as told; 5xx/reset/bad JSON ->
        capped exponential backoff; other 4xx -> `IntacctError`."""
        url = self.base_url + path
        data = orjson.dumps(json_body) if json_body is not None else None
        failures = 0
        throttle_waits = 0
        reauthed = False
        last_error: str = ""
        while True:
            token = self.auth.token()
            headers = {"Authorization": f"Bearer {token}"}
            if self.entity_id:
                headers["X-IA-API-Param-Entity"] = self.entity_id
            self._count = next(self._counter)
            self.meter.count(*(meter_key or (path, "other")), retry=bool(failures or throttle_waits or reauthed))
            try:
                with self.limiter.slot():
                    started = time.monotonic()
                    try:
                        resp = self._session().request(method, url, data=data, params=params, headers=headers,
                                                       timeout=self.timeout)
                        content = resp.content
                    finally:
                        self.meter.busy(time.monotonic() - started)
            except (requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema,
                    requests.exceptions.InvalidURL) as exc:
                raise IntacctConfigError(
                    f"Intacct setting 'base_url' = {self.base_url!r} is not a valid URL ({type(exc).__name__}); "
                    "the default is https://api.intacct.com/ia/api/v1") from None
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:
                failures += 1
                last_error = _describe_transport_error(exc)
                self._drop_session()
                self._backoff_or_raise(failures, path, last_error, None)
                continue
            status = resp.status_code
            self._local.server_time = _http_date(resp.headers.get("Date"))
            if self._local.server_time is not None and (self.latest_server_time is None
                                                        or self._local.server_time > self.latest_server_time):
                self.latest_server_time = self._local.server_time
            if status < 400:
                self.limiter.succeeded(resp.headers)
            if decode is not None and 200 <= status < 300 and content:
                decoded = decode(content)
                if decoded is not None:
                    return decoded
            body: Any = None
            parse_failed = False
            if content:
                try:
                    body = orjson.loads(content)
                except orjson.JSONDecodeError:
                    parse_failed = True
            err = extract_error(body)
            code = str(err.get("code")) if err and err.get("code") is not None else None
            error_id = str(err.get("errorId")) if err and err.get("errorId") is not None else None

            if self._is_token_error(status, code, error_id, err, content):
                if reauthed:
                    raise error_from_body(status, body, path, IntacctAuthError)
                reauthed = True
                logger.info("intacct: access token rejected as invalid (HTTP %s %s); re-minting and retrying",
                            status, code or error_id or "")
                self.auth.invalidate(token)
                continue
            if status == 429 or code in THROTTLE_CODES:
                self.limiter.throttled()
                throttle_waits += 1
                if throttle_waits > self.max_throttle_waits:
                    raise error_from_body(status, body, path, IntacctTransientError)
                wait = self._throttle_wait(resp, throttle_waits)
                logger.info("intacct: throttled (HTTP %s %s) on %s; waiting %.1fs (attempt %d/%d)", status,
                            code or "", _where(path, meter_key), wait, throttle_waits, self.max_throttle_waits)
                self.meter.waited(wait)
                self._sleep(wait)
                continue
            if status >= 500:
                failures += 1
                last_error = f"HTTP {status}"
                self._backoff_or_raise(failures, path, last_error, body, status, resp)
                continue
            if 200 <= status < 300:
                if parse_failed or not isinstance(body, dict):
                    failures += 1
                    last_error = "truncated or invalid JSON body"
                    self._drop_session()
                    self._backoff_or_raise(failures, path, last_error, None, status)
                    continue
                if err is not None:
                    raise error_from_body(status, body, path)
                return body
            raise error_from_body(status, body, _where(path, meter_key),
                                  _error_class(status, code, error_id, message_id_of(err)))

    @staticmethod
    def _is_token_error(status: int, code: str | None, error_id: str | None, err: dict | None, content: bytes) -> bool:
        if status == 401:
            return True
        if code in TOKEN_ERROR_CODES or error_id in TOKEN_ERROR_CODES:
            return status in (400, 401, 403)
        if status == 400:
            text = (str(err.get("message", "")) if err else content[:2000].decode("utf-8", "replace")).lower()
            return "invalid token" in text or "token is not valid" in text or "token is invalid" in text
        return False

    def _throttle_wait(self, resp: requests.Response, attempt: int) -> float:
        backoff = min(self.backoff_cap_s, self.backoff_base_s * 2 ** (attempt - 1))
        told = retry_after(resp.headers)
        wait = max(told, backoff) if told is not None else backoff
        return min(wait, self.backoff_cap_s) * (1.0 + random.random() * 0.1)

    def _backoff_or_raise(self, failures: int, path: str, what: str, body: Any, status: int | None = None,
                          resp: requests.Response | None = None) -> None:
        if failures >= self.max_attempts:
            err = error_from_body(status, body, path, IntacctTransientError)
            err.message = f"giving up after {failures} attempts: {what}" + (f" ({err.message})" if err.message else "")
            err.args = (err._text(),)
            raise err
        wait = min(self.backoff_cap_s, self.backoff_base_s * 2 ** (failures - 1)) * (0.5 + random.random() / 2)
        told = retry_after(resp.headers) if resp is not None else None
        if told is not None:
            wait = min(self.backoff_cap_s, max(wait, told))
        logger.info("intacct: %s on %s; retrying in %.1fs (attempt %d/%d)", _server_error_text(what), path, wait,
                    failures, self.max_attempts)
        self.meter.waited(wait)
        self._sleep(wait)

    def _drop_session(self) -> None:
        """After a reset or a cut body the pooled connection is suspect: start a fresh session."""
        session = getattr(self._local, "session", None)
        if session is not None:
            session.close()
            self._local.session = None


PERMISSION_CODES = frozenset({"permissionDenied", "IA.MODULE_NOT_SUBSCRIBED", "IA.PERMISSION_DENIED"})


def _error_class(status: int, code: str | None, error_id: str | None, message_id: str | None) -> type[IntacctError]:
    """403, or a permission / module-not-subscribed code, is a permission problem: not retryable, and the
    other objects can still load."""
    if status == 403 or {code, error_id, message_id} & PERMISSION_CODES:
        return IntacctPermissionError
    return IntacctError


def _where(path: str, meter_key: tuple[str, str] | None) -> str:
    """`/services/core/query accounts-payable/vendor`: which object a query was for, in messages."""
    return f"{path} {meter_key[0]}" if meter_key and meter_key[0] else path


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed.astimezone(timezone.utc) if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _server_error_text(what: str) -> str:
    return f"server error {what}" if what.startswith("HTTP 5") else what


def _describe_transport_error(exc: Exception) -> str:
    """A log-friendly category (no URL query, no headers) for a failed exchange."""
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "incomplete/truncated response body (ChunkedEncodingError)"
    if isinstance(exc, requests.Timeout):
        return f"request timeout ({type(exc).__name__})"
    text = str(exc).lower()
    if "reset" in text or "aborted" in text or "remote end closed" in text:
        return f"connection reset/aborted ({type(exc).__name__})"
    return f"connection error ({type(exc).__name__})"


def retry_after(headers: Any) -> float | None:
    """Largest wait any of the retry-after headers asks for (seconds or HTTP date)."""
    best: float | None = None
    for name in RETRY_AFTER_HEADERS:
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            value = float(raw)
        except ValueError:
            try:
                value = email.utils.parsedate_to_datetime(raw).timestamp() - time.time()
            except (TypeError, ValueError):
                continue
        best = value if best is None else max(best, value)
    return None if best is None else max(0.0, best)


__all__ = ["IntacctClient", "IntacctError"]
