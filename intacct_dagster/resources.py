"""The one Intacct connection resource every asset shares.

Secrets come in as `EnvVar`s so Dagster stores only the variable *names* in run config and the UI;
values are resolved when a run starts, never at import. Anything left unset falls back to
`IntacctSettings.from_env()` (env vars and `.dlt/secrets.toml`), so both styles of configuration work.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from dagster import ConfigurableResource, EnvVar, Failure
from pydantic import PrivateAttr

# resource field -> environment variable
ENV_VARS: dict[str, str] = {
    "base_url": "INTACCT_BASE_URL",
    "client_id": "INTACCT_CLIENT_ID",
    "client_secret": "INTACCT_CLIENT_SECRET",
    "username": "INTACCT_USERNAME",
    "refresh_token": "INTACCT_REFRESH_TOKEN",
    "access_token": "INTACCT_ACCESS_TOKEN",
    "entity_id": "INTACCT_ENTITY_ID",
    "token_store": "INTACCT_TOKEN_STORE",
}

# resource field -> IntacctSettings field, where the names differ
_SETTINGS_FIELD = {"token_store": "token_store_path"}

MISSING_CREDENTIALS = (
    "Sage Intacct credentials are not configured. Set one of:\n"
    "  - INTACCT_CLIENT_ID + INTACCT_CLIENT_SECRET + INTACCT_USERNAME (client credentials, user@company[|entity])\n"
    "  - INTACCT_CLIENT_ID + INTACCT_CLIENT_SECRET + INTACCT_REFRESH_TOKEN + INTACCT_TOKEN_STORE\n"
    "    (authorization-code refresh token; the token store file keeps the rotated refresh token)\n"
    "  - INTACCT_ACCESS_TOKEN (a token minted elsewhere)\n"
    "or fill [sources.intacct] in .dlt/secrets.toml (copy .dlt/secrets.toml.example). "
    "INTACCT_BASE_URL and INTACCT_ENTITY_ID are optional. "
    "To try the project without credentials run `bash scripts/demo.sh` (built-in sandbox)."
)


def env_fields(mapping: dict[str, str]) -> dict[str, Any]:
    """`EnvVar`s for the variables that are set, so unset optional ones do not fail the run.

    Only checks *presence* (never reads values), which is safe at import time.
    """
    return {field: EnvVar(var) for field, var in mapping.items() if os.environ.get(var)}


class IntacctResource(ConfigurableResource):
    """Sage Intacct REST API connection: credentials, base URL and entity.

    All Intacct assets share it; `token_provider()` hands the same refreshing TokenProvider to
    every source built in one run, so a run mints (or refreshes) at most one token.
    """

    base_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    username: str | None = None
    refresh_token: str | None = None
    access_token: str | None = None
    entity_id: str | None = None
    token_store: str | None = None
    include_private: bool | None = None

    _provider: Any = PrivateAttr(default=None)

    @classmethod
    def from_env(cls) -> IntacctResource:
        """Resource wired to the INTACCT_* env vars that exist when definitions load."""
        return cls(**env_fields(ENV_VARS))

    def settings(self):
        """Merged IntacctSettings (resource fields win over env/.dlt); raises a clear error if unusable."""
        from intacct_dagster.intacct.settings import IntacctSettings

        try:
            base = IntacctSettings.from_env()
        except Exception as exc:  # the settings layer names the offending setting/env var
            raise Failure(description=f"Invalid Intacct settings: {exc}", allow_retries=False) from exc
        overrides = {
            _SETTINGS_FIELD.get(name, name): value
            for name in [*ENV_VARS, "include_private"]
            if (value := getattr(self, name)) not in (None, "")
        }
        settings = dataclasses.replace(base, **overrides)
        if settings.base_url and not str(settings.base_url).startswith(("http://", "https://")):
            raise Failure(
                description=f"INTACCT_BASE_URL / base_url {settings.base_url!r} is not an http(s) URL "
                "(default https://api.intacct.com/ia/api/v1).",
                allow_retries=False,
            )
        try:
            settings.validate()  # names the missing setting and its env var
        except Exception as exc:
            detail = "" if not settings.is_configured and "not configured" in str(exc) else f"{exc}\n"
            raise Failure(description=detail + MISSING_CREDENTIALS, allow_retries=False) from exc
        return settings

    def token_provider(self):
        """One TokenProvider per run (this resource instance lives for one run/step)."""
        if self._provider is None:
            from intacct_dagster.intacct.auth import auth_from_settings

            self._provider = auth_from_settings(self.settings())
        return self._provider
