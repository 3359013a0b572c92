"""What every table of one run shares: settings, one token provider, one HTTP client, the model cache.

Built lazily, so defining a source needs no secrets and no network; its repr shows no secret.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from .auth import TokenProvider, auth_from_settings, token_claims
from .client import IntacctClient
from .settings import IntacctSettings, SettingsReader


class Connection:
    """One Intacct company (and entity) for one run."""

    def __init__(self, settings: IntacctSettings | None = None, auth: TokenProvider | None = None,
                 client: IntacctClient | None = None, reader: SettingsReader | None = None) -> None:
        self._settings = settings
        self._auth = auth
        self._client = client
        self._reader = reader
        self._lock = threading.Lock()
        self._models: dict[str, tuple[dict[str, Any], datetime | None]] = {}

    def __repr__(self) -> str:
        return "Connection(<Intacct connection, built lazily>)"

    @property
    def settings(self) -> IntacctSettings:
        with self._lock:
            if self._settings is None:
                self._settings = (self._reader or SettingsReader()).connection()
            return self._settings

    def client(self) -> IntacctClient:
        if self._client is not None:
            return self._client
        settings = self.settings
        with self._lock:
            if self._client is None:
                auth = self._auth if self._auth is not None else auth_from_settings(settings)
                slots = int((self._reader or SettingsReader(settings.prefix)).get("max_concurrent_requests"))
                self._client = IntacctClient(settings.base_url, auth, entity_id=settings.entity_id,
                                             max_concurrent_requests=slots)
            return self._client

    def model(self, path: str) -> tuple[dict[str, Any], datetime | None]:
        """(model, the server's clock when it answered). One model call per object per run."""
        with self._lock:
            cached = self._models.get(path)
        if cached is None:
            client = self.client()
            model = client.model(path)
            cached = (model, client.server_time())
            with self._lock:
                self._models[path] = cached
        return cached

    def scope(self) -> dict[str, str]:
        """{company, entity} this connection reads: from the token's claims (`cnyId`), else the username."""
        client = self.client()
        claims = token_claims(client.auth.token())
        settings = self.settings
        company = str(claims.get("cnyId") or "")
        if not company and settings.username:
            company = settings.username.split("@", 1)[-1].split("|", 1)[0]
        return {"company": company or settings.base_url, "entity": settings.entity}
