"""OAuth2 token providers: the token-refresh core that the Dagster resource wraps.

A provider hands out a valid access token (refreshed ahead of expiry) and forgets one the API rejected.
Providers are thread-safe; the refresh-token provider is also safe across processes via `TokenStore`.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from typing import Any, Protocol, runtime_checkable

import orjson
import requests

from .errors import IntacctAuthError, IntacctConfigError, IntacctError, IntacctTransientError, error_from_body
from .settings import DEFAULT_PREFIX, IntacctSettings, describe
from .token_store import TokenStore

logger = logging.getLogger("intacct_dagster.intacct")

DEFAULT_LIFETIME_S = 43_200  # Intacct access tokens last 12 h when expires_in is missing
MAX_MARGIN_S = 300.0


@runtime_checkable
class TokenProvider(Protocol):
    """What the HTTP client needs: a valid token, and a way to drop one the server rejected."""

    def token(self) -> str: ...

    def invalidate(self, token: str) -> None: ...


def refresh_margin(lifetime_s: float) -> float:
    """Refresh 5 min before expiry, or at 90% of the lifetime for short-lived tokens."""
    return min(MAX_MARGIN_S, 0.1 * max(lifetime_s, 0.0))


def parse_expires_in(value: Any) -> float:
    """`expires_in` arrives as int or string (unconfirmed which); fall back to 12 h."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return float(DEFAULT_LIFETIME_S)
    return seconds if seconds > 0 else float(DEFAULT_LIFETIME_S)


def _fingerprint(secret: str | None) -> str | None:
    return hashlib.sha256(secret.encode()).hexdigest()[:16] if secret else None


class StaticTokenAuth:
    """A token minted elsewhere; it cannot be refreshed, so a rejection is final."""

    def __init__(self, access_token: str, prefix: str = DEFAULT_PREFIX) -> None:
        if not access_token:
            raise IntacctConfigError(f"Intacct setting {describe('access_token', prefix)} is empty")
        self._token = access_token
        self._rejected = False

    def token(self) -> str:
        if self._rejected:
            raise IntacctAuthError(status=401, code="tokenInvalid", message="the static access token was rejected")
        return self._token

    def invalidate(self, token: str) -> None:
        if token == self._token:
            self._rejected = True

    def __repr__(self) -> str:
        return "StaticTokenAuth(access_token=***)"


class _MintingAuth:
    """Shared machinery: cache the token, re-mint under a lock when close to expiry or invalidated."""

    def __init__(self, token_url: str, client_id: str, client_secret: str, timeout_s: float = 30.0,
                 max_attempts: int = 6, session: requests.Session | None = None, backoff_cap_s: float = 60.0,
                 sleep: Any = time.sleep, prefix: str = DEFAULT_PREFIX) -> None:
        self.prefix = prefix
        for name, value in (("base_url", token_url), ("client_id", client_id), ("client_secret", client_secret)):
            if not value:
                raise IntacctConfigError(f"Intacct setting {describe(name, prefix)} is required")
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self._timeout_s = timeout_s
        self._max_attempts = max_attempts
        self._backoff_cap_s = backoff_cap_s
        self._sleep = sleep
        self.lost_answers = 0
        self._session = session or requests.Session()
        self._lock = threading.RLock()
        self._access_token: str | None = None
        self._expires_at = 0.0  # wall clock (time.time) so it can be shared through the token store
        self._refresh_at = 0.0
        self.mint_count = 0

    def token(self) -> str:
        with self._lock:
            if self._access_token and time.time() < self._refresh_at:
                return self._access_token
            return self._renew()

    def invalidate(self, token: str) -> None:
        with self._lock:
            if token and token == self._access_token:
                self._access_token = None
                self._refresh_at = 0.0

    def _renew(self) -> str:
        raise NotImplementedError

    def _set(self, access_token: str, expires_at: float, lifetime_s: float) -> str:
        self._access_token = access_token
        self._expires_at = expires_at
        self._refresh_at = expires_at - refresh_margin(lifetime_s)
        return access_token

    def _post_token(self, form: dict[str, str]) -> dict[str, Any]:
        """POST the grant form-encoded and return the answer; never echo the form in errors.

        Throttling (429) and overload (5xx) are waited out like any other call, honouring `Retry-After`; if
        they outlast the attempts the failure is transient (retryable), never "credentials rejected". A 4xx
        other than 429 is Intacct rejecting the grant."""
        payload = {"client_id": self.client_id, "client_secret": self._client_secret, **form}
        self.lost_answers = 0
        last: IntacctError | None = None
        for attempt in range(1, self._max_attempts + 1):
            try:
                resp = self._session.post(self.token_url, data=payload, timeout=self._timeout_s,
                                          headers={"Accept": "application/json"})
            except (requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema,
                    requests.exceptions.InvalidURL) as exc:
                raise IntacctConfigError(
                    f"Intacct setting {describe('base_url', self.prefix)} gives a token URL that is not a valid URL "
                    f"({type(exc).__name__}); the default is https://api.intacct.com/ia/api/v1") from None
            except requests.RequestException as exc:
                # the request may have reached Intacct and been answered: for a refresh grant the token
                # could already be rotated (see RefreshTokenAuth)
                self.lost_answers += 1
                last = IntacctTransientError(message=f"token endpoint unreachable ({type(exc).__name__})",
                                             path="/oauth2/token")
                self._wait(attempt, None, "token endpoint unreachable")
                continue
            self.mint_count += 1
            try:
                body = orjson.loads(resp.content) if resp.content else {}
            except orjson.JSONDecodeError:
                body = None
            if resp.status_code == 429 or resp.status_code >= 500 or (resp.ok and not isinstance(body, dict)):
                last = error_from_body(resp.status_code, body, "/oauth2/token", IntacctTransientError)
                if last.message is None:
                    last.with_message("token endpoint busy or failing")
                self._wait(attempt, resp, f"token endpoint answered HTTP {resp.status_code}")
                continue
            if not resp.ok:
                raise error_from_body(resp.status_code, body, "/oauth2/token", IntacctAuthError)
            if not body.get("access_token"):
                raise IntacctAuthError(status=resp.status_code, message="token response has no access_token",
                                       path="/oauth2/token")
            return body
        assert last is not None
        raise last.with_message(f"{last.message} (gave up after {self._max_attempts} attempts)")

    def _wait(self, attempt: int, resp: requests.Response | None, what: str) -> None:
        if attempt >= self._max_attempts:
            return
        from .client import retry_after  # local import: client imports this module

        backoff = min(self._backoff_cap_s, 0.5 * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)
        told = retry_after(resp.headers) if resp is not None else None
        wait = min(self._backoff_cap_s, max(backoff, told)) if told is not None else backoff
        logger.info("intacct: %s; waiting %.1fs before retrying (attempt %d/%d)", what, wait, attempt,
                    self._max_attempts)
        self._sleep(wait)


class ClientCredentialsAuth(_MintingAuth):
    """`grant_type=client_credentials` with `username=user@company[|entity]`; re-mints at will."""

    def __init__(self, token_url: str, client_id: str, client_secret: str, username: str, **kwargs: Any) -> None:
        super().__init__(token_url, client_id, client_secret, **kwargs)
        if not username:
            raise IntacctConfigError(f"Intacct setting {describe('username', self.prefix)} is required")
        self.username = username

    def _renew(self) -> str:
        body = self._post_token({"grant_type": "client_credentials", "username": self.username})
        lifetime = parse_expires_in(body.get("expires_in"))
        logger.info("intacct: minted access token (client credentials), valid %.0fs", lifetime)
        return self._set(body["access_token"], time.time() + lifetime, lifetime)

    def __repr__(self) -> str:
        return (f"ClientCredentialsAuth(token_url={self.token_url!r}, client_id={self.client_id!r}, "
                f"username={self.username!r}, client_secret=***)")


class RefreshTokenAuth(_MintingAuth):
    """`grant_type=refresh_token`; rotated refresh tokens and the current access token live in a
    `TokenStore` so several processes share one grant without burning each other's refresh token."""

    def __init__(self, token_url: str, client_id: str, client_secret: str, refresh_token: str | None,
                 token_store_path: str, **kwargs: Any) -> None:
        super().__init__(token_url, client_id, client_secret, **kwargs)
        if not token_store_path:
            raise IntacctConfigError(
                f"Intacct setting {describe('token_store', self.prefix)} is required with refresh_token")
        self.store = TokenStore(token_store_path)
        self._seed = refresh_token
        self._rejected: set[str] = set()

    def invalidate(self, token: str) -> None:
        with self._lock:
            fp = _fingerprint(token)
            if fp:
                self._rejected.add(fp)
            super().invalidate(token)

    def _renew(self) -> str:
        with self.store.lock():
            data = self.store.read()  # another process may have refreshed since we last looked
            seed_fp = _fingerprint(self._seed)
            if seed_fp and data.get("seed") != seed_fp:
                # a newly configured refresh token (new authorisation) supersedes whatever is stored
                data = {"seed": seed_fp, "refresh_token": self._seed}
            stored = data.get("access_token")
            expires_at = float(data.get("expires_at") or 0)
            lifetime = float(data.get("lifetime_s") or DEFAULT_LIFETIME_S)
            if (stored and _fingerprint(stored) not in self._rejected
                    and time.time() < expires_at - refresh_margin(lifetime)):
                return self._set(stored, expires_at, lifetime)
            refresh_token = data.get("refresh_token") or self._seed
            if not refresh_token:
                raise IntacctConfigError(
                    f"Intacct setting {describe('refresh_token', self.prefix)} is required: the token store "
                    f"{str(self.store.path)!r} holds none")
            try:
                body = self._post_token({"grant_type": "refresh_token", "refresh_token": refresh_token})
            except IntacctAuthError as exc:
                raise exc.with_message(self._rejection_advice(exc)) from None
            lifetime = parse_expires_in(body.get("expires_in"))
            expires_at = time.time() + lifetime
            self.store.write({
                "seed": data.get("seed") or seed_fp,
                "refresh_token": body.get("refresh_token") or refresh_token,
                "access_token": body["access_token"],
                "expires_at": expires_at,
                "lifetime_s": lifetime,
            })
            rotated = bool(body.get("refresh_token")) and body.get("refresh_token") != refresh_token
            logger.info("intacct: refreshed access token (refresh token %s), valid %.0fs",
                        "rotated" if rotated else "unchanged", lifetime)
            return self._set(body["access_token"], expires_at, lifetime)

    def _rejection_advice(self, exc: IntacctAuthError) -> str:
        """Why a refresh token is refused, and how to re-authorise (never the token itself)."""
        how = ("Re-authorise the application (authorization-code flow with scope offline_access), set "
               f"{describe('refresh_token', self.prefix)} to the new refresh token and delete the token store "
               f"{str(self.store.path)!r}.")
        if self.lost_answers:
            return (f"Intacct refused the refresh token ({exc.message or exc.code}) after an earlier refresh "
                    "request got no answer: Intacct most likely rotated the refresh token on that request and the "
                    f"new one was lost in transit, so the stored one is dead. {how}")
        return (f"Intacct refused the refresh token ({exc.message or exc.code}): it was revoked, expired, or "
                f"superseded by a newer authorisation of the same user and company. {how}")

    def __repr__(self) -> str:
        return (f"RefreshTokenAuth(token_url={self.token_url!r}, client_id={self.client_id!r}, "
                f"token_store_path={str(self.store.path)!r}, client_secret=***, refresh_token=***)")


def token_claims(token: str | None) -> dict[str, Any]:
    """The claims of an Intacct JWT (`cnyId`, `entityId`, `userId`, ...), read without verifying the
    signature: used only to name the company a run belongs to. {} when the token is not a JWT."""
    import base64

    try:
        payload = str(token).split(".")[1]
        claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, orjson.JSONDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def auth_from_settings(settings: IntacctSettings) -> TokenProvider:
    """Pick the provider for the configured auth mode (static token > refresh token > client credentials)."""
    settings.validate()
    mode = settings.auth_mode
    if mode == "access_token":
        return StaticTokenAuth(settings.access_token or "", prefix=settings.prefix)
    if mode == "refresh_token":
        return RefreshTokenAuth(settings.token_url, settings.client_id or "", settings.client_secret or "",
                                settings.refresh_token, settings.token_store or "", prefix=settings.prefix)
    return ClientCredentialsAuth(settings.token_url, settings.client_id or "", settings.client_secret or "",
                                 settings.username or "", prefix=settings.prefix)
