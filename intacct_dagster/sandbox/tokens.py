"""OAuth 2.0 token service of the sandbox: grants, JWT-like access tokens, refresh rotation, expiry.

Access tokens look like real Intacct JWTs (``header.payload.signature``, base64url, HS256 with a per-sandbox
random secret) carrying ``clientId, cnyId, userId, entityId, exp, iat, iss, sub``. Expiry is judged against the
*sandbox* clock, so ``advance_clock(43200)`` expires tokens just like waiting 12 hours would. Refresh tokens
rotate: each use returns a new one and invalidates the old one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
import uuid
from dataclasses import dataclass

import orjson

CLIENT_ID = "sandbox-client-id"
CLIENT_SECRET = "sandbox-client-secret"
COMPANY_ID = "SANDBOX"
USER_ID = "ws_user"
USERNAME = f"{USER_ID}@{COMPANY_ID}"
ISSUER = "https://api.intacct.com"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class OAuthError(Exception):
    """Token endpoint failure: HTTP status + gateway/OAuth code + message."""

    def __init__(self, status: int, code: str, message: str, oauth_error: str = "invalid_request"):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.oauth_error = oauth_error


@dataclass
class Grant:
    user: str
    company: str
    entity: str | None
    client_id: str


class TokenService:
    def __init__(self, clock, lifetime_s: int = 43_200, entity_ids: set[str] | None = None,
                 company_id: str = COMPANY_ID):
        self._clock = clock  # () -> epoch seconds (float)
        self.company_id = company_id
        self.lifetime_s = lifetime_s
        self._secret = os.urandom(32)
        self._lock = threading.Lock()
        self._generation = 0  # expire_tokens() bumps it; tokens carry the generation they were minted in
        self._refresh: dict[str, Grant] = {}
        self._codes: dict[str, Grant] = {}
        self.entity_ids = entity_ids or set()

    # ------------------------------------------------------------------------------------------ grants
    def token_request(self, params: dict, basic_auth: tuple[str, str] | None) -> dict:
        """Handle one POST /oauth2/token (params already decoded from form or JSON; lists = repeated keys)."""
        if not params and basic_auth is None:
            raise OAuthError(400, "GW-0035", "Missing Token Payload")
        for name, code, msg in (("client_id", "GW-0038", "Multiple Client IDs"),
                                ("username", "GW-0039", "Multiple Usernames")):
            if isinstance(params.get(name), list):
                raise OAuthError(400, code, msg)
        grant_type = params.get("grant_type")
        if grant_type not in ("client_credentials", "refresh_token", "authorization_code"):
            raise OAuthError(400, "GW-0032", "Invalid Token Payload", "unsupported_grant_type")
        client_id, client_secret = params.get("client_id"), params.get("client_secret")
        if basic_auth is not None:
            client_id, client_secret = basic_auth
        if not client_id:
            raise OAuthError(400, "GW-0037", "Missing Client ID")
        if client_id != CLIENT_ID or not hmac.compare_digest(str(client_secret or ""), CLIENT_SECRET):
            raise OAuthError(401, "GW-0011", "Invalid Request: client authentication failed", "invalid_client")
        if grant_type == "client_credentials":
            if "username" not in params:
                raise OAuthError(400, "GW-0036", "Missing User Name")
            grant = self._parse_username(params.get("username"), client_id)
        elif grant_type == "refresh_token":
            rt = params.get("refresh_token")
            if not rt:
                raise OAuthError(400, "GW-0015", "Missing refresh_token Attribute")
            with self._lock:
                grant = self._refresh.pop(str(rt), None)
            if grant is None:
                raise OAuthError(401, "tokenInvalid", "Token is not valid", "invalid_grant")
            ent = params.get("entity_id")
            if ent:
                if ent not in self.entity_ids:
                    raise OAuthError(400, "invalidRequest", f"Unknown entity {ent}", "invalid_request")
                grant = Grant(grant.user, grant.company, str(ent), grant.client_id)
        else:
            code = params.get("code")
            with self._lock:
                grant = self._codes.pop(str(code or ""), None)
            if grant is None:
                raise OAuthError(400, "invalidRequest", "Authorization code is invalid or was already used",
                                 "invalid_grant")
        return self._issue(grant)

    def _parse_username(self, username, client_id: str) -> Grant:
        if not username or not str(username).strip():
            raise OAuthError(400, "GW-0036", "Missing User Name")
        username = str(username)
        if "@" not in username or not username.split("@", 1)[1].split("|", 1)[0]:
            raise OAuthError(400, "GW-0012", "Missing Tenant Data")
        user, rest = username.split("@", 1)
        company, _, entity = rest.partition("|")
        if user != USER_ID or company != self.company_id:
            raise OAuthError(401, "GW-0011", "Invalid Request: unknown user or company", "invalid_grant")
        if entity and entity not in self.entity_ids:
            raise OAuthError(401, "GW-0011", f"Invalid Request: unknown entity {entity}", "invalid_grant")
        return Grant(user, company, entity or None, client_id)

    def _issue(self, grant: Grant) -> dict:
        now = int(self._clock())
        with self._lock:
            gen = self._generation
        claims = {"clientId": grant.client_id, "cnyId": grant.company, "cnyKey": "1001", "userId": grant.user,
                  "userKey": "7", "entityId": grant.entity or "", "sessionId": uuid.uuid4().hex, "gen": gen,
                  "iat": now, "exp": now + self.lifetime_s, "iss": ISSUER, "sub": f"{grant.user}@{grant.company}",
                  "aud": "intacct"}
        refresh = self._mint_refresh(grant)
        return {"token_type": "Bearer", "access_token": self._sign(claims), "expires_in": self.lifetime_s,
                "refresh_token": refresh}

    def _mint_refresh(self, grant: Grant) -> str:
        rt = self._sign({"typ": "refresh", "jti": uuid.uuid4().hex, "sub": f"{grant.user}@{grant.company}"})
        with self._lock:
            self._refresh[rt] = grant
        return rt

    def issue_refresh_token(self, entity: str | None = None) -> str:
        return self._mint_refresh(Grant(USER_ID, self.company_id, entity, CLIENT_ID))

    def issue_auth_code(self, entity: str | None = None) -> str:
        code = uuid.uuid4().hex
        with self._lock:
            self._codes[code] = Grant(USER_ID, self.company_id, entity, CLIENT_ID)
        return code

    def expire_all(self) -> None:
        with self._lock:
            self._generation += 1

    # ------------------------------------------------------------------------------------------ tokens
    def _sign(self, claims: dict) -> str:
        header = _b64(orjson.dumps({"alg": "HS256", "typ": "JWT"}))
        payload = _b64(orjson.dumps(claims))
        sig = hmac.new(self._secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64(sig)}"

    def validate(self, token: str) -> dict | None:
        """Claims of a valid access token, else None (unknown, tampered, expired or expired by admin)."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        expected = hmac.new(self._secret, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        try:
            if not hmac.compare_digest(_unb64(parts[2]), expected):
                return None
            claims = orjson.loads(_unb64(parts[1]))
        except (ValueError, orjson.JSONDecodeError):
            return None
        if claims.get("typ") == "refresh" or "exp" not in claims:
            return None
        if claims["exp"] <= self._clock():
            return None
        with self._lock:
            if claims.get("gen") != self._generation:
                return None
        return claims
