"""Connection settings for the Intacct REST API, read from arguments, env vars or dlt secrets.

Secret fields are excluded from the dataclass repr so settings can be logged or shown safely.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from .errors import IntacctConfigError

DEFAULT_BASE_URL = "https://api.intacct.com/ia/api/v1"
ENV_PREFIX = "INTACCT_"
SECRET_FIELDS = frozenset({"client_secret", "refresh_token", "access_token"})
_TRUE = {"1", "true", "yes", "on"}
# Env var names that are not simply INTACCT_<FIELD> (kept short where users type them).
_ENV_NAMES = {"token_store_path": "INTACCT_TOKEN_STORE"}


def env_name(field_name: str) -> str:
    """The environment variable that sets `field_name`."""
    return _ENV_NAMES.get(field_name, ENV_PREFIX + field_name.upper())


@dataclass
class IntacctSettings:
    """Where and how to authenticate. Exactly one auth mode is chosen by `auth_mode`."""

    base_url: str = DEFAULT_BASE_URL
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    username: str | None = None
    refresh_token: str | None = field(default=None, repr=False)
    access_token: str | None = field(default=None, repr=False)
    token_store_path: str | None = None
    entity_id: str | None = None
    include_private: bool = False

    def __repr__(self) -> str:
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in SECRET_FIELDS:
                value = "***" if value else None
            shown.append(f"{f.name}={value!r}")
        return f"IntacctSettings({', '.join(shown)})"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, use_dlt_secrets: bool = True, **overrides):
        """Read `INTACCT_<FIELD>` env vars, falling back to dlt config/secrets `sources.intacct.<field>`.

        Explicit keyword overrides that are not None win over both.
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(env_name(f.name))
            if raw in (None, "") and use_dlt_secrets:
                raw = _from_dlt(f.name)
            if raw in (None, ""):
                continue
            values[f.name] = (str(raw).strip().lower() in _TRUE) if f.name == "include_private" and not isinstance(raw, bool) else raw
        for name, value in overrides.items():
            if value is not None:
                values[name] = value
        return cls(**values)

    @property
    def token_url(self) -> str:
        return self.base_url.rstrip("/") + "/oauth2/token"

    @property
    def auth_mode(self) -> str | None:
        """`access_token`, `refresh_token` or `client_credentials` (first configured wins), else None."""
        if self.access_token:
            return "access_token"
        if self.refresh_token and self.client_id and self.client_secret:
            return "refresh_token"
        if self.client_id and self.client_secret and self.username:
            return "client_credentials"
        return None

    @property
    def is_configured(self) -> bool:
        return bool(self.base_url) and self.auth_mode is not None

    def validate(self) -> IntacctSettings:
        """Raise `IntacctConfigError` naming the missing setting and its env var."""
        if not self.base_url:
            raise IntacctConfigError(_missing("base_url"))
        if self.auth_mode == "refresh_token" and not self.token_store_path:
            raise IntacctConfigError(_missing("token_store_path") + " when refresh_token is used")
        if self.auth_mode is not None:
            return self
        if self.refresh_token or self.username or self.client_id or self.client_secret:
            for name in ("client_id", "client_secret"):
                if not getattr(self, name):
                    raise IntacctConfigError(_missing(name))
            raise IntacctConfigError(
                f"Intacct setting 'username' (env {ENV_PREFIX}USERNAME) or 'refresh_token' "
                f"(env {ENV_PREFIX}REFRESH_TOKEN) is required"
            )
        raise IntacctConfigError(
            "Intacct credentials are not configured: set client_id/client_secret/username "
            f"(env {ENV_PREFIX}CLIENT_ID, {ENV_PREFIX}CLIENT_SECRET, {ENV_PREFIX}USERNAME), or "
            f"refresh_token (env {ENV_PREFIX}REFRESH_TOKEN), or access_token (env {ENV_PREFIX}ACCESS_TOKEN)"
        )


def _missing(name: str) -> str:
    return f"Intacct setting '{name}' (env {env_name(name)}) is required"


def _from_dlt(name: str) -> object | None:
    """Look up `sources.intacct.<name>` in dlt config/secrets without failing when dlt has no context."""
    try:
        import dlt

        accessor = dlt.secrets if name in SECRET_FIELDS else dlt.config
        return accessor.get(f"sources.intacct.{name}")
    except Exception:  # a missing dlt context just means "not set"
        return None
